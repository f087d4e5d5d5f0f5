//! A typed client for the Flink JobManager REST API (v1), with timeouts and errors that name
//! the endpoint, the HTTP status and Flink's own error text.
//!
//! Covers what a job platform needs: [`FlinkClient::overview`], [`FlinkClient::config`],
//! [`FlinkClient::jobs_overview`], [`FlinkClient::job`], [`FlinkClient::exceptions`],
//! [`FlinkClient::checkpoints`] (latest completed path), savepoint trigger + status,
//! stop with savepoint (drain), cancel, jar upload + run + delete, JobManager log list + file.
//!
//! Mind Flink's field-name trap, handled here: the savepoint body says `target-directory`,
//! the stop body says `targetDirectory`.

mod client;
mod types;

pub use client::{FlinkClient, FlinkClientBuilder};
pub(crate) use types::is_addressable;
pub use types::{
    AsyncStatus, CheckpointCounts, CheckpointStats, ClusterOverview, CompletedCheckpoint,
    DashboardConfig, DashboardFeatures, ExceptionEntry, ExceptionHistory, FailureCause,
    JarRunRequest, JobDetailsInfo, JobExceptions, JobOverview, JobVertex, LatestCheckpoints,
    LogEntry, RestoredCheckpoint, SavepointOperation, SavepointStatus,
};
