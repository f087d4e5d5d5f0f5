//! Generic JSON webhook, body from a template, optionally HMAC-signed.

use serde_json::json;
use streampark_core::{Alert, AlertError};

use super::chat::{
    AnswerRules, ChatCore, ChatSettings, ChatVendor, Outgoing, chat_alert_sink, chat_setters,
};
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
    core: ChatCore,
    body_template: bool,
    headers: Vec<(String, Secret)>,
}

/// Builder of [`WebhookSink`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct WebhookSinkBuilder {
    chat: ChatSettings,
    headers: Vec<(String, Secret)>,
}

chat_setters!(
    WebhookSinkBuilder,
    kind = "webhook",
    url = "The URL (required; kept secret).",
    secret = with_signing_secret: "Signs every request with this secret.",
    body = "A minijinja template for the JSON body.",
);

impl WebhookSinkBuilder {
    /// Adds a header; its value is treated as a secret (`Authorization: Bearer …`).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), Secret::new(value)));
        self
    }

    /// Validates the settings.
    ///
    /// # Errors
    /// [`AlertError::InvalidConfig`] naming the key, or [`AlertError::Template`].
    pub fn build(self) -> Result<WebhookSink, AlertError> {
        let core = self.chat.build("webhook", Flavor::Text)?;
        for (k, v) in &self.headers {
            if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err() {
                return Err(AlertError::invalid_config(
                    &core.name,
                    "headers",
                    format!("`{k}` is not a valid header name"),
                ));
            }
            if reqwest::header::HeaderValue::from_str(v.expose()).is_err() {
                return Err(AlertError::invalid_config(
                    &core.name,
                    format!("headers.{k}"),
                    "value is not a valid header value",
                ));
            }
        }
        Ok(WebhookSink {
            core,
            body_template: self.chat.body.is_some(),
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
        let text = self.core.templates.body(alert, "")?;
        serde_json::from_str(&text).map_err(|e| AlertError::Template {
            sink: self.core.name.clone(),
            template: "body".into(),
            reason: format!("did not render valid JSON: {e}"),
        })
    }
}

impl ChatVendor for WebhookSink {
    /// Any 2xx.
    const ANSWER: AnswerRules = AnswerRules::Status2xx;

    /// The configured headers, then [`SIGNATURE_HEADER`] and [`TIMESTAMP_HEADER`] over the
    /// final body.
    fn sign_request(&self, req: &mut Outgoing) {
        req.headers.extend(
            self.headers
                .iter()
                .map(|(k, v)| (k.clone(), v.expose().to_string())),
        );
        if let Some(secret) = &self.core.secret {
            let ts = (http::unix_millis() / 1000) as u64;
            req.headers.push((
                SIGNATURE_HEADER.into(),
                sign(secret.expose(), ts, &req.body),
            ));
            req.headers.push((TIMESTAMP_HEADER.into(), ts.to_string()));
        }
    }
}

chat_alert_sink!(WebhookSink);

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
