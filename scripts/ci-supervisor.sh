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
# Uses the installed PostgreSQL (`initdb`/`pg_ctl` on PATH or /usr/local/bin, or
# /usr/lib/postgresql/*/bin); on Debian without one: apt-get install -y postgresql.
# SP_SKIP_FLINK=1 skips part 2. Everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'ci-supervisor: %s\n' "$*" >&2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/streampark-dev"
TMP="$(mktemp -d /tmp/sp-ci-supervisor.XXXXXX)"
PG_STARTED=""
FLINK_STARTED=""
export SP_FLINK_STATE="${SP_FLINK_STATE:-$CACHE/flink-supervisor}"

cleanup() {
  set +e
  if [ -n "$PG_STARTED" ]; then
    run_pg "$PG_BIN/pg_ctl" -D "$TMP/pg" -m immediate stop >/dev/null 2>&1
  fi
  if [ -n "$FLINK_STARTED" ]; then
    scripts/flink-local stop >/dev/null 2>&1
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

find_pg() {
  local d
  for d in "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")" /usr/local/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

# PostgreSQL refuses to run as root: run it as the `postgres` user when we are root.
run_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# ---------------------------------------------------------------- PostgreSQL
if ! PG_BIN="$(find_pg)"; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    say "installing PostgreSQL"
    apt-get install -y postgresql >/dev/null
    PG_BIN="$(find_pg)" || { say "no initdb after installing postgresql"; exit 1; }
  else
    say "PostgreSQL not found (install postgresql)"; exit 1
  fi
fi
PG_PORT="$(free_port)"
mkdir -p "$TMP/pg" "$TMP/sock"
[ "$(id -u)" = 0 ] && chown -R postgres "$TMP" && chmod 755 "$TMP"
run_pg "$PG_BIN/initdb" -D "$TMP/pg" -U postgres --auth=trust -E UTF8 >"$TMP/initdb.log" 2>&1 \
  || { cat "$TMP/initdb.log" >&2; exit 1; }
run_pg "$PG_BIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg.log" -w -t 60 \
  -o "-p $PG_PORT -k $TMP/sock -c listen_addresses=127.0.0.1" start >/dev/null \
  || { cat "$TMP/pg.log" >&2; exit 1; }
PG_STARTED=1
export STREAMPARK_IT_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
say "PostgreSQL on 127.0.0.1:$PG_PORT"
cargo test -p streampark-core --all-features --test supervisor_postgres -- --nocapture

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
  cargo test -p streampark-core --all-features --test supervisor_flink -- --nocapture
fi

# ---------------------------------------------------------------- fault injection
SP_FAULT_SEEDS="${SP_FAULT_SEEDS:-200}" \
  cargo test -p streampark-core --all-features --test supervisor_faults -- --nocapture
say "ok"
