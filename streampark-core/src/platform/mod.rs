//! The governed platform: the [`Platform`] facade with users, teams, roles and permissions,
//! an audit log, version history with diff and rollback, and team variables.
//!
//! - Every [`Platform`] method takes the calling [`Principal`]; the [`Authorizer`] (by default
//!   [`TeamPolicy`]: platform administrators, and per team the permissions of the member's
//!   role) allows it or it fails with [`crate::Error::PermissionDenied`] naming principal,
//!   permission and resource.
//! - Every call, allowed or denied, appends exactly one [`AuditRecord`] (edits carry a
//!   key-level change list; secret values are recorded as `******`).
//! - Every change of a job's spec or SQL is an immutable [`JobVersion`]; [`Platform::diff`]
//!   compares any two, [`Platform::rollback`] creates a new version equal to an old one and can
//!   redeploy it from a savepoint. The version running on the cluster is in
//!   [`ManagedJob::deployed`], with the resolved spec (variables substituted, secrets masked).
//! - Deploys call the [`crate::Deployer`] directly with an attempt number the store hands out
//!   and that only grows (so a backend's fencing holds across host restarts). The
//!   [`crate::Supervisor`] is not used: it owns restart policies and watches jobs; a host that
//!   wants both runs a supervisor next to the platform.
//! - Deploy, stop, restart, rollback with redeploy and delete of one job run one at a time
//!   across every platform sharing the store (a claim document; a second call meanwhile is a
//!   retryable [`crate::Error::Unavailable`]), so two requests arriving together cannot start a
//!   job twice.
//! - State lives in a [`PlatformStore`]: [`MemoryPlatformStore`], [`SqlitePlatformStore`],
//!   `PostgresPlatformStore` (feature `postgres`).

mod admin;
mod audit;
mod auth;
mod claim;
mod facade;
mod jobs;
pub mod store;
mod version;

pub use audit::{AuditOutcome, AuditQuery, AuditRecord, Change};
pub use auth::{
    Authorizer, Member, Permission, Principal, Resource, Role, Team, TeamPolicy, User, denied,
};
pub use facade::{Platform, PlatformBuilder};
pub use jobs::StopHow;
#[cfg(feature = "postgres")]
pub use store::PostgresPlatformStore;
pub use store::{MemoryPlatformStore, PlatformStore, SqlitePlatformStore};
pub use version::{DeployRecord, JobVersion, MASK, ManagedJob, TeamVariable, VersionDiff};
