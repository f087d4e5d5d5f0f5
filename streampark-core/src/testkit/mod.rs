//! Test kit: `SimDeployer` and the conformance suite (work in progress).
