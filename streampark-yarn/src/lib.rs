//! # streampark-yarn
//!
//! Flink on Apache Hadoop YARN for streampark-rs: Hadoop configuration discovery and doctor, an
//! HA-aware ResourceManager REST client, submission through the Flink CLI (application, per-job,
//! session) and an HDFS workspace.
//!
//! **Status:** this crate is a placeholder in this release; the YARN backend is tracked as its own
//! work item. It builds and depends only on `streampark-core`, so hosts can already enable the
//! `yarn` feature of the `streampark` facade without breaking later.

/// The name this backend reports in errors and tracing spans.
pub const BACKEND: &str = "yarn";
