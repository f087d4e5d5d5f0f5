//! A small WebHDFS client (`/webhdfs/v1/<path>?op=…`): MKDIRS, two-step CREATE, LISTSTATUS,
//! GETFILESTATUS, DELETE.
//!
//! - CREATE is two steps: the NameNode is asked with `noredirect=true` and **no body**; it
//!   answers `{"Location": "<datanode url>"}` (or a 307 with a `Location` header on releases
//!   before 2.9), and the bytes go to that DataNode URL only.
//! - `RemoteException` answers become typed errors: `FileNotFoundException` →
//!   [`Error::NotFound`], `AccessControlException` → [`Error::PermissionDenied`],
//!   `StandbyException` → [`Error::Unavailable`] (retryable), …
//! - Simple auth (`user.name`) only; Kerberos / delegation tokens are not implemented.

use std::fmt;
use std::sync::Arc;
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
    url: Option<Url>,
    user: Option<String>,
    timeout: Option<Duration>,
}

impl fmt::Debug for WebHdfsClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebHdfsClientBuilder")
            .field("url", &self.url.as_ref().map(|u| redact_url(u.as_str())))
            .field("user", &self.user)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl WebHdfsClientBuilder {
    /// The NameNode's web address (`http://nn:9870`).
    pub fn with_url(mut self, url: Url) -> Self {
        self.url = Some(url);
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
        let Some(url) = self.url else {
            return Err(Error::invalid_config(
                BACKEND,
                "webhdfs url",
                "no URL given",
            ));
        };
        let mut url = http::checked_base(BACKEND, "webhdfs url", url)?;
        let path = url.path().trim_end_matches('/').to_string();
        url.set_path(&path);
        let timeout = self.timeout.unwrap_or(Duration::from_secs(60));
        Ok(WebHdfsClient {
            inner: Arc::new(Inner {
                http: http::no_redirect_client(BACKEND, timeout)?,
                url,
                user: self.user,
                timeout,
            }),
        })
    }
}

/// A WebHDFS client for one NameNode. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct WebHdfsClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    url: Url,
    user: Option<String>,
    timeout: Duration,
}

impl fmt::Debug for WebHdfsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebHdfsClient")
            .field("url", &redact_url(self.inner.url.as_str()))
            .field("user", &self.inner.user)
            .finish()
    }
}

impl WebHdfsClient {
    /// A builder.
    pub fn builder() -> WebHdfsClientBuilder {
        WebHdfsClientBuilder::default()
    }

    fn url(&self, path: &str, op: &str, params: &[(&str, &str)]) -> Result<Url> {
        if !path.starts_with('/') || path.split('/').any(|s| s == ".." || s == ".") {
            return Err(Error::invalid_input(
                BACKEND,
                "HDFS path",
                path,
                "must be absolute, without `.` or `..`",
            ));
        }
        let mut u = self.inner.url.clone();
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
        let url = self.url(path, op, params)?;
        let endpoint = format!("{method} {op} {path}");
        let a = http::send(
            BACKEND,
            &self.inner.http,
            self.inner.timeout,
            method,
            &url,
            Body::None,
        )
        .await?;
        Ok((endpoint, a))
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
