//! YARN session clusters against the simulated RM: start (or adopt by tags), two jobs through
//! the session's `Deployer` plus one through the submitter (`flink run -t yarn-session`), list
//! and inspect, an application-master restart, stop.

use std::sync::Arc;
use std::time::Duration;

use streampark_core::{
    DeployRequest, Deployer, DeployerExt, JobSpec, JobState, Selector, StopOptions, StopOutcome,
};
use streampark_yarn::rm::{AppState, ResourceManagerClient};
use streampark_yarn::session::{YarnSession, YarnSessionSpec};
use streampark_yarn::testkit::{SimSubmitter, SimYarn};
use streampark_yarn::{Submitter, YarnSubmission, YarnTarget};

fn rm(sim: &SimYarn) -> ResourceManagerClient {
    ResourceManagerClient::builder()
        .with_urls(sim.rm_urls())
        .with_user(Some("flink".into()))
        .with_timeout(Duration::from_secs(5))
        .build()
        .expect("rm client")
}

fn spec(name: &str) -> YarnSessionSpec {
    YarnSessionSpec::new(name)
        .with_queue("streaming")
        .with_tag(format!("streampark.session={name}"))
        .with_provided_lib_dir("hdfs://sim-nn:8020/ws/flink/1.18.1/lib")
}

fn jar_job(dir: &tempfile::TempDir, id: &str) -> JobSpec {
    let path = dir.path().join(format!("{id}.jar"));
    std::fs::write(&path, b"PK\x03\x04 com/example/Main.class").expect("jar");
    JobSpec::jar(
        id,
        path.to_string_lossy().to_string(),
        Some("com.example.Main"),
        vec![],
    )
    .expect("spec")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_runs_several_jobs_and_stopping_it_ends_them() {
    let sim = SimYarn::start().await.expect("simulator");
    let submitter: Arc<dyn Submitter> = Arc::new(SimSubmitter::new(sim.clone()));
    let session = YarnSession::start_or_adopt(rm(&sim), submitter, &spec("analytics"))
        .await
        .expect("session starts");
    let app = session.app().await.expect("app");
    assert_eq!(app.state, AppState::Running);
    assert_eq!(app.name, "analytics");
    assert_eq!(app.queue, "root.streaming");
    assert!(
        app.tags().contains(&"streampark.session=analytics"),
        "{:?}",
        app.tags()
    );
    assert!(session.jobs().await.expect("jobs").is_empty());

    let dir = tempfile::tempdir().expect("tmp");
    let flink = session
        .deployer()
        .with_poll_interval(Duration::from_millis(50));
    let a = flink
        .deploy(DeployRequest::new(jar_job(&dir, "orders"), 1))
        .await
        .expect("first job");
    let b = flink
        .deploy(DeployRequest::new(jar_job(&dir, "clicks"), 3))
        .await
        .expect("second job");
    assert_ne!(a.id, b.id);
    // Both run in the one application.
    assert_eq!(sim.app_ids(), [session.application_id().to_string()]);

    let all = flink.list(&Selector::All).await.expect("list");
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all.iter().all(|s| s.state == JobState::Running), "{all:?}");
    let orders = flink
        .job_deployments(&a.job)
        .await
        .expect("orders deployments");
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].attempt, 1);
    let details = flink.inspect(&b.id).await.expect("inspect");
    assert_eq!(details.snapshot.attempt, 3);

    // The same attempt again is fenced by the Flink job id.
    let again = flink
        .deploy(DeployRequest::new(jar_job(&dir, "orders"), 1))
        .await;
    assert!(
        matches!(again, Err(streampark_core::Error::Fenced { .. })),
        "{again:?}"
    );

    // A third job the way the CLI submits to a session (`flink run -t yarn-session`).
    let mut sub = YarnSubmission::new(
        streampark_core::JobId::new("billing").expect("id"),
        1,
        YarnTarget::Application,
        "Billing [streampark:billing:1]",
        "hdfs://sim-nn:8020/ws/jobs/billing/1/app.jar",
    );
    sub.config.insert(
        "pipeline.name".into(),
        "Billing [streampark:billing:1]".into(),
    );
    session
        .submit(sub)
        .await
        .expect("submit through the CLI path");
    let jobs = session.jobs().await.expect("jobs");
    assert_eq!(jobs.len(), 3, "{jobs:?}");
    assert!(jobs.iter().any(|j| j.name.starts_with("Billing")));

    // One job ends; the session keeps running the others.
    let out = flink
        .stop(&a.id, StopOptions::cancel())
        .await
        .expect("cancel one job");
    assert!(!matches!(out, StopOutcome::AlreadyGone), "{out:?}");
    assert_eq!(session.app().await.expect("app").state, AppState::Running);
    let states: Vec<String> = session
        .jobs()
        .await
        .expect("jobs")
        .into_iter()
        .map(|j| j.state)
        .collect();
    assert_eq!(
        states.iter().filter(|s| s.as_str() == "RUNNING").count(),
        2,
        "{states:?}"
    );

    // Stopping the session kills the application; its jobs end with it.
    let end = session.stop().await.expect("stop session");
    assert_eq!(end, AppState::Killed);
    assert_eq!(
        sim.app_state(session.application_id()),
        Some(AppState::Killed)
    );
    assert!(flink.list(&Selector::All).await.expect("list").is_empty());
    assert!(matches!(
        flink.stop(&b.id, StopOptions::cancel()).await,
        Ok(StopOutcome::AlreadyGone)
    ));
    assert!(
        session.jobs().await.is_err(),
        "an ended session has no JobManager"
    );
    // Stopping again is harmless.
    assert_eq!(session.stop().await.expect("stop again"), AppState::Killed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_session_with_the_same_tags_is_adopted() {
    let sim = SimYarn::start().await.expect("simulator");
    let submitter: Arc<dyn Submitter> = Arc::new(SimSubmitter::new(sim.clone()));
    let first = YarnSession::start_or_adopt(rm(&sim), submitter.clone(), &spec("etl"))
        .await
        .expect("first");
    // Another process (fresh clients) asks for the same session.
    let second = YarnSession::start_or_adopt(rm(&sim), submitter.clone(), &spec("etl"))
        .await
        .expect("second");
    assert_eq!(first.application_id(), second.application_id());
    assert_eq!(sim.app_ids().len(), 1, "no second session started");

    // A different session tag is a different session.
    let other = YarnSession::start_or_adopt(rm(&sim), submitter.clone(), &spec("reports"))
        .await
        .expect("other");
    assert_ne!(other.application_id(), first.application_id());
    assert_eq!(sim.app_ids().len(), 2);

    // Once stopped, asking again starts a new one.
    first.stop().await.expect("stop");
    let third = YarnSession::start_or_adopt(rm(&sim), submitter, &spec("etl"))
        .await
        .expect("third");
    assert_ne!(third.application_id(), first.application_id());
    assert_eq!(sim.app_ids().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployer_follows_an_application_master_restart() {
    let sim = SimYarn::start().await.expect("simulator");
    let submitter: Arc<dyn Submitter> = Arc::new(SimSubmitter::new(sim.clone()));
    let session = YarnSession::start_or_adopt(rm(&sim), submitter, &spec("ha"))
        .await
        .expect("session");
    let dir = tempfile::tempdir().expect("tmp");
    let flink = session.deployer();
    let dep = flink
        .deploy(DeployRequest::new(jar_job(&dir, "orders"), 1))
        .await
        .expect("deploy");
    let before = session.jobmanager_url().await.expect("jm url");
    let moved = sim
        .restart_am(session.application_id())
        .await
        .expect("restart");
    let after = session.jobmanager_url().await.expect("jm url");
    assert_ne!(before, after);
    assert_eq!(after.port(), Some(moved.port()));
    // The cached RemoteDeployer pointed at the old address: the deployer re-resolves.
    let all = flink
        .list(&Selector::All)
        .await
        .expect("list after restart");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].deployment, dep.id);
    assert_eq!(all[0].state, JobState::Running);
    flink.inspect(&dep.id).await.expect("inspect after restart");
}
