#!/usr/bin/env bash
# scripts/ci-yarn-env.sh — FlinkHome + FlinkCli against the real Flink CLI (issue 7, environment).
#
# Installs Flink 2.x with scripts/flink-local, starts a private loopback cluster in its own state
# dir (SP_FLINK_STATE, default $HOME/.cache/streampark-dev/flink-yarn-env), builds the test jar,
# exports STREAMPARK_IT_FLINK_HOME / STREAMPARK_IT_FLINK_URL / STREAMPARK_IT_TEST_JAR and runs
# streampark-core/tests/flink_cli_real.rs (detect the real home, `flink run -t remote --detached`,
# job id parsed from real output, cancel, a rejected run, a timeout that kills the JVM's process
# group) and streampark-yarn/tests/cli_real.rs (CliSubmitter with the real CLI), then the
# yarn_doctor example against the real home and against a Cloudera-style layout (JSON checked). Stops the cluster on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'ci-yarn-env: %s\n' "$*" >&2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/streampark-dev"
export SP_FLINK_STATE="${SP_FLINK_STATE:-$CACHE/flink-yarn-env}"
STARTED=""
cleanup() {
  set +e
  [ -n "$STARTED" ] && scripts/flink-local stop >/dev/null 2>&1
}
trap cleanup EXIT INT TERM

scripts/flink-local install >/dev/null
scripts/flink-local start >/dev/null
STARTED=1
eval "$(scripts/flink-local env)"
export STREAMPARK_IT_FLINK_HOME="$FLINK_HOME"
export STREAMPARK_IT_FLINK_URL="$FLINK_REST_URL"
STREAMPARK_IT_TEST_JAR="$(FLINK_HOME="$FLINK_HOME" scripts/build-test-jar)"
export STREAMPARK_IT_TEST_JAR
say "Flink $FLINK_HOME on $FLINK_REST_URL (state $SP_FLINK_STATE), jar $STREAMPARK_IT_TEST_JAR"

cargo test -p streampark-core --test flink_cli_real -- --nocapture --test-threads 2
# CliSubmitter + the YARN argument builder against the real CLI (no Hadoop here: typed
# rejections with Flink's own stderr, no process left behind; the builder's output with -t remote).
cargo test -p streampark-yarn --test cli_real -- --nocapture --test-threads 2

if [ -f examples/yarn_doctor.rs ]; then
  say "yarn_doctor on the real home (no Hadoop configuration here: problems expected, exit code ignored)"
  cargo run -q -p streampark-examples --example yarn_doctor -- --flink-home "$FLINK_HOME" --json || true
fi
say "ok"
