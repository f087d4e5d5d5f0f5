//! Typed answers of the Flink REST API (v1), tolerant of fields added by later releases.
//!
//! Field names follow Flink's wire names (`slots-total`, `isStoppable`, `exceptionHistory`,
//! `external_path`): Flink mixes kebab-case, camelCase and snake_case, so each struct says which.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::JobState;

/// `GET /overview`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
#[non_exhaustive]
pub struct ClusterOverview {
    /// Registered TaskManagers.
    pub taskmanagers: u32,
    /// All slots.
    pub slots_total: u32,
    /// Free slots.
    pub slots_available: u32,
    /// Running jobs.
    pub jobs_running: u32,
    /// Finished jobs.
    pub jobs_finished: u32,
    /// Cancelled jobs.
    pub jobs_cancelled: u32,
    /// Failed jobs.
    pub jobs_failed: u32,
    /// Flink version string (may carry a vendor tag).
    pub flink_version: String,
    /// Commit id of the build.
    pub flink_commit: String,
}

/// `GET /config` (the web dashboard configuration).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
#[non_exhaustive]
pub struct DashboardConfig {
    /// UI refresh interval, ms.
    pub refresh_interval: i64,
    /// Time zone of the JobManager.
    pub timezone_name: String,
    /// Its offset, ms.
    pub timezone_offset: i64,
    /// Flink version.
    pub flink_version: String,
    /// Flink revision.
    pub flink_revision: String,
    /// Dashboard features.
    pub features: DashboardFeatures,
}

/// Features the dashboard enables.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
#[non_exhaustive]
pub struct DashboardFeatures {
    /// Jars may be uploaded and run (`web.submit.enable`).
    pub web_submit: bool,
    /// Jobs may be cancelled from the UI.
    pub web_cancel: bool,
    /// History server mode.
    pub web_history: bool,
}

/// One entry of `GET /jobs/overview`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct JobOverview {
    /// Flink job id (32 hex characters).
    pub jid: String,
    /// Job name.
    #[serde(default)]
    pub name: String,
    /// Job status as Flink spells it.
    pub state: String,
    /// Start, ms since the epoch.
    #[serde(default)]
    pub start_time: i64,
    /// End, ms since the epoch, or -1.
    #[serde(default = "minus_one")]
    pub end_time: i64,
    /// Duration, ms.
    #[serde(default)]
    pub duration: i64,
    /// Last state change, ms since the epoch.
    #[serde(default)]
    pub last_modification: i64,
}

fn minus_one() -> i64 {
    -1
}

impl JobOverview {
    /// The state as a [`JobState`].
    pub fn job_state(&self) -> JobState {
        JobState::from_flink(&self.state)
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct JobsOverview {
    pub(crate) jobs: Vec<JobOverview>,
}

/// One vertex of a job graph.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
#[non_exhaustive]
pub struct JobVertex {
    /// Vertex id.
    pub id: String,
    /// Operator chain name.
    pub name: String,
    /// Parallelism.
    pub parallelism: i64,
    /// Execution state.
    pub status: String,
}

/// `GET /jobs/:jobid`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct JobDetailsInfo {
    /// Job id.
    pub jid: String,
    /// Job name.
    #[serde(default)]
    pub name: String,
    /// Status.
    pub state: String,
    /// Whether stop-with-savepoint is possible.
    #[serde(rename = "isStoppable", default)]
    pub is_stoppable: bool,
    /// Start, ms.
    #[serde(default)]
    pub start_time: i64,
    /// End, ms or -1.
    #[serde(default = "minus_one")]
    pub end_time: i64,
    /// Duration, ms.
    #[serde(default)]
    pub duration: i64,
    /// Time of the answer, ms.
    #[serde(default)]
    pub now: i64,
    /// First time each state was entered, ms.
    #[serde(default)]
    pub timestamps: BTreeMap<String, i64>,
    /// Vertices.
    #[serde(default)]
    pub vertices: Vec<JobVertex>,
}

impl JobDetailsInfo {
    /// The state as a [`JobState`].
    pub fn job_state(&self) -> JobState {
        JobState::from_flink(&self.state)
    }
}

/// One entry of the exception history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ExceptionEntry {
    /// Exception class.
    pub exception_name: String,
    /// Full stack trace.
    pub stacktrace: String,
    /// When, ms.
    pub timestamp: i64,
    /// Failing task, if any.
    pub task_name: Option<String>,
    /// Where it ran.
    pub location: Option<String>,
}

impl ExceptionEntry {
    /// A one-line summary: the exception class and its message, plus the root cause.
    pub fn summary(&self) -> String {
        let mut lines = self
            .stacktrace
            .lines()
            .filter(|l| !l.trim_start().starts_with("at ") && !l.trim().is_empty());
        let first = lines
            .next()
            .unwrap_or(&self.exception_name)
            .trim()
            .to_string();
        let root = self
            .stacktrace
            .lines()
            .rfind(|l| l.starts_with("Caused by:"))
            .map(|l| l.trim_start_matches("Caused by:").trim().to_string());
        match root {
            Some(r) if r != first => format!("{first} (root cause: {r})"),
            _ => first,
        }
    }
}

/// The exception history of a job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ExceptionHistory {
    /// Newest first.
    pub entries: Vec<ExceptionEntry>,
    /// Whether older entries were dropped.
    pub truncated: bool,
}

/// `GET /jobs/:jobid/exceptions`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct JobExceptions {
    /// The history (read this first; `root-exception` is deprecated).
    #[serde(rename = "exceptionHistory")]
    pub exception_history: ExceptionHistory,
    /// Deprecated root exception, absent in Flink 2.x.
    #[serde(rename = "root-exception")]
    pub root_exception: Option<String>,
}

impl JobExceptions {
    /// The newest failure as one line, if there is one.
    pub fn latest_summary(&self) -> Option<String> {
        self.exception_history
            .entries
            .first()
            .map(ExceptionEntry::summary)
            .or_else(|| {
                self.root_exception
                    .as_ref()
                    .and_then(|r| r.lines().next().map(str::to_string))
            })
    }
}

/// Checkpoint counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CheckpointCounts {
    /// Restores.
    pub restored: u64,
    /// All checkpoints.
    pub total: u64,
    /// In flight.
    pub in_progress: u64,
    /// Completed.
    pub completed: u64,
    /// Failed.
    pub failed: u64,
}

/// A completed checkpoint or savepoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CompletedCheckpoint {
    /// Checkpoint id.
    pub id: u64,
    /// Whether it is a savepoint.
    pub is_savepoint: bool,
    /// Trigger time, ms.
    pub trigger_timestamp: i64,
    /// Last acknowledgement, ms.
    pub latest_ack_timestamp: i64,
    /// Where it was written (`<checkpoint-dir>/chk-N` or a savepoint dir); `<checkpoint-not-externally-addressable>` when not retained.
    pub external_path: Option<String>,
    /// Whether it was discarded.
    pub discarded: bool,
}

/// Where a job restored from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct RestoredCheckpoint {
    /// Checkpoint id.
    pub id: u64,
    /// When, ms.
    pub restore_timestamp: i64,
    /// Whether it was a savepoint.
    pub is_savepoint: bool,
    /// Its path.
    pub external_path: Option<String>,
}

/// The `latest` block of checkpoint statistics.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct LatestCheckpoints {
    /// Latest completed checkpoint.
    pub completed: Option<CompletedCheckpoint>,
    /// Latest savepoint.
    pub savepoint: Option<CompletedCheckpoint>,
    /// Restore source.
    pub restored: Option<RestoredCheckpoint>,
}

/// `GET /jobs/:jobid/checkpoints`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CheckpointStats {
    /// Counters.
    pub counts: CheckpointCounts,
    /// Latest entries.
    pub latest: LatestCheckpoints,
}

impl CheckpointStats {
    /// The path of the latest completed, externally addressable checkpoint.
    pub fn latest_completed_path(&self) -> Option<&str> {
        self.latest
            .completed
            .as_ref()
            .and_then(|c| c.external_path.as_deref())
            .filter(|p| is_addressable(p))
    }
}

pub(crate) fn is_addressable(path: &str) -> bool {
    !path.is_empty() && !path.starts_with('<')
}

/// Status of an asynchronous operation (savepoint, stop).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AsyncStatus {
    /// `IN_PROGRESS` or `COMPLETED`.
    pub id: String,
}

/// A failure cause Flink serialized.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
#[non_exhaustive]
pub struct FailureCause {
    /// Exception class.
    pub class: Option<String>,
    /// Stack trace.
    pub stack_trace: Option<String>,
}

impl FailureCause {
    /// A short description: the class and the first meaningful lines of the trace.
    pub fn summary(&self) -> String {
        match &self.stack_trace {
            Some(t) => super::client::summarize_java_error(t),
            None => self
                .class
                .clone()
                .unwrap_or_else(|| "unknown failure".into()),
        }
    }
}

/// The operation part of a savepoint status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
#[non_exhaustive]
pub struct SavepointOperation {
    /// The savepoint path, on success.
    pub location: Option<String>,
    /// The failure, otherwise.
    pub failure_cause: Option<FailureCause>,
}

/// `GET /jobs/:jobid/savepoints/:triggerid`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SavepointStatus {
    /// Progress.
    pub status: AsyncStatus,
    /// Result, once completed.
    pub operation: Option<SavepointOperation>,
}

impl SavepointStatus {
    /// Whether the operation finished (successfully or not).
    pub fn is_completed(&self) -> bool {
        self.status.id == "COMPLETED"
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct TriggerResponse {
    #[serde(rename = "request-id")]
    pub(crate) request_id: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct UploadResponse {
    pub(crate) filename: String,
    #[serde(default)]
    pub(crate) status: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RunResponse {
    pub(crate) jobid: String,
}

/// Body of `POST /jars/:jarid/run`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JarRunRequest {
    /// Main class; the manifest's when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_class: Option<String>,
    /// Program arguments, one element each (no shell splitting).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub program_args_list: Vec<String>,
    /// Parallelism.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    /// A fixed Flink job id (32 hex characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// Restore from this savepoint or checkpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savepoint_path: Option<String>,
    /// Skip state that cannot be mapped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_non_restored_state: Option<bool>,
    /// Extra Flink configuration for this job.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub flink_configuration: BTreeMap<String, String>,
}

/// One file of `GET /jobmanager/logs`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct LogEntry {
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LogList {
    #[serde(default)]
    pub(crate) logs: Vec<LogEntry>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub(crate) errors: Vec<String>,
}
