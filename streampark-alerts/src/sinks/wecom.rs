//! WeCom (企业微信) group robot: markdown, or text when mobiles are mentioned.

use serde_json::json;
use streampark_core::{Alert, AlertError, AlertSink};

use super::common::{self, Common};
use crate::http;
use crate::secret::Secret;
use crate::template::{Flavor, Templates};

/// Largest markdown/text content the robot accepts, in UTF-8 bytes.
const MAX_CONTENT: usize = 4096;

/// Sends to a WeCom group robot (`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`;
/// the key is the secret).
///
/// Messages are `markdown`, with user-id mentions written as `<@userid>` in the content. The
/// robot only honours `mentioned_mobile_list` (and `@all`) in `text` messages, so when mobiles
/// or everyone are mentioned the sink sends a `text` message with the plain-text body and the
/// mention lists instead. Content is cut to 4096 bytes. An `errcode` other than 0 in the HTTP
/// 200 answer is an error: 45009 (frequency) and -1 (busy) are retryable, 93000 (bad key) is not.
#[derive(Debug)]
pub struct WeComSink {
    common: Common,
    text: Templates,
    mobiles: Vec<String>,
    user_ids: Vec<String>,
    at_all: bool,
}

/// Builder of [`WeComSink`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct WeComSinkBuilder {
    name: Option<String>,
    url: Option<Secret>,
    mobiles: Vec<String>,
    user_ids: Vec<String>,
    at_all: bool,
    title: Option<String>,
    body: Option<String>,
    client: Option<reqwest::Client>,
}

impl WeComSinkBuilder {
    /// Name for errors and spans (default `wecom`).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// The webhook URL with its `key` (required; kept secret).
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(Secret::new(url));
        self
    }
    /// Mentions a member by mobile (`mentioned_mobile_list`).
    pub fn with_mentioned_mobile(mut self, mobile: impl Into<String>) -> Self {
        self.mobiles.push(mobile.into());
        self
    }
    /// Mentions a member by user id (`<@userid>` in markdown).
    pub fn with_mentioned_user(mut self, id: impl Into<String>) -> Self {
        self.user_ids.push(id.into());
        self
    }
    /// Mentions everyone (`@all`).
    pub fn with_at_all(mut self, all: bool) -> Self {
        self.at_all = all;
        self
    }
    /// A minijinja template for the title (used by the text form).
    pub fn with_title_template(mut self, t: impl Into<String>) -> Self {
        self.title = Some(t.into());
        self
    }
    /// A minijinja template for the markdown body.
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
    pub fn build(self) -> Result<WeComSink, AlertError> {
        let common = common::build(
            "wecom",
            self.name.as_deref(),
            self.url.as_ref(),
            self.client.as_ref(),
            Flavor::Markdown,
            self.title.as_deref(),
            self.body.as_deref(),
        )?;
        if !common
            .endpoint
            .url()
            .query_pairs()
            .any(|(k, v)| k == "key" && !v.is_empty())
        {
            return Err(AlertError::invalid_config(
                &common.name,
                "url",
                "the webhook URL has no `key` query parameter",
            ));
        }
        let text =
            Templates::with_overrides(&common.name, Flavor::Text, self.title.as_deref(), None)?;
        Ok(WeComSink {
            common,
            text,
            mobiles: self.mobiles,
            user_ids: self.user_ids,
            at_all: self.at_all,
        })
    }
}

fn cut(mut s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut end = max - "…".len();
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push('…');
    s
}

impl WeComSink {
    /// A builder.
    pub fn builder() -> WeComSinkBuilder {
        WeComSinkBuilder::default()
    }

    /// The payload for `alert`.
    ///
    /// # Errors
    /// [`AlertError::Template`] when a template fails.
    pub fn payload(&self, alert: &Alert) -> Result<serde_json::Value, AlertError> {
        if self.mobiles.is_empty() && !self.at_all {
            let mentions: Vec<String> = self.user_ids.iter().map(|u| format!("<@{u}>")).collect();
            let content = self.common.templates.body(alert, &mentions.join(" "))?;
            return Ok(json!({
                "msgtype": "markdown",
                "markdown": { "content": cut(content, MAX_CONTENT) },
            }));
        }
        let mut users = self.user_ids.clone();
        if self.at_all {
            users.push("@all".into());
        }
        let content = format!(
            "{}\n\n{}",
            self.text.title(alert, "")?,
            self.text.body(alert, "")?
        );
        Ok(json!({
            "msgtype": "text",
            "text": {
                "content": cut(content, MAX_CONTENT),
                "mentioned_list": users,
                "mentioned_mobile_list": self.mobiles,
            },
        }))
    }
}

fn check(name: &str, shown: &str, answer: &http::Answer) -> Result<(), AlertError> {
    if answer.status >= 400 {
        return Err(http::rejected_status(name, shown, answer));
    }
    let v = http::parse_answer(name, shown, answer)?;
    let Some(code) = v.get("errcode").and_then(serde_json::Value::as_i64) else {
        return Err(AlertError::Protocol {
            sink: name.into(),
            endpoint: shown.into(),
            reason: "answer has no `errcode`".into(),
        });
    };
    let msg: String = v
        .get("errmsg")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    match code {
        0 => Ok(()),
        45009 => Err(AlertError::RateLimited {
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
        _ => Err(AlertError::Rejected {
            sink: name.into(),
            endpoint: shown.into(),
            code: code.to_string(),
            message: msg,
        }),
    }
}

#[async_trait::async_trait]
impl AlertSink for WeComSink {
    fn name(&self) -> &str {
        &self.common.name
    }

    #[tracing::instrument(name = "alert.send", skip_all, fields(sink = "wecom", name = %self.common.name,
        endpoint = %self.common.endpoint.shown(), severity = %alert.severity, fingerprint = %alert.fingerprint()),
        err(level = tracing::Level::WARN))]
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        let body = self.payload(alert)?;
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
    fn cut_respects_utf8() {
        let s = "告警".repeat(2000); // 12000 bytes
        let c = cut(s, MAX_CONTENT);
        assert!(c.len() <= MAX_CONTENT && c.ends_with('…'));
        assert_eq!(cut("short".into(), 10), "short");
    }

    #[test]
    fn answers_map_to_categories() {
        let a = |s: &str| http::Answer {
            status: 200,
            body: s.into(),
        };
        assert!(check("w", "e", &a(r#"{"errcode":0,"errmsg":"ok"}"#)).is_ok());
        assert!(
            check(
                "w",
                "e",
                &a(r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#)
            )
            .unwrap_err()
            .is_retryable()
        );
        let e = check(
            "w",
            "e",
            &a(r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#),
        )
        .unwrap_err();
        assert!(!e.is_retryable() && e.to_string().contains("93000"));
    }

    #[test]
    fn url_needs_a_key() {
        let e = WeComSink::builder()
            .with_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("`key`"), "{e}");
    }
}
