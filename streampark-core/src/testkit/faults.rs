//! Faults the simulator can inject.

use std::time::Duration;

use crate::JobId;

/// How an injected deploy failure looks to the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimError {
    /// [`crate::Error::Unavailable`]: the cluster could not be reached; nothing was started.
    Unavailable,
    /// [`crate::Error::Rejected`] with this message: the cluster refused the program.
    Rejected(String),
}

#[derive(Clone, Debug)]
pub(crate) enum Fault {
    FailDeploys {
        n: u32,
        error: SimError,
    },
    DeploysTimeOutAfterStarting {
        n: u32,
    },
    JobFailsAt {
        job: JobId,
        at: Duration,
        reason: String,
    },
    JobVanishesAt {
        job: JobId,
        at: Duration,
    },
    Unreachable {
        from: Duration,
        until: Duration,
    },
    SlowCalls {
        latency: Duration,
    },
    FailSavepoints {
        n: u32,
    },
}

/// A plan of faults for [`super::SimDeployer`]. Times are virtual, measured from the start of
/// the sim's [`super::VirtualClock`] ("tick T").
///
/// ```
/// use std::time::Duration;
/// use streampark_core::{JobId, testkit::{FaultPlan, SimError}};
/// let job = JobId::new("orders")?;
/// let plan = FaultPlan::new()
///     .fail_next_deploys(2, SimError::Unavailable)
///     .job_fails_at(&job, Duration::from_secs(60), "OutOfMemoryError: Java heap space")
///     .job_vanishes_at(&job, Duration::from_secs(600))
///     .unreachable_between(Duration::from_secs(100), Duration::from_secs(130))
///     .slow_calls(Duration::from_millis(200));
/// # let _ = plan;
/// # Ok::<(), streampark_core::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct FaultPlan {
    pub(crate) faults: Vec<Fault>,
}

impl FaultPlan {
    /// No faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next `n` deploys fail with `error` and start nothing.
    pub fn fail_next_deploys(mut self, n: u32, error: SimError) -> Self {
        self.faults.push(Fault::FailDeploys { n, error });
        self
    }

    /// The next `n` deploys start the job but answer [`crate::Error::Timeout`]: the answer is
    /// lost, the deployment exists (resolve it by its tag).
    pub fn deploys_time_out_after_starting(mut self, n: u32) -> Self {
        self.faults.push(Fault::DeploysTimeOutAfterStarting { n });
        self
    }

    /// The deployment of `job` that is live at tick `at` fails then, with `reason`.
    pub fn job_fails_at(mut self, job: &JobId, at: Duration, reason: impl Into<String>) -> Self {
        self.faults.push(Fault::JobFailsAt {
            job: job.clone(),
            at,
            reason: reason.into(),
        });
        self
    }

    /// Every deployment of `job` disappears from the cluster at tick `at` (a lost JobManager,
    /// an expired history): the cluster stays reachable, the job is gone.
    pub fn job_vanishes_at(mut self, job: &JobId, at: Duration) -> Self {
        self.faults.push(Fault::JobVanishesAt {
            job: job.clone(),
            at,
        });
        self
    }

    /// Every call between ticks `from` and `until` fails with [`crate::Error::Unavailable`];
    /// jobs keep running meanwhile.
    pub fn unreachable_between(mut self, from: Duration, until: Duration) -> Self {
        self.faults.push(Fault::Unreachable { from, until });
        self
    }

    /// Every call takes `latency` (on tokio's clock); a latency beyond the sim's call timeout
    /// yields [`crate::Error::Timeout`] after the operation took effect.
    pub fn slow_calls(mut self, latency: Duration) -> Self {
        self.faults.push(Fault::SlowCalls { latency });
        self
    }

    /// The next `n` savepoints (including stop-with-savepoint) fail.
    pub fn fail_next_savepoints(mut self, n: u32) -> Self {
        self.faults.push(Fault::FailSavepoints { n });
        self
    }
}
