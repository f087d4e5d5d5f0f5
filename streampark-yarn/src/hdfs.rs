//! A small WebHDFS client (`/webhdfs/v1/<path>?op=…`): MKDIRS, two-step CREATE, LISTSTATUS,
//! GETFILESTATUS, DELETE.
//!
//! - CREATE is two steps: the NameNode is asked with `noredirect=true` and **no body**; it
//!   answers `{"Location": "<datanode url>"}` (or a 307 with a `Location` header on releases
//!   before 2.9), and the bytes go to that DataNode URL only.
//! - `RemoteException` answers become typed errors: `FileNotFoundException` →
//!   [`Error::NotFound`], `AccessControlException` → [`Error::PermissionDenied`],
//!   `StandbyException` → [`Error::Unavailable`] (retryable), …
//! - HA NameNodes: give every NameNode's web address ([`WebHdfsClientBuilder::with_urls`], as
//!   [`HadoopConf::webhdfs_urls`](crate::conf::HadoopConf::webhdfs_urls) lists them). A call
//!   goes to the NameNode that answered last; one that answers `StandbyException` or cannot be
//!   connected to is passed over for the next, in order (a timeout is not: the request may have
//!   been carried out). The DataNode step of CREATE goes where the active NameNode said.
//! - Simple auth (`user.name`) only; Kerberos / delegation tokens are not implemented.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use streampark_core::spi::redact_url;
use streampark_core::{Error, Result};
use url::Url;

use crate::http::{self, Body};

const BACKEND: &str = "hdfs";

/// Kind of an HDFS entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum FileKind {
    /// A file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
}

/// One entry of LISTSTATUS / GETFILESTATUS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FileStatus {
    /// Name relative to the listed directory (`""` for GETFILESTATUS).
    #[serde(default)]
    pub path_suffix: String,
    /// Size in bytes (YARN local resources must quote it exactly).
    #[serde(default)]
    pub length: u64,
    /// Modification time, ms (YARN local resources must quote it exactly).
    #[serde(default)]
    pub modification_time: i64,
    /// File or directory.
    #[serde(rename = "type")]
    pub kind: FileKind,
}

#[derive(Deserialize)]
struct FileStatusWrapper {
    #[serde(rename = "FileStatus")]
    status: FileStatus,
}

#[derive(Deserialize)]
struct FileStatusesWrapper {
    #[serde(rename = "FileStatuses")]
    statuses: FileStatuses,
}

#[derive(Deserialize)]
struct FileStatuses {
    #[serde(rename = "FileStatus", default)]
    list: Vec<FileStatus>,
}

#[derive(Deserialize)]
struct BooleanAnswer {
    boolean: bool,
}

#[derive(Deserialize)]
struct LocationAnswer {
    #[serde(rename = "Location")]
    location: String,
}

/// Builder of [`WebHdfsClient`].
#[derive(Clone, Default)]
#[must_use]
pub struct WebHdfsClientBuilder {
    urls: Vec<Url>,
    user: Option<String>,
    timeout: Option<Duration>,
}

impl fmt::Debug for WebHdfsClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebHdfsClientBuilder")
            .field("urls", &shown(&self.urls))
            .field("user", &self.user)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl WebHdfsClientBuilder {
    /// The NameNode's web address (`http://nn:9870`); replaces any given before.
    pub fn with_url(mut self, url: Url) -> Self {
        self.urls = vec![url];
        self
    }
    /// The web addresses of every NameNode of an HA nameservice, in the order to try them;
    /// replaces any given before.
    pub fn with_urls(mut self, urls: impl IntoIterator<Item = Url>) -> Self {
        self.urls = urls.into_iter().collect();
        self
    }
    http::user_and_timeout_setters!(
        user: "The `user.name` for simple auth.",
        timeout: "Per-request timeout (default 60 s: uploads of Flink's lib jars take a while)."
    );
    /// Validates and builds.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] without a URL or with one that is not http(s).
    pub fn build(self) -> Result<WebHdfsClient> {
        if self.urls.is_empty() {
            return Err(Error::invalid_config(
                BACKEND,
                "webhdfs url",
                "no URL given",
            ));
        }
        let mut urls = Vec::with_capacity(self.urls.len());
        for url in self.urls {
            let mut url = http::checked_base(BACKEND, "webhdfs url", url)?;
            let path = url.path().trim_end_matches('/').to_string();
            url.set_path(&path);
            if !urls.contains(&url) {
                urls.push(url);
            }
        }
        let timeout = self.timeout.unwrap_or(Duration::from_secs(60));
        Ok(WebHdfsClient {
            inner: Arc::new(Inner {
                http: http::no_redirect_client(BACKEND, timeout)?,
                urls,
                active: AtomicUsize::new(0),
                user: self.user,
                timeout,
            }),
        })
    }
}

/// A WebHDFS client for one NameNode or the NameNodes of an HA nameservice. Cheap to clone;
/// `Send + Sync`.
#[derive(Clone)]
pub struct WebHdfsClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// The NameNodes, in the order to try them.
    urls: Vec<Url>,
    /// Index of the NameNode that answered last.
    active: AtomicUsize,
    user: Option<String>,
    timeout: Duration,
}

impl fmt::Debug for WebHdfsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebHdfsClient")
            .field("urls", &shown(&self.inner.urls))
            .field("user", &self.inner.user)
            .finish()
    }
}

impl WebHdfsClient {
    /// A builder.
    pub fn builder() -> WebHdfsClientBuilder {
        WebHdfsClientBuilder::default()
    }

    /// The NameNode web address calls go to first (the one that answered last).
    pub fn active_url(&self) -> &Url {
        let i = self.inner.active.load(Ordering::Relaxed);
        &self.inner.urls[i % self.inner.urls.len()]
    }

    #[cfg(test)]
    fn url(&self, path: &str, op: &str, params: &[(&str, &str)]) -> Result<Url> {
        self.url_on(self.active_url(), path, op, params)
    }

    fn url_on(&self, base: &Url, path: &str, op: &str, params: &[(&str, &str)]) -> Result<Url> {
        if !path.starts_with('/') || path.split('/').any(|s| s == ".." || s == ".") {
            return Err(Error::invalid_input(
                BACKEND,
                "HDFS path",
                path,
                "must be absolute, without `.` or `..`",
            ));
        }
        let mut u = base.clone();
        {
            let mut segs = u.path_segments_mut().map_err(|_| {
                Error::invalid_config(BACKEND, "webhdfs url", "cannot carry a path")
            })?;
            segs.pop_if_empty().push("webhdfs").push("v1");
            for s in path.split('/').filter(|s| !s.is_empty()) {
                segs.push(s);
            }
        }
        {
            let mut q = u.query_pairs_mut();
            q.append_pair("op", op);
            for (k, v) in params {
                q.append_pair(k, v);
            }
            if let Some(user) = &self.inner.user {
                q.append_pair("user.name", user);
            }
        }
        Ok(u)
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        op: &str,
        params: &[(&str, &str)],
    ) -> Result<(String, http::Answer)> {
        let endpoint = format!("{method} {op} {path}");
        let urls = &self.inner.urls;
        let first = self.inner.active.load(Ordering::Relaxed) % urls.len();
        let mut passed_over = Vec::new();
        for k in 0..urls.len() {
            let i = (first + k) % urls.len();
            let url = self.url_on(&urls[i], path, op, params)?;
            let why = match http::send(
                BACKEND,
                &self.inner.http,
                self.inner.timeout,
                method.clone(),
                &url,
                Body::None,
            )
            .await
            {
                Ok(a) if is_standby(&a) => "standby".to_string(),
                Ok(a) => {
                    if i != first {
                        tracing::info!(namenode = %redact_url(urls[i].as_str()), "WebHDFS: active NameNode changed");
                        self.inner.active.store(i, Ordering::Relaxed);
                    }
                    return Ok((endpoint, a));
                }
                // Nothing reached the NameNode: the next one may be the active one.
                Err(Error::Unavailable { .. }) if urls.len() > 1 => "unreachable".to_string(),
                Err(e) => return Err(e),
            };
            passed_over.push(format!("{} ({why})", redact_url(urls[i].as_str())));
        }
        Err(Error::Unavailable {
            backend: BACKEND,
            what: format!("{endpoint}: no active NameNode: {}", passed_over.join(", ")),
            retry_after: None,
            source: None,
        })
    }

    /// Creates a directory and its parents (`permission` octal, e.g. `755`).
    pub async fn mkdirs(&self, path: &str) -> Result<()> {
        let (endpoint, a) = self
            .call(Method::PUT, path, "MKDIRS", &[("permission", "755")])
            .await?;
        if !a.status.is_success() {
            return Err(http::status_error(
                BACKEND,
                &endpoint,
                &format!("directory {path}"),
                &a,
            ));
        }
        let b: BooleanAnswer = http::decode(BACKEND, &endpoint, &a.body)?;
        if b.boolean {
            Ok(())
        } else {
            Err(Error::Rejected {
                backend: BACKEND,
                operation: endpoint,
                message: "NameNode answered false".into(),
                source: None,
            })
        }
    }

    /// Writes a file in two steps (NameNode without body, then the DataNode it names).
    pub async fn create(&self, path: &str, bytes: Vec<u8>, overwrite: bool) -> Result<()> {
        let ow = if overwrite { "true" } else { "false" };
        let (endpoint, a) = self
            .call(
                Method::PUT,
                path,
                "CREATE",
                &[("overwrite", ow), ("noredirect", "true")],
            )
            .await?;
        let location = if a.status.is_redirection() {
            a.location.clone()
        } else if a.status.is_success() {
            Some(http::decode::<LocationAnswer>(BACKEND, &endpoint, &a.body)?.location)
        } else {
            return Err(http::status_error(
                BACKEND,
                &endpoint,
                &format!("file {path}"),
                &a,
            ));
        };
        let location = location.ok_or_else(|| Error::Protocol {
            backend: BACKEND,
            endpoint: endpoint.clone(),
            reason: "no DataNode location in the answer".into(),
            source: None,
        })?;
        let dn = Url::parse(&location).map_err(|e| Error::Protocol {
            backend: BACKEND,
            endpoint: endpoint.clone(),
            reason: format!("DataNode location is not a URL: {e}"),
            source: None,
        })?;
        if !matches!(dn.scheme(), "http" | "https") {
            return Err(Error::Protocol {
                backend: BACKEND,
                endpoint,
                reason: "DataNode location is not http(s)".into(),
                source: None,
            });
        }
        let endpoint = format!("PUT CREATE {path} (DataNode)");
        let a = http::send(
            BACKEND,
            &self.inner.http,
            self.inner.timeout,
            Method::PUT,
            &dn,
            Body::Bytes(bytes),
        )
        .await?;
        if a.status == StatusCode::CREATED || a.status.is_success() {
            Ok(())
        } else {
            Err(http::status_error(
                BACKEND,
                &endpoint,
                &format!("file {path}"),
                &a,
            ))
        }
    }

    /// The entries of a directory.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the directory does not exist.
    pub async fn list_status(&self, path: &str) -> Result<Vec<FileStatus>> {
        let (endpoint, a) = self.call(Method::GET, path, "LISTSTATUS", &[]).await?;
        if !a.status.is_success() {
            return Err(http::status_error(
                BACKEND,
                &endpoint,
                &format!("directory {path}"),
                &a,
            ));
        }
        Ok(
            http::decode::<FileStatusesWrapper>(BACKEND, &endpoint, &a.body)?
                .statuses
                .list,
        )
    }

    /// The status of one path; `None` when it does not exist.
    pub async fn file_status(&self, path: &str) -> Result<Option<FileStatus>> {
        let (endpoint, a) = self.call(Method::GET, path, "GETFILESTATUS", &[]).await?;
        if !a.status.is_success() {
            return match http::status_error(BACKEND, &endpoint, &format!("file {path}"), &a) {
                Error::NotFound { .. } => Ok(None),
                e => Err(e),
            };
        }
        Ok(Some(
            http::decode::<FileStatusWrapper>(BACKEND, &endpoint, &a.body)?.status,
        ))
    }

    /// Deletes a path; returns whether something was deleted.
    pub async fn delete(&self, path: &str, recursive: bool) -> Result<bool> {
        let r = if recursive { "true" } else { "false" };
        let (endpoint, a) = self
            .call(Method::DELETE, path, "DELETE", &[("recursive", r)])
            .await?;
        if !a.status.is_success() {
            return Err(http::status_error(
                BACKEND,
                &endpoint,
                &format!("path {path}"),
                &a,
            ));
        }
        Ok(http::decode::<BooleanAnswer>(BACKEND, &endpoint, &a.body)?.boolean)
    }
}

/// Whether an answer is a standby NameNode's refusal (`403` + `StandbyException`).
fn is_standby(a: &http::Answer) -> bool {
    !a.status.is_success()
        && http::remote_exception(&a.body).is_some_and(|r| r.exception == "StandbyException")
}

fn shown(urls: &[Url]) -> Vec<String> {
    urls.iter().map(|u| redact_url(u.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded_and_checked() {
        let c = WebHdfsClient::builder()
            .with_url("http://nn:9870/".parse().unwrap())
            .with_user(Some("flink".into()))
            .build()
            .unwrap();
        let u = c
            .url("/user/flink/a b.jar", "CREATE", &[("noredirect", "true")])
            .unwrap();
        assert_eq!(
            u.as_str(),
            "http://nn:9870/webhdfs/v1/user/flink/a%20b.jar?op=CREATE&noredirect=true&user.name=flink"
        );
        assert!(c.url("relative", "LISTSTATUS", &[]).is_err());
        assert!(c.url("/a/../etc", "LISTSTATUS", &[]).is_err());
    }

    #[test]
    fn doc_sample_liststatus_parses() {
        // WebHDFS.md "List a Directory" sample answer (Apache Hadoop docs).
        let body = include_str!("../tests/fixtures/webhdfs_liststatus.json");
        let w: FileStatusesWrapper = serde_json::from_str(body).unwrap();
        assert_eq!(w.statuses.list.len(), 2);
        assert_eq!(w.statuses.list[0].path_suffix, "a.patch");
        assert_eq!(w.statuses.list[0].kind, FileKind::File);
        assert_eq!(w.statuses.list[0].length, 24930);
        assert_eq!(w.statuses.list[1].kind, FileKind::Directory);
    }
}
