//! Types for the Flink Kubernetes Operator's custom resources, `flink.apache.org/v1beta1`:
//! [`FlinkDeployment`], [`FlinkSessionJob`] and [`FlinkStateSnapshot`] (operator 1.10+).
//!
//! Only the fields this crate reads or writes are typed; unknown fields are ignored when
//! reading (operators add status fields between releases), and fields left `None` are not
//! sent, so a server-side apply only claims what it sets. Status states are kept as strings so
//! a state a newer operator introduces is reported, not rejected.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `spec` of a `FlinkDeployment`: a Flink cluster, with a job in application mode or without
/// one as a session cluster.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "flink.apache.org",
    version = "v1beta1",
    kind = "FlinkDeployment",
    namespaced,
    status = "FlinkDeploymentStatus",
    schema = "disabled",
    crates(kube_core = "kube::core", k8s_openapi = "k8s_openapi")
)]
#[serde(rename_all = "camelCase")]
pub struct FlinkDeploymentSpec {
    /// Container image with Flink.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `Always`, `IfNotPresent`, `Never`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    /// Operator enum: `v1_19`, `v1_20`, `v2_0` … (see [`flink_version_value`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flink_version: Option<String>,
    /// Flink configuration (flat string map).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flink_configuration: Option<BTreeMap<String, String>>,
    /// Service account of the Flink pods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// Pod template applied to JobManager and TaskManager pods (a Kubernetes `Pod`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_template: Option<Value>,
    /// JobManager resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_manager: Option<ProcessSpec>,
    /// TaskManager resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_manager: Option<ProcessSpec>,
    /// The job (application mode); absent for a session cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<JobSpecCr>,
    /// `native` or `standalone`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Changing it restarts the cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_nonce: Option<i64>,
}

/// JobManager or TaskManager settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessSpec {
    /// CPU and memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// Replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Pod template for this process only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_template: Option<Value>,
}

/// CPU and memory of one Flink process.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// CPU cores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    /// Memory, e.g. `2048m`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Ephemeral storage, e.g. `1G`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<String>,
}

/// `spec.job` of a `FlinkDeployment` or `FlinkSessionJob`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSpecCr {
    /// The job jar (`local:///…` in application mode, also `https://`, `s3://` for session jobs).
    #[serde(rename = "jarURI", skip_serializing_if = "Option::is_none")]
    pub jar_uri: Option<String>,
    /// Parallelism.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<i32>,
    /// Main class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_class: Option<String>,
    /// Program arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    /// Desired state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<DesiredState>,
    /// What happens to state on upgrade and suspend.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade_mode: Option<UpgradeMode>,
    /// Changing it triggers a savepoint (deprecated in operator 1.10+ for `FlinkStateSnapshot`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savepoint_trigger_nonce: Option<i64>,
    /// Changing it triggers a checkpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_trigger_nonce: Option<i64>,
    /// Savepoint to start from on the first deployment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_savepoint_path: Option<String>,
    /// Skip state of removed operators on restore.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_non_restored_state: Option<bool>,
}

/// `spec.job.state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DesiredState {
    /// Running.
    Running,
    /// Suspended (stopped; resumable).
    Suspended,
}

/// `spec.job.upgradeMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum UpgradeMode {
    /// Cancel without state.
    Stateless,
    /// Stop with a savepoint.
    Savepoint,
    /// Keep the last checkpoint (HA metadata).
    LastState,
}

/// `status` shared by `FlinkDeployment` and `FlinkSessionJob` (the fields this crate reads).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlinkDeploymentStatus {
    /// `CREATED`, `SUSPENDED`, `UPGRADING`, `DEPLOYED`, `STABLE`, `ROLLING_BACK`,
    /// `ROLLED_BACK`, `FAILED`, `DELETING`, `DELETED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_state: Option<String>,
    /// `READY`, `DEPLOYED_NOT_READY`, `DEPLOYING`, `MISSING`, `ERROR` (deployments only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_manager_deployment_status: Option<String>,
    /// The job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_status: Option<JobStatusCr>,
    /// Last error, often a JSON document with `type`, `message` and `throwableList`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Generation the operator last observed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Reconciliation progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconciliation_status: Option<ReconciliationStatus>,
    /// Conditions (operator 1.10+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Condition>>,
}

/// `status.jobStatus`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobStatusCr {
    /// Flink's job name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    /// Flink job id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// Flink `JobStatus`: `RUNNING`, `FAILED`, `FINISHED`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Start time, ms since the epoch, as a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Last update, ms since the epoch, as a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_time: Option<String>,
    /// The savepoint taken by the last suspend or upgrade.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade_savepoint_path: Option<String>,
    /// Savepoint info (deprecated by the operator; still filled for nonce savepoints).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savepoint_info: Option<SavepointInfo>,
    /// Checkpoint info.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_info: Option<Value>,
}

/// `status.jobStatus.savepointInfo` (the fields this crate reads).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavepointInfo {
    /// The last completed savepoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_savepoint: Option<SavepointEntry>,
    /// Trigger id of a savepoint in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_id: Option<String>,
    /// Error of the last savepoint attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted_error: Option<String>,
}

/// One savepoint in `savepointInfo`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavepointEntry {
    /// When it completed, ms since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_stamp: Option<i64>,
    /// Location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Nonce that triggered it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_nonce: Option<i64>,
}

/// `status.reconciliationStatus`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconciliationStatus {
    /// `DEPLOYED`, `UPGRADING`, `ROLLING_BACK`, `ROLLED_BACK`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The last reconciled spec, as JSON text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_reconciled_spec: Option<String>,
    /// The last stable spec, as JSON text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_stable_spec: Option<String>,
    /// When it was reconciled, ms since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconciliation_timestamp: Option<i64>,
}

/// `spec` of a `FlinkSessionJob`: a job on a session `FlinkDeployment`.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "flink.apache.org",
    version = "v1beta1",
    kind = "FlinkSessionJob",
    namespaced,
    status = "FlinkDeploymentStatus",
    schema = "disabled",
    crates(kube_core = "kube::core", k8s_openapi = "k8s_openapi")
)]
#[serde(rename_all = "camelCase")]
pub struct FlinkSessionJobSpec {
    /// Name of the session `FlinkDeployment`.
    pub deployment_name: String,
    /// Job-level Flink configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flink_configuration: Option<BTreeMap<String, String>>,
    /// The job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<JobSpecCr>,
    /// Changing it restarts the job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_nonce: Option<i64>,
}

/// `spec` of a `FlinkStateSnapshot` (operator 1.10+): a savepoint or checkpoint of one job.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "flink.apache.org",
    version = "v1beta1",
    kind = "FlinkStateSnapshot",
    namespaced,
    status = "FlinkStateSnapshotStatus",
    schema = "disabled",
    crates(kube_core = "kube::core", k8s_openapi = "k8s_openapi")
)]
#[serde(rename_all = "camelCase")]
pub struct FlinkStateSnapshotSpec {
    /// The job the snapshot is of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_reference: Option<JobReference>,
    /// Savepoint settings (a savepoint snapshot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savepoint: Option<SavepointSpec>,
    /// Checkpoint settings (a checkpoint snapshot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Value>,
    /// Retries before the snapshot is `FAILED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff_limit: Option<i32>,
}

/// `spec.jobReference` of a `FlinkStateSnapshot`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JobReference {
    /// `FlinkDeployment` or `FlinkSessionJob`.
    pub kind: String,
    /// Resource name.
    pub name: String,
}

/// `spec.savepoint` of a `FlinkStateSnapshot`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavepointSpec {
    /// Target directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `CANONICAL` or `NATIVE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format_type: Option<String>,
    /// Dispose the savepoint data when the resource is deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispose_on_delete: Option<bool>,
    /// The savepoint already exists at `path` (register it, take nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub already_exists: Option<bool>,
}

/// `status` of a `FlinkStateSnapshot`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlinkStateSnapshotStatus {
    /// `TRIGGER_PENDING`, `IN_PROGRESS`, `COMPLETED`, `FAILED`, `ABANDONED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Flink's trigger id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_id: Option<String>,
    /// Completed savepoint location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Error of the last try.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Failed tries so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failures: Option<i32>,
    /// When it was triggered (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_timestamp: Option<String>,
    /// When it completed or failed (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_timestamp: Option<String>,
}

/// The operator's `flinkVersion` enum value for a Flink version such as `1.20.1` or `2.0`:
/// `v1_20`, `v2_0`. `None` for text that is not `major.minor[.patch]`.
pub fn flink_version_value(version: &str) -> Option<String> {
    let v = version.trim().trim_start_matches('v');
    let mut parts = v.split(['.', '_']);
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next()?.parse().ok()?;
    Some(format!("v{major}_{minor}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::Resource as _;

    #[test]
    fn api_coordinates_match_the_operator() {
        assert_eq!(FlinkDeployment::plural(&()), "flinkdeployments");
        assert_eq!(FlinkSessionJob::plural(&()), "flinksessionjobs");
        assert_eq!(FlinkStateSnapshot::plural(&()), "flinkstatesnapshots");
        assert_eq!(
            FlinkDeployment::api_version(&()),
            "flink.apache.org/v1beta1"
        );
    }

    #[test]
    fn status_with_unknown_fields_and_states_parses() {
        let doc = serde_json::json!({
            "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
            "metadata": {"name": "x", "namespace": "ns"},
            "spec": {"image": "flink:1.20", "job": {"jarURI": "local:///a.jar", "upgradeMode": "last-state", "state": "running"}, "someFutureField": 1},
            "status": {"lifecycleState": "STABLE", "brandNew": {"a": 1},
                "jobStatus": {"state": "SOME_NEW_STATE", "jobId": "abc", "checkpointInfo": {"x": 1}},
                "reconciliationStatus": {"state": "DEPLOYED", "lastReconciledSpec": "{}"}}
        });
        let fd: FlinkDeployment = serde_json::from_value(doc).unwrap();
        let st = fd.status.unwrap();
        assert_eq!(st.lifecycle_state.as_deref(), Some("STABLE"));
        assert_eq!(
            st.job_status.unwrap().state.as_deref(),
            Some("SOME_NEW_STATE")
        );
        assert_eq!(
            fd.spec.job.unwrap().upgrade_mode,
            Some(UpgradeMode::LastState)
        );
    }

    #[test]
    fn unset_fields_are_not_sent() {
        let spec = JobSpecCr {
            jar_uri: Some("local:///x.jar".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&spec).unwrap(),
            serde_json::json!({"jarURI": "local:///x.jar"})
        );
    }

    #[test]
    fn flink_versions_map_to_operator_enum() {
        assert_eq!(flink_version_value("1.20.1").as_deref(), Some("v1_20"));
        assert_eq!(flink_version_value("2.0").as_deref(), Some("v2_0"));
        assert_eq!(flink_version_value("v1_19").as_deref(), Some("v1_19"));
        assert_eq!(flink_version_value("latest"), None);
    }
}
