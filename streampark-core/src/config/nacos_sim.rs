//! A Nacos server simulator (features `testkit` + `nacos`), written from the Nacos Open API
//! documentation, for tests of [`super::NacosSource`] and of hosts' own code.
//!
//! It speaks, on `127.0.0.1:<free port>`:
//! - as Nacos 2.x ([`SimApi::V2`]): `GET /nacos/v1/console/server/state`,
//!   `POST /nacos/v1/auth/login`, `GET|POST|DELETE /nacos/v1/cs/configs`,
//!   `POST /nacos/v1/cs/configs/listener` (held up to `Long-Pulling-Timeout`);
//! - as Nacos 3.x ([`SimApi::V3`]): the same v1 open API, console endpoints answering
//!   `410 Gone`, and `POST /nacos/v3/auth/user/login`, `GET /nacos/v3/client/cs/config`,
//!   `POST|DELETE /nacos/v3/admin/cs/config`, answers in the `{"code","message","data"}`
//!   envelope; with [`SimApi::V3Only`] the v1 endpoints answer `410 Gone` too (what Nacos
//!   3.x does with its client API compatibility turned off).
//!
//! With users configured, every config call needs a valid `accessToken` (403 otherwise);
//! tokens expire after the configured TTL. Several simulators can share one store
//! ([`NacosSim::start_peer`]) to stand for a cluster, and each can be stopped and restarted
//! on its port to test failover and outages. Not semver-stable.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::sync::{Notify, oneshot};

use super::md5_hex;
use crate::{Error, Result};

/// Which Nacos generation the simulator plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimApi {
    /// Nacos 2.x: v1 API with the long-polling listener, console API.
    V2,
    /// Nacos 3.x as it ships: the v1 open API (config, listener, login) still on, the v3
    /// client/admin API, console endpoints answering `410 Gone`.
    V3,
    /// Nacos 3.x with `nacos.core.api.compatibility.client.enabled=false`: every v1
    /// endpoint answers `410 Gone`; only the v3 API works.
    V3Only,
}

#[derive(Clone)]
struct Stored {
    content: String,
    kind: String,
    md5: String,
}

#[derive(Default)]
struct Data {
    /// (namespace, group, data id) -> config; the public namespace is `""`.
    configs: HashMap<(String, String, String), Stored>,
    users: HashMap<String, String>,
    tokens: HashMap<String, Instant>,
    token_ttl: Duration,
    next_token: u64,
    logins: u64,
    rejected: u64,
    requests: Vec<String>,
}

struct Store {
    data: Mutex<Data>,
    changed: Notify,
}

impl Store {
    fn lock(&self) -> std::sync::MutexGuard<'_, Data> {
        // A poisoned lock only means a test panicked elsewhere; keep serving.
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Clone)]
struct Ctx {
    store: Arc<Store>,
    api: SimApi,
    stopping: Arc<Notify>,
}

/// A running simulated Nacos server. Dropping it stops the server.
pub struct NacosSim {
    store: Arc<Store>,
    api: SimApi,
    addr: SocketAddr,
    stop: Option<(
        oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
        Arc<Notify>,
    )>,
}

impl std::fmt::Debug for NacosSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NacosSim")
            .field("addr", &self.addr)
            .field("api", &self.api)
            .field("running", &self.stop.is_some())
            .finish()
    }
}

/// Builds a [`NacosSim`].
#[derive(Clone, Debug)]
#[must_use]
pub struct NacosSimBuilder {
    api: SimApi,
    users: Vec<(String, String)>,
    token_ttl: Duration,
}

impl NacosSimBuilder {
    /// Plays Nacos 2.x or 3.x (default 2.x).
    pub fn with_api(mut self, api: SimApi) -> Self {
        self.api = api;
        self
    }

    /// Adds a user; with at least one user, auth is on.
    pub fn with_user(mut self, name: impl Into<String>, password: impl Into<String>) -> Self {
        self.users.push((name.into(), password.into()));
        self
    }

    /// Lifetime of issued tokens (default 18000 s, Nacos's default; whole seconds).
    pub fn with_token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Starts the server on a free loopback port.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start(self) -> Result<NacosSim> {
        let data = Data {
            users: self.users.into_iter().collect(),
            token_ttl: self.token_ttl,
            ..Data::default()
        };
        let store = Arc::new(Store {
            data: Mutex::new(data),
            changed: Notify::new(),
        });
        let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
        NacosSim::serve(store, self.api, addr).await
    }
}

fn io_err(what: &str, e: std::io::Error) -> Error {
    Error::Unavailable {
        backend: "nacos-sim",
        what: what.to_string(),
        retry_after: None,
        source: Some(Box::new(e)),
    }
}

impl NacosSim {
    /// A builder.
    pub fn builder() -> NacosSimBuilder {
        NacosSimBuilder {
            api: SimApi::V2,
            users: Vec::new(),
            token_ttl: Duration::from_secs(18_000),
        }
    }

    async fn serve(store: Arc<Store>, api: SimApi, addr: SocketAddr) -> Result<NacosSim> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| io_err("binding the simulator port", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| io_err("simulator address", e))?;
        let stopping = Arc::new(Notify::new());
        let ctx = Ctx {
            store: store.clone(),
            api,
            stopping: stopping.clone(),
        };
        let app = Router::new()
            .route("/nacos/v1/console/server/state", get(server_state))
            .route("/nacos/v1/auth/login", post(login_v1))
            .route("/nacos/v3/auth/user/login", post(login_v3))
            .route(
                "/nacos/v1/cs/configs",
                get(v1_get).post(v1_publish).delete(v1_delete),
            )
            .route("/nacos/v1/cs/configs/listener", post(v1_listener))
            .route("/nacos/v3/client/cs/config", get(v3_get))
            .route(
                "/nacos/v3/admin/cs/config",
                post(v3_publish).delete(v3_delete),
            )
            .fallback(unmapped)
            .with_state(ctx);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(NacosSim {
            store,
            api,
            addr,
            stop: Some((tx, task, stopping)),
        })
    }

    /// Another server of the same cluster (same store, same API), on its own port.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start_peer(&self) -> Result<NacosSim> {
        Self::serve(self.store.clone(), self.api, ([127, 0, 0, 1], 0).into()).await
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server: held listeners answer 503, open connections close, new ones are
    /// refused.
    pub async fn stop(&mut self) {
        if let Some((tx, task, stopping)) = self.stop.take() {
            stopping.notify_waiters();
            let _ = tx.send(());
            let _ = task.await;
        }
    }

    /// Starts the server again on the same port.
    ///
    /// # Errors
    /// When the port cannot be bound again.
    pub async fn restart(&mut self) -> Result<()> {
        self.stop().await;
        let again = Self::serve(self.store.clone(), self.api, self.addr).await?;
        *self = again;
        Ok(())
    }

    /// Publishes a config as the console would (wakes listeners).
    pub fn publish(&self, namespace: &str, group: &str, data_id: &str, content: &str) {
        put(&self.store, namespace, group, data_id, content, "text");
    }

    /// Deletes a config (wakes listeners).
    pub fn delete(&self, namespace: &str, group: &str, data_id: &str) {
        remove(&self.store, namespace, group, data_id);
    }

    /// Invalidates every issued token (as a restart with a new secret key would).
    pub fn revoke_tokens(&self) {
        self.store.lock().tokens.clear();
    }

    /// How many successful logins there were.
    pub fn login_count(&self) -> u64 {
        self.store.lock().logins
    }

    /// How many requests were refused with 403 for a missing, unknown or expired token.
    pub fn rejected_count(&self) -> u64 {
        self.store.lock().rejected
    }

    /// `METHOD path` of every request so far, across the cluster.
    pub fn requests(&self) -> Vec<String> {
        self.store.lock().requests.clone()
    }
}

impl Drop for NacosSim {
    fn drop(&mut self) {
        if let Some((tx, task, stopping)) = self.stop.take() {
            stopping.notify_waiters();
            let _ = tx.send(());
            task.abort();
        }
    }
}

fn ns_of(ns: Option<&str>) -> String {
    match ns {
        None | Some("public") => String::new(),
        Some(s) => s.to_string(),
    }
}

fn put(store: &Store, ns: &str, group: &str, id: &str, content: &str, kind: &str) {
    store.lock().configs.insert(
        (ns_of(Some(ns)), group.to_string(), id.to_string()),
        Stored {
            content: content.to_string(),
            kind: kind.to_string(),
            md5: md5_hex(content),
        },
    );
    store.changed.notify_waiters();
}

fn remove(store: &Store, ns: &str, group: &str, id: &str) {
    store
        .lock()
        .configs
        .remove(&(ns_of(Some(ns)), group.to_string(), id.to_string()));
    store.changed.notify_waiters();
}

async fn unmapped(uri: axum::http::Uri) -> Response {
    not_found_spring(uri.path())
}

fn not_found_spring(path: &str) -> Response {
    // What Spring Boot answers for an unmapped path (Nacos 3.x for the v1 API).
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        format!(
            r#"{{"timestamp":"2025-01-01T00:00:00.000+00:00","status":404,"error":"Not Found","path":"{path}"}}"#
        ),
    )
        .into_response()
}

fn gone_spring(path: &str, api: &str) -> Response {
    // What Nacos 3.x's ApiCompatibilityFilter answers (`sendError(410, json)`, rendered by
    // Spring's error page with the message included).
    let inner = format!(
        r#"{{\"code\":40000,\"message\":\"Current API will be deprecated, please use the v3 API instead, or set nacos.core.api.compatibility.{api}.enabled=true\",\"data\":null}}"#
    );
    (
        StatusCode::GONE,
        [(header::CONTENT_TYPE, "application/json")],
        format!(
            r#"{{"timestamp":"2025-01-01T00:00:00.000+00:00","status":410,"error":"Gone","message":"{inner}","path":"{path}"}}"#
        ),
    )
        .into_response()
}

fn envelope(status: StatusCode, code: i64, message: &str, data: serde_json::Value) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"code": code, "message": message, "data": data})),
    )
        .into_response()
}

/// `None` when allowed; the 403 answer otherwise.
fn check_auth(ctx: &Ctx, token: Option<&str>, line: String) -> Option<Response> {
    let mut d = ctx.store.lock();
    d.requests.push(line);
    if d.users.is_empty() {
        return None;
    }
    let ok = token
        .and_then(|t| d.tokens.get(t))
        .is_some_and(|exp| Instant::now() < *exp);
    if ok {
        return None;
    }
    d.rejected += 1;
    let msg = if token.is_some() {
        "token expired!"
    } else {
        "user not found!"
    };
    if ctx.api == SimApi::V2 {
        return Some((StatusCode::FORBIDDEN, msg).into_response());
    }
    // Nacos 3.1 (recorded): Spring's error JSON, the auth plugin's message inside.
    Some(
        (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/json")],
            format!(
                r#"{{"timestamp":"2025-01-01T00:00:00.000+00:00","status":403,"error":"Forbidden","message":"Code: 401, Message: {msg}","path":"/nacos"}}"#
            ),
        )
            .into_response(),
    )
}

#[derive(Deserialize)]
struct Creds {
    username: Option<String>,
    password: Option<String>,
}

fn login(ctx: &Ctx, creds: Creds) -> Response {
    let mut d = ctx.store.lock();
    d.requests.push("POST login".into());
    let ok = match (&creds.username, &creds.password) {
        (Some(u), Some(p)) => d.users.get(u) == Some(p),
        _ => false,
    };
    if !ok {
        if ctx.api == SimApi::V2 {
            return (StatusCode::FORBIDDEN, "unknown user!").into_response();
        }
        // Nacos 3.1 (recorded): the login throws and its filters answer 500.
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"timestamp":"2025-01-01T00:00:00.000+00:00","status":500,"error":"Internal Server Error","message":"Handle API Compatibility failed, please see log for detail.","path":"/nacos/v1/auth/login"}"#,
        )
            .into_response();
    }
    d.next_token += 1;
    d.logins += 1;
    // Shaped like the docs' sample token (a JWT); opaque to clients.
    let token = format!(
        "eyJhbGciOiJIUzI1NiJ9.sim-{}.{}",
        d.next_token,
        md5_hex(&d.next_token.to_string())
    );
    let ttl = d.token_ttl;
    d.tokens.insert(token.clone(), Instant::now() + ttl);
    axum::Json(serde_json::json!({
        "accessToken": token,
        "tokenTtl": ttl.as_secs(),
        "globalAdmin": true,
        "username": creds.username,
    }))
    .into_response()
}

async fn server_state(State(ctx): State<Ctx>) -> Response {
    if ctx.api != SimApi::V2 {
        return gone_spring("/nacos/v1/console/server/state", "console");
    }
    axum::Json(serde_json::json!({
        "version": "2.3.2", "standalone_mode": "standalone", "function_mode": null
    }))
    .into_response()
}

async fn login_v1(State(ctx): State<Ctx>, Form(creds): Form<Creds>) -> Response {
    if ctx.api == SimApi::V3Only {
        return gone_spring("/nacos/v1/auth/login", "client");
    }
    login(&ctx, creds)
}

async fn login_v3(State(ctx): State<Ctx>, Form(creds): Form<Creds>) -> Response {
    if ctx.api == SimApi::V2 {
        return not_found_spring("/nacos/v3/auth/user/login");
    }
    login(&ctx, creds)
}

#[derive(Deserialize)]
struct V1Params {
    #[serde(rename = "dataId")]
    data_id: Option<String>,
    group: Option<String>,
    tenant: Option<String>,
    content: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "accessToken")]
    access_token: Option<String>,
}

fn v1_key(p: &V1Params) -> std::result::Result<(String, String, String), Box<Response>> {
    match (&p.data_id, &p.group) {
        (Some(d), Some(g)) if !d.is_empty() && !g.is_empty() => {
            Ok((ns_of(p.tenant.as_deref()), g.clone(), d.clone()))
        }
        _ => Err(Box::new(
            (
                StatusCode::BAD_REQUEST,
                "Required parameter 'dataId' or 'group' is not present",
            )
                .into_response(),
        )),
    }
}

async fn v1_get(State(ctx): State<Ctx>, Query(p): Query<V1Params>) -> Response {
    if ctx.api == SimApi::V3Only {
        return gone_spring("/nacos/v1/cs/configs", "client");
    }
    if let Some(r) = check_auth(&ctx, p.access_token.as_deref(), "GET /v1/cs/configs".into()) {
        return r;
    }
    let key = match v1_key(&p) {
        Ok(k) => k,
        Err(r) => return *r,
    };
    let found = ctx.store.lock().configs.get(&key).cloned();
    match found {
        Some(s) => (
            StatusCode::OK,
            [("Config-Type", s.kind), ("Content-MD5", s.md5)],
            s.content,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "config data not exist").into_response(),
    }
}

async fn v1_publish(
    State(ctx): State<Ctx>,
    Query(q): Query<V1Params>,
    Form(p): Form<V1Params>,
) -> Response {
    if ctx.api == SimApi::V3Only {
        return gone_spring("/nacos/v1/cs/configs", "client");
    }
    let token = q.access_token.as_deref().or(p.access_token.as_deref());
    if let Some(r) = check_auth(&ctx, token, "POST /v1/cs/configs".into()) {
        return r;
    }
    let (ns, g, d) = match v1_key(&p) {
        Ok(k) => k,
        Err(r) => return *r,
    };
    let Some(content) = p.content.as_deref() else {
        return (
            StatusCode::BAD_REQUEST,
            "Required parameter 'content' is not present",
        )
            .into_response();
    };
    put(
        &ctx.store,
        &ns,
        &g,
        &d,
        content,
        p.kind.as_deref().unwrap_or("text"),
    );
    "true".into_response()
}

async fn v1_delete(State(ctx): State<Ctx>, Query(p): Query<V1Params>) -> Response {
    if ctx.api == SimApi::V3Only {
        return gone_spring("/nacos/v1/cs/configs", "client");
    }
    if let Some(r) = check_auth(
        &ctx,
        p.access_token.as_deref(),
        "DELETE /v1/cs/configs".into(),
    ) {
        return r;
    }
    let (ns, g, d) = match v1_key(&p) {
        Ok(k) => k,
        Err(r) => return *r,
    };
    remove(&ctx.store, &ns, &g, &d);
    "true".into_response()
}

#[derive(Deserialize)]
struct ListenForm {
    #[serde(rename = "Listening-Configs")]
    listening: Option<String>,
    #[serde(rename = "accessToken")]
    access_token: Option<String>,
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(rename = "accessToken")]
    access_token: Option<String>,
}

/// Keys of `listening` whose MD5 differs from the store, encoded as the listener answers.
fn changed(store: &Store, listening: &[(String, String, String, String)]) -> String {
    let d = store.lock();
    let mut out = String::new();
    for (id, g, md5, ns) in listening {
        let now = d
            .configs
            .get(&(ns.clone(), g.clone(), id.clone()))
            .map(|s| s.md5.as_str())
            .unwrap_or("");
        if now != md5 {
            out.push_str(id);
            out.push('\u{2}');
            out.push_str(g);
            if !ns.is_empty() {
                out.push('\u{2}');
                out.push_str(ns);
            }
            out.push('\u{1}');
        }
    }
    url::form_urlencoded::byte_serialize(out.as_bytes()).collect()
}

async fn v1_listener(
    State(ctx): State<Ctx>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
    Form(f): Form<ListenForm>,
) -> Response {
    if ctx.api == SimApi::V3Only {
        return gone_spring("/nacos/v1/cs/configs/listener", "client");
    }
    let token = q.access_token.as_deref().or(f.access_token.as_deref());
    if let Some(r) = check_auth(&ctx, token, "POST /v1/cs/configs/listener".into()) {
        return r;
    }
    let Some(raw) = f.listening.filter(|s| !s.is_empty()) else {
        return (StatusCode::BAD_REQUEST, "invalid probeModify").into_response();
    };
    let mut listening = Vec::new();
    for item in raw.split('\u{1}').filter(|s| !s.is_empty()) {
        let parts: Vec<&str> = item.split('\u{2}').collect();
        if parts.len() < 3 || parts.len() > 4 {
            return (StatusCode::BAD_REQUEST, "invalid probeModify").into_response();
        }
        listening.push((
            parts[0].to_string(),
            parts[1].to_string(),
            parts[2].to_string(),
            ns_of(parts.get(3).copied()),
        ));
    }
    let timeout = headers
        .get("Long-Pulling-Timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let Some(timeout) = timeout else {
        // Without the header the server answers at once.
        return changed(&ctx.store, &listening).into_response();
    };
    let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout.min(120_000));
    loop {
        let notified = ctx.store.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let now = changed(&ctx.store, &listening);
        if !now.is_empty() {
            return now.into_response();
        }
        let stopping = ctx.stopping.notified();
        tokio::select! {
            _ = notified => {}
            _ = stopping => return (StatusCode::SERVICE_UNAVAILABLE, "server is shutting down").into_response(),
            _ = tokio::time::sleep_until(deadline) => return String::new().into_response(),
        }
    }
}

#[derive(Deserialize)]
struct V3Params {
    #[serde(rename = "dataId")]
    data_id: Option<String>,
    #[serde(rename = "groupName")]
    group: Option<String>,
    #[serde(rename = "namespaceId")]
    namespace: Option<String>,
    content: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "accessToken")]
    access_token: Option<String>,
}

fn v3_key(p: &V3Params) -> std::result::Result<(String, String, String), Box<Response>> {
    match (&p.data_id, &p.group) {
        (Some(d), Some(g)) if !d.is_empty() && !g.is_empty() => {
            Ok((ns_of(p.namespace.as_deref()), g.clone(), d.clone()))
        }
        _ => Err(Box::new(envelope(
            StatusCode::BAD_REQUEST,
            10000,
            "parameter missing",
            serde_json::Value::String(
                "Required parameter 'dataId' or 'groupName' is not present".into(),
            ),
        ))),
    }
}

async fn v3_get(State(ctx): State<Ctx>, Query(p): Query<V3Params>) -> Response {
    if ctx.api == SimApi::V2 {
        return not_found_spring("/nacos/v3/client/cs/config");
    }
    if let Some(r) = check_auth(
        &ctx,
        p.access_token.as_deref(),
        "GET /v3/client/cs/config".into(),
    ) {
        return r;
    }
    let key = match v3_key(&p) {
        Ok(k) => k,
        Err(r) => return *r,
    };
    let found = ctx.store.lock().configs.get(&key).cloned();
    match found {
        Some(s) => envelope(
            StatusCode::OK,
            0,
            "success",
            serde_json::json!({
                "content": s.content,
                "encryptedDataKey": "",
                "contentType": s.kind,
                "md5": s.md5,
                "lastModified": 1_700_000_000_000_i64,
                "beta": false,
            }),
        ),
        // As Nacos 3.1 answers (recorded): 200, code 20004, data null.
        None => envelope(
            StatusCode::OK,
            20004,
            "resource not found",
            serde_json::Value::Null,
        ),
    }
}

async fn v3_publish(
    State(ctx): State<Ctx>,
    Query(q): Query<V3Params>,
    Form(p): Form<V3Params>,
) -> Response {
    if ctx.api == SimApi::V2 {
        return not_found_spring("/nacos/v3/admin/cs/config");
    }
    let token = q.access_token.as_deref().or(p.access_token.as_deref());
    if let Some(r) = check_auth(&ctx, token, "POST /v3/admin/cs/config".into()) {
        return r;
    }
    let (ns, g, d) = match v3_key(&p) {
        Ok(k) => k,
        Err(r) => return *r,
    };
    let content = p.content.as_deref().unwrap_or("");
    put(
        &ctx.store,
        &ns,
        &g,
        &d,
        content,
        p.kind.as_deref().unwrap_or("text"),
    );
    envelope(StatusCode::OK, 0, "success", serde_json::Value::Bool(true))
}

async fn v3_delete(State(ctx): State<Ctx>, Query(p): Query<V3Params>) -> Response {
    if ctx.api == SimApi::V2 {
        return not_found_spring("/nacos/v3/admin/cs/config");
    }
    if let Some(r) = check_auth(
        &ctx,
        p.access_token.as_deref(),
        "DELETE /v3/admin/cs/config".into(),
    ) {
        return r;
    }
    let (ns, g, d) = match v3_key(&p) {
        Ok(k) => k,
        Err(r) => return *r,
    };
    remove(&ctx.store, &ns, &g, &d);
    envelope(StatusCode::OK, 0, "success", serde_json::Value::Bool(true))
}
