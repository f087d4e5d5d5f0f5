#!/usr/bin/env bash
# CI step for the Flink SQL checker (streampark_core::sql).
#
# 1. Always: the agreement tests (corpus + two held-out sets, stored labels) and robustness tests.
# 2. Optional differential check against Flink's own parser on NEW cases (fresh random seed):
#    needs python3, a JDK and Flink (FLINK_HOME, or the venv at
#    $HOME/.cache/streampark-dev/flink-venv), plus a verdict tool that asks Flink's parser
#    (FLINK_SQL_VERDICT, default ../shared/tools/flink-sql-verdict next to the repository).
#    Skipped, with a note, when any of them is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

echo "ci-sql: agreement and robustness tests"
cargo test --workspace --all-features --test sql_agreement --test sql_robustness -- --nocapture 2>&1 \
  | grep -E '^(corpus|heldout|  [a-z]|test result)' || true
cargo test --workspace --all-features --test sql_agreement --test sql_robustness --quiet

VENV="${FLINK_VENV:-$HOME/.cache/streampark-dev/flink-venv}"
if [ -z "${FLINK_HOME:-}" ]; then
  for d in "$VENV"/lib/python3*/site-packages/pyflink; do
    if ls "$d"/lib/flink-dist-*.jar >/dev/null 2>&1; then export FLINK_HOME="$d"; break; fi
  done
fi
VERDICT="${FLINK_SQL_VERDICT:-$ROOT/../shared/tools/flink-sql-verdict}"
skip() { echo "ci-sql: differential check against Flink skipped: $*"; exit 0; }
command -v python3 >/dev/null 2>&1 || skip "no python3"
command -v javac >/dev/null 2>&1 || skip "no JDK (javac)"
[ -n "${FLINK_HOME:-}" ] && [ -d "$FLINK_HOME/lib" ] || skip "no Flink (set FLINK_HOME or install into $VENV)"
[ -x "$VERDICT" ] || skip "no verdict tool at $VERDICT (set FLINK_SQL_VERDICT)"

SEED="${SQL_DIFF_SEED:-20261124}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
echo "ci-sql: differential check against Flink's parser, seed $SEED"
python3 scripts/gen-sql-heldout.py "$VERDICT" "$SEED" "$TMP/cases.jsonl" >/dev/null
cargo run --quiet --example sql_check -- --jsonl "$TMP/cases.jsonl" > "$TMP/ours.jsonl" || true
python3 - "$TMP/cases.jsonl" "$TMP/ours.jsonl" <<'PY'
import json, sys
cases = [json.loads(l) for l in open(sys.argv[1])]
ours = {json.dumps(r["id"]): r for r in map(json.loads, open(sys.argv[2]))}
agree = pos_total = pos_ok = 0
for c in cases:
    o = ours[json.dumps(c["id"])]
    ok = o["valid"] == (c["expect"] == "valid")
    agree += ok
    if not ok:
        print(f"  disagree {c['id']}: flink={c['expect']} ours={'valid' if o['valid'] else 'invalid'}: {c['sql'][:100]!r}")
    if c["expect"] == "invalid" and c.get("phase") == "parse" and c.get("error_line"):
        pos_total += 1
        pos_ok += (o["line"], o["column"]) == (c["error_line"], c["error_column"])
pct = 100.0 * agree / len(cases)
ppct = 100.0 * pos_ok / max(pos_total, 1)
print(f"ci-sql: {agree}/{len(cases)} agree with Flink ({pct:.2f}%), positions {pos_ok}/{pos_total} ({ppct:.2f}%)")
sys.exit(0 if pct >= 99.0 and ppct >= 90.0 else 1)
PY
