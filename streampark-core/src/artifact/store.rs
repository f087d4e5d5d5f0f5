//! [`ArtifactStore`]: resolves references into verified jars in a content-addressed cache.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use sha2::Digest;
use tracing::{Instrument, field};
use url::Url;

use super::fetch::{self, Download};
use super::{ArtifactRef, BACKEND, ResolvedArtifact, jar};
use crate::spi::redact_url;
use crate::{Error, Result};

/// Default for [`ArtifactStoreBuilder::with_timeout`].
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Default for [`ArtifactStoreBuilder::with_max_size`]: 512 MiB.
const DEFAULT_MAX_SIZE: u64 = 512 * 1024 * 1024;
/// How many artifacts [`ArtifactStore::resolve_all`] fetches at once.
const PARALLEL: usize = 4;

/// Resolves [`ArtifactRef`]s into verified jars in a cache directory keyed by SHA-256.
///
/// Cheap to clone; clones share the cache and the HTTP client. See the
/// [module docs](crate::artifact) for the cache layout and guarantees.
#[derive(Clone)]
pub struct ArtifactStore {
    inner: Arc<Inner>,
}

struct Inner {
    cache_dir: PathBuf,
    repository: Option<Url>,
    timeout: Duration,
    max_size: u64,
    client: reqwest::Client,
    /// One async lock per reference, so concurrent resolves in this process download once.
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl fmt::Debug for ArtifactStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArtifactStore")
            .field("cache_dir", &self.inner.cache_dir)
            .field(
                "repository",
                &self
                    .inner
                    .repository
                    .as_ref()
                    .map(|u| redact_url(u.as_str())),
            )
            .field("timeout", &self.inner.timeout)
            .field("max_size", &self.inner.max_size)
            .finish_non_exhaustive()
    }
}

/// Builds an [`ArtifactStore`]; every check happens in [`ArtifactStoreBuilder::build`].
#[derive(Clone, Default)]
#[must_use]
pub struct ArtifactStoreBuilder {
    cache_dir: Option<PathBuf>,
    repository: Option<Url>,
    timeout: Option<Duration>,
    max_size: Option<u64>,
    client: Option<reqwest::Client>,
}

impl fmt::Debug for ArtifactStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArtifactStoreBuilder")
            .field("cache_dir", &self.cache_dir)
            .field(
                "repository",
                &self.repository.as_ref().map(|u| redact_url(u.as_str())),
            )
            .field("timeout", &self.timeout)
            .field("max_size", &self.max_size)
            .field("client", &self.client.as_ref().map(|_| "custom"))
            .finish()
    }
}

impl ArtifactStoreBuilder {
    /// The cache directory (required); created if missing.
    pub fn with_cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// The Maven 2 repository for [`ArtifactRef::Maven`], e.g.
    /// `https://repo1.maven.org/maven2/`. User and password in the URL are sent as HTTP basic
    /// authentication (and redacted everywhere else).
    pub fn with_maven_repository(mut self, url: Url) -> Self {
        self.repository = Some(url);
        self
    }

    /// Limit for each HTTP request, body included (default 120 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Largest artifact accepted, in bytes (default 512 MiB). A larger `Content-Length` is
    /// refused before the body is read; a body that grows past it is cut off.
    pub fn with_max_size(mut self, bytes: u64) -> Self {
        self.max_size = Some(bytes);
        self
    }

    /// The HTTP client (default: [`crate::spi::http_client`] with the timeout).
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Validates the settings and creates the cache directories.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the setting: no cache dir, a repository that is not
    /// http(s), a zero timeout or size; [`Error::Other`] when the cache cannot be created.
    pub fn build(self) -> Result<ArtifactStore> {
        let cache_dir = self
            .cache_dir
            .ok_or_else(|| Error::invalid_config(BACKEND, "cache_dir", "required"))?;
        if let Some(repo) = &self.repository
            && !matches!(repo.scheme(), "http" | "https")
        {
            return Err(Error::invalid_config(
                BACKEND,
                "maven_repository",
                format!(
                    "`{}`: only http and https repositories are supported",
                    redact_url(repo.as_str())
                ),
            ));
        }
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::invalid_config(BACKEND, "timeout", "must be > 0"));
        }
        let max_size = self.max_size.unwrap_or(DEFAULT_MAX_SIZE);
        if max_size == 0 {
            return Err(Error::invalid_config(BACKEND, "max_size", "must be > 0"));
        }
        for sub in ["sha256", "refs", "tmp"] {
            let dir = cache_dir.join(sub);
            std::fs::create_dir_all(&dir).map_err(|e| io_error("creating", &dir, e))?;
        }
        let client = match self.client {
            Some(c) => c,
            None => crate::spi::http_client(timeout)?,
        };
        Ok(ArtifactStore {
            inner: Arc::new(Inner {
                cache_dir,
                repository: self.repository,
                timeout,
                max_size,
                client,
                locks: Mutex::new(HashMap::new()),
            }),
        })
    }
}

impl ArtifactStore {
    /// A builder; [`ArtifactStoreBuilder::with_cache_dir`] is required.
    pub fn builder() -> ArtifactStoreBuilder {
        ArtifactStoreBuilder::default()
    }

    /// The cache directory.
    pub fn cache_dir(&self) -> &Path {
        &self.inner.cache_dir
    }

    /// Resolves one reference into a verified jar in the cache.
    ///
    /// - `Local`: the file is hashed while it is copied into the cache (so later edits of the
    ///   original never change what a job runs).
    /// - `Http`, or `Maven` with a `sha256`: a cache hit makes no request.
    /// - `Maven` without `sha256`: downloaded once per release version (remembered by name),
    ///   every time for `-SNAPSHOT` versions.
    ///
    /// # Errors
    /// Every error names the artifact ([`ArtifactRef::display`]):
    /// - [`Error::NotFound`]: no such local file, HTTP 404/410;
    /// - [`Error::InvalidInput`]: bad reference or coordinates, checksum mismatch (expected and
    ///   actual), not a jar/zip, larger than the size cap;
    /// - [`Error::PermissionDenied`]: HTTP 401/403;
    /// - [`Error::Unavailable`] / [`Error::Timeout`]: network trouble (retryable);
    /// - [`Error::InvalidConfig`]: a `Maven` reference and no repository configured;
    /// - [`Error::Other`]: the cache directory cannot be written.
    pub async fn resolve(&self, r: &ArtifactRef) -> Result<ResolvedArtifact> {
        let span = tracing::info_span!(
            "artifact.resolve",
            artifact = %r.display(),
            cache_hit = field::Empty,
            sha256 = field::Empty,
        );
        async {
            let out = self.resolve_inner(r).await;
            match &out {
                Ok(a) => {
                    tracing::Span::current().record("sha256", a.sha256.as_str());
                }
                Err(e) => tracing::warn!(error = %e, "artifact not resolved"),
            }
            out
        }
        .instrument(span)
        .await
    }

    /// Resolves several references (a few at a time), in order; fails on the first error.
    ///
    /// # Errors
    /// As [`ArtifactStore::resolve`], for the first artifact that fails.
    pub async fn resolve_all(&self, refs: &[ArtifactRef]) -> Result<Vec<ResolvedArtifact>> {
        futures::stream::iter(refs.iter().map(|r| self.resolve(r)))
            .buffered(PARALLEL)
            .try_collect()
            .await
    }

    async fn resolve_inner(&self, r: &ArtifactRef) -> Result<ResolvedArtifact> {
        r.validate()?;
        let key = serde_json::to_string(r).unwrap_or_else(|_| r.display());
        let lock = self.lock_for(&key);
        let _held = lock.lock().await;
        let name = r.display();
        let expected = r.expected_sha256();

        if !matches!(r, ArtifactRef::Local { .. }) {
            let known = match &expected {
                Some(sha) => Some(sha.clone()),
                None if !r.is_snapshot() => self.remembered(&key).await,
                None => None,
            };
            if let Some(sha) = known
                && let Some(hit) = self.cached(r, &sha).await
            {
                tracing::Span::current().record("cache_hit", true);
                return Ok(hit);
            }
        }
        tracing::Span::current().record("cache_hit", false);

        let (dl, at) = match r {
            ArtifactRef::Local { path, .. } => {
                let tmp = self.temp_path();
                let (src, dst, max) = (PathBuf::from(path), tmp.clone(), self.inner.max_size);
                let name2 = name.clone();
                let dl =
                    tokio::task::spawn_blocking(move || fetch::copy_local(&src, dst, max, &name2))
                        .await
                        .map_err(|e| Error::Other {
                            backend: BACKEND,
                            message: format!("copying artifact `{name}` was interrupted"),
                            source: Some(Box::new(e)),
                        })??;
                (dl, path.clone())
            }
            ArtifactRef::Http { url, .. } => {
                let url = Url::parse(url).map_err(|e| {
                    Error::invalid_input(
                        BACKEND,
                        "URL",
                        format!("artifact `{name}`"),
                        e.to_string(),
                    )
                })?;
                let dl = self.fetcher(&name).download(&url, self.temp_path()).await?;
                (dl, redact_url(url.as_str()))
            }
            ArtifactRef::Maven { .. } => {
                let url = self.maven_url(r)?;
                let fetcher = self.fetcher(&name);
                let sidecar = fetcher.sidecar(&url).await?;
                let dl = fetcher.download(&url, self.temp_path()).await?;
                if let Some(side) = sidecar {
                    side.verify(&dl, &name)?;
                }
                (dl, redact_url(url.as_str()))
            }
        };
        self.finish(r, dl, expected.as_deref(), &at, &key).await
    }

    /// Checks a finished download and moves it into the cache.
    async fn finish(
        &self,
        r: &ArtifactRef,
        dl: Download,
        expected: Option<&str>,
        at: &str,
        key: &str,
    ) -> Result<ResolvedArtifact> {
        let name = r.display();
        if let Some(want) = expected
            && want != dl.sha256
        {
            return Err(Error::invalid_input(
                BACKEND,
                format!("artifact `{name}`"),
                at,
                format!(
                    "sha256 checksum mismatch: expected {want}, actual {}",
                    dl.sha256
                ),
            ));
        }
        let tmp = dl.file.path().to_path_buf();
        let checked = tokio::task::spawn_blocking(move || jar::check_file(&tmp))
            .await
            .map_err(|e| Error::Other {
                backend: BACKEND,
                message: format!("checking artifact `{name}` was interrupted"),
                source: Some(Box::new(e)),
            })?
            .map_err(|e| io_error("reading", dl.file.path(), e))?;
        if let Err(reason) = checked {
            return Err(Error::invalid_input(
                BACKEND,
                format!("artifact `{name}`"),
                at,
                format!("not a jar: {reason}"),
            ));
        }
        let path = self.content_path(&dl.sha256);
        dl.file.persist(&path)?;
        if !r.is_snapshot() && !matches!(r, ArtifactRef::Local { .. }) {
            self.remember(key, &dl.sha256).await;
        }
        Ok(ResolvedArtifact {
            reference: r.clone(),
            path,
            sha256: dl.sha256,
            size: dl.size,
        })
    }

    fn fetcher(&self, name: &str) -> fetch::Fetcher<'_> {
        fetch::Fetcher {
            client: &self.inner.client,
            timeout: self.inner.timeout,
            max_size: self.inner.max_size,
            artifact: name.to_string(),
        }
    }

    fn maven_url(&self, r: &ArtifactRef) -> Result<Url> {
        let repo = self.inner.repository.as_ref().ok_or_else(|| {
            Error::invalid_config(
                BACKEND,
                "maven_repository",
                format!(
                    "artifact `{}` needs a Maven repository and none is configured",
                    r.display()
                ),
            )
        })?;
        let segs = r.maven_segments().unwrap_or_default();
        let mut url = repo.clone();
        url.path_segments_mut()
            .map_err(|()| {
                Error::invalid_config(BACKEND, "maven_repository", "URL cannot have a path")
            })?
            .pop_if_empty()
            .extend(segs);
        Ok(url)
    }

    fn content_path(&self, sha256: &str) -> PathBuf {
        self.inner
            .cache_dir
            .join("sha256")
            .join(format!("{sha256}.jar"))
    }

    fn temp_path(&self) -> PathBuf {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        self.inner.cache_dir.join("tmp").join(format!(
            "{}-{}-{nanos}.part",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ))
    }

    fn index_path(&self, key: &str) -> PathBuf {
        let h = hex::encode(sha2::Sha256::digest(key.as_bytes()));
        self.inner.cache_dir.join("refs").join(h)
    }

    /// The SHA-256 a name-only reference resolved to before.
    async fn remembered(&self, key: &str) -> Option<String> {
        let text = tokio::fs::read_to_string(self.index_path(key)).await.ok()?;
        let sha = text.trim().to_string();
        (sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit())).then_some(sha)
    }

    async fn remember(&self, key: &str, sha256: &str) {
        let tmp = self.temp_path();
        let dst = self.index_path(key);
        let res = async {
            tokio::fs::write(&tmp, sha256).await?;
            tokio::fs::rename(&tmp, &dst).await
        }
        .await;
        if let Err(e) = res {
            let _ = tokio::fs::remove_file(&tmp).await;
            tracing::debug!(error = %e, "artifact index not written; next resolve downloads again");
        }
    }

    async fn cached(&self, r: &ArtifactRef, sha256: &str) -> Option<ResolvedArtifact> {
        let path = self.content_path(sha256);
        let meta = tokio::fs::metadata(&path).await.ok()?;
        meta.is_file().then(|| ResolvedArtifact {
            reference: r.clone(),
            path,
            sha256: sha256.to_string(),
            size: meta.len(),
        })
    }

    fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self
            .inner
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(l) = map.get(key).and_then(Weak::upgrade) {
            return l;
        }
        map.retain(|_, w| w.strong_count() > 0);
        let l = Arc::new(tokio::sync::Mutex::new(()));
        map.insert(key.to_string(), Arc::downgrade(&l));
        l
    }
}

pub(super) fn io_error(doing: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Other {
        backend: BACKEND,
        message: format!("{doing} {}", path.display()),
        source: Some(Box::new(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::jar_bytes as zip;

    fn store(dir: &Path) -> ArtifactStore {
        ArtifactStore::builder()
            .with_cache_dir(dir.join("cache"))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn local_jar_is_copied_into_the_cache_by_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = zip(&[("a.txt", b"one")]);
        let src = dir.path().join("udf.jar");
        std::fs::write(&src, &bytes).unwrap();
        let sha = hex::encode(sha2::Sha256::digest(&bytes));
        let s = store(dir.path());
        let r = ArtifactRef::local(src.display().to_string());
        let a = s.resolve(&r).await.unwrap();
        assert_eq!(a.sha256, sha);
        assert_eq!(a.size, bytes.len() as u64);
        assert_eq!(
            a.path,
            dir.path().join("cache/sha256").join(format!("{sha}.jar"))
        );
        assert_eq!(std::fs::read(&a.path).unwrap(), bytes);
        // with the right checksum, then a wrong one
        let a2 = s
            .resolve(&r.clone().with_sha256(sha.to_uppercase()))
            .await
            .unwrap();
        assert_eq!(a2.path, a.path);
        let wrong = "0".repeat(64);
        let e = s
            .resolve(&r.clone().with_sha256(&wrong))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("udf.jar") && e.contains(&wrong) && e.contains(&sha),
            "{e}"
        );
        // no temp files left behind
        assert_eq!(
            std::fs::read_dir(dir.path().join("cache/tmp"))
                .unwrap()
                .count(),
            0
        );
    }

    #[tokio::test]
    async fn missing_directory_and_non_jar_files_name_the_artifact() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let e = s
            .resolve(&ArtifactRef::local("/nope/missing-udf.jar"))
            .await
            .unwrap_err();
        assert!(e.is_not_found(), "{e}");
        assert!(e.to_string().contains("/nope/missing-udf.jar"), "{e}");
        let e = s
            .resolve(&ArtifactRef::local(dir.path().display().to_string()))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        let txt = dir.path().join("notes.jar");
        std::fs::write(&txt, "this is not a zip file at all, just text").unwrap();
        let e = s
            .resolve(&ArtifactRef::local(txt.display().to_string()))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("notes.jar") && e.contains("not a jar"), "{e}");
        assert_eq!(
            std::fs::read_dir(dir.path().join("cache/tmp"))
                .unwrap()
                .count(),
            0
        );
    }

    #[tokio::test]
    async fn size_cap_and_config_errors() {
        let dir = tempfile::tempdir().unwrap();
        let s = ArtifactStore::builder()
            .with_cache_dir(dir.path().join("c"))
            .with_max_size(10)
            .build()
            .unwrap();
        let src = dir.path().join("big.jar");
        std::fs::write(&src, zip(&[("a.txt", b"0123456789")])).unwrap();
        let e = s
            .resolve(&ArtifactRef::local(src.display().to_string()))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("size cap of 10 bytes"), "{e}");
        let e = s
            .resolve(&ArtifactRef::maven("g:a:1").unwrap())
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("maven_repository") && e.to_string().contains("g:a:1"),
            "{e}"
        );
        assert!(ArtifactStore::builder().build().is_err());
        let e = ArtifactStore::builder()
            .with_cache_dir(dir.path())
            .with_maven_repository(Url::parse("ftp://u:pw@h/").unwrap())
            .build()
            .unwrap_err()
            .to_string();
        assert!(e.contains("maven_repository") && !e.contains("pw"), "{e}");
    }

    #[test]
    fn handles_are_send_sync_and_debug_hides_credentials() {
        fn bounds<T: Send + Sync + Clone + 'static>() {}
        bounds::<ArtifactStore>();
        let dir = tempfile::tempdir().unwrap();
        let b = ArtifactStore::builder()
            .with_cache_dir(dir.path())
            .with_maven_repository(Url::parse("https://bob:hunter2@repo.example/m2/").unwrap());
        assert!(!format!("{b:?}").contains("hunter2"));
        let s = b.build().unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
