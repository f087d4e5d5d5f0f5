//! WeCom (企业微信) group robot: markdown, or text when mobiles are mentioned.

use serde_json::json;
use streampark_core::{Alert, AlertError};

use super::chat::{
    AnswerRules, ChatCore, ChatSettings, ChatVendor, CodeRules, chat_alert_sink, chat_setters,
};
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
    core: ChatCore,
    text: Templates,
}

/// Builder of [`WeComSink`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct WeComSinkBuilder {
    chat: ChatSettings,
}

chat_setters!(
    WeComSinkBuilder,
    kind = "wecom",
    url = "The webhook URL with its `key` (required; kept secret).",
    mobile = with_mentioned_mobile: "Mentions a member by mobile (`mentioned_mobile_list`).",
    user = with_mentioned_user: "Mentions a member by user id (`<@userid>` in markdown).",
    all = with_at_all: "Mentions everyone (`@all`).",
    title = "A minijinja template for the title (used by the text form).",
    body = "A minijinja template for the markdown body.",
);

impl WeComSinkBuilder {
    /// Validates the settings.
    ///
    /// # Errors
    /// [`AlertError::InvalidConfig`] naming the key, or [`AlertError::Template`].
    pub fn build(self) -> Result<WeComSink, AlertError> {
        let core = self.chat.build("wecom", Flavor::Markdown)?;
        if !core
            .endpoint
            .url()
            .query_pairs()
            .any(|(k, v)| k == "key" && !v.is_empty())
        {
            return Err(AlertError::invalid_config(
                &core.name,
                "url",
                "the webhook URL has no `key` query parameter",
            ));
        }
        let text =
            Templates::with_overrides(&core.name, Flavor::Text, self.chat.title.as_deref(), None)?;
        Ok(WeComSink { core, text })
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
        let at = &self.core.mentions;
        if at.mobiles.is_empty() && !at.all {
            let mentions: Vec<String> = at.user_ids.iter().map(|u| format!("<@{u}>")).collect();
            let content = self.core.templates.body(alert, &mentions.join(" "))?;
            return Ok(json!({
                "msgtype": "markdown",
                "markdown": { "content": cut(content, MAX_CONTENT) },
            }));
        }
        let mut users = at.user_ids.clone();
        if at.all {
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
                "mentioned_mobile_list": at.mobiles,
            },
        }))
    }
}

impl ChatVendor for WeComSink {
    /// `errcode` in an HTTP 200 answer: 45009 is the frequency limit, -1 is "busy".
    const ANSWER: AnswerRules = AnswerRules::Code(CodeRules {
        code: &["errcode"],
        message: &["errmsg"],
        reject_status_from: 400,
        rate_limited: &[45009],
        busy: &[-1],
    });
}

chat_alert_sink!(WeComSink);

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
        let check = |s: &str| WeComSink::ANSWER.check_body(200, s);
        assert!(check(r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        assert!(
            check(r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#)
                .unwrap_err()
                .is_retryable()
        );
        let e = check(r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#).unwrap_err();
        assert!(!e.is_retryable() && e.to_string().contains("93000"));
        let e = check(r#"{"errcode":-1,"errmsg":"system busy"}"#).unwrap_err();
        assert!(matches!(e, AlertError::Unavailable { .. }), "{e:?}");
        let e = check(r#"{"ok":true}"#).unwrap_err();
        assert!(e.to_string().contains("answer has no `errcode`"), "{e}");
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
