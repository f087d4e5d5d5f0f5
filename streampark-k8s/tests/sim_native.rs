//! `NativeDeployer` (native Kubernetes application mode) against the simulated API server,
//! with `SimNativeSubmitter` doing what Flink's native client does (JobManager `Deployment`,
//! pods, `-rest` Service) and a simulated JobManager REST API per cluster.
#![cfg(feature = "testkit")]

use std::sync::Arc;
use std::time::Duration;

use streampark_core::JobState;
use streampark_core::deploy::{DeployRequest, Deployer, LogOptions, Selector};
use streampark_core::testkit::conformance::TestEnv;
use streampark_core::{JobId, JobSpec};
use streampark_k8s::NativeDeployer;
use streampark_k8s::testkit::{PodFault, SimApiServer, SimNativeSubmitter};

const NS: &str = "native";

fn deployer(sim: &SimApiServer, sub: &SimNativeSubmitter) -> NativeDeployer {
    NativeDeployer::new(sim.client(), NS, Arc::new(sub.clone()))
        .with_rest_resolver(sub.resolver())
        .with_request_timeout(Duration::from_secs(5))
}

async fn env() -> Option<TestEnv> {
    let sim: &'static SimApiServer = Box::leak(Box::new(SimApiServer::start().await.ok()?));
    let sub = SimNativeSubmitter::new(sim, NS);
    Some(
        TestEnv::new(deployer(sim, &sub), deployer(sim, &sub))
            .with_wait(Duration::from_secs(20))
            .with_savepoint_dir("s3://bucket/savepoints"),
    )
}

// Not run: `rejected_sql_carries_cluster_text` (in application mode the SQL runner parses the
// script inside the JobManager after `run-application` returned, so a bad script is a FAILED
// job, not a Rejected deploy), and the jar programs (the suite's jar fixture is a local file; native mode refuses local jars).
streampark_core::conformance_tests!(@each tokio::test(flavor = "multi_thread", worker_threads = 2), env();
    deploy_tags_job_and_attempt, deploy_reaches_running, list_sees_other_handles,
    list_filters_by_selector, redeploy_of_same_attempt_is_fenced,
    new_attempt_while_live_is_fenced, next_attempt_after_stop_runs,
    stop_cancel_ends_canceled, stop_is_idempotent, stop_unknown_is_already_gone,
    savepoint_returns_path, savepoint_unknown_is_not_found, stop_with_savepoint_finishes,
    restore_from_savepoint_is_reported, checkpoints_are_reported,
    failing_job_reports_failed_with_cause, inspect_unknown_is_not_found, logs_list_and_tail);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_failures_of_a_native_cluster_are_reasons_not_initializing() {
    let sim = SimApiServer::start().await.unwrap();
    let sub = SimNativeSubmitter::new(&sim, NS);
    let d = deployer(&sim, &sub);
    let cases = [
        (
            "nat-pull",
            PodFault::ImagePullBackOff,
            JobState::Deploying,
            "ImagePullBackOff",
        ),
        (
            "nat-crash",
            PodFault::CrashLoopBackOff,
            JobState::Restarting,
            "CrashLoopBackOff",
        ),
        (
            "nat-oom",
            PodFault::OomKilled,
            JobState::Restarting,
            "OOMKilled",
        ),
        (
            "nat-pending",
            PodFault::Unschedulable,
            JobState::Deploying,
            "Unschedulable",
        ),
    ];
    for (job, fault, state, reason) in cases {
        sim.inject(job, fault);
        let spec = JobSpec::sql(job, "INSERT INTO k SELECT 1").unwrap();
        let dep = d.deploy(DeployRequest::new(spec, 1)).await.unwrap();
        // `list` reads the watch caches: the pods' events may arrive a moment after the
        // deploy returned (as on a real cluster, where the ReplicaSet creates them later).
        let selector = Selector::Job(JobId::new(job).unwrap());
        let mut list = d.list(&selector).await.unwrap();
        for _ in 0..100 {
            // Deploying is also the state before the pod exists: wait for the reason too.
            if list.first().is_some_and(|s| {
                s.state == state && s.reason.as_deref().is_some_and(|r| r.starts_with(reason))
            }) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            list = d.list(&selector).await.unwrap();
        }
        assert_eq!(list.len(), 1, "{list:?}");
        let s = &list[0];
        assert_eq!(s.deployment, dep.id);
        assert_eq!(s.state, state, "{job}: {s:?}");
        let r = s.reason.as_deref().unwrap_or_default();
        assert!(r.starts_with(reason), "{job}: {r}");
        assert!(r.contains(dep.id.as_str()), "reason names the pod: {r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_is_the_flink_native_deployment_and_retry_starts_no_second_one() {
    let sim = SimApiServer::start().await.unwrap();
    let sub = SimNativeSubmitter::new(&sim, NS);
    let d = deployer(&sim, &sub);
    let spec = JobSpec::sql("nat-one", "INSERT INTO k SELECT 1").unwrap();
    let dep = d.deploy(DeployRequest::new(spec.clone(), 4)).await.unwrap();
    let deployments = sim.objects("deployments", NS);
    assert_eq!(deployments.len(), 1);
    let labels = &deployments[0]["metadata"]["labels"];
    assert_eq!(deployments[0]["metadata"]["name"], dep.id.as_str());
    assert_eq!(labels["type"], "flink-native-kubernetes");
    assert_eq!(labels["app"], dep.id.as_str());
    assert_eq!(labels["streampark.attempt"], "4");
    // A retried deploy of the same attempt (say after a timeout) is fenced, creates nothing.
    let e = d.deploy(DeployRequest::new(spec, 4)).await.unwrap_err();
    assert!(e.is_fenced(), "{e:?}");
    assert_eq!(sim.objects("deployments", NS).len(), 1);
    // A local extra jar is refused before anything starts, naming the jar.
    let spec = JobSpec::sql("nat-two", "INSERT INTO k SELECT 1")
        .unwrap()
        .with_jar("/tmp/udf-xyz.jar");
    let e = d.deploy(DeployRequest::new(spec, 1)).await.unwrap_err();
    assert!(e.to_string().contains("/tmp/udf-xyz.jar"), "{e}");
    assert_eq!(sim.objects("deployments", NS).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_on_stop_removes_the_cluster() {
    let sim = SimApiServer::start().await.unwrap();
    let sub = SimNativeSubmitter::new(&sim, NS);
    let d = deployer(&sim, &sub).with_delete_on_stop(true);
    let spec = JobSpec::sql("nat-del", "INSERT INTO k SELECT 1").unwrap();
    let dep = d.deploy(DeployRequest::new(spec, 1)).await.unwrap();
    d.stop(&dep.id, streampark_core::deploy::StopOptions::cancel())
        .await
        .unwrap();
    assert!(sim.objects("deployments", NS).is_empty());
    assert!(d.list(&Selector::All).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_list_jobmanager_first_and_the_crashed_container_of_a_crash_loop() {
    use futures::StreamExt;
    let sim = SimApiServer::start().await.unwrap();
    let sub = SimNativeSubmitter::new(&sim, NS);
    let d = deployer(&sim, &sub);
    assert!(d.capabilities().logs());
    // A healthy cluster: JobManager log first (the default), then the TaskManager's.
    let spec = JobSpec::sql("nat-logs", "INSERT INTO k SELECT 1").unwrap();
    let ok = d.deploy(DeployRequest::new(spec, 1)).await.unwrap();
    let logs = d.logs(&ok.id, LogOptions::default()).await.unwrap();
    let names: Vec<&str> = logs.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].starts_with(ok.id.as_str()) && !names[0].contains("taskmanager"));
    assert!(names[1].contains("-taskmanager-"), "{names:?}");
    assert_eq!(logs.name, names[0]);
    assert!(logs.content.contains(ok.id.as_str()), "{}", logs.content);
    let tm = d.logs(&ok.id, LogOptions::file(names[1])).await.unwrap();
    assert!(tm.content.contains("TaskManager"), "{}", tm.content);
    // Following the JobManager log yields its lines.
    let mut s = d.follow_logs(&ok.id, None, Some(10)).await.unwrap();
    let first = s.next().await.unwrap().unwrap();
    assert!(first.contains(ok.id.as_str()), "{first}");
    drop(s);

    // A JobManager in CrashLoopBackOff: the container that died is readable as `/previous`.
    sim.inject("nat-crashlog", PodFault::CrashLoopBackOff);
    let spec = JobSpec::sql("nat-crashlog", "INSERT INTO k SELECT 1").unwrap();
    let bad = d.deploy(DeployRequest::new(spec, 1)).await.unwrap();
    let logs = d.logs(&bad.id, LogOptions::default()).await.unwrap();
    let prev = logs
        .files
        .iter()
        .find(|f| f.name.ends_with("/previous"))
        .unwrap_or_else(|| panic!("no previous log in {:?}", logs.files));
    let crashed = d
        .logs(&bad.id, LogOptions::file(prev.name.clone()))
        .await
        .unwrap();
    assert!(
        crashed
            .content
            .contains("Could not start cluster entrypoint"),
        "{}",
        crashed.content
    );
    // Another cluster's pods are not this one's files.
    assert!(
        logs.files
            .iter()
            .all(|f| !f.name.starts_with(ok.id.as_str()))
    );
    let e = d
        .logs(&bad.id, LogOptions::file(names[0]))
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_is_served_from_the_watch_caches() {
    let sim = SimApiServer::start().await.unwrap();
    let sub = SimNativeSubmitter::new(&sim, NS);
    let watching = deployer(&sim, &sub);
    let other = deployer(&sim, &sub);
    assert!(watching.list(&Selector::All).await.unwrap().is_empty());
    let stats = watching.watch_stats().await.unwrap();
    assert!(stats.relists() >= 2, "Deployments and pods listed once");

    // With its watches down, the cluster another host starts is not in this handle's list:
    // list reads the caches, it does not ask the API server.
    sim.block_watches(true);
    sim.drop_watches();
    let start = tokio::time::Instant::now();
    while sim.open_watches() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "watches did not close"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let spec = JobSpec::sql("nat-cached", "INSERT INTO k SELECT 1").unwrap();
    let dep = other.deploy(DeployRequest::new(spec, 1)).await.unwrap();
    assert!(
        watching.list(&Selector::All).await.unwrap().is_empty(),
        "served from the caches"
    );
    // The fresh reads still see it.
    assert!(watching.inspect(&dep.id).await.is_ok());

    // The watches come back (re-list after the gap) and the list catches up by itself.
    sim.block_watches(false);
    let start = tokio::time::Instant::now();
    loop {
        let list = watching.list(&Selector::All).await.unwrap();
        if list.iter().any(|s| s.deployment == dep.id) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "the cache never caught up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stats.events() > 0);
}
