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
        "resourceManagerVersion": "3.4.2",
        "resourceManagerBuildVersion": "3.4.2 from yarn-sim by streampark source checksum 0",
        "resourceManagerVersionBuiltOn": "2025-08-20T10:36Z",
        "hadoopVersion": "3.4.2",
        "hadoopBuildVersion": "3.4.2 from yarn-sim by streampark source checksum 0",
        "hadoopVersionBuiltOn": "2025-08-20T10:30Z",
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
        // As `RMWebAppFilter` answers: the full URL in `Location`, the path (HTML-escaped) in
        // a plain-text body.
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let target = format!("http://{}{path}", sim.shared.rm_addrs[active]);
        return (
            StatusCode::TEMPORARY_REDIRECT,
            [
                (header::LOCATION, target),
                (header::CONTENT_TYPE, "text/plain;charset=utf-8".to_string()),
            ],
            format!(
                "This is standby RM. The redirect url is: {}",
                path.replace('&', "&amp;")
            ),
        )
            .into_response();
    }
    let path = uri.path().trim_start_matches("/ws/v1/cluster/");
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match (method.clone(), parts.as_slice()) {
        (Method::GET, ["apps"]) => apps(&sim, &q),
        (Method::GET, ["nodes"]) => nodes(&sim),
        (Method::GET, ["scheduler"]) => scheduler(&sim),
        (_, ["apps", id, ..]) if !valid_app_id(id) => remote_exception(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            &format!("java.lang.IllegalArgumentException: Invalid ApplicationId: {id}"),
        ),
        (Method::GET, ["apps", id]) => {
            with_app(&sim, id, |a, rm| json!({"app": app_json(&sim, a, rm)}))
        }
        (Method::GET, ["apps", id, "state"]) => {
            with_app(&sim, id, |a, _| json!({"state": a.state.as_str()}))
        }
        (Method::PUT, ["apps", id, "state"]) => kill(&sim, id, &q, &body),
        (Method::GET, ["apps", id, "appattempts"]) => with_app(&sim, id, |a, _| {
            let nm = sim.shared.nm_addr;
            let list: Vec<Value> = a
                .attempts
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    // An attempt replaced by the next one failed; the current one follows the
                    // application.
                    let (state, finished) = match a.attempts.get(i + 1) {
                        Some(next) => ("FAILED", next.start),
                        None if a.state.is_terminal() => (a.state.as_str(), a.finished),
                        None => ("RUNNING", 0),
                    };
                    json!({
                        "id": t.n, "startTime": t.start, "finishedTime": finished,
                        "containerId": t.container,
                        "nodeHttpAddress": nm.to_string(),
                        "nodeId": format!("{}", t.jm_addr),
                        "logsLink": format!("http://{nm}/node/containerlogs/{}/{}", t.container, a.user),
                        "blacklistedNodes": "", "nodesBlacklistedBySystem": "",
                        "appAttemptId": format!("appattempt_{}_{:06}", a.id.trim_start_matches("application_"), t.n),
                        // Hadoop 3.4 renders an unset value as the string "null".
                        "exportPorts": "null",
                        "appAttemptState": state,
                    })
                })
                .collect();
            json!({"appAttempts": {"appAttempt": list}})
        }),
        (Method::GET, ["apps", id, "appattempts", attempt, "containers"]) => {
            let attempt = attempt.to_string();
            let nm = sim.shared.nm_addr;
            let now = sim.now();
            with_app(&sim, id, move |a, _| {
                // Hadoop 3.4 answers without the `containers` root and renders every number
                // as a string; an attempt that ended has none (`{}`).
                let current = a.attempts.last().map(|t| t.n);
                let mut list: Vec<Value> = a
                    .attempts
                    .iter()
                    .filter(|t| attempt.ends_with(&format!("_{:06}", t.n)))
                    .filter(|t| !a.state.is_terminal() && Some(t.n) == current)
                    .map(|t| json!({"containerId": t.container, "allocatedMB": "1728",
                        "allocatedVCores": "1", "assignedNodeId": t.jm_addr.to_string(),
                        "priority": "0", "startedTime": t.start.to_string(), "finishedTime": "0",
                        "elapsedTime": (now - t.start).max(0).to_string(),
                        "logUrl": format!("http://{nm}/node/containerlogs/{}/{}", t.container, a.user),
                        "containerExitStatus": "0", "containerState": "RUNNING",
                        "nodeHttpAddress": format!("http://{nm}"),
                        "nodeId": t.jm_addr.to_string(),
                        "allocatedResources": {"entry": [
                            {"key": "memory-mb", "value": "1728"}, {"key": "vcores", "value": "1"}]},
                        "exposedPorts": ""}))
                    .collect();
                match list.len() {
                    0 => json!({}),
                    1 => json!({"container": list.remove(0)}),
                    _ => json!({"container": list}),
                }
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
        .map(|a| app_json(sim, a, sim.shared.rm_addrs[g.active]))
        .collect();
    // Hadoop 3.4 answers `{"apps":{}}` when nothing matches (its docs show `{"apps":null}`).
    if list.is_empty() {
        axum::Json(json!({"apps": {}})).into_response()
    } else {
        axum::Json(json!({"apps": {"app": list}})).into_response()
    }
}

/// `application_<cluster timestamp>_<sequence number>`, as `ApplicationId.fromString` parses.
fn valid_app_id(id: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    matches!(
        id.strip_prefix("application_").and_then(|r| r.split_once('_')),
        Some((ts, n)) if digits(ts) && digits(n)
    )
}

/// `{"nodes":{"node":[...]}}`: the one NodeManager of the simulation, RUNNING.
fn nodes(sim: &SimYarn) -> Response {
    let g = sim.lock();
    let live: Vec<&SimApp> = g.apps.values().filter(|a| !a.state.is_terminal()).collect();
    let containers = live.len() as i64 * 2;
    let used_mb = live.len() as i64 * 3456;
    let resource = |mb: i64, vcores: i64| {
        json!({"memory": mb, "vCores": vcores, "resourceInformations": {"resourceInformation": [
            {"attributes": {}, "maximumAllocation": i64::MAX, "minimumAllocation": 0,
             "name": "memory-mb", "resourceType": "COUNTABLE", "units": "Mi", "value": mb},
            {"attributes": {}, "maximumAllocation": i64::MAX, "minimumAllocation": 0,
             "name": "vcores", "resourceType": "COUNTABLE", "units": "", "value": vcores}]}})
    };
    let (total_mb, total_vcores) = (65536, 64);
    let nm = sim.shared.nm_addr;
    axum::Json(json!({"nodes": {"node": [{
        "rack": "/default-rack", "state": "RUNNING", "id": nm.to_string(),
        "nodeHostName": nm.ip().to_string(), "nodeHTTPAddress": nm.to_string(),
        "lastHealthUpdate": sim.clock().at_ms(std::time::Duration::ZERO), "version": "3.4.2",
        "healthReport": "", "numContainers": containers, "usedMemoryMB": used_mb,
        "availMemoryMB": total_mb - used_mb, "usedVirtualCores": containers,
        "availableVirtualCores": total_vcores - containers,
        "memUtilization": 0.0, "cpuUtilization": 0.0,
        "numRunningOpportContainers": 0, "usedMemoryOpportGB": 0, "usedVirtualCoresOpport": 0,
        "numQueuedContainers": 0, "allocationTags": {},
        "resourceUtilization": {"nodePhysicalMemoryMB": 0, "nodeVirtualMemoryMB": 0,
            "nodeCPUUsage": 0.0, "aggregatedContainersPhysicalMemoryMB": 0,
            "aggregatedContainersVirtualMemoryMB": 0, "containersCPUUsage": 0.0},
        "usedResource": resource(used_mb, containers),
        "availableResource": resource(total_mb - used_mb, total_vcores - containers),
        "nodeAttributesInfo": {},
        "totalResource": resource(total_mb, total_vcores),
    }]}}))
    .into_response()
}

/// A Capacity Scheduler with the leaf queues `default`, `streaming` and every queue an
/// application was submitted to, under `root`; the queues' scalar facts only (no resource,
/// ACL or template details).
fn scheduler(sim: &SimYarn) -> Response {
    let g = sim.lock();
    let mut names: Vec<String> = vec!["default".into(), "streaming".into()];
    for a in g.apps.values() {
        let q = a
            .queue
            .strip_prefix("root.")
            .unwrap_or(&a.queue)
            .to_string();
        if !names.contains(&q) {
            names.push(q);
        }
    }
    let share = 100.0 / names.len() as f64;
    let leaves: Vec<Value> = names
        .iter()
        .map(|name| {
            let apps = g
                .apps
                .values()
                .filter(|a| a.queue.strip_prefix("root.").unwrap_or(&a.queue) == name)
                .filter(|a| !a.state.is_terminal())
                .count();
            json!({
                "type": "capacitySchedulerLeafQueueInfo", "queuePath": format!("root.{name}"),
                "capacity": share, "usedCapacity": 0.0, "maxCapacity": 100.0,
                "absoluteCapacity": share, "absoluteMaxCapacity": 100.0,
                "absoluteUsedCapacity": 0.0, "weight": -1.0, "normalizedWeight": 0.0,
                "numApplications": apps, "maxParallelApps": i32::MAX, "queueName": name,
                "isAbsoluteResource": false, "state": "RUNNING",
                "hideReservationQueues": false, "nodeLabels": ["*"],
                "allocatedContainers": apps * 2, "reservedContainers": 0, "pendingContainers": 0,
                "queuePriority": 0, "orderingPolicyInfo": "fifo",
                "autoCreateChildQueueEnabled": false, "mode": "percentage", "queueType": "leaf",
                "creationMethod": "static", "autoCreationEligibility": "off",
                "numActiveApplications": apps, "numPendingApplications": 0,
                "numContainers": apps * 2, "maxApplications": 5000,
                "maxApplicationsPerUser": 5000, "userLimit": 100.0, "userLimitFactor": 1.0,
                "configuredMaxAMResourceLimit": 1.0, "preemptionDisabled": true,
                "intraQueuePreemptionDisabled": true, "defaultPriority": 0,
                "isAutoCreatedLeafQueue": false, "maxApplicationLifetime": -1,
                "defaultApplicationLifetime": -1,
            })
        })
        .collect();
    axum::Json(json!({"scheduler": {"schedulerInfo": {
        "type": "capacityScheduler", "capacity": 100.0, "usedCapacity": 0.0,
        "maxCapacity": 100.0, "weight": -1.0, "normalizedWeight": 0.0,
        "queueName": "root", "queuePath": "root", "maxParallelApps": i32::MAX,
        "isAbsoluteResource": false, "queues": {"queue": leaves}, "queuePriority": 0,
        "orderingPolicyInfo": "utilization", "mode": "percentage", "queueType": "parent",
        "creationMethod": "static", "autoCreationEligibility": "off",
    }}}))
    .into_response()
}

/// `f` gets the application and the active RM's address.
fn with_app(
    sim: &SimYarn,
    id: &str,
    f: impl FnOnce(&SimApp, std::net::SocketAddr) -> Value,
) -> Response {
    let g = sim.lock();
    let rm = sim.shared.rm_addrs[g.active];
    match g.apps.get(id) {
        Some(a) => axum::Json(f(a, rm)).into_response(),
        None => remote_exception(
            StatusCode::NOT_FOUND,
            "NotFoundException",
            &format!("java.lang.Exception: app with id: {id} not found"),
        ),
    }
}

/// One application as Hadoop 3.4 renders it (without `resourceInfo`); `rm` is the active RM,
/// whose address the tracking URL names. An ended application has no `amRPCAddress` and its
/// tracking URL is the RM's application page.
pub(crate) fn app_json(sim: &SimYarn, a: &SimApp, rm: std::net::SocketAddr) -> Value {
    let cur = a.current();
    let live = !a.state.is_terminal();
    let elapsed = if a.finished > 0 {
        a.finished - a.started
    } else {
        sim.now() - a.started
    };
    // What the application holds while it runs (a JobManager and a TaskManager), -1 after.
    let held = |n: i64| if live { n } else { -1 };
    let memory_seconds = 3456 * elapsed.max(0) / 1000;
    let vcore_seconds = 2 * elapsed.max(0) / 1000;
    let final_status = match a.final_status {
        crate::rm::FinalStatus::Succeeded => "SUCCEEDED",
        crate::rm::FinalStatus::Failed => "FAILED",
        crate::rm::FinalStatus::Killed => "KILLED",
        _ => "UNDEFINED",
    };
    let tracking_url = if live {
        format!("http://{rm}/proxy/{}/", a.id)
    } else {
        format!("http://{rm}/cluster/app/{}", a.id)
    };
    let logs = cur.map(|t| {
        format!(
            "http://{}/node/containerlogs/{}/{}",
            sim.shared.nm_addr, t.container, a.user
        )
    });
    let mut app = json!({
        // A real RM reports the queue's full path (`root.streaming`) whatever name it was
        // given (checked against Hadoop 3.4.2).
        "id": a.id, "user": a.user, "name": a.name,
        "queue": if a.queue.starts_with("root.") { a.queue.clone() } else { format!("root.{}", a.queue) },
        "state": a.state.as_str(), "finalStatus": final_status,
        // Flink's application master reports no progress while it runs.
        "progress": if live { 0.0 } else { 100.0 },
        "trackingUI": if live { "ApplicationMaster" } else { "History" },
        "trackingUrl": tracking_url,
        "diagnostics": a.diagnostics,
        "clusterId": sim.clock().at_ms(std::time::Duration::ZERO),
        "rmClusterId": "yarn-sim",
        "applicationType": "Apache Flink",
        "applicationTags": a.tags.join(","),
        "priority": 0,
        "startedTime": a.started, "launchTime": a.started, "finishedTime": a.finished,
        "elapsedTime": elapsed,
        "amContainerLogs": logs,
        "amHostHttpAddress": sim.shared.nm_addr.to_string(),
        "masterNodeId": sim.shared.nm_addr.to_string(),
    });
    let usage = json!({
        "allocatedMB": held(3456), "allocatedVCores": held(2),
        "reservedMB": held(0), "reservedVCores": held(0),
        "runningContainers": held(2),
        "memorySeconds": memory_seconds, "vcoreSeconds": vcore_seconds,
        "queueUsagePercentage": if live { 5.0 } else { 0.0 },
        "clusterUsagePercentage": if live { 2.5 } else { 0.0 },
        "resourceSecondsMap": {"entry": {"key": "memory-mb", "value": memory_seconds.to_string()}},
        "preemptedResourceMB": 0, "preemptedResourceVCores": 0,
        "numNonAMContainerPreempted": 0, "numAMContainerPreempted": 0,
        "preemptedMemorySeconds": 0, "preemptedVcoreSeconds": 0,
        "preemptedResourceSecondsMap": {},
        "logAggregationStatus": "DISABLED",
        "unmanagedApplication": false,
        "amNodeLabelExpression": "",
        "timeouts": {"timeout": [
            {"type": "LIFETIME", "expiryTime": "UNLIMITED", "remainingTimeInSeconds": -1}]},
    });
    if let (Some(o), Value::Object(u)) = (app.as_object_mut(), usage) {
        o.extend(u);
    }
    if live
        && let Some(t) = cur
        && let Some(o) = app.as_object_mut()
    {
        o.insert("amRPCAddress".into(), Value::String(t.jm_addr.to_string()));
    }
    app
}

fn kill(sim: &SimYarn, id: &str, q: &HashMap<String, String>, body: &[u8]) -> Response {
    // The order of `RMWebServices.updateAppState`: the caller, the application, then the target.
    let Some(user) = q.get("user.name").filter(|u| !u.is_empty()) else {
        return remote_exception(
            StatusCode::UNAUTHORIZED,
            "AuthorizationException",
            "Unable to obtain user name, user not authenticated",
        );
    };
    let target = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("state").and_then(Value::as_str).map(str::to_string));
    let mut g = sim.lock();
    let active = g.active;
    let Some(app) = g.apps.get_mut(id) else {
        drop(g);
        return with_app(sim, id, |_, _| Value::Null);
    };
    // A target equal to the current state is answered with that state.
    if target.as_deref() == Some(app.state.as_str()) {
        return axum::Json(json!({"state": app.state.as_str()})).into_response();
    }
    if target.as_deref() != Some("KILLED") {
        return remote_exception(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "java.lang.Exception: Only 'KILLED' is allowed as a target state.",
        );
    }
    if app.state.is_terminal() {
        return axum::Json(json!({"state": app.state.as_str()})).into_response();
    }
    let first = !app.kill_requested;
    app.kill_requested = true;
    if first {
        app.diagnostics = format!("Application {id} was killed by user {user}");
        g.stats.kills += 1;
    }
    let loc = format!(
        "http://{}/ws/v1/cluster/apps/{id}/state",
        sim.shared.rm_addrs[active]
    );
    // The 202's body names the RM's internal state of the application.
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, loc)],
        axum::Json(json!({"state": "KILLING"})),
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
                // `WebAppProxyServlet` sends an ended application to the RM's page of it
                // (keeping the rest of the path and the query, as Hadoop 3.4 does).
                let q = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
                let history = format!(
                    "http://{}/cluster/app/{app}/{rest}{q}",
                    sim.shared.rm_addrs[g.active]
                );
                let html = format!(
                    "<html>\n  <head>\n    <title>\n      Moved\n    </title>\n  </head>\n  <body>\n    <h1>\n      Moved\n    </h1>\n    <div>\n      Content has moved \n      <a href=\"{history}\">here</a>\n    </div>\n  </body>\n</html>\n"
                );
                return (
                    StatusCode::FOUND,
                    [
                        (header::LOCATION, history),
                        (header::CONTENT_TYPE, "text/html;charset=utf-8".to_string()),
                    ],
                    html,
                )
                    .into_response();
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
    let not_found = |text: &str| {
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain;charset=utf-8")],
            format!("java.lang.Exception: {text}"),
        )
            .into_response()
    };
    let Some(text) = g.container_logs.get(&cid) else {
        return not_found(
            "Unknown container. Container either has not started or has already completed or doesn't belong to this node at all.",
        );
    };
    if file != "jobmanager.log" {
        return not_found("Cannot find this log on the local disk.");
    }
    // The NodeManager frames the file as it frames an aggregated log, and says so when the
    // container still runs.
    let running = g
        .apps
        .values()
        .any(|a| !a.state.is_terminal() && a.current().is_some_and(|t| t.container == cid));
    let note = if running {
        format!("This log file belongs to a running container ({cid}) and so may not be complete.")
    } else {
        String::new()
    };
    let modified = chrono_like(sim.now());
    let nl = if text.ends_with('\n') { "" } else { "\n" };
    (
        [(header::CONTENT_TYPE, "text/plain;charset=utf-8")],
        format!(
            "Container: {cid} on {nm}\nLogAggregationType: LOCAL\n{rule}\nLogType:{file}\n\
             LogLastModifiedTime:{modified}\nLogLength:{len}\nLogContents:\n{text}{nl}\
             End of LogType:{file}.{note}\n{stars}\n\n",
            nm = sim.shared.nm_addr,
            rule = "=".repeat(68),
            len = text.len(),
            stars = "*".repeat(79),
        ),
    )
        .into_response()
}

/// `ms` since the epoch as Java's `Date.toString()` writes it in UTC
/// (`Tue Nov 14 22:13:20 +0000 2023`).
fn chrono_like(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{} {} {day:02} {:02}:{:02}:{:02} +0000 {year}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1).clamp(0, 11) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
    )
}
