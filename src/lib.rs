#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use streampark_core::*;

#[cfg(feature = "yarn")]
pub use streampark_yarn as yarn;

#[cfg(feature = "k8s")]
pub use streampark_k8s as k8s;

#[cfg(feature = "alerts")]
pub use streampark_alerts as alerts;
