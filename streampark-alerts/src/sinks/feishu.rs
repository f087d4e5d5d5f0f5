//! Feishu / Lark custom bot: interactive cards, signed in the body, `<at>` mentions.

use base64::Engine;
use serde_json::json;
use streampark_core::{Alert, AlertError, Severity};

use super::chat::{
    AnswerRules, ChatCore, ChatSettings, ChatVendor, CodeRules, chat_alert_sink, chat_setters,
};
use crate::http;
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
    core: ChatCore,
}

/// Builder of [`FeishuSink`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct FeishuSinkBuilder {
    chat: ChatSettings,
}

chat_setters!(
    FeishuSinkBuilder,
    kind = "feishu",
    url = "The hook URL with its token (required; kept secret).",
    secret = with_secret: "The signing secret of the bot's \"signature\" security setting.",
    user = with_at_user: "Mentions a member by open id or user id (`<at id=…></at>`).",
    email = with_at_email: "Mentions a member by email (`<at email=…></at>`).",
    all = with_at_all: "Mentions everyone (`<at id=all></at>`).",
    title = "A minijinja template for the card title.",
    body = "A minijinja template for the card's `lark_md` text.",
);

impl FeishuSinkBuilder {
    /// Validates the settings.
    ///
    /// # Errors
    /// [`AlertError::InvalidConfig`] naming the key, or [`AlertError::Template`].
    pub fn build(self) -> Result<FeishuSink, AlertError> {
        let core = self.chat.build("feishu", Flavor::Markdown)?;
        core.require_nonempty_secret()?;
        Ok(FeishuSink { core })
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
        let at = &self.core.mentions;
        let mut mentions: Vec<String> = at
            .user_ids
            .iter()
            .map(|id| format!("<at id={id}></at>"))
            .chain(at.emails.iter().map(|e| format!("<at email={e}></at>")))
            .collect();
        if at.all {
            mentions.push("<at id=all></at>".into());
        }
        let mentions = mentions.join(" ");
        let t = &self.core.templates;
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

impl ChatVendor for FeishuSink {
    /// `code` (or the legacy `StatusCode`): 11232 and 99991400 are frequency limits. HTTP 400
    /// carries a JSON code on older endpoints (rate limits), so its body is read.
    const ANSWER: AnswerRules = AnswerRules::Code(CodeRules {
        code: &["code", "StatusCode"],
        message: &["msg", "StatusMessage"],
        reject_status_from: 401,
        rate_limited: &[11232, 99991400],
        busy: &[],
    });

    /// `timestamp` (Unix seconds, a string) and `sign` in the body.
    fn sign_body(&self, body: &mut serde_json::Value) {
        if let (Some(secret), Some(obj)) = (&self.core.secret, body.as_object_mut()) {
            let ts = (http::unix_millis() / 1000) as u64;
            obj.insert("timestamp".into(), ts.to_string().into());
            obj.insert("sign".into(), sign(secret.expose(), ts).into());
        }
    }
}

chat_alert_sink!(FeishuSink);

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
        let check = |status: u16, s: &str| FeishuSink::ANSWER.check_body(status, s);
        assert!(check(200, r#"{"code":0,"msg":"success","data":{}}"#).is_ok());
        assert!(check(200, r#"{"StatusCode":0,"StatusMessage":"success"}"#).is_ok());
        let e = check(200, r#"{"code":19021,"msg":"sign match fail"}"#).unwrap_err();
        assert!(!e.is_retryable() && e.to_string().contains("19021"));
        let e = check(
            200,
            r#"{"StatusCode":19024,"StatusMessage":"Key Words Not Found"}"#,
        )
        .unwrap_err();
        assert!(
            matches!(&e, AlertError::Rejected { code, message, .. }
                if code == "19024" && message == "Key Words Not Found"),
            "{e:?}"
        );
        assert!(
            check(200, r#"{"code":11232,"msg":"frequency limited"}"#)
                .unwrap_err()
                .is_retryable()
        );
        // Older endpoints answer rate limits with HTTP 400 and a JSON code.
        assert!(
            check(
                400,
                r#"{"code":99991400,"msg":"request trigger frequency limit"}"#
            )
            .unwrap_err()
            .is_retryable()
        );
        let e = check(200, r#"{"msg":"?"}"#).unwrap_err();
        assert!(
            e.to_string()
                .contains("answer has neither `code` nor `StatusCode`"),
            "{e}"
        );
        let e = check(403, r#"{"code":0}"#).unwrap_err();
        assert!(
            matches!(&e, AlertError::Rejected { code, .. } if code == "HTTP 403"),
            "{e:?}"
        );
    }
}
