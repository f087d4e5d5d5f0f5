"""The two sides of the comparison, each asked about a whole batch in one process.

- The oracle: the project's `scripts/sql-oracle --flink-version V FILE.jsonl` (Flink V's own
  parser). Out: {"id", "expect": valid|invalid, "phase": parse|validate|null, "error_line",
  "error_column", "flink_message"} per input line, in input order.
- The checker: `examples/sql_check --flink-version V --jsonl FILE.jsonl`, built once with cargo.
  Out: {"id", "valid", "line", "column", "message"} per input line.
"""

import json
import os
import subprocess
import tempfile
import time


class SetupError(Exception):
    pass


def write_batch(path, sqls):
    with open(path, "w", encoding="utf-8") as f:
        for i, s in enumerate(sqls):
            f.write(json.dumps({"id": i, "sql": s}, ensure_ascii=True) + "\n")


def read_answers(text, n, who):
    rows = [json.loads(line) for line in text.split("\n") if line.strip()]  # not splitlines(): U+2028 etc.
    if len(rows) != n or any(r.get("id") != i for i, r in enumerate(rows)):
        raise SetupError(f"{who} answered {len(rows)} lines for {n} inputs (or out of order)")
    return rows


class Engines:
    """Runs the oracle and the checker for one release on the same batch file, side by side.

    The checker is light (one Rust process) and runs while the oracle's JVM works; only one JVM
    runs at a time.
    """

    def __init__(self, root, oracle=None, checker=None, tmpdir=None):
        self.root = root
        self.oracle = oracle or os.path.join(root, "scripts", "sql-oracle")
        self.checker = checker
        self.tmp = tmpdir or tempfile.mkdtemp(prefix="sql-fuzz.")
        self.seconds = {"oracle": 0.0, "checker": 0.0}  # wall time, oracle then checker wait
        self.calls = 0
        self.statements = 0

    # -- set-up -------------------------------------------------------------------------------
    def build_checker(self, log):
        if self.checker:
            if not os.access(self.checker, os.X_OK):
                raise SetupError(f"no checker at {self.checker}")
            return
        cmd = ["cargo", "build", "--quiet", "-p", "streampark-examples", "--example", "sql_check", "--all-features"]
        log("building the checker: " + " ".join(cmd))
        r = subprocess.run(cmd, cwd=self.root)
        if r.returncode != 0:
            raise SetupError("cargo build of examples/sql_check failed")
        meta = subprocess.run(["cargo", "metadata", "--no-deps", "--format-version", "1"], cwd=self.root,
                              capture_output=True, text=True)
        if meta.returncode != 0:
            raise SetupError("cargo metadata failed: " + meta.stderr.strip()[-300:])
        target = json.loads(meta.stdout)["target_directory"]
        self.checker = os.path.join(target, "debug", "examples", "sql_check")
        if not os.access(self.checker, os.X_OK):
            raise SetupError(f"built, but no checker at {self.checker}")

    def check_versions(self, versions, log):
        """Builds the oracle for each release once (scripts/sql-oracle --build) and tries the
        checker on it: a release either side cannot handle is a set-up error."""
        probe = os.path.join(self.tmp, "probe.jsonl")
        write_batch(probe, ["SELECT 1"])
        for v in versions:
            self.check_oracle(v)
            r = subprocess.run([self.checker, "--flink-version", v, "--jsonl", probe], capture_output=True, text=True)
            if r.returncode not in (0, 1) or not r.stdout.strip():
                raise SetupError(f"the checker refuses Flink {v}: {r.stderr.strip()[-400:]}")
            log(f"Flink {v}: oracle and checker ready")

    def check_oracle(self, v):
        r = subprocess.run([self.oracle, "--build", "--flink-version", v], capture_output=True, text=True)
        if r.returncode != 0:
            raise SetupError(f"the oracle cannot run for Flink {v}: {r.stderr.strip()[-400:]}")

    # -- one batch ----------------------------------------------------------------------------
    def run(self, version, sqls):
        """(oracle rows, checker rows) for `sqls`, in order."""
        if not sqls:
            return [], []
        self.calls += 1
        self.statements += len(sqls)
        path = os.path.join(self.tmp, f"batch-{version}.jsonl")
        write_batch(path, sqls)
        t0 = time.monotonic()
        chk = subprocess.Popen([self.checker, "--flink-version", version, "--jsonl", path],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ora = subprocess.run([self.oracle, "--flink-version", version, path], capture_output=True)
        t1 = time.monotonic()
        cout, cerr = chk.communicate()
        t2 = time.monotonic()
        self.seconds["oracle"] += t1 - t0
        self.seconds["checker"] += t2 - t1  # what the checker added after the oracle was done
        if ora.returncode != 0:
            raise SetupError(f"the oracle for Flink {version} failed (exit {ora.returncode}): "
                             + ora.stderr.decode(errors="replace").strip()[-600:])
        if chk.returncode not in (0, 1):
            raise SetupError(f"the checker for Flink {version} failed (exit {chk.returncode}): "
                             + cerr.decode(errors="replace").strip()[-600:])
        return (read_answers(ora.stdout.decode(), len(sqls), f"the oracle for Flink {version}"),
                read_answers(cout.decode(), len(sqls), f"the checker for Flink {version}"))

    def oracle_only(self, version, sqls):
        if not sqls:
            return []
        path = os.path.join(self.tmp, f"label-{version}.jsonl")
        write_batch(path, sqls)
        ora = subprocess.run([self.oracle, "--flink-version", version, path], capture_output=True)
        if ora.returncode != 0:
            raise SetupError(f"the oracle for Flink {version} failed (exit {ora.returncode}): "
                             + ora.stderr.decode(errors="replace").strip()[-600:])
        return read_answers(ora.stdout.decode(), len(sqls), f"the oracle for Flink {version}")
