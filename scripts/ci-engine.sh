#!/usr/bin/env bash
# scripts/ci-engine.sh — the one engine on a real, stock Flink.
#
# Starts a private Flink 2.x with scripts/flink-local whose configuration enables no
# checkpointing (SP_FLINK_CHECKPOINT_INTERVAL empty, Flink's default) and no restart strategy,
# then:
# 1. the quickstart against it: exits 0, and every `savepoint: <path>` it prints exists;
# 2. examples/tests/platform_flink.rs: a checkpointing SQL job deployed through the example
#    platform's HTTP API, its TaskManager killed, exactly one new Flink job restored from the
#    first one's latest checkpoint, and a restarted platform that adopts and submits nothing.
# Everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'ci-engine: %s (%ss)\n' "$*" "$SECONDS" >&2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/streampark-dev"
export SP_FLINK_STATE="${SP_FLINK_ENGINE_STATE:-$CACHE/flink-engine}"
export SP_FLINK_CHECKPOINT_INTERVAL=""
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
if grep -q '^execution.checkpointing.interval' "$SP_FLINK_STATE/conf/config.yaml"; then
  echo "ci-engine: the stock cluster has a checkpoint interval configured" >&2
  exit 1
fi
say "stock Flink on $FLINK_REST_URL (no checkpoint interval configured)"

if ! out="$(FLINK_REST_URL="$FLINK_REST_URL" cargo run -q --example quickstart)"; then
  echo "$out"
  echo "ci-engine: the quickstart failed on the stock cluster" >&2
  exit 1
fi
echo "$out"
n=0
while read -r path; do
  [ -e "$path" ] || { echo "ci-engine: savepoint path does not exist: $path" >&2; exit 1; }
  n=$((n + 1))
done < <(printf '%s\n' "$out" | sed -n 's/^savepoint: //p')
[ "$n" -ge 2 ] || { echo "ci-engine: expected 2 savepoint lines, got $n" >&2; exit 1; }
say "quickstart on a stock cluster: $n savepoints exist on disk"

STREAMPARK_IT_FLINK_URL="$FLINK_REST_URL" STREAMPARK_IT_FLINK_STATE="$SP_FLINK_STATE" \
  FLINK_HOME="$FLINK_HOME" \
  cargo test --workspace --all-features --test platform_flink -- --nocapture
say "ok"
