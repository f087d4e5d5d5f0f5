//! A minimal simulated Flink JobManager REST API (v1), one server per application attempt:
//! exactly what `YarnDeployer` calls.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::SimYarn;
use crate::rm::{AppState, FinalStatus};

/// The failure text of the simulated failing job.
pub(crate) const FAILURE: &str = "java.lang.ArithmeticException: / by zero";

/// Checkpoint interval of simulated jobs.
const CHECKPOINT_MS: i64 = 1_000;

pub(crate) struct SimJob {
    pub(crate) jid: String,
    pub(crate) name: String,
    pub(crate) state: &'static str,
    pub(crate) start: i64,
    pub(crate) fail_at: Option<i64>,
    pub(crate) failure: Option<String>,
    pub(crate) restored_from: Option<String>,
    pub(crate) checkpoint_dir: String,
    pub(crate) savepoint_dir: String,
    pub(crate) savepoints: Vec<(i64, String)>,
    pub(crate) triggers: HashMap<String, Result<String, String>>,
    pub(crate) now: i64,
    /// When a session job ended (0 while it runs).
    pub(crate) end: i64,
}

impl SimJob {
    fn completed(&self) -> u64 {
        if self.state != "RUNNING" && self.state != "FINISHED" {
            return 0;
        }
        u64::try_from((self.now - self.start) / CHECKPOINT_MS).unwrap_or(0)
    }

    pub(crate) fn latest_checkpoint_path(&self) -> Option<String> {
        let n = self.completed();
        (n > 0).then(|| format!("{}/{}/chk-{n}", self.checkpoint_dir, self.jid))
    }
}

pub(crate) fn router(sim: SimYarn, app: String) -> Router {
    Router::new()
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
        .with_state((sim, app))
}

type St = State<(SimYarn, String)>;

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"errors": [format!("{what} could not be found.")]})),
    )
        .into_response()
}

/// Runs `f` on the app's job when `jid` names it. For a session cluster the named session job
/// is swapped into `SimApp::job` for the duration of `f` (`jid: None` leaves the app as is).
fn with_job(
    sim: &SimYarn,
    app: &str,
    jid: Option<&str>,
    f: impl FnOnce(&mut super::SimApp, i64) -> Response,
) -> Response {
    let now = sim.now();
    let mut g = sim.lock();
    let Some(a) = g.apps.get_mut(app) else {
        return not_found("Job");
    };
    if a.session
        && let Some(jid) = jid
    {
        let Some(i) = a.session_jobs.iter().position(|j| j.jid == jid) else {
            return not_found("Job");
        };
        a.session_jobs[i].now = now;
        std::mem::swap(&mut a.job, &mut a.session_jobs[i]);
        let r = f(a, now);
        std::mem::swap(&mut a.job, &mut a.session_jobs[i]);
        return r;
    }
    if jid.is_none_or(|j| j == a.job.jid) {
        a.job.now = now;
        f(a, now)
    } else {
        not_found("Job")
    }
}

/// A job of a session cluster, started now.
pub(crate) fn session_job(
    jid: String,
    name: String,
    now: i64,
    restored_from: Option<String>,
) -> SimJob {
    SimJob {
        jid,
        name,
        state: "RUNNING",
        start: now,
        fail_at: None,
        failure: None,
        restored_from,
        checkpoint_dir: "hdfs://sim-nn:8020/flink/checkpoints".into(),
        savepoint_dir: "hdfs://sim-nn:8020/flink/savepoints".into(),
        savepoints: Vec::new(),
        triggers: HashMap::new(),
        now,
        end: 0,
    }
}

/// When the job in `a.job` ended (0 while it runs).
fn job_end(a: &super::SimApp) -> i64 {
    if a.session { a.job.end } else { a.finished }
}

fn overview_json(j: &SimJob, end: i64) -> Value {
    json!({"jid": j.jid, "name": j.name, "state": j.state, "start-time": j.start,
        "end-time": if end > 0 { end } else { -1 }, "duration": j.now - j.start, "last-modification": j.now,
        "tasks": {"total": 2, "running": if j.state == "RUNNING" { 2 } else { 0 }}})
}

async fn overview(State((sim, app)): St) -> Response {
    with_job(&sim, &app, None, |a, now| {
        if a.session {
            let jobs: Vec<Value> = a
                .session_jobs
                .iter_mut()
                .map(|j| {
                    j.now = now;
                    overview_json(j, j.end)
                })
                .collect();
            return axum::Json(json!({ "jobs": jobs })).into_response();
        }
        axum::Json(json!({"jobs": [overview_json(&a.job, a.finished)]})).into_response()
    })
}

async fn details(State((sim, app)): St, Path(jid): Path<String>) -> Response {
    with_job(&sim, &app, Some(&jid), |a, now| {
        let mut v = overview_json(&a.job, job_end(a));
        v["isStoppable"] = json!(false);
        v["now"] = json!(now);
        v["vertices"] = json!([{"id": "v1", "name": "Source: src -> snk", "parallelism": 1, "status": a.job.state}]);
        axum::Json(v).into_response()
    })
}

fn end_app(a: &mut super::SimApp, now: i64, job_state: &'static str, fin: FinalStatus) {
    a.job.state = job_state;
    if a.session {
        // One job of a session ends; the session cluster keeps running.
        a.job.end = now;
        return;
    }
    // The AM reports the job's end and unregisters shortly after, as Flink's does.
    a.ends_at = Some((now + 300, AppState::Finished, fin));
}

async fn cancel(State((sim, app)): St, Path(jid): Path<String>) -> Response {
    with_job(&sim, &app, Some(&jid), |a, now| {
        if a.job.state == "RUNNING" {
            end_app(a, now, "CANCELED", FinalStatus::Killed);
        }
        (StatusCode::ACCEPTED, axum::Json(json!({}))).into_response()
    })
}

async fn yarn_cancel(st: St, jid: Path<String>) -> Response {
    cancel(st, jid).await
}

async fn checkpoints(State((sim, app)): St, Path(jid): Path<String>) -> Response {
    with_job(&sim, &app, Some(&jid), |a, _| {
        let j = &a.job;
        let n = j.completed();
        let completed = j.latest_checkpoint_path().map(|p| json!({"id": n, "is_savepoint": false,
            "trigger_timestamp": j.start + i64::try_from(n).unwrap_or(0) * CHECKPOINT_MS, "latest_ack_timestamp": j.now,
            "external_path": p, "discarded": false}));
        let savepoint = j.savepoints.last().map(|(at, p)| json!({"id": n + 1, "is_savepoint": true,
            "trigger_timestamp": at, "latest_ack_timestamp": at, "external_path": p, "discarded": false}));
        let restored = j.restored_from.as_ref().map(|p| {
            json!({"id": 1, "restore_timestamp": j.start,
            "is_savepoint": p.contains("savepoint-"), "external_path": p})
        });
        axum::Json(json!({"counts": {"restored": u64::from(j.restored_from.is_some()), "total": n, "in_progress": 0,
            "completed": n, "failed": 0},
            "latest": {"completed": completed, "savepoint": savepoint, "restored": restored, "failed": null}}))
        .into_response()
    })
}

async fn exceptions(State((sim, app)): St, Path(jid): Path<String>) -> Response {
    with_job(&sim, &app, Some(&jid), |a, now| {
        let entries: Vec<Value> = a
            .job
            .failure
            .iter()
            .map(|f| {
                json!({"exceptionName": "java.lang.ArithmeticException",
            "stacktrace": format!("{f}\n\tat Sim.eval(Sim.java:1)"), "timestamp": now})
            })
            .collect();
        axum::Json(
            json!({"exceptionHistory": {"entries": entries, "truncated": false},
            "root-exception": a.job.failure}),
        )
        .into_response()
    })
}

fn trigger(a: &mut super::SimApp, now: i64, dir: Option<&str>) -> String {
    let tid = format!("{:032x}", a.job.triggers.len() as u64 + 1);
    if a.job.state != "RUNNING" {
        a.job.triggers.insert(
            tid.clone(),
            Err("java.lang.IllegalStateException: job is not running".into()),
        );
        return tid;
    }
    let dir = dir
        .map(str::to_string)
        .unwrap_or_else(|| a.job.savepoint_dir.clone());
    let path = format!(
        "{}/savepoint-{}-{now:x}",
        dir.trim_end_matches('/'),
        &a.job.jid[..6]
    );
    a.job.savepoints.push((now, path.clone()));
    a.job.triggers.insert(tid.clone(), Ok(path));
    tid
}

async fn savepoint(
    State((sim, app)): St,
    Path(jid): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_job(&sim, &app, Some(&jid), |a, now| {
        let dir = body
            .get("target-directory")
            .and_then(Value::as_str)
            .map(str::to_string);
        let tid = trigger(a, now, dir.as_deref());
        if body.get("cancel-job").and_then(Value::as_bool) == Some(true) {
            end_app(a, now, "CANCELED", FinalStatus::Killed);
        }
        (StatusCode::ACCEPTED, axum::Json(json!({"request-id": tid}))).into_response()
    })
}

async fn stop(
    State((sim, app)): St,
    Path(jid): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_job(&sim, &app, Some(&jid), |a, now| {
        let dir = body
            .get("targetDirectory")
            .and_then(Value::as_str)
            .map(str::to_string);
        let running = a.job.state == "RUNNING";
        let tid = trigger(a, now, dir.as_deref());
        if running {
            end_app(a, now, "FINISHED", FinalStatus::Succeeded);
        }
        (StatusCode::ACCEPTED, axum::Json(json!({"request-id": tid}))).into_response()
    })
}

async fn savepoint_status(
    State((sim, app)): St,
    Path((jid, tid)): Path<(String, String)>,
) -> Response {
    with_job(&sim, &app, Some(&jid), |a, _| {
        match a.job.triggers.get(&tid) {
        Some(Ok(p)) => axum::Json(json!({"status": {"id": "COMPLETED"}, "operation": {"location": p}})).into_response(),
        Some(Err(e)) => axum::Json(json!({"status": {"id": "COMPLETED"},
            "operation": {"failure-cause": {"class": "java.util.concurrent.CompletionException", "stack-trace": e}}}))
        .into_response(),
        None => not_found("Operation"),
    }
    })
}

fn log_text(a: &super::SimApp) -> String {
    let attempt = a.current().map(|t| t.n).unwrap_or(1);
    format!(
        "INFO  org.apache.flink.yarn.entrypoint.YarnApplicationClusterEntryPoint - Starting YarnApplicationClusterEntryPoint (attempt {attempt}).\n\
         INFO  org.apache.flink.runtime.dispatcher.StandaloneDispatcher - Received JobGraph submission '{}' ({}).\n",
        a.job.name, a.job.jid
    )
}

async fn logs(State((sim, app)): St) -> Response {
    with_job(&sim, &app, None, |a, _| {
        let n = log_text(a).len();
        axum::Json(json!({"logs": [{"name": "jobmanager.log", "size": n}, {"name": "jobmanager.out", "size": 0}]})).into_response()
    })
}

async fn log(
    State((sim, app)): St,
    Path(name): Path<String>,
    Query(_q): Query<HashMap<String, String>>,
) -> Response {
    with_job(&sim, &app, None, |a, _| match name.as_str() {
        "jobmanager.log" => log_text(a).into_response(),
        "jobmanager.out" => String::new().into_response(),
        _ => not_found("Log file"),
    })
}

/// `POST /jars/upload` (session clusters): keeps the jar's id only.
async fn upload(State((sim, app)): St, _body: axum::body::Bytes) -> Response {
    with_job(&sim, &app, None, |a, _| {
        if !a.session {
            return not_found("Jar upload");
        }
        let id = format!("{:08x}-sim_job.jar", a.jars.len() + 1);
        a.jars.push(id.clone());
        axum::Json(json!({"filename": format!("/tmp/flink-web-sim/flink-web-upload/{id}"), "status": "success"}))
            .into_response()
    })
}

/// `POST /jars/:id/run` (session clusters): starts a job named by `pipeline.name`.
async fn run_jar(
    State((sim, app)): St,
    Path(jar): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    with_job(&sim, &app, None, |a, now| {
        if !a.session || !a.jars.contains(&jar) {
            return not_found(&format!(
                "Jar file /tmp/flink-web-sim/flink-web-upload/{jar}"
            ));
        }
        let jid = body
            .get("jobId")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("{:032x}", a.session_jobs.len() as u64 + 1));
        if a.session_jobs.iter().any(|j| j.jid == jid) {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"errors": [format!(
                    "org.apache.flink.runtime.client.DuplicateJobSubmissionException: Job has already been submitted. JobID {jid}"
                )]})),
            )
                .into_response();
        }
        let name = body
            .pointer("/flinkConfiguration/pipeline.name")
            .and_then(Value::as_str)
            .unwrap_or("Flink Streaming Job")
            .to_string();
        let restored = body
            .get("savepointPath")
            .and_then(Value::as_str)
            .map(str::to_string);
        a.session_jobs
            .push(session_job(jid.clone(), name, now, restored));
        axum::Json(json!({ "jobid": jid })).into_response()
    })
}
