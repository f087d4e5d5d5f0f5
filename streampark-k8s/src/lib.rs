//! # streampark-k8s
//!
//! Flink on Kubernetes for streampark-rs: the Flink Kubernetes Operator's custom resources
//! (`FlinkDeployment`, `FlinkSessionJob`, `FlinkStateSnapshot`), native Kubernetes mode through the
//! Flink CLI, pod logs and event-driven watching.
//!
//! **Status:** this crate is a placeholder in this release; the Kubernetes backend is tracked as
//! its own work item. It builds and depends only on `streampark-core`.

/// The name the operator backend reports in errors and tracing spans.
pub const BACKEND: &str = "k8s-operator";
