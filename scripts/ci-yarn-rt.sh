#!/usr/bin/env bash
# scripts/ci-yarn-rt.sh — the YARN runtime (issue 7): ResourceManager/WebHDFS clients, the
# simulated YARN cluster, YarnDeployer's conformance and fault tests, CliSubmitter with a
# stand-in bin/flink, and the yarn_deploy example against the embedded simulator.
# Needs no server and no Java: there is no real YARN here (see docs/yarn.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# The crate's tests run in the workspace test command (`cargo test --workspace --all-features`).
cargo run -p streampark-examples --example yarn_deploy -- --sim
