//! An HA-aware client for the YARN ResourceManager REST API (`/ws/v1/cluster`).
//!
//! - **HA**: a standby RM redirects (307) every `/ws/v1` path except `/ws/v1/cluster/info`.
//!   The client probes `haState` on each configured RM, caches the active one, and on a 307 or
//!   a connection error probes again (failover) and retries the call once per RM. It never
//!   follows a `Location` blindly (a redirect to an unknown host is not trusted).
//! - **Auth**: simple auth only (`user.name` query parameter on every request). Kerberos
//!   (SPNEGO) is not implemented: asking for it is [`Error::Unsupported`].
//! - Every call has a timeout and a `yarn.http` debug span; URLs in errors are redacted.

mod types;

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use streampark_core::spi::redact_url;
use streampark_core::{Error, Result};
use url::Url;

use crate::http::{self, Answer, Body};
use types::*;
pub use types::{
    App, AppAttempt, AppQuery, AppState, ClusterInfo, Container, FinalStatus, HaState, Queue,
};

const BACKEND: &str = crate::BACKEND;

/// Builder of [`ResourceManagerClient`].
#[derive(Clone, Default)]
#[must_use]
pub struct ResourceManagerClientBuilder {
    urls: Vec<Url>,
    user: Option<String>,
    timeout: Option<Duration>,
    kerberos: bool,
}

impl fmt::Debug for ResourceManagerClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let urls: Vec<String> = self.urls.iter().map(|u| redact_url(u.as_str())).collect();
        f.debug_struct("ResourceManagerClientBuilder")
            .field("urls", &urls)
            .field("user", &self.user)
            .field("timeout", &self.timeout)
            .field("kerberos", &self.kerberos)
            .finish()
    }
}

impl ResourceManagerClientBuilder {
    /// The RM web addresses (`http://rm1:8088`), one per HA id.
    pub fn with_urls(mut self, urls: Vec<Url>) -> Self {
        self.urls = urls;
        self
    }
    /// Adds one RM address.
    pub fn with_url(mut self, url: Url) -> Self {
        self.urls.push(url);
        self
    }
    http::user_and_timeout_setters!(
        user: "The `user.name` for simple auth (`None`: no user; write calls then fail with 403/401).",
        timeout: "Per-request timeout (default 10 s)."
    );
    /// Asks for Kerberos (SPNEGO). Not implemented: `build()` then fails with
    /// [`Error::Unsupported`].
    pub fn with_kerberos(mut self, yes: bool) -> Self {
        self.kerberos = yes;
        self
    }
    /// Validates and builds.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for no URL or a URL that is not http(s);
    /// [`Error::Unsupported`] when Kerberos was asked for.
    pub fn build(self) -> Result<ResourceManagerClient> {
        if self.kerberos {
            return Err(Error::Unsupported {
                backend: BACKEND,
                operation: "Kerberos (SPNEGO) authentication to the ResourceManager".into(),
            });
        }
        if self.urls.is_empty() {
            return Err(Error::invalid_config(
                BACKEND,
                "resource manager urls",
                "no URL given",
            ));
        }
        let mut urls = Vec::with_capacity(self.urls.len());
        for u in self.urls {
            urls.push(base(http::checked_base(
                BACKEND,
                "resource manager urls",
                u,
            )?));
        }
        let timeout = self.timeout.unwrap_or(Duration::from_secs(10));
        Ok(ResourceManagerClient {
            inner: Arc::new(Inner {
                http: http::no_redirect_client(BACKEND, timeout)?,
                urls,
                user: self.user,
                timeout,
                active: Mutex::new(None),
            }),
        })
    }
}

/// The URL with a trailing slash so that `join` keeps any path prefix.
fn base(mut u: Url) -> Url {
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    u
}

/// A client for one YARN cluster (one or several RMs in HA). Cheap to clone; `Send + Sync`.
///
/// ```
/// use streampark_yarn::rm::ResourceManagerClient;
/// let rm = ResourceManagerClient::builder()
///     .with_urls(vec!["http://rm1:8088".parse()?, "http://rm2:8088".parse()?])
///     .with_user(Some("flink".into()))
///     .build()?;
/// assert_eq!(rm.urls().len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ResourceManagerClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    urls: Vec<Url>,
    user: Option<String>,
    timeout: Duration,
    /// Index of the RM last seen active.
    active: Mutex<Option<usize>>,
}

impl fmt::Debug for ResourceManagerClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let urls: Vec<String> = self
            .inner
            .urls
            .iter()
            .map(|u| redact_url(u.as_str()))
            .collect();
        f.debug_struct("ResourceManagerClient")
            .field("urls", &urls)
            .field("user", &self.inner.user)
            .field("timeout", &self.inner.timeout)
            .finish()
    }
}

impl ResourceManagerClient {
    /// A builder.
    pub fn builder() -> ResourceManagerClientBuilder {
        ResourceManagerClientBuilder::default()
    }

    /// The configured RM addresses.
    pub fn urls(&self) -> &[Url] {
        &self.inner.urls
    }

    /// The simple-auth user.
    pub fn user(&self) -> Option<&str> {
        self.inner.user.as_deref()
    }

    fn url(&self, base: &Url, path: &str, params: &[(&str, String)]) -> Result<Url> {
        let mut u = base.join(path.trim_start_matches('/')).map_err(|e| {
            Error::invalid_input(BACKEND, "ResourceManager path", path, e.to_string())
        })?;
        {
            let mut q = u.query_pairs_mut();
            for (k, v) in params {
                q.append_pair(k, v);
            }
            if let Some(user) = &self.inner.user {
                q.append_pair("user.name", user);
            }
        }
        if u.query() == Some("") {
            u.set_query(None);
        }
        Ok(u)
    }

    /// `GET /ws/v1/cluster/info` of one RM (never redirected, even by a standby).
    async fn probe(&self, base: &Url) -> Result<ClusterInfo> {
        let url = self.url(base, "ws/v1/cluster/info", &[])?;
        let endpoint = format!("GET {}", redact_url(url.as_str()));
        let a = http::send(
            BACKEND,
            &self.inner.http,
            self.inner.timeout,
            Method::GET,
            &url,
            Body::None,
        )
        .await?;
        if !a.status.is_success() {
            return Err(http::status_error(BACKEND, &endpoint, "cluster info", &a));
        }
        Ok(http::decode::<ClusterInfoWrapper>(BACKEND, &endpoint, &a.body)?.cluster_info)
    }

    /// One probe of `/ws/v1/cluster/info` per RM; never fails as a whole.
    pub async fn cluster_infos(&self) -> Vec<(Url, Result<ClusterInfo>)> {
        let probes = self
            .inner
            .urls
            .iter()
            .map(|u| async move { (u.clone(), self.probe(u).await) });
        futures::future::join_all(probes).await
    }

    /// The RM whose `haState` is `ACTIVE` (or the only one configured), probing every RM.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when no RM is active, listing what each one answered.
    pub async fn active(&self) -> Result<Url> {
        Ok(self.inner.urls[self.find_active().await?].clone())
    }

    async fn find_active(&self) -> Result<usize> {
        if self.inner.urls.len() == 1 {
            return Ok(0);
        }
        let infos = self.cluster_infos().await;
        let mut seen = Vec::new();
        for (i, (u, r)) in infos.iter().enumerate() {
            match r {
                Ok(info) if info.ha_state == Some(HaState::Active) || info.ha_state.is_none() => {
                    self.set_active(Some(i));
                    return Ok(i);
                }
                Ok(info) => seen.push(format!("{} is {:?}", redact_url(u.as_str()), info.ha_state)),
                Err(e) => seen.push(format!("{}: {e}", redact_url(u.as_str()))),
            }
        }
        self.set_active(None);
        Err(Error::Unavailable {
            backend: BACKEND,
            what: format!("active ResourceManager ({})", seen.join("; ")),
            retry_after: None,
            source: None,
        })
    }

    fn set_active(&self, i: Option<usize>) {
        if let Ok(mut g) = self.inner.active.lock() {
            *g = i;
        }
    }

    fn cached_active(&self) -> Option<usize> {
        self.inner.active.lock().ok().and_then(|g| *g)
    }

    /// Sends to the active RM; on a redirect (standby) or a connection error it re-probes and
    /// tries again, at most once per configured RM.
    async fn call(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, String)],
        body: Option<serde_json::Value>,
    ) -> Result<(String, Answer)> {
        let tries = self.inner.urls.len() + 1;
        let mut last: Option<Error> = None;
        for _ in 0..tries {
            let idx = match self.cached_active() {
                Some(i) => i,
                None => match self.find_active().await {
                    Ok(i) => i,
                    Err(e) => return Err(last.unwrap_or(e)),
                },
            };
            let url = self.url(&self.inner.urls[idx], path, params)?;
            let endpoint = format!("{method} {}", redact_url(url.as_str()));
            let b = body.clone().map(Body::Json).unwrap_or(Body::None);
            match http::send(
                BACKEND,
                &self.inner.http,
                self.inner.timeout,
                method.clone(),
                &url,
                b,
            )
            .await
            {
                Ok(a) if a.status.is_redirection() => {
                    tracing::info!(rm = %redact_url(self.inner.urls[idx].as_str()), "ResourceManager redirected (standby?); probing for the active one");
                    self.set_active(None);
                    last = Some(Error::Unavailable {
                        backend: BACKEND,
                        what: format!("{endpoint}: redirected by a standby ResourceManager"),
                        retry_after: None,
                        source: None,
                    });
                }
                Ok(a) => return Ok((endpoint, a)),
                Err(e @ Error::Unavailable { .. }) => {
                    self.set_active(None);
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::Unavailable {
            backend: BACKEND,
            what: "ResourceManager".into(),
            retry_after: None,
            source: None,
        }))
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, String)],
        what: &str,
    ) -> Result<T> {
        let (endpoint, a) = self.call(Method::GET, path, params, None).await?;
        if !a.status.is_success() {
            return Err(http::status_error(BACKEND, &endpoint, what, &a));
        }
        http::decode(BACKEND, &endpoint, &a.body)
    }

    /// Applications matching every filter of `query`, in one request. No match (`{"apps": {}}`
    /// from Hadoop 3.4, `{"apps": null}` in its docs) is an empty list.
    pub async fn apps(&self, query: &AppQuery) -> Result<Vec<App>> {
        let w: AppsWrapper = self
            .get("ws/v1/cluster/apps", &query.params(), "applications")
            .await?;
        Ok(w.apps.map(|a| a.app).unwrap_or_default())
    }

    /// One application.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id.
    pub async fn app(&self, id: &str) -> Result<App> {
        let id = check_id(id)?;
        let w: AppWrapper = self
            .get(
                &format!("ws/v1/cluster/apps/{id}"),
                &[],
                &format!("application {id}"),
            )
            .await?;
        Ok(w.app)
    }

    /// The state of one application.
    pub async fn app_state(&self, id: &str) -> Result<AppState> {
        let id = check_id(id)?;
        let w: StateBody = self
            .get(
                &format!("ws/v1/cluster/apps/{id}/state"),
                &[],
                &format!("application {id}"),
            )
            .await?;
        Ok(w.state)
    }

    /// Kills an application (`PUT …/state {"state":"KILLED"}`) and waits (within the client
    /// timeout) until the RM reports a terminal state; returns that state. An application that
    /// already ended is left alone and its final state returned (kill races are not errors).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id; [`Error::PermissionDenied`] without a user;
    /// [`Error::Timeout`] when the kill is accepted but not done in time.
    pub async fn kill(&self, id: &str) -> Result<AppState> {
        let id = check_id(id)?;
        let path = format!("ws/v1/cluster/apps/{id}/state");
        let what = format!("application {id}");
        let start = tokio::time::Instant::now();
        loop {
            let body = serde_json::json!({"state": "KILLED"});
            let (endpoint, a) = self.call(Method::PUT, &path, &[], Some(body)).await?;
            match a.status {
                StatusCode::OK => {
                    let s: StateBody = http::decode(BACKEND, &endpoint, &a.body)?;
                    if s.state.is_terminal() {
                        return Ok(s.state);
                    }
                }
                StatusCode::ACCEPTED => {}
                _ => return Err(http::status_error(BACKEND, &endpoint, &what, &a)),
            }
            if start.elapsed() >= self.inner.timeout {
                return Err(Error::Timeout {
                    backend: BACKEND,
                    operation: format!("kill {what}"),
                    after: self.inner.timeout,
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The attempts of an application (one per application-master start).
    pub async fn attempts(&self, id: &str) -> Result<Vec<AppAttempt>> {
        let id = check_id(id)?;
        let w: AttemptsWrapper = self
            .get(
                &format!("ws/v1/cluster/apps/{id}/appattempts"),
                &[],
                &format!("application {id}"),
            )
            .await?;
        Ok(w.app_attempts.map(|a| a.app_attempt).unwrap_or_default())
    }

    /// The containers of one attempt (`attempt` is the full `appattempt_…` id).
    pub async fn containers(&self, id: &str, attempt: &str) -> Result<Vec<Container>> {
        let id = check_id(id)?;
        let attempt = check_id(attempt)?;
        let w: ContainersWrapper = self
            .get(
                &format!("ws/v1/cluster/apps/{id}/appattempts/{attempt}/containers"),
                &[],
                &format!("attempt {attempt}"),
            )
            .await?;
        Ok(w.containers
            .map(|c| c.container)
            .or(w.container)
            .unwrap_or_default())
    }

    /// Every queue of the scheduler (`GET /ws/v1/cluster/scheduler`), parents before their
    /// children: the Capacity Scheduler's `queues.queue` tree, the Fair Scheduler's
    /// `rootQueue.childQueues`, and the FIFO scheduler's single `default` queue.
    ///
    /// # Errors
    /// [`Error::Protocol`] for an answer that is not a scheduler description; the RM's errors.
    pub async fn queues(&self) -> Result<Vec<Queue>> {
        let endpoint = "GET /ws/v1/cluster/scheduler";
        let v: serde_json::Value = self
            .get("ws/v1/cluster/scheduler", &[], "scheduler")
            .await?;
        parse_queues(&v).map_err(|reason| Error::Protocol {
            backend: BACKEND,
            endpoint: endpoint.into(),
            reason,
            source: None,
        })
    }

    /// The RM proxy base for an application's web UI / REST (`<active rm>/proxy/<id>/`). The
    /// proxy forwards only GET and PUT.
    pub async fn proxy_url(&self, id: &str) -> Result<Url> {
        let id = check_id(id)?;
        let idx = match self.cached_active() {
            Some(i) => i,
            None => self.find_active().await?,
        };
        let mut u = self.inner.urls[idx]
            .join(&format!("proxy/{id}/"))
            .map_err(|e| Error::invalid_input(BACKEND, "application id", id, e.to_string()))?;
        if let Some(user) = &self.inner.user {
            u.query_pairs_mut().append_pair("user.name", user);
        }
        Ok(u)
    }
}

/// The queues of a `/ws/v1/cluster/scheduler` answer (see [`ResourceManagerClient::queues`]).
fn parse_queues(v: &serde_json::Value) -> std::result::Result<Vec<Queue>, String> {
    let info = v
        .get("scheduler")
        .and_then(|s| s.get("schedulerInfo"))
        .filter(|i| i.is_object())
        .ok_or_else(|| "no scheduler.schedulerInfo object".to_string())?;
    let kind = info.get("type").and_then(|t| t.as_str()).unwrap_or("");
    let root = match kind {
        "fifoScheduler" => {
            return Ok(vec![Queue {
                name: "default".into(),
                path: "root.default".into(),
                leaf: true,
                state: info
                    .get("qstate")
                    .and_then(|s| s.as_str())
                    .map(str::to_string),
            }]);
        }
        "fairScheduler" => info
            .get("rootQueue")
            .ok_or_else(|| "a fairScheduler without rootQueue".to_string())?,
        _ => info,
    };
    let mut out = Vec::new();
    walk_queues(root, "", 0, &mut out)?;
    Ok(out)
}

/// The children of a scheduler queue node: `queues.queue` (Capacity) or `childQueues.queue`
/// (Fair), an array or, from Jersey's single-element rendering, one object.
fn child_queues(node: &serde_json::Value) -> Vec<&serde_json::Value> {
    let list = node
        .get("queues")
        .or_else(|| node.get("childQueues"))
        .and_then(|q| q.get("queue"));
    match list {
        Some(serde_json::Value::Array(a)) => a.iter().collect(),
        Some(o @ serde_json::Value::Object(_)) => vec![o],
        _ => Vec::new(),
    }
}

fn walk_queues(
    node: &serde_json::Value,
    parent: &str,
    depth: usize,
    out: &mut Vec<Queue>,
) -> std::result::Result<(), String> {
    if depth > 32 {
        return Err(format!("queue tree deeper than 32 levels under `{parent}`"));
    }
    let raw = node
        .get("queueName")
        .and_then(|n| n.as_str())
        .ok_or_else(|| {
            format!(
                "a queue without queueName under `{}`",
                if parent.is_empty() {
                    "the root"
                } else {
                    parent
                }
            )
        })?;
    // The Fair Scheduler reports full paths (`root.a.b`), the Capacity Scheduler own names.
    let name = raw.rsplit('.').next().unwrap_or(raw).to_string();
    let path = if raw.contains('.') || parent.is_empty() {
        raw.to_string()
    } else {
        format!("{parent}.{raw}")
    };
    let children = child_queues(node);
    let state = node
        .get("state")
        .and_then(|s| s.as_str())
        .map(str::to_string);
    out.push(Queue {
        name,
        path: path.clone(),
        leaf: children.is_empty(),
        state,
    });
    for c in children {
        walk_queues(c, &path, depth + 1, out)?;
    }
    Ok(())
}

/// Application, attempt and container ids are `[A-Za-z0-9_]+`.
fn check_id(id: &str) -> Result<&str> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(id)
    } else {
        Err(Error::invalid_input(
            BACKEND,
            "application id",
            id,
            "expected application_<timestamp>_<n>",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_of_the_three_schedulers() {
        // Shapes from ResourceManagerRest.md (Capacity and Fair Scheduler samples, trimmed).
        let capacity = serde_json::json!({"scheduler": {"schedulerInfo": {
        "type": "capacityScheduler", "queueName": "root", "capacity": 100.0,
        "queues": {"queue": [
            {"type": "capacitySchedulerLeafQueueInfo", "queueName": "default", "state": "RUNNING"},
            {"queueName": "team", "state": "RUNNING", "queues": {"queue":
                {"type": "capacitySchedulerLeafQueueInfo", "queueName": "etl", "state": "STOPPED"}}}
        ]}}}});
        let q = parse_queues(&capacity).unwrap();
        let paths: Vec<&str> = q.iter().map(|q| q.path.as_str()).collect();
        assert_eq!(
            paths,
            ["root", "root.default", "root.team", "root.team.etl"]
        );
        assert!(!q[0].leaf && q[1].leaf && !q[2].leaf && q[3].leaf);
        assert_eq!(q[3].state.as_deref(), Some("STOPPED"));
        assert!(
            q[3].is_named("etl") && q[3].is_named("root.team.etl") && q[3].is_named("team.etl")
        );
        assert!(!q[3].is_named("team"));

        let fair = serde_json::json!({"scheduler": {"schedulerInfo": {"type": "fairScheduler",
            "rootQueue": {"queueName": "root", "childQueues": {"queue": [
                {"queueName": "root.default", "childQueues": {}},
                {"queueName": "root.sample_queue", "childQueues": {"queue": [
                    {"queueName": "root.sample_queue.sample_sub_queue"}]}}]}}}}});
        let q = parse_queues(&fair).unwrap();
        let leaves: Vec<(&str, &str)> = q
            .iter()
            .filter(|q| q.leaf)
            .map(|q| (q.name.as_str(), q.path.as_str()))
            .collect();
        assert_eq!(
            leaves,
            [
                ("default", "root.default"),
                ("sample_sub_queue", "root.sample_queue.sample_sub_queue")
            ]
        );

        let fifo = serde_json::json!({"scheduler": {"schedulerInfo": {"type": "fifoScheduler", "qstate": "RUNNING"}}});
        let q = parse_queues(&fifo).unwrap();
        assert_eq!((q[0].name.as_str(), q[0].leaf), ("default", true));

        for bad in [
            serde_json::json!({"apps": {}}),
            serde_json::json!({"scheduler": {"schedulerInfo": "x"}}),
            serde_json::json!({"scheduler": {"schedulerInfo": {"type": "capacityScheduler",
                "queueName": "root", "queues": {"queue": [{"capacity": 1}]}}}}),
        ] {
            assert!(parse_queues(&bad).is_err(), "{bad}");
        }
        // A hostile, deeply nested answer is refused, not a stack overflow.
        let mut deep = serde_json::json!({"queueName": "leaf"});
        for i in 0..100 {
            deep = serde_json::json!({"queueName": format!("q{i}"), "queues": {"queue": [deep]}});
        }
        let err =
            parse_queues(&serde_json::json!({"scheduler": {"schedulerInfo": deep}})).unwrap_err();
        assert!(err.contains("deeper than 32"), "{err}");
    }

    #[test]
    fn kerberos_is_unsupported_and_urls_are_checked() {
        let e = ResourceManagerClient::builder()
            .with_url("http://rm:8088".parse().unwrap())
            .with_kerberos(true)
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
        let e = ResourceManagerClient::builder().build().unwrap_err();
        assert!(matches!(e, Error::InvalidConfig { .. }));
        let e = ResourceManagerClient::builder()
            .with_url("ftp://rm:21".parse().unwrap())
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::InvalidConfig { .. }));
    }

    #[test]
    fn query_parameters_go_in_one_request() {
        let c = ResourceManagerClient::builder()
            .with_url("http://rm:8088/prefix".parse().unwrap())
            .with_user(Some("flink".into()))
            .build()
            .unwrap();
        let q = AppQuery::new()
            .with_tag("StreamPark")
            .with_tag("job-a")
            .with_state(AppState::Running)
            .with_state(AppState::Accepted)
            .with_type("Apache Flink");
        let u = c
            .url(&c.inner.urls[0], "ws/v1/cluster/apps", &q.params())
            .unwrap();
        assert_eq!(
            u.as_str(),
            "http://rm:8088/prefix/ws/v1/cluster/apps?applicationTags=streampark%2Cjob-a&states=RUNNING%2CACCEPTED&applicationTypes=Apache+Flink&user.name=flink"
        );
    }

    #[test]
    fn ids_are_checked_before_they_reach_a_path() {
        assert!(check_id("application_1_2").is_ok());
        assert!(check_id("../x").is_err());
        assert!(check_id("").is_err());
    }
}
