//! DingTalk custom robot: markdown messages, signed, with `at` mentions.

use base64::Engine;
use serde_json::json;
use streampark_core::{Alert, AlertError, AlertSink};

use super::common::{self, Common};
use crate::http;
use crate::secret::Secret;
use crate::template::Flavor;

/// Sends markdown to a DingTalk custom robot
/// (`https://oapi.dingtalk.com/robot/send?access_token=…`).
///
/// With a secret, every request carries `timestamp` (Unix ms) and `sign` (URL-encoded base64
/// of HMAC-SHA256 keyed by the secret over `timestamp + "\n" + secret`) in the query.
/// Mentioned mobiles and user ids are appended to the text as `@…`, as the robot requires.
/// An `errcode` other than 0 in the HTTP 200 answer is an error: 410100/130101 ("send too
/// fast") and -1 (busy) are retryable, 310000 (signature, keyword, IP) and 300001 (token) are not.
///
/// ```
/// use streampark_alerts::DingTalkSink;
/// let sink = DingTalkSink::builder()
///     .with_url("https://oapi.dingtalk.com/robot/send?access_token=abc")
///     .with_secret("SEC000")
///     .with_at_mobile("13800000000")
///     .build()?;
/// assert!(!format!("{sink:?}").contains("abc"));
/// # Ok::<(), streampark_core::AlertError>(())
/// ```
#[derive(Debug)]
pub struct DingTalkSink {
    common: Common,
    secret: Option<Secret>,
    at_mobiles: Vec<String>,
    at_user_ids: Vec<String>,
    at_all: bool,
}

/// Builder of [`DingTalkSink`]; validated in [`DingTalkSinkBuilder::build`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct DingTalkSinkBuilder {
    name: Option<String>,
    url: Option<Secret>,
    secret: Option<Secret>,
    at_mobiles: Vec<String>,
    at_user_ids: Vec<String>,
    at_all: bool,
    title: Option<String>,
    body: Option<String>,
    client: Option<reqwest::Client>,
}

impl DingTalkSinkBuilder {
    /// Name for errors and spans (default `dingtalk`).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// The webhook URL with its `access_token` (required; kept secret).
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(Secret::new(url));
        self
    }
    /// The signing secret (`SEC…`) of the robot's "sign" security setting.
    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(Secret::new(secret));
        self
    }
    /// Mentions a member by mobile number (`at.atMobiles`).
    pub fn with_at_mobile(mut self, mobile: impl Into<String>) -> Self {
        self.at_mobiles.push(mobile.into());
        self
    }
    /// Mentions a member by user id (`at.atUserIds`).
    pub fn with_at_user_id(mut self, id: impl Into<String>) -> Self {
        self.at_user_ids.push(id.into());
        self
    }
    /// Mentions everyone (`at.isAtAll`).
    pub fn with_at_all(mut self, all: bool) -> Self {
        self.at_all = all;
        self
    }
    /// A minijinja template for the title (see [`crate::Templates`]).
    pub fn with_title_template(mut self, t: impl Into<String>) -> Self {
        self.title = Some(t.into());
        self
    }
    /// A minijinja template for the markdown body.
    pub fn with_body_template(mut self, t: impl Into<String>) -> Self {
        self.body = Some(t.into());
        self
    }
    /// The HTTP client (tests point it anywhere; the default is the SDK's rustls client).
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Validates the settings.
    ///
    /// # Errors
    /// [`AlertError::InvalidConfig`] naming the key (`url`, `secret`, `at_mobiles`), or
    /// [`AlertError::Template`] for a template that does not compile.
    pub fn build(self) -> Result<DingTalkSink, AlertError> {
        let common = common::build(
            "dingtalk",
            self.name.as_deref(),
            self.url.as_ref(),
            self.client.as_ref(),
            Flavor::Markdown,
            self.title.as_deref(),
            self.body.as_deref(),
        )?;
        if let Some(s) = &self.secret
            && s.is_empty()
        {
            return Err(AlertError::invalid_config(
                &common.name,
                "secret",
                "is empty",
            ));
        }
        if let Some(m) = self.at_mobiles.iter().find(|m| {
            m.is_empty()
                || !m
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '+' || c == '-')
        }) {
            return Err(AlertError::invalid_config(
                &common.name,
                "at_mobiles",
                format!("`{m}` is not a mobile number"),
            ));
        }
        Ok(DingTalkSink {
            common,
            secret: self.secret,
            at_mobiles: self.at_mobiles,
            at_user_ids: self.at_user_ids,
            at_all: self.at_all,
        })
    }
}

impl DingTalkSink {
    /// A builder.
    pub fn builder() -> DingTalkSinkBuilder {
        DingTalkSinkBuilder::default()
    }

    /// The payload for `alert` (exposed for tests and dry runs).
    ///
    /// # Errors
    /// [`AlertError::Template`] when a template fails.
    pub fn payload(&self, alert: &Alert) -> Result<serde_json::Value, AlertError> {
        let mentions: Vec<String> = self
            .at_mobiles
            .iter()
            .chain(&self.at_user_ids)
            .map(|m| format!("@{m}"))
            .collect();
        let mentions = mentions.join(" ");
        let t = &self.common.templates;
        Ok(json!({
            "msgtype": "markdown",
            "markdown": { "title": t.title(alert, &mentions)?, "text": t.body(alert, &mentions)? },
            "at": { "atMobiles": self.at_mobiles, "atUserIds": self.at_user_ids, "isAtAll": self.at_all },
        }))
    }
}

/// `base64(HmacSHA256(key = secret, msg = timestamp + "\n" + secret))`, before URL-encoding.
pub(crate) fn sign(secret: &str, timestamp_ms: u128) -> String {
    let msg = format!("{timestamp_ms}\n{secret}");
    base64::engine::general_purpose::STANDARD
        .encode(http::hmac_sha256(secret.as_bytes(), msg.as_bytes()))
}

/// Maps a DingTalk answer to a result.
fn check(name: &str, shown: &str, answer: &http::Answer) -> Result<(), AlertError> {
    if answer.status >= 400 {
        return Err(http::rejected_status(name, shown, answer));
    }
    let v = http::parse_answer(name, shown, answer)?;
    let code = v
        .get("errcode")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(-999);
    let msg = v
        .get("errmsg")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect::<String>();
    match code {
        0 => Ok(()),
        410100 | 130101 | 90030 => Err(AlertError::RateLimited {
            sink: name.into(),
            endpoint: shown.into(),
            code: code.to_string(),
            retry_after: None,
        }),
        -1 => Err(AlertError::Unavailable {
            sink: name.into(),
            endpoint: shown.into(),
            status: Some(answer.status),
            source: None,
        }),
        -999 => Err(AlertError::Protocol {
            sink: name.into(),
            endpoint: shown.into(),
            reason: "answer has no `errcode`".into(),
        }),
        _ => Err(AlertError::Rejected {
            sink: name.into(),
            endpoint: shown.into(),
            code: code.to_string(),
            message: msg,
        }),
    }
}

#[async_trait::async_trait]
impl AlertSink for DingTalkSink {
    fn name(&self) -> &str {
        &self.common.name
    }

    #[tracing::instrument(name = "alert.send", skip_all, fields(sink = "dingtalk", name = %self.common.name,
        endpoint = %self.common.endpoint.shown(), severity = %alert.severity, fingerprint = %alert.fingerprint()),
        err(level = tracing::Level::WARN))]
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        let body = self.payload(alert)?;
        let mut url = self.common.endpoint.url().clone();
        if let Some(secret) = &self.secret {
            let ts = http::unix_millis();
            url.query_pairs_mut()
                .append_pair("timestamp", &ts.to_string())
                .append_pair("sign", &sign(secret.expose(), ts));
        }
        let shown = self.common.endpoint.shown();
        let answer = http::post_json(
            &self.common.client,
            &self.common.name,
            &url,
            shown,
            &body,
            &[],
        )
        .await?;
        check(&self.common.name, shown, &answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_signature() {
        // Computed independently: printf '1700000000000\nSECtest' | openssl dgst -sha256 -hmac SECtest -binary | base64
        assert_eq!(
            sign("SECtest", 1_700_000_000_000),
            "aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g="
        );
    }

    #[test]
    fn answers_map_to_categories() {
        let a = |s: &str| http::Answer {
            status: 200,
            body: s.into(),
        };
        assert!(check("d", "e", &a(r#"{"errcode":0,"errmsg":"ok"}"#)).is_ok());
        let e = check(
            "d",
            "e",
            &a(r#"{"errcode":310000,"errmsg":"sign not match"}"#),
        )
        .unwrap_err();
        assert!(!e.is_retryable() && e.to_string().contains("310000"), "{e}");
        let e = check(
            "d",
            "e",
            &a(r#"{"errcode":410100,"errmsg":"send too fast"}"#),
        )
        .unwrap_err();
        assert!(e.is_retryable());
        let e = check("d", "e", &a(r#"{"errcode":-1,"errmsg":"busy"}"#)).unwrap_err();
        assert!(e.is_retryable());
        let e = check("d", "e", &a("<html>")).unwrap_err();
        assert!(matches!(e, AlertError::Protocol { .. }));
    }

    #[test]
    fn builder_validates() {
        let e = DingTalkSink::builder().build().unwrap_err();
        assert!(e.to_string().contains("`url`"), "{e}");
        let e = DingTalkSink::builder()
            .with_url("https://oapi.dingtalk.com/robot/send?access_token=x")
            .with_at_mobile("13x")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("`at_mobiles`"), "{e}");
    }
}
