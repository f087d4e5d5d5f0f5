//! HTTP side of the simulated API server: the REST paths kube-rs calls.
// Handlers return a ready `Response` as their error: boxing it would only add noise here.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures::SinkExt;
use serde_json::{Value, json};

use super::Shared;
use super::store::{Key, apply, has_status_subresource, kind_of, merge, selector_matches};

pub(crate) fn status(code: u16, reason: &str, message: impl Into<String>) -> Response {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message.into(), "reason": reason, "code": code
    });
    let sc = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (sc, axum::Json(body)).into_response()
}

fn ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

struct Target {
    plural: String,
    namespace: String,
    name: Option<String>,
    sub: Option<String>,
}

fn parse(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let rest = match segs.as_slice() {
        ["api", "v1", rest @ ..] => rest,
        ["apis", "flink.apache.org", "v1beta1", rest @ ..] => rest,
        _ => return None,
    };
    match rest {
        ["namespaces", ns, plural, tail @ ..] if tail.len() <= 2 => Some(Target {
            plural: plural.to_string(),
            namespace: ns.to_string(),
            name: tail.first().map(|s| s.to_string()),
            sub: tail.get(1).map(|s| s.to_string()),
        }),
        _ => None,
    }
}

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(t) = parse(uri.path()) else {
        return status(
            404,
            "NotFound",
            format!(
                "the server could not find the requested resource ({})",
                uri.path()
            ),
        );
    };
    let Some((kind, _)) = kind_of(&t.plural) else {
        return status(
            404,
            "NotFound",
            format!("the server doesn't have a resource type \"{}\"", t.plural),
        );
    };
    if t.plural == "flinkstatesnapshots"
        && !shared
            .snapshot_crd
            .load(std::sync::atomic::Ordering::SeqCst)
    {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    match (method, t.name.clone(), t.sub.as_deref()) {
        (Method::GET, None, None) if q.get("watch").is_some_and(|w| w == "true" || w == "1") => {
            watch(shared, t, q).await
        }
        (Method::GET, None, None) => list(&shared, &t, &q, kind),
        (Method::POST, None, None) => create(&shared, &t, &body),
        (Method::GET, Some(name), None) => get(&shared, &t, &name),
        (Method::GET, Some(name), Some("log")) if t.plural == "pods" => {
            super::logs::serve(shared, t.namespace, name, q).await
        }
        (Method::PUT, Some(name), sub @ (None | Some("status"))) => {
            replace(&shared, &t, &name, &body, sub.is_some())
        }
        (Method::PATCH, Some(name), sub @ (None | Some("status"))) => {
            patch(&shared, &t, &name, &body, &content_type, &q, sub.is_some())
        }
        (Method::DELETE, Some(name), None) => delete(&shared, &t, &name),
        (m, _, _) => status(
            405,
            "MethodNotAllowed",
            format!("{m} is not supported on {}", uri.path()),
        ),
    }
}

fn key(t: &Target, name: &str) -> Key {
    (t.plural.clone(), t.namespace.clone(), name.to_string())
}

fn list(shared: &Shared, t: &Target, q: &HashMap<String, String>, kind: &str) -> Response {
    let s = shared.lock();
    let items: Vec<Value> = s
        .objects
        .iter()
        .filter(|((p, ns, _), o)| {
            p == &t.plural
                && ns == &t.namespace
                && selector_matches(q.get("labelSelector").map(String::as_str), o)
        })
        .map(|(_, o)| o.clone())
        .collect();
    ok(json!({
        "kind": format!("{kind}List"), "apiVersion": kind_of(&t.plural).map(|k| k.1).unwrap_or("v1"),
        "metadata": {"resourceVersion": s.rv.to_string()}, "items": items
    }))
}

fn get(shared: &Shared, t: &Target, name: &str) -> Response {
    match shared.lock().objects.get(&key(t, name)) {
        Some(o) => ok(o.clone()),
        None => status(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", t.plural),
        ),
    }
}

fn body_json(body: &Bytes) -> Result<Value, Response> {
    // Apply patches are YAML; JSON is YAML, and kube sends JSON.
    serde_json::from_slice(body)
        .or_else(|_| serde_yaml_ng::from_slice::<Value>(body))
        .map_err(|e| status(400, "BadRequest", format!("cannot decode body: {e}")))
}

fn create(shared: &Shared, t: &Target, body: &Bytes) -> Response {
    let obj = match body_json(body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(name) = obj["metadata"]["name"].as_str().map(String::from) else {
        return status(422, "Invalid", "metadata.name: Required value");
    };
    let mut s = shared.lock();
    let k = key(t, &name);
    if s.objects.contains_key(&k) {
        return status(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", t.plural),
        );
    }
    let mut obj = obj;
    obj["metadata"]["generation"] = 1.into();
    if has_status_subresource(&t.plural)
        && let Some(m) = obj.as_object_mut()
    {
        m.remove("status");
    }
    let out = s.commit(&k, obj, "ADDED");
    (StatusCode::CREATED, axum::Json(out)).into_response()
}

fn precondition(
    current: &Value,
    incoming: &Value,
    name: &str,
    plural: &str,
) -> Result<(), Response> {
    match incoming["metadata"]["resourceVersion"].as_str() {
        Some(rv) if Some(rv) != current["metadata"]["resourceVersion"].as_str() => Err(status(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {plural} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
            ),
        )),
        _ => Ok(()),
    }
}

/// Keeps `status` (main resource writes) or everything but `status` (status writes), and bumps
/// `generation` when the spec changed.
fn finish_write(plural: &str, current: &Value, mut new: Value, status_write: bool) -> Value {
    if has_status_subresource(plural) {
        if status_write {
            let st = new["status"].clone();
            new = current.clone();
            new["status"] = st;
        } else {
            new["status"] = current["status"].clone();
            if new["status"].is_null()
                && let Some(m) = new.as_object_mut()
            {
                m.remove("status");
            }
        }
    }
    new["metadata"]["uid"] = current["metadata"]["uid"].clone();
    new["metadata"]["creationTimestamp"] = current["metadata"]["creationTimestamp"].clone();
    let generation = current["metadata"]["generation"].as_i64().unwrap_or(1);
    let changed = !status_write && new.get("spec") != current.get("spec");
    new["metadata"]["generation"] = (if changed { generation + 1 } else { generation }).into();
    new
}

fn replace(shared: &Shared, t: &Target, name: &str, body: &Bytes, status_write: bool) -> Response {
    let incoming = match body_json(body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut s = shared.lock();
    let k = key(t, name);
    let Some(current) = s.objects.get(&k).cloned() else {
        return status(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", t.plural),
        );
    };
    if let Err(r) = precondition(&current, &incoming, name, &t.plural) {
        return r;
    }
    let new = finish_write(&t.plural, &current, incoming, status_write);
    ok(s.commit(&k, new, "MODIFIED"))
}

fn patch(
    shared: &Shared,
    t: &Target,
    name: &str,
    body: &Bytes,
    content_type: &str,
    q: &HashMap<String, String>,
    status_write: bool,
) -> Response {
    let incoming = match body_json(body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut s = shared.lock();
    let k = key(t, name);
    let current = s.objects.get(&k).cloned();
    let ct = content_type.split(';').next().unwrap_or("").trim();
    match ct {
        "application/apply-patch+yaml" => {
            let Some(manager) = q.get("fieldManager").filter(|m| !m.is_empty()) else {
                return status(
                    422,
                    "Invalid",
                    "fieldManager: Required value: is required for apply patch",
                );
            };
            let force = q.get("force").is_some_and(|f| f == "true");
            if let Some(cur) = &current
                && let Err(r) = precondition(cur, &incoming, name, &t.plural)
            {
                return r;
            }
            let mut owners = s.owners.get(&k).cloned().unwrap_or_default();
            match apply(current.as_ref(), &mut owners, &incoming, manager, force) {
                Ok(obj) => {
                    s.owners.insert(k.clone(), owners);
                    match current {
                        Some(cur) => {
                            let new = finish_write(&t.plural, &cur, obj, status_write);
                            ok(s.commit(&k, new, "MODIFIED"))
                        }
                        None => {
                            let mut obj = obj;
                            obj["metadata"]["generation"] = 1.into();
                            (StatusCode::CREATED, axum::Json(s.commit(&k, obj, "ADDED")))
                                .into_response()
                        }
                    }
                }
                Err(conflicts) => {
                    let list: Vec<String> = conflicts
                        .iter()
                        .map(|(p, m)| format!("conflict with \"{m}\": .{p}"))
                        .collect();
                    status(
                        409,
                        "Conflict",
                        format!(
                            "Apply failed with {} conflicts: {}",
                            conflicts.len(),
                            list.join("; ")
                        ),
                    )
                }
            }
        }
        "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
            let Some(cur) = current else {
                return status(
                    404,
                    "NotFound",
                    format!("{} \"{name}\" not found", t.plural),
                );
            };
            if let Err(r) = precondition(&cur, &incoming, name, &t.plural) {
                return r;
            }
            let mut new = cur.clone();
            let mut p = incoming;
            if let Some(m) = p.get_mut("metadata").and_then(|m| m.as_object_mut()) {
                m.remove("resourceVersion");
            }
            merge(&mut new, &p);
            let new = finish_write(&t.plural, &cur, new, status_write);
            ok(s.commit(&k, new, "MODIFIED"))
        }
        other => status(
            415,
            "UnsupportedMediaType",
            format!("the body of the request was in an unknown format: {other}"),
        ),
    }
}

fn delete(shared: &Shared, t: &Target, name: &str) -> Response {
    let mut s = shared.lock();
    let k = key(t, name);
    let Some(obj) = s.objects.get(&k).cloned() else {
        return status(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", t.plural),
        );
    };
    let out = s.commit(&k, obj, "DELETED");
    if t.plural == "flinkdeployments" || t.plural == "flinksessionjobs" {
        // The operator tears the cluster down: its pods go with it.
        let pods: Vec<Key> = s
            .objects
            .iter()
            .filter(|((p, ns, _), o)| {
                p == "pods"
                    && ns == &t.namespace
                    && o["metadata"]["labels"]["app"].as_str() == Some(name)
            })
            .map(|(k, _)| k.clone())
            .collect();
        for pk in pods {
            if let Some(o) = s.objects.get(&pk).cloned() {
                s.commit(&pk, o, "DELETED");
            }
        }
    }
    ok(out)
}

async fn watch(shared: Arc<Shared>, t: Target, q: HashMap<String, String>) -> Response {
    if shared
        .block_watches
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        return status(
            503,
            "ServiceUnavailable",
            "watches are blocked (simulated outage)",
        );
    }
    let selector = q.get("labelSelector").cloned();
    let from: u64 = q
        .get("resourceVersion")
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let bookmarks = q.get("allowWatchBookmarks").is_some_and(|b| b == "true");
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|t| t.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(300));
    let (mut tx, rx) = futures::channel::mpsc::channel::<Result<Bytes, std::io::Error>>(256);
    let (backlog, mut live, gone, epoch) = {
        let s = shared.lock();
        let gone = from != 0 && from < s.oldest_rv;
        let backlog: Vec<_> = s.history.iter().filter(|c| c.rv > from).cloned().collect();
        (backlog, s.tx.subscribe(), gone, shared.epoch())
    };
    let kind = kind_of(&t.plural).map(|k| k.0).unwrap_or("Unknown");
    let api_version = kind_of(&t.plural).map(|k| k.1).unwrap_or("v1");
    let plural = t.plural.clone();
    let ns = t.namespace.clone();
    let matches = move |c: &super::store::Change| {
        c.plural == plural && c.namespace == ns && selector_matches(selector.as_deref(), &c.object)
    };
    let line =
        |ty: &str, obj: &Value| Bytes::from(format!("{}\n", json!({"type": ty, "object": obj})));
    tokio::spawn(async move {
        let _open = OpenWatch::new(&shared);
        if gone {
            let st = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": format!("too old resource version: {from}"), "reason": "Expired", "code": 410});
            let _ = tx.send(Ok(line("ERROR", &st))).await;
            return;
        }
        let mut last = from;
        for c in backlog.iter().filter(|c| matches(c)) {
            last = last.max(c.rv);
            if tx.send(Ok(line(c.kind, &c.object))).await.is_err() {
                return;
            }
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut tick = tokio::time::interval(Duration::from_millis(25));
        let mut ticks: u64 = 0;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return,
                _ = tick.tick() => {
                    if shared.epoch() != epoch {
                        return; // dropped mid-stream
                    }
                    ticks += 1;
                    if bookmarks && ticks.is_multiple_of(20) {
                        // The last version this stream delivered: never past an event it has not sent.
                        let bm = json!({"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": last.to_string()}});
                        if tx.send(Ok(line("BOOKMARK", &bm))).await.is_err() {
                            return;
                        }
                    }
                }
                c = live.recv() => match c {
                    Ok(c) if c.rv > last && matches(&c) => {
                        last = c.rv;
                        if tx.send(Ok(line(c.kind, &c.object))).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        }
    });
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from_stream(rx))
        .unwrap_or_else(|_| status(500, "InternalError", "response"))
}

/// Counts open watch streams while alive.
struct OpenWatch(Arc<Shared>);

impl OpenWatch {
    fn new(shared: &Arc<Shared>) -> Self {
        shared
            .open_watches
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        OpenWatch(shared.clone())
    }
}

impl Drop for OpenWatch {
    fn drop(&mut self) {
        self.0
            .open_watches
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}
