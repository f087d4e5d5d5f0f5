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
//! - [`hdfs::WebHdfsClient`]: MKDIRS, two-step CREATE, LISTSTATUS, GETFILESTATUS, DELETE.

mod http;

pub mod conf;
pub mod hdfs;
pub mod rm;

/// The name this backend reports in errors and tracing spans.
pub const BACKEND: &str = "yarn";
