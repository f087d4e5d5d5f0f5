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
//! - The platform governs; its engine, a [`crate::Supervisor`], alone changes clusters. Deploy,
//!   stop, savepoint, restart, rollback with redeploy and delete go through it: it hands out
//!   attempt numbers by compare-and-swap in its [`crate::store::StateStore`], acts on a job
//!   only under its lease, and from the first deploy on restarts the job by its
//!   [`crate::RestartPolicy`] (from the failed attempt's latest checkpoint), watches its
//!   checkpoints and raises alerts. Drive it with [`Platform::run`].
//! - Several named clusters ([`PlatformBuilder::with_cluster`],
//!   [`PlatformBuilder::with_cluster_version`]): a job runs on the cluster its
//!   [`crate::supervisor::CLUSTER_LABEL`] names, else on the first whose Flink version
//!   satisfies [`crate::JobSpec::flink_version`]; a requirement nothing satisfies fails on
//!   create, edit and deploy before anything starts, and SQL is checked by the grammar of the
//!   version the job is placed on.
//! - Deploy, stop, restart, rollback with redeploy and delete of one job run one at a time
//!   across every platform sharing the store (a claim document; a second call meanwhile is a
//!   retryable [`crate::Error::Unavailable`]), so two requests arriving together cannot start a
//!   job twice.
//! - Everything lives in the engine's one [`crate::store::Store`]: [`crate::MemoryStore`],
//!   [`crate::SqliteStore`], `PostgresStore` (feature `postgres`).

mod admin;
mod audit;
mod auth;
mod claim;
mod facade;
mod jobs;
mod live_config;
mod upgrade;
mod version;

pub use audit::{AuditOutcome, AuditQuery, AuditRecord, Change};
pub use auth::{
    Authorizer, Member, Permission, Principal, Resource, Role, Team, TeamPolicy, User, denied,
};
pub use facade::{Platform, PlatformBuilder};
pub use jobs::StopHow;
pub use live_config::{
    CONFIG_PRINCIPAL, CONFIG_ROLLOUT_LABEL, ConfigAction, ConfigOutcome, NeedsRestart,
};
pub use version::{DeployRecord, JobVersion, MASK, ManagedJob, TeamVariable, VersionDiff};
