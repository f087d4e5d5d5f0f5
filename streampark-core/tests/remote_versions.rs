//! `RemoteDeployer` follows the REST shapes of the cluster's Flink release, read from the
//! cluster (`GET /config`), on the simulated JobManager set to each release. The same deploys
//! ran against real 1.14.6, 1.17.2, 1.20.5 and 2.3.0 clusters (the conformance suite in
//! `scripts/ci-flink-versions.sh`); the simulator's pre-1.17 answer to a `flinkConfiguration`
//! field is Flink 1.14.6's own.
#![cfg(feature = "testkit")]

use std::io::Write as _;

use streampark_core::testkit::SimJobManager;
use streampark_core::{
    DeployRequest, Deployer, Error, JobId, JobSpec, JobState, RemoteDeployer, Selector,
};

/// A jar program whose manifest names its main class (the launcher needs it on old releases).
fn program_jar(dir: &std::path::Path) -> String {
    let path = dir.join("app.jar");
    let file = std::fs::File::create(&path).unwrap();
    let mut w = zip::ZipWriter::new(file);
    w.start_file(
        "META-INF/MANIFEST.MF",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    w.write_all(b"Manifest-Version: 1.0\r\nMain-Class: com.acme.App\r\n\r\n")
        .unwrap();
    w.start_file(
        "com/acme/App.class",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    w.write_all(b"\xca\xfe\xba\xbe").unwrap();
    w.finish().unwrap();
    path.display().to_string()
}

/// A simulated session cluster of `version` (keep the server alive) and a deployer on it.
async fn cluster(
    version: &str,
) -> (
    SimJobManager,
    streampark_core::testkit::SimJobManagerServer,
    RemoteDeployer,
) {
    let jm = SimJobManager::builder()
        .with_session(true)
        .with_flink_version(version)
        .build();
    let srv = jm.serve().await.unwrap();
    let d = RemoteDeployer::builder()
        .with_url(srv.url())
        .build()
        .unwrap();
    (jm, srv, d)
}

async fn deploy_both_kinds(version: &str) {
    let (_jm, _srv, d) = cluster(version).await;
    assert_eq!(
        d.cluster_flink_version()
            .await
            .unwrap()
            .unwrap()
            .to_string(),
        version
    );
    let dir = tempfile::tempdir().unwrap();
    let sql = JobSpec::sql("orders", "INSERT INTO k SELECT 1")
        .unwrap()
        .with_config("table.exec.state.ttl", "1 h");
    let jar = JobSpec::jar("clicks", program_jar(dir.path()), None, vec![])
        .unwrap()
        .with_config("execution.checkpointing.interval", "5 s");
    for (spec, attempt) in [(sql, 1), (jar, 4)] {
        let id = spec.id.clone();
        let dep = d
            .deploy(DeployRequest::new(spec, attempt))
            .await
            .unwrap_or_else(|e| panic!("Flink {version}: deploy of {id}: {e}"));
        // The job carries the deployer's tag whichever way it travelled, so it is found again.
        let seen = d.list(&Selector::Job(id.clone())).await.unwrap();
        assert_eq!(seen.len(), 1, "Flink {version}: {seen:?}");
        assert_eq!(seen[0].deployment, dep.id);
        assert_eq!(seen[0].attempt, attempt);
        assert_eq!(seen[0].state, JobState::Running);
    }
    assert!(
        d.list(&Selector::Job(JobId::new("other").unwrap()))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn jobs_are_tagged_on_every_release() {
    for v in ["1.14.6", "1.16.3", "1.17.2", "1.20.5", "2.3.0"] {
        deploy_both_kinds(v).await;
    }
}

#[tokio::test]
async fn extra_jars_for_sql_need_flink_1_16() {
    let dir = tempfile::tempdir().unwrap();
    let udf = dir.path().join("udf.jar");
    std::fs::write(&udf, b"PK\x05\x06").unwrap();
    for (version, refused) in [("1.14.6", true), ("1.16.3", false)] {
        let (jm, _srv, d) = cluster(version).await;
        let spec = JobSpec::sql("u", "INSERT INTO k SELECT 1")
            .unwrap()
            .with_jar(udf.display().to_string());
        let out = d.deploy(DeployRequest::new(spec, 1)).await;
        match (refused, out) {
            (true, Err(e @ Error::Unsupported { .. })) => {
                let text = e.to_string();
                assert!(text.contains("1.16") && text.contains(version), "{text}");
                assert!(jm.jobs().is_empty(), "nothing may start");
            }
            (false, Ok(_)) => assert_eq!(jm.jobs().len(), 1),
            (r, other) => panic!("Flink {version} (refused: {r}): {other:?}"),
        }
    }
}
