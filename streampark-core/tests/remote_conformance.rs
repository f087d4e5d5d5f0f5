//! `RemoteDeployer` against a real Flink cluster passes the Deployer conformance suite.
//!
//! Runs when `STREAMPARK_IT_FLINK_URL` points at a cluster (`.ci/run` starts one with
//! `scripts/flink-local`); `STREAMPARK_IT_TEST_JAR` (from `scripts/build-test-jar`) adds the
//! jar-program behaviours. Without them every test prints "skipped" and passes.
#![cfg(feature = "testkit")]

use std::time::Duration;

use streampark_core::RemoteDeployer;
use streampark_core::testkit::conformance::{JarFixture, TestEnv};

async fn env() -> Option<TestEnv> {
    let url = std::env::var("STREAMPARK_IT_FLINK_URL").ok()?;
    let make = || {
        RemoteDeployer::builder()
            .with_url(url.clone())
            .with_request_timeout(Duration::from_secs(60))
            .build()
            .expect("valid URL")
    };
    let mut env = TestEnv::new(make(), make()).with_wait(Duration::from_secs(90));
    if let Ok(jar) = std::env::var("STREAMPARK_IT_TEST_JAR") {
        env = env.with_jar(JarFixture {
            artifact: jar,
            entry_class: "io.streampark.it.TickJob".into(),
            args: vec![],
        });
    }
    Some(env)
}

streampark_core::conformance_tests!(env());
