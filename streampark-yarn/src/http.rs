//! Shared HTTP plumbing for the ResourceManager and WebHDFS clients: one request with a
//! timeout and a tracing span, Hadoop's `RemoteException` JSON mapped to typed errors, URLs
//! redacted in every error.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use streampark_core::spi::{http_client_builder, redact_url};
use streampark_core::{Error, Result};
use tracing::Instrument;
use url::Url;

/// Answers larger than this are refused (app lists of big clusters stay well below).
pub(crate) const MAX_ANSWER: usize = 32 << 20;

/// An HTTP client that never follows redirects (a standby RM or a NameNode answers 307 and the
/// caller decides what to do with the `Location`).
pub(crate) fn no_redirect_client(
    backend: &'static str,
    timeout: Duration,
) -> Result<reqwest::Client> {
    http_client_builder()?
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .map_err(|e| Error::Other {
            backend,
            message: "building the HTTP client".into(),
            source: Some(Box::new(e)),
        })
}

/// Checks that `url` is an http(s) URL with a host and drops its query: the base address of a
/// ResourceManager or NameNode (`what` names the setting in the error).
pub(crate) fn checked_base(backend: &'static str, what: &str, mut url: Url) -> Result<Url> {
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::invalid_config(
            backend,
            what,
            format!("`{}` is not an http(s) URL", redact_url(url.as_str())),
        ));
    }
    url.set_query(None);
    Ok(url)
}

/// The `with_user` / `with_timeout` setters the ResourceManager and WebHDFS builders share
/// (fields `user: Option<String>` and `timeout: Option<Duration>`).
macro_rules! user_and_timeout_setters {
    (user: $user_doc:literal, timeout: $timeout_doc:literal) => {
        #[doc = $user_doc]
        pub fn with_user(mut self, user: Option<String>) -> Self {
            self.user = user;
            self
        }
        #[doc = $timeout_doc]
        pub fn with_timeout(mut self, d: Duration) -> Self {
            self.timeout = Some(d);
            self
        }
    };
}
pub(crate) use user_and_timeout_setters;

/// One answer: status, `Location` header and body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) body: Vec<u8>,
}

/// A request body.
#[derive(Debug)]
pub(crate) enum Body {
    None,
    Json(serde_json::Value),
    Bytes(Vec<u8>),
}

/// Sends one request asking for JSON; transport errors become `Timeout`/`Unavailable`, every
/// other outcome (including 3xx and 4xx) is returned for the caller to judge.
pub(crate) async fn send(
    backend: &'static str,
    http: &reqwest::Client,
    timeout: Duration,
    method: Method,
    url: &url::Url,
    body: Body,
) -> Result<Answer> {
    send_accepting(
        backend,
        http,
        timeout,
        method,
        url,
        body,
        "application/json",
    )
    .await
}

/// [`send`] with another `Accept` header: a NodeManager's `containerlogs` endpoint answers only
/// `text/plain` (asked for JSON, a real one fails with a `WebApplicationException`).
pub(crate) async fn send_accepting(
    backend: &'static str,
    http: &reqwest::Client,
    timeout: Duration,
    method: Method,
    url: &url::Url,
    body: Body,
    accept: &str,
) -> Result<Answer> {
    let shown = redact_url(url.as_str());
    let endpoint = format!("{method} {shown}");
    let span = tracing::debug_span!("yarn.http", backend, method = %method, url = %shown, status = tracing::field::Empty);
    async {
        let mut req = http
            .request(method.clone(), url.clone())
            .timeout(timeout)
            .header(reqwest::header::ACCEPT, accept);
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(&v),
            Body::Bytes(b) => req
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(b),
        };
        let mut resp = req
            .send()
            .await
            .map_err(|e| transport_error(backend, &endpoint, timeout, e))?;
        let status = resp.status();
        tracing::Span::current().record("status", status.as_u16());
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut buf = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| transport_error(backend, &endpoint, timeout, e))?
        {
            if buf.len() + chunk.len() > MAX_ANSWER {
                return Err(Error::Protocol {
                    backend,
                    endpoint,
                    reason: format!("answer larger than {MAX_ANSWER} bytes"),
                    source: None,
                });
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            location,
            body: buf,
        })
    }
    .instrument(span)
    .await
}

fn transport_error(
    backend: &'static str,
    endpoint: &str,
    timeout: Duration,
    e: reqwest::Error,
) -> Error {
    if e.is_timeout() {
        Error::Timeout {
            backend,
            operation: endpoint.to_string(),
            after: timeout,
        }
    } else {
        Error::Unavailable {
            backend,
            what: endpoint.to_string(),
            retry_after: None,
            source: Some(Box::new(e.without_url())),
        }
    }
}

/// Decodes a JSON answer; malformed JSON is a `Protocol` error naming the endpoint.
pub(crate) fn decode<T: DeserializeOwned>(
    backend: &'static str,
    endpoint: &str,
    bytes: &[u8],
) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Protocol {
        backend,
        endpoint: endpoint.to_string(),
        reason: format!("malformed JSON at line {} column {}", e.line(), e.column()),
        source: Some(Box::new(e)),
    })
}

#[derive(Debug, Deserialize)]
struct RemoteExceptionWrapper {
    #[serde(rename = "RemoteException")]
    remote: RemoteException,
}

/// Hadoop's error body: `{"RemoteException":{"exception","message","javaClassName"}}`.
#[derive(Debug, Deserialize, Default)]
pub(crate) struct RemoteException {
    #[serde(default)]
    pub(crate) exception: String,
    #[serde(default)]
    pub(crate) message: String,
}

/// Parses a `RemoteException` body, if the answer is one.
pub(crate) fn remote_exception(body: &[u8]) -> Option<RemoteException> {
    serde_json::from_slice::<RemoteExceptionWrapper>(body)
        .ok()
        .map(|w| w.remote)
}

/// Maps a non-success answer to a typed error: Hadoop's exception class picks the category,
/// the status code decides when there is none.
pub(crate) fn status_error(
    backend: &'static str,
    endpoint: &str,
    what: &str,
    answer: &Answer,
) -> Error {
    let remote = remote_exception(&answer.body);
    let message = match &remote {
        Some(r) if !r.message.is_empty() => format!("{}: {}", r.exception, r.message),
        Some(r) => r.exception.clone(),
        None => {
            let text = String::from_utf8_lossy(&answer.body);
            let text: String = text.trim().chars().take(300).collect();
            format!(
                "HTTP {}{}",
                answer.status.as_u16(),
                if text.is_empty() {
                    String::new()
                } else {
                    format!(": {text}")
                }
            )
        }
    };
    let class = remote.as_ref().map(|r| r.exception.as_str()).unwrap_or("");
    match class {
        "FileNotFoundException" | "NotFoundException" => {
            return Error::NotFound {
                backend,
                what: what.to_string(),
            };
        }
        "AccessControlException"
        | "SecurityException"
        | "AuthorizationException"
        | "ForbiddenException" => {
            return Error::PermissionDenied {
                backend,
                reason: format!("{endpoint}: {message}"),
            };
        }
        "StandbyException" | "RetriableException" | "SafeModeException" => {
            return Error::Unavailable {
                backend,
                what: format!("{endpoint} ({message})"),
                retry_after: None,
                source: None,
            };
        }
        "IllegalArgumentException" | "BadRequestException" | "InvalidPathException" => {
            return Error::InvalidInput {
                backend,
                what: what.to_string(),
                at: endpoint.to_string(),
                reason: message,
            };
        }
        _ => {}
    }
    match answer.status {
        StatusCode::NOT_FOUND => Error::NotFound {
            backend,
            what: what.to_string(),
        },
        StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => Error::PermissionDenied {
            backend,
            reason: format!("{endpoint}: {message}"),
        },
        StatusCode::TOO_MANY_REQUESTS
        | StatusCode::BAD_GATEWAY
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => Error::Unavailable {
            backend,
            what: format!("{endpoint} ({message})"),
            retry_after: None,
            source: None,
        },
        _ => Error::Rejected {
            backend,
            operation: endpoint.to_string(),
            message,
            source: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            location: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn remote_exceptions_pick_the_category() {
        let nf = r#"{"RemoteException":{"exception":"FileNotFoundException","javaClassName":"java.io.FileNotFoundException","message":"File does not exist: /x"}}"#;
        assert!(
            matches!(status_error("hdfs", "GET /x", "file /x", &answer(404, nf)), Error::NotFound { what, .. } if what == "file /x")
        );
        let acl = r#"{"RemoteException":{"exception":"AccessControlException","message":"Permission denied: user=bob"}}"#;
        assert!(
            matches!(status_error("hdfs", "PUT /x", "file /x", &answer(403, acl)), Error::PermissionDenied { reason, .. } if reason.contains("user=bob"))
        );
        let sb = r#"{"RemoteException":{"exception":"StandbyException","message":"Operation category READ is not supported in state standby"}}"#;
        let e = status_error("hdfs", "GET /x", "file /x", &answer(403, sb));
        assert!(e.is_retryable(), "{e:?}");
        let bad = r#"{"RemoteException":{"exception":"BadRequestException","message":"Only 'KILLED' is allowed as a target state."}}"#;
        assert!(
            matches!(status_error("yarn", "PUT state", "app", &answer(400, bad)), Error::InvalidInput { reason, .. } if reason.contains("KILLED"))
        );
        let other = r#"{"RemoteException":{"exception":"FileAlreadyExistsException","message":"/x already exists"}}"#;
        assert!(matches!(
            status_error("hdfs", "PUT /x", "file /x", &answer(403, other)),
            Error::PermissionDenied { .. }
        ));
        assert!(
            matches!(status_error("hdfs", "PUT /x", "file /x", &answer(500, other)), Error::Rejected { message, .. } if message.contains("already exists"))
        );
        assert!(matches!(
            status_error("yarn", "GET /a", "app", &answer(503, "busy")),
            Error::Unavailable { .. }
        ));
    }
}
