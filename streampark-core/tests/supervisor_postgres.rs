//! `PostgresStore` against a real PostgreSQL server, and two supervisors sharing it.
//!
//! Runs when `STREAMPARK_IT_POSTGRES_URL` is set (`scripts/ci-supervisor.sh` starts a server);
//! otherwise every test prints "skipped" and passes. Each test works in its own schema.
#![cfg(all(feature = "postgres", feature = "testkit"))]

mod pg_support;

use std::sync::Arc;
use std::time::Duration;

use streampark_core::store::{NewAttempt, PostgresStore, StateStore};
use streampark_core::supervisor::Supervisor;
use streampark_core::testkit::{FaultPlan, SimDeployer};
use streampark_core::{Deployer, JobId, JobSpec, RestartPolicy, Selector};

/// A store in a fresh schema, or `None` (skipped) without a server.
async fn store(name: &str) -> Option<PostgresStore> {
    let url = pg_support::fresh_schema_url(&format!("t_{name}")).await?;
    Some(PostgresStore::connect(&url).await.expect("store"))
}

#[tokio::test]
async fn postgres_store_behaves() {
    let Some(s) = store("behaves").await else {
        return;
    };
    assert_eq!(s.schema_version().await.unwrap(), 2);
    streampark_core::store::conformance::behaviour(&s).await;
}

#[tokio::test]
async fn concurrent_swaps_have_exactly_one_winner() {
    let Some(s) = store("cas").await else { return };
    let spec = JobSpec::sql("race", "INSERT INTO k SELECT 1").unwrap();
    s.put_job(&spec, 0).await.unwrap();
    let tries = (0..16).map(|i| {
        let s = s.clone();
        let id = spec.id.clone();
        tokio::spawn(async move {
            s.begin_attempt(NewAttempt::next(id, 0, format!("r{i}"), 0))
                .await
        })
    });
    let results = futures::future::join_all(tries).await;
    let won = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
    let fenced = results
        .iter()
        .filter(|r| matches!(r, Ok(Err(e)) if e.is_fenced()))
        .count();
    assert_eq!((won, fenced), (1, 15));
    assert_eq!(s.attempts(&spec.id).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_supervisors_on_one_database_one_acts() {
    let Some(a) = store("two").await else { return };
    // A second connection pool on the same schema, as a second host replica would have.
    let url = std::env::var("STREAMPARK_IT_POSTGRES_URL").unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let b = PostgresStore::connect(&format!(
        "{url}{sep}options=-c%20search_path%3Dt_two_{}",
        std::process::id()
    ))
    .await
    .unwrap();
    let job = JobId::new("pg-shared").unwrap();
    // Real time here (a real database): the sim fails the job 3 s after it started.
    let sim = SimDeployer::builder()
        .with_startup_delay(Duration::from_millis(200))
        .with_faults(FaultPlan::new().slow_calls(Duration::from_millis(30)))
        .build();
    let clock = sim.clock().clone();
    let make = |id: &str, store: PostgresStore| {
        let clock = clock.clone();
        Supervisor::builder(Arc::new(store))
            .with_id(id)
            .with_cluster("sim", Arc::new(sim.new_handle()))
            .with_clock(move || clock.now_ms())
            // Longer than the test: the replica that acted first keeps acting.
            .with_lease_ttl(Duration::from_secs(600))
            .with_reload_every(1)
            .build()
            .unwrap()
    };
    let s1 = make("replica-1", a.clone());
    let s2 = make("replica-2", b.clone());
    s1.manage(
        JobSpec::sql("pg-shared", "-- sim: fail-after 3s\nINSERT INTO k SELECT 1")
            .unwrap()
            .with_restart(RestartPolicy::FixedDelay {
                delay: Duration::from_millis(500),
                max_attempts: 2,
            }),
    )
    .await
    .unwrap();
    let mut max_live = 0;
    for _ in 0..120 {
        let (r1, r2) = tokio::join!(s1.tick(), s2.tick());
        r1.unwrap();
        r2.unwrap();
        let live = sim
            .list(&Selector::Job(job.clone()))
            .await
            .unwrap()
            .iter()
            .filter(|s| s.state.is_live())
            .count();
        max_live = max_live.max(live);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(max_live <= 1, "two live attempts seen");
    let attempts = a.attempts(&job).await.unwrap();
    // 1 start + 2 restarts, then the budget is spent.
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert_eq!(
        sim.stats().deploys,
        3,
        "every attempt deployed once, by one replica"
    );
    let owners: std::collections::BTreeSet<_> = attempts.iter().map(|a| a.owner.clone()).collect();
    assert_eq!(
        owners.len(),
        1,
        "one replica held the lease and acted: {owners:?}"
    );
    let events = b.events(Some(&job), 0, 1000).await.unwrap();
    let started = events.iter().filter(|e| e.kind == "started").count();
    assert_eq!(started, 3, "each start recorded once: {events:?}");
    assert_eq!(events.iter().filter(|e| e.kind == "gave_up").count(), 1);
}

/// A database the earlier release's platform store wrote (its own `pf_schema` at version 1,
/// `pf_docs`, the attempt counter `pf_attempts`, `pf_audit`; the statements that release ran)
/// opens as one store: documents and audit kept, the counter turned into floors.
#[tokio::test]
async fn a_database_of_the_previous_release_is_upgraded() {
    let Some(url) = pg_support::fresh_schema_url("t_upgrade").await else {
        return;
    };
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    for stmt in [
        "CREATE TABLE pf_schema (version BIGINT NOT NULL)",
        "INSERT INTO pf_schema (version) VALUES (1)",
        "CREATE TABLE pf_docs (kind TEXT NOT NULL, k1 TEXT NOT NULL, k2 TEXT NOT NULL, \
         doc TEXT NOT NULL, PRIMARY KEY (kind, k1, k2))",
        "CREATE TABLE pf_attempts (job TEXT PRIMARY KEY, last BIGINT NOT NULL)",
        "CREATE TABLE pf_audit (seq BIGSERIAL PRIMARY KEY, ts_ms BIGINT NOT NULL, \
         user_id TEXT NOT NULL, job TEXT, team TEXT, doc TEXT NOT NULL)",
        "INSERT INTO pf_docs VALUES ('team', 'data', '', '{\"id\":\"data\"}')",
        "INSERT INTO pf_attempts VALUES ('orders', 7), ('unused', 0)",
    ] {
        sqlx::query(stmt).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let s = PostgresStore::connect(&url).await.unwrap();
    assert_eq!(s.schema_version().await.unwrap(), 2);
    use streampark_core::store::{DocKind, Store};
    assert_eq!(
        s.doc(DocKind::Team, "data", "").await.unwrap().as_deref(),
        Some("{\"id\":\"data\"}")
    );
    let floors = s.docs(DocKind::AttemptFloor, None).await.unwrap();
    assert_eq!(floors.len(), 1, "{floors:?}");
    assert_eq!(
        (floors[0].key.as_str(), floors[0].json.as_str()),
        ("orders", "7")
    );
    // Reopening runs nothing twice.
    let again = PostgresStore::connect(&url).await.unwrap();
    assert_eq!(
        again.docs(DocKind::AttemptFloor, None).await.unwrap().len(),
        1
    );
}
