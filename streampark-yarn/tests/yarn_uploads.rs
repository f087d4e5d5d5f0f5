//! Per-job uploads (`<workspace>/jobs/<job>/<attempt>`) are removed once their attempt has
//! ended — stopped, failed to submit, or superseded by a later deployment — and kept while the
//! attempt runs, against the simulated YARN cluster and its WebHDFS.

use std::sync::Arc;
use std::time::Duration;

use streampark_core::{DeployRequest, Deployer, Error, JobId, JobSpec, Result, StopOptions};
use streampark_yarn::hdfs::WebHdfsClient;
use streampark_yarn::rm::ResourceManagerClient;
use streampark_yarn::submit::YarnSubmission;
use streampark_yarn::testkit::{SimSubmitter, SimYarn};
use streampark_yarn::{Submitter, YarnDeployer};

fn deployer(sim: &SimYarn, submitter: Arc<dyn Submitter>) -> YarnDeployer {
    YarnDeployer::builder()
        .with_rm_urls(sim.rm_urls())
        .with_user("flink")
        .with_webhdfs_url(sim.webhdfs_url())
        .with_default_fs("hdfs://sim-nn:8020")
        .with_workspace("/ws")
        .with_submitter(submitter)
        .with_poll_interval(Duration::from_millis(50))
        .build()
        .expect("builder")
}

fn sql(id: &str) -> JobSpec {
    JobSpec::sql(
        id,
        "CREATE TABLE s (v INT) WITH ('connector'='datagen');\nINSERT INTO k SELECT v FROM s;\n",
    )
    .expect("spec")
}

/// The simulated HDFS paths below `prefix`.
fn below(sim: &SimYarn, prefix: &str) -> Vec<String> {
    sim.files()
        .into_keys()
        .filter(|p| p.starts_with(prefix))
        .collect()
}

fn runner(job: &str, attempt: u64) -> String {
    format!("/ws/jobs/{job}/{attempt}/streampark-sql-runner.jar")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_removes_the_attempts_uploads() {
    let sim = SimYarn::start().await.expect("simulator");
    let yarn = deployer(&sim, Arc::new(SimSubmitter::new(sim.clone())));
    let d = yarn
        .deploy(DeployRequest::new(sql("orders"), 1))
        .await
        .expect("deploy");
    assert!(
        below(&sim, "/ws/jobs/orders/").contains(&runner("orders", 1)),
        "uploaded while it runs: {:?}",
        sim.files()
    );
    yarn.stop(&d.id, StopOptions::cancel()).await.expect("stop");
    assert_eq!(below(&sim, "/ws/jobs/orders"), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_deployment_removes_ended_attempts_and_keeps_running_ones() {
    let sim = SimYarn::start().await.expect("simulator");
    let yarn = deployer(&sim, Arc::new(SimSubmitter::new(sim.clone())));
    let first = yarn
        .deploy(DeployRequest::new(sql("orders"), 1))
        .await
        .expect("deploy 1");
    let other = yarn
        .deploy(DeployRequest::new(sql("billing"), 1))
        .await
        .expect("deploy billing");
    // Attempt 1 ends on its own (killed behind the deployer's back).
    let rm = ResourceManagerClient::builder()
        .with_urls(sim.rm_urls())
        .with_user(Some("flink".to_string()))
        .with_timeout(Duration::from_secs(5))
        .build()
        .expect("rm client");
    rm.kill(first.id.as_str()).await.expect("kill");
    // A leftover of an older attempt that never got an application, and a directory that is
    // not an attempt (not ours to remove).
    let hdfs = WebHdfsClient::builder()
        .with_url(sim.webhdfs_url())
        .with_user(Some("flink".into()))
        .build()
        .expect("webhdfs");
    hdfs.create("/ws/jobs/orders/0/app.jar", b"PK".to_vec(), true)
        .await
        .expect("create");
    hdfs.create("/ws/jobs/orders/notes/readme", b"x".to_vec(), true)
        .await
        .expect("create");

    yarn.deploy(DeployRequest::new(sql("orders"), 2))
        .await
        .expect("deploy 2");
    let left = below(&sim, "/ws/jobs/orders/");
    assert!(left.contains(&runner("orders", 2)), "{left:?}");
    assert!(
        left.contains(&"/ws/jobs/orders/notes/readme".to_string()),
        "{left:?}"
    );
    assert!(
        !left
            .iter()
            .any(|p| p.starts_with("/ws/jobs/orders/1") || p.starts_with("/ws/jobs/orders/0")),
        "ended attempts' uploads remain: {left:?}"
    );
    // The running job of another id keeps its files.
    assert!(below(&sim, "/ws/jobs/billing/").contains(&runner("billing", 1)));

    // Asked directly: attempt 2 runs, so nothing is removed.
    let job = JobId::new("orders").expect("id");
    assert_eq!(
        yarn.clean_uploads(&job).await.expect("clean"),
        Vec::<u64>::new()
    );
    yarn.stop(&other.id, StopOptions::cancel())
        .await
        .expect("stop");
    assert!(below(&sim, "/ws/jobs/billing").is_empty());
}

/// A submitter whose client refuses every program, as `flink run` does for a bad jar.
#[derive(Debug)]
struct Refusing;

#[async_trait::async_trait]
impl Submitter for Refusing {
    async fn submit(&self, _: &YarnSubmission) -> Result<String> {
        Err(Error::Rejected {
            backend: "yarn",
            operation: "flink run".into(),
            message: "The program's entry point class was not found".into(),
            source: None,
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_submission_leaves_no_uploads() {
    let sim = SimYarn::start().await.expect("simulator");
    let yarn = deployer(&sim, Arc::new(Refusing));
    let err = yarn
        .deploy(DeployRequest::new(sql("orders"), 1))
        .await
        .expect_err("refused");
    assert!(matches!(err, Error::Rejected { .. }), "{err:?}");
    assert_eq!(below(&sim, "/ws/jobs/orders"), Vec::<String>::new());
    assert!(sim.app_ids().is_empty());
}
