//! Configuration from a file or a directory of files, live through `notify` with a polling
//! fallback.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::{ConfigDoc, ConfigEvent, ConfigKey, ConfigSource, ConfigStream};
use crate::{Error, Result};

/// Builds a [`FileSource`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct FileSourceBuilder {
    path: Option<PathBuf>,
    debounce: Option<Duration>,
    poll: Option<Duration>,
    notify: Option<bool>,
}

impl FileSourceBuilder {
    /// The file, or the directory whose files are the documents (data id = path relative to
    /// it, `/`-separated).
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// How long a file must stay quiet after a change before it is read (default 50 ms), so
    /// an editor's write-then-rename is one event.
    pub fn with_debounce(mut self, d: Duration) -> Self {
        self.debounce = Some(d);
        self
    }

    /// How often the file is also checked without a notification (default 2 s): the
    /// fallback for file systems that send none (NFS, some containers).
    pub fn with_poll_interval(mut self, d: Duration) -> Self {
        self.poll = Some(d);
        self
    }

    /// Whether to use OS notifications at all (default `true`; `false` polls only).
    pub fn with_notify(mut self, yes: bool) -> Self {
        self.notify = Some(yes);
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when no path was given or an interval is zero.
    pub fn build(self) -> Result<FileSource> {
        let root = self
            .path
            .ok_or_else(|| Error::invalid_config("file", "path", "no path given"))?;
        let debounce = self.debounce.unwrap_or(Duration::from_millis(50));
        let poll = self.poll.unwrap_or(Duration::from_secs(2));
        if poll.is_zero() {
            return Err(Error::invalid_config(
                "file",
                "poll_interval",
                "must not be zero",
            ));
        }
        Ok(FileSource {
            inner: Arc::new(Inner {
                root,
                debounce,
                poll,
                notify: self.notify.unwrap_or(true),
            }),
        })
    }
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    debounce: Duration,
    poll: Duration,
    notify: bool,
}

/// Documents in a file or a directory. Namespace and group of a [`ConfigKey`] are ignored;
/// the data id is the file's path relative to the directory (or the file's own name).
///
/// Live updates come from OS notifications on the file's directory (so editors' atomic
/// rename saves are seen), debounced, plus a periodic check as a fallback. A deleted file is
/// a [`ConfigEvent::Deleted`], a recreated one a new [`ConfigEvent::Changed`].
///
/// ```no_run
/// use streampark_core::config::{ConfigKey, ConfigSource, FileSource};
/// # async fn f() -> streampark_core::Result<()> {
/// let files = FileSource::new("/etc/streampark/conf")?;
/// let doc = files.get(&ConfigKey::new("flink.yaml")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct FileSource {
    inner: Arc<Inner>,
}

impl FileSource {
    /// A builder.
    pub fn builder() -> FileSourceBuilder {
        FileSourceBuilder::default()
    }

    /// A source over `path` with default settings.
    ///
    /// # Errors
    /// See [`FileSourceBuilder::build`].
    pub fn new(path: impl Into<PathBuf>) -> Result<Self> {
        Self::builder().with_path(path).build()
    }

    fn path_for(&self, key: &ConfigKey) -> Result<PathBuf> {
        let id = key.data_id();
        let rel = Path::new(id);
        let bad = id.is_empty()
            || rel.is_absolute()
            || id.split('/').any(|seg| matches!(seg, "" | "." | ".."))
            || rel.components().any(|c| !matches!(c, Component::Normal(_)));
        if bad {
            return Err(Error::invalid_input(
                "file",
                "data id",
                format!("`{id}`"),
                "must be a relative path without `.` or `..`",
            ));
        }
        let root = &self.inner.root;
        if root.is_dir() {
            return Ok(root.join(rel));
        }
        match root.file_name() {
            Some(name) if name == rel.as_os_str() => Ok(root.clone()),
            _ => Err(Error::not_found(
                "file",
                format!("`{id}`: this source serves only {}", root.display()),
            )),
        }
    }
}

fn read(key: &ConfigKey, path: &Path) -> Result<Option<ConfigDoc>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes).map_err(|e| {
                Error::invalid_input(
                    "file",
                    "config file",
                    format!("{} byte {}", path.display(), e.utf8_error().valid_up_to()),
                    "not UTF-8",
                )
            })?;
            Ok(Some(ConfigDoc::new(key.clone(), text)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Unavailable {
            backend: "file",
            what: path.display().to_string(),
            retry_after: None,
            source: Some(Box::new(e)),
        }),
    }
}

#[async_trait::async_trait]
impl ConfigSource for FileSource {
    fn name(&self) -> &'static str {
        "file"
    }

    #[tracing::instrument(name = "config.get", skip_all, fields(source = "file", key = %key))]
    async fn get(&self, key: &ConfigKey) -> Result<Option<ConfigDoc>> {
        let path = self.path_for(key)?;
        read(key, &path)
    }

    async fn watch(&self, key: &ConfigKey) -> Result<ConfigStream> {
        let path = self.path_for(key)?;
        let (tx, rx) = mpsc::channel(64);
        let (ntx, nrx) = mpsc::unbounded_channel::<()>();
        let mut watcher = None;
        if self.inner.notify {
            watcher = start_notify(&path, ntx);
        }
        let state = WatchTask {
            key: key.clone(),
            path,
            debounce: self.inner.debounce,
            poll: self.inner.poll,
            last: None,
            failing: false,
        };
        tokio::spawn(state.run(tx, watcher.is_some().then_some(nrx), watcher));
        Ok(Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|e| (e, rx))
        })))
    }
}

fn start_notify(path: &Path, ntx: mpsc::UnboundedSender<()>) -> Option<notify::RecommendedWatcher> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())?
        .to_path_buf();
    let name = path.file_name()?.to_os_string();
    let handler = move |res: notify::Result<notify::Event>| {
        let relevant = match &res {
            Ok(ev) => ev.paths.is_empty() || ev.paths.iter().any(|p| p.file_name() == Some(&name)),
            Err(_) => true,
        };
        if relevant {
            let _ = ntx.send(());
        }
    };
    let mut w = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "file notifications unavailable, polling only");
            return None;
        }
    };
    if let Err(e) = w.watch(&dir, RecursiveMode::NonRecursive) {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot watch directory, polling only");
        return None;
    }
    Some(w)
}

struct WatchTask {
    key: ConfigKey,
    path: PathBuf,
    debounce: Duration,
    poll: Duration,
    /// MD5 of the last version sent; `None` when absent.
    last: Option<String>,
    failing: bool,
}

impl WatchTask {
    async fn run(
        mut self,
        tx: mpsc::Sender<ConfigEvent>,
        mut nrx: Option<mpsc::UnboundedReceiver<()>>,
        _watcher: Option<notify::RecommendedWatcher>,
    ) {
        if !self.check(&tx).await {
            return;
        }
        loop {
            let notified = async {
                match nrx.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tx.closed() => return,
                got = notified => {
                    if got.is_none() {
                        nrx = None;
                        continue;
                    }
                    // Debounce: wait until the directory has been quiet for a while.
                    if let Some(rx) = nrx.as_mut() {
                        while let Ok(Some(())) = tokio::time::timeout(self.debounce, rx.recv()).await {}
                    }
                }
                _ = tokio::time::sleep(self.poll) => {}
            }
            if !self.check(&tx).await {
                return;
            }
        }
    }

    /// Reads the file; when it differs from the last version, reads again after the debounce
    /// time until two reads agree, so a file caught half-written (truncated, not yet
    /// rewritten) is never sent.
    async fn read_settled(&self) -> Result<Option<ConfigDoc>> {
        let mut seen = read(&self.key, &self.path)?;
        for _ in 0..20 {
            let md5 = seen.as_ref().map(|d| d.md5().to_string());
            if md5 == self.last {
                break;
            }
            tokio::time::sleep(self.debounce.max(Duration::from_millis(5))).await;
            let again = read(&self.key, &self.path)?;
            if again.as_ref().map(ConfigDoc::md5) == md5.as_deref() {
                break;
            }
            seen = again;
        }
        Ok(seen)
    }

    /// Reads the file and sends what changed; `false` when the receiver is gone.
    async fn check(&mut self, tx: &mpsc::Sender<ConfigEvent>) -> bool {
        let event = match self.read_settled().await {
            Ok(Some(doc)) => {
                self.failing = false;
                if self.last.as_deref() == Some(doc.md5()) {
                    return true;
                }
                self.last = Some(doc.md5().to_string());
                tracing::debug!(key = %self.key, md5 = doc.md5(), "config file changed");
                ConfigEvent::Changed(doc)
            }
            Ok(None) => {
                self.failing = false;
                if self.last.take().is_none() {
                    return true;
                }
                ConfigEvent::Deleted(self.key.clone())
            }
            Err(e) => {
                if self.failing {
                    return true;
                }
                self.failing = true;
                ConfigEvent::Unavailable {
                    key: self.key.clone(),
                    error: Arc::new(e),
                }
            }
        };
        tx.send(event).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn data_ids_cannot_escape_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let src = FileSource::new(dir.path()).unwrap();
        for bad in ["../etc/passwd", "a/./b", "/abs"] {
            let e = src.get(&ConfigKey::new(bad)).await.unwrap_err().to_string();
            assert!(e.contains("relative path"), "{bad}: {e}");
        }
        assert!(
            src.get(&ConfigKey::new("absent.yaml"))
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_single_file_serves_only_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("flink.yaml");
        std::fs::write(&f, "a: 1\n").unwrap();
        let src = FileSource::new(&f).unwrap();
        let doc = src
            .get(&ConfigKey::new("flink.yaml"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(doc.content(), "a: 1\n");
        assert!(
            src.get(&ConfigKey::new("other.yaml"))
                .await
                .unwrap_err()
                .is_not_found()
        );
    }
}
