//! `NativeSession` (native Kubernetes session clusters) against the simulated API server, with
//! `SimNativeSubmitter` starting the session (what `kubernetes-session.sh` does) and running a
//! simulated session JobManager that accepts jobs through `/jars/upload` + `/jars/:id/run`.
#![cfg(feature = "testkit")]

use std::time::Duration;

use streampark_core::deploy::{DeployRequest, Deployer, Selector, StopOptions, StopOutcome};
use streampark_core::{JobId, JobSpec, JobState};
use streampark_k8s::testkit::{SimApiServer, SimNativeSubmitter};
use streampark_k8s::{NativeSession, SESSION_LABEL, SessionStart};

const NS: &str = "sessions";

fn session(sim: &SimApiServer, sub: &SimNativeSubmitter, id: &str) -> NativeSession {
    NativeSession::new(sim.client(), NS, id)
        .unwrap()
        .with_rest_resolver(sub.resolver())
        .with_request_timeout(Duration::from_secs(5))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_starts_once_runs_two_jobs_is_adopted_and_stops() {
    let sim = SimApiServer::start().await.unwrap();
    let sub = SimNativeSubmitter::new(&sim, NS);
    let s = session(&sim, &sub, "shared-sql");
    assert!(!s.exists().await.unwrap());
    assert_eq!(s.start_or_adopt(&sub).await.unwrap(), SessionStart::Started);
    let deployments = sim.objects("deployments", NS);
    assert_eq!(deployments.len(), 1);
    let labels = &deployments[0]["metadata"]["labels"];
    assert_eq!(deployments[0]["metadata"]["name"], "shared-sql");
    assert_eq!(labels["app.kubernetes.io/managed-by"], "streampark-rs");
    assert_eq!(labels[SESSION_LABEL], "shared-sql");

    // Two jobs on the one session.
    let d = s.deployer().unwrap();
    let a = d
        .deploy(DeployRequest::new(
            JobSpec::sql("sess-a", "INSERT INTO k SELECT 1").unwrap(),
            1,
        ))
        .await
        .unwrap();
    let b = d
        .deploy(DeployRequest::new(
            JobSpec::sql("sess-b", "INSERT INTO k SELECT 2").unwrap(),
            3,
        ))
        .await
        .unwrap();
    assert_ne!(a.id, b.id);
    let all = d.list(&Selector::All).await.unwrap();
    assert_eq!(all.len(), 2, "{all:?}");
    let only_b = d
        .list(&Selector::Job(JobId::new("sess-b").unwrap()))
        .await
        .unwrap();
    assert_eq!(only_b.len(), 1);
    assert_eq!(only_b[0].deployment, b.id);
    assert_eq!(only_b[0].attempt, 3);
    assert_eq!(only_b[0].state, JobState::Running);
    let det = d.inspect(&a.id).await.unwrap();
    assert_eq!(det.snapshot.job.as_str(), "sess-a");
    assert_eq!(det.snapshot.state, JobState::Running);
    // Same attempt again on the session is fenced.
    let e = d
        .deploy(DeployRequest::new(
            JobSpec::sql("sess-a", "INSERT INTO k SELECT 1").unwrap(),
            1,
        ))
        .await
        .unwrap_err();
    assert!(e.is_fenced(), "{e:?}");

    // A second handle adopts the running session instead of starting another one, and sees
    // the jobs.
    let again = session(&sim, &sub, "shared-sql");
    assert_eq!(
        again.start_or_adopt(&sub).await.unwrap(),
        SessionStart::Adopted
    );
    assert_eq!(sim.objects("deployments", NS).len(), 1);
    let seen = again
        .deployer()
        .unwrap()
        .list(&Selector::All)
        .await
        .unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");

    // Cancel one job; the other keeps running.
    let out = d.stop(&a.id, StopOptions::cancel()).await.unwrap();
    assert!(matches!(out, StopOutcome::Stopped { .. }), "{out:?}");
    let b_now = d.inspect(&b.id).await.unwrap();
    assert_eq!(b_now.snapshot.state, JobState::Running);

    // Stop the session: the Deployment is gone, a second stop is fine, and starting the same
    // name again gives a fresh session without the old jobs.
    s.stop().await.unwrap();
    assert!(sim.objects("deployments", NS).is_empty());
    assert!(!s.exists().await.unwrap());
    s.stop().await.unwrap();
    assert_eq!(s.start_or_adopt(&sub).await.unwrap(), SessionStart::Started);
    assert!(
        s.deployer()
            .unwrap()
            .list(&Selector::All)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_deployment_of_that_name_is_not_adopted_and_bad_names_are_refused() {
    let sim = SimApiServer::start().await.unwrap();
    let sub = SimNativeSubmitter::new(&sim, NS);
    // A native application cluster (no session label) named like the session.
    let app =
        streampark_k8s::NativeDeployer::new(sim.client(), NS, std::sync::Arc::new(sub.clone()))
            .with_rest_resolver(sub.resolver());
    let dep = app
        .deploy(DeployRequest::new(
            JobSpec::sql("appjob", "INSERT INTO k SELECT 1").unwrap(),
            1,
        ))
        .await
        .unwrap();
    let s = session(&sim, &sub, dep.id.as_str());
    let e = s.start_or_adopt(&sub).await.unwrap_err();
    assert!(e.to_string().contains(dep.id.as_str()), "{e}");
    assert_eq!(sim.objects("deployments", NS).len(), 1);
    // The session's Deployment is not mistaken for an application cluster by NativeDeployer.
    session(&sim, &sub, "other-session")
        .start_or_adopt(&sub)
        .await
        .unwrap();
    assert_eq!(app.list(&Selector::All).await.unwrap().len(), 1);
    for bad in ["Upper", "1digit", "under_score", ""] {
        assert!(NativeSession::new(sim.client(), NS, bad).is_err(), "{bad}");
    }
}
