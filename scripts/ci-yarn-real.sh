#!/usr/bin/env bash
# scripts/ci-yarn-real.sh — YARN for real: Hadoop's own ResourceManagers (an HA pair),
# NodeManager, NameNode and DataNode started by scripts/yarn-local, and the real Flink 2.3 CLI
# from scripts/flink-local's install. Then:
# 1. the doctor's live checks against them: both RMs reachable, the active one found, WebHDFS
#    answering, the workspace complete once synced (examples/yarn_doctor.rs --json);
# 2. tests/yarn_real.rs: YarnDeployer's whole conformance suite in application mode, one
#    application at a time (the workspace is synced through WebHDFS first).
# Everything started here is stopped on exit, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'ci-yarn-real: %s (%ss)\n' "$*" "$SECONDS" >&2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export SP_YARN_STATE="${SP_YARN_STATE:-${XDG_CACHE_HOME:-$HOME/.cache}/streampark-dev/yarn-ci}"
STARTED=""
cleanup() {
  set +e
  [ -n "$STARTED" ] && scripts/yarn-local stop >/dev/null 2>&1
}
trap cleanup EXIT INT TERM

scripts/flink-local install >/dev/null
FLINK_HOME="$(scripts/flink-local home)"
scripts/yarn-local install >/dev/null
say "installed (Flink at $FLINK_HOME)"
STARTED=1
scripts/yarn-local start >/dev/null
eval "$(scripts/yarn-local env)"
say "YARN up: RMs $YARN_RM_URLS, WebHDFS $WEBHDFS_URL"
if [ -z "${JAVA_HOME:-}" ]; then
  JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  export JAVA_HOME
fi
export USER="${USER:-$(id -un)}"

# The doctor's live checks before the workspace exists: it must name the missing workspace.
doctor() {
  cargo run -q --example yarn_doctor -- --flink-home "$FLINK_HOME" --hadoop-conf "$HADOOP_CONF_DIR" \
    --workspace /streampark --user "$USER" --json
}
out="$(doctor || true)"
printf '%s\n' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
codes = [p["code"] for p in r["problems"]]
assert "RM_UNREACHABLE" not in codes and "NO_ACTIVE_RM" not in codes and "HDFS_UNREACHABLE" not in codes, codes
assert "HDFS_WORKSPACE_INCOMPLETE" in codes, codes
assert len(r["hadoop"]["resource_managers"]) == 2, r["hadoop"]
' || { printf '%s\n' "$out"; echo "ci-yarn-real: the doctor saw the wrong problems before the sync" >&2; exit 1; }
say "doctor (live, before the sync): RMs and WebHDFS reachable, the workspace named incomplete"

STREAMPARK_IT_YARN_RM_URLS="$YARN_RM_URLS" STREAMPARK_IT_FLINK_HOME="$FLINK_HOME" \
  STREAMPARK_IT_TEST_JAR="$(FLINK_HOME="$FLINK_HOME" scripts/build-test-jar)" \
  cargo test --workspace --all-features --test yarn_real -- --test-threads 1
say "conformance on the real ResourceManager: passed"

out="$(doctor)" || { printf '%s\n' "$out"; echo "ci-yarn-real: the doctor found errors after the sync" >&2; exit 1; }
printf '%s\n' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["problems"] == [], r["problems"]
assert r["flink"]["version"] == "2.3.0", r["flink"]
' || { printf '%s\n' "$out"; exit 1; }
say "doctor (live, after the sync): no problem"
say "ok"
