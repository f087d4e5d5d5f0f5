#!/usr/bin/env bash
# scripts/ci-yarn-real.sh — YARN for real: Hadoop's own ResourceManagers (an HA pair),
# NodeManager, NameNode and DataNode started by scripts/yarn-local, and the real Flink 2.3 CLI
# from scripts/flink-local's install. Then:
# 1. the doctor's live checks against them: both RMs reachable, the active one found, WebHDFS
#    answering, the workspace complete once synced (examples/yarn_doctor.rs --json);
# 2. tests/yarn_real.rs: YarnDeployer's whole conformance suite in application mode and the
#    session deployer's on a real yarn-session, one application at a time (the workspace is
#    synced through WebHDFS first); per-job mode on Flink 1.20; an RM failover mid-run;
# 3. the CDP problems: a Cloudera-style parcel without conf/, HADOOP_CONF_DIR unset, a jar
#    missing from the HDFS workspace, and the supervisor (examples/supervise.rs) on YARN with
#    its TaskManager killed and its own process restarted.
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
# Flink 1.20 for per-job mode (gone in 2.x); it runs on Java 17.
SP_FLINK_VERSION=1.20.5 scripts/flink-local install >/dev/null
FLINK_LEGACY_HOME="$(SP_FLINK_VERSION=1.20.5 scripts/flink-local home)"
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
  STREAMPARK_IT_FLINK_LEGACY_HOME="$FLINK_LEGACY_HOME" \
  STREAMPARK_IT_LEGACY_TEST_JAR="$(FLINK_HOME="$FLINK_LEGACY_HOME" scripts/build-test-jar)" \
  cargo test --workspace --all-features --test yarn_real -- --test-threads 1
say "tests/yarn_real.rs passed: conformance in application mode and on a YARN session (Flink 2.3), per-job on Flink 1.20, an RM failover mid-run"

out="$(doctor)" || { printf '%s\n' "$out"; echo "ci-yarn-real: the doctor found errors after the sync" >&2; exit 1; }
printf '%s\n' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["problems"] == [], r["problems"]
assert r["flink"]["version"] == "2.3.0", r["flink"]
' || { printf '%s\n' "$out"; exit 1; }
say "doctor (live, after the sync): no problem"

# ---- The CDP problems, on the real cluster -------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sp-cdp.XXXXXX")"
trap 'cleanup; rm -rf "$WORK"' EXIT INT TERM
JAR="$(FLINK_HOME="$FLINK_HOME" scripts/build-test-jar)"
deploy() { # a jar job through examples/yarn_deploy.rs: sync, deploy, running, savepoint, stop
  cargo run -q --example yarn_deploy -- --hadoop-conf "$HADOOP_CONF_DIR" --queue streaming \
    --workspace /streampark --user "$USER" --jar "$JAR" --class io.streampark.it.TickJob "$@"
}
json_check() { # $1 = JSON text, $2 = python assertions on r
  printf '%s\n' "$1" | python3 -c "import json, sys
r = json.load(sys.stdin)
codes = [p['code'] for p in r['problems']]
$2" || { printf '%s\n' "$1"; exit 1; }
}

# (1) A Cloudera-style parcel: <parcel>/lib/flink without conf/, the dist jar named as Cloudera
# names it; the configuration lives elsewhere. The doctor keeps what it read from the jar and
# names the missing conf; a deploy given the conf dir elsewhere runs.
PARCEL="$WORK/opt/cloudera/parcels/FLINK-2.3.0-csa1.6.0.0-cdh7.1.9.0-387/lib/flink"
mkdir -p "$PARCEL/lib"
cp -R "$FLINK_HOME/bin" "$PARCEL/bin"
ln -s "$FLINK_HOME/plugins" "$PARCEL/plugins"
for f in "$FLINK_HOME"/lib/*.jar; do
  n="$(basename "$f")"
  case "$n" in flink-dist-*.jar) n="flink-dist_2.12-2.3.0-csa1.6.0.0.jar" ;; esac
  ln -s "$f" "$PARCEL/lib/$n"
done
CONF_ELSEWHERE="$WORK/etc/flink/conf.cloudera.flink"
mkdir -p "$CONF_ELSEWHERE"
cp "$FLINK_HOME"/conf/* "$CONF_ELSEWHERE/"
printf '\nstate.savepoints.dir: %s/streampark/savepoints\nstate.checkpoints.dir: %s/streampark/checkpoints\nexecution.checkpointing.interval: 2s\njobmanager.memory.process.size: 1024m\ntaskmanager.memory.process.size: 1024m\n' \
  "$DEFAULT_FS" "$DEFAULT_FS" >>"$CONF_ELSEWHERE/config.yaml"
out="$(cargo run -q --example yarn_doctor -- --flink-home "$PARCEL" --hadoop-conf "$HADOOP_CONF_DIR" --static --json || true)"
json_check "$out" '
f = r["flink"]
assert (f["version"], f["vendor"], f["scala"]) == ("2.3.0", "csa1.6.0.0", "2.12"), f
p = [p for p in r["problems"] if p["code"] == "FLINK_CONF_DIR_MISSING"]
assert p, codes
assert "conf.dist" in p[0]["message"] and p[0]["fix"], p[0]'
# The same layout named as Cloudera ships Flink 1.14 (the doctor reads the facts from the jar's
# name; nothing is run from it).
PARCEL114="$WORK/opt/cloudera/parcels/FLINK-1.14.0-csa1.6.0.0-cdh7.1.7.0-551-29340707/lib/flink"
mkdir -p "$PARCEL114/lib" "$PARCEL114/bin"
ln -s "$(ls "$FLINK_HOME"/lib/flink-dist-*.jar | head -n1)" "$PARCEL114/lib/flink-dist_2.12-1.14.0-csa1.6.0.0.jar"
cp "$FLINK_HOME/bin/flink" "$PARCEL114/bin/flink"
out="$(cargo run -q --example yarn_doctor -- --flink-home "$PARCEL114" --hadoop-conf "$HADOOP_CONF_DIR" --static --json || true)"
json_check "$out" '
f = r["flink"]
assert (f["version"], f["vendor"], f["scala"]) == ("1.14.0", "csa1.6.0.0", "2.12"), f
assert "FLINK_CONF_DIR_MISSING" in codes, codes'
say "CDP (1): the doctor reads version 2.3.0 (and 1.14.0 for a 1.14 parcel), vendor csa1.6.0.0, Scala 2.12 from the parcel and names the missing conf"
out="$(cargo run -q --example yarn_doctor -- --flink-home "$PARCEL" --flink-conf "$CONF_ELSEWHERE" \
  --hadoop-conf "$HADOOP_CONF_DIR" --workspace /streampark --user "$USER" --queue streaming --json || true)"
json_check "$out" '
assert "FLINK_CONF_DIR_MISSING" not in codes and "YARN_QUEUE_UNKNOWN" not in codes, codes'
out="$(cargo run -q --example yarn_doctor -- --flink-home "$FLINK_HOME" --hadoop-conf "$HADOOP_CONF_DIR" --queue nightly --json || true)"
json_check "$out" '
p = [p for p in r["problems"] if p["code"] == "YARN_QUEUE_UNKNOWN"]
assert p and "root.streaming" in p[0]["message"] and "root.default" in p[0]["message"], r["problems"]'
say "doctor (live): queue streaming found in the real scheduler, queue nightly named unknown with the queues there are"
deploy --flink-home "$PARCEL" --flink-conf "$CONF_ELSEWHERE" --job "cdp-parcel-$$" >"$WORK/parcel.out" \
  || { cat "$WORK/parcel.out"; echo "ci-yarn-real: the deploy from the parcel failed" >&2; exit 1; }
grep -q "RUNNING\|Running" "$WORK/parcel.out" || { cat "$WORK/parcel.out"; exit 1; }
say "CDP (1): deployed from the parcel with the conf dir given elsewhere: ran, savepoint, stopped"

# (2) HADOOP_CONF_DIR unset (and nothing in the default places): the doctor names it and every
# place it looked.
out="$(env -u HADOOP_CONF_DIR -u YARN_CONF_DIR -u HADOOP_HOME -u HADOOP_PREFIX \
  cargo run -q --example yarn_doctor -- --flink-home "$FLINK_HOME" --static --json || true)"
json_check "$out" '
p = [p for p in r["problems"] if p["code"] == "HADOOP_CONF_DIR_UNSET"]
assert p, codes
m = p[0]["message"]
for place in ("HADOOP_CONF_DIR", "YARN_CONF_DIR", "HADOOP_HOME", "/etc/hadoop/conf"):
    assert place in m, (place, m)
assert r["hadoop"] is None, r["hadoop"]'
say "CDP (2): HADOOP_CONF_DIR unset is named with every place looked at"

# (3) A jar missing from the workspace's lib/: the doctor names it, the deploy's sync uploads
# it, the deploy runs, and the doctor is content again.
missing="$(cd "$FLINK_HOME/lib" && ls flink-csv-*.jar | head -n1)"
curl -fsS -X DELETE "$WEBHDFS_URL/webhdfs/v1/streampark/flink/2.3.0/lib/$missing?op=DELETE&user.name=$USER" \
  | grep -q true || { echo "ci-yarn-real: could not remove $missing from the workspace" >&2; exit 1; }
out="$(doctor || true)"
json_check "$out" "
p = [p for p in r['problems'] if p['code'] == 'HDFS_WORKSPACE_INCOMPLETE']
assert p and '$missing' in p[0]['message'], r['problems']"
deploy --flink-home "$FLINK_HOME" --flink-conf "$CONF_ELSEWHERE" --job "cdp-sync-$$" >"$WORK/sync.out" \
  || { cat "$WORK/sync.out"; echo "ci-yarn-real: the deploy after the sync failed" >&2; exit 1; }
grep -q "$missing" "$WORK/sync.out" || { cat "$WORK/sync.out"; echo "ci-yarn-real: the sync did not upload $missing" >&2; exit 1; }
out="$(doctor)" || { printf '%s\n' "$out"; exit 1; }
json_check "$out" 'assert r["problems"] == [], r["problems"]'
say "CDP (3): the doctor named $missing, the sync uploaded it, the deploy ran, no problem left"

# (4) examples/supervise.rs --cluster yarn:// with a checkpointing SQL job, Flink's restart
# strategy off: its TaskManager killed, then the supervisor process restarted; a watcher polls
# the RM every second (scripts/lib/yarn_supervise_check.py).
cargo build -q --example supervise
FLINK_HOME="$FLINK_HOME" python3 scripts/lib/yarn_supervise_check.py "$CARGO_TARGET_DIR/debug/examples/supervise" "$WORK"
say "CDP (4): TaskManager killed: one new application from the latest checkpoint; supervisor restarted: adopted, nothing submitted"
say "ok"
