//! `YarnDeployer` passes the Deployer conformance suite against the simulated YARN cluster
//! (two RMs in HA, the RM proxy, one simulated JobManager per attempt, WebHDFS).

use std::sync::Arc;
use std::time::Duration;

use streampark_core::testkit::conformance::{JarFixture, TestEnv};
use streampark_yarn::YarnDeployer;
use streampark_yarn::testkit::{SimSubmitter, SimYarn};

async fn env() -> Option<TestEnv> {
    let sim = SimYarn::start().await.expect("simulator starts");
    let submitter = Arc::new(SimSubmitter::new(sim.clone()));
    let make = || {
        YarnDeployer::builder()
            .with_rm_urls(sim.rm_urls())
            .with_user("flink")
            .with_queue("streaming")
            .with_webhdfs_url(sim.webhdfs_url())
            .with_default_fs("hdfs://sim-nn:8020")
            .with_workspace("/streampark")
            .with_submitter(submitter.clone())
            .with_poll_interval(Duration::from_millis(100))
            .build()
            .expect("valid builder")
    };
    // A jar fixture whose bytes name its main class, as a real jar's directory would.
    let dir = std::env::temp_dir().join(format!("yarn-ct-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let jar = dir.join("tick-job.jar");
    std::fs::write(&jar, b"PK\x03\x04 io/streampark/it/TickJob.class").ok()?;
    Some(
        TestEnv::new(make(), make())
            .with_wait(Duration::from_secs(20))
            .with_jar(JarFixture {
                artifact: jar.display().to_string(),
                entry_class: "io.streampark.it.TickJob".into(),
                args: vec![],
            }),
    )
}

streampark_core::conformance_tests!(env());
