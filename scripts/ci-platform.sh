#!/usr/bin/env bash
# scripts/ci-platform.sh — the platform's real-server tests.
#
# Starts a private PostgreSQL (scripts/lib/postgres.sh: initdb in a temp dir, a free loopback
# port), exports STREAMPARK_IT_POSTGRES_URL and runs tests/platform_versions.rs (version
# history on PostgreSQL, claims between two replicas, the seeded two-replica harness on one
# PostgreSQL database: 20 seeds); then the HTTP example's
# end-to-end test. Everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=lib/postgres.sh
. scripts/lib/postgres.sh
say() { printf 'ci-platform: %s\n' "$*" >&2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
TMP="$(mktemp -d /tmp/sp-ci-platform.XXXXXX)"

cleanup() {
  set +e
  pg_stop
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

pg_start "$TMP"
cargo test --workspace --all-features --test platform_versions --test platform_claims --test platform_seeded -- --nocapture
cargo test --workspace --all-features --test platform_http -- --nocapture
say "ok"
