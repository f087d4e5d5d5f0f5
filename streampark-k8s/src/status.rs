//! Job state from the custom resource and its pods together.
//!
//! The resource says what the operator believes (`lifecycleState`, `jobStatus.state`,
//! `error`); the pods say what Kubernetes sees. A JobManager stuck in `ImagePullBackOff` or
//! `CrashLoopBackOff` leaves the resource at `DEPLOYED`/`RECONCILING` for minutes, which other
//! tools show as "initializing": here the pod condition wins and becomes the snapshot's reason.

use k8s_openapi::api::core::v1::Pod;
use streampark_core::deploy::{DeploymentId, JobSnapshot};
use streampark_core::{JobId, JobState};

use crate::crd::{DesiredState, FlinkDeploymentStatus, JobSpecCr, UpgradeMode};
use crate::resources::{ATTEMPT_LABEL, JOB_LABEL};

/// What this crate needs of a `FlinkDeployment` or `FlinkSessionJob`.
#[derive(Clone, Debug, Default)]
pub(crate) struct View {
    pub(crate) name: String,
    pub(crate) labels: std::collections::BTreeMap<String, String>,
    pub(crate) job: Option<JobSpecCr>,
    pub(crate) status: Option<FlinkDeploymentStatus>,
    pub(crate) deleting: bool,
    pub(crate) created_ms: Option<i64>,
}

impl View {
    /// The job id and attempt from the labels; `None` for untagged resources.
    pub(crate) fn tag(&self) -> Option<(JobId, u64)> {
        let job = JobId::new(self.labels.get(JOB_LABEL)?.as_str()).ok()?;
        let attempt: u64 = self.labels.get(ATTEMPT_LABEL)?.parse().ok()?;
        (attempt > 0).then_some((job, attempt))
    }
}

/// The deployment id of a resource: `<name>` (namespaced by the deployer).
pub(crate) fn deployment_id(name: &str) -> DeploymentId {
    DeploymentId::new(name)
}

fn flink_state(s: &str) -> JobState {
    match s {
        "CREATED" => JobState::Created,
        "INITIALIZING" => JobState::Initializing,
        "RUNNING" => JobState::Running,
        "FAILING" => JobState::Failing,
        "FAILED" => JobState::Failed,
        "CANCELLING" => JobState::Cancelling,
        "CANCELED" => JobState::Canceled,
        "FINISHED" => JobState::Finished,
        "RESTARTING" => JobState::Restarting,
        "SUSPENDED" => JobState::Suspended,
        "RECONCILING" => JobState::Reconciling,
        _ => JobState::Unknown,
    }
}

/// The operator's state of the resource, before pods are considered.
pub(crate) fn resource_state(v: &View) -> (JobState, Option<String>) {
    let st = v.status.clone().unwrap_or_default();
    let lifecycle = st.lifecycle_state.as_deref().unwrap_or("");
    let job_state = st.job_status.as_ref().and_then(|j| j.state.clone());
    let error = st.error.as_deref().map(error_message);
    if v.deleting || lifecycle == "DELETING" {
        return (
            JobState::Cancelling,
            Some("resource is being deleted".into()),
        );
    }
    let suspended = lifecycle == "SUSPENDED"
        || v.job.as_ref().and_then(|j| j.state) == Some(DesiredState::Suspended)
            && matches!(
                job_state.as_deref(),
                Some("FINISHED" | "CANCELED" | "SUSPENDED")
            );
    if suspended {
        let by_savepoint =
            v.job.as_ref().and_then(|j| j.upgrade_mode) != Some(UpgradeMode::Stateless);
        let state = match job_state.as_deref() {
            Some("FINISHED") => JobState::Finished,
            Some("CANCELED") => JobState::Canceled,
            Some("FAILED") => JobState::Failed,
            _ if by_savepoint => JobState::Finished,
            _ => JobState::Canceled,
        };
        return (state, Some("suspended".into()));
    }
    if lifecycle == "FAILED" {
        return (JobState::Failed, error.or(Some("deployment failed".into())));
    }
    let state = match job_state.as_deref() {
        Some(s) => flink_state(s),
        None if lifecycle.is_empty() || lifecycle == "CREATED" => JobState::Deploying,
        None => JobState::Initializing,
    };
    (state, error)
}

/// The operator's `error` field is often JSON (`{"type":…,"message":…}`): keep its message.
pub(crate) fn error_message(raw: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(v) => match v.get("message").and_then(|m| m.as_str()) {
            Some(m) => match v.get("type").and_then(|t| t.as_str()) {
                Some(t) if !m.contains(t) => format!("{t}: {m}"),
                _ => m.to_string(),
            },
            None => raw.to_string(),
        },
        Err(_) => raw.to_string(),
    }
}

/// A pod problem that explains why a job is not running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PodProblem {
    pub(crate) state: JobState,
    pub(crate) reason: String,
}

/// The worst problem among the pods of one deployment, if any.
pub(crate) fn pod_problem(pods: &[&Pod]) -> Option<PodProblem> {
    let mut found: Option<PodProblem> = None;
    for pod in pods {
        let name = pod.metadata.name.as_deref().unwrap_or("?");
        let Some(status) = &pod.status else { continue };
        for cs in status.container_statuses.iter().flatten() {
            let waiting = cs.state.as_ref().and_then(|s| s.waiting.as_ref());
            let last_term = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref());
            let term = cs.state.as_ref().and_then(|s| s.terminated.as_ref());
            let oom = [last_term, term]
                .into_iter()
                .flatten()
                .find(|t| t.reason.as_deref() == Some("OOMKilled"));
            if let Some(t) = oom {
                return Some(PodProblem {
                    state: JobState::Restarting,
                    reason: format!(
                        "OOMKilled: container {} of pod {name} ran out of memory (exit code {}, {} restarts); raise its memory",
                        cs.name, t.exit_code, cs.restart_count
                    ),
                });
            }
            match waiting.and_then(|w| w.reason.as_deref()) {
                Some(r @ ("ImagePullBackOff" | "ErrImagePull" | "InvalidImageName")) => {
                    let msg = waiting.and_then(|w| w.message.clone()).unwrap_or_default();
                    found = Some(PodProblem {
                        state: JobState::Deploying,
                        reason: format!("{r}: pod {name} cannot pull image {}: {msg}", cs.image),
                    });
                }
                Some("CrashLoopBackOff") => {
                    let last = last_term
                        .map(|t| {
                            format!(
                                "; last exit code {} ({})",
                                t.exit_code,
                                t.reason.clone().unwrap_or_default()
                            )
                        })
                        .unwrap_or_default();
                    found = Some(PodProblem {
                        state: JobState::Restarting,
                        reason: format!(
                            "CrashLoopBackOff: container {} of pod {name} keeps crashing ({} restarts{last}); see its previous logs",
                            cs.name, cs.restart_count
                        ),
                    });
                }
                Some(r @ ("CreateContainerConfigError" | "CreateContainerError")) => {
                    let msg = waiting.and_then(|w| w.message.clone()).unwrap_or_default();
                    found = Some(PodProblem {
                        state: JobState::Deploying,
                        reason: format!("{r}: pod {name}: {msg}"),
                    });
                }
                _ => {}
            }
        }
        if found.is_none() && status.phase.as_deref() == Some("Pending") {
            let unsched = status.conditions.iter().flatten().find(|c| {
                c.type_ == "PodScheduled"
                    && c.status == "False"
                    && c.reason.as_deref() == Some("Unschedulable")
            });
            if let Some(c) = unsched {
                found = Some(PodProblem {
                    state: JobState::Deploying,
                    reason: format!(
                        "Unschedulable: pod {name} is Pending: {}",
                        c.message
                            .clone()
                            .unwrap_or_else(|| "no node has room for it".into())
                    ),
                });
            }
        }
    }
    found
}

fn ms(s: &Option<String>) -> Option<i64> {
    s.as_deref().and_then(|t| t.parse().ok())
}

/// The snapshot of one tagged resource with its pods.
pub(crate) fn snapshot(v: &View, pods: &[&Pod]) -> Option<JobSnapshot> {
    let (job, attempt) = v.tag()?;
    let (mut state, mut reason) = resource_state(v);
    if !state.is_terminal()
        && state != JobState::Cancelling
        && let Some(p) = pod_problem(pods)
    {
        // A pod problem explains a job that is not running (yet); a running job with one
        // crashed TaskManager keeps RUNNING but carries the reason.
        if state != JobState::Running {
            state = p.state;
        }
        reason = Some(p.reason);
    }
    let mut s = JobSnapshot::new(deployment_id(&v.name), job, attempt, state);
    let js = v
        .status
        .as_ref()
        .and_then(|s| s.job_status.clone())
        .unwrap_or_default();
    s.name = js.job_name.clone().unwrap_or_else(|| v.name.clone());
    s.start_time_ms = ms(&js.start_time).or(v.created_ms);
    s.last_modified_ms = ms(&js.update_time);
    if state.is_terminal() {
        s.end_time_ms = s.last_modified_ms;
    }
    s.reason = reason;
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(status: serde_json::Value) -> Pod {
        serde_json::from_value(json!({"metadata": {"name": "j-jm-1"}, "status": status})).unwrap()
    }

    fn view(status: serde_json::Value, job: serde_json::Value) -> View {
        View {
            name: "sp-j-a1".into(),
            labels: [
                ("streampark.job".to_string(), "j".to_string()),
                ("streampark.attempt".to_string(), "1".to_string()),
            ]
            .into(),
            job: Some(serde_json::from_value(job).unwrap()),
            status: Some(serde_json::from_value(status).unwrap()),
            deleting: false,
            created_ms: None,
        }
    }

    #[test]
    fn crash_loop_is_not_initializing() {
        let v = view(
            json!({"lifecycleState": "DEPLOYED", "jobStatus": {"state": "RECONCILING"}}),
            json!({"state": "running"}),
        );
        let p = pod(json!({"phase": "Running", "containerStatuses": [{
            "name": "flink-main-container", "image": "flink:1.20", "imageID": "", "ready": false, "restartCount": 4,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}));
        let s = snapshot(&v, &[&p]).unwrap();
        assert_eq!(s.state, JobState::Restarting);
        let r = s.reason.unwrap();
        assert!(
            r.starts_with("CrashLoopBackOff")
                && r.contains("4 restarts")
                && r.contains("exit code 1"),
            "{r}"
        );
    }

    #[test]
    fn oom_and_image_pull_and_unschedulable() {
        let v = view(json!({"lifecycleState": "DEPLOYED"}), json!({}));
        let oom = pod(
            json!({"containerStatuses": [{"name": "c", "image": "i", "imageID": "", "ready": false, "restartCount": 2,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}),
        );
        let r = snapshot(&v, &[&oom]).unwrap().reason.unwrap();
        assert!(r.starts_with("OOMKilled") && r.contains("137"), "{r}");
        let pull = pod(
            json!({"phase": "Pending", "containerStatuses": [{"name": "c", "image": "flink:nope", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}}]}),
        );
        let s = snapshot(&v, &[&pull]).unwrap();
        assert_eq!(s.state, JobState::Deploying);
        assert!(
            s.reason
                .unwrap()
                .contains("ImagePullBackOff: pod j-jm-1 cannot pull image flink:nope")
        );
        let pending = pod(
            json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/3 nodes are available: 3 Insufficient memory."}]}),
        );
        let r = snapshot(&v, &[&pending]).unwrap().reason.unwrap();
        assert!(
            r.contains("Unschedulable") && r.contains("Insufficient memory"),
            "{r}"
        );
    }

    #[test]
    fn suspended_maps_by_upgrade_mode_and_job_state() {
        let v = view(
            json!({"lifecycleState": "SUSPENDED", "jobStatus": {"state": "FINISHED"}}),
            json!({"state": "suspended", "upgradeMode": "savepoint"}),
        );
        assert_eq!(resource_state(&v).0, JobState::Finished);
        let v = view(
            json!({"lifecycleState": "SUSPENDED"}),
            json!({"state": "suspended", "upgradeMode": "stateless"}),
        );
        assert_eq!(resource_state(&v).0, JobState::Canceled);
        // A finished pod must not show as running: the job state wins.
        let v = view(
            json!({"lifecycleState": "STABLE", "jobStatus": {"state": "FINISHED"}}),
            json!({}),
        );
        assert_eq!(resource_state(&v).0, JobState::Finished);
    }

    #[test]
    fn operator_error_json_keeps_type_and_message() {
        let v = view(
            json!({"lifecycleState": "FAILED", "error": "{\"type\":\"org.apache.flink.runtime.rest.util.RestClientException\",\"message\":\"SQL statement 2 (line 2): SQL parse failed.\"}"}),
            json!({}),
        );
        let (s, r) = resource_state(&v);
        assert_eq!(s, JobState::Failed);
        assert!(
            r.unwrap()
                .contains("RestClientException: SQL statement 2 (line 2)")
        );
        assert_eq!(error_message("plain"), "plain");
    }

    #[test]
    fn untagged_resources_are_skipped() {
        let mut v = view(json!({}), json!({}));
        v.labels.clear();
        assert!(snapshot(&v, &[]).is_none());
    }
}
