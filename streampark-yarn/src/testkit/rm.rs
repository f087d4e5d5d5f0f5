//! The simulated ResourceManager web services, web proxy and NodeManager log endpoint.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::{Value, json};

use super::{SimApp, SimYarn};
use crate::rm::AppState;

type Params = Query<HashMap<String, String>>;

pub(crate) fn router(sim: SimYarn, index: usize) -> Router {
    Router::new()
        .route("/ws/v1/cluster/info", get(info))
        .route("/ws/v1/cluster", get(info))
        .route("/ws/v1/{*rest}", any(ws))
        .route("/proxy/{app}/{*rest}", any(proxy))
        .with_state((sim, index))
}

pub(crate) fn remote_exception(status: StatusCode, exception: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"RemoteException": {
            "exception": exception,
            "message": message,
            "javaClassName": format!("org.apache.hadoop.yarn.webapp.{exception}"),
        }})),
    )
        .into_response()
}

async fn info(State((sim, index)): State<(SimYarn, usize)>) -> Response {
    let active = sim.lock().active == index;
    let started = sim.clock().at_ms(std::time::Duration::ZERO);
    axum::Json(json!({"clusterInfo": {
        "id": started, "startedOn": started, "state": "STARTED",
        "haState": if active { "ACTIVE" } else { "STANDBY" },
        "rmStateStoreName": "org.apache.hadoop.yarn.server.resourcemanager.recovery.ZKRMStateStore",
        "resourceManagerVersion": "3.3.6", "hadoopVersion": "3.3.6",
        "haZooKeeperConnectionState": "CONNECTED",
    }}))
    .into_response()
}

/// Every other `/ws/v1` path: a standby redirects, the active one answers.
async fn ws(
    State((sim, index)): State<(SimYarn, usize)>,
    method: Method,
    uri: Uri,
    Query(q): Params,
    body: Bytes,
) -> Response {
    let active = {
        let mut g = sim.lock();
        if g.active != index {
            g.stats.standby_redirects += 1;
        }
        g.active
    };
    if active != index {
        let target = format!(
            "http://{}{}",
            sim.shared.rm_addrs[active],
            uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
        );
        return (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, target.clone())],
            format!("This is standby RM. The redirect url is: {target}"),
        )
            .into_response();
    }
    let path = uri.path().trim_start_matches("/ws/v1/cluster/");
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match (method.clone(), parts.as_slice()) {
        (Method::GET, ["apps"]) => apps(&sim, &q),
        (Method::GET, ["apps", id]) => with_app(&sim, id, |a| json!({"app": app_json(&sim, a)})),
        (Method::GET, ["apps", id, "state"]) => {
            with_app(&sim, id, |a| json!({"state": a.state.as_str()}))
        }
        (Method::PUT, ["apps", id, "state"]) => kill(&sim, id, &q, &body),
        (Method::GET, ["apps", id, "appattempts"]) => with_app(&sim, id, |a| {
            let list: Vec<Value> = a
                .attempts
                .iter()
                .map(|t| {
                    json!({
                        "id": t.n, "startTime": t.start, "containerId": t.container,
                        "nodeId": format!("{}", t.jm_addr),
                        "nodeHttpAddress": sim.shared.nm_addr.to_string(),
                        "logsLink": format!("http://{}/node/containerlogs/{}/{}", sim.shared.nm_addr, t.container, a.user),
                        "appAttemptId": format!("appattempt_{}_{:06}", a.id.trim_start_matches("application_"), t.n),
                    })
                })
                .collect();
            json!({"appAttempts": {"appAttempt": list}})
        }),
        (Method::GET, ["apps", id, "appattempts", attempt, "containers"]) => {
            let attempt = attempt.to_string();
            let nm = sim.shared.nm_addr;
            with_app(&sim, id, move |a| {
                let list: Vec<Value> = a
                    .attempts
                    .iter()
                    .filter(|t| attempt.ends_with(&format!("_{:06}", t.n)))
                    .map(|t| json!({"containerId": t.container, "allocatedMB": 1728, "allocatedVCores": 1,
                        "assignedNodeId": t.jm_addr.to_string(), "containerState": "RUNNING",
                        "nodeHttpAddress": nm.to_string(),
                        "logUrl": format!("http://{nm}/node/containerlogs/{}/{}", t.container, a.user)}))
                    .collect();
                json!({"containers": {"container": list}})
            })
        }
        _ => remote_exception(
            StatusCode::NOT_FOUND,
            "NotFoundException",
            &format!("{method} {} is not served by the simulator", uri.path()),
        ),
    }
}

fn apps(sim: &SimYarn, q: &HashMap<String, String>) -> Response {
    let split = |k: &str| -> Vec<String> {
        q.get(k)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let tags: Vec<String> = split("applicationTags")
        .into_iter()
        .map(|t| t.to_lowercase())
        .collect();
    let states: Vec<String> = split("states")
        .into_iter()
        .map(|s| s.to_uppercase())
        .collect();
    let types: Vec<String> = split("applicationTypes")
        .into_iter()
        .map(|s| s.to_lowercase())
        .collect();
    let g = sim.lock();
    let list: Vec<Value> = g
        .apps
        .values()
        .filter(|a| tags.is_empty() || a.tags.iter().any(|t| tags.contains(t)))
        .filter(|a| states.is_empty() || states.iter().any(|s| s == a.state.as_str()))
        .filter(|_| types.is_empty() || types.contains(&"apache flink".to_string()))
        .map(|a| app_json(sim, a))
        .collect();
    if list.is_empty() {
        axum::Json(json!({"apps": null})).into_response()
    } else {
        axum::Json(json!({"apps": {"app": list}})).into_response()
    }
}

fn with_app(sim: &SimYarn, id: &str, f: impl FnOnce(&SimApp) -> Value) -> Response {
    let g = sim.lock();
    match g.apps.get(id) {
        Some(a) => axum::Json(f(a)).into_response(),
        None => remote_exception(
            StatusCode::NOT_FOUND,
            "NotFoundException",
            &format!("java.lang.Exception: app with id: {id} not found"),
        ),
    }
}

pub(crate) fn app_json(sim: &SimYarn, a: &SimApp) -> Value {
    let rm = sim.shared.rm_addrs[0];
    let cur = a.current();
    let live = !a.state.is_terminal();
    json!({
        "id": a.id, "user": a.user, "name": a.name, "queue": a.queue,
        "state": a.state.as_str(),
        "finalStatus": match a.final_status {
            crate::rm::FinalStatus::Succeeded => "SUCCEEDED",
            crate::rm::FinalStatus::Failed => "FAILED",
            crate::rm::FinalStatus::Killed => "KILLED",
            _ => "UNDEFINED",
        },
        "progress": 100.0,
        "trackingUI": if live { "ApplicationMaster" } else { "History" },
        "trackingUrl": format!("http://{rm}/proxy/{}/", a.id),
        "diagnostics": a.diagnostics,
        "applicationType": "Apache Flink",
        "applicationTags": a.tags.join(","),
        "startedTime": a.started, "finishedTime": a.finished,
        "elapsedTime": if a.finished > 0 { a.finished - a.started } else { sim.now() - a.started },
        "amContainerLogs": cur.map(|t| format!("http://{}/node/containerlogs/{}/{}", sim.shared.nm_addr, t.container, a.user)),
        "amHostHttpAddress": sim.shared.nm_addr.to_string(),
        "amRPCAddress": cur.map(|t| t.jm_addr.to_string()),
        "allocatedMB": if live { 3456 } else { -1 },
        "runningContainers": if live { 2 } else { -1 },
    })
}

fn kill(sim: &SimYarn, id: &str, q: &HashMap<String, String>, body: &[u8]) -> Response {
    if q.get("user.name").is_none_or(|u| u.is_empty()) {
        return remote_exception(
            StatusCode::UNAUTHORIZED,
            "AuthorizationException",
            "Unable to obtain user name, user not authenticated",
        );
    }
    let target = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("state").and_then(Value::as_str).map(str::to_string));
    if target.as_deref() != Some("KILLED") {
        return remote_exception(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "Only 'KILLED' is allowed as a target state.",
        );
    }
    let mut g = sim.lock();
    let Some(app) = g.apps.get_mut(id) else {
        drop(g);
        return with_app(sim, id, |_| Value::Null);
    };
    if app.state.is_terminal() {
        return axum::Json(json!({"state": app.state.as_str()})).into_response();
    }
    let first = !app.kill_requested;
    app.kill_requested = true;
    if first {
        g.stats.kills += 1;
    }
    let loc = format!(
        "http://{}/ws/v1/cluster/apps/{id}/state",
        sim.shared.rm_addrs[g.active]
    );
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, loc)],
        axum::Json(json!({"state": AppState::Running.as_str()})),
    )
        .into_response()
}

/// `/proxy/<appId>/…`: GET and PUT only, forwarded to the current JobManager.
async fn proxy(
    State((sim, _)): State<(SimYarn, usize)>,
    Path((app, rest)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::GET && method != Method::PUT {
        sim.lock().stats.proxy_refused += 1;
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            "The proxy forwards only GET and PUT",
        )
            .into_response();
    }
    let target = {
        let g = sim.lock();
        match g.apps.get(&app) {
            None => {
                return (
                    StatusCode::NOT_FOUND,
                    format!("Application {app} could not be found"),
                )
                    .into_response();
            }
            Some(a) if a.state.is_terminal() => {
                let history = format!("http://{}/cluster/app/{app}", sim.shared.rm_addrs[g.active]);
                return (StatusCode::FOUND, [(header::LOCATION, history)], "").into_response();
            }
            Some(a) => a.current().map(|t| t.jm_addr),
        }
    };
    let Some(jm) = target else {
        return (StatusCode::SERVICE_UNAVAILABLE, "no application master yet").into_response();
    };
    let q = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let url = format!("http://{jm}/{rest}{q}");
    let mut req = sim.shared.http.request(method, &url).body(body.to_vec());
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        req = req.header(header::CONTENT_TYPE, ct.clone());
    }
    match req.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let ct = r.headers().get(header::CONTENT_TYPE).cloned();
            let bytes = r.bytes().await.unwrap_or_default();
            let mut resp = (
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                bytes.to_vec(),
            )
                .into_response();
            if let Some(ct) = ct {
                resp.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            resp
        }
        Err(_) => (StatusCode::BAD_GATEWAY, "application master unreachable").into_response(),
    }
}

/// The NodeManager's container log endpoint: `/ws/v1/node/containerlogs/{cid}/{file}` (plain
/// text; kept after the app ends, as log aggregation would).
pub(crate) fn nodemanager(sim: SimYarn) -> Router {
    Router::new()
        .route("/ws/v1/node/containerlogs/{cid}/{file}", get(container_log))
        .with_state(sim)
}

async fn container_log(
    State(sim): State<SimYarn>,
    Path((cid, file)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
) -> Response {
    // As a real NodeManager (Hadoop 3.4) answers a client that accepts only JSON: 503 with a
    // `WebApplicationException` and no log.
    let accept = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*");
    if !accept.contains("text/plain") && !accept.contains("*/*") && !accept.contains("text/*") {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            r#"{"RemoteException":{"exception":"WebApplicationException","javaClassName":"javax.ws.rs.WebApplicationException"}}"#,
        )
            .into_response();
    }
    let g = sim.lock();
    match g.container_logs.get(&cid) {
        Some(text) if file == "jobmanager.log" => text.clone().into_response(),
        _ => remote_exception(
            StatusCode::NOT_FOUND,
            "NotFoundException",
            &format!("{cid}/{file} not found"),
        ),
    }
}
