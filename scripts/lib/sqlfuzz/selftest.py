"""`scripts/sql-fuzz --self-test`: the fuzzer's own checks, without Flink or the checker.

- generation is deterministic for a seed, also under another PYTHONHASHSEED (a subprocess);
- the tokenizer covers every generated statement exactly (no character lost or added);
- the shrinker, driven by a scripted oracle and checker, reaches the minimal statement, keeps
  the signature of the disagreement, and batches (one call per release and round);
- a disagreement's signature tells a verdict miss from a position miss.
Prints one line per check and 'N passed, M failed'; returns the exit status.
"""

import hashlib
import os
import subprocess
import sys
import time

from . import compare, lex, shrink


class ScriptedEngines:
    """Stands in for Engines: `oracle(sql)` and `checker(sql)` give the rows."""

    def __init__(self, oracle, checker):
        self.oracle, self.checker, self.calls = oracle, checker, 0

    def run(self, version, sqls):
        self.calls += 1
        return [self.oracle(s) for s in sqls], [self.checker(s) for s in sqls]


def invalid_at(line, col, msg="Encountered \"x\""):
    return {"expect": "invalid", "phase": "parse", "error_line": line, "error_column": col, "flink_message": msg}


VALID = {"expect": "valid", "phase": None, "error_line": None, "error_column": None, "flink_message": None}


def digest(make_case, seed, n):
    h = hashlib.sha256()
    for i in range(n):
        h.update(make_case(seed, i).encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


def run(make_case, script):
    results = []

    def check(name, fn):
        try:
            fn()
            results.append((name, None))
        except AssertionError as e:
            results.append((name, str(e) or "assertion failed"))

    def deterministic():
        a, b = digest(make_case, 42, 300), digest(make_case, 42, 300)
        assert a == b, "two runs of seed 42 differ"
        assert digest(make_case, 43, 300) != a, "seeds 42 and 43 give the same statements"
        env = dict(os.environ, PYTHONHASHSEED="12345")
        out = subprocess.run([sys.executable, script, "--self-test-digest", "42", "300"], env=env,
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr[-300:]
        assert out.stdout.strip() == a, "seed 42 gives other statements under PYTHONHASHSEED=12345"

    def tokenizer_covers():
        for i in range(2000):
            s = make_case("lex", i)
            assert lex.join(lex.tokens(s)) == s, f"tokens of case {i} do not join back"
            assert "".join(lex.units(s)) == s, f"units of case {i} do not join back"

    def shrinks_to_minimum():
        # Flink rejects anything holding `BAD` at its first character; the checker says valid.
        def oracle(s):
            k = s.find("BAD")
            if k < 0:
                return VALID
            line = s.count("\n", 0, k) + 1
            return invalid_at(line, k - (s.rfind("\n", 0, k) + 1) + 1)
        eng = ScriptedEngines(oracle, lambda s: {"valid": True, "line": None, "column": None, "message": None})
        sql = "INSERT INTO t\nSELECT a, b, BAD, c FROM src WHERE x = 'y' AND z > 10"
        sig = compare.signature(oracle(sql), {"valid": True})
        jobs = [shrink.Job("a", "2.3.0", sql, sig), shrink.Job("b", "2.3.0", "SELECT 1 + BAD", sig)]
        rounds = shrink.shrink(jobs, eng, time.monotonic() + 60, lambda m: None)
        assert [j.sql for j in jobs] == ["BAD", "BAD"], f"shrunk to {[j.sql for j in jobs]}"
        assert all(j.done for j in jobs), "not minimal"
        assert eng.calls == rounds, f"{eng.calls} oracle calls in {rounds} rounds: not batched"

    def keeps_signature():
        # Flink says invalid at the first `X`; with a `Y` the checker points one column further (a
        # position miss), without one it says valid (a verdict miss, shorter, but another kind).
        def oracle(s):
            k = s.find("X")
            return invalid_at(1, k + 1) if k >= 0 else VALID

        def checker(s):
            k = s.find("X")
            if k < 0 or "Y" not in s:
                return {"valid": True, "line": None, "column": None, "message": None}
            return {"valid": False, "line": 1, "column": k + 2, "message": "m"}
        sql = "SELECT a Y, b X, c"
        eng = ScriptedEngines(oracle, checker)
        sig = compare.signature(oracle(sql), checker(sql))
        assert sig[0] == "position", sig
        job = shrink.Job("p", "1.14.6", sql, sig)
        shrink.shrink([job], eng, time.monotonic() + 60, lambda m: None)
        assert "X" in job.sql and "Y" in job.sql, f"lost the disagreement: {job.sql!r}"
        assert compare.signature(oracle(job.sql), checker(job.sql)) == sig
        assert len(job.sql) <= 3, f"not minimal: {job.sql!r}"

    def outcomes():
        c_ok = {"valid": False, "line": 1, "column": 5, "message": "m"}
        assert compare.outcome(invalid_at(1, 5), c_ok) == "agree"
        assert compare.outcome(invalid_at(1, 6), c_ok) == "position"
        assert compare.outcome(VALID, c_ok) == "verdict"
        assert compare.outcome(dict(invalid_at(1, 1), phase="validate"), c_ok) == "agree"
        assert compare.message_class("Encountered \"AS\" at line 1, column 17.") == "Encountered"

    check("generation is deterministic for a seed, whatever PYTHONHASHSEED", deterministic)
    check("the tokenizer covers every generated statement exactly", tokenizer_covers)
    check("the shrinker reaches the minimal statement, one batch per round", shrinks_to_minimum)
    check("the shrinker keeps the kind of disagreement", keeps_signature)
    check("verdict and position misses are told apart", outcomes)
    failed = 0
    for name, err in results:
        print(f"self-test: {'ok  ' if err is None else 'FAIL'} {name}" + ("" if err is None else f": {err}"))
        failed += err is not None
    print(f"self-test: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0
