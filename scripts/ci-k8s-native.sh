#!/usr/bin/env bash
# scripts/ci-k8s-native.sh — native Kubernetes mode (issue 8) against the real Flink CLI.
#
# Installs Flink with scripts/flink-local (no cluster is started: none is needed), exports
# STREAMPARK_IT_FLINK_HOME and runs streampark-k8s/tests/native_cli_real.rs: the real
# `flink run-application -t kubernetes-application` pointed at a kubeconfig whose API server is a
# closed loopback port must fail with a typed error carrying the CLI's stderr tail and leave no
# process behind. Then the simulator tests of NativeDeployer.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'ci-k8s-native: %s\n' "$*" >&2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

scripts/flink-local install >/dev/null
STREAMPARK_IT_FLINK_HOME="$(scripts/flink-local home)"
export STREAMPARK_IT_FLINK_HOME
say "Flink home $STREAMPARK_IT_FLINK_HOME"

cargo test --workspace --all-features --test native_cli_real -- --nocapture
cargo test --workspace --all-features --test sim_native
say "ok"
