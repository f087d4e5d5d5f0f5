//! Builder of [`RemoteDeployer`].

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

use super::{BACKEND, Inner, RemoteDeployer};
use crate::flink::FlinkClient;
use crate::spi::redact_url;
use crate::{Error, Result};

/// Builds a [`RemoteDeployer`]; every check happens in [`RemoteDeployerBuilder::build`].
///
/// ```
/// use std::time::Duration;
/// use streampark_core::RemoteDeployer;
/// let d = RemoteDeployer::builder()
///     .with_url("http://127.0.0.1:8081")
///     .with_request_timeout(Duration::from_secs(20))
///     .with_savepoint_dir("file:///tmp/savepoints")
///     .build()?;
/// # let _ = d;
/// # Ok::<(), streampark_core::Error>(())
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct RemoteDeployerBuilder {
    url: Option<String>,
    client: Option<FlinkClient>,
    http: Option<reqwest::Client>,
    timeout: Option<Duration>,
    savepoint_dir: Option<String>,
    poll: Option<Duration>,
}

impl fmt::Debug for RemoteDeployerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteDeployerBuilder")
            .field("url", &self.url.as_deref().map(redact_url))
            .field("timeout", &self.timeout)
            .field("savepoint_dir", &self.savepoint_dir)
            .finish()
    }
}

impl RemoteDeployerBuilder {
    /// The cluster's REST URL, e.g. `http://jm:8081`.
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }
    /// Use an existing client instead of a URL.
    pub fn with_client(mut self, client: FlinkClient) -> Self {
        self.client = Some(client);
        self
    }
    /// Use this HTTP client for a URL-built client.
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }
    /// Timeout of each REST request (default 30 s; jar runs plan SQL in the JobManager, allow
    /// several seconds).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Default savepoint directory when a call names none (else the cluster's
    /// `state.savepoints.dir`).
    pub fn with_savepoint_dir(mut self, dir: impl Into<String>) -> Self {
        self.savepoint_dir = Some(dir.into());
        self
    }
    /// Interval of status polls while stopping (default 250 ms).
    pub fn with_poll_interval(mut self, every: Duration) -> Self {
        self.poll = Some(every);
        self
    }

    /// Reads `STREAMPARK_FLINK_URL` (or `FLINK_REST_URL`), `STREAMPARK_FLINK_SAVEPOINT_DIR` and
    /// `STREAMPARK_FLINK_TIMEOUT_SECS`.
    ///
    /// # Errors
    /// An unparsable timeout.
    pub fn from_env() -> Result<Self> {
        let mut b = Self::default();
        if let Ok(u) =
            std::env::var("STREAMPARK_FLINK_URL").or_else(|_| std::env::var("FLINK_REST_URL"))
        {
            b = b.with_url(u);
        }
        if let Ok(d) = std::env::var("STREAMPARK_FLINK_SAVEPOINT_DIR") {
            b = b.with_savepoint_dir(d);
        }
        if let Ok(t) = std::env::var("STREAMPARK_FLINK_TIMEOUT_SECS") {
            let secs: u64 = t.trim().parse().map_err(|_| {
                Error::invalid_config(
                    BACKEND,
                    "STREAMPARK_FLINK_TIMEOUT_SECS",
                    format!("`{t}` is not a number of seconds"),
                )
            })?;
            b = b.with_request_timeout(Duration::from_secs(secs));
        }
        Ok(b)
    }

    /// Validates and builds.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the setting: no URL or client, an invalid URL, a zero
    /// timeout or poll interval, an empty savepoint directory.
    pub fn build(self) -> Result<RemoteDeployer> {
        let client = match self.client {
            Some(c) => c,
            None => {
                let mut b = FlinkClient::builder();
                if let Some(u) = self.url {
                    b = b.with_url(u);
                }
                if let Some(t) = self.timeout {
                    b = b.with_timeout(t);
                }
                if let Some(h) = self.http {
                    b = b.with_http_client(h);
                }
                b.build()?
            }
        };
        if matches!(&self.savepoint_dir, Some(d) if d.trim().is_empty()) {
            return Err(Error::invalid_config(BACKEND, "savepoint_dir", "empty"));
        }
        let poll = self.poll.unwrap_or(Duration::from_millis(250));
        if poll.is_zero() {
            return Err(Error::invalid_config(
                BACKEND,
                "poll_interval",
                "must be > 0",
            ));
        }
        Ok(RemoteDeployer {
            client,
            inner: Arc::new(Inner {
                savepoint_dir: self.savepoint_dir,
                poll,
                runner_jar: Mutex::new(None),
                jars: Mutex::new(HashMap::new()),
                extra: Mutex::new(HashMap::new()),
                version: Mutex::new(None),
            }),
        })
    }
}
