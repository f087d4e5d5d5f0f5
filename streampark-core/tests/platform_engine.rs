//! The platform over its engine, in virtual time: a governed job restarted by the supervisor
//! from its latest checkpoint, explicit restore paths honoured, several clusters of different
//! Flink versions with jobs placed by their requirement, SQL checked by the placed version, and
//! alerts raised for governed jobs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use streampark_core::platform::{Member, Platform, Principal, StopHow, Team, User};
use streampark_core::supervisor::CLUSTER_LABEL;
use streampark_core::testkit::{FaultPlan, SimDeployer, VirtualClock};
use streampark_core::{
    Alert, AlertError, AlertSink, Deployer, Error, FlinkVersion, JobId, JobSpec, JobState, Owner,
    RestartPolicy, Restore, Selector, Severity,
};

const SQL: &str = "CREATE TABLE src (a INT) WITH ('connector' = 'datagen');\n\
CREATE TABLE snk (a INT) WITH ('connector' = 'blackhole');\n\
INSERT INTO snk SELECT a FROM src;\n";

#[derive(Debug, Default)]
struct Sink(Mutex<Vec<Alert>>);

#[async_trait::async_trait]
impl AlertSink for Sink {
    fn name(&self) -> &str {
        "memory"
    }
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        self.0.lock().unwrap().push(alert.clone());
        Ok(())
    }
}

fn dev() -> Principal {
    Principal::user("ann")
}

fn spec(id: &str) -> JobSpec {
    JobSpec::sql(id, SQL)
        .unwrap()
        .with_owner(Owner::team("ads"))
        .with_restart(RestartPolicy::FixedDelay {
            delay: Duration::from_secs(5),
            max_attempts: 3,
        })
}

async fn seed(pf: &Platform) {
    let root = Principal::user("root");
    pf.put_user(&root, User::new("ann")).await.unwrap();
    pf.put_team(&root, Team::new("ads")).await.unwrap();
    pf.put_member(&root, Member::new("ads", "ann", "developer"))
        .await
        .unwrap();
}

async fn ticks(pf: &Platform, secs: u64) {
    for _ in 0..secs {
        pf.supervisor().tick().await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn one_cluster(sim: &SimDeployer, sink: Arc<Sink>) -> Platform {
    let clock = sim.clock().clone();
    let sup =
        streampark_core::Supervisor::builder(Arc::new(streampark_core::store::MemoryStore::new()))
            .with_id("engine-1")
            .with_cluster("local", Arc::new(sim.new_handle()))
            .with_alert_sink(sink)
            .with_clock(move || clock.now_ms())
            .build()
            .unwrap();
    let clock = sim.clock().clone();
    let pf = Platform::builder()
        .with_supervisor(sup)
        .with_clock(move || clock.now_ms())
        .with_admin("root")
        .build()
        .await
        .unwrap();
    seed(&pf).await;
    pf
}

#[tokio::test(start_paused = true)]
async fn a_governed_job_is_restarted_by_the_engine_from_its_latest_checkpoint() {
    let id = JobId::new("orders").unwrap();
    let sim = SimDeployer::builder()
        .with_checkpoint_interval(Duration::from_secs(10))
        .with_faults(FaultPlan::new().job_fails_at(
            &id,
            Duration::from_secs(65),
            "TaskManager lost",
        ))
        .build();
    let sink = Arc::new(Sink::default());
    let pf = one_cluster(&sim, sink.clone()).await;
    // `Restore::None`: the first start is empty, yet the restart after a failure resumes.
    pf.create_job(&dev(), spec("orders"), "v1").await.unwrap();
    let d1 = pf.deploy(&dev(), &id).await.unwrap();
    assert_eq!((d1.attempt, d1.restored_from.as_deref()), (1, None));
    let first = streampark_core::DeploymentId::new(&d1.deployment);

    ticks(&pf, 100).await;

    // Exactly one new attempt, live, restored from the failed attempt's latest checkpoint.
    let snaps = sim.list(&Selector::Job(id.clone())).await.unwrap();
    let live: Vec<u64> = snaps
        .iter()
        .filter(|s| s.state.is_live())
        .map(|s| s.attempt)
        .collect();
    assert_eq!(live, [2], "{snaps:?}");
    let failed = sim.inspect(&first).await.unwrap();
    assert_eq!(failed.snapshot.state, JobState::Failed);
    let cp = failed.latest_checkpoint.expect("attempt 1 checkpointed");
    let attempts = pf.supervisor().store().attempts(&id).await.unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[1].restore_from.as_deref(), Some(cp.path.as_str()));
    let status = pf.status(&dev(), &id).await.unwrap();
    assert_eq!((status.attempt, status.state), (2, Some(JobState::Running)));

    // The engine's log and the alert sink both saw the failure and the restart.
    let kinds: Vec<(u64, String)> = pf
        .events(&dev(), &id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.attempt, e.kind))
        .collect();
    assert!(kinds.contains(&(1, "failed".into())), "{kinds:?}");
    assert!(kinds.contains(&(2, "started".into())), "{kinds:?}");
    let alerts = sink.0.lock().unwrap().clone();
    assert!(
        alerts.iter().any(|a| a.severity == Severity::Major
            && a.label("event").as_deref() == Some("restarted")
            && a.job.as_deref() == Some("orders")
            && a.label("team").as_deref() == Some("ads")
            && a.label("cluster").as_deref() == Some("local")),
        "{alerts:?}"
    );

    // Stop with a savepoint: the engine keeps it stopped, no restart follows.
    pf.stop(&dev(), &id, StopHow::Savepoint).await.unwrap();
    ticks(&pf, 30).await;
    let snaps = sim.list(&Selector::Job(id.clone())).await.unwrap();
    assert!(snaps.iter().all(|s| !s.state.is_live()), "{snaps:?}");
    assert_eq!(
        pf.supervisor().store().attempts(&id).await.unwrap().len(),
        2
    );
}

#[tokio::test(start_paused = true)]
async fn an_explicit_restore_path_is_honoured_when_restore_points_exist() {
    let id = JobId::new("orders").unwrap();
    let sim = SimDeployer::builder()
        .with_checkpoint_interval(Duration::from_secs(10))
        .build();
    let pf = one_cluster(&sim, Arc::default()).await;
    pf.create_job(&dev(), spec("orders"), "v1").await.unwrap();
    pf.deploy(&dev(), &id).await.unwrap();
    ticks(&pf, 30).await;
    // A savepoint, then a stop with another: the job has restore points.
    pf.savepoint(&dev(), &id).await.unwrap();
    pf.stop(&dev(), &id, StopHow::Savepoint).await.unwrap();
    let chosen = "file:///savepoints/handpicked-1";
    let s = spec("orders").with_restore(Restore::Path(chosen.into()));
    pf.update_job(&dev(), s, "from a chosen savepoint")
        .await
        .unwrap();
    let d = pf.deploy(&dev(), &id).await.unwrap();
    assert_eq!(d.restored_from.as_deref(), Some(chosen));
    // `Restore::Latest` takes the newest one instead: the stop's savepoint.
    ticks(&pf, 30).await;
    pf.stop(&dev(), &id, StopHow::Savepoint).await.unwrap();
    let m = pf.job(&dev(), &id).await.unwrap();
    let last = m.last_savepoint.clone().expect("stop savepoint recorded");
    pf.update_job(
        &dev(),
        spec("orders").with_restore(Restore::Latest),
        "latest",
    )
    .await
    .unwrap();
    let d = pf.deploy(&dev(), &id).await.unwrap();
    assert_eq!(d.restored_from.as_deref(), Some(last.as_str()));
}

struct Fleet {
    pf: Platform,
    old: SimDeployer,
    new: SimDeployer,
}

async fn fleet() -> Fleet {
    let clock = VirtualClock::tokio();
    let sim = |c: &VirtualClock| {
        SimDeployer::builder()
            .with_clock(c.clone())
            .with_startup_delay(Duration::ZERO)
            .build()
    };
    let (old, new) = (sim(&clock), sim(&clock));
    let c = clock.clone();
    let pf = Platform::builder()
        .with_cluster_version(
            "cdp",
            Arc::new(old.new_handle()),
            "1.17.2".parse::<FlinkVersion>().unwrap(),
        )
        .with_cluster_version(
            "k8s",
            Arc::new(new.new_handle()),
            "2.3.0".parse::<FlinkVersion>().unwrap(),
        )
        .with_clock(move || c.now_ms())
        .with_admin("root")
        .build()
        .await
        .unwrap();
    seed(&pf).await;
    Fleet { pf, old, new }
}

#[tokio::test(start_paused = true)]
async fn jobs_land_on_the_cluster_whose_flink_version_satisfies_them() {
    let Fleet { pf, old, new } = fleet().await;
    let modern = spec("modern").with_flink_version(">=2.0").unwrap();
    let legacy = spec("legacy").with_flink_version("1.x").unwrap();
    let any = spec("any");
    for s in [modern.clone(), legacy.clone(), any.clone()] {
        pf.create_job(&dev(), s, "v1").await.unwrap();
    }
    let m = pf.deploy(&dev(), &modern.id).await.unwrap();
    let l = pf.deploy(&dev(), &legacy.id).await.unwrap();
    let a = pf.deploy(&dev(), &any.id).await.unwrap();
    assert_eq!(
        (m.cluster.as_str(), l.cluster.as_str(), a.cluster.as_str()),
        ("k8s", "cdp", "cdp")
    );
    let on = |sim: &SimDeployer, job: &JobId| {
        let (sim, job) = (sim.clone(), job.clone());
        async move { sim.list(&Selector::Job(job)).await.unwrap().len() }
    };
    assert_eq!(on(&new, &modern.id).await, 1);
    assert_eq!(on(&old, &modern.id).await, 0);
    assert_eq!(on(&old, &legacy.id).await, 1);
    assert_eq!(on(&new, &legacy.id).await, 0);
    // The engine keeps each on its cluster.
    ticks(&pf, 10).await;
    assert_eq!(pf.status(&dev(), &modern.id).await.unwrap().cluster, "k8s");
}

#[tokio::test(start_paused = true)]
async fn an_unsatisfiable_requirement_fails_before_anything_starts() {
    let Fleet { pf, old, new } = fleet().await;
    let future = spec("future").with_flink_version(">=3.0").unwrap();
    let e = pf
        .create_job(&dev(), future.clone(), "v1")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains(">=3.0") && text.contains("cdp=1.17.2") && text.contains("k8s=2.3.0"),
        "{text}"
    );
    // A job pinned to a cluster that does not satisfy it is refused too.
    let pinned = spec("pinned")
        .with_flink_version(">=2.0")
        .unwrap()
        .with_label(CLUSTER_LABEL, "cdp");
    let e = pf.create_job(&dev(), pinned, "v1").await.unwrap_err();
    assert!(
        e.to_string().contains("cluster `cdp` does not satisfy"),
        "{e}"
    );
    // An edit that makes a job unsatisfiable is refused and nothing was deployed anywhere.
    pf.create_job(&dev(), spec("edited"), "v1").await.unwrap();
    let e = pf
        .update_job(
            &dev(),
            spec("edited").with_flink_version("<1.15").unwrap(),
            "v2",
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    assert_eq!(old.stats().deploys + new.stats().deploys, 0);
    assert!(pf.supervisor().jobs().await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn sql_is_checked_by_the_version_of_the_cluster_the_job_lands_on() {
    let Fleet { pf, old, .. } = fleet().await;
    // Materialized tables exist from Flink 2.0 on (in this checker's model).
    let newer_sql = format!(
        "{SQL}CREATE MATERIALIZED TABLE m FRESHNESS = INTERVAL '1' MINUTE AS SELECT a FROM src;\n"
    );
    let mk = |id: &str, req: &str| {
        JobSpec::sql(id, &newer_sql)
            .unwrap()
            .with_owner(Owner::team("ads"))
            .with_flink_version(req)
            .unwrap()
    };
    // Accepted for the 2.x job.
    pf.create_job(&dev(), mk("modern", ">=2.0"), "v1")
        .await
        .unwrap();
    // Rejected for the 1.x job, with the version named, before anything starts.
    let e = pf
        .create_job(&dev(), mk("legacy", "1.x"), "v1")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    assert!(e.to_string().contains("Flink 1.17"), "{e}");
    // The check endpoint agrees with the placement.
    let r = pf
        .check(&dev(), &JobId::new("modern").unwrap(), None)
        .await
        .unwrap();
    assert!(r.is_valid(), "{r:?}");
    assert_eq!(old.stats().deploys, 0);
}

#[path = "platform_support/mod.rs"]
mod platform_support;

/// Reading jobs never waits behind a tick whose deploy is slow: the engine publishes its views
/// at the end of each tick and operation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_jobs_never_waits_behind_a_slow_deploy() {
    let cluster = platform_support::Recording::gated();
    let gate = cluster.gate.clone().unwrap();
    let pf = Platform::builder()
        .with_cluster("gated", Arc::new(cluster.clone()))
        .with_admin("root")
        .build()
        .await
        .unwrap();
    seed(&pf).await;
    pf.create_job(&dev(), spec("slow"), "v1").await.unwrap();
    let id = JobId::new("slow").unwrap();
    let deploy = tokio::spawn({
        let pf = pf.clone();
        let id = id.clone();
        async move { pf.deploy(&dev(), &id).await }
    });
    gate.entered.notified().await;
    // The deploy is stuck at the cluster, inside a tick holding the engine's state.
    let view = tokio::time::timeout(Duration::from_secs(2), pf.supervisor().job(&id))
        .await
        .expect("read without waiting for the tick");
    assert_eq!(
        view.map(|v| v.attempt),
        Some(0),
        "before the attempt is published"
    );
    let status = tokio::time::timeout(Duration::from_secs(2), pf.status(&dev(), &id))
        .await
        .expect("status without waiting");
    assert_eq!(status.unwrap().attempt, 0);
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(2), pf.supervisor().jobs())
            .await
            .expect("jobs without waiting")
            .len(),
        1
    );
    gate.open_once();
    let d = deploy.await.unwrap().unwrap();
    assert_eq!(d.attempt, 1);
    assert_eq!(pf.supervisor().job(&id).await.unwrap().attempt, 1);
}
