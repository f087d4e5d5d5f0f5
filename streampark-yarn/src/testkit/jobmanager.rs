//! The JobManager of a simulated YARN application: a [`SimJobManager`] on the simulation's
//! clock, served anew by each application attempt (see [`super::SimAttempt`]).

use std::sync::Arc;

use streampark_core::testkit::{SimCheckpoints, SimJobManager};

use super::{SimApp, SimYarn};

/// The failure text of the simulated failing job.
pub(crate) const FAILURE: &str = "java.lang.ArithmeticException: / by zero";

/// Checkpoint interval of simulated jobs.
const CHECKPOINT_MS: i64 = 1_000;

/// Where checkpoints and savepoints go when the submission does not say.
pub(crate) const CHECKPOINT_DIR: &str = "hdfs://sim-nn:8020/flink/checkpoints";
pub(crate) const SAVEPOINT_DIR: &str = "hdfs://sim-nn:8020/flink/savepoints";

impl SimYarn {
    /// A JobManager for a new application. Each REST request first moves the simulation's
    /// time-driven state forward (a job due to fail fails, an ended application stops).
    pub(crate) fn job_manager(
        &self,
        session: bool,
        checkpoint_dir: &str,
        savepoint_dir: &str,
    ) -> SimJobManager {
        let shared = Arc::downgrade(&self.shared);
        SimJobManager::builder()
            .with_clock(self.shared.clock.clone())
            .with_session(session)
            .with_default_savepoint_dir(savepoint_dir)
            .with_checkpoints(checkpoint_dir, SimCheckpoints::Every(CHECKPOINT_MS))
            .with_on_request(move || {
                if let Some(shared) = shared.upgrade() {
                    drop(SimYarn { shared }.lock());
                }
            })
            .build()
    }
}

/// The text of `jobmanager.log` of attempt `attempt` of `app`.
pub(crate) fn jm_log(app: &SimApp, attempt: u32) -> String {
    let (name, jid) = match app.jm.job(&app.jid) {
        Some(j) => (j.name, j.jid),
        None => (app.name.clone(), "0".repeat(32)),
    };
    format!(
        "INFO  org.apache.flink.yarn.entrypoint.YarnApplicationClusterEntryPoint - Starting YarnApplicationClusterEntryPoint (attempt {attempt}).\n\
         INFO  org.apache.flink.runtime.dispatcher.StandaloneDispatcher - Received JobGraph submission '{name}' ({jid}).\n"
    )
}
