//! Test kit for hosts and backend authors.
//!
//! - [`SimDeployer`]: a deterministic in-process Flink cluster implementing
//!   [`crate::Deployer`], driven by a [`VirtualClock`] and a [`FaultPlan`]. Always built, so a
//!   host can unit-test its own deployment logic without a cluster.
//! - [`jar_bytes`]: the bytes of a small valid jar, for artifact tests.
//! - `conformance` (feature `testkit`): one async function per behaviour of the
//!   [`crate::Deployer`] contract and the [`crate::conformance_tests!`] macro that turns them
//!   into one `#[tokio::test]` each. Not semver-stable.
//! - `SimJobManager` (feature `testkit`): one simulated Flink JobManager REST API, shared by
//!   the YARN and native Kubernetes simulators.
//! - [`FakeFlinkHome`]: Flink distribution layouts (Apache 1.x/2.x, Cloudera parcels) built in a
//!   directory, with real zip jars and manifests, for tests of [`crate::FlinkHome`] and doctors.

mod clock;
mod fake_flink;
mod faults;
mod jar;
mod script;
mod sim;

#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod conformance;
#[cfg(feature = "testkit")]
mod jobmanager;

pub use clock::VirtualClock;
pub use fake_flink::{FakeFlinkHome, write_jar};
pub use faults::{FaultPlan, SimError};
pub use jar::jar_bytes;
#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub use jobmanager::{
    OnJobEnd, OnRequest, SimCheckpoints, SimJobManager, SimJobManagerBuilder, SimJobManagerServer,
    SimJobView,
};
pub use sim::{SimDeployer, SimDeployerBuilder, SimStats};
