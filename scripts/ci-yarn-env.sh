#!/usr/bin/env bash
# scripts/ci-yarn-env.sh — FlinkHome + FlinkCli against the real Flink CLI (issue 7, environment).
#
# Installs Flink 2.x with scripts/flink-local, starts a private loopback cluster in its own state
# dir (SP_FLINK_STATE, default $HOME/.cache/streampark-dev/flink-yarn-env), builds the test jar,
# exports STREAMPARK_IT_FLINK_HOME / STREAMPARK_IT_FLINK_URL / STREAMPARK_IT_TEST_JAR and runs
# streampark-core/tests/flink_cli_real.rs (detect the real home, `flink run -t remote --detached`,
# job id parsed from real output, cancel, a rejected run, a timeout that kills the JVM's process
# group) and streampark-yarn/tests/cli_real.rs (CliSubmitter with the real CLI), then the
# yarn_doctor example against the real home and against a Cloudera-style layout (JSON checked). Stops the cluster on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'ci-yarn-env: %s\n' "$*" >&2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/streampark-dev"
export SP_FLINK_STATE="${SP_FLINK_STATE:-$CACHE/flink-yarn-env}"
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
export STREAMPARK_IT_FLINK_HOME="$FLINK_HOME"
export STREAMPARK_IT_FLINK_URL="$FLINK_REST_URL"
STREAMPARK_IT_TEST_JAR="$(FLINK_HOME="$FLINK_HOME" scripts/build-test-jar)"
export STREAMPARK_IT_TEST_JAR
say "Flink $FLINK_HOME on $FLINK_REST_URL (state $SP_FLINK_STATE), jar $STREAMPARK_IT_TEST_JAR"

cargo test --workspace --all-features --test flink_cli_real -- --nocapture --test-threads 2
# CliSubmitter + the YARN argument builder against the real CLI (no Hadoop here: typed
# rejections with Flink's own stderr, no process left behind; the builder's output with -t remote).
cargo test --workspace --all-features --test cli_real -- --nocapture --test-threads 2

if [ -f examples/yarn_doctor.rs ]; then
  say "yarn_doctor on the real home (no Hadoop configuration here: problems expected, exit code ignored)"
  cargo run -q -p streampark-examples --example yarn_doctor -- --flink-home "$FLINK_HOME" --json || true
fi
# yarn_doctor on a Cloudera-style layout built here (parcel without conf/, conf in etc/flink/conf,
# HA ResourceManagers on closed loopback ports): the JSON report's fields and problem codes.
say "yarn_doctor on a Cloudera-style layout"
DOC_TMP="$(mktemp -d)"
python3 - "$DOC_TMP" <<'PY'
import os, socket, sys, zipfile
root = sys.argv[1]
home = os.path.join(root, "opt/cloudera/parcels/FLINK-1.14.0-csa1.6.0.0/lib/flink")
def put(path, text=""):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
def jar(path, manifest="Manifest-Version: 1.0\n"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", manifest)
jar(os.path.join(home, "lib/flink-dist_2.12-1.14.0-csa1.6.0.0.jar"))
jar(os.path.join(home, "lib/flink-table_2.12-1.14.0-csa1.6.0.0.jar"))
jar(os.path.join(home, "plugins/metrics-jmx/flink-metrics-jmx-1.14.0-csa1.6.0.0.jar"))
put(os.path.join(home, "bin/flink"), "#!/bin/sh\nexit 0\n")
os.chmod(os.path.join(home, "bin/flink"), 0o755)
put(os.path.join(root, "etc/flink/conf/flink-conf.yaml"), "jobmanager.memory.process.size: 2g\n")
def closed_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
def site(props):
    body = "".join(f"<property><name>{k}</name><value>{v}</value></property>" for k, v in props)
    return f"<?xml version=\"1.0\"?><configuration>{body}</configuration>\n"
conf = os.path.join(root, "etc/hadoop/conf")
put(os.path.join(conf, "core-site.xml"), site([("fs.defaultFS", "hdfs://nameservice1")]))
p1, p2 = closed_port(), closed_port()
put(os.path.join(conf, "yarn-site.xml"), site([
    ("yarn.resourcemanager.ha.enabled", "true"),
    ("yarn.resourcemanager.ha.rm-ids", "rm61,rm75"),
    ("yarn.resourcemanager.webapp.address.rm61", f"127.0.0.1:{p1}"),
    ("yarn.resourcemanager.webapp.address.rm75", f"127.0.0.1:{p2}"),
]))
with open(os.path.join(root, "expected_rms"), "w") as f:
    f.write(f"http://127.0.0.1:{p1}\nhttp://127.0.0.1:{p2}\n")
PY
DOC_HOME="$DOC_TMP/opt/cloudera/parcels/FLINK-1.14.0-csa1.6.0.0/lib/flink"
# The RMs are unreachable on purpose: the doctor reports errors and exits 1.
FLINK_CONF_DIR="$DOC_TMP/etc/flink/conf" cargo run -q -p streampark-examples --example yarn_doctor -- \
  --flink-home "$DOC_HOME" --hadoop-conf "$DOC_TMP/etc/hadoop/conf" --json >"$DOC_TMP/report.json" || true
python3 - "$DOC_TMP" "$DOC_HOME" <<'PY'
import json, sys
root, home = sys.argv[1], sys.argv[2]
r = json.load(open(f"{root}/report.json"))
f, h = r["flink"], r["hadoop"]
expected_rms = open(f"{root}/expected_rms").read().split()
checks = [
    (f["home"] == home, f"flink.home {f['home']!r}"),
    (f["version"] == "1.14.0", f"flink.version {f['version']!r}"),
    (f["vendor"] == "csa1.6.0.0", f"flink.vendor {f['vendor']!r}"),
    (f["scala"] == "2.12", f"flink.scala {f['scala']!r}"),
    (f["conf_dir"] == f"{root}/etc/flink/conf", f"flink.conf_dir {f['conf_dir']!r}"),
    (h["conf_dir"] == f"{root}/etc/hadoop/conf", f"hadoop.conf_dir {h['conf_dir']!r}"),
    (h["resource_managers"] == expected_rms, f"hadoop.resource_managers {h['resource_managers']!r}"),
    (h["default_fs"] == "hdfs://nameservice1", f"hadoop.default_fs {h['default_fs']!r}"),
]
codes = {p["code"] for p in r["problems"]}
checks.append(("RM_UNREACHABLE" in codes, f"problem codes {sorted(codes)}"))
checks.append((all(p["message"] and p["fix"] for p in r["problems"]), "every problem has a message and a fix"))
bad = [what for ok, what in checks if not ok]
if bad:
    sys.exit("yarn_doctor JSON: unexpected " + "; ".join(bad))
print(f"yarn_doctor JSON ok: problems {sorted(codes)}", file=sys.stderr)
PY
rm -rf "$DOC_TMP"
say "ok"
