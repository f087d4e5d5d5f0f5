//! The simulator's fault plan and bookkeeping, on virtual time.

use std::time::Duration;

use streampark_core::testkit::{FaultPlan, SimDeployer, SimError, VirtualClock};
use streampark_core::{
    DeployRequest, Deployer, DeployerExt, Error, JobId, JobSpec, JobState, SavepointOptions,
    Selector, StopOptions, StopOutcome,
};

fn spec(id: &str) -> JobSpec {
    JobSpec::sql(id, "INSERT INTO k SELECT 1")
        .unwrap()
        .with_config("execution.checkpointing.interval", "5s")
}

fn manual() -> (SimDeployer, VirtualClock) {
    let clock = VirtualClock::manual();
    (
        SimDeployer::builder().with_clock(clock.clone()).build(),
        clock,
    )
}

#[tokio::test]
async fn failed_deploys_start_nothing_then_succeed() {
    let (sim, _) = manual();
    sim.inject(FaultPlan::new().fail_next_deploys(2, SimError::Rejected("no slots".into())));
    for _ in 0..2 {
        let e = sim
            .deploy(DeployRequest::new(spec("a"), 1))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::Rejected { message, .. } if message == "no slots"),
            "{e:?}"
        );
    }
    assert!(sim.list(&Selector::All).await.unwrap().is_empty());
    sim.deploy(DeployRequest::new(spec("a"), 1)).await.unwrap();
    assert_eq!(sim.stats().deploys, 3);
}

#[tokio::test]
async fn a_timed_out_deploy_is_found_by_its_tag() {
    let (sim, _) = manual();
    sim.inject(FaultPlan::new().deploys_time_out_after_starting(1));
    let e = sim
        .deploy(DeployRequest::new(spec("t"), 1))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    let found = sim
        .job_deployments(&JobId::new("t").unwrap())
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].attempt, 1);
    // Retrying blindly is fenced: the attempt is live.
    let e = sim
        .deploy(DeployRequest::new(spec("t"), 1))
        .await
        .unwrap_err();
    assert!(e.is_fenced(), "{e:?}");
}

#[tokio::test]
async fn a_job_fails_at_tick_t_and_checkpoints_stop_there() {
    let (sim, clock) = manual();
    let job = JobId::new("f").unwrap();
    sim.inject(FaultPlan::new().job_fails_at(&job, Duration::from_secs(30), "OutOfMemoryError"));
    let d = sim.deploy(DeployRequest::new(spec("f"), 1)).await.unwrap();
    clock.advance(Duration::from_secs(29));
    let s = sim.status(&d.id).await.unwrap().unwrap();
    assert_eq!(s.state, JobState::Running);
    clock.advance(Duration::from_secs(100));
    let s = sim.status(&d.id).await.unwrap().unwrap();
    assert_eq!(s.state, JobState::Failed);
    assert_eq!(s.reason.as_deref(), Some("OutOfMemoryError"));
    let det = sim.inspect(&d.id).await.unwrap();
    // Running from t=2s (startup) to t=30s with a 5 s interval: 5 checkpoints.
    assert_eq!(det.checkpoints_completed, 5);
    assert!(det.latest_checkpoint.unwrap().path.ends_with("chk-5"));
    // The failure hit attempt 1 only: attempt 2 runs.
    let d2 = sim.deploy(DeployRequest::new(spec("f"), 2)).await.unwrap();
    clock.advance(Duration::from_secs(60));
    assert_eq!(
        sim.status(&d2.id).await.unwrap().unwrap().state,
        JobState::Running
    );
}

#[tokio::test]
async fn vanished_jobs_and_unreachable_windows() {
    let (sim, clock) = manual();
    let job = JobId::new("v").unwrap();
    sim.inject(
        FaultPlan::new()
            .unreachable_between(Duration::from_secs(10), Duration::from_secs(20))
            .job_vanishes_at(&job, Duration::from_secs(40)),
    );
    sim.deploy(DeployRequest::new(spec("v"), 1)).await.unwrap();
    clock.advance(Duration::from_secs(15));
    let e = sim.list(&Selector::All).await.unwrap_err();
    assert!(
        matches!(e, Error::Unavailable { .. }) && e.is_retryable(),
        "{e:?}"
    );
    clock.advance(Duration::from_secs(10));
    assert_eq!(sim.list(&Selector::All).await.unwrap().len(), 1);
    clock.advance(Duration::from_secs(20));
    assert!(
        sim.list(&Selector::All).await.unwrap().is_empty(),
        "vanished from a reachable cluster"
    );
}

#[tokio::test(start_paused = true)]
async fn slow_calls_beyond_the_timeout_time_out_but_take_effect() {
    let sim = SimDeployer::builder()
        .with_call_timeout(Duration::from_secs(1))
        .with_faults(FaultPlan::new().slow_calls(Duration::from_secs(5)))
        .build();
    let start = tokio::time::Instant::now();
    let e = sim
        .deploy(DeployRequest::new(spec("s"), 1))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    let fast = SimDeployer::builder()
        .with_faults(FaultPlan::new().slow_calls(Duration::from_millis(300)))
        .build();
    let t = tokio::time::Instant::now();
    fast.list(&Selector::All).await.unwrap();
    assert_eq!(t.elapsed(), Duration::from_millis(300));
}

#[tokio::test]
async fn savepoints_are_recorded_and_can_fail() {
    let (sim, clock) = manual();
    let d = sim.deploy(DeployRequest::new(spec("p"), 1)).await.unwrap();
    let e = sim
        .savepoint(&d.id, SavepointOptions::default())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not RUNNING"), "{e}");
    clock.advance(Duration::from_secs(3));
    sim.inject(FaultPlan::new().fail_next_savepoints(1));
    assert!(
        sim.savepoint(&d.id, SavepointOptions::default())
            .await
            .is_err()
    );
    let sp = sim
        .savepoint(&d.id, SavepointOptions::into_dir("s3://b/sp/"))
        .await
        .unwrap();
    assert!(sp.path.starts_with("s3://b/sp/savepoint-"), "{}", sp.path);
    let out = sim
        .stop(&d.id, StopOptions::savepoint("file:///x"))
        .await
        .unwrap();
    let StopOutcome::Stopped {
        savepoint: Some(sp2),
    } = out
    else {
        panic!("{out:?}")
    };
    assert_ne!(sp.path, sp2.path);
    assert_eq!(
        sim.inspect(&d.id).await.unwrap().latest_savepoint,
        Some(sp2)
    );
    assert_eq!(
        sim.status(&d.id).await.unwrap().unwrap().state,
        JobState::Finished
    );
    let logs = sim.logs(&d.id, Default::default()).await.unwrap();
    assert!(
        logs.content.contains("savepoint completed"),
        "{}",
        logs.content
    );
}

#[tokio::test]
async fn restore_path_is_reported() {
    let (sim, _) = manual();
    let d = sim
        .deploy(DeployRequest::new(spec("r"), 1).with_restore_path("file:///sp/savepoint-1"))
        .await
        .unwrap();
    assert_eq!(
        sim.inspect(&d.id).await.unwrap().restored_from.as_deref(),
        Some("file:///sp/savepoint-1")
    );
}
