//! [`NativeSessionStart`] for [`SimNativeSubmitter`]: what `kubernetes-session.sh` does in the
//! simulated API server (JobManager `Deployment` named after the cluster id with the labels
//! Flink and this crate put on it, the `<cluster-id>-rest` Service, a JobManager pod) plus a
//! simulated session JobManager REST API that accepts several jobs through
//! `POST /jars/upload` and `POST /jars/:id/run` and serves `/jobs/overview` and the per-job
//! endpoints (state, cancel, savepoints, checkpoints, exceptions).
//!
//! Starting a session again under the same cluster id (after a stop) gives a fresh JobManager
//! without jobs.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use streampark_core::{Error, Result};

use super::native::{
    JobRef, SimJob, SimNativeSubmitter, checkpoints, exceptions, job_get, job_patch, lock,
    not_found, now_ms, status, stop, trigger,
};
use super::operator::{append_log, container, put_pod};
use crate::native_deployer::NATIVE_BACKEND;
use crate::native_session::{NativeSessionStart, SESSION_LABEL};
use crate::resources::{MANAGED_LABEL, MANAGED_VALUE};

/// The jobs and uploaded jars of one simulated session JobManager.
#[derive(Debug, Default)]
struct Session {
    jobs: Mutex<Vec<JobRef>>,
    jars: Mutex<HashSet<String>>,
    uploads: Mutex<u64>,
}

type SessionRef = Arc<Session>;

fn job_of(s: &Session, id: &str) -> Option<JobRef> {
    s.jobs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .find(|j| lock(j).jid == id)
        .cloned()
}

async fn upload(State(s): State<SessionRef>, body: Bytes) -> Response {
    // The multipart part's file name: `filename="x.jar"`.
    let text = String::from_utf8_lossy(&body);
    let Some(name) = text
        .split("filename=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .filter(|n| n.ends_with(".jar"))
    else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errors": ["Only Jar files are allowed."]})),
        )
            .into_response();
    };
    let n = {
        let mut u = s.uploads.lock().unwrap_or_else(|p| p.into_inner());
        *u += 1;
        *u
    };
    let id = format!("{n:08x}-5e55-4a1e-9c1d-000000000000_{name}");
    s.jars
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.clone());
    Json(json!({"filename": format!("/tmp/flink-web-upload/{id}"), "status": "success"}))
        .into_response()
}

async fn run(
    State(s): State<SessionRef>,
    Path(jar): Path<String>,
    Json(b): Json<Value>,
) -> Response {
    if !s
        .jars
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(&jar)
    {
        return (
            StatusCode::NOT_FOUND,
            Json(
                json!({"errors": [format!("Jar file /tmp/flink-web-upload/{jar} does not exist")]}),
            ),
        )
            .into_response();
    }
    let jid = b["jobId"].as_str().map(str::to_string).unwrap_or_else(|| {
        format!(
            "{:032x}",
            s.jobs.lock().unwrap_or_else(|p| p.into_inner()).len() + 1
        )
    });
    if job_of(&s, &jid).is_some() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errors": [format!("org.apache.flink.runtime.client.DuplicateJobSubmissionException: Job has already been submitted. (job {jid})")]})),
        )
            .into_response();
    }
    let name = b["flinkConfiguration"]["pipeline.name"]
        .as_str()
        .unwrap_or("Flink Streaming Job")
        .to_string();
    let job = Arc::new(Mutex::new(SimJob {
        jid: jid.clone(),
        name,
        state: "RUNNING",
        start: now_ms(),
        end: -1,
        restored: b["savepointPath"].as_str().map(str::to_string),
        savepoints: HashMap::new(),
        latest_savepoint: None,
        failure: None,
        n: 0,
    }));
    s.jobs.lock().unwrap_or_else(|p| p.into_inner()).push(job);
    Json(json!({"jobid": jid})).into_response()
}

async fn overview(State(s): State<SessionRef>) -> Response {
    let jobs: Vec<Value> = s
        .jobs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|j| {
            let j = lock(j);
            json!({"jid": j.jid, "name": j.name, "state": j.state, "start-time": j.start,
                "end-time": j.end, "duration": 0, "last-modification": j.start.max(j.end)})
        })
        .collect();
    Json(json!({"jobs": jobs})).into_response()
}

macro_rules! per_job {
    ($name:ident, $inner:ident $(, $extra:ident : $ty:ty)*) => {
        async fn $name(
            State(s): State<SessionRef>,
            Path(id): Path<String>,
            $($extra: $ty),*
        ) -> Response {
            match job_of(&s, &id) {
                Some(j) => $inner(State(j), Path(id) $(, $extra)*).await,
                None => not_found(&id),
            }
        }
    };
}

per_job!(s_job_get, job_get);
per_job!(s_job_patch, job_patch, q: Query<HashMap<String, String>>);
per_job!(s_trigger, trigger, b: Json<Value>);
per_job!(s_stop, stop, b: Json<Value>);
per_job!(s_checkpoints, checkpoints);
per_job!(s_exceptions, exceptions);

async fn s_status(State(s): State<SessionRef>, Path((id, t)): Path<(String, String)>) -> Response {
    match job_of(&s, &id) {
        Some(j) => status(State(j), Path((id, t))).await,
        None => not_found(&id),
    }
}

#[async_trait]
impl NativeSessionStart for SimNativeSubmitter {
    async fn start_session(&self, cluster_id: &str) -> Result<String> {
        let labels = json!({"app": cluster_id, "type": "flink-native-kubernetes",
            MANAGED_LABEL: MANAGED_VALUE, SESSION_LABEL: cluster_id});
        self.put(
            "deployments",
            cluster_id,
            json!({"metadata": {"labels": labels}, "spec": {"replicas": 1}}),
        );
        self.put(
            "services",
            &format!("{cluster_id}-rest"),
            json!({"metadata": {"labels": {"app": cluster_id, "type": "flink-native-kubernetes"}},
                "spec": {"ports": [{"name": "rest", "port": 8081}]}}),
        );
        let mut jm_labels = labels.clone();
        jm_labels["component"] = "jobmanager".into();
        let jm = format!("{cluster_id}-7c5b9d8f6-s3s5n");
        let running = json!({"phase": "Running", "containerStatuses": [container("flink:sim", json!({"running": {}}), json!({}), 0, true)]});
        put_pod(&self.shared, &self.namespace, &jm, jm_labels, running);
        append_log(
            &self.shared,
            &self.namespace,
            &jm,
            &format!(
                "INFO  KubernetesSessionClusterEntrypoint - Starting session cluster {cluster_id}"
            ),
        );
        let app = axum::Router::new()
            .route("/v1/jars/upload", post(upload))
            .route("/v1/jars/{jar}/run", post(run))
            .route("/v1/jobs/overview", get(overview))
            .route("/v1/jobs/{id}", get(s_job_get).patch(s_job_patch))
            .route("/v1/jobs/{id}/savepoints", post(s_trigger))
            .route("/v1/jobs/{id}/stop", post(s_stop))
            .route("/v1/jobs/{id}/savepoints/{t}", get(s_status))
            .route("/v1/jobs/{id}/checkpoints", get(s_checkpoints))
            .route("/v1/jobs/{id}/exceptions", get(s_exceptions))
            .with_state(SessionRef::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| Error::Unavailable {
                backend: NATIVE_BACKEND,
                what: "a local port for the simulated session JobManager".into(),
                retry_after: None,
                source: Some(Box::new(e)),
            })?;
        let url = format!(
            "http://{}",
            listener.local_addr().map_err(|e| Error::Unavailable {
                backend: NATIVE_BACKEND,
                what: "the simulated session JobManager's address".into(),
                retry_after: None,
                source: Some(Box::new(e)),
            })?
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        if let Some((_, old)) = self
            .clusters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(cluster_id.to_string(), (url, task))
        {
            old.abort();
        }
        Ok(cluster_id.to_string())
    }
}
