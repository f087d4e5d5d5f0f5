//! [`RemoteDeployer`]: a [`crate::Deployer`] over any Flink session or standalone cluster.

/// A `Deployer` over a Flink cluster's REST API (work in progress).
#[derive(Debug)]
pub struct RemoteDeployer {}
