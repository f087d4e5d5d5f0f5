//! # streampark-k8s
//!
//! Flink on Kubernetes for streampark-rs, through the Flink Kubernetes Operator's custom
//! resources (`FlinkDeployment`, `FlinkSessionJob`, `FlinkStateSnapshot`).
//!
//! - [`OperatorDeployer`]: a `Deployer`; one `FlinkDeployment` per job attempt (application
//!   mode) or a `FlinkSessionJob` on a session cluster; state from the resources and their pods,
//!   kept by watch streams; pod logs.
//! - [`crd`]: typed `flink.apache.org/v1beta1` resources.
//! - [`resources`]: what one job attempt becomes (names, labels, program `ConfigMap`).
//! - [`NativeDeployer`]: native Kubernetes application mode (no operator), one Flink
//!   application cluster per attempt started through the Flink CLI.
//! - [`native`]: native Kubernetes mode, submission through the Flink CLI (`run-application -t
//!   kubernetes-application`, `kubernetes-session.sh`).
//! - [`register`]: `k8s://` (operator) and `k8s+native://` for core's `Registry` (a deployer by
//!   URL).
//! - `testkit` (feature `testkit`): a simulated API server with an operator-like reconciler.
//!
//! See `docs/k8s.md` for the mechanisms and for which paths were verified only against the
//! simulated API server (all of them).

mod builder;
mod cache;
pub mod crd;
mod deployer;
mod fence;
pub mod native;
mod native_deployer;
mod native_session;
mod pod_logs;
mod registry;
pub mod resources;
mod status;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use builder::OperatorDeployerBuilder;
pub use cache::WatchStats;
pub use deployer::{FIELD_MANAGER, OperatorDeployer};
pub use native_deployer::{
    NATIVE_BACKEND, NATIVE_TYPE_LABEL, NativeDeployer, NativeSubmit, RestResolver,
    ServiceDnsResolver,
};
pub use native_session::{NativeSession, NativeSessionStart, SESSION_LABEL, SessionStart};
pub use registry::register;

/// The name the operator backend reports in errors and tracing spans.
pub const BACKEND: &str = "k8s-operator";
