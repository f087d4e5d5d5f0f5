//! The Flink REST client.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use super::types::*;
use crate::spi::{http_client_builder, redact_url};
use crate::{Error, Result};

const BACKEND: &str = "flink";

/// A typed client for one Flink cluster's REST API (v1). Cheap to clone; `Send + Sync`.
///
/// Every request has a timeout ([`FlinkClientBuilder::with_timeout`]); answers larger than
/// [`FlinkClientBuilder::with_max_answer_bytes`] are refused. Errors name the endpoint, the HTTP
/// status and Flink's own error text:
///
/// - connection trouble: [`Error::Unavailable`] (retryable);
/// - no answer in time: [`Error::Timeout`];
/// - 404: [`Error::NotFound`];
/// - 429, 502, 503, 504: [`Error::Unavailable`];
/// - any other 4xx/5xx: [`Error::Rejected`] with Flink's message (e.g. a SQL parse error);
/// - malformed, truncated or unexpected JSON: [`Error::Protocol`] with the line and column.
///
/// ```
/// use std::time::Duration;
/// use streampark_core::flink::FlinkClient;
/// let client = FlinkClient::builder()
///     .with_url("http://127.0.0.1:8081")
///     .with_timeout(Duration::from_secs(10))
///     .build()?;
/// assert_eq!(client.base_url().as_str(), "http://127.0.0.1:8081/");
/// # Ok::<(), streampark_core::Error>(())
/// ```
#[derive(Clone)]
pub struct FlinkClient {
    inner: Arc<Inner>,
}

struct Inner {
    base: url::Url,
    http: reqwest::Client,
    timeout: Duration,
    max_answer: usize,
}

impl fmt::Debug for FlinkClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlinkClient")
            .field("url", &redact_url(self.inner.base.as_str()))
            .field("timeout", &self.inner.timeout)
            .finish()
    }
}

/// Builder of [`FlinkClient`].
#[derive(Clone, Default)]
#[must_use]
pub struct FlinkClientBuilder {
    url: Option<String>,
    timeout: Option<Duration>,
    http: Option<reqwest::Client>,
    max_answer: Option<usize>,
}

impl fmt::Debug for FlinkClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlinkClientBuilder")
            .field("url", &self.url.as_deref().map(redact_url))
            .field("timeout", &self.timeout)
            .field("custom_http_client", &self.http.is_some())
            .finish()
    }
}

impl FlinkClientBuilder {
    /// The REST address of the JobManager, e.g. `http://jm:8081`.
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }
    /// Timeout of each request (default 30 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Use this HTTP client (proxies, custom TLS, tests). Its own timeout is not used; the
    /// builder's is applied per request.
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }
    /// Refuse answers larger than this (default 64 MiB).
    pub fn with_max_answer_bytes(mut self, n: usize) -> Self {
        self.max_answer = Some(n);
        self
    }

    /// Validates and builds.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the URL is missing, unparsable or not http(s), or the
    /// timeout is zero.
    pub fn build(self) -> Result<FlinkClient> {
        let raw = self
            .url
            .ok_or_else(|| Error::invalid_config(BACKEND, "url", "no REST URL given"))?;
        let mut base = url::Url::parse(raw.trim()).map_err(|e| {
            Error::invalid_config(BACKEND, "url", format!("`{}`: {e}", redact_url(&raw)))
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(Error::invalid_config(
                BACKEND,
                "url",
                format!("scheme `{}` is not http or https", base.scheme()),
            ));
        }
        if base.cannot_be_a_base() || base.host().is_none() {
            return Err(Error::invalid_config(BACKEND, "url", "no host"));
        }
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let timeout = self.timeout.unwrap_or(Duration::from_secs(30));
        if timeout.is_zero() {
            return Err(Error::invalid_config(BACKEND, "timeout", "must be > 0"));
        }
        let http = match self.http {
            Some(h) => h,
            None => http_client_builder()?.build().map_err(|e| Error::Other {
                backend: BACKEND,
                message: "building the HTTP client".into(),
                source: Some(Box::new(e)),
            })?,
        };
        Ok(FlinkClient {
            inner: Arc::new(Inner {
                base,
                http,
                timeout,
                max_answer: self.max_answer.unwrap_or(64 << 20),
            }),
        })
    }
}

/// A request body.
enum Body {
    None,
    Json(serde_json::Value),
    Jar { file_name: String, bytes: Vec<u8> },
}

impl FlinkClient {
    /// A builder.
    pub fn builder() -> FlinkClientBuilder {
        FlinkClientBuilder::default()
    }

    /// The cluster's REST base URL.
    pub fn base_url(&self) -> &url::Url {
        &self.inner.base
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    async fn send(&self, method: Method, path: &str, body: Body) -> Result<(StatusCode, Vec<u8>)> {
        let endpoint = format!("{method} {path}");
        let url = self.inner.base.join(&format!("v1{path}")).map_err(|e| {
            Error::invalid_input(BACKEND, "REST path", endpoint.clone(), e.to_string())
        })?;
        let span = tracing::debug_span!("flink.http", method = %method, path = %path, status = tracing::field::Empty);
        async {
            let mut req = self
                .inner
                .http
                .request(method.clone(), url.clone())
                .timeout(self.inner.timeout);
            req = match body {
                Body::None => req,
                Body::Json(v) => req.json(&v),
                Body::Jar { file_name, bytes } => {
                    let part = reqwest::multipart::Part::bytes(bytes)
                        .file_name(file_name)
                        .mime_str("application/x-java-archive")
                        .map_err(|e| Error::Other {
                            backend: BACKEND,
                            message: "multipart body".into(),
                            source: Some(Box::new(e)),
                        })?;
                    req.multipart(reqwest::multipart::Form::new().part("jarfile", part))
                }
            };
            let mut resp = req
                .send()
                .await
                .map_err(|e| self.transport_error(&endpoint, e))?;
            let status = resp.status();
            tracing::Span::current().record("status", status.as_u16());
            let mut buf = Vec::new();
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| self.transport_error(&endpoint, e))?
            {
                if buf.len() + chunk.len() > self.inner.max_answer {
                    return Err(Error::Protocol {
                        backend: BACKEND,
                        endpoint,
                        reason: format!("answer larger than {} bytes", self.inner.max_answer),
                        source: None,
                    });
                }
                buf.extend_from_slice(&chunk);
            }
            if status.is_success() {
                Ok((status, buf))
            } else {
                Err(status_error(&endpoint, status, &buf))
            }
        }
        .instrument(span)
        .await
    }

    fn transport_error(&self, endpoint: &str, e: reqwest::Error) -> Error {
        if e.is_timeout() {
            Error::Timeout {
                backend: BACKEND,
                operation: endpoint.to_string(),
                after: self.inner.timeout,
            }
        } else {
            Error::Unavailable {
                backend: BACKEND,
                what: format!("{endpoint} at {}", redact_url(self.inner.base.as_str())),
                retry_after: None,
                source: Some(Box::new(e.without_url())),
            }
        }
    }

    async fn json<T: DeserializeOwned>(&self, method: Method, path: &str, body: Body) -> Result<T> {
        let endpoint = format!("{method} {path}");
        let (_, bytes) = self.send(method, path, body).await?;
        decode(&endpoint, &bytes)
    }

    /// `GET /overview`: TaskManagers, slots, job counts, version.
    pub async fn overview(&self) -> Result<ClusterOverview> {
        self.json(Method::GET, "/overview", Body::None).await
    }

    /// `GET /config`: the dashboard configuration (version, features).
    pub async fn config(&self) -> Result<DashboardConfig> {
        self.json(Method::GET, "/config", Body::None).await
    }

    /// `GET /jobs/overview`: every job the cluster knows, in one call.
    pub async fn jobs_overview(&self) -> Result<Vec<JobOverview>> {
        let o: JobsOverview = self.json(Method::GET, "/jobs/overview", Body::None).await?;
        Ok(o.jobs)
    }

    /// `GET /jobs/:jobid`.
    pub async fn job(&self, job_id: &str) -> Result<JobDetailsInfo> {
        let id = check_hex_id("job id", job_id)?;
        self.json(Method::GET, &format!("/jobs/{id}"), Body::None)
            .await
    }

    /// `GET /jobs/:jobid/exceptions?maxExceptions=N`.
    pub async fn exceptions(&self, job_id: &str, max: u32) -> Result<JobExceptions> {
        let id = check_hex_id("job id", job_id)?;
        self.json(
            Method::GET,
            &format!("/jobs/{id}/exceptions?maxExceptions={max}"),
            Body::None,
        )
        .await
    }

    /// `GET /jobs/:jobid/checkpoints`.
    pub async fn checkpoints(&self, job_id: &str) -> Result<CheckpointStats> {
        let id = check_hex_id("job id", job_id)?;
        self.json(Method::GET, &format!("/jobs/{id}/checkpoints"), Body::None)
            .await
    }

    /// `POST /jobs/:jobid/savepoints` (body keys `target-directory`, `cancel-job`); returns the
    /// trigger id to poll with [`FlinkClient::savepoint_status`].
    pub async fn trigger_savepoint(
        &self,
        job_id: &str,
        target_dir: Option<&str>,
        cancel_job: bool,
    ) -> Result<String> {
        let id = check_hex_id("job id", job_id)?;
        let mut body = serde_json::json!({ "cancel-job": cancel_job });
        if let Some(d) = target_dir {
            body["target-directory"] = d.into();
        }
        let r: TriggerResponse = self
            .json(
                Method::POST,
                &format!("/jobs/{id}/savepoints"),
                Body::Json(body),
            )
            .await?;
        Ok(r.request_id)
    }

    /// `POST /jobs/:jobid/stop` (body keys `targetDirectory`, `drain`: camelCase, unlike the
    /// savepoint endpoint); returns the trigger id to poll.
    pub async fn stop_with_savepoint(
        &self,
        job_id: &str,
        target_dir: Option<&str>,
        drain: bool,
    ) -> Result<String> {
        let id = check_hex_id("job id", job_id)?;
        let mut body = serde_json::json!({ "drain": drain });
        if let Some(d) = target_dir {
            body["targetDirectory"] = d.into();
        }
        let r: TriggerResponse = self
            .json(Method::POST, &format!("/jobs/{id}/stop"), Body::Json(body))
            .await?;
        Ok(r.request_id)
    }

    /// `GET /jobs/:jobid/savepoints/:triggerid`.
    pub async fn savepoint_status(
        &self,
        job_id: &str,
        trigger_id: &str,
    ) -> Result<SavepointStatus> {
        let id = check_hex_id("job id", job_id)?;
        let t = check_hex_id("trigger id", trigger_id)?;
        self.json(
            Method::GET,
            &format!("/jobs/{id}/savepoints/{t}"),
            Body::None,
        )
        .await
    }

    /// Polls a savepoint (or stop) trigger until it completes; returns the savepoint path.
    ///
    /// # Errors
    /// [`Error::Rejected`] with Flink's failure cause when the savepoint failed,
    /// [`Error::Timeout`] after `timeout`.
    pub async fn wait_savepoint(
        &self,
        job_id: &str,
        trigger_id: &str,
        timeout: Duration,
    ) -> Result<String> {
        let start = tokio::time::Instant::now();
        let mut pause = Duration::from_millis(200);
        loop {
            let st = self.savepoint_status(job_id, trigger_id).await?;
            if st.is_completed() {
                let op = st.operation.unwrap_or_default();
                if let Some(loc) = op.location {
                    return Ok(loc);
                }
                let cause = op
                    .failure_cause
                    .map(|c| c.summary())
                    .unwrap_or_else(|| "Flink reported neither a location nor a cause".into());
                if cause.contains("FlinkJobNotFoundException") {
                    return Err(Error::not_found(BACKEND, format!("job {job_id} ({cause})")));
                }
                return Err(Error::Rejected {
                    backend: BACKEND,
                    operation: format!("savepoint of job {job_id}"),
                    message: cause,
                    source: None,
                });
            }
            if start.elapsed() >= timeout {
                return Err(Error::Timeout {
                    backend: BACKEND,
                    operation: format!("savepoint {trigger_id} of job {job_id}"),
                    after: timeout,
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    /// Takes a savepoint of a running job and waits for its path: [`FlinkClient::trigger_savepoint`]
    /// then [`FlinkClient::wait_savepoint`]. A job whose tasks are not all running yet (just
    /// deployed, restarting, or rescheduled after a TaskManager or ResourceManager failover)
    /// makes Flink abort the savepoint with "Not all required tasks are currently running";
    /// that is transient, so the savepoint is triggered again (every second) until `timeout`.
    ///
    /// # Errors
    /// As [`FlinkClient::wait_savepoint`]; [`Error::Timeout`] naming the last refusal.
    pub async fn savepoint_and_wait(
        &self,
        job_id: &str,
        target_dir: Option<&str>,
        timeout: Duration,
    ) -> Result<String> {
        self.savepoint_retrying(job_id, target_dir, None, timeout)
            .await
    }

    /// Stops a job with a savepoint (`POST /jobs/:jobid/stop`) and waits for the savepoint's
    /// path, triggering again while Flink answers that not all tasks are running (see
    /// [`FlinkClient::savepoint_and_wait`]).
    ///
    /// # Errors
    /// As [`FlinkClient::savepoint_and_wait`].
    pub async fn stop_with_savepoint_and_wait(
        &self,
        job_id: &str,
        target_dir: Option<&str>,
        drain: bool,
        timeout: Duration,
    ) -> Result<String> {
        self.savepoint_retrying(job_id, target_dir, Some(drain), timeout)
            .await
    }

    async fn savepoint_retrying(
        &self,
        job_id: &str,
        target_dir: Option<&str>,
        stop_drain: Option<bool>,
        timeout: Duration,
    ) -> Result<String> {
        let start = tokio::time::Instant::now();
        loop {
            let trigger = match stop_drain {
                None => self.trigger_savepoint(job_id, target_dir, false).await?,
                Some(drain) => self.stop_with_savepoint(job_id, target_dir, drain).await?,
            };
            let left = timeout.saturating_sub(start.elapsed());
            match self.wait_savepoint(job_id, &trigger, left).await {
                Err(Error::Rejected { message, .. }) if not_all_tasks_running(&message) => {
                    if start.elapsed() + Duration::from_secs(1) >= timeout {
                        return Err(Error::Timeout {
                            backend: BACKEND,
                            operation: format!(
                                "savepoint of job {job_id} (its tasks never all ran: {message})"
                            ),
                            after: timeout,
                        });
                    }
                    tracing::debug!(
                        job = job_id,
                        "savepoint refused while tasks start; triggering again"
                    );
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                other => return other,
            }
        }
    }

    /// `PATCH /jobs/:jobid?mode=cancel`.
    pub async fn cancel(&self, job_id: &str) -> Result<()> {
        let id = check_hex_id("job id", job_id)?;
        self.send(
            Method::PATCH,
            &format!("/jobs/{id}?mode=cancel"),
            Body::None,
        )
        .await
        .map(|_| ())
    }

    /// `POST /jars/upload` (multipart field `jarfile`); returns the jar id.
    pub async fn upload_jar(&self, file_name: &str, bytes: Vec<u8>) -> Result<String> {
        Ok(self.upload_jar_at(file_name, bytes).await?.0)
    }

    /// `POST /jars/upload`; returns the jar id and the file's path on the JobManager (the
    /// response's `filename`), which a program run by that JobManager can read.
    pub async fn upload_jar_at(&self, file_name: &str, bytes: Vec<u8>) -> Result<(String, String)> {
        let endpoint = "POST /jars/upload";
        let r: UploadResponse = self
            .json(
                Method::POST,
                "/jars/upload",
                Body::Jar {
                    file_name: file_name.to_string(),
                    bytes,
                },
            )
            .await?;
        if r.status != "success" {
            return Err(Error::Protocol {
                backend: BACKEND,
                endpoint: endpoint.into(),
                reason: format!("status `{}`", r.status),
                source: None,
            });
        }
        let id = r
            .filename
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        if id.is_empty() {
            return Err(Error::Protocol {
                backend: BACKEND,
                endpoint: endpoint.into(),
                reason: "empty `filename`".into(),
                source: None,
            });
        }
        Ok((id, r.filename))
    }

    /// `POST /jars/:jarid/run`; returns the Flink job id. A program that fails in `main()`
    /// yields [`Error::Rejected`] carrying Flink's error text.
    pub async fn run_jar(&self, jar_id: &str, req: &JarRunRequest) -> Result<String> {
        let jar = check_path_segment("jar id", jar_id)?;
        let body = serde_json::to_value(req).map_err(|e| Error::Other {
            backend: BACKEND,
            message: "encoding the run request".into(),
            source: Some(Box::new(e)),
        })?;
        let r: RunResponse = self
            .json(Method::POST, &format!("/jars/{jar}/run"), Body::Json(body))
            .await?;
        Ok(r.jobid)
    }

    /// `DELETE /jars/:jarid`.
    pub async fn delete_jar(&self, jar_id: &str) -> Result<()> {
        let jar = check_path_segment("jar id", jar_id)?;
        self.send(Method::DELETE, &format!("/jars/{jar}"), Body::None)
            .await
            .map(|_| ())
    }

    /// `GET /jobmanager/logs`: the JobManager's log files.
    pub async fn jobmanager_logs(&self) -> Result<Vec<LogEntry>> {
        let l: LogList = self
            .json(Method::GET, "/jobmanager/logs", Body::None)
            .await?;
        Ok(l.logs)
    }

    /// `GET /jobmanager/logs/:name`: one log file as text (lossy UTF-8).
    pub async fn jobmanager_log(&self, name: &str) -> Result<String> {
        let n = check_path_segment("log file name", name)?;
        let (_, bytes) = self
            .send(Method::GET, &format!("/jobmanager/logs/{n}"), Body::None)
            .await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Flink's `CheckpointFailureReason.NOT_ALL_REQUIRED_TASKS_RUNNING` (and the task-level
/// "is not being executed at the moment"): a savepoint asked for before every task runs.
fn not_all_tasks_running(message: &str) -> bool {
    message.contains("Not all required tasks are currently running")
        || message.contains("is not being executed at the moment")
}

fn check_hex_id<'a>(what: &str, id: &'a str) -> Result<&'a str> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id)
    } else {
        Err(Error::invalid_input(
            BACKEND,
            what,
            format!("`{}`", id.chars().take(40).collect::<String>()),
            "expected 32 hexadecimal characters",
        ))
    }
}

fn check_path_segment<'a>(what: &str, s: &'a str) -> Result<&'a str> {
    let ok = !s.is_empty()
        && s.len() <= 255
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(s)
    } else {
        Err(Error::invalid_input(
            BACKEND,
            what,
            format!("`{}`", s.chars().take(60).collect::<String>()),
            "only letters, digits, `-`, `_` and `.` are allowed",
        ))
    }
}

fn decode<T: DeserializeOwned>(endpoint: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "truncated JSON",
            serde_json::error::Category::Syntax => "malformed JSON",
            serde_json::error::Category::Data => "JSON of an unexpected shape",
            serde_json::error::Category::Io => "unreadable answer",
        };
        Error::Protocol {
            backend: BACKEND,
            endpoint: endpoint.to_string(),
            reason: format!("{what} at line {} column {}", e.line(), e.column()),
            source: Some(Box::new(e)),
        }
    })
}

fn status_error(endpoint: &str, status: StatusCode, body: &[u8]) -> Error {
    let flink_text = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .filter(|b| !b.errors.is_empty())
        .map(|b| {
            b.errors
                .iter()
                .map(|e| summarize_java_error(e))
                .filter(|s| !s.is_empty() && s != "Internal server error.")
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .unwrap_or_else(|| {
            let t = String::from_utf8_lossy(body);
            t.chars().take(300).collect::<String>().trim().to_string()
        });
    let message = format!("HTTP {}: {}", status.as_u16(), flink_text);
    match status.as_u16() {
        404 => Error::NotFound {
            backend: BACKEND,
            what: format!("{endpoint} ({message})"),
        },
        429 | 502 | 503 | 504 => Error::Unavailable {
            backend: BACKEND,
            what: format!("{endpoint} ({message})"),
            retry_after: None,
            source: None,
        },
        _ => Error::Rejected {
            backend: BACKEND,
            operation: endpoint.to_string(),
            message,
            source: None,
        },
    }
}

/// Condenses a Java error text (message + stack trace, possibly wrapped in Flink's
/// `<Exception on server side: … End of exception on server side>`) into its meaningful
/// causes, outermost first, without frames, wrappers or repeated messages, and with simple
/// class names: `ProgramInvocationException: The main method caused an error: SQL parse failed…`.
/// At most 4,000 characters.
pub(crate) fn summarize_java_error(text: &str) -> String {
    let mut causes: Vec<String> = Vec::new();
    let mut skipping_expectations = false;
    for line in text.lines() {
        let t = line.trim().trim_start_matches('[').trim_start_matches('<');
        if t.is_empty() || t.starts_with("at ") || t.starts_with("... ") {
            continue;
        }
        if t.starts_with("Exception on server side")
            || t.starts_with("End of exception on server side")
        {
            continue;
        }
        let is_cause = t.starts_with("Caused by:");
        if t.starts_with("Was expecting") {
            skipping_expectations = true;
            continue;
        }
        if is_cause {
            skipping_expectations = false;
        } else if !causes.is_empty() || skipping_expectations {
            continue;
        }
        let t = t.trim_start_matches("Caused by:").trim();
        causes.push(simple_class_name(t));
    }
    // Drop wrappers whose text another cause carries in full, and Flink's generic wrappers.
    let msg = |c: &str| {
        c.split_once(": ")
            .map(|(_, m)| m.to_string())
            .unwrap_or_default()
    };
    let all = causes.clone();
    causes.retain(|c| {
        let m = msg(c);
        let generic = m.is_empty()
            || m == "Could not execute application."
            || m == "Internal server error."
            || c.starts_with("CompletionException:")
            || c.starts_with("ExecutionException:");
        let repeated = all
            .iter()
            .any(|o| o != c && o.contains(&m) && o.len() > c.len());
        !(generic || repeated)
    });
    if causes.is_empty() {
        causes = all.into_iter().take(1).collect();
    }
    causes.dedup();
    let mut s = causes.join(" <- ");
    if s.len() > 4000 {
        let mut cut = 4000;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// `org.apache.flink.Foo: msg` -> `Foo: msg`.
fn simple_class_name(line: &str) -> String {
    let (head, rest) = match line.split_once(": ") {
        Some((h, r)) => (h, Some(r)),
        None => (line, None),
    };
    if head.contains(' ') || !head.contains('.') {
        return line.to_string();
    }
    let simple = head.rsplit('.').next().unwrap_or(head);
    match rest {
        Some(r) => format!("{simple}: {r}"),
        None => simple.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_validates_the_url() {
        for bad in ["", "not a url", "ftp://h:1", "http://", "unix:/x"] {
            let e = FlinkClient::builder().with_url(bad).build().unwrap_err();
            assert!(matches!(e, Error::InvalidConfig { .. }), "{bad}: {e:?}");
        }
        let e = FlinkClient::builder().build().unwrap_err();
        assert!(e.to_string().contains("`url`"), "{e}");
        let e = FlinkClient::builder()
            .with_url("http://h:1")
            .with_timeout(Duration::ZERO)
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("timeout"), "{e}");
        let c = FlinkClient::builder()
            .with_url("http://user:pw@h:1/base")
            .build()
            .unwrap();
        assert_eq!(c.base_url().path(), "/base/");
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("pw"), "{dbg}");
    }

    #[test]
    fn ids_are_checked_before_any_request() {
        assert!(check_hex_id("job id", "0123456789abcdef0123456789ABCDEF").is_ok());
        for bad in ["", "xyz", "../../etc/passwd", &"a".repeat(33)] {
            let e = check_hex_id("job id", bad).unwrap_err();
            assert!(e.to_string().contains("job id"), "{e}");
        }
        assert!(check_path_segment("jar id", "3f_x-1.jar").is_ok());
        assert!(check_path_segment("jar id", "..").is_err());
        assert!(check_path_segment("jar id", "a/b").is_err());
    }

    #[test]
    fn decode_names_endpoint_and_position() {
        let e = decode::<ClusterOverview>("GET /overview", b"{\"taskmanagers\": 1, ").unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("GET /overview") && s.contains("truncated JSON"),
            "{s}"
        );
        let e = decode::<ClusterOverview>("GET /overview", b"{\"taskmanagers\": ]").unwrap_err();
        assert!(e.to_string().contains("malformed JSON at line 1"), "{e}");
        let e = decode::<ClusterOverview>("GET /overview", b"{\"taskmanagers\": \"many\"}")
            .unwrap_err();
        assert!(e.to_string().contains("unexpected shape"), "{e}");
    }

    #[test]
    fn status_errors_carry_flinks_text() {
        let body = br#"{"errors":["org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.\n\tat org.apache.flink.Foo.bar(Foo.java:1)\nCaused by: org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: SQL parse failed. Encountered \"SELEC\" at line 2, column 1.\nWas expecting one of:\n    \"ABORT\" ...\n\tat x.y(Z.java:2)\nCaused by: org.apache.flink.table.api.SqlParserException: SQL parse failed."]}"#;
        let e = status_error("POST /jars/x.jar/run", StatusCode::BAD_REQUEST, body);
        let s = e.to_string();
        assert!(matches!(e, Error::Rejected { .. }));
        assert!(s.contains("POST /jars/x.jar/run"), "{s}");
        assert!(s.contains("HTTP 400"), "{s}");
        assert!(
            s.contains("Encountered \"SELEC\" at line 2, column 1"),
            "{s}"
        );
        assert!(!s.contains("Foo.java"), "{s}");
        assert!(!s.contains("ABORT"), "{s}");
        assert!(
            s.contains("ProgramInvocationException: The main method"),
            "{s}"
        );
        assert!(!s.contains("Could not execute application"), "{s}");
        let e = status_error(
            "GET /jobs/x",
            StatusCode::NOT_FOUND,
            br#"{"errors":["Job x not found"]}"#,
        );
        assert!(e.is_not_found() && e.to_string().contains("Job x not found"));
        let e = status_error(
            "GET /overview",
            StatusCode::SERVICE_UNAVAILABLE,
            b"<html>busy</html>",
        );
        assert!(e.is_retryable() && e.to_string().contains("busy"));
    }
}
