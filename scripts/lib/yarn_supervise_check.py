#!/usr/bin/env python3
"""The supervisor on real YARN, driven from outside: examples/supervise.rs with `--cluster
yarn://` (the mini cluster's Hadoop conf, a Flink home and a Flink conf dir as registry options)
supervises a checkpointing SQL job whose Flink restart strategy is off. Then:

1. the job's TaskManager process is killed (SIGKILL, found by its container's application id):
   exactly one new YARN application follows, restored from the latest checkpoint;
2. the supervisor process is stopped (SIGTERM) and started again on the same state: it adopts
   the running application and submits nothing;
3. all along, a watcher polls the active RM every second and must never see two RUNNING
   applications carrying the job's tag.

Usage: yarn_supervise_check.py SUPERVISE_BINARY WORK_DIR   (environment: YARN_RM_URLS,
HADOOP_CONF_DIR, DEFAULT_FS, FLINK_HOME, USER; run by scripts/ci-yarn-real.sh). Exit 0 on success.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

BIN, WORK = sys.argv[1], sys.argv[2]
RMS = os.environ["YARN_RM_URLS"].split(",")
USER = os.environ.get("USER", "root")
JOB = f"cdp-supervised-{os.getpid()}"
TAG = f"streampark.job={JOB}"
T0 = time.time()


def say(msg):
    print(f"yarn-supervise: {msg} ({time.time() - T0:.0f}s)", file=sys.stderr, flush=True)


def fail(msg):
    say(f"FAILED: {msg}")
    sys.exit(1)


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


def active_rm():
    for u in RMS:
        try:
            if get(f"{u}/ws/v1/cluster/info")["clusterInfo"].get("haState") == "ACTIVE":
                return u
        except Exception:
            pass
    return None


def apps():
    """Every application carrying the job's tag (any state), oldest first."""
    rm = active_rm()
    if rm is None:
        return None
    d = get(f"{rm}/ws/v1/cluster/apps?applicationTags={urllib.parse.quote(TAG)}")
    return sorted((d.get("apps") or {}).get("app") or [], key=lambda a: a["startedTime"])


def running(a):
    return a["state"] == "RUNNING"


# ---- the watcher: never two RUNNING applications of the job -------------------------------
seen_double = []
stop_watch = threading.Event()


def watch():
    while not stop_watch.is_set():
        try:
            live = [a["id"] for a in (apps() or []) if running(a)]
            if len(live) > 1:
                seen_double.append((time.time() - T0, live))
        except Exception:
            pass
        stop_watch.wait(1.0)


threading.Thread(target=watch, daemon=True).start()

# ---- the job and its cluster configuration -------------------------------------------------
home = os.environ["FLINK_HOME"]
conf = os.path.join(WORK, "flink-conf")
os.makedirs(conf, exist_ok=True)
for f in os.listdir(os.path.join(home, "conf")):
    src = os.path.join(home, "conf", f)
    if os.path.isfile(src):
        with open(src, "rb") as i, open(os.path.join(conf, f), "wb") as o:
            o.write(i.read())
fs = os.environ["DEFAULT_FS"]
with open(os.path.join(conf, "config.yaml"), "a") as c:
    c.write(
        f"\nexecution.checkpointing.dir: {fs}/streampark/checkpoints\n"
        f"execution.checkpointing.savepoint-dir: {fs}/streampark/savepoints\n"
        "execution.checkpointing.interval: 2s\n"
        "execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION\n"
        "restart-strategy.type: none\n"
        "jobmanager.memory.process.size: 1024m\n"
        "taskmanager.memory.process.size: 1024m\n"
    )
sql = os.path.join(WORK, "job.sql")
with open(sql, "w") as s:
    s.write(
        "CREATE TABLE src (v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20');\n"
        "CREATE TABLE snk (v BIGINT) WITH ('connector' = 'blackhole');\n"
        "INSERT INTO snk SELECT v FROM src;\n"
    )
state = os.path.join(WORK, "state.db")
args = [
    BIN, "--cluster", "cdp=yarn://",
    "--option", f"hadoop-conf={os.environ['HADOOP_CONF_DIR']}",
    "--option", f"flink-home={home}",
    "--option", f"flink-conf={conf}",
    "--option", "queue=streaming",
    "--option", f"user={USER}",
    "--option", "workspace=/streampark",
    "--sql", sql, "--job-id", JOB, "--state", f"sqlite://{state}",
]

events = []


def start_supervisor(label):
    log = open(os.path.join(WORK, f"supervise-{label}.err"), "w")
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True)

    def read():
        for line in p.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                e = json.loads(line)
            except ValueError:
                continue
            e["_run"] = label
            events.append(e)
            say(f"[{label}] event {e.get('event')} attempt {e.get('attempt')} state {e.get('state')}")

    threading.Thread(target=read, daemon=True).start()
    return p


def wait(what, cond, timeout):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(1)
    fail(f"timed out waiting for {what}; events: {events}; apps: {[(a['id'], a['state']) for a in (apps() or [])]}")


def completed_checkpoints(app):
    rm = active_rm()
    try:
        jobs = get(f"{rm}/proxy/{app['id']}/jobs/overview?user.name={USER}")["jobs"]
        if not jobs:
            return 0
        cp = get(f"{rm}/proxy/{app['id']}/jobs/{jobs[0]['jid']}/checkpoints?user.name={USER}")
        return cp["counts"]["completed"]
    except Exception:
        return 0


def kill_taskmanagers(app_id):
    killed = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "YarnTaskExecutorRunner" in cmd and app_id in cmd:
            os.kill(int(pid), signal.SIGKILL)
            killed.append(int(pid))
    return killed


sup = start_supervisor("first")
try:
    first = wait("the first application to run", lambda: next((a for a in (apps() or []) if running(a)), None), 300)
    say(f"first application {first['id']} RUNNING")
    wait("two completed checkpoints", lambda: completed_checkpoints(first) >= 2, 180)
    killed = kill_taskmanagers(first["id"])
    if not killed:
        fail(f"no TaskManager process of {first['id']} found")
    say(f"killed TaskManager pid(s) {killed} of {first['id']}")

    def second_running():
        a = apps() or []
        return a[1] if len(a) >= 2 and running(a[1]) else None

    second = wait("exactly one new application to run", second_running, 420)
    say(f"second application {second['id']} RUNNING")
    all_apps = apps()
    if len(all_apps) != 2:
        fail(f"expected two applications of the job, got {[(a['id'], a['state']) for a in all_apps]}")
    gone = next(a for a in all_apps if a["id"] == first["id"])
    if gone["state"] == "RUNNING":
        fail(f"the first application still runs: {gone}")
    if "streampark.attempt=2" not in second["applicationTags"]:
        fail(f"the new application is not attempt 2: {second['applicationTags']}")
    restored = wait(
        "the event of attempt 2 naming its restore point",
        lambda: next((e["restored_from"] for e in events if e.get("attempt") == 2 and e.get("restored_from")), None),
        120,
    )
    if "chk-" not in restored:
        fail(f"attempt 2 was not restored from a checkpoint: {restored}")
    say(f"attempt 2 restored from {restored}")

    # The supervisor process restarted on the same state adopts and submits nothing.
    sup.send_signal(signal.SIGTERM)
    sup.wait(timeout=60)
    still = [a for a in apps() if running(a)]
    if [a["id"] for a in still] != [second["id"]]:
        fail(f"stopping the supervisor changed the applications: {still}")
    before = len(events)
    sup = start_supervisor("second")
    # It reports attempt 2 RUNNING from its store and the RM (`adopted` when it had to find the
    # application by its tags, `state_changed` when its store named it already).
    wait("the restarted supervisor to report attempt 2 running",
         lambda: any(e["_run"] == "second" and e.get("event") in ("adopted", "state_changed")
                     and e.get("attempt") == 2 and e.get("state") == "RUNNING"
                     and e.get("flink_job_id") == second["id"] for e in events),
         120)
    time.sleep(15)  # several ticks
    after = apps()
    if len(after) != 2 or [a["id"] for a in after if running(a)] != [second["id"]]:
        fail(f"the restarted supervisor submitted something: {[(a['id'], a['state']) for a in after]}")
    started = [e for e in events[before:] if e.get("event") == "started"]
    if started:
        fail(f"the restarted supervisor started an attempt: {started}")
    say("the restarted supervisor adopted the running application and submitted nothing")
finally:
    stop_watch.set()
    if sup.poll() is None:
        sup.send_signal(signal.SIGTERM)
        try:
            sup.wait(timeout=60)
        except subprocess.TimeoutExpired:
            sup.kill()
    rm = active_rm()
    for a in apps() or []:
        if a["state"] in ("RUNNING", "ACCEPTED", "SUBMITTED", "NEW", "NEW_SAVING"):
            req = urllib.request.Request(
                f"{rm}/ws/v1/cluster/apps/{a['id']}/state?user.name={USER}",
                data=b'{"state":"KILLED"}', method="PUT",
                headers={"Content-Type": "application/json"})
            try:
                urllib.request.urlopen(req, timeout=10).read()
            except Exception as e:
                say(f"could not kill {a['id']}: {e}")

if seen_double:
    fail(f"the watcher saw two RUNNING applications of the job: {seen_double}")
say("ok: one restart, restored from a checkpoint, adopted after a supervisor restart, never two running")
