//! The REST routes of [`SimJobManager`] and the server running them.

use std::collections::HashMap;
use std::fmt;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::{Job, SimJobManager, exception_name};

type St = State<SimJobManager>;

fn errors(code: StatusCode, message: String) -> Response {
    (code, Json(json!({ "errors": [message] }))).into_response()
}

fn job_not_found(jid: &str) -> Response {
    errors(
        StatusCode::NOT_FOUND,
        format!("org.apache.flink.runtime.rest.NotFoundException: Job {jid} not found"),
    )
}

/// A running [`SimJobManager`] server; stops when dropped.
pub struct SimJobManagerServer {
    url: String,
    task: JoinHandle<()>,
}

impl fmt::Debug for SimJobManagerServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimJobManagerServer")
            .field("url", &self.url)
            .finish()
    }
}

impl SimJobManagerServer {
    /// The base URL, `http://127.0.0.1:<port>` (paths start with `/v1/`).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for SimJobManagerServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SimJobManager {
    /// The REST routes, for a simulator that serves them itself (behind its own listener,
    /// proxy or fault layer).
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/overview", get(cluster_overview))
            .route("/v1/config", get(config))
            .route("/v1/jobs", get(jobs))
            .route("/v1/jobs/overview", get(overview))
            .route("/v1/jobs/{jid}", get(details).patch(cancel))
            .route("/v1/jobs/{jid}/yarn-cancel", get(yarn_cancel))
            .route("/v1/jobs/{jid}/checkpoints", get(checkpoints))
            .route("/v1/jobs/{jid}/exceptions", get(exceptions))
            .route("/v1/jobs/{jid}/savepoints", post(savepoint))
            .route("/v1/jobs/{jid}/stop", post(stop))
            .route("/v1/jobs/{jid}/savepoints/{tid}", get(savepoint_status))
            .route("/v1/jars/upload", post(upload))
            .route("/v1/jars/{jar}/run", post(run_jar))
            .route("/v1/jobmanager/logs", get(logs))
            .route("/v1/jobmanager/logs/{name}", get(log))
            .with_state(self.clone())
    }

    /// Serves [`SimJobManager::router`] on a free local port.
    ///
    /// # Errors
    /// When no local port can be bound.
    pub async fn serve(&self) -> std::io::Result<SimJobManagerServer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = self.router();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(SimJobManagerServer { url, task })
    }

    /// Runs `f` on the job `jid` at the current time, or answers 404.
    fn with_job(
        &self,
        jid: &str,
        f: impl FnOnce(&SimJobManager, &mut Job, i64) -> Response,
    ) -> Response {
        let now = self.now();
        let mut st = self.lock();
        match st.jobs.iter_mut().find(|j| j.view.jid == jid) {
            Some(j) => f(self, j, now),
            None => job_not_found(jid),
        }
    }

    /// Ends a running job because of a REST call and tells the owner (after the state lock
    /// is released by the caller: the hook runs from `ended`).
    fn end(job: &mut Job, now: i64, state: &'static str) -> bool {
        if job.view.state != "RUNNING" {
            return false;
        }
        job.view.state = state;
        job.view.end = now;
        true
    }

    /// Runs the owner's request hook (before any lock of this JobManager is taken).
    fn requested(&self) {
        if let Some(f) = &self.inner.cfg.on_request {
            f();
        }
    }

    fn ended(&self, jid: &str, state: &'static str) {
        if let Some(f) = &self.inner.cfg.on_job_end {
            f(jid, state);
        }
    }

    /// Records a savepoint of `job`; returns the trigger id, or `None` when it is refused
    /// (not running and [`super::SimJobManagerBuilder::with_reject_when_not_running`]).
    fn trigger(&self, job: &mut Job, now: i64, dir: Option<&str>) -> Option<String> {
        let running = job.view.state == "RUNNING";
        if !running && self.inner.cfg.reject_when_not_running {
            return None;
        }
        let tid = format!("{:032x}", job.triggers.len() + 1);
        let dir = dir
            .map(str::to_string)
            .or_else(|| self.inner.cfg.default_savepoint_dir.clone());
        let starting = running && job.tasks_starting > 0;
        if starting {
            job.tasks_starting -= 1;
        }
        let outcome = match (running, dir) {
            // Flink 2.3's answer (CheckpointFailureReason.NOT_ALL_REQUIRED_TASKS_RUNNING).
            (true, _) if starting => {
                Err(json!({"class": "java.util.concurrent.CompletionException",
                "stack-trace": format!("java.util.concurrent.CompletionException: org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint triggering task Source: Sequence Source (1/1) of job {} is not being executed at the moment. Aborting checkpoint. Failure reason: Not all required tasks are currently running.", job.view.jid)}))
            }
            (false, _) => Err(json!({"class": "java.util.concurrent.CompletionException",
                "stack-trace": "java.lang.IllegalStateException: job is not running"})),
            (true, None) => Err(json!({"class": "java.lang.IllegalStateException",
                "stack-trace": "java.lang.IllegalStateException: No savepoint directory configured. You can either specify a directory when triggering this savepoint or configure a cluster-wide default via key 'execution.checkpointing.savepoint-dir'."})),
            (true, Some(d)) => {
                let jid6 = job.view.jid.get(..6).unwrap_or(&job.view.jid);
                let n = job.taken.len() + 1;
                let path = format!(
                    "{}/savepoint-{jid6}-{now:x}{n:02x}",
                    d.trim_end_matches('/')
                );
                job.taken.push((now, path.clone()));
                job.view.savepoints.push(path.clone());
                Ok(path)
            }
        };
        job.triggers.insert(tid.clone(), outcome);
        Some(tid)
    }
}

fn overview_json(j: &Job, now: i64) -> Value {
    let v = &j.view;
    let until = if v.end > 0 { v.end } else { now };
    let running = if v.state == "RUNNING" { 2 } else { 0 };
    json!({"jid": v.jid, "name": v.name, "state": v.state, "start-time": v.start, "end-time": v.end,
        "duration": until - v.start, "last-modification": v.start.max(v.end), "jobType": "STREAMING",
        "tasks": {"total": 2, "running": running, "finished": 0, "canceled": 0, "failed": 0}})
}

async fn cluster_overview(State(jm): St) -> Response {
    jm.requested();
    let st = jm.lock();
    let count = |s: &str| st.jobs.iter().filter(|j| j.view.state == s).count();
    Json(
        json!({"taskmanagers": 1, "slots-total": 4, "slots-available": 4 - count("RUNNING").min(4),
        "jobs-running": count("RUNNING"), "jobs-finished": count("FINISHED"),
        "jobs-cancelled": count("CANCELED"), "jobs-failed": count("FAILED"),
        "flink-version": jm.inner.cfg.flink_version, "flink-commit": "sim"}),
    )
    .into_response()
}

async fn jobs(State(jm): St) -> Response {
    jm.requested();
    let st = jm.lock();
    let jobs: Vec<Value> = st
        .jobs
        .iter()
        .map(|j| json!({"id": j.view.jid, "status": j.view.state}))
        .collect();
    Json(json!({ "jobs": jobs })).into_response()
}

async fn overview(State(jm): St) -> Response {
    jm.requested();
    let now = jm.now();
    let st = jm.lock();
    let jobs: Vec<Value> = st.jobs.iter().map(|j| overview_json(j, now)).collect();
    Json(json!({ "jobs": jobs })).into_response()
}

async fn details(State(jm): St, Path(jid): Path<String>) -> Response {
    jm.with_job(&jid, |_, j, now| {
        let mut v = overview_json(j, now);
        v["isStoppable"] = json!(false);
        v["now"] = json!(now);
        v["timestamps"] = json!({ j.view.state: j.view.start.max(j.view.end) });
        v["vertices"] = json!([{"id": "v1", "name": "Source: src -> snk", "parallelism": 1, "status": j.view.state}]);
        Json(v).into_response()
    })
}

async fn cancel(
    State(jm): St,
    Path(jid): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if q.get("mode").is_some_and(|m| m != "cancel") {
        return errors(
            StatusCode::BAD_REQUEST,
            "Only the 'cancel' mode is supported.".into(),
        );
    }
    let mut ended = false;
    let r = jm.with_job(&jid, |_, j, now| {
        ended = SimJobManager::end(j, now, "CANCELED");
        (StatusCode::ACCEPTED, Json(json!({}))).into_response()
    });
    if ended {
        jm.ended(&jid, "CANCELED");
    }
    r
}

async fn yarn_cancel(State(jm): St, Path(jid): Path<String>) -> Response {
    cancel(State(jm), Path(jid), Query(HashMap::new())).await
}

async fn checkpoints(State(jm): St, Path(jid): Path<String>) -> Response {
    jm.with_job(&jid, |jm, j, now| {
        let v = &j.view;
        let n = jm.completed(v, now);
        let at = |k: u64| match jm.inner.cfg.checkpoints {
            super::SimCheckpoints::Every(ms) => v.start + i64::try_from(k).unwrap_or(0) * ms,
            super::SimCheckpoints::Fixed(_) => v.start,
        };
        let completed = (n > 0).then(|| json!({"id": n, "status": "COMPLETED", "is_savepoint": false,
            "trigger_timestamp": at(n), "latest_ack_timestamp": at(n),
            "external_path": jm.checkpoint_path(&v.jid, n), "discarded": false}));
        let savepoint = j.taken.last().map(|(t, p)| json!({"id": n + 1, "status": "COMPLETED", "is_savepoint": true,
            "trigger_timestamp": t, "latest_ack_timestamp": t, "external_path": p, "discarded": false}));
        let restored = v.restored_from.as_ref().map(|p| json!({"id": 1, "restore_timestamp": v.start,
            "is_savepoint": p.contains("savepoint-"), "external_path": p}));
        Json(json!({"counts": {"restored": u64::from(v.restored_from.is_some()), "total": n, "in_progress": 0,
            "completed": n, "failed": 0},
            "latest": {"completed": completed, "savepoint": savepoint, "restored": restored, "failed": null}}))
        .into_response()
    })
}

async fn exceptions(State(jm): St, Path(jid): Path<String>) -> Response {
    jm.with_job(&jid, |_, j, _| {
        let v = &j.view;
        let entries: Vec<Value> = v.failure.iter().map(|f| json!({"exceptionName": exception_name(f),
            "stacktrace": format!("{f}\n\tat Sim.eval(Sim.java:1)"), "timestamp": v.end})).collect();
        Json(json!({"exceptionHistory": {"entries": entries, "truncated": false}, "root-exception": v.failure}))
            .into_response()
    })
}

/// The body of `/savepoints` and `/stop`: `dir_key` names the target directory.
fn savepoint_like(
    jm: &SimJobManager,
    jid: &str,
    body: &Value,
    dir_key: &str,
    ends: Option<&'static str>,
) -> Response {
    let mut ended = None;
    let r = jm.with_job(jid, |jm, j, now| {
        let running = j.view.state == "RUNNING";
        match jm.trigger(j, now, body.get(dir_key).and_then(Value::as_str)) {
            Some(tid) => {
                let ok = j.triggers.get(&tid).is_some_and(Result::is_ok);
                if let Some(state) = ends.filter(|_| running && ok) {
                    SimJobManager::end(j, now, state);
                    ended = Some(state);
                }
                (StatusCode::ACCEPTED, Json(json!({ "request-id": tid }))).into_response()
            }
            None => errors(
                StatusCode::CONFLICT,
                format!("Job {} is not running", j.view.jid),
            ),
        }
    });
    if let Some(state) = ended {
        jm.ended(jid, state);
    }
    r
}

async fn savepoint(State(jm): St, Path(jid): Path<String>, Json(body): Json<Value>) -> Response {
    let cancel = body.get("cancel-job").and_then(Value::as_bool) == Some(true);
    savepoint_like(
        &jm,
        &jid,
        &body,
        "target-directory",
        cancel.then_some("CANCELED"),
    )
}

async fn stop(State(jm): St, Path(jid): Path<String>, Json(body): Json<Value>) -> Response {
    savepoint_like(&jm, &jid, &body, "targetDirectory", Some("FINISHED"))
}

async fn savepoint_status(State(jm): St, Path((jid, tid)): Path<(String, String)>) -> Response {
    jm.with_job(&jid, |_, j, _| match j.triggers.get(&tid) {
        Some(Ok(p)) => Json(json!({"status": {"id": "COMPLETED"}, "operation": {"location": p}}))
            .into_response(),
        Some(Err(cause)) => {
            Json(json!({"status": {"id": "COMPLETED"}, "operation": {"failure-cause": cause}}))
                .into_response()
        }
        None => errors(
            StatusCode::NOT_FOUND,
            format!("Operation not found under key: {tid}"),
        ),
    })
}

async fn logs(State(jm): St) -> Response {
    jm.requested();
    let (n, now) = (jm.lock().log.len(), jm.now());
    Json(
        json!({"logs": [{"name": "jobmanager.log", "size": n, "mtime": now},
        {"name": "jobmanager.out", "size": 0, "mtime": now}]}),
    )
    .into_response()
}

async fn log(State(jm): St, Path(name): Path<String>) -> Response {
    jm.requested();
    match name.as_str() {
        "jobmanager.log" => jm.lock().log.clone().into_response(),
        "jobmanager.out" => String::new().into_response(),
        _ => errors(
            StatusCode::NOT_FOUND,
            format!("Log file {name} could not be found."),
        ),
    }
}

/// `POST /jars/upload`: keeps the multipart part's jar (`filename="x.jar"`) under an id.
async fn upload(State(jm): St, body: Bytes) -> Response {
    jm.requested();
    if !jm.inner.cfg.session {
        return errors(
            StatusCode::NOT_FOUND,
            "Jar upload is not supported by an application cluster.".into(),
        );
    }
    let text = String::from_utf8_lossy(&body);
    let Some(name) = text
        .split("filename=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .filter(|n| n.ends_with(".jar"))
    else {
        return errors(
            StatusCode::BAD_REQUEST,
            "Only Jar files are allowed.".into(),
        );
    };
    let mut st = jm.lock();
    let id = format!(
        "{:08x}-5e55-4a1e-9c1d-000000000000_{name}",
        st.jars.len() + 1
    );
    st.jars.push(id.clone());
    Json(json!({"filename": format!("/tmp/flink-web-upload/{id}"), "status": "success"}))
        .into_response()
}

/// `GET /config`, as Flink answers it.
async fn config(State(jm): St) -> Response {
    jm.requested();
    Json(
        json!({"refresh-interval": 3000, "timezone-name": "Coordinated Universal Time",
        "timezone-offset": 0, "flink-version": jm.inner.cfg.flink_version,
        "flink-revision": "sim @ 1970-01-01T00:00:00+00:00",
        "features": {"web-submit": true, "web-cancel": true}}),
    )
    .into_response()
}

/// True when the simulated release is older than `major.minor`.
fn older_than(jm: &SimJobManager, major: u32, minor: u32) -> bool {
    let mut parts = jm.inner.cfg.flink_version.split(['.', '-']);
    let ma = parts
        .next()
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or(u32::MAX);
    let mi = parts
        .next()
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or(0);
    (ma, mi) < (major, minor)
}

/// The name a job run without `flinkConfiguration` gets: the SQL runner's `--name`, or
/// `pipeline.name` in the jar launcher's `--conf-b64`, else Flink's default.
fn name_from_args(body: &Value) -> String {
    let args: Vec<&str> = body
        .get("programArgsList")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let after = |flag: &str| {
        args.iter()
            .position(|a| *a == flag)
            .and_then(|i| args.get(i + 1))
            .copied()
    };
    if let Some(n) = after("--name") {
        return n.to_string();
    }
    if let Some(b64) = after("--conf-b64") {
        use base64::Engine as _;
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) {
            let text = String::from_utf8_lossy(&bytes);
            if let Some(n) = text.lines().find_map(|l| l.strip_prefix("pipeline.name=")) {
                return n.to_string();
            }
        }
    }
    "Flink Streaming Job".to_string()
}

/// `POST /jars/:id/run`: starts a job named by `flinkConfiguration."pipeline.name"` (before
/// 1.17: by the program's arguments; the field itself is refused).
async fn run_jar(State(jm): St, Path(jar): Path<String>, Json(body): Json<Value>) -> Response {
    jm.requested();
    let (known, count) = {
        let st = jm.lock();
        (st.jars.contains(&jar), st.jobs.len())
    };
    if !jm.inner.cfg.session || !known {
        return errors(
            StatusCode::NOT_FOUND,
            format!("Jar file /tmp/flink-web-upload/{jar} does not exist"),
        );
    }
    let jid = body
        .get("jobId")
        .and_then(Value::as_str)
        .map_or_else(|| format!("{:032x}", count + 1), str::to_string);
    if jm.job(&jid).is_some() {
        return errors(
            StatusCode::BAD_REQUEST,
            format!(
                "org.apache.flink.runtime.client.DuplicateJobSubmissionException: Job has already been submitted. JobID {jid}"
            ),
        );
    }
    let legacy = older_than(&jm, 1, 17);
    if legacy && body.get("flinkConfiguration").is_some() {
        return errors(
            StatusCode::BAD_REQUEST,
            "org.apache.flink.runtime.rest.handler.RestHandlerException: Request did not match expected format JarRunRequestBody.\n\tat org.apache.flink.runtime.rest.handler.AbstractHandler.respondAsLeader(AbstractHandler.java:164)\nCaused by: org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException: Unrecognized field \"flinkConfiguration\" (class org.apache.flink.runtime.webmonitor.handlers.JarRunRequestBody), not marked as ignorable (7 known properties: \"programArgs\", \"entryClass\", \"allowNonRestoredState\", \"jobId\", \"parallelism\", \"programArgsList\", \"savepointPath\"])".into(),
        );
    }
    let name = match body
        .pointer("/flinkConfiguration/pipeline.name")
        .and_then(Value::as_str)
    {
        Some(n) => n.to_string(),
        None => name_from_args(&body),
    };
    let restored = body
        .get("savepointPath")
        .and_then(Value::as_str)
        .map(str::to_string);
    jm.add_job(jid.clone(), &name, restored);
    Json(json!({"jobid": jid, "applicationId": jid})).into_response()
}
