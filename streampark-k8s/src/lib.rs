//! # streampark-k8s
//!
//! Flink on Kubernetes for streampark-rs, through the Flink Kubernetes Operator's custom
//! resources (`FlinkDeployment`, `FlinkSessionJob`, `FlinkStateSnapshot`).
//!
//! - [`crd`]: typed `flink.apache.org/v1beta1` resources.
//! - [`resources`]: what one job attempt becomes (names, labels, program `ConfigMap`).
//!
//! See `docs/k8s.md` for the mechanisms and for which paths were verified only against the
//! simulated API server (all of them).

pub mod crd;
pub mod resources;

/// The name the operator backend reports in errors and tracing spans.
pub const BACKEND: &str = "k8s-operator";
