//! Getting bytes into a temporary file in the cache, hashed on the way: HTTP downloads with a
//! size cap and timeouts, local copies, and Maven checksum sidecars.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tracing::Instrument;
use url::Url;

use super::BACKEND;
use super::store::io_error;
use crate::spi::redact_url;
use crate::{Error, Result};

/// Largest checksum sidecar read.
const SIDECAR_MAX: u64 = 4096;

/// A temporary file, removed on drop unless persisted.
#[derive(Debug)]
pub(super) struct TempFile(Option<PathBuf>);

impl TempFile {
    pub(super) fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    /// Atomically moves the file to `to` (same directory tree, so a rename).
    pub(super) fn persist(mut self, to: &Path) -> Result<()> {
        let Some(from) = self.0.take() else {
            return Ok(());
        };
        std::fs::rename(&from, to).map_err(|e| {
            let _ = std::fs::remove_file(&from);
            io_error("moving into the cache", to, e)
        })
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Bytes on disk with their digests.
#[derive(Debug)]
pub(super) struct Download {
    pub(super) file: TempFile,
    pub(super) sha256: String,
    pub(super) sha1: String,
    pub(super) size: u64,
}

#[derive(Default)]
struct Hashes {
    sha256: Sha256,
    sha1: Sha1,
    size: u64,
}

impl Hashes {
    fn update(&mut self, chunk: &[u8]) {
        self.sha256.update(chunk);
        self.sha1.update(chunk);
        self.size += chunk.len() as u64;
    }
    fn finish(self, file: TempFile) -> Download {
        Download {
            file,
            sha256: hex::encode(self.sha256.finalize()),
            sha1: hex::encode(self.sha1.finalize()),
            size: self.size,
        }
    }
}

fn too_large(artifact: &str, at: &str, max: u64, seen: u64) -> Error {
    Error::invalid_input(
        BACKEND,
        format!("artifact `{artifact}`"),
        at,
        format!("{seen} bytes or more is larger than the store's size cap of {max} bytes"),
    )
}

/// Copies a local file into `dst`, hashing it. Blocking: run it on a blocking thread.
pub(super) fn copy_local(src: &Path, dst: PathBuf, max: u64, artifact: &str) -> Result<Download> {
    let at = src.display().to_string();
    let mut input = std::fs::File::open(src).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            Error::not_found(BACKEND, format!("artifact `{artifact}` (no such file)"))
        }
        _ => Error::Other {
            backend: BACKEND,
            message: format!("reading artifact `{artifact}`"),
            source: Some(Box::new(e)),
        },
    })?;
    let meta = input.metadata().map_err(|e| io_error("reading", src, e))?;
    if !meta.is_file() {
        return Err(Error::invalid_input(
            BACKEND,
            format!("artifact `{artifact}`"),
            at,
            "not a regular file",
        ));
    }
    if meta.len() > max {
        return Err(too_large(artifact, &at, max, meta.len()));
    }
    let file = TempFile(Some(dst.clone()));
    let mut out = std::fs::File::create(&dst).map_err(|e| io_error("creating", &dst, e))?;
    let mut h = Hashes::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = input
            .read(&mut buf)
            .map_err(|e| io_error("reading", src, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        if h.size > max {
            return Err(too_large(artifact, &at, max, h.size));
        }
        out.write_all(&buf[..n])
            .map_err(|e| io_error("writing", &dst, e))?;
    }
    out.sync_all().map_err(|e| io_error("writing", &dst, e))?;
    Ok(h.finish(file))
}

/// A checksum a repository publishes next to a file.
#[derive(Debug)]
pub(super) struct Sidecar {
    url: Url,
    sha256: bool,
    hex: String,
}

impl Sidecar {
    /// Fails when the download does not match the published checksum.
    pub(super) fn verify(&self, dl: &Download, artifact: &str) -> Result<()> {
        let (algo, actual) = if self.sha256 {
            ("sha256", &dl.sha256)
        } else {
            ("sha1", &dl.sha1)
        };
        if *actual == self.hex {
            return Ok(());
        }
        Err(Error::invalid_input(
            BACKEND,
            format!("artifact `{artifact}`"),
            redact_url(self.url.as_str()),
            format!(
                "{algo} checksum mismatch with the repository's sidecar: expected {}, actual {actual}",
                self.hex
            ),
        ))
    }
}

/// HTTP access for one artifact.
#[derive(Debug)]
pub(super) struct Fetcher<'a> {
    pub(super) client: &'a reqwest::Client,
    pub(super) timeout: Duration,
    pub(super) max_size: u64,
    pub(super) artifact: String,
}

impl Fetcher<'_> {
    async fn get(&self, url: &Url) -> Result<Option<reqwest::Response>> {
        let shown = redact_url(url.as_str());
        let span = tracing::debug_span!("artifact.http", method = "GET", url = %shown, status = tracing::field::Empty);
        self.get_inner(url, shown).instrument(span).await
    }

    async fn get_inner(&self, url: &Url, shown: String) -> Result<Option<reqwest::Response>> {
        let resp = self
            .client
            .get(url.clone())
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| self.transport(e, &shown))?;
        let status = resp.status();
        tracing::Span::current().record("status", status.as_u16());
        if status.is_success() {
            return Ok(Some(resp));
        }
        let what = format!(
            "artifact `{}` (HTTP {} at {shown})",
            self.artifact,
            status.as_u16()
        );
        Err(match status.as_u16() {
            404 | 410 => return Ok(None),
            401 | 403 => Error::PermissionDenied {
                backend: BACKEND,
                reason: what,
            },
            408 | 429 | 500..=599 => Error::Unavailable {
                backend: BACKEND,
                what,
                retry_after: None,
                source: None,
            },
            _ => Error::Protocol {
                backend: BACKEND,
                endpoint: format!("GET {shown}"),
                reason: format!("HTTP {} for artifact `{}`", status.as_u16(), self.artifact),
                source: None,
            },
        })
    }

    fn transport(&self, e: reqwest::Error, shown: &str) -> Error {
        if e.is_timeout() {
            Error::Timeout {
                backend: BACKEND,
                operation: format!("downloading artifact `{}` from {shown}", self.artifact),
                after: self.timeout,
            }
        } else {
            Error::Unavailable {
                backend: BACKEND,
                what: format!("artifact `{}` at {shown}", self.artifact),
                retry_after: None,
                source: Some(Box::new(e.without_url())),
            }
        }
    }

    /// Downloads `url` into `dst`, hashing it; 404 is [`Error::NotFound`] naming the artifact.
    pub(super) async fn download(&self, url: &Url, dst: PathBuf) -> Result<Download> {
        let shown = redact_url(url.as_str());
        let Some(mut resp) = self.get(url).await? else {
            return Err(Error::not_found(
                BACKEND,
                format!("artifact `{}` (HTTP 404 at {shown})", self.artifact),
            ));
        };
        if let Some(n) = resp.content_length()
            && n > self.max_size
        {
            return Err(too_large(&self.artifact, &shown, self.max_size, n));
        }
        let file = TempFile(Some(dst.clone()));
        let mut out = tokio::fs::File::create(&dst)
            .await
            .map_err(|e| io_error("creating", &dst, e))?;
        let mut h = Hashes::default();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(e, &shown))? {
            h.update(&chunk);
            if h.size > self.max_size {
                return Err(too_large(&self.artifact, &shown, self.max_size, h.size));
            }
            out.write_all(&chunk)
                .await
                .map_err(|e| io_error("writing", &dst, e))?;
        }
        out.sync_all()
            .await
            .map_err(|e| io_error("writing", &dst, e))?;
        Ok(h.finish(file))
    }

    /// The repository's `.sha256` sidecar for `url`, else its `.sha1`, else `None`.
    pub(super) async fn sidecar(&self, url: &Url) -> Result<Option<Sidecar>> {
        for (ext, sha256, len) in [("sha256", true, 64), ("sha1", false, 40)] {
            let mut side = url.clone();
            let path = format!("{}.{ext}", side.path());
            side.set_path(&path);
            let Some(mut resp) = self.get(&side).await? else {
                continue;
            };
            let shown = redact_url(side.as_str());
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(e, &shown))? {
                body.extend_from_slice(&chunk);
                if body.len() as u64 > SIDECAR_MAX {
                    break;
                }
            }
            let text = String::from_utf8_lossy(&body);
            // "<hex>", "<hex>  file.jar", or "SHA1(file.jar)= <hex>"
            let hex = text
                .split(|c: char| c.is_whitespace() || c == '=')
                .find(|t| t.len() == len && t.bytes().all(|b| b.is_ascii_hexdigit()))
                .map(str::to_ascii_lowercase);
            return match hex {
                Some(hex) => Ok(Some(Sidecar {
                    url: side,
                    sha256,
                    hex,
                })),
                None => Err(Error::Protocol {
                    backend: BACKEND,
                    endpoint: format!("GET {shown}"),
                    reason: format!(
                        "the {ext} sidecar of artifact `{}` holds no {ext} checksum",
                        self.artifact
                    ),
                    source: None,
                }),
            };
        }
        tracing::debug!(artifact = %self.artifact, "no checksum sidecar in the repository");
        Ok(None)
    }
}
