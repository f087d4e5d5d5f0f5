//! `OperatorDeployer` passes the Deployer conformance suite against the simulated API server.
#![cfg(feature = "testkit")]

use std::time::Duration;

use streampark_core::testkit::conformance::{JarFixture, TestEnv};
use streampark_k8s::OperatorDeployer;
use streampark_k8s::testkit::SimApiServer;

async fn env() -> Option<TestEnv> {
    // Each test gets its own server; it lives until the test's runtime ends.
    let sim: &'static SimApiServer = Box::leak(Box::new(SimApiServer::start().await.ok()?));
    let make = || {
        OperatorDeployer::builder()
            .with_kube_client(sim.client())
            .with_namespace("conformance")
            .with_submit_timeout(Duration::from_secs(10))
            .with_request_timeout(Duration::from_secs(10))
            .build()
            .ok()
    };
    let dir = std::env::temp_dir().join(format!("sp-k8s-jar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let jar = dir.join(format!("tick-{n}.jar"));
    std::fs::write(&jar, b"PK\x03\x04 io/streampark/it/TickJob.class").ok()?;
    Some(
        TestEnv::new(make()?, make()?)
            .with_wait(Duration::from_secs(30))
            .with_savepoint_dir("s3://bucket/savepoints")
            .with_jar(JarFixture {
                artifact: jar.to_string_lossy().into_owned(),
                entry_class: "io.streampark.it.TickJob".into(),
                args: vec![],
            }),
    )
}

streampark_core::conformance_tests!(env());
