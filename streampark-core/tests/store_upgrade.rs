//! A store written by the release before the one engine (commit 80d57fd: the platform's own
//! tables with their own schema table and attempt counter, plus a supervised job in the same
//! file; see `tests/data/store/README.md`) opens with today's code: users, teams, roles,
//! members, variables (the secret still secret), jobs, versions, deploy records and audit
//! intact; its jobs become engine jobs that continue above their old attempt numbers, a
//! deployment still running is adopted (never started twice) and supervised, one that is gone
//! is not restarted.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use streampark_core::platform::{AuditOutcome, AuditQuery, MASK, ManagedJob, Platform, Principal};
use streampark_core::store::{
    AttemptStatus, DesiredState, DocKind, SqliteStore, StateStore, Store,
};
use streampark_core::testkit::{FaultPlan, SimDeployer, VirtualClock};
use streampark_core::{DeployRequest, Deployer, JobId, JobState, Selector};

const FILE: &str = "store-80d57fd.db";

/// A private copy of the kept file (the test writes to it).
fn copy_of_old_store(dir: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/store")
        .join(FILE);
    let dst = dir.join(FILE);
    std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
    dst
}

fn sim() -> SimDeployer {
    SimDeployer::builder()
        .with_clock(VirtualClock::manual())
        .with_startup_delay(Duration::ZERO)
        .build()
}

async fn platform(store: Arc<dyn Store>, sim: &SimDeployer) -> Platform {
    let clock = sim.clock().clone();
    Platform::builder()
        .with_deployer(Arc::new(sim.new_handle()))
        .with_store(store)
        .with_engine_id("engine-new")
        .with_clock(move || clock.now_ms())
        .with_start_wait(Duration::from_secs(5))
        .build()
        .await
        .unwrap()
}

fn id(s: &str) -> JobId {
    JobId::new(s).unwrap()
}

#[tokio::test]
async fn a_store_of_the_previous_release_opens_with_everything_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = copy_of_old_store(dir.path());
    let store = Arc::new(SqliteStore::open(&path).await.unwrap());
    assert_eq!(store.schema_version().await.unwrap(), 2);
    // The old counter became floors, consumed when the platform is built.
    let floors = store.docs(DocKind::AttemptFloor, None).await.unwrap();
    let mut floor_jobs: Vec<&str> = floors.iter().map(|d| d.key.as_str()).collect();
    floor_jobs.sort_unstable();
    assert_eq!(floor_jobs, ["orders", "payments"]);

    let sim = sim();
    let pf = platform(store.clone(), &sim).await;
    let root = Principal::user("root");
    let alice = Principal::user("alice");
    let bob = Principal::user("bob");
    assert!(
        store
            .docs(DocKind::AttemptFloor, None)
            .await
            .unwrap()
            .is_empty()
    );

    // Governance records.
    let mut users: Vec<String> = pf
        .users(&root)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    users.sort();
    assert_eq!(users, ["alice", "bob", "carol", "root"]);
    let mut teams: Vec<String> = pf
        .teams(&root)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    teams.sort();
    assert_eq!(teams, ["bi", "data"]);
    assert!(
        pf.roles(&root)
            .await
            .unwrap()
            .iter()
            .any(|r| r.name == "deployer")
    );
    let members: Vec<(String, String)> = pf
        .members(&root, "data")
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.user, m.role))
        .collect();
    assert!(members.contains(&("alice".into(), "developer".into())));
    assert!(members.contains(&("bob".into(), "operator".into())));
    let vars = pf.variables(&root, "data").await.unwrap();
    let secret = vars.iter().find(|v| v.name == "db_password").unwrap();
    assert!(secret.secret);
    assert_eq!(secret.shown(), MASK);
    assert!(!format!("{vars:?}").contains("s3cr3t-80d57fd"));
    assert_eq!(
        vars.iter().find(|v| v.name == "sink_table").unwrap().value,
        "snk"
    );

    // Jobs, versions, deploy records, audit.
    let mut jobs: Vec<String> = pf
        .list(&root)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.current.spec.id.to_string())
        .collect();
    jobs.sort();
    assert_eq!(jobs, ["clicks", "orders", "payments"]);
    let versions = pf.versions(&alice, &id("orders")).await.unwrap();
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[2].message, "back to v1");
    assert_eq!(versions[0].spec, versions[2].spec);
    assert_ne!(versions[0].spec, versions[1].spec);
    let old_deploys = pf.deploys(&alice, &id("orders")).await.unwrap();
    assert_eq!(
        old_deploys.iter().map(|d| d.attempt).collect::<Vec<_>>(),
        [1]
    );
    let audit = pf
        .audit(&root, AuditQuery::new().with_page(0, 500))
        .await
        .unwrap();
    // The old release's clock ran from 1_780_000_000_000; this simulator's starts earlier.
    let old: Vec<_> = audit
        .iter()
        .filter(|r| r.ts_ms >= 1_780_000_000_000)
        .collect();
    assert_eq!(old.len(), 22, "{old:#?}");
    assert!(
        old.iter().any(|r| r.user == "carol"
            && r.action == "job.deploy"
            && r.job.as_deref() == Some("orders")
            && r.outcome == AuditOutcome::Denied),
        "carol's denied deploy is kept"
    );

    // The engine knows the deployed jobs now: both ended (nothing of them runs on this
    // cluster), wanted stopped, at their old attempt; the never-deployed job stays unknown.
    for job in ["orders", "payments"] {
        let rec = store.job(&id(job)).await.unwrap().expect(job);
        assert_eq!((rec.last_attempt, rec.desired), (1, DesiredState::Stopped));
        let attempts = store.attempts(&id(job)).await.unwrap();
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].status, AttemptStatus::Ended);
        let events = store.events(Some(&id(job)), 0, 10).await.unwrap();
        assert_eq!(
            events.iter().filter(|e| e.kind == "store_upgraded").count(),
            1
        );
    }
    assert!(store.job(&id("clicks")).await.unwrap().is_none());

    // Ticks restart nothing; the next deploy continues above the old attempt.
    for _ in 0..3 {
        pf.supervisor().tick().await.unwrap();
    }
    assert_eq!(sim.stats().deploys, 0);
    let d = pf.deploy(&bob, &id("orders")).await.unwrap();
    assert_eq!(d.attempt, 2);
    let after: Vec<u64> = pf
        .deploys(&alice, &id("orders"))
        .await
        .unwrap()
        .iter()
        .map(|d| d.attempt)
        .collect();
    assert_eq!(after, [1, 2], "the old record is kept beside the new one");
    let first = pf.deploy(&bob, &id("clicks")).await.unwrap();
    assert_eq!(first.attempt, 1);

    // Opening again imports nothing twice.
    drop(pf);
    let pf = platform(store.clone(), &sim).await;
    let events = store.events(Some(&id("payments")), 0, 10).await.unwrap();
    assert_eq!(
        events.iter().filter(|e| e.kind == "store_upgraded").count(),
        1
    );
    pf.supervisor().tick().await.unwrap();
    assert_eq!(pf.supervisor().job(&id("orders")).await.unwrap().attempt, 2);
    // The supervised job the old file held is the engine's as it was.
    let sessions = store.job(&id("sessions")).await.unwrap().unwrap();
    assert_eq!(sessions.last_attempt, 1);
}

#[tokio::test]
async fn a_deployment_still_running_is_adopted_and_then_supervised() {
    let dir = tempfile::tempdir().unwrap();
    let path = copy_of_old_store(dir.path());
    let store = Arc::new(SqliteStore::open(&path).await.unwrap());
    let sim = sim();
    let job = id("payments");
    // `payments` was left running by the old platform: put its deployment on this cluster
    // (same job, same attempt) and point the old record at it.
    let doc = store
        .doc(DocKind::Job, "payments", "")
        .await
        .unwrap()
        .unwrap();
    let mut m: ManagedJob = serde_json::from_str(&doc).unwrap();
    let rec = m.deployed.clone().unwrap();
    let live = sim
        .deploy(DeployRequest::new(rec.resolved.clone(), rec.attempt))
        .await
        .unwrap();
    let mut rec = rec;
    rec.deployment = live.id.as_str().to_string();
    m.deployed = Some(rec);
    store
        .put_doc(
            DocKind::Job,
            "payments",
            "",
            &serde_json::to_string(&m).unwrap(),
        )
        .await
        .unwrap();
    sim.inject(FaultPlan::new().job_fails_at(&job, Duration::from_secs(30), "TaskManager lost"));

    let pf = platform(store.clone(), &sim).await;
    let view = pf.supervisor().job(&job).await.expect("adopted");
    assert_eq!(
        (view.attempt, view.desired, view.deployment.as_ref()),
        (1, DesiredState::Running, Some(&live.id))
    );
    for _ in 0..3 {
        pf.supervisor().tick().await.unwrap();
    }
    assert_eq!(sim.stats().deploys, 1, "adopted, not started again");

    // It fails: the engine restarts it by its policy, once.
    sim.clock().advance(Duration::from_secs(31));
    for _ in 0..40 {
        pf.supervisor().tick().await.unwrap();
        sim.clock().advance(Duration::from_secs(5));
    }
    let snaps = sim.list(&Selector::Job(job.clone())).await.unwrap();
    let live_attempts: Vec<u64> = snaps
        .iter()
        .filter(|s| s.state.is_live())
        .map(|s| s.attempt)
        .collect();
    assert_eq!(live_attempts, [2], "{snaps:?}");
    assert_eq!(
        snaps.iter().find(|s| s.attempt == 1).unwrap().state,
        JobState::Failed
    );
}

#[tokio::test]
async fn an_unreachable_cluster_fails_the_upgrade_instead_of_guessing() {
    let dir = tempfile::tempdir().unwrap();
    let path = copy_of_old_store(dir.path());
    let store = Arc::new(SqliteStore::open(&path).await.unwrap());
    let sim = sim();
    sim.inject(FaultPlan::new().unreachable_between(Duration::ZERO, Duration::from_secs(3600)));
    let clock = sim.clock().clone();
    let err = Platform::builder()
        .with_deployer(Arc::new(sim.new_handle()))
        .with_store(store.clone())
        .with_clock(move || clock.now_ms())
        .build()
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    // Nothing was half-imported: the floors are still there for the next try.
    assert_eq!(
        store.docs(DocKind::AttemptFloor, None).await.unwrap().len(),
        2
    );
    sim.clock().advance(Duration::from_secs(3601));
    let pf = platform(store.clone(), &sim).await;
    assert!(pf.supervisor().job(&id("orders")).await.is_some());
}
