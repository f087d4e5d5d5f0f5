//! Domain types shared by every part of the SDK.

mod job;
mod state;
mod version;

pub use job::{JobId, JobSpec, Owner, Program, RestartPolicy, Restore};
pub use state::JobState;
pub use version::{FlinkVersion, FlinkVersionReq};
