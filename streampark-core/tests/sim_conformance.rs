//! The simulator passes the Deployer conformance suite (virtual time).
#![cfg(feature = "testkit")]

use streampark_core::testkit::SimDeployer;
use streampark_core::testkit::conformance::{JarFixture, TestEnv};

async fn env() -> Option<TestEnv> {
    let sim = SimDeployer::new();
    // The sim checks that a local jar exists and lists its entry class, as a zip directory does.
    let dir = std::env::temp_dir().join(format!("sp-sim-jar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let jar = dir.join("tick.jar");
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
