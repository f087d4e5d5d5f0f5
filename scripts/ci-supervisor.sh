#!/usr/bin/env bash
# scripts/ci-supervisor.sh — the supervisor's real-server tests.
#
# 1. PostgreSQL: starts a private server (initdb in a temp dir, a free loopback port), exports
#    STREAMPARK_IT_POSTGRES_URL and runs tests/supervisor_postgres.rs (the store's behaviour,
#    concurrent compare-and-swap, two supervisors on one database).
# 2. Flink: starts a private Flink 2.x with scripts/flink-local (own SP_FLINK_STATE, restart
#    strategy off), exports STREAMPARK_IT_FLINK_URL / STREAMPARK_IT_FLINK_STATE / FLINK_HOME and
#    runs tests/supervisor_flink.rs (TaskManager killed under a checkpointing SQL job).
# 3. The seeded fault-injection run (SP_FAULT_SEEDS, default 200).
#
# PostgreSQL comes from scripts/lib/postgres.sh (the installed one, or apt-get on Debian).
# SP_SKIP_FLINK=1 skips part 2. Everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=lib/postgres.sh
. scripts/lib/postgres.sh
say() { printf 'ci-supervisor: %s\n' "$*" >&2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/streampark-dev"
TMP="$(mktemp -d /tmp/sp-ci-supervisor.XXXXXX)"
FLINK_STARTED=""
export SP_FLINK_STATE="${SP_FLINK_STATE:-$CACHE/flink-supervisor}"

cleanup() {
  set +e
  pg_stop
  if [ -n "$FLINK_STARTED" ]; then
    scripts/flink-local stop >/dev/null 2>&1
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# ---------------------------------------------------------------- PostgreSQL
pg_start "$TMP"
cargo test --workspace --all-features --test supervisor_postgres -- --nocapture

# ---------------------------------------------------------------- Flink
if [ "${SP_SKIP_FLINK:-}" != 1 ]; then
  scripts/flink-local install >/dev/null
  scripts/flink-local start >/dev/null
  FLINK_STARTED=1
  eval "$(scripts/flink-local env)"
  export STREAMPARK_IT_FLINK_URL="$FLINK_REST_URL"
  export STREAMPARK_IT_FLINK_STATE="$SP_FLINK_STATE"
  export FLINK_HOME
  say "Flink on $STREAMPARK_IT_FLINK_URL (state $SP_FLINK_STATE)"
  cargo test --workspace --all-features --test supervisor_flink -- --nocapture
fi

# ---------------------------------------------------------------- fault injection
SP_FAULT_SEEDS="${SP_FAULT_SEEDS:-200}" \
  cargo test --workspace --all-features --test supervisor_faults -- --nocapture
say "ok"
