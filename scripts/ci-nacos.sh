#!/usr/bin/env bash
# Nacos: NacosSource, the engine's live configuration and the watcher example against real
# servers started by scripts/nacos-local on free loopback ports, each with auth off and on:
#   - rnacos 0.8.8 (crates.io; built once, cached);
#   - Nacos 3.x itself when SP_NACOS_HOME names one (see scripts/nacos-local: its server jars
#     are not on every Maven repository, and not on the one CI reaches).
# Per server: tests/nacos_real.rs (initial content, five publishes, other group/namespace,
# delete, re-create, wrong password, kill and restart with the same data),
# tests/platform_nacos.rs (a job bound to the document: live key applied without a new
# attempt, restart key rolled out with one savepoint), the nacos_watch example, and the
# publish-to-event latency benchmark (benches/benches/nacos_latency.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

t0=$SECONDS
step() { printf -- '--- ci-nacos: %s (%ss)\n' "$*" "$((SECONDS - t0))"; }

WORK="$(mktemp -d)"
STARTED=()
cleanup() {
  for s in "${STARTED[@]}"; do SP_NACOS_STATE="$s" scripts/nacos-local stop || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

step "install rnacos"
scripts/nacos-local install >/dev/null

servers=(rnacos)
if [ -n "${SP_NACOS_HOME:-}" ]; then servers+=(nacos); fi

step "build the tests, the example and the benchmark"
cargo test --workspace --all-features --no-run -q --test nacos_real --test platform_nacos
cargo build -q --example nacos_watch
cargo bench -q -p streampark-benches --bench nacos_latency --no-run

for server in "${servers[@]}"; do
  for auth in 0 1; do
    label="$server auth=$([ "$auth" = 1 ] && echo on || echo off)"
    state="$WORK/$server-$auth"
    export SP_NACOS_SERVER="$server" SP_NACOS_AUTH="$auth" SP_NACOS_STATE="$state"
    step "$label: start"
    STARTED+=("$state")
    scripts/nacos-local start
    eval "$(scripts/nacos-local env)"

    step "$label: tests/nacos_real.rs"
    cargo test -q --workspace --all-features --test nacos_real -- --test-threads 1

    step "$label: tests/platform_nacos.rs"
    cargo test -q --workspace --all-features --test platform_nacos

    step "$label: nacos_watch"
    group="ci-$$-$auth"
    creds=()
    curl_auth=()
    if [ "$auth" = 1 ]; then
      creds=(--username "$NACOS_USERNAME" --password "$NACOS_PASSWORD")
      tok="$(curl -s --max-time 30 -X POST "$NACOS_URL/nacos/v1/auth/login" -d "username=$NACOS_USERNAME" \
        --data-urlencode "password=$NACOS_PASSWORD" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')"
      curl_auth=(--data-urlencode "accessToken=$tok")
    fi
    content='parallelism.default: 4'
    curl -s --max-time 10 -X POST "$NACOS_URL/nacos/v1/cs/configs" "${curl_auth[@]}" -d dataId=flink.yaml \
      -d "group=$group" --data-urlencode "content=$content" | grep -qx true
    want="$(printf '%s' "$content" | md5sum | cut -d' ' -f1)"
    out="$WORK/watch.out"
    # The watcher runs until stopped: give it 20 s to print the current version.
    timeout 20 ./target/debug/examples/nacos_watch --server "$NACOS_URL" --data-id flink.yaml --group "$group" \
      "${creds[@]}" >"$out" 2>"$WORK/watch.err" || true
    grep -q "\"md5\":\"$want\"" "$out" || { cat "$out" "$WORK/watch.err" >&2; echo "nacos_watch did not print the version" >&2; exit 1; }
    if [ "$auth" = 1 ]; then
      wrong="wrong-$$-pw"
      started=$SECONDS
      set +e
      timeout 30 ./target/debug/examples/nacos_watch --server "$NACOS_URL" --data-id flink.yaml --group "$group" \
        --username "$NACOS_USERNAME" --password "$wrong" >"$out" 2>"$WORK/watch.err"
      code=$?
      set -e
      [ "$code" = 3 ] || { cat "$WORK/watch.err" >&2; echo "wrong password: exit $code, expected 3" >&2; exit 1; }
      [ $((SECONDS - started)) -le 10 ] || { echo "wrong password took $((SECONDS - started)) s" >&2; exit 1; }
      if grep -q -e "$wrong" -e "$NACOS_PASSWORD" "$out" "$WORK/watch.err"; then
        echo "a password was printed" >&2; exit 1
      fi
      echo "wrong password: $(cat "$WORK/watch.err")"
    fi

    step "$label: publish-to-event latency"
    cargo bench -q -p streampark-benches --bench nacos_latency

    scripts/nacos-local stop
  done
done
unset NACOS_URL NACOS_USERNAME NACOS_PASSWORD NACOS_SERVER NACOS_INSTANCE
step "done"
