//! One HTTP stack for every crate: reqwest over rustls with the *ring* crypto provider.
//!
//! reqwest's own `rustls` feature would compile aws-lc-rs as well; we enable
//! `rustls-no-provider` and hand reqwest a ring-backed rustls configuration that verifies
//! certificates with the platform's trust store, so exactly one provider is compiled for
//! reqwest, kube and lettre.

use std::sync::Arc;
use std::time::Duration;

use rustls_platform_verifier::BuilderVerifierExt;

use crate::{Error, Result};

fn tls_config() -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Other {
            backend: "http",
            message: "TLS protocol versions".into(),
            source: Some(Box::new(e)),
        })?;
    let builder = builder.with_platform_verifier().map_err(|e| Error::Other {
        backend: "http",
        message: "platform certificate verifier".into(),
        source: Some(Box::new(e)),
    })?;
    Ok(builder.with_no_client_auth())
}

/// A `reqwest::ClientBuilder` with the SDK's TLS stack and a connect timeout; add your own
/// settings, then `build()`.
///
/// # Errors
/// When the platform's trust store cannot be loaded.
pub fn http_client_builder() -> Result<reqwest::ClientBuilder> {
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config()?)
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(60)))
}

/// A ready `reqwest::Client` whose every request times out after `timeout`.
///
/// ```
/// let client = streampark_core::spi::http_client(std::time::Duration::from_secs(5))?;
/// # let _ = client;
/// # Ok::<(), streampark_core::Error>(())
/// ```
///
/// # Errors
/// When the platform's trust store cannot be loaded.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client> {
    http_client_builder()?
        .timeout(timeout)
        .build()
        .map_err(|e| Error::Other {
            backend: "http",
            message: "building the HTTP client".into(),
            source: Some(Box::new(e)),
        })
}

/// An URL with user info, and query parameters that look like secrets, replaced by `******`.
///
/// ```
/// use streampark_core::spi::redact_url;
/// assert_eq!(
///     redact_url("https://bob:pw@h.example/x?access_token=abc&page=2"),
///     "https://******:******@h.example/x?access_token=******&page=2"
/// );
/// ```
pub fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        return "<unparsable url>".to_string();
    };
    if !url.username().is_empty() {
        let _ = url.set_username("******");
    }
    if url.password().is_some() {
        let _ = url.set_password(Some("******"));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let lk = k.to_ascii_lowercase();
                let secret = ["token", "secret", "sign", "key", "password", "pwd", "auth"]
                    .iter()
                    .any(|s| lk.contains(s));
                (
                    k.into_owned(),
                    if secret {
                        "******".to_string()
                    } else {
                        v.into_owned()
                    },
                )
            })
            .collect();
        let q: Vec<String> = pairs
            .iter()
            .map(|(k, v)| {
                if v == "******" {
                    format!("{k}=******")
                } else {
                    url::form_urlencoded::Serializer::new(String::new())
                        .append_pair(k, v)
                        .finish()
                }
            })
            .collect();
        url.set_query(Some(&q.join("&")));
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_without_a_global_provider() {
        // Would panic inside reqwest if no provider were handed over.
        let c = http_client(Duration::from_secs(1));
        assert!(c.is_ok());
    }

    #[test]
    fn redacts_credentials() {
        let r = redact_url("https://oapi.dingtalk.com/robot/send?access_token=SECRET1&timestamp=1");
        assert!(!r.contains("SECRET1"), "{r}");
        assert!(r.contains("timestamp=1"), "{r}");
        assert_eq!(redact_url("::"), "<unparsable url>");
        let r = redact_url("http://u:SECRET2@127.0.0.1:1/");
        assert!(!r.contains("SECRET2") && !r.contains("u:"), "{r}");
    }
}
