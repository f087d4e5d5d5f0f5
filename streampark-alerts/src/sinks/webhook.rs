//! Generic JSON webhook, body from a template, optionally HMAC-signed.

use serde_json::json;
use streampark_core::{Alert, AlertError, AlertSink};

use super::common::{self, Common};
use crate::http;
use crate::secret::Secret;
use crate::template::{Flavor, View};

/// Header carrying the Unix time (seconds) of a signed request.
pub const TIMESTAMP_HEADER: &str = "X-Streampark-Timestamp";
/// Header carrying `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`.
pub const SIGNATURE_HEADER: &str = "X-Streampark-Signature";

/// POSTs JSON to any URL. The default body is the alert itself:
/// `{"version":"1","status","severity","title","text","job","team","labels","annotations",
/// "links","starts_at","ends_at","fingerprint"}`; a body template (minijinja, with the
/// `tojson` filter) replaces it and must render valid JSON.
///
/// With a signing secret, requests carry [`TIMESTAMP_HEADER`] and [`SIGNATURE_HEADER`]:
/// `sha256=` + hex HMAC-SHA256 keyed by the secret over `timestamp + "." + body`. Any 2xx is
/// success; 429 and 5xx are retryable; other statuses are rejections.
#[derive(Debug)]
pub struct WebhookSink {
    common: Common,
    body_template: bool,
    secret: Option<Secret>,
    headers: Vec<(String, Secret)>,
}

/// Builder of [`WebhookSink`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct WebhookSinkBuilder {
    name: Option<String>,
    url: Option<Secret>,
    secret: Option<Secret>,
    headers: Vec<(String, Secret)>,
    body: Option<String>,
    client: Option<reqwest::Client>,
}

impl WebhookSinkBuilder {
    /// Name for errors and spans (default `webhook`).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// The URL (required; kept secret).
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(Secret::new(url));
        self
    }
    /// Signs every request with this secret.
    pub fn with_signing_secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(Secret::new(secret));
        self
    }
    /// Adds a header; its value is treated as a secret (`Authorization: Bearer …`).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), Secret::new(value)));
        self
    }
    /// A minijinja template for the JSON body.
    pub fn with_body_template(mut self, t: impl Into<String>) -> Self {
        self.body = Some(t.into());
        self
    }
    /// The HTTP client.
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Validates the settings.
    ///
    /// # Errors
    /// [`AlertError::InvalidConfig`] naming the key, or [`AlertError::Template`].
    pub fn build(self) -> Result<WebhookSink, AlertError> {
        let common = common::build(
            "webhook",
            self.name.as_deref(),
            self.url.as_ref(),
            self.client.as_ref(),
            Flavor::Text,
            None,
            self.body.as_deref(),
        )?;
        for (k, v) in &self.headers {
            if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err() {
                return Err(AlertError::invalid_config(
                    &common.name,
                    "headers",
                    format!("`{k}` is not a valid header name"),
                ));
            }
            if reqwest::header::HeaderValue::from_str(v.expose()).is_err() {
                return Err(AlertError::invalid_config(
                    &common.name,
                    format!("headers.{k}"),
                    "value is not a valid header value",
                ));
            }
        }
        Ok(WebhookSink {
            common,
            body_template: self.body.is_some(),
            secret: self.secret,
            headers: self.headers,
        })
    }
}

/// `sha256=` + hex HMAC-SHA256 keyed by `secret` over `timestamp + "." + body`.
pub(crate) fn sign(secret: &str, timestamp_s: u64, body: &[u8]) -> String {
    let mut msg = format!("{timestamp_s}.").into_bytes();
    msg.extend_from_slice(body);
    format!(
        "sha256={}",
        hex::encode(http::hmac_sha256(secret.as_bytes(), &msg))
    )
}

impl WebhookSink {
    /// A builder.
    pub fn builder() -> WebhookSinkBuilder {
        WebhookSinkBuilder::default()
    }

    /// The JSON body for `alert`.
    ///
    /// # Errors
    /// [`AlertError::Template`] when the template fails or does not render valid JSON.
    pub fn payload(&self, alert: &Alert) -> Result<serde_json::Value, AlertError> {
        if !self.body_template {
            let mut v = serde_json::to_value(View::of(alert)).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("version".into(), json!("1"));
                o.remove("is_resolved");
            }
            return Ok(v);
        }
        let text = self.common.templates.body(alert, "")?;
        serde_json::from_str(&text).map_err(|e| AlertError::Template {
            sink: self.common.name.clone(),
            template: "body".into(),
            reason: format!("did not render valid JSON: {e}"),
        })
    }
}

#[async_trait::async_trait]
impl AlertSink for WebhookSink {
    fn name(&self) -> &str {
        &self.common.name
    }

    #[tracing::instrument(name = "alert.send", skip_all, fields(sink = "webhook", name = %self.common.name,
        endpoint = %self.common.endpoint.shown(), severity = %alert.severity, fingerprint = %alert.fingerprint()),
        err(level = tracing::Level::WARN))]
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        let body = serde_json::to_vec(&self.payload(alert)?).unwrap_or_default();
        let mut headers: Vec<(&str, String)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose().to_string()))
            .collect();
        if let Some(secret) = &self.secret {
            let ts = (http::unix_millis() / 1000) as u64;
            headers.push((SIGNATURE_HEADER, sign(secret.expose(), ts, &body)));
            headers.push((TIMESTAMP_HEADER, ts.to_string()));
        }
        let shown = self.common.endpoint.shown();
        let answer = http::post_bytes(
            &self.common.client,
            &self.common.name,
            self.common.endpoint.url(),
            shown,
            body,
            &headers,
        )
        .await?;
        if answer.status >= 300 {
            return Err(http::rejected_status(&self.common.name, shown, &answer));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_signature() {
        // printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec
        assert_eq!(
            sign("whsec", 1_700_000_000, b"{}"),
            "sha256=7d44587dddbaf4c7f70fef20f48cd594834ffea1641e3ac227b84408298738af"
        );
    }
}
