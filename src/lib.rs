//! # streampark
//!
//! The facade of the streampark-rs SDK: it re-exports [`streampark_core`] (domain types, the
//! [`Deployer`] trait, the Flink REST client, [`RemoteDeployer`] and the [`testkit`]) and, by
//! feature, the backend crates.
//!
//! | feature   | what it adds                                             |
//! |-----------|----------------------------------------------------------|
//! | `yarn`    | [`yarn`]: Flink on YARN                                  |
//! | `k8s`     | [`k8s`]: Flink Kubernetes Operator and native Kubernetes |
//! | `alerts`  | [`alerts`]: email and chat alert sinks, routing          |
//! | `nacos`   | the Nacos configuration source in core                   |
//! | `testkit` | `testkit::conformance`, the `Deployer` conformance suite |
//!
//! ```
//! use std::sync::Arc;
//! use streampark::{Deployer, testkit::SimDeployer};
//!
//! let deployer: Arc<dyn Deployer> = Arc::new(SimDeployer::new());
//! assert_eq!(deployer.backend(), "sim");
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use streampark_core::*;

#[cfg(feature = "yarn")]
pub use streampark_yarn as yarn;

#[cfg(feature = "k8s")]
pub use streampark_k8s as k8s;

#[cfg(feature = "alerts")]
pub use streampark_alerts as alerts;
