//! Where Flink jobs run: the [`Deployer`] trait and its request and answer types.

pub mod remote;
pub mod tag;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Error, JobId, JobSpec, JobState, Result};

/// A backend's handle on one deployment of one attempt of a job: a Flink job id on a session
/// cluster, a YARN application id, a Kubernetes resource name.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeploymentId(String);

impl DeploymentId {
    /// Wraps a backend id.
    pub fn new(id: impl Into<String>) -> Self {
        DeploymentId(id.into())
    }
    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DeploymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeploymentId({})", self.0)
    }
}

impl fmt::Display for DeploymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a backend can do; read by the supervisor and the conformance suite.
///
/// ```
/// use streampark_core::Capabilities;
/// let c = Capabilities::default().with_savepoint(true).with_logs(true);
/// assert!(c.savepoint() && c.logs() && !c.drain());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    savepoint: bool,
    stop_with_savepoint: bool,
    drain: bool,
    jar_programs: bool,
    sql_programs: bool,
    logs: bool,
    checkpoints: bool,
    restore: bool,
}

impl Capabilities {
    /// Every capability: what a full Flink cluster behind a backend offers (a backend then
    /// turns off what it cannot do, e.g. `Capabilities::all().with_drain(false)`).
    ///
    /// ```
    /// use streampark_core::Capabilities;
    /// let c = Capabilities::all();
    /// assert!(c.savepoint() && c.drain() && c.logs() && c.restore());
    /// ```
    pub fn all() -> Self {
        Capabilities {
            savepoint: true,
            stop_with_savepoint: true,
            drain: true,
            jar_programs: true,
            sql_programs: true,
            logs: true,
            checkpoints: true,
            restore: true,
        }
    }
}

macro_rules! capability {
    ($($field:ident, $setter:ident, $doc:literal;)*) => {
        impl Capabilities {
            $(
                #[doc = concat!("Whether the backend supports ", $doc, ".")]
                pub fn $field(&self) -> bool { self.$field }
                #[doc = concat!("Declares support for ", $doc, ".")]
                #[must_use]
                pub fn $setter(mut self, yes: bool) -> Self { self.$field = yes; self }
            )*
        }
    };
}

capability! {
    savepoint, with_savepoint, "triggering savepoints";
    stop_with_savepoint, with_stop_with_savepoint, "stopping with a savepoint";
    drain, with_drain, "draining (`--drain`) when stopping with a savepoint";
    jar_programs, with_jar_programs, "jar programs";
    sql_programs, with_sql_programs, "SQL programs";
    logs, with_logs, "fetching logs";
    checkpoints, with_checkpoints, "reporting checkpoints";
    restore, with_restore, "restoring from a savepoint or checkpoint path";
}

/// One request to start one attempt of a job.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DeployRequest {
    /// The job's specification.
    pub spec: JobSpec,
    /// Attempt number (1 for the first start). Together with the job id it is the deployment's
    /// tag; the same tag is never started twice.
    pub attempt: u64,
    /// A resolved savepoint or checkpoint path to restore from (the supervisor resolves
    /// [`crate::Restore::Latest`] to a path before deploying).
    pub restore_path: Option<String>,
    /// Allow state of removed operators to be skipped on restore.
    pub allow_non_restored_state: bool,
}

impl DeployRequest {
    /// Attempt `attempt` of `spec`, restoring from `spec.restore` when it is an explicit path.
    pub fn new(spec: JobSpec, attempt: u64) -> Self {
        let restore_path = match &spec.restore {
            crate::Restore::Path(p) => Some(p.clone()),
            _ => None,
        };
        DeployRequest {
            spec,
            attempt,
            restore_path,
            allow_non_restored_state: false,
        }
    }

    /// Restores from `path`.
    #[must_use]
    pub fn with_restore_path(mut self, path: impl Into<String>) -> Self {
        self.restore_path = Some(path.into());
        self
    }

    /// Allows non-restored state.
    #[must_use]
    pub fn with_allow_non_restored_state(mut self, yes: bool) -> Self {
        self.allow_non_restored_state = yes;
        self
    }

    /// The job id.
    pub fn job_id(&self) -> &JobId {
        &self.spec.id
    }
}

/// The answer to a successful deploy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Deployment {
    /// Backend handle.
    pub id: DeploymentId,
    /// The job.
    pub job: JobId,
    /// The attempt.
    pub attempt: u64,
    /// A web UI for this deployment (Flink UI, YARN tracking URL), when known.
    pub web_url: Option<String>,
}

impl Deployment {
    /// A deployment handle.
    pub fn new(id: DeploymentId, job: JobId, attempt: u64) -> Self {
        Deployment {
            id,
            job,
            attempt,
            web_url: None,
        }
    }
    /// Sets the web URL.
    #[must_use]
    pub fn with_web_url(mut self, url: impl Into<String>) -> Self {
        self.web_url = Some(url.into());
        self
    }
}

/// One observation of one tagged deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobSnapshot {
    /// Backend handle.
    pub deployment: DeploymentId,
    /// The job, parsed back from the deployment's tag.
    pub job: JobId,
    /// The attempt, parsed back from the tag.
    pub attempt: u64,
    /// State.
    pub state: JobState,
    /// Name as the cluster shows it.
    pub name: String,
    /// Start time, milliseconds since the Unix epoch.
    pub start_time_ms: Option<i64>,
    /// End time for terminal states.
    pub end_time_ms: Option<i64>,
    /// Last state change.
    pub last_modified_ms: Option<i64>,
    /// Why the state is what it is, in the backend's words (failure cause, pod condition).
    pub reason: Option<String>,
    /// Web UI.
    pub web_url: Option<String>,
}

impl JobSnapshot {
    /// A snapshot with only the required fields.
    pub fn new(deployment: DeploymentId, job: JobId, attempt: u64, state: JobState) -> Self {
        JobSnapshot {
            deployment,
            job,
            attempt,
            state,
            name: String::new(),
            start_time_ms: None,
            end_time_ms: None,
            last_modified_ms: None,
            reason: None,
            web_url: None,
        }
    }
}

/// Details of one deployment beyond its state; costs backend calls per deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobDetails {
    /// The current snapshot.
    pub snapshot: JobSnapshot,
    /// The latest completed checkpoint (retained path), if any.
    pub latest_checkpoint: Option<SavepointRef>,
    /// The latest completed savepoint, if any.
    pub latest_savepoint: Option<SavepointRef>,
    /// The path this deployment restored from, if any.
    pub restored_from: Option<String>,
    /// Completed checkpoints so far.
    pub checkpoints_completed: u64,
    /// Failed checkpoints so far.
    pub checkpoints_failed: u64,
    /// The most recent failure, in the cluster's words (exception class and message).
    pub failure: Option<String>,
}

impl JobDetails {
    /// Details with nothing but the snapshot.
    pub fn new(snapshot: JobSnapshot) -> Self {
        JobDetails {
            snapshot,
            latest_checkpoint: None,
            latest_savepoint: None,
            restored_from: None,
            checkpoints_completed: 0,
            checkpoints_failed: 0,
            failure: None,
        }
    }
}

/// Kind of state snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SnapshotKind {
    /// A savepoint.
    Savepoint,
    /// A retained checkpoint.
    Checkpoint,
}

/// A completed savepoint or retained checkpoint that a job can restore from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SavepointRef {
    /// Where it is (`file:/…`, `hdfs://…`, `s3://…`).
    pub path: String,
    /// Savepoint or checkpoint.
    pub kind: SnapshotKind,
    /// When it completed, milliseconds since the epoch, if known.
    pub completed_at_ms: Option<i64>,
}

impl SavepointRef {
    /// A savepoint at `path`.
    pub fn savepoint(path: impl Into<String>) -> Self {
        SavepointRef {
            path: path.into(),
            kind: SnapshotKind::Savepoint,
            completed_at_ms: None,
        }
    }
    /// A checkpoint at `path`.
    pub fn checkpoint(path: impl Into<String>) -> Self {
        SavepointRef {
            path: path.into(),
            kind: SnapshotKind::Checkpoint,
            completed_at_ms: None,
        }
    }
    /// Sets the completion time.
    #[must_use]
    pub fn with_completed_at_ms(mut self, ms: i64) -> Self {
        self.completed_at_ms = Some(ms);
        self
    }
}

/// Which deployments [`Deployer::list`] returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Selector {
    /// Every deployment tagged by streampark-rs.
    #[default]
    All,
    /// Every deployment (every attempt) of one job.
    Job(JobId),
    /// Deployments whose job id starts with the prefix (one host's namespace, a test run).
    Prefix(String),
}

impl Selector {
    /// Whether a job id is selected.
    pub fn matches(&self, job: &JobId) -> bool {
        match self {
            Selector::All => true,
            Selector::Job(j) => j == job,
            Selector::Prefix(p) => job.as_str().starts_with(p.as_str()),
        }
    }
}

/// How to stop a deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopMode {
    /// Cancel without a savepoint.
    Cancel,
    /// Stop with a savepoint (Flink's stop-with-savepoint).
    Savepoint {
        /// Target directory; `None` uses the cluster's `state.savepoints.dir`.
        target_dir: Option<String>,
        /// Emit MAX_WATERMARK and flush windows before stopping.
        drain: bool,
    },
}

/// Options for [`Deployer::stop`], in the shape of object_store's `GetOptions`.
///
/// ```
/// use streampark_core::{StopMode, StopOptions};
/// let o = StopOptions::savepoint("file:///tmp/sp").with_drain(true);
/// assert_eq!(o.mode, StopMode::Savepoint { target_dir: Some("file:///tmp/sp".into()), drain: true });
/// assert_eq!(StopOptions::cancel().mode, StopMode::Cancel);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StopOptions {
    /// Cancel or stop with savepoint.
    pub mode: StopMode,
    /// How long to wait for the savepoint and for the job to reach a terminal state.
    pub timeout: Duration,
}

impl StopOptions {
    /// Cancel the job.
    pub fn cancel() -> Self {
        StopOptions {
            mode: StopMode::Cancel,
            timeout: Duration::from_secs(120),
        }
    }
    /// Stop with a savepoint into `target_dir`.
    pub fn savepoint(target_dir: impl Into<String>) -> Self {
        StopOptions {
            mode: StopMode::Savepoint {
                target_dir: Some(target_dir.into()),
                drain: false,
            },
            timeout: Duration::from_secs(300),
        }
    }
    /// Stop with a savepoint into the cluster's default savepoint directory.
    pub fn savepoint_default_dir() -> Self {
        StopOptions {
            mode: StopMode::Savepoint {
                target_dir: None,
                drain: false,
            },
            timeout: Duration::from_secs(300),
        }
    }
    /// Drains before stopping (only with a savepoint).
    #[must_use]
    pub fn with_drain(mut self, drain: bool) -> Self {
        if let StopMode::Savepoint { drain: d, .. } = &mut self.mode {
            *d = drain;
        }
        self
    }
    /// Sets the timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// The result of [`Deployer::stop`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopOutcome {
    /// The deployment was stopped by this call.
    Stopped {
        /// The savepoint taken on the way, when stopping with one.
        savepoint: Option<SavepointRef>,
    },
    /// The deployment was already gone or already terminal: nothing was done.
    AlreadyGone,
}

/// Options for [`Deployer::savepoint`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SavepointOptions {
    /// Target directory; `None` uses the cluster's default.
    pub target_dir: Option<String>,
    /// How long to wait for completion.
    pub timeout: Duration,
}

impl Default for SavepointOptions {
    fn default() -> Self {
        SavepointOptions {
            target_dir: None,
            timeout: Duration::from_secs(300),
        }
    }
}

impl SavepointOptions {
    /// Into `dir`.
    pub fn into_dir(dir: impl Into<String>) -> Self {
        SavepointOptions {
            target_dir: Some(dir.into()),
            ..Self::default()
        }
    }
    /// Sets the timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// Options for [`Deployer::logs`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogOptions {
    /// The file to read; `None` reads the main log (`jobmanager.log` or the backend's own).
    pub file: Option<String>,
    /// Keep at most this many bytes from the end of the file.
    pub max_bytes: usize,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            file: None,
            max_bytes: 1 << 20,
        }
    }
}

impl LogOptions {
    /// Reads `file`.
    pub fn file(name: impl Into<String>) -> Self {
        LogOptions {
            file: Some(name.into()),
            ..Self::default()
        }
    }
    /// Keeps at most `n` bytes (the tail).
    #[must_use]
    pub fn with_max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = n;
        self
    }
}

/// One log file a deployment has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LogFile {
    /// File name.
    pub name: String,
    /// Size in bytes, if known.
    pub size: Option<u64>,
}

impl LogFile {
    /// A log file entry.
    pub fn new(name: impl Into<String>, size: Option<u64>) -> Self {
        LogFile {
            name: name.into(),
            size,
        }
    }
}

/// Logs of a deployment: the list of files and the content of the one that was read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Logs {
    /// Every log file the backend offers for this deployment.
    pub files: Vec<LogFile>,
    /// The file that was read.
    pub name: String,
    /// Its content (the tail, at most `max_bytes`).
    pub content: String,
    /// Whether the content was cut to `max_bytes`.
    pub truncated: bool,
}

impl Logs {
    /// Logs read from `name`, with every file the backend offers (for backends outside core).
    pub fn new(
        files: Vec<LogFile>,
        name: impl Into<String>,
        content: String,
        truncated: bool,
    ) -> Self {
        Logs {
            files,
            name: name.into(),
            content,
            truncated,
        }
    }
}

/// Where Flink jobs run. Hosts hold it as `Arc<dyn Deployer>`.
///
/// # Contract
/// Checked for every implementation by `testkit::conformance` (feature `testkit`):
/// - [`deploy`](Deployer::deploy) tags the deployment with the job id and the attempt; the tag
///   is visible to [`list`](Deployer::list) from any handle, including handles in other
///   processes. Deploying a tag that was already deployed yields [`Error::Fenced`] and starts
///   nothing. A program the cluster refuses yields [`Error::Rejected`] carrying the cluster's
///   own error text.
/// - [`list`](Deployer::list) returns every tagged deployment the selector matches, including
///   ones this process did not start, in one backend round trip per cluster. Untagged
///   deployments are never returned.
/// - [`inspect`](Deployer::inspect) of an unknown deployment yields [`Error::NotFound`].
/// - [`savepoint`](Deployer::savepoint) waits for completion and returns the path; an unknown
///   deployment yields [`Error::NotFound`]; a savepoint Flink could not take yields
///   [`Error::Rejected`] with Flink's cause.
/// - [`stop`](Deployer::stop) is idempotent: stopping a deployment that is gone or terminal
///   returns `Ok(StopOutcome::AlreadyGone)`. With [`StopMode::Savepoint`] it returns the
///   savepoint and the deployment ends `FINISHED`; with [`StopMode::Cancel`] it ends `CANCELED`.
/// - [`logs`](Deployer::logs) returns the log file list and the tail of one file.
/// - Every call is bounded by a timeout; a timed-out deploy may still have happened (look for
///   its tag with `list` before starting another attempt).
///
/// # Wrappers
/// The trait has no defaulted methods, so a wrapper cannot silently skip one.
#[async_trait::async_trait]
pub trait Deployer: fmt::Debug + Send + Sync + 'static {
    /// Backend name used in errors and spans: `"sim"`, `"flink"`, `"yarn"`, `"k8s-operator"`.
    fn backend(&self) -> &'static str;

    /// What this backend supports.
    fn capabilities(&self) -> Capabilities;

    /// Starts one attempt of a job.
    async fn deploy(&self, req: DeployRequest) -> Result<Deployment>;

    /// Every tagged deployment the selector matches.
    async fn list(&self, selector: &Selector) -> Result<Vec<JobSnapshot>>;

    /// Checkpoints, restore source and last failure of one deployment.
    async fn inspect(&self, id: &DeploymentId) -> Result<JobDetails>;

    /// Triggers a savepoint and waits for it.
    async fn savepoint(&self, id: &DeploymentId, opts: SavepointOptions) -> Result<SavepointRef>;

    /// Stops a deployment (idempotent).
    async fn stop(&self, id: &DeploymentId, opts: StopOptions) -> Result<StopOutcome>;

    /// Log files of a deployment.
    async fn logs(&self, id: &DeploymentId, opts: LogOptions) -> Result<Logs>;

    /// The Flink version this backend runs jobs on, when it knows it: what a REST cluster
    /// reports, the version of a CLI backend's Flink home. Hosts use it to register clusters
    /// with their version ([`crate::supervisor::SupervisorBuilder::with_cluster_version`]) so
    /// that jobs are placed by their requirement. The default answers `None` (unknown).
    async fn cluster_flink_version(&self) -> Result<Option<crate::FlinkVersion>> {
        Ok(None)
    }
}

macro_rules! forward_deployer {
    ($ty:ty) => {
        #[deny(clippy::missing_trait_methods)]
        #[async_trait::async_trait]
        impl<T: Deployer + ?Sized> Deployer for $ty {
            fn backend(&self) -> &'static str {
                (**self).backend()
            }
            fn capabilities(&self) -> Capabilities {
                (**self).capabilities()
            }
            async fn deploy(&self, req: DeployRequest) -> Result<Deployment> {
                (**self).deploy(req).await
            }
            async fn list(&self, selector: &Selector) -> Result<Vec<JobSnapshot>> {
                (**self).list(selector).await
            }
            async fn inspect(&self, id: &DeploymentId) -> Result<JobDetails> {
                (**self).inspect(id).await
            }
            async fn savepoint(
                &self,
                id: &DeploymentId,
                opts: SavepointOptions,
            ) -> Result<SavepointRef> {
                (**self).savepoint(id, opts).await
            }
            async fn stop(&self, id: &DeploymentId, opts: StopOptions) -> Result<StopOutcome> {
                (**self).stop(id, opts).await
            }
            async fn logs(&self, id: &DeploymentId, opts: LogOptions) -> Result<Logs> {
                (**self).logs(id, opts).await
            }
            async fn cluster_flink_version(&self) -> Result<Option<crate::FlinkVersion>> {
                (**self).cluster_flink_version().await
            }
        }
    };
}

forward_deployer!(Arc<T>);
forward_deployer!(Box<T>);

/// Convenience methods, implemented for every [`Deployer`]; do not implement it yourself.
pub trait DeployerExt: Deployer {
    /// The snapshot of one deployment, `None` when the backend no longer lists it.
    fn status(&self, id: &DeploymentId)
    -> impl Future<Output = Result<Option<JobSnapshot>>> + Send;

    /// The snapshots of one job's deployments, newest attempt first.
    fn job_deployments(&self, job: &JobId)
    -> impl Future<Output = Result<Vec<JobSnapshot>>> + Send;

    /// Polls until the deployment reaches one of `states`, or fails with [`Error::Timeout`].
    /// A terminal state that is not among `states` ends the wait with [`Error::Rejected`].
    fn wait_for(
        &self,
        id: &DeploymentId,
        states: &[JobState],
        timeout: Duration,
    ) -> impl Future<Output = Result<JobSnapshot>> + Send;
}

impl<T: Deployer + ?Sized> DeployerExt for T {
    async fn status(&self, id: &DeploymentId) -> Result<Option<JobSnapshot>> {
        Ok(self
            .list(&Selector::All)
            .await?
            .into_iter()
            .find(|s| &s.deployment == id))
    }

    async fn job_deployments(&self, job: &JobId) -> Result<Vec<JobSnapshot>> {
        let mut v = self.list(&Selector::Job(job.clone())).await?;
        v.sort_by_key(|s| std::cmp::Reverse(s.attempt));
        Ok(v)
    }

    async fn wait_for(
        &self,
        id: &DeploymentId,
        states: &[JobState],
        timeout: Duration,
    ) -> Result<JobSnapshot> {
        let start = tokio::time::Instant::now();
        let mut last: Option<JobState> = None;
        loop {
            if let Some(s) = self.status(id).await? {
                if states.contains(&s.state) {
                    return Ok(s);
                }
                if s.state.is_terminal() {
                    return Err(Error::Rejected {
                        backend: self.backend(),
                        operation: format!("wait for {id} to reach {states:?}"),
                        message: format!(
                            "deployment ended {}{}",
                            s.state,
                            s.reason.map(|r| format!(": {r}")).unwrap_or_default()
                        ),
                        source: None,
                    });
                }
                last = Some(s.state);
            }
            if start.elapsed() >= timeout {
                return Err(Error::Timeout {
                    backend: self.backend(),
                    operation: format!(
                        "wait for {id} to reach {states:?} (last seen {})",
                        last.map(|s| s.to_string())
                            .unwrap_or_else(|| "nothing".into())
                    ),
                    after: timeout,
                });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// Labels that identify a deployment as streampark-managed, for backends that tag with
/// key/value labels (YARN tags, Kubernetes labels).
pub fn tag_labels(job: &JobId, attempt: u64) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("streampark.job".into(), job.to_string());
    m.insert("streampark.attempt".into(), attempt.to_string());
    m
}
