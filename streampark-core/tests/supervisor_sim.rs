//! Supervisor behaviour over the simulator, in virtual time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use streampark_core::store::{AttemptStatus, DesiredState, MemoryStore, NewAttempt, StateStore};
use streampark_core::supervisor::{CheckpointHealth, JobEvent, JobEventKind, Supervisor};
use streampark_core::testkit::{FaultPlan, SimDeployer};
use streampark_core::{
    Alert, AlertError, AlertSink, Deployer, JobId, JobSpec, JobState, RestartPolicy, Restore,
    Selector, Severity, StopOptions,
};

#[derive(Debug, Default)]
struct Sink(Mutex<Vec<Alert>>);

#[async_trait::async_trait]
impl AlertSink for Sink {
    fn name(&self) -> &str {
        "test"
    }
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        self.0.lock().unwrap().push(alert.clone());
        Ok(())
    }
}

impl Sink {
    fn with(&self, sev: Severity, event: &str) -> Vec<Alert> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.severity == sev && a.label("event").as_deref() == Some(event))
            .cloned()
            .collect()
    }
}

fn spec(id: &str) -> JobSpec {
    JobSpec::sql(id, "INSERT INTO k SELECT 1").unwrap()
}

fn fixed(delay_s: u64, max: u32) -> RestartPolicy {
    RestartPolicy::FixedDelay {
        delay: Duration::from_secs(delay_s),
        max_attempts: max,
    }
}

fn supervisor(
    sim: &SimDeployer,
    store: Arc<dyn streampark_core::store::Store>,
    sink: Arc<Sink>,
    id: &str,
) -> Supervisor {
    let clock = sim.clock().clone();
    Supervisor::builder(store)
        .with_id(id)
        .with_cluster("sim", Arc::new(sim.new_handle()))
        .with_alert_sink(sink)
        .with_clock(move || clock.now_ms())
        .with_lost_grace(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Ticks every second for `secs` seconds of virtual time.
async fn run(sup: &Supervisor, secs: u64) {
    for _ in 0..secs {
        sup.tick().await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn drain(rx: &mut tokio::sync::broadcast::Receiver<JobEvent>) -> Vec<JobEvent> {
    let mut v = vec![];
    while let Ok(e) = rx.try_recv() {
        v.push(e);
    }
    v
}

async fn live_attempts(sim: &SimDeployer, job: &str) -> Vec<u64> {
    let j = JobId::new(job).unwrap();
    sim.list(&Selector::Job(j))
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.state.is_live())
        .map(|s| s.attempt)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn one_list_per_cluster_per_tick_whatever_the_number_of_jobs() {
    let a = SimDeployer::new();
    let b = SimDeployer::builder().with_clock(a.clock().clone()).build();
    let clock = a.clock().clone();
    let sup = Supervisor::builder(Arc::new(MemoryStore::new()))
        .with_cluster("a", Arc::new(a.clone()))
        .with_cluster("b", Arc::new(b.clone()))
        .with_clock(move || clock.now_ms())
        .build()
        .unwrap();
    for i in 0..60 {
        let s = spec(&format!("job-{i}"));
        let s = if i % 2 == 0 {
            s.with_label("streampark.cluster", "b")
        } else {
            s
        };
        sup.manage(s).await.unwrap();
    }
    run(&sup, 10).await;
    assert_eq!(a.stats().deploys + b.stats().deploys, 60);
    assert!(
        sup.jobs()
            .await
            .iter()
            .all(|j| j.state == Some(JobState::Running))
    );
    let (la, lb) = (a.stats().lists, b.stats().lists);
    for _ in 0..20 {
        assert_eq!(sup.tick().await.unwrap(), 2);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(a.stats().lists - la, 20, "one list per tick on cluster a");
    assert_eq!(b.stats().lists - lb, 20, "one list per tick on cluster b");
    assert_eq!(a.stats().inspects + b.stats().inspects, 0);
    assert_eq!(
        a.stats().deploys + b.stats().deploys,
        60,
        "nothing redeployed"
    );
    assert_eq!(live_attempts(&b, "job-0").await, vec![1]);
}

#[tokio::test(start_paused = true)]
async fn a_failed_job_restarts_once_from_its_latest_checkpoint() {
    let job = JobId::new("orders").unwrap();
    let sim = SimDeployer::builder()
        .with_faults(FaultPlan::new().job_fails_at(
            &job,
            Duration::from_secs(65),
            "TaskManager lost",
        ))
        .build();
    let sink = Arc::new(Sink::default());
    let store = Arc::new(MemoryStore::new());
    let sup = supervisor(&sim, store.clone(), sink.clone(), "s1");
    let mut rx = sup.subscribe();
    sup.manage(
        spec("orders")
            .with_restore(Restore::Latest)
            .with_restart(fixed(5, 3)),
    )
    .await
    .unwrap();
    run(&sup, 100).await;
    let attempts = store.attempts(&job).await.unwrap();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(attempts[0].final_state, Some(JobState::Failed));
    assert_eq!(attempts[0].reason.as_deref(), Some("TaskManager lost"));
    // Attempt 1 ran from t=2 s (startup) with a checkpoint every 10 s until it failed at 65 s:
    // its sixth checkpoint is the latest.
    let first = attempts[0].deployment.clone().unwrap();
    let expected = format!("file:///sim/checkpoints/{first}/chk-6");
    assert_eq!(attempts[1].restore_from.as_deref(), Some(expected.as_str()));
    let second = attempts[1].deployment.clone().unwrap();
    let d = sim.inspect(&second).await.unwrap();
    assert_eq!(d.restored_from.as_deref(), Some(expected.as_str()));
    assert_eq!(d.snapshot.state, JobState::Running);
    assert_eq!(sim.stats().deploys, 2);
    let evs = drain(&mut rx);
    let kinds: Vec<_> = evs.iter().map(|e| &e.kind).collect();
    assert!(
        kinds.contains(&&JobEventKind::Started { restart: true }),
        "{kinds:?}"
    );
    let sched = evs
        .iter()
        .find_map(|e| match e.kind {
            JobEventKind::RestartScheduled { after_ms, failures } => Some((after_ms, failures)),
            _ => None,
        })
        .unwrap();
    assert_eq!(sched, (5_000, 1));
    assert_eq!(sink.with(Severity::Major, "restarted").len(), 1);
    assert_eq!(sink.with(Severity::Info, "started").len(), 1);
    // The store's log has the story.
    let log: Vec<String> = store
        .events(Some(&job), 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        log.iter().any(|k| k == "failed") && log.iter().filter(|k| *k == "started").count() == 2,
        "{log:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn exponential_backoff_then_the_budget_is_exhausted() {
    let sim = SimDeployer::new();
    let sink = Arc::new(Sink::default());
    let store = Arc::new(MemoryStore::new());
    let sup = supervisor(&sim, store.clone(), sink.clone(), "s1");
    let mut rx = sup.subscribe();
    let s = JobSpec::sql("crashy", "-- sim: fail-after 3s\nINSERT INTO k SELECT 1")
        .unwrap()
        .with_restart(RestartPolicy::ExponentialBackoff {
            initial: Duration::from_secs(10),
            max: Duration::from_secs(30),
            multiplier: 2.0,
            max_attempts: 3,
        });
    sup.manage(s).await.unwrap();
    run(&sup, 300).await;
    let evs = drain(&mut rx);
    let delays: Vec<u64> = evs
        .iter()
        .filter_map(|e| match e.kind {
            JobEventKind::RestartScheduled { after_ms, .. } => Some(after_ms),
            _ => None,
        })
        .collect();
    assert_eq!(delays, vec![10_000, 20_000, 30_000]);
    let job = JobId::new("crashy").unwrap();
    assert_eq!(
        store.attempts(&job).await.unwrap().len(),
        4,
        "1 start + 3 restarts"
    );
    assert_eq!(sim.stats().deploys, 4);
    assert!(evs.iter().any(
        |e| matches!(&e.kind, JobEventKind::GaveUp { reason } if reason.contains("4 consecutive"))
    ));
    assert_eq!(sink.with(Severity::Critical, "gave_up").len(), 1);
    assert_eq!(
        store.job(&job).await.unwrap().unwrap().desired,
        DesiredState::Stopped
    );
    // Nothing more happens afterwards.
    run(&sup, 100).await;
    assert_eq!(sim.stats().deploys, 4);
    // Asked for again, the job gets a fresh budget.
    let again = store.job(&job).await.unwrap().unwrap().spec;
    sup.manage(again).await.unwrap();
    run(&sup, 2).await;
    assert_eq!(sim.stats().deploys, 5);
    assert_eq!(live_attempts(&sim, "crashy").await, vec![5]);
    run(&sup, 20).await;
    assert_eq!(
        sim.stats().deploys,
        6,
        "restarted after 10 s, the first delay again"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_cluster_is_lost_not_failed() {
    let sim = SimDeployer::builder()
        .with_faults(
            FaultPlan::new().unreachable_between(Duration::from_secs(20), Duration::from_secs(300)),
        )
        .build();
    let sink = Arc::new(Sink::default());
    let store = Arc::new(MemoryStore::new());
    let sup = supervisor(&sim, store.clone(), sink.clone(), "s1");
    let mut rx = sup.subscribe();
    sup.manage(spec("a")).await.unwrap();
    run(&sup, 200).await;
    let job = JobId::new("a").unwrap();
    assert_eq!(sup.job(&job).await.unwrap().state, Some(JobState::Lost));
    run(&sup, 110).await;
    let v = sup.job(&job).await.unwrap();
    assert_eq!((v.attempt, v.state), (1, Some(JobState::Running)));
    assert_eq!(
        sim.stats().deploys,
        1,
        "no restart while the cluster could not be seen"
    );
    let evs = drain(&mut rx);
    assert_eq!(
        evs.iter()
            .filter(|e| matches!(e.kind, JobEventKind::Lost { .. }))
            .count(),
        1
    );
    assert!(
        !evs.iter()
            .any(|e| matches!(e.kind, JobEventKind::Failed { .. }))
    );
}

#[tokio::test(start_paused = true)]
async fn a_vanished_job_counts_as_failed_only_after_the_grace() {
    let job = JobId::new("v").unwrap();
    let sim = SimDeployer::builder()
        .with_faults(FaultPlan::new().job_vanishes_at(&job, Duration::from_secs(30)))
        .build();
    let store = Arc::new(MemoryStore::new());
    let sup = supervisor(&sim, store.clone(), Arc::new(Sink::default()), "s1");
    sup.manage(spec("v").with_restart(fixed(0, 3)))
        .await
        .unwrap();
    run(&sup, 85).await; // vanished at 30 s, grace 60 s: not yet
    assert_eq!(sim.stats().deploys, 1);
    assert_eq!(sup.job(&job).await.unwrap().state, Some(JobState::Lost));
    run(&sup, 20).await;
    assert_eq!(sim.stats().deploys, 2);
    let a = store.attempts(&job).await.unwrap();
    assert_eq!(a[0].final_state, Some(JobState::Lost));
    assert_eq!(live_attempts(&sim, "v").await, vec![2]);
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_deploy_is_resolved_by_its_tag_not_retried() {
    let sim = SimDeployer::builder()
        .with_faults(FaultPlan::new().deploys_time_out_after_starting(1))
        .build();
    let store = Arc::new(MemoryStore::new());
    let sup = supervisor(&sim, store.clone(), Arc::new(Sink::default()), "s1");
    sup.manage(spec("t")).await.unwrap();
    run(&sup, 400).await;
    assert_eq!(sim.stats().deploys, 1);
    let job = JobId::new("t").unwrap();
    let a = store.attempts(&job).await.unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].status, AttemptStatus::Deployed);
    assert!(a[0].deployment.is_some());
    assert_eq!(sup.job(&job).await.unwrap().state, Some(JobState::Running));
}

#[tokio::test(start_paused = true)]
async fn a_restarted_host_adopts_what_runs_and_deploys_nothing() {
    let sim = SimDeployer::new();
    let store = Arc::new(MemoryStore::new());
    let sup = supervisor(&sim, store.clone(), Arc::new(Sink::default()), "s1");
    sup.manage(spec("a")).await.unwrap();
    run(&sup, 10).await;
    drop(sup);
    let sup2 = supervisor(&sim, store.clone(), Arc::new(Sink::default()), "s2");
    run(&sup2, 30).await;
    assert_eq!(sim.stats().deploys, 1);
    let v = sup2.job(&JobId::new("a").unwrap()).await.unwrap();
    assert_eq!((v.attempt, v.state), (1, Some(JobState::Running)));

    // A host with an empty store finds the running deployment and adopts it.
    let sink = Arc::new(Sink::default());
    let fresh = supervisor(&sim, Arc::new(MemoryStore::new()), sink.clone(), "s3");
    let mut rx = fresh.subscribe();
    fresh.manage(spec("a")).await.unwrap();
    run(&fresh, 10).await;
    assert_eq!(sim.stats().deploys, 1);
    assert!(
        drain(&mut rx)
            .iter()
            .any(|e| e.kind == JobEventKind::Adopted && e.attempt == 1)
    );
    assert_eq!(sink.with(Severity::Info, "adopted").len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_crash_between_recording_and_deploying_is_recovered() {
    let sim = SimDeployer::new();
    let store = Arc::new(MemoryStore::new());
    let clock = sim.clock().clone();
    let s = spec("c");
    store.put_job(&s, clock.now_ms()).await.unwrap();
    // The previous host recorded attempt 1 and died before deploying it.
    store
        .begin_attempt(NewAttempt::next(
            s.id.clone(),
            0,
            "dead-host",
            clock.now_ms(),
        ))
        .await
        .unwrap();
    let sup = supervisor(&sim, store.clone(), Arc::new(Sink::default()), "s2");
    run(&sup, 100).await;
    assert_eq!(sim.stats().deploys, 0, "waits for the deploy timeout first");
    run(&sup, 40).await;
    assert_eq!(sim.stats().deploys, 1);
    assert_eq!(
        live_attempts(&sim, "c").await,
        vec![1],
        "the same attempt, not a new one"
    );
    assert_eq!(store.job(&s.id).await.unwrap().unwrap().last_attempt, 1);
}

#[tokio::test(start_paused = true)]
async fn two_supervisors_on_one_store_restart_a_failure_once() {
    let job = JobId::new("shared").unwrap();
    let sim = SimDeployer::builder()
        .with_faults(FaultPlan::new().job_fails_at(&job, Duration::from_secs(40), "boom"))
        .build();
    let store = Arc::new(MemoryStore::new());
    let s1 = supervisor(&sim, store.clone(), Arc::new(Sink::default()), "s1");
    let s2 = supervisor(&sim, store.clone(), Arc::new(Sink::default()), "s2");
    s1.manage(spec("shared").with_restart(fixed(1, 5)))
        .await
        .unwrap();
    for _ in 0..120 {
        s1.tick().await.unwrap();
        s2.tick().await.unwrap();
        assert!(live_attempts(&sim, "shared").await.len() <= 1);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(sim.stats().deploys, 2);
    let a = store.attempts(&job).await.unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].owner, a[1].owner, "the lease holder acted both times");
    assert_eq!(s2.job(&job).await.unwrap().attempt, 2);
}

#[tokio::test(start_paused = true)]
async fn checkpoint_trouble_fires_and_can_restart() {
    let sim = SimDeployer::new();
    let sink = Arc::new(Sink::default());
    let store = Arc::new(MemoryStore::new());
    let clock = sim.clock().clone();
    let sup = Supervisor::builder(store.clone())
        .with_cluster("sim", Arc::new(sim.clone()))
        .with_alert_sink(sink.clone())
        .with_clock(move || clock.now_ms())
        .with_checkpoint_health(
            CheckpointHealth::new(Duration::from_secs(30), 3, Duration::from_secs(300))
                .with_restart(true),
        )
        .build()
        .unwrap();
    // Checkpoints every 10 s: healthy.
    sup.manage(spec("ok").with_restore(Restore::Latest))
        .await
        .unwrap();
    // Checkpoints every hour: the latest is older than 5 minutes after 5 minutes of running.
    sup.manage(spec("slow").with_config("execution.checkpointing.interval", "1h"))
        .await
        .unwrap();
    run(&sup, 400).await;
    let trouble = sink.with(Severity::Minor, "checkpoint_trouble");
    assert_eq!(trouble.len(), 1, "{trouble:?}");
    assert_eq!(trouble[0].job.as_deref(), Some("slow"));
    assert!(sim.stats().inspects > 0);
    let slow = store.attempts(&JobId::new("slow").unwrap()).await.unwrap();
    assert_eq!(slow.len(), 2, "restarted on trouble");
    assert!(
        slow[0]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("checkpoint")
    );
    assert_eq!(
        store
            .attempts(&JobId::new("ok").unwrap())
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .latest_restore_point(&JobId::new("ok").unwrap(), 0)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test(start_paused = true)]
async fn a_stopped_job_stays_stopped_and_restores_from_its_savepoint() {
    let sim = SimDeployer::new();
    let sink = Arc::new(Sink::default());
    let store = Arc::new(MemoryStore::new());
    let sup = supervisor(&sim, store.clone(), sink.clone(), "s1");
    let s = spec("st").with_restore(Restore::Latest);
    sup.manage(s.clone()).await.unwrap();
    run(&sup, 10).await;
    let out = sup
        .stop_job(&s.id, StopOptions::savepoint("file:///sp"))
        .await
        .unwrap();
    let sp = match out {
        streampark_core::StopOutcome::Stopped {
            savepoint: Some(sp),
        } => sp,
        other => panic!("{other:?}"),
    };
    run(&sup, 60).await;
    assert_eq!(sim.stats().deploys, 1);
    assert_eq!(sink.with(Severity::Info, "stopped").len(), 1);
    sup.manage(s.clone()).await.unwrap();
    run(&sup, 5).await;
    let a = store.attempts(&s.id).await.unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[1].restore_from.as_deref(), Some(sp.path.as_str()));
}

/// The simulator with checkpoints that keep failing (none completes after the first).
#[derive(Debug)]
struct FailingCheckpoints {
    sim: SimDeployer,
    failed: std::sync::atomic::AtomicU64,
}

#[async_trait::async_trait]
impl Deployer for FailingCheckpoints {
    fn backend(&self) -> &'static str {
        self.sim.backend()
    }
    fn capabilities(&self) -> streampark_core::Capabilities {
        self.sim.capabilities()
    }
    async fn deploy(
        &self,
        req: streampark_core::DeployRequest,
    ) -> streampark_core::Result<streampark_core::Deployment> {
        self.sim.deploy(req).await
    }
    async fn list(
        &self,
        s: &Selector,
    ) -> streampark_core::Result<Vec<streampark_core::JobSnapshot>> {
        self.sim.list(s).await
    }
    async fn inspect(
        &self,
        id: &streampark_core::DeploymentId,
    ) -> streampark_core::Result<streampark_core::JobDetails> {
        let mut d = self.sim.inspect(id).await?;
        d.checkpoints_completed = d.checkpoints_completed.min(1);
        d.checkpoints_failed = self
            .failed
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(d)
    }
    async fn savepoint(
        &self,
        id: &streampark_core::DeploymentId,
        o: streampark_core::SavepointOptions,
    ) -> streampark_core::Result<streampark_core::SavepointRef> {
        self.sim.savepoint(id, o).await
    }
    async fn stop(
        &self,
        id: &streampark_core::DeploymentId,
        o: StopOptions,
    ) -> streampark_core::Result<streampark_core::StopOutcome> {
        self.sim.stop(id, o).await
    }
    async fn logs(
        &self,
        id: &streampark_core::DeploymentId,
        o: streampark_core::LogOptions,
    ) -> streampark_core::Result<streampark_core::Logs> {
        self.sim.logs(id, o).await
    }
}

#[tokio::test(start_paused = true)]
async fn consecutive_failed_checkpoints_raise_a_minor_alert_once() {
    let sim = SimDeployer::new();
    let sink = Arc::new(Sink::default());
    let clock = sim.clock().clone();
    let d = FailingCheckpoints {
        sim: sim.clone(),
        failed: Default::default(),
    };
    let sup = Supervisor::builder(Arc::new(MemoryStore::new()))
        .with_cluster("sim", Arc::new(d))
        .with_alert_sink(sink.clone())
        .with_clock(move || clock.now_ms())
        .with_checkpoint_health(CheckpointHealth::new(
            Duration::from_secs(10),
            3,
            Duration::from_secs(3600),
        ))
        .build()
        .unwrap();
    let mut rx = sup.subscribe();
    sup.manage(spec("cp")).await.unwrap();
    // Inspected every 10 s; the failed count grows by one per inspection: the third failure in
    // a row (after the first inspection sets the baseline) is trouble.
    run(&sup, 35).await;
    assert!(
        sink.with(Severity::Minor, "checkpoint_trouble").is_empty(),
        "not yet"
    );
    run(&sup, 40).await;
    let t = sink.with(Severity::Minor, "checkpoint_trouble");
    assert_eq!(t.len(), 1, "once per episode: {t:?}");
    assert!(
        t[0].text.contains("consecutive checkpoints failed"),
        "{}",
        t[0].text
    );
    assert!(
        drain(&mut rx)
            .iter()
            .any(|e| matches!(e.kind, JobEventKind::CheckpointTrouble { .. }))
    );
    assert_eq!(sim.stats().deploys, 1, "alert only: no restart configured");
}

#[tokio::test(start_paused = true)]
async fn a_new_spec_version_waits_for_roll_out_then_starts_once_from_its_savepoint() {
    let sim = SimDeployer::new();
    let sink = Arc::new(Sink::default());
    let store = Arc::new(MemoryStore::new());
    let sup = supervisor(&sim, store.clone(), sink.clone(), "s1");
    let v1 = spec("ro").with_restore(Restore::Latest);
    let id = v1.id.clone();
    sup.manage(v1).await.unwrap();
    run(&sup, 10).await;
    // A new version of a running job is recorded and left alone.
    let v2 = JobSpec::sql("ro", "INSERT INTO k SELECT 2")
        .unwrap()
        .with_restore(Restore::Latest);
    sup.manage(v2).await.unwrap();
    run(&sup, 30).await;
    assert_eq!(sim.stats().deploys, 1);
    assert_eq!(live_attempts(&sim, "ro").await, vec![1]);

    // A savepoint that fails: nothing changes, attempt 1 keeps running.
    sim.inject(FaultPlan::new().fail_next_savepoints(1));
    assert!(
        sup.roll_out(&id, StopOptions::savepoint("file:///sp"))
            .await
            .is_err()
    );
    run(&sup, 10).await;
    assert_eq!(live_attempts(&sim, "ro").await, vec![1]);
    assert_eq!(sim.stats().deploys, 1);

    let sp = match sup
        .roll_out(&id, StopOptions::savepoint("file:///sp"))
        .await
        .unwrap()
    {
        streampark_core::StopOutcome::Stopped {
            savepoint: Some(sp),
        } => sp,
        other => panic!("{other:?}"),
    };
    run(&sup, 60).await;
    assert_eq!(live_attempts(&sim, "ro").await, vec![2]);
    assert_eq!(sim.stats().deploys, 2, "started exactly once");
    let a = store.attempts(&id).await.unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!((a[0].spec_version, a[1].spec_version), (1, 2));
    assert_eq!(a[0].final_state, Some(JobState::Finished));
    assert_eq!(a[1].restore_from.as_deref(), Some(sp.path.as_str()));
    // A roll-out is not a failure: nothing failed or restarted was alerted.
    let kinds: Vec<String> = sink
        .0
        .lock()
        .unwrap()
        .iter()
        .filter_map(|a| a.label("event").map(|k| k.to_string()))
        .collect();
    assert!(
        !kinds.iter().any(|k| k == "failed" || k == "restarted"),
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "stopped").count(),
        1,
        "{kinds:?}"
    );
    let audit: Vec<_> = store
        .events(Some(&id), 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "audit.roll_out")
        .collect();
    assert_eq!(audit.len(), 2, "both calls are audited");
    assert_eq!(audit[1].detail["from_spec_version"], 1);
    assert_eq!(audit[1].detail["to_spec_version"], 2);

    // A stopped job is not rolled out (managing it again starts its current version).
    sup.stop_job(&id, StopOptions::cancel()).await.unwrap();
    let e = sup.roll_out(&id, StopOptions::cancel()).await.unwrap_err();
    assert!(
        matches!(e, streampark_core::Error::InvalidInput { .. }),
        "{e:?}"
    );
    let e = sup
        .roll_out(&JobId::new("nope").unwrap(), StopOptions::cancel())
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
}
