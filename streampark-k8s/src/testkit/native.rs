//! A [`NativeSubmit`] that does in the simulated API server what Flink's native Kubernetes
//! client does: it creates the JobManager `Deployment` named after the cluster id, its
//! `<cluster-id>-rest` Service and the JobManager/TaskManager pods (labelled
//! `app=<cluster-id>, component=…, type=flink-native-kubernetes` plus the tag labels), and
//! starts a small simulated JobManager REST API for the cluster (job state, cancel, stop with
//! savepoint, savepoints, checkpoints, exceptions).
//!
//! A fault injected with [`SimApiServer::inject`] gives the JobManager pod that condition and
//! starts no REST API (the JobManager never comes up).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use streampark_core::deploy::{DeployRequest, tag};
use streampark_core::{Error, Program, Result};
use tokio::task::JoinHandle;

use super::operator::{append_log, container, fault_pod_status, put_pod, set_previous_log};
use super::{Shared, SimApiServer};
use crate::native_deployer::{NATIVE_BACKEND, NativeSubmit, RestResolver};
use crate::resources::{MANAGED_LABEL, MANAGED_VALUE, labels};

/// The state of one simulated job.
#[derive(Debug)]
pub(super) struct SimJob {
    pub(super) jid: String,
    pub(super) name: String,
    pub(super) state: &'static str,
    pub(super) start: i64,
    pub(super) end: i64,
    pub(super) restored: Option<String>,
    pub(super) savepoints: HashMap<String, Value>,
    pub(super) latest_savepoint: Option<String>,
    pub(super) failure: Option<String>,
    pub(super) n: u64,
}

pub(super) type JobRef = Arc<Mutex<SimJob>>;

/// Cluster id -> (REST base URL, server task).
pub(super) type Clusters = Arc<Mutex<HashMap<String, (String, JoinHandle<()>)>>>;

pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(super) fn lock(j: &JobRef) -> std::sync::MutexGuard<'_, SimJob> {
    j.lock().unwrap_or_else(|p| p.into_inner())
}

pub(super) fn not_found(jid: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"errors": [format!("org.apache.flink.runtime.rest.NotFoundException: Job {jid} not found")]})),
    )
        .into_response()
}

pub(super) async fn job_get(State(j): State<JobRef>, Path(id): Path<String>) -> Response {
    let j = lock(&j);
    if id != j.jid {
        return not_found(&id);
    }
    Json(json!({"jid": j.jid, "name": j.name, "state": j.state, "isStoppable": false,
        "start-time": j.start, "end-time": j.end, "duration": 0, "now": now_ms(), "timestamps": {}, "vertices": []}))
    .into_response()
}

pub(super) async fn job_patch(
    State(j): State<JobRef>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut j = lock(&j);
    if id != j.jid {
        return not_found(&id);
    }
    if q.get("mode").map(String::as_str) == Some("cancel") && j.state == "RUNNING" {
        j.state = "CANCELED";
        j.end = now_ms();
    }
    (StatusCode::ACCEPTED, Json(json!({}))).into_response()
}

fn savepoint(j: &mut SimJob, dir: Option<&str>, terminal: Option<&'static str>) -> Response {
    if j.state != "RUNNING" {
        return (
            StatusCode::CONFLICT,
            Json(json!({"errors": [format!("Job {} is not running", j.jid)]})),
        )
            .into_response();
    }
    j.n += 1;
    let trigger = format!("{:032x}", j.n);
    let op = match dir {
        Some(d) => {
            let path = format!(
                "{}/savepoint-{}-{:012x}",
                d.trim_end_matches('/'),
                &j.jid[..6],
                j.n
            );
            j.latest_savepoint = Some(path.clone());
            if let Some(t) = terminal {
                j.state = t;
                j.end = now_ms();
            }
            json!({"location": path})
        }
        None => json!({"failure-cause": {"class": "java.lang.IllegalStateException",
            "stack-trace": "java.lang.IllegalStateException: No savepoint directory configured. You can either specify a directory when triggering this savepoint or configure a cluster-wide default via key 'execution.checkpointing.savepoint-dir'."}}),
    };
    j.savepoints.insert(trigger.clone(), op);
    Json(json!({"request-id": trigger})).into_response()
}

pub(super) async fn trigger(
    State(j): State<JobRef>,
    Path(id): Path<String>,
    Json(b): Json<Value>,
) -> Response {
    let mut j = lock(&j);
    if id != j.jid {
        return not_found(&id);
    }
    let cancel = b["cancel-job"].as_bool().unwrap_or(false);
    savepoint(
        &mut j,
        b["target-directory"].as_str(),
        cancel.then_some("CANCELED"),
    )
}

pub(super) async fn stop(
    State(j): State<JobRef>,
    Path(id): Path<String>,
    Json(b): Json<Value>,
) -> Response {
    let mut j = lock(&j);
    if id != j.jid {
        return not_found(&id);
    }
    savepoint(&mut j, b["targetDirectory"].as_str(), Some("FINISHED"))
}

pub(super) async fn status(
    State(j): State<JobRef>,
    Path((id, t)): Path<(String, String)>,
) -> Response {
    let j = lock(&j);
    match j.savepoints.get(&t) {
        Some(op) if id == j.jid => {
            Json(json!({"status": {"id": "COMPLETED"}, "operation": op})).into_response()
        }
        _ => not_found(&id),
    }
}

pub(super) async fn checkpoints(State(j): State<JobRef>, Path(id): Path<String>) -> Response {
    let j = lock(&j);
    if id != j.jid {
        return not_found(&id);
    }
    let restored = j
        .restored
        .as_ref()
        .map(|p| json!({"id": 1, "restore_timestamp": j.start, "is_savepoint": true, "external_path": p}));
    let sp = j.latest_savepoint.as_ref().map(
        |p| json!({"id": j.n, "status": "COMPLETED", "is_savepoint": true, "external_path": p}),
    );
    Json(json!({"counts": {"restored": u64::from(j.restored.is_some()), "total": 3, "in_progress": 0, "completed": 3, "failed": 0},
        "latest": {"completed": {"id": 3, "status": "COMPLETED", "is_savepoint": false, "external_path": format!("s3://sim/checkpoints/{}/chk-3", j.jid)},
            "savepoint": sp, "failed": null, "restored": restored}}))
    .into_response()
}

pub(super) async fn exceptions(State(j): State<JobRef>, Path(id): Path<String>) -> Response {
    let j = lock(&j);
    if id != j.jid {
        return not_found(&id);
    }
    let entries: Vec<Value> = j
        .failure
        .iter()
        .map(|f| json!({"exceptionName": "java.lang.ArithmeticException", "stacktrace": f, "timestamp": j.end}))
        .collect();
    Json(json!({"root-exception": j.failure, "exceptionHistory": {"entries": entries, "truncated": false}}))
        .into_response()
}

/// Simulates Flink's native Kubernetes client against a [`SimApiServer`].
#[derive(Clone)]
pub struct SimNativeSubmitter {
    pub(super) shared: Arc<Shared>,
    pub(super) namespace: String,
    pub(super) clusters: Clusters,
}

impl fmt::Debug for SimNativeSubmitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimNativeSubmitter")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Drop for SimNativeSubmitter {
    fn drop(&mut self) {
        if Arc::strong_count(&self.clusters) == 1 {
            let c = self.clusters.lock().unwrap_or_else(|p| p.into_inner());
            for (_, t) in c.values() {
                t.abort();
            }
        }
    }
}

/// Resolves cluster ids to the simulated JobManagers of a [`SimNativeSubmitter`].
#[derive(Clone)]
struct SimResolver(Clusters);

impl fmt::Debug for SimResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SimResolver")
    }
}

impl RestResolver for SimResolver {
    fn rest_url(&self, _namespace: &str, cluster_id: &str) -> String {
        let c = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Port 9 (discard) refuses connections: a JobManager that never came up.
        c.get(cluster_id)
            .map(|(u, _)| u.clone())
            .unwrap_or_else(|| "http://127.0.0.1:9".into())
    }
}

impl SimNativeSubmitter {
    /// A submitter creating clusters in `namespace` of `sim`.
    pub fn new(sim: &SimApiServer, namespace: impl Into<String>) -> Self {
        SimNativeSubmitter {
            shared: sim.shared.clone(),
            namespace: namespace.into(),
            clusters: Arc::default(),
        }
    }

    /// The resolver pointing `NativeDeployer` at the simulated JobManagers.
    pub fn resolver(&self) -> Arc<dyn RestResolver> {
        Arc::new(SimResolver(self.clusters.clone()))
    }

    pub(super) fn put(&self, plural: &str, name: &str, obj: Value) {
        let mut s = self.shared.lock();
        let key = (plural.to_string(), self.namespace.clone(), name.to_string());
        s.commit(&key, obj, "ADDED");
    }
}

#[async_trait]
impl NativeSubmit for SimNativeSubmitter {
    async fn submit(&self, req: &DeployRequest, cluster_id: &str) -> Result<String> {
        for jar in &req.spec.jars {
            if !jar.contains("://") {
                return Err(Error::invalid_input(
                    NATIVE_BACKEND,
                    "jar",
                    jar.clone(),
                    "native Kubernetes mode cannot ship local jars; bake them into the image (local://) or give a URI",
                ));
            }
        }
        let (image, failure) = match &req.spec.program {
            Program::Sql { script } => (
                "flink:1.20".to_string(),
                script
                    .contains("-- sim: fail")
                    .then(|| "java.lang.ArithmeticException: / by zero".to_string()),
            ),
            Program::Jar { artifact, .. } if artifact.contains("://") => {
                ("flink:1.20".to_string(), None)
            }
            _ => {
                return Err(Error::invalid_input(
                    NATIVE_BACKEND,
                    "jar program",
                    "local path",
                    "native Kubernetes mode runs jars from the image: use local:///path/in/image.jar",
                ));
            }
        };
        {
            let c = self.clusters.lock().unwrap_or_else(|p| p.into_inner());
            if c.contains_key(cluster_id) {
                return Err(Error::Rejected {
                    backend: NATIVE_BACKEND,
                    operation: "flink run-application".into(),
                    message: format!("The Flink cluster {cluster_id} already exists."),
                    source: None,
                });
            }
        }
        let mut l = labels(&req.spec.id, req.attempt);
        l.insert(MANAGED_LABEL.into(), MANAGED_VALUE.into());
        let mut dl = serde_json::to_value(&l).unwrap_or_else(|_| json!({}));
        dl["app"] = cluster_id.into();
        dl["type"] = "flink-native-kubernetes".into();
        self.put(
            "deployments",
            cluster_id,
            json!({"metadata": {"labels": dl}, "spec": {"replicas": 1}}),
        );
        self.put(
            "services",
            &format!("{cluster_id}-rest"),
            json!({"metadata": {"labels": {"app": cluster_id, "type": "flink-native-kubernetes"}},
                "spec": {"ports": [{"name": "rest", "port": 8081}]}}),
        );
        let mut jm_labels = dl.clone();
        jm_labels["component"] = "jobmanager".into();
        let jm = format!("{cluster_id}-5d8f7c9b4-x2x7q");
        let job = req.spec.id.as_str();
        if let Some(f) = self.shared.fault_for(job) {
            let (status, previous) = fault_pod_status(f, &image);
            put_pod(&self.shared, &self.namespace, &jm, jm_labels, status);
            if let Some(p) = previous {
                set_previous_log(&self.shared, &self.namespace, &jm, p);
            }
            return Ok(cluster_id.to_string());
        }
        let running = json!({"phase": "Running", "containerStatuses": [container(&image, json!({"running": {}}), json!({}), 0, true)]});
        put_pod(
            &self.shared,
            &self.namespace,
            &jm,
            jm_labels,
            running.clone(),
        );
        let mut tm_labels = dl;
        tm_labels["component"] = "taskmanager".into();
        put_pod(
            &self.shared,
            &self.namespace,
            &format!("{cluster_id}-taskmanager-1-1"),
            tm_labels,
            running,
        );
        append_log(
            &self.shared,
            &self.namespace,
            &jm,
            &format!(
                "INFO  StandaloneApplicationClusterEntryPoint - Starting Flink application cluster {cluster_id}"
            ),
        );
        append_log(
            &self.shared,
            &self.namespace,
            &format!("{cluster_id}-taskmanager-1-1"),
            "INFO  TaskManagerRunner - Starting TaskManager",
        );
        let start = now_ms();
        let display = if req.spec.name.is_empty() {
            job
        } else {
            req.spec.name.as_str()
        };
        let sim = Arc::new(Mutex::new(SimJob {
            jid: tag::flink_job_id(&req.spec.id, req.attempt),
            name: tag::job_name(&req.spec.id, req.attempt, display),
            state: if failure.is_some() {
                "FAILED"
            } else {
                "RUNNING"
            },
            start,
            end: if failure.is_some() { start } else { -1 },
            restored: req.restore_path.clone(),
            savepoints: HashMap::new(),
            latest_savepoint: None,
            failure,
            n: 0,
        }));
        let app = axum::Router::new()
            .route("/v1/jobs/{id}", get(job_get).patch(job_patch))
            .route("/v1/jobs/{id}/savepoints", post(trigger))
            .route("/v1/jobs/{id}/stop", post(stop))
            .route("/v1/jobs/{id}/savepoints/{t}", get(status))
            .route("/v1/jobs/{id}/checkpoints", get(checkpoints))
            .route("/v1/jobs/{id}/exceptions", get(exceptions))
            .with_state(sim);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| Error::Unavailable {
                backend: NATIVE_BACKEND,
                what: "a local port for the simulated JobManager".into(),
                retry_after: None,
                source: Some(Box::new(e)),
            })?;
        let url = format!(
            "http://{}",
            listener.local_addr().map_err(|e| Error::Unavailable {
                backend: NATIVE_BACKEND,
                what: "the simulated JobManager's address".into(),
                retry_after: None,
                source: Some(Box::new(e)),
            })?
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        self.clusters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(cluster_id.to_string(), (url, task));
        Ok(cluster_id.to_string())
    }
}
