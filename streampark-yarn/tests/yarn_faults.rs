//! YARN-specific behaviour against the simulator: HA failover and standby redirects, an
//! application that vanishes, kill races, an AM restart on another host, `{"apps": null}`,
//! two-step HDFS create and the workspace sync report.

use std::sync::Arc;
use std::time::Duration;

use streampark_core::{
    DeployRequest, Deployer, DeployerExt, JobSpec, JobState, LogOptions, SavepointOptions,
    Selector, StopOptions, StopOutcome,
};
use streampark_yarn::YarnDeployer;
use streampark_yarn::hdfs::{FileKind, WebHdfsClient};
use streampark_yarn::rm::{AppQuery, AppState, HaState, ResourceManagerClient};
use streampark_yarn::testkit::{SimSubmitter, SimYarn};
use streampark_yarn::workspace::{LocalEntry, sync_flink_dist};

struct Fx {
    sim: SimYarn,
    submitter: Arc<SimSubmitter>,
    yarn: YarnDeployer,
}

async fn fx() -> Fx {
    let sim = SimYarn::start().await.expect("simulator");
    fx_on(sim, |s| vec![s.webhdfs_url()])
}

/// The deployer on `sim`, uploading through the NameNodes `webhdfs` picks.
fn fx_on(sim: SimYarn, webhdfs: impl Fn(&SimYarn) -> Vec<url::Url>) -> Fx {
    let submitter = Arc::new(SimSubmitter::new(sim.clone()));
    let yarn = YarnDeployer::builder()
        .with_rm_urls(sim.rm_urls())
        .with_user("flink")
        .with_webhdfs_urls(webhdfs(&sim))
        .with_default_fs("hdfs://sim-nn:8020")
        .with_workspace("/ws")
        .with_flink_version("1.18.1")
        .with_submitter(submitter.clone())
        .with_poll_interval(Duration::from_millis(50))
        .build()
        .expect("builder");
    Fx {
        sim,
        submitter,
        yarn,
    }
}

fn rm(sim: &SimYarn, user: Option<&str>) -> ResourceManagerClient {
    ResourceManagerClient::builder()
        .with_urls(sim.rm_urls())
        .with_user(user.map(str::to_string))
        .with_timeout(Duration::from_secs(5))
        .build()
        .expect("rm client")
}

fn sql(id: &str) -> JobSpec {
    JobSpec::sql(
        id,
        "CREATE TABLE s (v INT) WITH ('connector'='datagen');\nINSERT INTO k SELECT v FROM s;\n",
    )
    .expect("spec")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ha_probe_finds_the_active_rm_and_follows_failover() {
    let sim = SimYarn::start().await.unwrap();
    let c = rm(&sim, Some("flink"));
    let infos = c.cluster_infos().await;
    assert_eq!(infos.len(), 2);
    assert_eq!(infos[0].1.as_ref().unwrap().ha_state, Some(HaState::Active));
    assert_eq!(
        infos[1].1.as_ref().unwrap().ha_state,
        Some(HaState::Standby)
    );
    assert_eq!(c.active().await.unwrap(), sim.rm_urls()[0]);
    assert!(
        c.apps(&AppQuery::new()).await.unwrap().is_empty(),
        "{{\"apps\": null}} is an empty list"
    );
    sim.failover(1);
    // The cached active RM is now a standby: the client sees the 307, probes, and retries.
    assert!(
        c.apps(&AppQuery::new().with_tag("streampark"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(c.active().await.unwrap(), sim.rm_urls()[1]);
    assert!(sim.stats().standby_redirects >= 1, "the standby redirected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standby_redirects_are_not_followed_blindly() {
    let sim = SimYarn::start().await.unwrap();
    sim.failover(1);
    // A client that only knows the standby cannot follow the redirect to an unknown host.
    let only_standby = ResourceManagerClient::builder()
        .with_url(sim.rm_urls()[0].clone())
        .with_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let e = only_standby.apps(&AppQuery::new()).await.unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
    assert!(e.to_string().contains("unavailable"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_tags_lowercase_and_uploads_to_the_workspace() {
    let f = fx().await;
    let d = f
        .yarn
        .deploy(DeployRequest::new(sql("Orders.ETL"), 1))
        .await
        .unwrap();
    let tags = f.sim.app_tags(d.id.as_str());
    assert!(
        tags.contains(&"streampark.job=orders.etl".to_string()),
        "{tags:?}"
    );
    let listed = f.yarn.list(&Selector::All).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].job.as_str(),
        "Orders.ETL",
        "the job id keeps its case through the app name"
    );
    let files = f.sim.files();
    assert!(
        files
            .keys()
            .any(|p| p == "/ws/jobs/Orders.ETL/1/streampark-sql-runner.jar"),
        "{files:?}"
    );
    assert_eq!(f.sim.stats().namenode_bodies, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rm_failover_mid_run_keeps_watching() {
    let f = fx().await;
    let d = f
        .yarn
        .deploy(DeployRequest::new(sql("fo"), 1))
        .await
        .unwrap();
    f.sim.failover(1);
    let s = f
        .yarn
        .status(&d.id)
        .await
        .unwrap()
        .expect("listed after failover");
    assert_eq!(s.state, JobState::Running);
    f.sim.failover(0);
    let out = f.yarn.stop(&d.id, StopOptions::cancel()).await.unwrap();
    assert!(matches!(out, StopOutcome::Stopped { .. }));
    assert_eq!(
        f.yarn.status(&d.id).await.unwrap().unwrap().state,
        JobState::Canceled
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vanished_application_is_gone() {
    let f = fx().await;
    let d = f
        .yarn
        .deploy(DeployRequest::new(sql("vanish"), 1))
        .await
        .unwrap();
    assert!(f.sim.vanish(d.id.as_str()));
    assert!(f.yarn.status(&d.id).await.unwrap().is_none());
    assert!(f.yarn.inspect(&d.id).await.unwrap_err().is_not_found());
    assert_eq!(
        f.yarn.stop(&d.id, StopOptions::cancel()).await.unwrap(),
        StopOutcome::AlreadyGone
    );
    // The attempt's tag is gone with it, so the next attempt is allowed.
    f.yarn
        .deploy(DeployRequest::new(sql("vanish"), 2))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_race_reports_the_final_state() {
    let f = fx().await;
    let d = f
        .yarn
        .deploy(DeployRequest::new(sql("race"), 1))
        .await
        .unwrap();
    f.sim.finish_on_kill(d.id.as_str());
    let state = f.yarn.kill(&d.id).await.unwrap();
    assert_eq!(
        state,
        AppState::Finished,
        "the app finished while the kill was in flight"
    );
    assert_eq!(
        f.yarn.kill(&d.id).await.unwrap(),
        AppState::Finished,
        "killing an ended app is not an error"
    );
    assert_eq!(
        f.yarn.stop(&d.id, StopOptions::cancel()).await.unwrap(),
        StopOutcome::AlreadyGone
    );
    // Kill without a user is refused by the RM.
    let anon = rm(&f.sim, None);
    let d2 = f
        .yarn
        .deploy(DeployRequest::new(sql("race"), 2))
        .await
        .unwrap();
    let e = anon.kill(d2.id.as_str()).await.unwrap_err();
    assert!(
        matches!(e, streampark_core::Error::PermissionDenied { .. }),
        "{e:?}"
    );
    assert_eq!(f.sim.app_state(d2.id.as_str()), Some(AppState::Running));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn am_restart_on_another_host_is_followed() {
    let f = fx().await;
    let d = f
        .yarn
        .deploy(DeployRequest::new(sql("am"), 1))
        .await
        .unwrap();
    let before = rm(&f.sim, Some("flink"))
        .app(d.id.as_str())
        .await
        .unwrap()
        .am_rpc_address;
    let new_addr = f.sim.restart_am(d.id.as_str()).await.unwrap();
    let app = rm(&f.sim, Some("flink")).app(d.id.as_str()).await.unwrap();
    assert_ne!(app.am_rpc_address, before);
    assert_eq!(app.am_rpc_address, Some(new_addr.to_string()));
    assert_eq!(
        rm(&f.sim, Some("flink"))
            .attempts(d.id.as_str())
            .await
            .unwrap()
            .len(),
        2
    );
    // Savepoints go to the new JobManager (POST is never sent through the proxy).
    let sp = f
        .yarn
        .savepoint(&d.id, SavepointOptions::into_dir("hdfs:///sp"))
        .await
        .unwrap();
    assert!(sp.path.starts_with("hdfs:///sp/savepoint-"), "{}", sp.path);
    assert_eq!(f.sim.stats().proxy_refused, 0);
    let logs = f.yarn.logs(&d.id, LogOptions::default()).await.unwrap();
    assert!(logs.content.contains("attempt 2"), "{}", logs.content);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_tells_a_restarting_job_that_yarn_calls_running() {
    let f = fx().await;
    let d = f
        .yarn
        .deploy(DeployRequest::new(sql("flappy"), 1))
        .await
        .unwrap();
    let app = d.id.as_str();
    assert_eq!(
        f.yarn.inspect(&d.id).await.unwrap().snapshot.state,
        JobState::Running
    );
    assert!(f.sim.job_restarting(app, true));
    // The RM still says RUNNING (the AM lives); list is the RM's cheap view.
    assert_eq!(f.sim.app_state(app), Some(AppState::Running));
    let listed = f.yarn.list(&Selector::All).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, JobState::Running);
    // inspect asks Flink through the proxy and reports what the job really does.
    let details = f.yarn.inspect(&d.id).await.unwrap();
    assert_eq!(details.snapshot.state, JobState::Restarting, "{details:?}");
    assert!(f.sim.job_restarting(app, false));
    assert_eq!(
        f.yarn.inspect(&d.id).await.unwrap().snapshot.state,
        JobState::Running
    );
    // Neither a second "running again" nor an unknown application changes anything.
    assert!(!f.sim.job_restarting(app, false));
    assert!(!f.sim.job_restarting("application_0_0000", true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_application_diagnostics_reach_the_snapshot() {
    let f = fx().await;
    let spec = JobSpec::sql("boom", "-- sim: fail-after 1s\nCREATE TABLE s (v INT) WITH ('connector'='datagen');\nINSERT INTO k SELECT 1/(v-v) FROM s;\n").unwrap();
    let d = f.yarn.deploy(DeployRequest::new(spec, 1)).await.unwrap();
    let s = f
        .yarn
        .wait_for(&d.id, &[JobState::Failed], Duration::from_secs(10))
        .await
        .unwrap();
    assert!(
        s.reason
            .as_deref()
            .unwrap_or("")
            .contains("ArithmeticException"),
        "{s:?}"
    );
    // The ended app's aggregated AM container log is still readable.
    let logs = f.yarn.logs(&d.id, LogOptions::default()).await.unwrap();
    assert!(
        logs.content.contains("YarnApplicationClusterEntryPoint"),
        "{}",
        logs.content
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_timeout_adopts_the_tagged_application() {
    let f = fx().await;
    f.submitter.time_out_after_submitting(1);
    let d = f
        .yarn
        .deploy(DeployRequest::new(sql("adopt"), 1))
        .await
        .expect("adopted, not failed");
    assert_eq!(
        f.sim.app_ids(),
        vec![d.id.as_str().to_string()],
        "exactly one application, adopted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_shipped_jar_fails_before_anything_starts() {
    let f = fx().await;
    let spec = sql("ship").with_jar("/nonexistent/connector.jar");
    let e = f
        .yarn
        .deploy(DeployRequest::new(spec, 1))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("/nonexistent/connector.jar"), "{e}");
    assert!(f.sim.app_ids().is_empty());
    assert!(f.sim.files().is_empty(), "nothing uploaded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhdfs_two_step_create_never_sends_the_body_to_the_namenode() {
    let sim = SimYarn::start().await.unwrap();
    let h = WebHdfsClient::builder()
        .with_url(sim.webhdfs_url())
        .with_user(Some("flink".into()))
        .build()
        .unwrap();
    h.mkdirs("/a/b").await.unwrap();
    h.create("/a/b/x y.jar", vec![7u8; 1000], true)
        .await
        .unwrap();
    assert_eq!(sim.stats().namenode_bodies, 0);
    assert_eq!(sim.stats().datanode_writes, 1);
    let st = h.file_status("/a/b/x y.jar").await.unwrap().unwrap();
    assert_eq!((st.length, st.kind), (1000, FileKind::File));
    let ls = h.list_status("/a/b").await.unwrap();
    assert_eq!(ls.len(), 1);
    assert_eq!(ls[0].path_suffix, "x y.jar");
    assert!(h.file_status("/nope").await.unwrap().is_none());
    assert!(h.list_status("/nope").await.unwrap_err().is_not_found());
    assert!(h.delete("/a", true).await.unwrap());
    assert!(h.file_status("/a/b/x y.jar").await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhdfs_passes_over_standby_and_unreachable_namenodes() {
    let sim = SimYarn::start().await.unwrap();
    // A NameNode address nothing listens on (bound, then released).
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        url::Url::parse(&format!("http://{}", l.local_addr().unwrap())).unwrap()
    };
    let [nn1, nn2] = <[url::Url; 2]>::try_from(sim.webhdfs_urls()).unwrap();
    sim.failover_namenode(1); // nn1 standby, nn2 active
    let c = WebHdfsClient::builder()
        .with_urls([dead.clone(), nn1.clone(), nn2.clone()])
        .with_user(Some("flink".into()))
        .with_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    c.mkdirs("/ha/a").await.unwrap();
    assert_eq!(c.active_url().as_str(), nn2.as_str());
    assert_eq!(sim.stats().namenode_standby_refusals, 1);
    // The active one is remembered: no more standby round trips.
    c.create("/ha/a/f.txt", b"hello".to_vec(), true)
        .await
        .unwrap();
    let st = c.file_status("/ha/a/f.txt").await.unwrap().unwrap();
    assert_eq!(st.length, 5);
    assert_eq!(sim.stats().namenode_standby_refusals, 1);
    // Failover back: the remembered NameNode turns standby, the client moves on (and wraps
    // around past the dead address to nn1).
    sim.failover_namenode(0);
    assert_eq!(c.list_status("/ha/a").await.unwrap().len(), 1);
    assert_eq!(c.active_url().as_str(), nn1.as_str());
    assert_eq!(sim.stats().namenode_standby_refusals, 2);
    // Only standbys and dead addresses: Unavailable (retryable), naming each and why.
    let only_bad = WebHdfsClient::builder()
        .with_urls([nn2.clone(), dead.clone()])
        .with_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let e = only_bad.file_status("/ha/a").await.unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("no active NameNode"), "{msg}");
    assert!(
        msg.contains(&format!("{} (standby)", nn2.as_str()))
            && msg.contains(&format!("{} (unreachable)", dead.as_str())),
        "{msg}"
    );
    // A refusal that is not about standby is not retried elsewhere.
    let e = c.list_status("/nope").await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_uploads_through_the_active_namenode_of_an_ha_pair() {
    let sim = SimYarn::start().await.unwrap();
    sim.failover_namenode(1);
    let Fx { sim, yarn, .. } = fx_on(sim, SimYarn::webhdfs_urls);
    yarn.deploy(DeployRequest::new(sql("ha-nn"), 1))
        .await
        .unwrap();
    assert!(
        sim.files()
            .keys()
            .any(|p| p.starts_with("/ws/jobs/ha-nn/1/")),
        "{:?}",
        sim.files()
    );
    assert!(sim.stats().namenode_standby_refusals >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_sync_uploads_missing_and_reports_differences() {
    let sim = SimYarn::start().await.unwrap();
    let h = WebHdfsClient::builder()
        .with_url(sim.webhdfs_url())
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mk = |name: &str, len: usize| {
        let p = dir.path().join(name.replace('/', "_"));
        std::fs::write(&p, vec![1u8; len]).unwrap();
        LocalEntry::new(name, p, len as u64)
    };
    let lib = vec![mk("flink-dist-1.18.1.jar", 100), mk("log4j-api.jar", 10)];
    let plugins = vec![mk("s3/flink-s3-fs-hadoop.jar", 50)];
    // HDFS already has one file right, one with another size, and one extra.
    h.create(
        "/ws/flink/1.18.1/lib/flink-dist-1.18.1.jar",
        vec![0u8; 100],
        true,
    )
    .await
    .unwrap();
    h.create("/ws/flink/1.18.1/lib/log4j-api.jar", vec![0u8; 9], true)
        .await
        .unwrap();
    h.create("/ws/flink/1.18.1/lib/old.jar", vec![0u8; 1], true)
        .await
        .unwrap();
    let r = sync_flink_dist(&h, "/ws", "1.18.1", &lib, &plugins, false)
        .await
        .unwrap();
    assert_eq!(r.unchanged, 1);
    assert_eq!(
        r.uploaded,
        vec!["plugins/s3/flink-s3-fs-hadoop.jar".to_string()]
    );
    assert_eq!(r.differ, vec![("lib/log4j-api.jar".to_string(), 10, 9)]);
    assert_eq!(r.extra, vec!["lib/old.jar".to_string()]);
    assert_eq!(
        sim.files()
            .get("/ws/flink/1.18.1/plugins/s3/flink-s3-fs-hadoop.jar"),
        Some(&50)
    );
    let r2 = sync_flink_dist(&h, "/ws", "1.18.1", &lib, &plugins, true)
        .await
        .unwrap();
    assert_eq!(r2.uploaded, vec!["lib/log4j-api.jar".to_string()]);
    assert_eq!(
        sim.files().get("/ws/flink/1.18.1/lib/log4j-api.jar"),
        Some(&10)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_refuses_post_and_cancel_falls_back_to_an_rm_kill() {
    let f = fx().await;
    let d = f
        .yarn
        .deploy(DeployRequest::new(sql("proxy"), 1))
        .await
        .unwrap();
    let proxy = rm(&f.sim, Some("flink"))
        .proxy_url(d.id.as_str())
        .await
        .unwrap();
    let http = streampark_core::spi::http_client(Duration::from_secs(5)).unwrap();
    let post = http
        .post(proxy.join("v1/jobs/x/savepoints").unwrap())
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        post.status().as_u16(),
        405,
        "the RM proxy forwards only GET and PUT"
    );
    let get = http
        .get(proxy.join("v1/jobs/overview").unwrap())
        .send()
        .await
        .unwrap();
    assert!(get.status().is_success());
    assert_eq!(f.sim.stats().proxy_refused, 1);
    // The JobManager's host is lost: cancel cannot reach Flink and kills through the RM.
    assert!(f.sim.am_unreachable(d.id.as_str()));
    let out = f.yarn.stop(&d.id, StopOptions::cancel()).await.unwrap();
    assert_eq!(out, StopOutcome::Stopped { savepoint: None });
    assert_eq!(f.sim.app_state(d.id.as_str()), Some(AppState::Killed));
    assert_eq!(f.sim.stats().kills, 1);
}

/// In application mode the JobManager ends with the job: the checkpoints of a failed
/// application are found in the checkpoint directory on HDFS (the newest `chk-N` with its
/// `_metadata`), which is what a restart restores from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_application_reports_its_newest_complete_checkpoint_from_hdfs() {
    let sim = SimYarn::start().await.expect("simulator");
    let submitter = Arc::new(SimSubmitter::new(sim.clone()));
    let build = |ckpt: Option<&str>| {
        let mut b = YarnDeployer::builder()
            .with_rm_urls(sim.rm_urls())
            .with_user("flink")
            .with_webhdfs_url(sim.webhdfs_url())
            .with_default_fs("hdfs://sim-nn:8020")
            .with_workspace("/ws")
            .with_submitter(submitter.clone())
            .with_poll_interval(Duration::from_millis(50));
        if let Some(d) = ckpt {
            b = b.with_checkpoint_dir(d);
        }
        b.build().unwrap()
    };
    let yarn = build(Some("hdfs://sim-nn:8020/flink/ckpt"));
    let spec = JobSpec::sql(
        "orders",
        "-- sim: fail-after 1s\nCREATE TABLE s (v INT) WITH ('connector'='datagen');\nINSERT INTO k SELECT v FROM s;\n",
    )
    .unwrap();
    let jid = streampark_core::deploy::tag::flink_job_id(&spec.id, 1);
    let dep = yarn.deploy(DeployRequest::new(spec, 1)).await.unwrap();
    yarn.wait_for(&dep.id, &[JobState::Failed], Duration::from_secs(30))
        .await
        .unwrap();
    let hdfs = WebHdfsClient::builder()
        .with_url(sim.webhdfs_url())
        .with_user(Some("flink".into()))
        .build()
        .unwrap();
    let base = format!("/flink/ckpt/{jid}");
    // chk-3 complete, chk-4 begun but never finished, a stray file and another job's chk-9.
    hdfs.create(&format!("{base}/chk-3/_metadata"), b"m".to_vec(), true)
        .await
        .unwrap();
    hdfs.create(&format!("{base}/chk-4/part"), b"p".to_vec(), true)
        .await
        .unwrap();
    hdfs.create(&format!("{base}/shared/x"), b"x".to_vec(), true)
        .await
        .unwrap();
    hdfs.create("/flink/ckpt/0000/chk-9/_metadata", b"m".to_vec(), true)
        .await
        .unwrap();
    let d = yarn.inspect(&dep.id).await.unwrap();
    assert_eq!(d.snapshot.state, JobState::Failed);
    assert_eq!(
        d.latest_checkpoint.map(|c| c.path).as_deref(),
        Some(format!("hdfs://sim-nn:8020{base}/chk-3").as_str())
    );
    // Without a checkpoint directory, or with one off HDFS, nothing is guessed.
    assert!(
        build(None)
            .inspect(&dep.id)
            .await
            .unwrap()
            .latest_checkpoint
            .is_none()
    );
    assert!(
        build(Some("s3://bucket/ckpt"))
            .inspect(&dep.id)
            .await
            .unwrap()
            .latest_checkpoint
            .is_none()
    );
}
