#!/usr/bin/env bash
# scripts/ci-platform.sh — the platform's real-server tests.
#
# Starts a private PostgreSQL (initdb in a temp dir, a free loopback port, as
# scripts/ci-supervisor.sh does), exports STREAMPARK_IT_POSTGRES_URL and runs
# tests/platform_versions.rs (version history on PostgreSQL + the PlatformStore conformance
# suite); then the HTTP example's end-to-end test. Everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'ci-platform: %s\n' "$*" >&2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
TMP="$(mktemp -d /tmp/sp-ci-platform.XXXXXX)"
PG_STARTED=""

cleanup() {
  set +e
  if [ -n "$PG_STARTED" ]; then
    run_pg "$PG_BIN/pg_ctl" -D "$TMP/pg" -m immediate stop >/dev/null 2>&1
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
cargo test -p streampark-core --features postgres,testkit --test platform_versions -- --nocapture
cargo test -p streampark-examples --test platform_http -- --nocapture
say "ok"
