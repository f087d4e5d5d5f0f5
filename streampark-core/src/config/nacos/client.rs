//! The Nacos Open API over HTTP: login and token renewal, failover between servers, v1 and
//! v3 (Nacos 3.x) endpoints.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use url::Url;

use super::NacosApi;
use crate::config::{ConfigFormat, ConfigKey};
use crate::{Error, Result};

const BACKEND: &str = "nacos";

/// The server's API generation, detected per server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// Nacos 1.x / 2.x: `/v1/cs/configs` and the long-polling listener.
    V1,
    /// Nacos 3.x without the legacy adapter: `/v3/client/cs/config`, `/v3/admin/cs/config`.
    V3,
}

struct Token {
    value: String,
    refresh_at: Instant,
}

#[derive(Default)]
struct State {
    current: usize,
    tokens: HashMap<usize, Token>,
    modes: HashMap<usize, Mode>,
}

pub(super) struct Client {
    pub(super) http: reqwest::Client,
    /// Base URLs including the context path, ending in `/` (`http://h:8848/nacos/`).
    pub(super) servers: Vec<Url>,
    pub(super) username: Option<String>,
    pub(super) password: Option<String>,
    pub(super) api: NacosApi,
    pub(super) request_timeout: Duration,
    pub(super) long_poll: Duration,
    state: Mutex<State>,
}

/// What one call wants, independent of the server's API generation.
pub(super) enum Op<'a> {
    Get(&'a ConfigKey),
    Publish(&'a ConfigKey, &'a str, ConfigFormat),
    Delete(&'a ConfigKey),
    Listen(&'a ConfigKey, &'a str),
}

impl Op<'_> {
    fn name(&self) -> &'static str {
        match self {
            Op::Get(_) => "get config",
            Op::Publish(..) => "publish config",
            Op::Delete(_) => "delete config",
            Op::Listen(..) => "listen for config",
        }
    }
}

/// What came back.
#[derive(Debug)]
pub(super) enum Reply {
    Config(Option<(String, Option<ConfigFormat>)>),
    Done,
    Listen(ListenOutcome),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ListenOutcome {
    Changed,
    Unchanged,
    /// The server has no HTTP listener (Nacos 3.x): poll instead.
    NotSupported,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LoginReply {
    pub(super) access_token: String,
    #[serde(default = "default_ttl")]
    pub(super) token_ttl: u64,
}

fn default_ttl() -> u64 {
    18_000
}

#[derive(Deserialize)]
pub(super) struct Envelope<T> {
    pub(super) code: i64,
    #[serde(default)]
    pub(super) message: Option<String>,
    pub(super) data: Option<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct V3Config {
    pub(super) content: Option<String>,
    #[serde(default)]
    pub(super) content_type: Option<String>,
}

/// Failures that make us try the next server.
enum Attempt {
    /// Try the next server.
    Next(Error),
    /// Give up now (bad credentials, bad request): the same everywhere.
    Fatal(Error),
    /// The endpoint of the API generation in use is not there (`410 Gone`: turned off by
    /// Nacos 3.x's compatibility settings; an unmapped path): detect the API again.
    Missing(Error),
}

/// What an answer says about the endpoint that gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Endpoint {
    /// The endpoint exists (whatever the answer means otherwise).
    Present,
    /// `410 Gone`: Nacos 3.x answers so for a v1 API its compatibility settings turned off.
    Gone,
    /// The web framework's "no such path" (Spring's JSON `{status, path}`, 405), or an empty
    /// 404 that no Nacos endpoint gives.
    Unmapped,
}

/// Classifies an answer: is the endpoint there at all?
pub(super) fn endpoint_of(status: StatusCode, body: &str) -> Endpoint {
    if status == StatusCode::GONE {
        Endpoint::Gone
    } else if status == StatusCode::METHOD_NOT_ALLOWED
        || (status == StatusCode::NOT_FOUND && (body.trim().is_empty() || is_unmapped_path(body)))
    {
        Endpoint::Unmapped
    } else {
        Endpoint::Present
    }
}

/// The error for a missing endpoint, naming what answered and what to do.
fn missing(shown: &str, status: StatusCode, mode: Mode) -> Error {
    let why = match (status, mode) {
        (StatusCode::GONE, Mode::V1) => {
            "the v1 API is turned off on this server (Nacos 3.x with \
             nacos.core.api.compatibility.client.enabled=false); use the v3 API"
        }
        (StatusCode::GONE, Mode::V3) => "the v3 API is turned off on this server",
        (_, Mode::V1) => "no v1 API on this server (Nacos 3.x? use NacosApi::V3)",
        (_, Mode::V3) => "no v3 API on this server (Nacos before 3.0? use NacosApi::V1)",
    };
    Error::Unsupported {
        backend: BACKEND,
        operation: format!("{shown} answered {status}: {why}"),
    }
}

fn unavailable(what: String, e: reqwest::Error) -> Error {
    Error::Unavailable {
        backend: BACKEND,
        what,
        retry_after: None,
        // reqwest's error carries the URL, whose query holds the access token.
        source: Some(Box::new(e.without_url())),
    }
}

/// The listener's answer: URL-encoded `dataId%02group[%02tenant]%01…`.
pub(super) fn parse_changed_keys(body: &str) -> Vec<(String, String, String)> {
    let decoded: String = url::form_urlencoded::parse(format!("k={body}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    decoded
        .split('\u{1}')
        .filter(|s| !s.trim().is_empty())
        .map(|item| {
            let mut parts = item.split('\u{2}');
            let d = parts.next().unwrap_or("").to_string();
            let g = parts.next().unwrap_or("").to_string();
            let t = parts.next().unwrap_or("").to_string();
            (d, g, t)
        })
        .collect()
}

/// The `Listening-Configs` value for one key: `dataId^2group^2md5[^2tenant]^1`.
pub(super) fn listening_configs(key: &ConfigKey, md5: &str) -> String {
    let mut s = format!("{}\u{2}{}\u{2}{md5}", key.data_id(), key.group());
    if !key.namespace().is_empty() {
        s.push('\u{2}');
        s.push_str(key.namespace());
    }
    s.push('\u{1}');
    s
}

impl Client {
    pub(super) fn new(
        http: reqwest::Client,
        servers: Vec<Url>,
        username: Option<String>,
        password: Option<String>,
        api: NacosApi,
        request_timeout: Duration,
        long_poll: Duration,
    ) -> Self {
        Client {
            http,
            servers,
            username,
            password,
            api,
            request_timeout,
            long_poll,
            state: Mutex::new(State::default()),
        }
    }

    fn endpoint(&self, idx: usize, path: &str) -> Result<Url> {
        self.servers[idx].join(path).map_err(|e| {
            Error::invalid_config(BACKEND, "server", format!("cannot join `{path}`: {e}"))
        })
    }

    /// `METHOD host/path` without query (never the token), for errors and logs.
    fn shown(&self, idx: usize, method: &Method, path: &str) -> String {
        let base = crate::spi::redact_url(self.servers[idx].as_str());
        format!("{method} {}{path}", base)
    }

    /// The server index to start with (the last one that answered).
    pub(super) fn current(&self) -> usize {
        self.state.lock().map(|s| s.current).unwrap_or(0)
    }

    async fn mode(&self, idx: usize) -> std::result::Result<Mode, Attempt> {
        match self.api {
            NacosApi::V1 => return Ok(Mode::V1),
            NacosApi::V3 => return Ok(Mode::V3),
            NacosApi::Auto => {}
        }
        if let Some(m) = self
            .state
            .lock()
            .ok()
            .and_then(|s| s.modes.get(&idx).copied())
        {
            return Ok(m);
        }
        let mode = self.detect(idx).await?;
        tracing::debug!(server = idx, ?mode, "nacos API detected");
        if let Ok(mut s) = self.state.lock() {
            s.modes.insert(idx, mode);
        }
        Ok(mode)
    }

    /// Decides v1 or v3 by what the config endpoints themselves answer (never by console
    /// endpoints, which Nacos 3.x answers with `410 Gone` and other servers lack): the v1
    /// config endpoint first (it has the long-polling listener), the v3 client endpoint when
    /// v1 is gone or unmapped; an error naming both answers when neither is there.
    async fn detect(&self, idx: usize) -> std::result::Result<Mode, Attempt> {
        let probe = ConfigKey::new(PROBE_DATA_ID);
        let v1 = self.probe(idx, "v1/cs/configs", &v1_key(&probe)).await?;
        if v1.1 == Endpoint::Present {
            return Ok(Mode::V1);
        }
        let v3 = self
            .probe(idx, "v3/client/cs/config", &v3_key(&probe))
            .await?;
        if v3.1 == Endpoint::Present {
            return Ok(Mode::V3);
        }
        Err(Attempt::Fatal(Error::Unsupported {
            backend: BACKEND,
            operation: format!(
                "no Nacos config API at {}: {} answered {} and {} answered {}",
                crate::spi::redact_url(self.servers[idx].as_str()),
                self.shown(idx, &Method::GET, "v1/cs/configs"),
                v1.0,
                self.shown(idx, &Method::GET, "v3/client/cs/config"),
                v3.0
            ),
        }))
    }

    /// `GET path` without a token: its status and what it says about the endpoint. A login
    /// wall (401/403) is an endpoint that exists.
    async fn probe(
        &self,
        idx: usize,
        path: &'static str,
        query: &[(&'static str, String)],
    ) -> std::result::Result<(StatusCode, Endpoint), Attempt> {
        let shown = self.shown(idx, &Method::GET, path);
        let url = self.endpoint(idx, path).map_err(Attempt::Fatal)?;
        let resp = self
            .http
            .get(url)
            .query(query)
            .timeout(self.request_timeout)
            .send()
            .await
            .map_err(|e| Attempt::Next(unavailable(shown.clone(), e)))?;
        let status = resp.status();
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(Attempt::Next(Error::Unavailable {
                backend: BACKEND,
                what: format!("{shown} answered {status}"),
                retry_after: None,
                source: None,
            }));
        }
        let body = resp
            .text()
            .await
            .map_err(|e| Attempt::Next(unavailable(shown.clone(), e)))?;
        Ok((status, endpoint_of(status, &body)))
    }

    fn forget_mode(&self, idx: usize) {
        if let Ok(mut s) = self.state.lock() {
            s.modes.remove(&idx);
            s.tokens.remove(&idx);
        }
    }

    async fn token(
        &self,
        idx: usize,
        mode: Mode,
        force: bool,
    ) -> std::result::Result<Option<String>, Attempt> {
        let (Some(user), Some(pass)) = (&self.username, &self.password) else {
            return Ok(None);
        };
        if !force
            && let Some(t) = self.state.lock().ok().and_then(|s| {
                s.tokens
                    .get(&idx)
                    .filter(|t| Instant::now() < t.refresh_at)
                    .map(|t| t.value.clone())
            })
        {
            return Ok(Some(t));
        }
        let path = match mode {
            Mode::V1 => "v1/auth/login",
            Mode::V3 => "v3/auth/user/login",
        };
        let shown = self.shown(idx, &Method::POST, path);
        let url = self.endpoint(idx, path).map_err(Attempt::Fatal)?;
        let resp = self
            .http
            .post(url)
            .timeout(self.request_timeout)
            .form(&[("username", user.as_str()), ("password", pass.as_str())])
            .send()
            .await
            .map_err(|e| Attempt::Next(unavailable(shown.clone(), e)))?;
        let status = resp.status();
        if matches!(
            status,
            StatusCode::GONE | StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
        ) {
            return Err(Attempt::Missing(missing(&shown, status, mode)));
        }
        if status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED {
            return Err(Attempt::Fatal(Error::PermissionDenied {
                backend: BACKEND,
                reason: format!("login of user `{user}` refused by {shown} ({status})"),
            }));
        }
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            // Nacos 3.x throws for a wrong user name or password, and its filters turn that
            // into a 500 (seen on 3.1: "Handle API Compatibility failed" on the v1 path,
            // "No message available" on the v3 one). The server answered, so it is up:
            // retrying would only hide the refusal.
            return Err(Attempt::Fatal(Error::PermissionDenied {
                backend: BACKEND,
                reason: format!(
                    "login of user `{user}` failed: {shown} answered {status}, which is how \
                     Nacos 3.x refuses a wrong user name or password (if they are right, see \
                     the server's log)"
                ),
            }));
        }
        if !status.is_success() {
            return Err(Attempt::Next(Error::Unavailable {
                backend: BACKEND,
                what: format!("{shown} answered {status}"),
                retry_after: None,
                source: None,
            }));
        }
        let body = resp
            .text()
            .await
            .map_err(|e| Attempt::Next(unavailable(shown.clone(), e)))?;
        let reply: LoginReply = serde_json::from_str(&body).map_err(|e| {
            Attempt::Next(Error::Protocol {
                backend: BACKEND,
                endpoint: shown.clone(),
                // serde's message may quote the answer, which holds the token: say where only.
                reason: format!(
                    "login answer is not {{accessToken, tokenTtl}} ({:?} error at line {} column {})",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
                source: None,
            })
        })?;
        let ttl = Duration::from_secs(reply.token_ttl.max(1));
        // Renew when 90 % of the lifetime is gone, as Nacos's own clients do.
        let refresh_at = Instant::now() + ttl.mul_f64(0.9);
        tracing::debug!(server = idx, ttl_s = ttl.as_secs(), "nacos login");
        if let Ok(mut s) = self.state.lock() {
            s.tokens.insert(
                idx,
                Token {
                    value: reply.access_token.clone(),
                    refresh_at,
                },
            );
        }
        Ok(Some(reply.access_token))
    }

    /// Runs `op` on the servers in turn, starting with the last one that answered.
    pub(super) async fn call(&self, op: Op<'_>) -> Result<Reply> {
        let n = self.servers.len();
        let start = self.current();
        let mut last_err = None;
        for i in 0..n {
            let idx = (start + i) % n;
            match self.call_on(idx, &op).await {
                Ok(reply) => {
                    if let Ok(mut s) = self.state.lock() {
                        if s.current != idx {
                            tracing::info!(server = %crate::spi::redact_url(self.servers[idx].as_str()), "nacos failover");
                        }
                        s.current = idx;
                    }
                    return Ok(reply);
                }
                Err(Attempt::Fatal(e) | Attempt::Missing(e)) => return Err(e),
                Err(Attempt::Next(e)) => {
                    tracing::debug!(server = idx, error = %e, op = op.name(), "nacos server failed");
                    // forget the detected mode: the server may come back upgraded
                    if let Ok(mut s) = self.state.lock() {
                        s.modes.remove(&idx);
                    }
                    last_err = Some(e);
                }
            }
        }
        Err(Error::Unavailable {
            backend: BACKEND,
            what: format!("{} ({n} nacos server(s))", op.name()),
            retry_after: None,
            source: last_err.map(|e| Box::new(e) as crate::BoxError),
        })
    }

    async fn call_on(&self, idx: usize, op: &Op<'_>) -> std::result::Result<Reply, Attempt> {
        let mode = self.mode(idx).await?;
        match self.call_in(idx, mode, op).await {
            // The API in use went away (an upgrade, a compatibility setting turned off): the
            // other generation is the only one left; an error naming both when it is not
            // there either. (Not a new probe: behind a login wall a probe cannot tell.)
            Err(Attempt::Missing(e)) if self.api == NacosApi::Auto => {
                let other = match mode {
                    Mode::V1 => Mode::V3,
                    Mode::V3 => Mode::V1,
                };
                tracing::info!(server = idx, error = %e, ?other, "nacos API gone, switching");
                if let Ok(mut s) = self.state.lock() {
                    s.modes.insert(idx, other);
                }
                match self.call_in(idx, other, op).await {
                    Err(Attempt::Missing(e2)) => {
                        self.forget_mode(idx);
                        Err(Attempt::Fatal(Error::Unsupported {
                            backend: BACKEND,
                            operation: format!("neither Nacos config API answers: {e}; {e2}"),
                        }))
                    }
                    other => other,
                }
            }
            other => other,
        }
    }

    async fn call_in(
        &self,
        idx: usize,
        mode: Mode,
        op: &Op<'_>,
    ) -> std::result::Result<Reply, Attempt> {
        let mut token = self.token(idx, mode, false).await?;
        for retry in 0..2 {
            let (method, path, resp) = self.send(idx, mode, op, token.as_deref()).await?;
            let status = resp.status();
            if status == StatusCode::FORBIDDEN && token.is_some() && retry == 0 {
                // The token expired or was revoked: log in again once.
                tracing::debug!(server = idx, "nacos answered 403, renewing the token");
                token = self.token(idx, mode, true).await?;
                continue;
            }
            return self.read(idx, mode, op, &method, path, resp).await;
        }
        Err(Attempt::Fatal(Error::PermissionDenied {
            backend: BACKEND,
            reason: format!(
                "{} refused by {}",
                op.name(),
                self.shown(idx, &Method::GET, "")
            ),
        }))
    }

    async fn send(
        &self,
        idx: usize,
        mode: Mode,
        op: &Op<'_>,
        token: Option<&str>,
    ) -> std::result::Result<(Method, &'static str, reqwest::Response), Attempt> {
        let mut q: Vec<(&str, String)> = Vec::new();
        let mut headers: Vec<(&str, String)> = Vec::new();
        if let Some(t) = token {
            // The v1 docs pass it as a query parameter, the 3.x quickstart as a header:
            // Nacos reads either, so send both.
            q.push(("accessToken", t.to_string()));
            headers.push(("accessToken", t.to_string()));
        }
        let mut form: Vec<(&str, String)> = Vec::new();
        let mut timeout = self.request_timeout;
        let (method, path) = match (mode, op) {
            (Mode::V1, Op::Get(k)) => {
                q.extend(v1_key(k));
                (Method::GET, "v1/cs/configs")
            }
            (Mode::V1, Op::Publish(k, content, fmt)) => {
                form.extend(v1_key(k));
                form.push(("content", content.to_string()));
                form.push(("type", fmt.as_str().to_string()));
                (Method::POST, "v1/cs/configs")
            }
            (Mode::V1, Op::Delete(k)) => {
                q.extend(v1_key(k));
                (Method::DELETE, "v1/cs/configs")
            }
            (Mode::V1, Op::Listen(k, md5)) => {
                form.push(("Listening-Configs", listening_configs(k, md5)));
                headers.push((
                    "Long-Pulling-Timeout",
                    self.long_poll.as_millis().to_string(),
                ));
                timeout = self.long_poll + self.long_poll / 2 + Duration::from_secs(5);
                (Method::POST, "v1/cs/configs/listener")
            }
            (Mode::V3, Op::Get(k)) => {
                q.extend(v3_key(k));
                (Method::GET, "v3/client/cs/config")
            }
            (Mode::V3, Op::Publish(k, content, fmt)) => {
                form.extend(v3_key(k));
                form.push(("content", content.to_string()));
                form.push(("type", fmt.as_str().to_string()));
                (Method::POST, "v3/admin/cs/config")
            }
            (Mode::V3, Op::Delete(k)) => {
                q.extend(v3_key(k));
                (Method::DELETE, "v3/admin/cs/config")
            }
            (Mode::V3, Op::Listen(..)) => {
                return Err(Attempt::Fatal(Error::Unsupported {
                    backend: BACKEND,
                    operation: "HTTP listener on Nacos 3.x".into(),
                }));
            }
        };
        let url = self.endpoint(idx, path).map_err(Attempt::Fatal)?;
        let mut req = self
            .http
            .request(method.clone(), url)
            .timeout(timeout)
            .query(&q);
        for (h, v) in headers {
            req = req.header(h, v);
        }
        if !form.is_empty() {
            req = req.form(&form);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| Attempt::Next(unavailable(self.shown(idx, &method, path), e)))?;
        Ok((method, path, resp))
    }

    async fn read(
        &self,
        idx: usize,
        mode: Mode,
        op: &Op<'_>,
        method: &Method,
        path: &str,
        resp: reqwest::Response,
    ) -> std::result::Result<Reply, Attempt> {
        let shown = self.shown(idx, method, path);
        let status = resp.status();
        let config_type = resp
            .headers()
            .get("Config-Type")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<ConfigFormat>().ok());
        let body = resp
            .text()
            .await
            .map_err(|e| Attempt::Next(unavailable(shown.clone(), e)))?;
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(Attempt::Next(Error::Unavailable {
                backend: BACKEND,
                what: format!("{shown} answered {status}"),
                retry_after: None,
                source: None,
            }));
        }
        if status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED {
            return Err(Attempt::Fatal(Error::PermissionDenied {
                backend: BACKEND,
                reason: format!("{} refused by {shown} ({status})", op.name()),
            }));
        }
        if endpoint_of(status, &body) != Endpoint::Present
            && !(mode == Mode::V3 && is_envelope(&body))
        {
            return Err(Attempt::Missing(missing(&shown, status, mode)));
        }
        let protocol = |reason: String| {
            Attempt::Fatal(Error::Protocol {
                backend: BACKEND,
                endpoint: shown.clone(),
                reason,
                source: None,
            })
        };
        match (mode, op) {
            (Mode::V1, Op::Get(_)) => match status {
                StatusCode::OK => Ok(Reply::Config(Some((body, config_type)))),
                StatusCode::NOT_FOUND => Ok(Reply::Config(None)),
                s => Err(protocol(format!("status {s}"))),
            },
            (Mode::V1, Op::Publish(..) | Op::Delete(_)) => {
                if status.is_success() && body.trim() == "true" {
                    Ok(Reply::Done)
                } else {
                    Err(protocol(format!("status {status}, answer is not `true`")))
                }
            }
            (Mode::V1, Op::Listen(..)) => {
                if !status.is_success() {
                    return Err(protocol(format!("status {status}")));
                }
                Ok(Reply::Listen(if parse_changed_keys(&body).is_empty() {
                    ListenOutcome::Unchanged
                } else {
                    ListenOutcome::Changed
                }))
            }
            (Mode::V3, Op::Get(_)) => {
                let env: Envelope<serde_json::Value> =
                    serde_json::from_str(&body).map_err(|e| {
                        protocol(format!(
                            "status {status}, not a Nacos answer envelope ({:?} error at line {} column {})",
                            e.classify(),
                            e.line(),
                            e.column()
                        ))
                    })?;
                match (env.code, env.data) {
                    (0, Some(data)) => {
                        // Not the serde message: it may quote the content.
                        let d: V3Config = serde_json::from_value(data).map_err(|_| {
                            protocol("code 0 but `data` is not {content, contentType}".into())
                        })?;
                        Ok(Reply::Config(Some((
                            d.content.unwrap_or_default(),
                            d.content_type.and_then(|t| t.parse().ok()),
                        ))))
                    }
                    // Nacos 3.x: 200 with code 20004 (resource not found) and data null.
                    (20004, _) => Ok(Reply::Config(None)),
                    (code, _) => Err(protocol(format!(
                        "status {status}, code {code}: {}",
                        env.message.unwrap_or_default()
                    ))),
                }
            }
            (Mode::V3, Op::Publish(..) | Op::Delete(_)) => {
                let env: Envelope<serde_json::Value> = serde_json::from_str(&body)
                    .map_err(|e| protocol(format!("not a Nacos answer envelope: {e}")))?;
                if env.code == 0 {
                    Ok(Reply::Done)
                } else {
                    Err(protocol(format!(
                        "code {}: {}",
                        env.code,
                        env.message.unwrap_or_default()
                    )))
                }
            }
            (Mode::V3, Op::Listen(..)) => Ok(Reply::Listen(ListenOutcome::NotSupported)),
        }
    }
}

/// The data id the API detection asks for (its answer is never used).
const PROBE_DATA_ID: &str = "streampark.api-probe";

/// A Nacos v2/v3 answer envelope `{"code": …}`.
fn is_envelope(body: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .is_some_and(|v| v.get("code").is_some_and(serde_json::Value::is_i64))
}

/// A web framework's "no such path" answer (JSON with `status` and `path`), as opposed to
/// Nacos's own "config data not exist" for a missing config.
fn is_unmapped_path(body: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .is_some_and(|v| v.get("path").is_some() && v.get("status").is_some())
}

fn v1_key(k: &ConfigKey) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("dataId", k.data_id().to_string()),
        ("group", k.group().to_string()),
    ];
    if !k.namespace().is_empty() {
        v.push(("tenant", k.namespace().to_string()));
    }
    v
}

fn v3_key(k: &ConfigKey) -> Vec<(&'static str, String)> {
    let ns = if k.namespace().is_empty() {
        "public"
    } else {
        k.namespace()
    };
    vec![
        ("dataId", k.data_id().to_string()),
        ("groupName", k.group().to_string()),
        ("namespaceId", ns.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_configs_format() {
        let k = ConfigKey::new("app.yaml").with_group("G");
        assert_eq!(listening_configs(&k, ""), "app.yaml\u{2}G\u{2}\u{1}");
        let k = k.with_namespace("ns1");
        assert_eq!(
            listening_configs(&k, "abc"),
            "app.yaml\u{2}G\u{2}abc\u{2}ns1\u{1}"
        );
    }

    #[test]
    fn changed_keys_from_the_docs_example() {
        // The Open API page's example answer of the listener.
        let keys = parse_changed_keys("dataId%02group%02tenant%01");
        assert_eq!(
            keys,
            vec![("dataId".into(), "group".into(), "tenant".into())]
        );
        assert!(parse_changed_keys("").is_empty());
        assert!(parse_changed_keys("\n").is_empty());
        let fixture = include_str!("../../../tests/fixtures/nacos/listener_changed.txt");
        assert_eq!(parse_changed_keys(fixture).len(), 1);
    }

    #[test]
    fn docs_login_answer_parses() {
        let body = include_str!("../../../tests/fixtures/nacos/login_v1.json");
        let r: LoginReply = serde_json::from_str(body).unwrap();
        assert!(r.access_token.starts_with("eyJhbGciOiJIUzI1NiJ9."));
        assert_eq!(r.token_ttl, 18000);
    }

    #[test]
    fn docs_v3_envelope_parses() {
        let body = include_str!("../../../tests/fixtures/nacos/get_v3.json");
        let env: Envelope<V3Config> = serde_json::from_str(body).unwrap();
        assert_eq!(env.code, 0);
        let data = env.data.unwrap();
        assert_eq!(data.content.as_deref(), Some("contentTest"));
        assert_eq!(data.content_type.as_deref(), Some("TEXT"));
    }
}
