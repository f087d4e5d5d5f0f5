//! `NacosSource`: configuration from Nacos over its HTTP Open API.

mod client;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use url::Url;

use self::client::{Client, ListenOutcome, Op, Reply};
use super::{ConfigDoc, ConfigEvent, ConfigFormat, ConfigKey, ConfigSource, ConfigStream};
use crate::{Error, Result};

const BACKEND: &str = "nacos";

/// Which Nacos HTTP API to speak.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum NacosApi {
    /// Detect per server from the config endpoints themselves: the v1 config API when it
    /// is there (Nacos 1.x and 2.x, Nacos 3.x by default, Nacos-compatible servers), the v3
    /// client API when v1 answers `410 Gone` (turned off in Nacos 3.x) or has no such path;
    /// an [`Error::Unsupported`] naming both answers when neither is there. Detected again
    /// when the API in use goes away.
    #[default]
    Auto,
    /// The v1 config API and its long-polling listener (Nacos 1.x, 2.x, and 3.x while
    /// `nacos.core.api.compatibility.client.enabled` is on, its default).
    V1,
    /// Nacos 3.x's v3 API: the client API to read (polled, compared by MD5), the admin API
    /// to write.
    V3,
}

/// Builds a [`NacosSource`]. `Debug` never shows the password.
#[derive(Clone, Default)]
#[must_use]
pub struct NacosSourceBuilder {
    servers: Vec<String>,
    context_path: Option<String>,
    username: Option<String>,
    password: Option<String>,
    cache_dir: Option<PathBuf>,
    api: NacosApi,
    request_timeout: Option<Duration>,
    long_poll: Option<Duration>,
    poll_interval: Option<Duration>,
    max_backoff: Option<Duration>,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for NacosSourceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NacosSourceBuilder")
            .field(
                "servers",
                &self
                    .servers
                    .iter()
                    .map(|s| crate::spi::redact_url(s))
                    .collect::<Vec<_>>(),
            )
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "******"))
            .field("cache_dir", &self.cache_dir)
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

impl NacosSourceBuilder {
    /// Adds a server (`http://host:8848`); several servers fail over in order.
    pub fn with_server(mut self, url: impl Into<String>) -> Self {
        self.servers.push(url.into());
        self
    }

    /// The context path (default `/nacos`).
    pub fn with_context_path(mut self, path: impl Into<String>) -> Self {
        self.context_path = Some(path.into());
        self
    }

    /// Logs in with a user name and password (`POST /v1/auth/login`) and sends the access
    /// token, renewed before `tokenTtl` runs out and after a 403.
    pub fn with_credentials(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }

    /// Where the last good content of each key is kept, served when every server is down.
    pub fn with_cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Which API to speak (default: detect).
    pub fn with_api(mut self, api: NacosApi) -> Self {
        self.api = api;
        self
    }

    /// Timeout of each ordinary request (default 5 s).
    pub fn with_request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = Some(d);
        self
    }

    /// How long the server may hold a listener request (`Long-Pulling-Timeout`, default 30 s).
    pub fn with_long_poll_timeout(mut self, d: Duration) -> Self {
        self.long_poll = Some(d);
        self
    }

    /// How often a Nacos 3.x server is polled for a new MD5 (default 1 s).
    pub fn with_poll_interval(mut self, d: Duration) -> Self {
        self.poll_interval = Some(d);
        self
    }

    /// Longest wait between retries while every server is down (default 10 s).
    pub fn with_max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = Some(d);
        self
    }

    /// The HTTP client (default: [`crate::spi::http_client_builder`]).
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the setting: no server, a server that is not an
    /// `http(s)://host[:port]` URL, a user without password, a zero duration.
    pub fn build(self) -> Result<NacosSource> {
        if self.servers.is_empty() {
            return Err(Error::invalid_config(BACKEND, "server", "no server given"));
        }
        let ctx = self.context_path.unwrap_or_else(|| "/nacos".into());
        let ctx = format!("/{}/", ctx.trim_matches('/')).replace("//", "/");
        let mut servers = Vec::new();
        for raw in &self.servers {
            let shown = crate::spi::redact_url(raw);
            let mut url = Url::parse(raw.trim()).map_err(|e| {
                Error::invalid_config(BACKEND, "server", format!("`{shown}` is not a URL: {e}"))
            })?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(Error::invalid_config(
                    BACKEND,
                    "server",
                    format!("`{shown}` must be http(s)://host[:port]"),
                ));
            }
            url.set_path(&ctx);
            url.set_query(None);
            servers.push(url);
        }
        if self.username.is_some() != self.password.is_some() {
            return Err(Error::invalid_config(
                BACKEND,
                "credentials",
                "give both a user name and a password, or neither",
            ));
        }
        let nz = |name: &str, d: Option<Duration>, default: Duration| -> Result<Duration> {
            match d {
                Some(d) if d.is_zero() => {
                    Err(Error::invalid_config(BACKEND, name, "must not be zero"))
                }
                Some(d) => Ok(d),
                None => Ok(default),
            }
        };
        let request_timeout = nz(
            "request_timeout",
            self.request_timeout,
            Duration::from_secs(5),
        )?;
        let long_poll = nz("long_poll_timeout", self.long_poll, Duration::from_secs(30))?;
        let poll_interval = nz("poll_interval", self.poll_interval, Duration::from_secs(1))?;
        let max_backoff = nz("max_backoff", self.max_backoff, Duration::from_secs(10))?;
        let http = match self.http {
            Some(c) => c,
            None => crate::spi::http_client_builder()?
                .build()
                .map_err(|e| Error::Other {
                    backend: BACKEND,
                    message: "building the HTTP client".into(),
                    source: Some(Box::new(e)),
                })?,
        };
        Ok(NacosSource {
            inner: Arc::new(Inner {
                client: Client::new(
                    http,
                    servers,
                    self.username,
                    self.password,
                    self.api,
                    request_timeout,
                    long_poll,
                ),
                cache_dir: self.cache_dir,
                poll_interval,
                max_backoff,
                snapshot_lock: tokio::sync::Mutex::new(()),
            }),
        })
    }
}

struct Inner {
    client: Client,
    cache_dir: Option<PathBuf>,
    poll_interval: Duration,
    max_backoff: Duration,
    /// Snapshot writes run one at a time (in a blocking thread), so that an older version
    /// never lands after a newer one.
    snapshot_lock: tokio::sync::Mutex<()>,
}

/// Configuration from Nacos (feature `nacos`) over the HTTP Open API.
///
/// - v1 (`/nacos/v1/cs/configs`, `/nacos/v1/cs/configs/listener` long polling) for Nacos
///   1.x/2.x; v3 (`/nacos/v3/client/cs/config` polled by MD5, `/nacos/v3/admin/cs/config`)
///   for Nacos 3.x; detected per server unless set with [`NacosSourceBuilder::with_api`].
/// - Several servers: a failed server (connection error, 5xx) makes the call go to the next.
/// - With a cache directory, the last good content of each key is kept on disk and served
///   ([`ConfigDoc::is_from_snapshot`]) when every server is down; watches resume when one
///   is back, and report what changed meanwhile.
///
/// ```no_run
/// use streampark_core::config::{ConfigKey, ConfigSource, NacosSource};
/// # async fn f() -> streampark_core::Result<()> {
/// let nacos = NacosSource::builder()
///     .with_server("http://nacos-1:8848")
///     .with_server("http://nacos-2:8848")
///     .with_credentials("streampark", "secret")
///     .with_cache_dir("/var/cache/streampark/nacos")
///     .build()?;
/// let doc = nacos.get(&ConfigKey::new("flink.yaml").with_group("ads").with_namespace("prod")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct NacosSource {
    inner: Arc<Inner>,
}

impl fmt::Debug for NacosSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let servers: Vec<String> = self
            .inner
            .client
            .servers
            .iter()
            .map(|u| crate::spi::redact_url(u.as_str()))
            .collect();
        f.debug_struct("NacosSource")
            .field("servers", &servers)
            .field("username", &self.inner.client.username)
            .field(
                "password",
                &self.inner.client.password.as_ref().map(|_| "******"),
            )
            .field("cache_dir", &self.inner.cache_dir)
            .finish_non_exhaustive()
    }
}

fn check_key(key: &ConfigKey) -> Result<()> {
    key.validate()?;
    if key.data_id().contains('/') {
        return Err(Error::invalid_input(
            BACKEND,
            "data id",
            format!("`{}`", key.data_id()),
            "Nacos data ids cannot contain `/`",
        ));
    }
    Ok(())
}

impl NacosSource {
    /// A builder.
    pub fn builder() -> NacosSourceBuilder {
        NacosSourceBuilder::default()
    }

    /// Publishes `content` at `key` (`POST /v1/cs/configs`, or the v3 admin API).
    ///
    /// # Errors
    /// An invalid key; every server failed; permission denied.
    #[tracing::instrument(name = "config.publish", skip_all, fields(source = "nacos", key = %key), err(level = tracing::Level::WARN))]
    pub async fn publish(
        &self,
        key: &ConfigKey,
        content: &str,
        format: ConfigFormat,
    ) -> Result<()> {
        check_key(key)?;
        self.inner
            .client
            .call(Op::Publish(key, content, format))
            .await?;
        Ok(())
    }

    /// Deletes `key` (deleting an absent key succeeds).
    ///
    /// # Errors
    /// An invalid key; every server failed; permission denied.
    #[tracing::instrument(name = "config.delete", skip_all, fields(source = "nacos", key = %key), err(level = tracing::Level::WARN))]
    pub async fn delete(&self, key: &ConfigKey) -> Result<()> {
        check_key(key)?;
        self.inner.client.call(Op::Delete(key)).await?;
        Ok(())
    }

    fn snapshot_path(&self, key: &ConfigKey) -> Option<PathBuf> {
        let ns = if key.namespace().is_empty() {
            "public"
        } else {
            key.namespace()
        };
        Some(
            self.inner
                .cache_dir
                .as_ref()?
                .join("snapshot")
                .join(ns)
                .join(key.group())
                .join(key.data_id()),
        )
    }

    /// Keeps the last good version on disk, off the async threads: written to a temporary
    /// file unique to this document and this write, flushed to disk, then renamed over the
    /// snapshot, so that a crash mid-write leaves the previous snapshot whole. The format is
    /// kept beside it (`<data id>.format`), as the server's answer gave it.
    async fn save_snapshot(&self, doc: Option<&ConfigDoc>, key: &ConfigKey) {
        let Some(path) = self.snapshot_path(key) else {
            return;
        };
        let _one_at_a_time = self.inner.snapshot_lock.lock().await;
        let content = doc.map(|d| (d.content().to_string(), d.format()));
        let target = path.clone();
        let result = tokio::task::spawn_blocking(move || write_snapshot(&target, content)).await;
        let result = result.unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
        if let Err(e) = result {
            tracing::warn!(key = %key, path = %path.display(), error = %e, "nacos snapshot not written");
        }
    }

    async fn load_snapshot(&self, key: &ConfigKey) -> Option<ConfigDoc> {
        let path = self.snapshot_path(key)?;
        let (content, format) = tokio::task::spawn_blocking(move || read_snapshot(&path))
            .await
            .ok()??;
        let doc = ConfigDoc::new(key.clone(), content).with_from_snapshot(true);
        Some(match format {
            Some(f) => doc.with_format(f),
            None => doc,
        })
    }

    /// Reads from a live server and keeps the snapshot up to date.
    async fn fetch_live(&self, key: &ConfigKey) -> Result<Option<ConfigDoc>> {
        let Reply::Config(found) = self.inner.client.call(Op::Get(key)).await? else {
            return Err(Error::Protocol {
                backend: BACKEND,
                endpoint: "get config".into(),
                reason: "unexpected reply kind".into(),
                source: None,
            });
        };
        let doc = found.map(|(content, fmt)| {
            let doc = ConfigDoc::new(key.clone(), content);
            match fmt {
                Some(f) if f != ConfigFormat::Text => doc.with_format(f),
                _ => doc,
            }
        });
        self.save_snapshot(doc.as_ref(), key).await;
        Ok(doc)
    }
}

#[async_trait::async_trait]
impl ConfigSource for NacosSource {
    fn name(&self) -> &'static str {
        BACKEND
    }

    #[tracing::instrument(name = "config.get", skip_all, fields(source = "nacos", key = %key), err(level = tracing::Level::WARN))]
    async fn get(&self, key: &ConfigKey) -> Result<Option<ConfigDoc>> {
        check_key(key)?;
        match self.fetch_live(key).await {
            Ok(doc) => Ok(doc),
            Err(e) if e.is_retryable() => match self.load_snapshot(key).await {
                Some(doc) => {
                    tracing::warn!(key = %key, error = %e, "every nacos server is down, serving the local snapshot");
                    Ok(Some(doc))
                }
                None => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    async fn watch(&self, key: &ConfigKey) -> Result<ConfigStream> {
        check_key(key)?;
        let (tx, rx) = mpsc::channel(64);
        let task = Watch {
            source: self.clone(),
            key: key.clone(),
            last: None,
            down: false,
            backoff: Duration::ZERO,
        };
        tokio::spawn(async move {
            tokio::select! {
                _ = tx.closed() => {}
                _ = task.run(&tx) => {}
            }
        });
        Ok(Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|e| (e, rx))
        })))
    }
}

/// One key's watch: fetch, emit what changed, wait for the next change, repeat.
struct Watch {
    source: NacosSource,
    key: ConfigKey,
    /// MD5 of the last version emitted; `None` when absent or nothing emitted yet.
    last: Option<String>,
    down: bool,
    backoff: Duration,
}

impl Watch {
    async fn run(mut self, tx: &mpsc::Sender<ConfigEvent>) {
        let inner = self.source.inner.clone();
        loop {
            match self.source.fetch_live(&self.key).await {
                Ok(doc) => {
                    if self.down {
                        tracing::info!(key = %self.key, "nacos reachable again, watch resumed");
                    }
                    self.down = false;
                    self.backoff = Duration::ZERO;
                    if !self.emit(doc, tx).await {
                        return;
                    }
                }
                Err(e) => {
                    if !self.outage(e, tx).await {
                        return;
                    }
                    continue;
                }
            }
            // Wait for the next change.
            loop {
                let md5 = self.last.clone().unwrap_or_default();
                let outcome = inner.client.call(Op::Listen(&self.key, &md5)).await;
                match outcome {
                    Ok(Reply::Listen(ListenOutcome::Changed)) => break,
                    Ok(Reply::Listen(ListenOutcome::Unchanged)) => continue,
                    Err(Error::Unsupported { .. }) | Ok(_) => {
                        // Nacos 3.x: no HTTP listener, poll the MD5.
                        tokio::time::sleep(inner.poll_interval).await;
                        break;
                    }
                    Err(e) => {
                        if !self.outage(e, tx).await {
                            return;
                        }
                        break;
                    }
                }
            }
        }
    }

    /// Sends the new state if its MD5 differs from the last one sent.
    async fn emit(&mut self, doc: Option<ConfigDoc>, tx: &mpsc::Sender<ConfigEvent>) -> bool {
        let event = match doc {
            Some(doc) if self.last.as_deref() == Some(doc.md5()) => return true,
            Some(doc) => {
                self.last = Some(doc.md5().to_string());
                tracing::debug!(key = %self.key, md5 = doc.md5(), "nacos config changed");
                ConfigEvent::Changed(doc)
            }
            None => {
                if self.last.take().is_none() {
                    return true;
                }
                ConfigEvent::Deleted(self.key.clone())
            }
        };
        tx.send(event).await.is_ok()
    }

    /// Reports an outage once, serves the snapshot if nothing was sent yet, then backs off.
    async fn outage(&mut self, e: Error, tx: &mpsc::Sender<ConfigEvent>) -> bool {
        if !self.down {
            self.down = true;
            tracing::warn!(key = %self.key, error = %e, "nacos watch interrupted, retrying");
            let event = ConfigEvent::Unavailable {
                key: self.key.clone(),
                error: Arc::new(e),
            };
            if tx.send(event).await.is_err() {
                return false;
            }
            if self.last.is_none()
                && let Some(doc) = self.source.load_snapshot(&self.key).await
                && !self.emit(Some(doc), tx).await
            {
                return false;
            }
        }
        let max = self.source.inner.max_backoff;
        self.backoff = (self.backoff * 2).clamp(Duration::from_millis(100).min(max), max);
        tokio::time::sleep(self.backoff).await;
        true
    }
}

/// A temporary name no other document and no other write uses: the snapshot's own file name
/// (`orders.yaml` and `orders.json` differ), the process and a counter.
fn temp_path(path: &std::path::Path, what: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{what}.{}.{n}.tmp~", std::process::id()))
}

/// Writes `bytes` to `path` through a flushed temporary file and a rename.
fn replace_file(path: &std::path::Path, what: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp = temp_path(path, what);
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn format_path(path: &std::path::Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".format");
    path.with_file_name(name)
}

/// `Some` writes the snapshot (format first, so that a crash between the two leaves the old
/// content with at worst the new format of the same document), `None` removes it.
fn write_snapshot(
    path: &std::path::Path,
    doc: Option<(String, ConfigFormat)>,
) -> std::io::Result<()> {
    let gone = |r: std::io::Result<()>| match r {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    };
    match doc {
        Some((content, format)) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            replace_file(&format_path(path), "format", format.as_str().as_bytes())?;
            replace_file(path, "content", content.as_bytes())
        }
        None => {
            gone(std::fs::remove_file(path))?;
            gone(std::fs::remove_file(format_path(path)))
        }
    }
}

fn read_snapshot(path: &std::path::Path) -> Option<(String, Option<ConfigFormat>)> {
    let content = std::fs::read_to_string(path).ok()?;
    let format = std::fs::read_to_string(format_path(path))
        .ok()
        .and_then(|f| f.trim().parse::<ConfigFormat>().ok());
    Some((content, format))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_files_differ_per_document_and_per_write() {
        let dir = std::path::Path::new("/x/snapshot/public/G");
        let a = temp_path(&dir.join("orders.yaml"), "content");
        let b = temp_path(&dir.join("orders.json"), "content");
        let a2 = temp_path(&dir.join("orders.yaml"), "content");
        assert_ne!(a, b);
        assert_ne!(a, a2);
        assert_eq!(a.parent(), Some(dir));
    }

    #[test]
    fn a_snapshot_keeps_content_and_format_and_a_failed_write_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ns").join("G").join("orders");
        write_snapshot(&path, Some(("a: 1\n".into(), ConfigFormat::Yaml))).unwrap();
        assert_eq!(
            read_snapshot(&path),
            Some(("a: 1\n".to_string(), Some(ConfigFormat::Yaml)))
        );
        // A write whose rename cannot happen (the target is a directory) leaves the old
        // snapshot and no temporary file.
        let blocked = dir.path().join("ns").join("G").join("blocked");
        std::fs::create_dir_all(blocked.join("inside")).unwrap();
        assert!(write_snapshot(&blocked, Some(("b".into(), ConfigFormat::Text))).is_err());
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp~"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        assert_eq!(read_snapshot(&path).unwrap().0, "a: 1\n");
        write_snapshot(&path, None).unwrap();
        assert_eq!(read_snapshot(&path), None);
        assert!(!format_path(&path).exists());
    }
}
