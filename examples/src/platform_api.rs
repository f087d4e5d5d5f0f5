//! The HTTP JSON API of `examples/platform.rs`: a small in-house platform on the SDK's
//! [`Platform`] facade, with bearer tokens mapped to principals. Kept in the library so that a
//! test can start the router on `127.0.0.1:0` in process.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use streampark::artifact::ArtifactRef;
use streampark::platform::{
    AuditQuery, Member, Platform, Principal, StopHow, Team, TeamVariable, User,
};
use streampark::{Alert, AlertError, AlertSink, Error, JobId, JobSpec, LogOptions, StopOutcome};

/// Bearer tokens and the users they stand for. `Debug` never shows a token.
#[derive(Clone, Default)]
pub struct Tokens(HashMap<String, String>);

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut users: Vec<&String> = self.0.values().collect();
        users.sort();
        f.debug_struct("Tokens").field("users", &users).finish()
    }
}

impl Tokens {
    /// Parses `token=user,token=user` (the `STREAMPARK_PLATFORM_TOKENS` format).
    ///
    /// # Errors
    /// An entry without `=` or with an empty side (the entry's position is named, never its
    /// token).
    pub fn parse(s: &str) -> Result<Tokens, Error> {
        let mut map = HashMap::new();
        for (i, entry) in s.split(',').filter(|e| !e.trim().is_empty()).enumerate() {
            match entry.trim().split_once('=') {
                Some((t, u)) if !t.is_empty() && !u.is_empty() => {
                    map.insert(t.to_string(), u.to_string());
                }
                _ => {
                    return Err(Error::invalid_config(
                        "platform-api",
                        "STREAMPARK_PLATFORM_TOKENS",
                        format!("entry {} is not `token=user`", i + 1),
                    ));
                }
            }
        }
        Ok(Tokens(map))
    }

    /// Adds one token.
    #[must_use]
    pub fn with(mut self, token: impl Into<String>, user: impl Into<String>) -> Self {
        self.0.insert(token.into(), user.into());
        self
    }

    fn principal(&self, headers: &HeaderMap) -> Option<Principal> {
        let h = headers.get("authorization")?.to_str().ok()?;
        let token = h.strip_prefix("Bearer ")?;
        self.0.get(token).map(Principal::user)
    }
}

#[derive(Clone, Debug)]
struct AppState {
    platform: Platform,
    tokens: Arc<Tokens>,
    alerts: AlertLog,
}

/// The engine's latest alerts (at most [`AlertLog::CAP`], oldest dropped first), an
/// [`AlertSink`] for [`PlatformBuilder::with_alert_sink`](streampark::platform::PlatformBuilder::with_alert_sink)
/// that `GET /alerts` reads.
#[derive(Clone, Debug, Default)]
pub struct AlertLog(Arc<std::sync::Mutex<std::collections::VecDeque<Alert>>>);

impl AlertLog {
    /// How many alerts are kept.
    pub const CAP: usize = 1000;

    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    fn snapshot(&self) -> Vec<Alert> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

#[async_trait::async_trait]
impl AlertSink for AlertLog {
    fn name(&self) -> &str {
        "http-alert-log"
    }
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        let mut q = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() >= Self::CAP {
            q.pop_front();
        }
        q.push_back(alert.clone());
        Ok(())
    }
}

/// An error answer: `{"error": category, "message": …}` with a matching status.
#[derive(Debug)]
struct ApiError(StatusCode, String, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1, "message": self.2}))).into_response()
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let (status, cat) = match &e {
            Error::PermissionDenied { .. } => (StatusCode::FORBIDDEN, "permission_denied"),
            Error::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            Error::InvalidInput { .. } | Error::InvalidConfig { .. } => {
                (StatusCode::BAD_REQUEST, "invalid_input")
            }
            Error::Fenced { .. } => (StatusCode::CONFLICT, "fenced"),
            Error::Unavailable { .. } | Error::Timeout { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            _ => (StatusCode::BAD_GATEWAY, "backend"),
        };
        ApiError(status, cat.into(), e.to_string())
    }
}

fn bad(what: &str) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, "invalid_input".into(), what.into())
}

type ApiResult = Result<Json<Value>, ApiError>;

fn who(s: &AppState, h: &HeaderMap) -> Result<Principal, ApiError> {
    s.tokens.principal(h).ok_or_else(|| {
        ApiError(
            StatusCode::UNAUTHORIZED,
            "unauthenticated".into(),
            "missing or unknown bearer token".into(),
        )
    })
}

fn job_id(id: &str) -> Result<JobId, ApiError> {
    JobId::new(id).map_err(ApiError::from)
}

fn to_json<T: serde::Serialize>(v: &T) -> ApiResult {
    serde_json::to_value(v).map(Json).map_err(|_| {
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal".into(),
            "cannot encode the answer".into(),
        )
    })
}

#[derive(Debug, Deserialize)]
struct Edit {
    spec: JobSpec,
    #[serde(default)]
    message: String,
    /// Connector/UDF jars; on update, absent keeps the current ones.
    artifacts: Option<Vec<ArtifactRef>>,
}

async fn list(State(s): State<AppState>, h: HeaderMap) -> ApiResult {
    let p = who(&s, &h)?;
    to_json(&s.platform.list(&p).await?)
}

async fn create(State(s): State<AppState>, h: HeaderMap, Json(e): Json<Edit>) -> ApiResult {
    let p = who(&s, &h)?;
    let artifacts = e.artifacts.unwrap_or_default();
    to_json(
        &s.platform
            .create_job_with_artifacts(&p, e.spec, artifacts, &e.message)
            .await?,
    )
}

async fn show(State(s): State<AppState>, h: HeaderMap, Path(id): Path<String>) -> ApiResult {
    let p = who(&s, &h)?;
    to_json(&s.platform.job(&p, &job_id(&id)?).await?)
}

async fn update(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    Json(e): Json<Edit>,
) -> ApiResult {
    let p = who(&s, &h)?;
    if e.spec.id.as_str() != id {
        return Err(bad("the spec's id differs from the URL's"));
    }
    to_json(
        &s.platform
            .update_job_with_artifacts(&p, e.spec, e.artifacts, &e.message)
            .await?,
    )
}

async fn delete(State(s): State<AppState>, h: HeaderMap, Path(id): Path<String>) -> ApiResult {
    let p = who(&s, &h)?;
    s.platform.delete_job(&p, &job_id(&id)?).await?;
    Ok(Json(json!({"deleted": id})))
}

#[derive(Debug, Default, Deserialize)]
struct CheckBody {
    script: Option<String>,
}

async fn check(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Option<Json<CheckBody>>,
) -> ApiResult {
    let p = who(&s, &h)?;
    let script = body.and_then(|b| b.0.script);
    let report = s
        .platform
        .check(&p, &job_id(&id)?, script.as_deref())
        .await?;
    let diags: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| json!({"severity": d.severity.to_string(), "code": d.code, "line": d.span.line, "column": d.span.column, "message": d.message}))
        .collect();
    Ok(Json(
        json!({"valid": report.is_valid(), "diagnostics": diags}),
    ))
}

async fn deploy(State(s): State<AppState>, h: HeaderMap, Path(id): Path<String>) -> ApiResult {
    let p = who(&s, &h)?;
    to_json(&s.platform.deploy(&p, &job_id(&id)?).await?)
}

#[derive(Debug, Default, Deserialize)]
struct StopBody {
    #[serde(default)]
    cancel: bool,
}

async fn stop(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Option<Json<StopBody>>,
) -> ApiResult {
    let p = who(&s, &h)?;
    let how = if body.is_some_and(|b| b.0.cancel) {
        StopHow::Cancel
    } else {
        StopHow::Savepoint
    };
    let out = s.platform.stop(&p, &job_id(&id)?, how).await?;
    Ok(Json(match out {
        StopOutcome::Stopped { savepoint } => {
            json!({"stopped": true, "savepoint": savepoint.map(|s| s.path)})
        }
        _ => json!({"stopped": false, "savepoint": null}),
    }))
}

async fn restart(State(s): State<AppState>, h: HeaderMap, Path(id): Path<String>) -> ApiResult {
    let p = who(&s, &h)?;
    to_json(&s.platform.restart(&p, &job_id(&id)?).await?)
}

async fn savepoint(State(s): State<AppState>, h: HeaderMap, Path(id): Path<String>) -> ApiResult {
    let p = who(&s, &h)?;
    to_json(&s.platform.savepoint(&p, &job_id(&id)?).await?)
}

#[derive(Debug, Deserialize)]
struct LogsQuery {
    file: Option<String>,
    max_bytes: Option<usize>,
}

async fn logs(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<LogsQuery>,
) -> ApiResult {
    let p = who(&s, &h)?;
    let mut opts = match q.file {
        Some(f) => LogOptions::file(f),
        None => LogOptions::default(),
    };
    if let Some(n) = q.max_bytes {
        opts = opts.with_max_bytes(n);
    }
    let l = s.platform.logs(&p, &job_id(&id)?, opts).await?;
    let files: Vec<Value> = l
        .files
        .iter()
        .map(|f| json!({"name": f.name, "size": f.size}))
        .collect();
    Ok(Json(json!({
        "files": files,
        "name": l.name,
        "content": l.content,
        "truncated": l.truncated,
    })))
}

#[derive(Debug, Deserialize)]
struct EventParams {
    #[serde(default)]
    after: u64,
    limit: Option<usize>,
}

async fn events(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<EventParams>,
) -> ApiResult {
    let p = who(&s, &h)?;
    let limit = q.limit.unwrap_or(200).min(1000);
    to_json(&s.platform.events(&p, &job_id(&id)?, q.after, limit).await?)
}

/// The engine's alerts about the jobs the caller may view, oldest first.
async fn list_alerts(State(s): State<AppState>, h: HeaderMap) -> ApiResult {
    let p = who(&s, &h)?;
    let visible: std::collections::HashSet<String> = s
        .platform
        .list(&p)
        .await?
        .into_iter()
        .map(|m| m.current.spec.id.to_string())
        .collect();
    Ok(Json(Value::Array(
        s.alerts
            .snapshot()
            .into_iter()
            .filter(|a| a.job.as_ref().is_some_and(|j| visible.contains(j)))
            .map(|a| {
                json!({
                    "severity": a.severity.to_string(),
                    "title": a.title,
                    "text": a.text,
                    "job": a.job,
                    "team": a.team,
                    "labels": a.labels,
                    "annotations": a.annotations,
                })
            })
            .collect(),
    )))
}

async fn status(State(s): State<AppState>, h: HeaderMap, Path(id): Path<String>) -> ApiResult {
    let p = who(&s, &h)?;
    let v = s.platform.status(&p, &job_id(&id)?).await?;
    Ok(Json(json!({
        "job": v.job.as_str(),
        "cluster": v.cluster,
        "desired": v.desired.as_str(),
        "attempt": v.attempt,
        "state": v.state.map(|s| s.as_str()),
        "deployment": v.deployment.map(|d| d.to_string()),
        "next_restart_ms": v.next_restart_ms,
    })))
}

async fn deploys(State(s): State<AppState>, h: HeaderMap, Path(id): Path<String>) -> ApiResult {
    let p = who(&s, &h)?;
    to_json(&s.platform.deploys(&p, &job_id(&id)?).await?)
}

async fn versions(State(s): State<AppState>, h: HeaderMap, Path(id): Path<String>) -> ApiResult {
    let p = who(&s, &h)?;
    to_json(&s.platform.versions(&p, &job_id(&id)?).await?)
}

#[derive(Debug, Deserialize)]
struct DiffQuery {
    from: u64,
    to: u64,
}

async fn diff(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> ApiResult {
    let p = who(&s, &h)?;
    to_json(&s.platform.diff(&p, &job_id(&id)?, q.from, q.to).await?)
}

#[derive(Debug, Deserialize)]
struct RollbackBody {
    to: u64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    redeploy: bool,
}

async fn rollback(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    Json(b): Json<RollbackBody>,
) -> ApiResult {
    let p = who(&s, &h)?;
    let (v, d) = s
        .platform
        .rollback(&p, &job_id(&id)?, b.to, &b.message, b.redeploy)
        .await?;
    Ok(Json(json!({"version": v, "deployed": d})))
}

#[derive(Debug, Deserialize)]
struct AuditParams {
    job: Option<String>,
    user: Option<String>,
    team: Option<String>,
    from_ms: Option<i64>,
    to_ms: Option<i64>,
    #[serde(default)]
    after: u64,
    #[serde(default)]
    limit: usize,
}

async fn audit(State(s): State<AppState>, h: HeaderMap, Query(a): Query<AuditParams>) -> ApiResult {
    let p = who(&s, &h)?;
    let mut q = AuditQuery::new().with_page(a.after, a.limit.min(1000));
    if let Some(j) = a.job {
        q = q.with_job(j);
    }
    if let Some(u) = a.user {
        q = q.with_user(u);
    }
    if let Some(t) = a.team {
        q = q.with_team(t);
    }
    if a.from_ms.is_some() || a.to_ms.is_some() {
        q = q.with_time_range(a.from_ms.unwrap_or(i64::MIN), a.to_ms.unwrap_or(i64::MAX));
    }
    to_json(&s.platform.audit(&p, q).await?)
}

#[derive(Debug, Deserialize)]
struct NewUser {
    id: String,
    #[serde(default)]
    admin: bool,
}

async fn put_user(State(s): State<AppState>, h: HeaderMap, Json(u): Json<NewUser>) -> ApiResult {
    let p = who(&s, &h)?;
    s.platform
        .put_user(&p, User::new(&u.id).with_admin(u.admin))
        .await?;
    Ok(Json(json!({"user": u.id})))
}

#[derive(Debug, Deserialize)]
struct NewTeam {
    id: String,
}

async fn put_team(State(s): State<AppState>, h: HeaderMap, Json(t): Json<NewTeam>) -> ApiResult {
    let p = who(&s, &h)?;
    s.platform.put_team(&p, Team::new(&t.id)).await?;
    Ok(Json(json!({"team": t.id})))
}

#[derive(Debug, Deserialize)]
struct NewMember {
    user: String,
    role: String,
}

async fn put_member(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(team): Path<String>,
    Json(m): Json<NewMember>,
) -> ApiResult {
    let p = who(&s, &h)?;
    s.platform
        .put_member(&p, Member::new(&team, &m.user, &m.role))
        .await?;
    Ok(Json(json!({"team": team, "user": m.user, "role": m.role})))
}

#[derive(Debug, Deserialize)]
struct NewVariable {
    value: String,
    #[serde(default)]
    secret: bool,
}

async fn put_variable(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((team, name)): Path<(String, String)>,
    Json(v): Json<NewVariable>,
) -> ApiResult {
    let p = who(&s, &h)?;
    let var = if v.secret {
        TeamVariable::secret(&team, &name, v.value)
    } else {
        TeamVariable::new(&team, &name, v.value)
    };
    s.platform.set_variable(&p, var).await?;
    Ok(Json(json!({"team": team, "name": name})))
}

async fn variables(State(s): State<AppState>, h: HeaderMap, Path(team): Path<String>) -> ApiResult {
    let p = who(&s, &h)?;
    let vars = s.platform.variables(&p, &team).await?;
    Ok(Json(Value::Array(
        vars.iter()
            .map(|v| json!({"name": v.name, "value": v.shown(), "secret": v.secret}))
            .collect(),
    )))
}

/// Largest request body accepted (a job spec with its SQL).
pub const MAX_BODY: usize = 1024 * 1024;

/// Every error answer is `{"error","message"}` JSON, the framework's own rejections too (bad
/// JSON, missing fields, wrong content type, body too large, unknown route, wrong method),
/// which axum answers in plain text or with an empty body.
async fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let body = axum::body::to_bytes(resp.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let mut message = String::from_utf8_lossy(&body).trim().to_string();
    if message.is_empty() {
        message = status.canonical_reason().unwrap_or("error").to_string();
    }
    let category = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_client_error() => "invalid_input",
        _ => "internal",
    };
    (status, Json(json!({"error": category, "message": message}))).into_response()
}

async fn no_route() -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        "not_found".into(),
        "no such route".into(),
    )
}

/// The API's router over `platform`, authenticating with `tokens` (`GET /alerts` stays empty).
pub fn router(platform: Platform, tokens: Tokens) -> Router {
    router_with_alerts(platform, tokens, AlertLog::new())
}

/// [`router`] whose `GET /alerts` reads `alerts` (give the same log to the platform's
/// engine with `PlatformBuilder::with_alert_sink`).
pub fn router_with_alerts(platform: Platform, tokens: Tokens, alerts: AlertLog) -> Router {
    let state = AppState {
        platform,
        tokens: Arc::new(tokens),
        alerts,
    };
    Router::new()
        .route("/jobs", get(list).post(create))
        .route("/jobs/{id}", get(show).put(update).delete(delete))
        .route("/jobs/{id}/check", post(check))
        .route("/jobs/{id}/deploy", post(deploy))
        .route("/jobs/{id}/stop", post(stop))
        .route("/jobs/{id}/restart", post(restart))
        .route("/jobs/{id}/savepoint", post(savepoint))
        .route("/jobs/{id}/logs", get(logs))
        .route("/jobs/{id}/events", get(events))
        .route("/jobs/{id}/status", get(status))
        .route("/jobs/{id}/deploys", get(deploys))
        .route("/jobs/{id}/versions", get(versions))
        .route("/jobs/{id}/diff", get(diff))
        .route("/jobs/{id}/rollback", post(rollback))
        .route("/audit", get(audit))
        .route("/alerts", get(list_alerts))
        .route("/users", post(put_user))
        .route("/teams", post(put_team))
        .route("/teams/{team}/members", post(put_member))
        .route("/teams/{team}/variables", get(variables))
        .route(
            "/teams/{team}/variables/{name}",
            axum::routing::put(put_variable),
        )
        .fallback(no_route)
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::map_response(json_errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_and_never_show() {
        let t = Tokens::parse("s3cr3t-1=root, s3cr3t-2=ann").unwrap();
        let shown = format!("{t:?}");
        assert!(
            shown.contains("ann") && !shown.contains("s3cr3t"),
            "{shown}"
        );
        let e = Tokens::parse("s3cr3t-1=root,s3cr3t-2")
            .unwrap_err()
            .to_string();
        assert!(e.contains("entry 2") && !e.contains("s3cr3t"), "{e}");
    }
}
