//! The simulator passes the Deployer conformance suite (virtual time).
#![cfg(feature = "testkit")]

use streampark_core::testkit::SimDeployer;
use streampark_core::testkit::conformance::{JarFixture, TestEnv};

async fn env() -> Option<TestEnv> {
    let sim = SimDeployer::new();
    // The sim checks that a local jar exists and lists its entry class, as a zip directory does.
    let dir = std::env::temp_dir().join(format!("sp-sim-jar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    // One file per test: tests run in parallel and a shared file is read while rewritten.
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let jar = dir.join(format!("tick-{n}.jar"));
    std::fs::write(&jar, b"PK\x03\x04 io/streampark/it/TickJob.class").ok()?;
    Some(
        TestEnv::new(sim.clone(), sim.new_handle()).with_jar(JarFixture {
            artifact: jar.to_string_lossy().into_owned(),
            entry_class: "io.streampark.it.TickJob".into(),
            args: vec![],
        }),
    )
}

streampark_core::conformance_tests!(paused, env());
