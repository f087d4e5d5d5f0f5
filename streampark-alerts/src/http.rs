//! What the chat sinks share: the endpoint kept secret, its redacted form, one POST with the
//! HTTP-level classification (network, 429, 5xx), and HMAC-SHA256.

use std::fmt;
use std::time::Duration;

use streampark_core::AlertError;

/// Default time limit of one HTTP request (the `TimeoutLayer` usually sets a tighter one).
pub(crate) const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// An endpoint whose URL holds a credential (token in the query or the path).
#[derive(Clone)]
pub(crate) struct Endpoint {
    url: url::Url,
    shown: String,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Endpoint {
    /// Parses and validates an `http(s)` URL; errors name `key` and never show the URL.
    pub(crate) fn parse(sink: &str, key: &str, raw: &str) -> Result<Self, AlertError> {
        let url = url::Url::parse(raw.trim())
            .map_err(|e| AlertError::invalid_config(sink, key, format!("not a valid URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AlertError::invalid_config(
                sink,
                key,
                format!("scheme `{}` is not http or https", url.scheme()),
            ));
        }
        if url.host_str().is_none() {
            return Err(AlertError::invalid_config(sink, key, "URL has no host"));
        }
        let shown = shown(&url);
        Ok(Endpoint { url, shown })
    }

    /// The URL with its credentials (use only to send).
    pub(crate) fn url(&self) -> &url::Url {
        &self.url
    }

    /// Scheme, host and port, with path and query replaced by `/…`: safe to show anywhere.
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }
}

/// `scheme://host[:port]/…`: every credential of a webhook URL lives in its path or query.
pub(crate) fn shown(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(p) => format!("{}://{host}:{p}/…", url.scheme()),
        None => format!("{}://{host}/…", url.scheme()),
    }
}

/// An HTTP answer that was not a transport-level failure (2xx or a 4xx other than 429).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: String,
}

/// Builds the client every chat sink uses unless the host hands one in.
pub(crate) fn default_client(sink: &str) -> Result<reqwest::Client, AlertError> {
    streampark_core::spi::http_client(DEFAULT_HTTP_TIMEOUT)
        .map_err(|e| AlertError::invalid_config(sink, "http_client", e.to_string()))
}

/// POSTs `bytes` (JSON text) to `url`. Network errors and 5xx are `Unavailable`, 429 is
/// `RateLimited` (with `Retry-After`), anything else is handed back for the vendor's rules.
pub(crate) async fn post_bytes(
    client: &reqwest::Client,
    sink: &str,
    url: &url::Url,
    shown: &str,
    bytes: Vec<u8>,
    headers: &[(String, String)],
) -> Result<Answer, AlertError> {
    let started = std::time::Instant::now();
    let mut req = client
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(bytes);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| unavailable(sink, shown, None, e))?;
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = resp
        .text()
        .await
        .map_err(|e| unavailable(sink, shown, Some(status), e))?;
    tracing::debug!(
        target: "streampark_alerts::http",
        method = "POST",
        endpoint = shown,
        status,
        latency_ms = started.elapsed().as_millis() as u64,
        "http answer"
    );
    if status == 429 {
        return Err(AlertError::RateLimited {
            sink: sink.into(),
            endpoint: shown.into(),
            code: "HTTP 429".into(),
            retry_after,
        });
    }
    if status >= 500 {
        return Err(AlertError::Unavailable {
            sink: sink.into(),
            endpoint: shown.into(),
            status: Some(status),
            source: None,
        });
    }
    Ok(Answer { status, body: text })
}

fn unavailable(sink: &str, shown: &str, status: Option<u16>, e: reqwest::Error) -> AlertError {
    if e.is_timeout() {
        return AlertError::Timeout {
            sink: sink.into(),
            after: DEFAULT_HTTP_TIMEOUT,
        };
    }
    AlertError::Unavailable {
        sink: sink.into(),
        endpoint: shown.into(),
        status,
        // reqwest errors print their URL, tokens included: drop it.
        source: Some(Box::new(e.without_url())),
    }
}

/// A 4xx answer (other than 429) as a permanent rejection.
pub(crate) fn rejected_status(sink: &str, shown: &str, answer: &Answer) -> AlertError {
    AlertError::Rejected {
        sink: sink.into(),
        endpoint: shown.into(),
        code: format!("HTTP {}", answer.status),
        message: answer.body.chars().take(200).collect(),
    }
}

/// Parses a vendor's JSON answer.
pub(crate) fn parse_answer(
    sink: &str,
    shown: &str,
    answer: &Answer,
) -> Result<serde_json::Value, AlertError> {
    serde_json::from_str(&answer.body).map_err(|e| AlertError::Protocol {
        sink: sink.into(),
        endpoint: shown.into(),
        reason: format!(
            "HTTP {} with a body that is not JSON ({e}): {}",
            answer.status,
            answer.body.chars().take(120).collect::<String>()
        ),
    })
}

/// HMAC-SHA256 of `msg` keyed by `key`.
#[cfg(any(feature = "dingtalk", feature = "feishu", feature = "webhook"))]
pub(crate) fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    match hmac::Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(msg);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Current Unix time in milliseconds.
pub(crate) fn unix_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_hides_path_and_query() {
        let e = Endpoint::parse(
            "feishu",
            "url",
            "https://open.feishu.cn/open-apis/bot/v2/hook/TOKEN123",
        )
        .unwrap();
        assert_eq!(e.shown(), "https://open.feishu.cn/…");
        assert_eq!(format!("{e:?}"), "https://open.feishu.cn/…");
        let e = Endpoint::parse("x", "url", "http://127.0.0.1:8080/a?key=K").unwrap();
        assert_eq!(e.shown(), "http://127.0.0.1:8080/…");
    }

    #[test]
    fn bad_urls_name_the_key_not_the_value() {
        let e = Endpoint::parse("slack", "url", "ftp://host/SECRETPATH").unwrap_err();
        let s = e.to_string();
        assert!(s.contains("`url`") && !s.contains("SECRETPATH"), "{s}");
        let e = Endpoint::parse("slack", "url", "not a url SECRET").unwrap_err();
        assert!(!e.to_string().contains("SECRET"));
    }
}
