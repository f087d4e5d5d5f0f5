#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use streampark_core::*;

#[cfg(feature = "yarn")]
pub use streampark_yarn as yarn;

#[cfg(feature = "k8s")]
pub use streampark_k8s as k8s;

#[cfg(feature = "alerts")]
pub use streampark_alerts as alerts;

/// A [`Registry`] with every scheme this build's features provide: `sim://`, `flink+http://`
/// and `flink+https://` always, `yarn://` and `yarn+https://` with feature `yarn`, `k8s://` and
/// `k8s+native://` with feature `k8s`.
///
/// ```
/// let reg = streampark::registry();
/// assert!(reg.schemes().contains(&"flink+http"));
/// # #[cfg(feature = "yarn")]
/// assert!(reg.schemes().contains(&"yarn"));
/// ```
pub fn registry() -> Registry {
    #[allow(unused_mut)]
    let mut reg = Registry::new();
    #[cfg(feature = "yarn")]
    streampark_yarn::register(&mut reg);
    #[cfg(feature = "k8s")]
    streampark_k8s::register(&mut reg);
    reg
}
