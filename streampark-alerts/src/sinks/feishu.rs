//! Feishu / Lark custom bot: interactive cards, signed in the body, `<at>` mentions.

use base64::Engine;
use serde_json::json;
use streampark_core::{Alert, AlertError, AlertSink, Severity};

use super::common::{self, Common};
use crate::http;
use crate::secret::Secret;
use crate::template::Flavor;

/// Largest body the bot accepts is 20 KB; the card text is cut well below.
const MAX_CARD_TEXT: usize = 16 * 1024;

/// Sends interactive cards to a Feishu or Lark custom bot
/// (`https://open.feishu.cn/open-apis/bot/v2/hook/<token>`, or `open.larksuite.com`).
///
/// With a secret, the JSON body carries `timestamp` (Unix **seconds**, as a string) and `sign`:
/// base64 of HMAC-SHA256 keyed by `timestamp + "\n" + secret` over an **empty** message (not
/// DingTalk's scheme). Mentions are `<at id=…></at>` / `<at email=…></at>` / `<at id=all></at>`
/// in the card's `lark_md`. A `code` (or legacy `StatusCode`) other than 0 is an error: 11232
/// (frequency) is retryable; 19021 (signature or timestamp), 19022 (IP), 19024 (keyword) and
/// 9499 (bad request) are not.
#[derive(Debug)]
pub struct FeishuSink {
    common: Common,
    secret: Option<Secret>,
    at_ids: Vec<String>,
    at_emails: Vec<String>,
    at_all: bool,
}

/// Builder of [`FeishuSink`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct FeishuSinkBuilder {
    name: Option<String>,
    url: Option<Secret>,
    secret: Option<Secret>,
    at_ids: Vec<String>,
    at_emails: Vec<String>,
    at_all: bool,
    title: Option<String>,
    body: Option<String>,
    client: Option<reqwest::Client>,
}

impl FeishuSinkBuilder {
    /// Name for errors and spans (default `feishu`).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// The hook URL with its token (required; kept secret).
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(Secret::new(url));
        self
    }
    /// The signing secret of the bot's "signature" security setting.
    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(Secret::new(secret));
        self
    }
    /// Mentions a member by open id or user id (`<at id=…></at>`).
    pub fn with_at_user(mut self, id: impl Into<String>) -> Self {
        self.at_ids.push(id.into());
        self
    }
    /// Mentions a member by email (`<at email=…></at>`).
    pub fn with_at_email(mut self, email: impl Into<String>) -> Self {
        self.at_emails.push(email.into());
        self
    }
    /// Mentions everyone (`<at id=all></at>`).
    pub fn with_at_all(mut self, all: bool) -> Self {
        self.at_all = all;
        self
    }
    /// A minijinja template for the card title.
    pub fn with_title_template(mut self, t: impl Into<String>) -> Self {
        self.title = Some(t.into());
        self
    }
    /// A minijinja template for the card's `lark_md` text.
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
    pub fn build(self) -> Result<FeishuSink, AlertError> {
        let common = common::build(
            "feishu",
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
        Ok(FeishuSink {
            common,
            secret: self.secret,
            at_ids: self.at_ids,
            at_emails: self.at_emails,
            at_all: self.at_all,
        })
    }
}

/// `base64(HmacSHA256(key = timestamp + "\n" + secret, msg = ""))`.
pub(crate) fn sign(secret: &str, timestamp_s: u64) -> String {
    let key = format!("{timestamp_s}\n{secret}");
    base64::engine::general_purpose::STANDARD.encode(http::hmac_sha256(key.as_bytes(), b""))
}

fn color(alert: &Alert) -> &'static str {
    if alert.is_resolved() {
        return "green";
    }
    match alert.severity {
        Severity::Critical => "red",
        Severity::Major => "orange",
        Severity::Minor => "yellow",
        _ => "blue",
    }
}

impl FeishuSink {
    /// A builder.
    pub fn builder() -> FeishuSinkBuilder {
        FeishuSinkBuilder::default()
    }

    /// The payload for `alert`, without the signature fields.
    ///
    /// # Errors
    /// [`AlertError::Template`] when a template fails.
    pub fn payload(&self, alert: &Alert) -> Result<serde_json::Value, AlertError> {
        let mut mentions: Vec<String> = self
            .at_ids
            .iter()
            .map(|id| format!("<at id={id}></at>"))
            .chain(
                self.at_emails
                    .iter()
                    .map(|e| format!("<at email={e}></at>")),
            )
            .collect();
        if self.at_all {
            mentions.push("<at id=all></at>".into());
        }
        let mentions = mentions.join(" ");
        let t = &self.common.templates;
        let mut text = t.body(alert, &mentions)?;
        if text.len() > MAX_CARD_TEXT {
            let mut end = MAX_CARD_TEXT;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            text.push('…');
        }
        let mut elements = vec![json!({"tag": "div", "text": {"tag": "lark_md", "content": text}})];
        if !alert.links.is_empty() {
            let buttons: Vec<_> = alert
                .links
                .iter()
                .map(|l| json!({"tag": "button", "text": {"tag": "plain_text", "content": l.name}, "url": l.url, "type": "default"}))
                .collect();
            elements.push(json!({"tag": "action", "actions": buttons}));
        }
        Ok(json!({
            "msg_type": "interactive",
            "card": {
                "config": {"wide_screen_mode": true},
                "header": {
                    "title": {"tag": "plain_text", "content": t.title(alert, &mentions)?},
                    "template": color(alert),
                },
                "elements": elements,
            },
        }))
    }
}

fn check(name: &str, shown: &str, answer: &http::Answer) -> Result<(), AlertError> {
    // HTTP 400 carries a JSON code on older endpoints (rate limits): parse it.
    if answer.status > 400 {
        return Err(http::rejected_status(name, shown, answer));
    }
    let v = http::parse_answer(name, shown, answer)?;
    let code = v
        .get("code")
        .or_else(|| v.get("StatusCode"))
        .and_then(serde_json::Value::as_i64);
    let Some(code) = code else {
        return Err(AlertError::Protocol {
            sink: name.into(),
            endpoint: shown.into(),
            reason: "answer has neither `code` nor `StatusCode`".into(),
        });
    };
    let msg: String = v
        .get("msg")
        .or_else(|| v.get("StatusMessage"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    match code {
        0 => Ok(()),
        11232 | 99991400 => Err(AlertError::RateLimited {
            sink: name.into(),
            endpoint: shown.into(),
            code: code.to_string(),
            retry_after: None,
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
impl AlertSink for FeishuSink {
    fn name(&self) -> &str {
        &self.common.name
    }

    #[tracing::instrument(name = "alert.send", skip_all, fields(sink = "feishu", name = %self.common.name,
        endpoint = %self.common.endpoint.shown(), severity = %alert.severity, fingerprint = %alert.fingerprint()),
        err(level = tracing::Level::WARN))]
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        let mut body = self.payload(alert)?;
        if let (Some(secret), Some(obj)) = (&self.secret, body.as_object_mut()) {
            let ts = (http::unix_millis() / 1000) as u64;
            obj.insert("timestamp".into(), ts.to_string().into());
            obj.insert("sign".into(), sign(secret.expose(), ts).into());
        }
        let shown = self.common.endpoint.shown();
        let answer = http::post_json(
            &self.common.client,
            &self.common.name,
            self.common.endpoint.url(),
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
        // Computed independently with Python's hmac module: key = "1700000000\nfeishusec", msg = "".
        assert_eq!(
            sign("feishusec", 1_700_000_000),
            "yy64PDBlwrGEEWOZJLkJdT1Y68/7wVIZ/o14wMr9qg4="
        );
    }

    #[test]
    fn answers_map_to_categories() {
        let a = |status: u16, s: &str| http::Answer {
            status,
            body: s.into(),
        };
        assert!(check("f", "e", &a(200, r#"{"code":0,"msg":"success","data":{}}"#)).is_ok());
        assert!(
            check(
                "f",
                "e",
                &a(200, r#"{"StatusCode":0,"StatusMessage":"success"}"#)
            )
            .is_ok()
        );
        let e = check(
            "f",
            "e",
            &a(200, r#"{"code":19021,"msg":"sign match fail"}"#),
        )
        .unwrap_err();
        assert!(!e.is_retryable() && e.to_string().contains("19021"));
        assert!(
            check(
                "f",
                "e",
                &a(200, r#"{"code":11232,"msg":"frequency limited"}"#)
            )
            .unwrap_err()
            .is_retryable()
        );
        // Older endpoints answer rate limits with HTTP 400 and a JSON code.
        assert!(
            check(
                "f",
                "e",
                &a(
                    400,
                    r#"{"code":99991400,"msg":"request trigger frequency limit"}"#
                )
            )
            .unwrap_err()
            .is_retryable()
        );
    }
}
