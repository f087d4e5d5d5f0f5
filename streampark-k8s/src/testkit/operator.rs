//! The operator-like reconciler of the simulated API server.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::store::{Key, now_rfc3339};
use super::{PodFault, Shared};
use crate::resources::{JOB_LABEL, SCRIPT_KEY, decode_script_arg};

const TICK: Duration = Duration::from_millis(20);
const START_DELAY: Duration = Duration::from_millis(60);
const STABLE_DELAY: Duration = Duration::from_millis(200);
const DEFAULT_SAVEPOINT_DIR: &str = "file:///flink-data/savepoints";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Starting,
    Running,
    Faulted,
    Rejected,
    Failed,
    Suspended,
}

#[derive(Debug)]
struct Sim {
    since: Instant,
    phase: Phase,
    generation: i64,
    nonce: Option<i64>,
    fail_after: Option<Duration>,
    last_log: Instant,
}

pub(crate) async fn run(shared: Arc<Shared>) {
    let mut sims: HashMap<Key, Sim> = HashMap::new();
    let mut counter: u64 = 0;
    loop {
        tokio::time::sleep(TICK).await;
        reconcile(&shared, &mut sims, &mut counter);
    }
}

fn now_ms() -> i64 {
    crate::fence::now_ms()
}

fn set_status(shared: &Shared, key: &Key, f: impl FnOnce(&mut Value)) {
    let mut s = shared.lock();
    let Some(mut obj) = s.objects.get(key).cloned() else {
        return;
    };
    if obj["status"].is_null() {
        obj["status"] = json!({});
    }
    let before = obj["status"].clone();
    f(&mut obj["status"]);
    if obj["status"] != before {
        s.commit(key, obj, "MODIFIED");
    }
}

fn event(shared: &Shared, ns: &str, involved: &str, kind: &str, reason: &str, message: &str) {
    let mut s = shared.lock();
    let name = format!("{involved}.{:x}", s.rv);
    let key = ("events".to_string(), ns.to_string(), name);
    let obj = json!({
        "metadata": {},
        "involvedObject": {"kind": kind, "name": involved, "namespace": ns},
        "reason": reason, "message": message, "type": "Normal",
        "firstTimestamp": now_rfc3339(), "lastTimestamp": now_rfc3339(), "count": 1,
        "source": {"component": "flink-kubernetes-operator"}
    });
    s.commit(&key, obj, "ADDED");
}

fn pod_labels(fd: &Value, name: &str, component: &str) -> Value {
    let mut labels = fd["spec"]["podTemplate"]["metadata"]["labels"].clone();
    if !labels.is_object() {
        labels = json!({});
    }
    labels["app"] = name.into();
    labels["component"] = component.into();
    labels["type"] = "flink-native-kubernetes".into();
    labels
}

pub(crate) fn container(
    image: &str,
    state: Value,
    last: Value,
    restarts: i64,
    ready: bool,
) -> Value {
    json!({"name": "flink-main-container", "image": image, "imageID": "", "ready": ready,
        "restartCount": restarts, "state": state, "lastState": last})
}

pub(crate) fn put_pod(shared: &Shared, ns: &str, pod: &str, labels: Value, status: Value) {
    let mut s = shared.lock();
    let key = ("pods".to_string(), ns.to_string(), pod.to_string());
    let obj = match s.objects.get(&key) {
        Some(o) => {
            let mut o = o.clone();
            if o["status"] == status {
                return;
            }
            o["status"] = status;
            o
        }
        None => {
            json!({"metadata": {"labels": labels}, "spec": {"containers": [{"name": "flink-main-container"}]}, "status": status})
        }
    };
    let event = if s.objects.contains_key(&key) {
        "MODIFIED"
    } else {
        "ADDED"
    };
    s.commit(&key, obj, event);
}

pub(crate) fn append_log(shared: &Shared, ns: &str, pod: &str, line: &str) {
    let mut logs = shared.logs();
    let e = logs
        .entry((
            ns.to_string(),
            pod.to_string(),
            "flink-main-container".to_string(),
        ))
        .or_default();
    e.0.push_str(line);
    e.0.push('\n');
}

pub(crate) fn set_previous_log(shared: &Shared, ns: &str, pod: &str, text: &str) {
    let mut logs = shared.logs();
    let e = logs
        .entry((
            ns.to_string(),
            pod.to_string(),
            "flink-main-container".to_string(),
        ))
        .or_default();
    e.1 = text.to_string();
}

fn delete_pods(shared: &Shared, ns: &str, app: &str) {
    let mut s = shared.lock();
    let keys: Vec<Key> = s
        .objects
        .iter()
        .filter(|((p, n, _), o)| {
            p == "pods" && n == ns && o["metadata"]["labels"]["app"].as_str() == Some(app)
        })
        .map(|(k, _)| k.clone())
        .collect();
    for k in keys {
        if let Some(o) = s.objects.get(&k).cloned() {
            s.commit(&k, o, "DELETED");
        }
    }
}

/// What the SQL runner would say about a script: `Err(message)` for a script it refuses.
fn check_script(script: &str) -> Result<(), String> {
    const KNOWN: &[&str] = &[
        "SET", "RESET", "CREATE", "DROP", "ALTER", "INSERT", "EXECUTE", "BEGIN", "END", "USE",
        "LOAD", "UNLOAD", "ADD", "REMOVE", "SHOW", "DESCRIBE", "DESC", "EXPLAIN",
    ];
    let mut n = 0;
    let mut line = 1;
    let mut has_insert = false;
    for stmt in script.split(';') {
        let lead = stmt.len() - stmt.trim_start().len();
        let stmt_line = line + stmt[..lead].matches('\n').count();
        line += stmt.matches('\n').count();
        let body: String = stmt
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        let body = body.trim();
        if body.is_empty() {
            continue;
        }
        n += 1;
        let first = body
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        if first == "INSERT" || first == "EXECUTE" || first == "BEGIN" {
            has_insert = true;
        }
        if !KNOWN.contains(&first.as_str()) {
            return Err(format!(
                "SQL statement {n} (line {stmt_line}): SQL parse failed. Encountered \"{first}\" at line 1, column 1."
            ));
        }
    }
    if has_insert {
        Ok(())
    } else {
        Err("the script has no INSERT statement: there is no job to run".into())
    }
}

fn directive_secs(script: &str, name: &str) -> Option<Duration> {
    let needle = format!("-- sim: {name} ");
    let rest = script
        .lines()
        .find_map(|l| l.trim().strip_prefix(needle.as_str()))?;
    let n: f64 = rest.trim().trim_end_matches('s').parse().ok()?;
    Duration::try_from_secs_f64(n).ok()
}

/// The script and the program check of a job resource.
fn program(shared: &Shared, ns: &str, obj: &Value) -> (String, Result<(), String>) {
    let job = &obj["spec"]["job"];
    let args: Vec<String> = job["args"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let jar_uri = job["jarURI"].as_str().unwrap_or("");
    let cm_name = obj["spec"]["podTemplate"]["spec"]["volumes"][0]["configMap"]["name"].as_str();
    let cm = cm_name.and_then(|n| {
        shared
            .lock()
            .objects
            .get(&("configmaps".to_string(), ns.to_string(), n.to_string()))
            .cloned()
    });
    if jar_uri.ends_with(streampark_core::runner::SQL_RUNNER_JAR_NAME) {
        let script = match args.iter().position(|a| a == "--script-b64") {
            Some(i) => args
                .get(i + 1)
                .and_then(|b| decode_script_arg(b))
                .unwrap_or_default(),
            None => cm
                .as_ref()
                .and_then(|c| c["data"][SCRIPT_KEY].as_str().map(String::from))
                .unwrap_or_default(),
        };
        let verdict = check_script(&script);
        return (script, verdict);
    }
    // A jar program: the entry class must be in the shipped jar, when it was shipped.
    let entry = job["entryClass"].as_str().unwrap_or("");
    let file = jar_uri.rsplit('/').next().unwrap_or("");
    let bytes = cm
        .as_ref()
        .and_then(|c| c["binaryData"][file].as_str().map(String::from));
    let verdict = match bytes {
        Some(b64) if !entry.is_empty() => {
            use base64::Engine as _;
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default();
            let needle = entry.replace('.', "/");
            if raw
                .windows(needle.len().max(1))
                .any(|w| w == needle.as_bytes())
            {
                Ok(())
            } else {
                Err(format!("java.lang.ClassNotFoundException: {entry}"))
            }
        }
        _ => Ok(()),
    };
    (String::new(), verdict)
}

fn reconcile(shared: &Arc<Shared>, sims: &mut HashMap<Key, Sim>, counter: &mut u64) {
    let jobs: Vec<(Key, Value)> = {
        let s = shared.lock();
        s.objects
            .iter()
            .filter(|((p, _, _), _)| p == "flinkdeployments" || p == "flinksessionjobs")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    sims.retain(|k, _| jobs.iter().any(|(j, _)| j == k));
    for (key, obj) in jobs {
        reconcile_job(shared, sims, counter, &key, &obj);
    }
    reconcile_snapshots(shared, sims, counter);
}

fn savepoint_path(obj: &Value, dir: Option<&str>, counter: &mut u64) -> String {
    *counter += 1;
    let dir = dir
        .map(String::from)
        .or_else(|| {
            obj["spec"]["flinkConfiguration"]["state.savepoints.dir"]
                .as_str()
                .map(String::from)
        })
        .unwrap_or_else(|| DEFAULT_SAVEPOINT_DIR.into());
    let job_id = obj["status"]["jobStatus"]["jobId"]
        .as_str()
        .unwrap_or("000000");
    format!(
        "{}/savepoint-{}-{:012x}",
        dir.trim_end_matches('/'),
        &job_id[..job_id.len().min(6)],
        *counter
    )
}

fn reconcile_job(
    shared: &Arc<Shared>,
    sims: &mut HashMap<Key, Sim>,
    counter: &mut u64,
    key: &Key,
    obj: &Value,
) {
    let (plural, ns, name) = key;
    let is_fd = plural == "flinkdeployments";
    let kind = if is_fd {
        "FlinkDeployment"
    } else {
        "FlinkSessionJob"
    };
    let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
    let image = obj["spec"]["image"].as_str().unwrap_or("flink").to_string();
    let jm = format!("{name}-jobmanager-0");
    let tm = format!("{name}-taskmanager-1-1");
    let job_label = obj["metadata"]["labels"][JOB_LABEL]
        .as_str()
        .unwrap_or("")
        .to_string();
    let Some(sim) = sims.get_mut(key) else {
        sims.insert(
            key.clone(),
            Sim {
                since: Instant::now(),
                phase: Phase::Starting,
                generation,
                nonce: obj["spec"]["job"]["savepointTriggerNonce"].as_i64(),
                fail_after: None,
                last_log: Instant::now(),
            },
        );
        set_status(shared, key, |st| {
            st["lifecycleState"] = "CREATED".into();
            if is_fd {
                st["jobManagerDeploymentStatus"] = "DEPLOYING".into();
            }
            st["observedGeneration"] = generation.into();
            st["reconciliationStatus"] =
                json!({"state": "DEPLOYED", "reconciliationTimestamp": now_ms()});
        });
        if is_fd {
            put_pod(
                shared,
                ns,
                &jm,
                pod_labels(obj, name, "jobmanager"),
                json!({"phase": "Pending"}),
            );
            append_log(
                shared,
                ns,
                &jm,
                "INFO  org.apache.flink.runtime.entrypoint.ClusterEntrypoint - Starting KubernetesApplicationClusterEntrypoint",
            );
        }
        event(shared, ns, name, kind, "Submit", "Starting deployment");
        return;
    };
    let elapsed = sim.since.elapsed();

    // Spec changes first: suspend and savepoint nonces.
    if generation > sim.generation && !matches!(sim.phase, Phase::Rejected) {
        sim.generation = generation;
        let job = &obj["spec"]["job"];
        let nonce = job["savepointTriggerNonce"].as_i64();
        if job["state"] == "suspended" && sim.phase != Phase::Suspended {
            let with_savepoint = job["upgradeMode"] != "stateless" && sim.phase == Phase::Running;
            let path = with_savepoint.then(|| savepoint_path(obj, None, counter));
            let was_failed = sim.phase == Phase::Failed;
            sim.phase = Phase::Suspended;
            set_status(shared, key, |st| {
                st["lifecycleState"] = "SUSPENDED".into();
                if is_fd {
                    st["jobManagerDeploymentStatus"] = "MISSING".into();
                }
                let js = &mut st["jobStatus"];
                if !js.is_object() {
                    *js = json!({});
                }
                js["state"] = if was_failed {
                    "FAILED"
                } else if with_savepoint {
                    "FINISHED"
                } else {
                    "CANCELED"
                }
                .into();
                js["updateTime"] = now_ms().to_string().into();
                if let Some(p) = &path {
                    js["upgradeSavepointPath"] = p.clone().into();
                }
                st["observedGeneration"] = generation.into();
            });
            if is_fd {
                delete_pods(shared, ns, name);
            }
            event(shared, ns, name, kind, "Suspended", "Job suspended");
            return;
        }
        if nonce.is_some() && nonce != sim.nonce && sim.phase == Phase::Running {
            sim.nonce = nonce;
            let path = savepoint_path(obj, None, counter);
            set_status(shared, key, |st| {
                st["jobStatus"]["savepointInfo"] = json!({"lastSavepoint": {"location": path, "timeStamp": now_ms(), "triggerNonce": nonce, "triggerType": "MANUAL", "formatType": "CANONICAL"}});
            });
            event(
                shared,
                ns,
                name,
                kind,
                "SavepointCompleted",
                "Savepoint completed",
            );
        }
        set_status(shared, key, |st| {
            st["observedGeneration"] = generation.into()
        });
    }

    match sim.phase {
        Phase::Starting if elapsed >= START_DELAY => {
            let fault = shared.fault_for(&job_label).filter(|_| is_fd);
            if let Some(f) = fault {
                sim.phase = Phase::Faulted;
                let (pod_status, previous) = fault_pod_status(f, &image);
                put_pod(
                    shared,
                    ns,
                    &jm,
                    pod_labels(obj, name, "jobmanager"),
                    pod_status,
                );
                if let Some(p) = previous {
                    set_previous_log(shared, ns, &jm, p);
                }
                set_status(shared, key, |st| {
                    st["lifecycleState"] = "DEPLOYED".into();
                    st["jobManagerDeploymentStatus"] = "DEPLOYING".into();
                    st["jobStatus"] = json!({"state": "RECONCILING"});
                });
                return;
            }
            let (script, verdict) = program(shared, ns, obj);
            match verdict {
                Err(msg) => {
                    sim.phase = Phase::Rejected;
                    let err = json!({"type": "org.apache.flink.kubernetes.operator.exception.ReconciliationException",
                        "message": format!("org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: {msg}")});
                    if is_fd {
                        put_pod(
                            shared,
                            ns,
                            &jm,
                            pod_labels(obj, name, "jobmanager"),
                            json!({"phase": "Failed", "containerStatuses": [container(&image, json!({"terminated": {"exitCode": 1, "reason": "Error"}}), json!({}), 0, false)]}),
                        );
                        append_log(
                            shared,
                            ns,
                            &jm,
                            &format!(
                                "ERROR org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: {msg}"
                            ),
                        );
                    }
                    set_status(shared, key, |st| {
                        st["lifecycleState"] = "FAILED".into();
                        if is_fd {
                            st["jobManagerDeploymentStatus"] = "ERROR".into();
                        }
                        st["error"] = err.to_string().into();
                    });
                    event(shared, ns, name, kind, "Error", &msg);
                }
                Ok(()) => {
                    sim.phase = Phase::Running;
                    sim.since = Instant::now();
                    sim.fail_after = directive_secs(&script, "fail-after");
                    let conf = &obj["spec"]["flinkConfiguration"];
                    let job_id = conf["$internal.pipeline.job-id"]
                        .as_str()
                        .unwrap_or("00000000000000000000000000000000")
                        .to_string();
                    let job_name = conf["pipeline.name"].as_str().unwrap_or(name).to_string();
                    if is_fd {
                        let running = json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                            "containerStatuses": [container(&image, json!({"running": {"startedAt": now_rfc3339()}}), json!({}), 0, true)]});
                        put_pod(
                            shared,
                            ns,
                            &jm,
                            pod_labels(obj, name, "jobmanager"),
                            running.clone(),
                        );
                        put_pod(
                            shared,
                            ns,
                            &tm,
                            pod_labels(obj, name, "taskmanager"),
                            running,
                        );
                        append_log(
                            shared,
                            ns,
                            &jm,
                            &format!(
                                "INFO  org.apache.flink.runtime.jobmaster.JobMaster - Job {job_name} ({job_id}) switched from state CREATED to RUNNING."
                            ),
                        );
                        append_log(
                            shared,
                            ns,
                            &tm,
                            "INFO  org.apache.flink.runtime.taskexecutor.TaskExecutor - Successful registration at resource manager",
                        );
                    }
                    set_status(shared, key, |st| {
                        st["lifecycleState"] = "DEPLOYED".into();
                        if is_fd {
                            st["jobManagerDeploymentStatus"] = "READY".into();
                        }
                        st["jobStatus"] = json!({"jobId": job_id, "jobName": job_name, "state": "RUNNING",
                            "startTime": now_ms().to_string(), "updateTime": now_ms().to_string()});
                    });
                    event(
                        shared,
                        ns,
                        name,
                        kind,
                        "JobStatusChanged",
                        "Job status changed from RECONCILING to RUNNING",
                    );
                }
            }
        }
        Phase::Running => {
            if sim.fail_after.is_some_and(|d| sim.since.elapsed() >= d) {
                sim.phase = Phase::Failed;
                let err = json!({"type": "org.apache.flink.runtime.JobException",
                    "message": "Recovery is suppressed by NoRestartBackoffTimeStrategy; caused by java.lang.ArithmeticException: / by zero"});
                set_status(shared, key, |st| {
                    st["lifecycleState"] = "FAILED".into();
                    st["jobStatus"]["state"] = "FAILED".into();
                    st["jobStatus"]["updateTime"] = now_ms().to_string().into();
                    st["error"] = err.to_string().into();
                });
                if is_fd {
                    append_log(
                        shared,
                        ns,
                        &jm,
                        "ERROR java.lang.ArithmeticException: / by zero",
                    );
                }
                return;
            }
            if sim.since.elapsed() >= STABLE_DELAY {
                set_status(shared, key, |st| st["lifecycleState"] = "STABLE".into());
            }
            if is_fd && sim.last_log.elapsed() >= Duration::from_millis(500) {
                sim.last_log = Instant::now();
                append_log(
                    shared,
                    ns,
                    &jm,
                    "INFO  org.apache.flink.runtime.checkpoint.CheckpointCoordinator - Completed checkpoint",
                );
            }
        }
        _ => {}
    }
}

fn reconcile_snapshots(shared: &Arc<Shared>, sims: &HashMap<Key, Sim>, counter: &mut u64) {
    let snaps: Vec<(Key, Value)> = {
        let s = shared.lock();
        s.objects
            .iter()
            .filter(|((p, _, _), o)| {
                p == "flinkstatesnapshots"
                    && !matches!(
                        o["status"]["state"].as_str(),
                        Some("COMPLETED" | "FAILED" | "ABANDONED")
                    )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    for (key, snap) in snaps {
        if snap["status"]["state"].is_null() {
            set_status(shared, &key, |st| {
                st["state"] = "TRIGGER_PENDING".into();
                st["triggerTimestamp"] = now_rfc3339().into();
            });
            continue;
        }
        let reference = &snap["spec"]["jobReference"];
        let plural = if reference["kind"] == "FlinkSessionJob" {
            "flinksessionjobs"
        } else {
            "flinkdeployments"
        };
        let job_key = (
            plural.to_string(),
            key.1.clone(),
            reference["name"].as_str().unwrap_or("").to_string(),
        );
        let job = shared.lock().objects.get(&job_key).cloned();
        let running = sims
            .get(&job_key)
            .is_some_and(|s| s.phase == Phase::Running);
        match job {
            Some(job) if running => {
                let path =
                    savepoint_path(&job, snap["spec"]["savepoint"]["path"].as_str(), counter);
                set_status(shared, &key, |st| {
                    st["state"] = "COMPLETED".into();
                    st["path"] = path.into();
                    st["triggerId"] = format!("{:032x}", *counter).into();
                    st["resultTimestamp"] = now_rfc3339().into();
                });
            }
            _ => set_status(shared, &key, |st| {
                st["state"] = "FAILED".into();
                st["failures"] = 1.into();
                st["error"] = format!("Job {} is not running", job_key.2).into();
                st["resultTimestamp"] = now_rfc3339().into();
            }),
        }
    }
}

/// The pod status (and the previous container log) a fault gives a JobManager pod.
pub(crate) fn fault_pod_status(f: PodFault, image: &str) -> (Value, Option<&'static str>) {
    match f {
        PodFault::ImagePullBackOff => (
            json!({"phase": "Pending", "containerStatuses": [container(image, json!({"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{image}\"")}}), json!({}), 0, false)]}),
            None,
        ),
        PodFault::Unschedulable => (
            json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."}]}),
            None,
        ),
        PodFault::CrashLoopBackOff => (
            json!({"phase": "Running", "containerStatuses": [container(image,
                json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}}),
                json!({"terminated": {"exitCode": 1, "reason": "Error"}}), 4, false)]}),
            Some(
                "ERROR org.apache.flink.runtime.entrypoint.ClusterEntrypoint - Could not start cluster entrypoint KubernetesApplicationClusterEntrypoint.\norg.apache.flink.runtime.entrypoint.ClusterEntrypointException: Failed to initialize the cluster entrypoint KubernetesApplicationClusterEntrypoint.\n",
            ),
        ),
        PodFault::OomKilled => (
            json!({"phase": "Running", "containerStatuses": [container(image,
                json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 20s restarting failed container"}}),
                json!({"terminated": {"exitCode": 137, "reason": "OOMKilled"}}), 2, false)]}),
            Some(
                "INFO  org.apache.flink.runtime.entrypoint.ClusterEntrypoint - Starting KubernetesApplicationClusterEntrypoint\n",
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_check_names_statement_and_line() {
        let e = check_script(
            "CREATE TABLE src (v INT) WITH ('connector' = 'datagen');\nSELEC v FROM src;\n",
        )
        .unwrap_err();
        assert!(
            e.contains("statement 2 (line 2)") && e.contains("SQL parse failed"),
            "{e}"
        );
        assert!(check_script("-- c\nINSERT INTO k SELECT 1;").is_ok());
        assert!(check_script("CREATE TABLE x (a INT);").is_err());
    }

    #[test]
    fn directives() {
        assert_eq!(
            directive_secs("-- sim: fail-after 3s\nX", "fail-after"),
            Some(Duration::from_secs(3))
        );
        assert_eq!(directive_secs("X", "fail-after"), None);
    }
}
