//! Version history against SQLite (always) and PostgreSQL (when `STREAMPARK_IT_POSTGRES_URL`
//! is set; `scripts/ci-platform.sh` starts a server): create, edit, diff, deploy, rollback with
//! a savepoint redeploy through the engine, attempts that keep growing across a reopened
//! database (governance and engine records in one file).

mod platform_support;

use std::sync::Arc;

use platform_support::*;
use streampark_core::platform::{AuditOutcome, AuditQuery};
use streampark_core::store::{SqliteStore, Store};
use streampark_core::{Deployer, Error, JobState, Program, Restore};

/// The whole story on one store; returns the job id for follow-up checks.
async fn history(store: Arc<dyn Store>) {
    let f = fixture(store).await;
    let pf = &f.platform;
    let dev = p("a-developer");
    let v1_spec = spec("orders", "a").with_config("parallelism.default", "2");
    let id = v1_spec.id.clone();
    let v1 = pf.create_job(&dev, v1_spec.clone(), "first").await.unwrap();
    assert_eq!(
        (v1.version, v1.author.as_str(), v1.message.as_str()),
        (1, "a-developer", "first")
    );

    // A SQL error is refused with its position; no version is created.
    let bad = streampark_core::JobSpec::sql("orders", "INSERT INTO snk SELEC a FROM src")
        .unwrap()
        .with_owner(streampark_core::Owner::team("a"));
    let e = pf.update_job(&dev, bad, "broken").await.unwrap_err();
    assert!(
        matches!(&e, Error::InvalidInput { at, .. } if at.contains("line 1")),
        "{e}"
    );

    // Edit: new SQL and config.
    let v2_sql = SQL.replace("SELECT a FROM src", "SELECT a * 2 FROM src");
    let mut v2_spec = v1_spec
        .clone()
        .with_config("parallelism.default", "4")
        .with_config("pipeline.name", "orders");
    v2_spec.program = streampark_core::JobSpec::sql("orders", v2_sql.clone())
        .unwrap()
        .program;
    let v2 = pf
        .update_job(&dev, v2_spec.clone(), "double it")
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    // Saving the same spec again creates nothing.
    assert_eq!(
        pf.update_job(&dev, v2_spec.clone(), "again")
            .await
            .unwrap()
            .version,
        2
    );

    let d = pf.diff(&dev, &id, 1, 2).await.unwrap();
    assert!(
        d.sql.contains("-INSERT INTO snk SELECT a FROM src;"),
        "{}",
        d.sql
    );
    assert!(
        d.sql.contains("+INSERT INTO snk SELECT a * 2 FROM src;"),
        "{}",
        d.sql
    );
    let keys: Vec<_> = d
        .changes
        .iter()
        .map(|c| (c.key.as_str(), c.before.as_deref(), c.after.as_deref()))
        .collect();
    assert_eq!(
        keys,
        [
            ("config.parallelism.default", Some("2"), Some("4")),
            ("config.pipeline.name", None, Some("orders"))
        ]
    );

    // The edit's audit record carries the key-level change list.
    let edits = pf
        .audit(&dev, AuditQuery::new().with_job("orders"))
        .await
        .unwrap();
    let edit = edits
        .iter()
        .find(|r| r.action == "job.edit" && r.outcome == AuditOutcome::Ok && !r.changes.is_empty())
        .unwrap();
    assert!(edit.changes.iter().any(|c| c.key == "program.script"));
    assert!(
        edit.changes
            .iter()
            .any(|c| c.key == "config.parallelism.default")
    );
    assert!(
        edits
            .iter()
            .any(|r| r.action == "job.edit" && r.outcome.as_str() == "failed")
    );

    // Deploy v2: attempt 1.
    let dep = pf.deploy(&p("a-operator"), &id).await.unwrap();
    assert_eq!(
        (dep.version, dep.attempt, dep.by.as_str()),
        (2, 1, "a-operator")
    );
    let running = pf.job(&dev, &id).await.unwrap();
    assert_eq!(running.deployed.as_ref().map(|d| d.version), Some(2));
    // Deploying again while it runs is refused (nothing is started).
    assert!(matches!(
        pf.deploy(&dev, &id).await,
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(f.deployer.requests.lock().unwrap().len(), 1);

    // Roll back to v1 and redeploy: stop with savepoint, deploy v3 (= v1) restoring from it.
    let (v3, redeployed) = pf.rollback(&dev, &id, 1, "", true).await.unwrap();
    assert_eq!(v3.version, 3);
    assert_eq!(v3.spec, v1_spec, "a rollback copies the old spec");
    assert_eq!(v3.message, "rollback to version 1");
    let rd = redeployed.unwrap();
    assert_eq!((rd.version, rd.attempt), (3, 2));
    let sp = rd
        .restored_from
        .clone()
        .expect("restored from the stop savepoint");
    let req = f.deployer.last();
    assert_eq!(req.restore_path.as_deref(), Some(sp.as_str()));
    assert_eq!(req.attempt, 2);
    assert!(matches!(&req.spec.program, Program::Sql { script } if script == SQL));
    // Exactly one deployment is live, the new one.
    let snaps = f
        .deployer
        .inner
        .list(&streampark_core::Selector::Job(id.clone()))
        .await
        .unwrap();
    let live: Vec<u64> = snaps
        .iter()
        .filter(|s| !s.state.is_terminal())
        .map(|s| s.attempt)
        .collect();
    assert_eq!(live, [2]);
    assert!(
        snaps
            .iter()
            .any(|s| s.attempt == 1 && s.state == JobState::Finished)
    );
    // The engine's event log names both starts and the roll-out between them.
    let events = pf.events(&dev, &id, 0, 100).await.unwrap();
    let kinds: Vec<(u64, &str)> = events
        .iter()
        .map(|e| (e.attempt, e.kind.as_str()))
        .collect();
    for want in [
        (1, "started"),
        (1, "audit.roll_out"),
        (1, "stopped"),
        (2, "started"),
    ] {
        assert!(kinds.contains(&want), "{want:?} in {kinds:?}");
    }
    // History is intact and immutable.
    let versions = pf.versions(&dev, &id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(versions[1].spec, v2_spec);
    let deploys = pf.deploys(&dev, &id).await.unwrap();
    assert_eq!(
        deploys
            .iter()
            .map(|d| (d.attempt, d.version))
            .collect::<Vec<_>>(),
        [(1, 2), (2, 3)]
    );

    // Restart keeps the version, restores from a fresh savepoint, attempt 3.
    let r = pf.restart(&p("a-operator"), &id).await.unwrap();
    assert_eq!((r.version, r.attempt), (3, 3));
    assert!(r.restored_from.is_some());
    // Stop, then a `Restore::Latest` spec restores from the stop's savepoint.
    pf.stop(&dev, &id, streampark_core::platform::StopHow::Savepoint)
        .await
        .unwrap();
    let latest = v1_spec.clone().with_restore(Restore::Latest);
    pf.update_job(&dev, latest, "restore latest").await.unwrap();
    let r4 = pf.deploy(&dev, &id).await.unwrap();
    assert_eq!((r4.version, r4.attempt), (4, 4));
    assert!(r4.restored_from.is_some());
}

#[tokio::test]
async fn version_history_on_sqlite() {
    history(Arc::new(SqliteStore::in_memory().await.unwrap())).await;
}

#[tokio::test]
async fn sqlite_file_keeps_history_and_attempts_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("platform.db");
    // One database file holds the governance records and the engine's.
    {
        let f = fixture(Arc::new(SqliteStore::open(&path).await.unwrap())).await;
        let s = spec("keep", "a");
        f.platform
            .create_job(&p("a-developer"), s.clone(), "v1")
            .await
            .unwrap();
        assert_eq!(
            f.platform
                .deploy(&p("a-developer"), &s.id)
                .await
                .unwrap()
                .attempt,
            1
        );
        f.platform
            .stop(
                &p("a-developer"),
                &s.id,
                streampark_core::platform::StopHow::Cancel,
            )
            .await
            .unwrap();
    }
    let store = Arc::new(SqliteStore::open(&path).await.unwrap());
    let pf = streampark_core::Platform::builder()
        .with_deployer(Arc::new(Recording::new()))
        .with_store(store.clone())
        .build()
        .await
        .unwrap();
    let id = streampark_core::JobId::new("keep").unwrap();
    assert_eq!(pf.versions(&p("a-developer"), &id).await.unwrap().len(), 1);
    // A new backend (a restarted host) never sees attempt 1 again.
    assert_eq!(pf.deploy(&p("a-developer"), &id).await.unwrap().attempt, 2);
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn version_history_on_postgres() {
    let Some(s) = postgres("history").await else {
        return;
    };
    history(Arc::new(s)).await;
}
