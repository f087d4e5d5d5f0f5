//! Behaviour beyond the conformance suite, against the simulated API server: pod failures,
//! watches that drop and resume, redeploy races, nonce savepoints, session mode, logs, cleanup.
#![cfg(feature = "testkit")]

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{Patch, PatchParams};
use streampark_core::deploy::{
    DeployRequest, Deployer, DeployerExt, DeploymentId, LogOptions, SavepointOptions, Selector,
    StopOptions, StopOutcome,
};
use streampark_core::{Error, JobSpec, JobState};
use streampark_k8s::OperatorDeployer;
use streampark_k8s::crd::FlinkDeployment;
use streampark_k8s::resources::{JobResource, Settings, render};
use streampark_k8s::testkit::{PodFault, SimApiServer};

const SQL: &str = "CREATE TABLE s (v INT) WITH ('connector' = 'datagen');\nCREATE TABLE k (v INT) WITH ('connector' = 'blackhole');\nINSERT INTO k SELECT v FROM s;\n";
const WAIT: Duration = Duration::from_secs(20);

fn deployer(sim: &SimApiServer) -> OperatorDeployer {
    OperatorDeployer::builder()
        .with_kube_client(sim.client())
        .with_namespace("jobs")
        .with_submit_timeout(Duration::from_secs(10))
        .with_request_timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn deploy(d: &OperatorDeployer, job: &str, attempt: u64) -> DeploymentId {
    d.deploy(DeployRequest::new(JobSpec::sql(job, SQL).unwrap(), attempt))
        .await
        .unwrap()
        .id
}

/// Waits until the deployment's snapshot has a reason containing `needle`.
async fn wait_reason(d: &OperatorDeployer, id: &DeploymentId, needle: &str) -> (JobState, String) {
    let start = tokio::time::Instant::now();
    loop {
        if let Some(s) = d.status(id).await.unwrap()
            && let Some(r) = s.reason.as_deref().filter(|r| r.contains(needle))
        {
            return (s.state, r.to_string());
        }
        assert!(
            start.elapsed() < WAIT,
            "{id}: no reason containing {needle:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_failures_map_to_clear_reasons() {
    let sim = SimApiServer::start().await.unwrap();
    sim.inject("pull", PodFault::ImagePullBackOff);
    sim.inject("crash", PodFault::CrashLoopBackOff);
    sim.inject("oom", PodFault::OomKilled);
    sim.inject("pending", PodFault::Unschedulable);
    let d = deployer(&sim);
    let cases = [
        ("pull", JobState::Deploying, "ImagePullBackOff"),
        ("crash", JobState::Restarting, "CrashLoopBackOff"),
        ("oom", JobState::Restarting, "OOMKilled"),
        ("pending", JobState::Deploying, "Insufficient memory"),
    ];
    for (job, state, needle) in cases {
        // deploy returns once the pod problem shows: it is not a rejection of the program.
        let id = deploy(&d, job, 1).await;
        let (s, reason) = wait_reason(&d, &id, needle).await;
        assert_eq!(s, state, "{job}: {reason}");
        assert_ne!(
            s,
            JobState::Initializing,
            "a broken pod is never shown as initializing"
        );
    }
    // The crash left a previous container log, and `logs` offers it.
    let crash = d.job_deployments(&"crash".parse().unwrap()).await.unwrap()[0]
        .deployment
        .clone();
    let logs = d.logs(&crash, LogOptions::default()).await.unwrap();
    let previous = logs
        .files
        .iter()
        .find(|f| f.name.ends_with("/previous"))
        .expect("previous log listed")
        .name
        .clone();
    let prev = d.logs(&crash, LogOptions::file(previous)).await.unwrap();
    assert!(
        prev.content.contains("ClusterEntrypointException"),
        "{}",
        prev.content
    );
    // inspect carries the pod reason as the failure.
    let details = d.inspect(&crash).await.unwrap();
    assert!(details.failure.unwrap().contains("CrashLoopBackOff"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_watch_resumes_and_a_compacted_one_relists() {
    let sim = SimApiServer::start().await.unwrap();
    let d = deployer(&sim);
    let a = deploy(&d, "watch-a", 1).await;
    d.wait_for(&a, &[JobState::Running], WAIT).await.unwrap();
    let stats = d.watch_stats().await.unwrap();
    let relists_before = stats.relists();

    // 1. Dropped mid-stream: the watcher resumes from its last version, no re-list needed,
    //    and changes after the drop still arrive.
    sim.drop_watches();
    d.stop(&a, StopOptions::cancel()).await.unwrap();
    assert_eq!(
        d.status(&a).await.unwrap().unwrap().state,
        JobState::Canceled
    );

    // 2. Dropped while blocked, with the history compacted: the resumed watch gets 410 Gone,
    //    the watcher re-lists and sees what changed while it was away.
    sim.block_watches(true);
    sim.drop_watches();
    let start = tokio::time::Instant::now();
    while sim.open_watches() > 0 {
        assert!(start.elapsed() < WAIT, "watches did not close");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Another host creates a deployment while our watch is down.
    let rendered = render(
        &DeployRequest::new(JobSpec::sql("watch-b", SQL).unwrap(), 1),
        &Settings::for_namespace("jobs"),
    )
    .unwrap();
    let JobResource::Deployment(fd) = &rendered.job else {
        panic!()
    };
    let cm_value = rendered.to_values().unwrap().remove(0);
    let cms: Api<ConfigMap> = Api::namespaced(sim.client(), "jobs");
    cms.patch(
        cm_value["metadata"]["name"].as_str().unwrap(),
        &PatchParams::apply("other-host").force(),
        &Patch::Apply(&cm_value),
    )
    .await
    .unwrap();
    let api: Api<FlinkDeployment> = Api::namespaced(sim.client(), "jobs");
    api.patch(
        &rendered.name,
        &PatchParams::apply("other-host").force(),
        &Patch::Apply(fd.as_ref()),
    )
    .await
    .unwrap();
    sim.compact();
    sim.block_watches(false);
    // Only a re-list can show it: the history that held its events is gone.
    let b = DeploymentId::new(rendered.name.clone());
    let snap = d.wait_for(&b, &[JobState::Running], WAIT).await.unwrap();
    assert_eq!(snap.job.as_str(), "watch-b");
    assert!(
        stats.relists() > relists_before,
        "a 410 must make the watcher re-list ({} -> {})",
        relists_before,
        stats.relists()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_deploys_create_one_resource() {
    let sim = SimApiServer::start().await.unwrap();
    let hosts: Vec<Arc<OperatorDeployer>> = (0..4).map(|_| Arc::new(deployer(&sim))).collect();
    // Four hosts resubmit the same job at once, two with attempt 1 and two with attempt 2.
    let mut tasks = Vec::new();
    for (i, h) in hosts.iter().enumerate() {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            h.deploy(DeployRequest::new(
                JobSpec::sql("race", SQL).unwrap(),
                1 + (i as u64 % 2),
            ))
            .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Error::Fenced { .. }) => {}
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!(ok, 1, "exactly one deploy wins");
    let resources = sim.objects("flinkdeployments", "jobs");
    assert_eq!(resources.len(), 1, "one FlinkDeployment: {resources:#?}");
    let list = hosts[0]
        .list(&Selector::Job("race".parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn savepoint_falls_back_to_the_nonce_without_the_snapshot_crd() {
    let sim = SimApiServer::start().await.unwrap();
    sim.set_snapshot_crd(false);
    let d = deployer(&sim);
    let id = deploy(&d, "nonce", 1).await;
    d.wait_for(&id, &[JobState::Running], WAIT).await.unwrap();
    let sp = d
        .savepoint(&id, SavepointOptions::into_dir("s3://b/sp"))
        .await
        .unwrap();
    assert!(sp.path.starts_with("s3://b/sp/savepoint-"), "{}", sp.path);
    let fd = sim.objects("flinkdeployments", "jobs").pop().unwrap();
    assert!(
        fd["spec"]["job"]["savepointTriggerNonce"]
            .as_i64()
            .is_some()
    );
    assert_eq!(
        d.inspect(&id).await.unwrap().latest_savepoint.unwrap().path,
        sp.path
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_with_savepoint_then_restore_then_delete_cleans_up() {
    let sim = SimApiServer::start().await.unwrap();
    let d = deployer(&sim);
    let id = deploy(&d, "cycle", 1).await;
    d.wait_for(&id, &[JobState::Running], WAIT).await.unwrap();
    let StopOutcome::Stopped {
        savepoint: Some(sp),
    } = d
        .stop(&id, StopOptions::savepoint("s3://b/sp"))
        .await
        .unwrap()
    else {
        panic!("no savepoint")
    };
    let fd = sim.objects("flinkdeployments", "jobs").pop().unwrap();
    assert_eq!(fd["spec"]["job"]["state"], "suspended");
    assert_eq!(fd["spec"]["job"]["upgradeMode"], "savepoint");
    assert_eq!(
        fd["status"]["jobStatus"]["upgradeSavepointPath"].as_str(),
        Some(sp.path.as_str())
    );
    assert!(
        sim.objects("pods", "jobs").is_empty(),
        "suspend removes the pods"
    );

    let req = DeployRequest::new(JobSpec::sql("cycle", SQL).unwrap(), 2)
        .with_restore_path(sp.path.clone());
    let id2 = d.deploy(req).await.unwrap().id;
    d.wait_for(&id2, &[JobState::Running], WAIT).await.unwrap();
    assert_eq!(
        d.inspect(&id2).await.unwrap().restored_from.as_deref(),
        Some(sp.path.as_str())
    );

    for id in [&id, &id2] {
        d.delete(id).await.unwrap();
    }
    let start = tokio::time::Instant::now();
    while !(sim.objects("flinkdeployments", "jobs").is_empty()
        && sim.objects("pods", "jobs").is_empty())
    {
        assert!(start.elapsed() < WAIT);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cms: Vec<String> = sim
        .objects("configmaps", "jobs")
        .iter()
        .map(|c| c["metadata"]["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        cms.iter().all(|n| n.ends_with("-fence")),
        "only the fence stays: {cms:?}"
    );
    // The fence still refuses the old attempt after the delete.
    let e = d
        .deploy(DeployRequest::new(JobSpec::sql("cycle", SQL).unwrap(), 2))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Fenced {
                attempt: 2,
                live_attempt: 2,
                ..
            }
        ),
        "{e:?}"
    );
    d.purge_job(&"cycle".parse().unwrap()).await.unwrap();
    assert!(sim.objects("configmaps", "jobs").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_mode_runs_a_flink_session_job() {
    let sim = SimApiServer::start().await.unwrap();
    let d = OperatorDeployer::builder()
        .with_kube_client(sim.client())
        .with_namespace("jobs")
        .with_session_deployment("shared-session")
        .with_runner_jar_uri("https://repo.example/streampark-sql-runner.jar")
        .with_submit_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let id = deploy(&d, "sess", 1).await;
    d.wait_for(&id, &[JobState::Running], WAIT).await.unwrap();
    let sj = sim.objects("flinksessionjobs", "jobs").pop().unwrap();
    assert_eq!(sj["spec"]["deploymentName"], "shared-session");
    assert!(sim.objects("flinkdeployments", "jobs").is_empty());
    let sp = d.savepoint(&id, SavepointOptions::default()).await.unwrap();
    assert!(sp.path.contains("savepoint-"));
    let bad = d
        .deploy(DeployRequest::new(
            JobSpec::sql("sess-bad", "SELEC 1;").unwrap(),
            1,
        ))
        .await
        .unwrap_err();
    assert!(matches!(bad, Error::Rejected { .. }), "{bad:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_logs_streams_new_lines() {
    let sim = SimApiServer::start().await.unwrap();
    let d = deployer(&sim);
    let id = deploy(&d, "follow", 1).await;
    d.wait_for(&id, &[JobState::Running], WAIT).await.unwrap();
    let mut lines = d.follow_logs(&id, None, Some(1)).await.unwrap();
    let first = tokio::time::timeout(WAIT, lines.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(!first.is_empty());
    // The simulated JobManager logs a checkpoint line every half second: it arrives.
    let more = tokio::time::timeout(WAIT, async {
        while let Some(l) = lines.next().await {
            let l = l.unwrap();
            if l.contains("Completed checkpoint") {
                return l;
            }
        }
        String::new()
    })
    .await
    .unwrap();
    assert!(more.contains("CheckpointCoordinator"));
}
