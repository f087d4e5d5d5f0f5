//! The one store of the engine and the platform: the [`Store`] trait family and its
//! implementations.
//!
//! [`Store`] extends [`StateStore`] (the engine's records) with the governance records of the
//! [`crate::Platform`] (users, teams, roles, variables, versions, deploy records as documents,
//! and the audit log), so that a host keeps everything in one database and a
//! [`crate::Supervisor`] and its platform can never disagree about which store they use.
//!
//! The engine's half holds the managed jobs (with every version of their spec, SQL included), the
//! attempts started for each job, the savepoints and checkpoints a job may restore from, an
//! event and audit log, and short leases that let one of several host replicas act on a job.
//!
//! **The attempt counter is a compare-and-swap**: [`StateStore::begin_attempt`] records attempt
//! `n` only when the job's last attempt is still `expected_last`; two supervisors racing for the
//! same restart cannot both win. The supervisor records an attempt *before* it deploys, so a
//! crash between the two is found again on restart (an attempt in [`AttemptStatus::Starting`]).
//!
//! - [`MemoryStore`]: in-process, for tests and for hosts that keep nothing.
//! - [`SqliteStore`]: the embedded default, one file.
//! - `PostgresStore` (feature `postgres`): for several host replicas.
//!
//! The SQL stores migrate their schema on open (versioned steps in one transaction, under an
//! advisory lock on PostgreSQL). A file written by an earlier release, with the platform's
//! tables in their own schema and its own attempt counter, opens with its jobs, versions,
//! audit and variables intact (`tests/store_upgrade.rs` opens one kept as test data).

mod docs;
mod memory;
pub(crate) mod pool;
mod sql;
mod sql_docs;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{DeploymentId, JobId, JobSpec, JobState, Result, SavepointRef};

pub use docs::{Doc, DocKind, DocWrite, Store, WriteMode};
pub(crate) use docs::{load, load_all, num_key, save};
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use sql::PostgresStore;
pub use sql::SqliteStore;

/// Whether the host wants a job to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DesiredState {
    /// Keep it running (restart it according to its policy).
    Running,
    /// Keep it stopped.
    Stopped,
}

impl DesiredState {
    /// `"running"` or `"stopped"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DesiredState::Running => "running",
            DesiredState::Stopped => "stopped",
        }
    }
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "running" => Some(DesiredState::Running),
            "stopped" => Some(DesiredState::Stopped),
            _ => None,
        }
    }
}

/// One managed job.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct JobRecord {
    /// The current spec.
    pub spec: JobSpec,
    /// Version of the current spec (1 for the first; bumped whenever the spec changes).
    pub spec_version: u64,
    /// What the host wants.
    pub desired: DesiredState,
    /// The highest attempt recorded (0 before the first start).
    pub last_attempt: u64,
    /// Last change, ms since the epoch.
    pub updated_ms: i64,
}

/// Where one attempt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttemptStatus {
    /// Recorded; the deploy was sent or is about to be, its answer is not known yet.
    Starting,
    /// The backend accepted it (or it was found on the cluster and adopted).
    Deployed,
    /// It ended (failed, finished, canceled, or vanished past the grace period).
    Ended,
    /// The deploy was refused: nothing runs for this attempt.
    DeployFailed,
}

impl AttemptStatus {
    /// Stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptStatus::Starting => "starting",
            AttemptStatus::Deployed => "deployed",
            AttemptStatus::Ended => "ended",
            AttemptStatus::DeployFailed => "deploy_failed",
        }
    }
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "starting" => AttemptStatus::Starting,
            "deployed" => AttemptStatus::Deployed,
            "ended" => AttemptStatus::Ended,
            "deploy_failed" => AttemptStatus::DeployFailed,
            _ => return None,
        })
    }
    /// Whether the attempt is over (nothing of it can run any more).
    pub fn is_closed(self) -> bool {
        matches!(self, AttemptStatus::Ended | AttemptStatus::DeployFailed)
    }
}

/// One attempt of one job.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttemptRecord {
    /// The job.
    pub job: JobId,
    /// Attempt number, from 1.
    pub attempt: u64,
    /// Where it stands.
    pub status: AttemptStatus,
    /// The backend handle, once known.
    pub deployment: Option<DeploymentId>,
    /// The savepoint or checkpoint it was started from.
    pub restore_from: Option<String>,
    /// The spec version it runs.
    pub spec_version: u64,
    /// Which supervisor recorded it.
    pub owner: String,
    /// When it was recorded, ms since the epoch.
    pub created_ms: i64,
    /// When it ended.
    pub ended_ms: Option<i64>,
    /// The last state seen on the cluster.
    pub final_state: Option<JobState>,
    /// Why it ended, in the backend's words.
    pub reason: Option<String>,
}

/// A request to record a new attempt (see [`StateStore::begin_attempt`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewAttempt {
    /// The job.
    pub job: JobId,
    /// The attempt to record; must be greater than `expected_last`.
    pub attempt: u64,
    /// The last attempt the caller saw; the swap fails if the store holds another.
    pub expected_last: u64,
    /// `Starting` before a deploy; `Deployed` when adopting a deployment found on a cluster.
    pub status: AttemptStatus,
    /// The backend handle, when adopting.
    pub deployment: Option<DeploymentId>,
    /// The restore path it is started from.
    pub restore_from: Option<String>,
    /// The supervisor recording it.
    pub owner: String,
    /// Now, ms since the epoch.
    pub now_ms: i64,
}

impl NewAttempt {
    /// Attempt `expected_last + 1` of `job`, about to be deployed by `owner`.
    pub fn next(job: JobId, expected_last: u64, owner: impl Into<String>, now_ms: i64) -> Self {
        NewAttempt {
            job,
            attempt: expected_last + 1,
            expected_last,
            status: AttemptStatus::Starting,
            deployment: None,
            restore_from: None,
            owner: owner.into(),
            now_ms,
        }
    }
}

/// A change to an attempt; `None` fields are left as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttemptUpdate {
    /// New status.
    pub status: Option<AttemptStatus>,
    /// Backend handle.
    pub deployment: Option<DeploymentId>,
    /// End time.
    pub ended_ms: Option<i64>,
    /// Last state seen.
    pub final_state: Option<JobState>,
    /// Why it ended.
    pub reason: Option<String>,
}

impl AttemptUpdate {
    /// Sets the status.
    #[must_use]
    pub fn status(status: AttemptStatus) -> Self {
        AttemptUpdate {
            status: Some(status),
            ..Self::default()
        }
    }
    /// Sets the deployment.
    #[must_use]
    pub fn with_deployment(mut self, d: DeploymentId) -> Self {
        self.deployment = Some(d);
        self
    }
    /// Marks the end.
    #[must_use]
    pub fn with_end(mut self, at_ms: i64, state: Option<JobState>, reason: Option<String>) -> Self {
        self.ended_ms = Some(at_ms);
        self.final_state = state;
        self.reason = reason;
        self
    }
}

/// One entry of the event and audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EventRecord {
    /// Position in the log (assigned by the store, from 1).
    pub seq: u64,
    /// The job.
    pub job: JobId,
    /// The attempt concerned (0 when none).
    pub attempt: u64,
    /// What happened: `started`, `failed`, `restart_scheduled`, `audit.stop`, …
    pub kind: String,
    /// Who did it (a supervisor id, a user).
    pub actor: String,
    /// Details as JSON.
    pub detail: serde_json::Value,
    /// When, ms since the epoch.
    pub ts_ms: i64,
}

impl EventRecord {
    /// An event to append (its `seq` is assigned by the store).
    pub fn new(
        job: JobId,
        attempt: u64,
        kind: impl Into<String>,
        actor: impl Into<String>,
        detail: serde_json::Value,
        ts_ms: i64,
    ) -> Self {
        EventRecord {
            seq: 0,
            job,
            attempt,
            kind: kind.into(),
            actor: actor.into(),
            detail,
            ts_ms,
        }
    }
}

/// The engine's half of a [`Store`]: durable state of the supervisor.
///
/// Every implementation passes the same behaviour tests (`store::tests` in this crate run them
/// on [`MemoryStore`] and [`SqliteStore`]; `tests/supervisor_postgres.rs` on PostgreSQL).
#[async_trait::async_trait]
pub trait StateStore: std::fmt::Debug + Send + Sync + 'static {
    /// `"memory"`, `"sqlite"`, `"postgres"`.
    fn backend(&self) -> &'static str;

    /// Adds a job or updates its spec (a changed spec gets a new version; the desired state of
    /// a new job is [`DesiredState::Running`], of an existing one unchanged).
    async fn put_job(&self, spec: &JobSpec, now_ms: i64) -> Result<JobRecord>;

    /// One job.
    async fn job(&self, job: &JobId) -> Result<Option<JobRecord>>;

    /// Every job, by id.
    async fn jobs(&self) -> Result<Vec<JobRecord>>;

    /// A past version of a job's spec.
    async fn spec_version(&self, job: &JobId, version: u64) -> Result<Option<JobSpec>>;

    /// Sets the desired state; [`crate::Error::NotFound`] for an unknown job.
    async fn set_desired(&self, job: &JobId, desired: DesiredState, now_ms: i64) -> Result<()>;

    /// Records a new attempt if the job's last attempt is still `new.expected_last`
    /// (compare-and-swap); otherwise [`crate::Error::Fenced`] naming the stored last attempt.
    async fn begin_attempt(&self, new: NewAttempt) -> Result<AttemptRecord>;

    /// Updates an attempt; [`crate::Error::NotFound`] if it was never recorded.
    async fn update_attempt(&self, job: &JobId, attempt: u64, update: AttemptUpdate) -> Result<()>;

    /// Every attempt of a job, oldest first.
    async fn attempts(&self, job: &JobId) -> Result<Vec<AttemptRecord>>;

    /// Records a completed savepoint or checkpoint of a job (idempotent per path).
    async fn add_restore_point(
        &self,
        job: &JobId,
        attempt: u64,
        point: &SavepointRef,
    ) -> Result<()>;

    /// The most recent restore point of a job recorded for attempt `since_attempt` or a later
    /// one (latest completion time, then latest recorded); `since_attempt = 0` means any.
    async fn latest_restore_point(
        &self,
        job: &JobId,
        since_attempt: u64,
    ) -> Result<Option<SavepointRef>>;

    /// Appends to the event and audit log; returns the assigned sequence number.
    async fn append_event(&self, event: &EventRecord) -> Result<u64>;

    /// Events after `after_seq`, oldest first, at most `limit`; of one job or of all.
    async fn events(
        &self,
        job: Option<&JobId>,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<EventRecord>>;

    /// Takes or renews the lease on a job for `holder` until `now_ms + ttl`. `true` when the
    /// holder has it; `false` when another holder's lease has not expired.
    async fn try_lease(
        &self,
        job: &JobId,
        holder: &str,
        ttl: Duration,
        now_ms: i64,
    ) -> Result<bool>;

    /// Gives a lease up (no-op when `holder` does not hold it).
    async fn release_lease(&self, job: &JobId, holder: &str) -> Result<()>;
}

pub(crate) fn fenced(backend: &'static str, job: &JobId, attempt: u64, last: u64) -> crate::Error {
    crate::Error::Fenced {
        backend,
        job: job.to_string(),
        attempt,
        live_attempt: last,
    }
}

pub(crate) fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 4)
}

#[cfg(any(test, feature = "testkit"))]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod conformance;
