//! The state of one deployment of a job.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Every Flink `JobStatus`, plus the states only a platform can see.
///
/// ```
/// use streampark_core::JobState;
/// let s: JobState = "RUNNING".parse().unwrap();
/// assert!(s.is_live() && !s.is_terminal());
/// assert!(JobState::Failed.is_terminal());
/// assert_eq!(JobState::Lost.to_string(), "LOST");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum JobState {
    /// Submitted to the backend, not yet known to Flink (YARN app accepted, pod pending, …).
    Deploying,
    /// Flink: the job is being initialized by the JobManager.
    Initializing,
    /// Flink: created, no task started yet.
    Created,
    /// Flink: running.
    Running,
    /// Flink: failing, will restart or fail.
    Failing,
    /// Flink: failed for good (terminal).
    Failed,
    /// Flink: being cancelled.
    Cancelling,
    /// Flink: cancelled (terminal).
    Canceled,
    /// Flink: finished, e.g. after stop-with-savepoint or a bounded source (terminal).
    Finished,
    /// Flink: restarting after a failure.
    Restarting,
    /// Flink: suspended (JobManager lost leadership; not terminal for the cluster).
    Suspended,
    /// Flink: reconciling after a JobManager failover.
    Reconciling,
    /// The platform cannot see the job: its cluster is unreachable, or it vanished.
    Lost,
    /// A state string this SDK does not know.
    Unknown,
}

impl JobState {
    /// All states, for exhaustive tests and UIs.
    pub const ALL: [JobState; 14] = [
        JobState::Deploying,
        JobState::Initializing,
        JobState::Created,
        JobState::Running,
        JobState::Failing,
        JobState::Failed,
        JobState::Cancelling,
        JobState::Canceled,
        JobState::Finished,
        JobState::Restarting,
        JobState::Suspended,
        JobState::Reconciling,
        JobState::Lost,
        JobState::Unknown,
    ];

    /// Flink's globally terminal states: the job will never run again in this deployment.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::Failed | JobState::Canceled | JobState::Finished
        )
    }

    /// Whether the deployment may be running or about to run (anything not terminal, not lost,
    /// not unknown). A live deployment blocks a new attempt of the same job.
    pub fn is_live(self) -> bool {
        !self.is_terminal() && !matches!(self, JobState::Lost | JobState::Unknown)
    }

    /// Flink's own status string (`RUNNING`, …), or ours for the platform states.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Deploying => "DEPLOYING",
            JobState::Initializing => "INITIALIZING",
            JobState::Created => "CREATED",
            JobState::Running => "RUNNING",
            JobState::Failing => "FAILING",
            JobState::Failed => "FAILED",
            JobState::Cancelling => "CANCELLING",
            JobState::Canceled => "CANCELED",
            JobState::Finished => "FINISHED",
            JobState::Restarting => "RESTARTING",
            JobState::Suspended => "SUSPENDED",
            JobState::Reconciling => "RECONCILING",
            JobState::Lost => "LOST",
            JobState::Unknown => "UNKNOWN",
        }
    }

    /// Maps Flink's status string; anything unknown becomes [`JobState::Unknown`].
    pub fn from_flink(s: &str) -> JobState {
        s.parse().unwrap_or(JobState::Unknown)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let up = s.trim().to_ascii_uppercase();
        JobState::ALL
            .into_iter()
            .find(|st| st.as_str() == up || (up == "CANCELLED" && *st == JobState::Canceled))
            .ok_or_else(|| {
                crate::Error::invalid_input(
                    "core",
                    "job state",
                    format!("`{}`", s.chars().take(40).collect::<String>()),
                    "not a Flink job status",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flink_status_parses() {
        for s in [
            "INITIALIZING",
            "CREATED",
            "RUNNING",
            "FAILING",
            "FAILED",
            "CANCELLING",
            "CANCELED",
            "FINISHED",
            "RESTARTING",
            "SUSPENDED",
            "RECONCILING",
        ] {
            let st: JobState = s.parse().unwrap();
            assert_eq!(st.as_str(), s);
        }
        assert_eq!(JobState::from_flink("SOMETHING_NEW"), JobState::Unknown);
        assert_eq!("cancelled".parse::<JobState>().unwrap(), JobState::Canceled);
    }

    #[test]
    fn liveness() {
        let live: Vec<_> = JobState::ALL.into_iter().filter(|s| s.is_live()).collect();
        assert!(live.contains(&JobState::Running));
        assert!(live.contains(&JobState::Deploying));
        assert!(live.contains(&JobState::Restarting));
        assert!(!live.contains(&JobState::Lost));
        assert!(!live.contains(&JobState::Finished));
        for s in JobState::ALL {
            assert!(!(s.is_live() && s.is_terminal()), "{s}");
        }
    }
}
