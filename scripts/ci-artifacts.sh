#!/usr/bin/env bash
# scripts/ci-artifacts.sh — per-job artifacts against real servers.
#
# 1. The ArtifactStore against an in-test Maven repository over HTTP (axum on 127.0.0.1:0) and
#    SimDeployer shipping: tests/artifacts.rs (no external server needed).
# 2. A private Flink 2.x from scripts/flink-local (own SP_FLINK_STATE), the UDF jar from
#    scripts/build-udf-jar, and tests/artifacts_flink.rs: a SQL job calls a UDF that exists only
#    in an extra jar shipped by RemoteDeployer; without the jar the deploy is rejected naming
#    the class; a missing jar fails before anything starts.
#
# SP_SKIP_FLINK=1 skips part 2. The cluster started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'ci-artifacts: %s\n' "$*" >&2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/streampark-dev"
export SP_FLINK_STATE="${SP_FLINK_STATE:-$CACHE/flink-artifacts}"
FLINK_STARTED=""

cleanup() {
  set +e
  if [ -n "$FLINK_STARTED" ]; then
    scripts/flink-local stop >/dev/null 2>&1
  fi
}
trap cleanup EXIT INT TERM

cargo test --workspace --all-features --test artifacts

if [ "${SP_SKIP_FLINK:-}" != 1 ]; then
  scripts/flink-local install >/dev/null
  scripts/flink-local start >/dev/null
  FLINK_STARTED=1
  eval "$(scripts/flink-local env)"
  export FLINK_HOME
  export STREAMPARK_IT_FLINK_URL="$FLINK_REST_URL"
  STREAMPARK_IT_UDF_JAR="$(scripts/build-udf-jar)"
  export STREAMPARK_IT_UDF_JAR
  say "Flink on $STREAMPARK_IT_FLINK_URL (state $SP_FLINK_STATE), UDF jar $STREAMPARK_IT_UDF_JAR"
  cargo test --workspace --all-features --test artifacts_flink -- --nocapture
fi
say "ok"
