#!/usr/bin/env bash
# CI step for the Flink SQL checker (streampark_core::sql).
#
# 1. Always: the agreement tests (corpus and held-out sets, stored per-release labels), the
#    robustness tests, the fuzzer's regression cases (tests/data/sql/fuzz-found.jsonl) and the
#    fuzzer's self-test (determinism, tokenizer, shrinker). No Flink is needed for these.
# 2. Differential fuzzing against Flink's own parser: scripts/sql-fuzz with a fixed seed and a time
#    budget, for Flink 1.14.6 and 2.3.0, asking the project's oracle (scripts/sql-oracle, built
#    against each release's jars) and the checker (examples/sql_check --flink-version V) about the
#    same generated statements; the shrunk disagreements are printed as ready-to-commit lines
#    for fuzz-found.jsonl. The checker does not yet meet the goal on every release (README,
#    "Figures"), so a disagreement fails the step only with SQL_FUZZ_STRICT=1; the figures are
#    printed either way. Before fuzzing, the stored per-release labels are checked against the
#    installed releases' parsers (scripts/sql-oracle --check): stale labels fail the step. The Flink homes come from
#    `SP_FLINK_VERSION=V scripts/flink-local install` (idempotent; cached under
#    $HOME/.cache/streampark-dev/). When the oracle cannot run here (no JDK, a release that does
#    not install) the step says so and skips part 2, unless SQL_FUZZ_REQUIRED=1.
#
# Env: SQL_FUZZ_SEED (20261124), SQL_FUZZ_BUDGET (240 s for the whole fuzz run),
#      SQL_FUZZ_VERSIONS (1.14.6,2.3.0), SQL_FUZZ_REQUIRED (0), SQL_FUZZ_OUT (a directory to keep
#      the generated cases and both sides' answers in), SQL_FUZZ_STRICT (0).
set -euo pipefail
cd "$(dirname "$0")/.."
T0=$SECONDS
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "ci-sql: agreement, robustness and fuzz-found tests"
# the workspace selection of .ci/run, so the test build it made is reused
set +e
cargo test --workspace --all-features --test sql_agreement --test sql_robustness --test sql_fuzz_found \
  -- --nocapture >"$TMP/tests.log" 2>&1
rc=$?
set -e
grep -E '^(Flink |corpus|heldout|probe|fuzz-found|  [a-z]|test result|failures:|---- )' "$TMP/tests.log" || true
if [ "$rc" -ne 0 ]; then
  echo "ci-sql: tests failed (exit $rc); the end of their output:"
  tail -n 80 "$TMP/tests.log"
  exit "$rc"
fi
echo "ci-sql: tests done in $((SECONDS - T0)) s"
echo "ci-sql: the fuzzer's own checks (no Flink needed)"
python3 scripts/sql-fuzz --self-test

SEED="${SQL_FUZZ_SEED:-20261124}"
BUDGET="${SQL_FUZZ_BUDGET:-240}"
VERSIONS="${SQL_FUZZ_VERSIONS:-1.14.6,2.3.0}"
skip() {
  if [ "${SQL_FUZZ_REQUIRED:-0}" = "1" ]; then
    echo "ci-sql: error: differential fuzzing cannot run: $*"
    exit 1
  fi
  echo "ci-sql: differential fuzzing against Flink's parser skipped: $*"
  echo "ci-sql: step took $((SECONDS - T0)) s"
  exit 0
}
command -v python3 >/dev/null 2>&1 || skip "no python3"
command -v javac >/dev/null 2>&1 || skip "no JDK (javac) to build scripts/sql-oracle"
T1=$SECONDS
for v in ${VERSIONS//,/ }; do
  if ! SP_FLINK_VERSION="$v" scripts/flink-local install >"$TMP/install-$v.log" 2>&1; then
    tail -n 20 "$TMP/install-$v.log"
    skip "Flink $v does not install (SP_FLINK_VERSION=$v scripts/flink-local install)"
  fi
  scripts/sql-oracle --build --flink-version "$v" >/dev/null || skip "scripts/sql-oracle cannot be built for Flink $v"
done
echo "ci-sql: Flink ${VERSIONS} ready for the oracle in $((SECONDS - T1)) s"
T3=$SECONDS
scripts/sql-oracle --check
echo "ci-sql: stored per-release labels match Flink's parsers ($((SECONDS - T3)) s)"

T2=$SECONDS
echo "ci-sql: differential fuzzing, seed $SEED, budget ${BUDGET} s, Flink $VERSIONS"
set +e
scripts/sql-fuzz --seed "$SEED" --budget "$BUDGET" --versions "$VERSIONS" ${SQL_FUZZ_OUT:+--out "$SQL_FUZZ_OUT"}
rc=$?
set -e
echo "ci-sql: differential fuzzing took $((SECONDS - T2)) s; step took $((SECONDS - T0)) s"
case "$rc" in
  0) echo "ci-sql: the checker agrees with Flink's parser on every generated statement" ;;
  1)
    if [ "${SQL_FUZZ_STRICT:-0}" = "1" ]; then
      echo "ci-sql: FAILED: the checker disagrees with Flink's parser (shrunk cases above: add them to streampark-core/tests/data/sql/fuzz-found.jsonl, then fix the checker)"; exit 1
    fi
    echo "ci-sql: the checker disagrees with Flink's parser on some statements (figures and shrunk cases above; SQL_FUZZ_STRICT=1 makes this fail)" ;;
  *) echo "ci-sql: FAILED: scripts/sql-fuzz could not run (exit $rc)"; exit "$rc" ;;
esac
