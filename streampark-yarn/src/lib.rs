//! # streampark-yarn
//!
//! Flink on Apache Hadoop YARN for streampark-rs: Hadoop configuration discovery and doctor, an
//! HA-aware ResourceManager REST client, submission through the Flink CLI (application, per-job,
//! session) and an HDFS workspace.
//!
//! - [`rm::ResourceManagerClient`]: cluster info and HA state, applications by tags / states /
//!   types, kill, attempts and containers (simple auth; Kerberos not implemented).
//! - [`conf::HadoopConf`]: Hadoop client configuration discovery and loading (`${var}`,
//!   `final`, RM HA web addresses, WebHDFS addresses, Kerberos).
//! - [`doctor::Doctor`]: one report for Flink home(s) + a Hadoop configuration, every problem
//!   with a stable code, a message and a fix (static checks, then live RM / HDFS checks).
//! - [`hdfs::WebHdfsClient`]: MKDIRS, two-step CREATE, LISTSTATUS, GETFILESTATUS, DELETE.
//! - [`YarnDeployer`]: Flink on YARN as a `Deployer`, submitting through a [`Submitter`].
//! - [`session::YarnSession`]: YARN session clusters: start or adopt by tags, run jobs on them
//!   (a `Deployer` on the session's JobManager), stop.
//! - [`workspace`]: keep `<workspace>/flink/<version>/{lib,plugins}` in step with a local Flink home.
//! - [`register`]: `yarn://` and `yarn+https://` for core's `Registry` (a deployer by URL).
//! - `testkit` (feature): a simulated YARN cluster (RMs in HA, proxy, JobManagers, WebHDFS).

mod builder;
mod cli;
mod deployer;
mod http;
mod registry;

pub mod conf;
pub mod doctor;
pub mod hdfs;
pub mod rm;
pub mod session;
pub mod submit;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod workspace;

pub use builder::YarnDeployerBuilder;
pub use cli::CliSubmitter;
pub use deployer::{FLINK_APPLICATION_TYPE, MANAGED_TAG, YarnDeployer, job_state, yarn_tags};
pub use registry::register;
pub use submit::{Submitter, YarnSubmission, YarnTarget};

/// The name this backend reports in errors and tracing spans.
pub const BACKEND: &str = "yarn";
