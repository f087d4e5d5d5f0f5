//! DingTalk custom robot: markdown messages, signed, with `at` mentions.

use base64::Engine;
use serde_json::json;
use streampark_core::{Alert, AlertError};

use super::chat::{
    AnswerRules, ChatCore, ChatSettings, ChatVendor, CodeRules, Outgoing, chat_alert_sink,
    chat_setters,
};
use crate::http;
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
    core: ChatCore,
}

/// Builder of [`DingTalkSink`]; validated in [`DingTalkSinkBuilder::build`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct DingTalkSinkBuilder {
    chat: ChatSettings,
}

chat_setters!(
    DingTalkSinkBuilder,
    kind = "dingtalk",
    url = "The webhook URL with its `access_token` (required; kept secret).",
    secret = with_secret: "The signing secret (`SEC…`) of the robot's \"sign\" security setting.",
    mobile = with_at_mobile: "Mentions a member by mobile number (`at.atMobiles`).",
    user = with_at_user_id: "Mentions a member by user id (`at.atUserIds`).",
    all = with_at_all: "Mentions everyone (`at.isAtAll`).",
    title = "A minijinja template for the title (see [`crate::Templates`]).",
    body = "A minijinja template for the markdown body.",
);

impl DingTalkSinkBuilder {
    /// Validates the settings.
    ///
    /// # Errors
    /// [`AlertError::InvalidConfig`] naming the key (`url`, `secret`, `at_mobiles`), or
    /// [`AlertError::Template`] for a template that does not compile.
    pub fn build(self) -> Result<DingTalkSink, AlertError> {
        let core = self.chat.build("dingtalk", Flavor::Markdown)?;
        core.require_nonempty_secret()?;
        if let Some(m) = core.mentions.mobiles.iter().find(|m| {
            m.is_empty()
                || !m
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '+' || c == '-')
        }) {
            return Err(AlertError::invalid_config(
                &core.name,
                "at_mobiles",
                format!("`{m}` is not a mobile number"),
            ));
        }
        Ok(DingTalkSink { core })
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
        let at = &self.core.mentions;
        let mentions: Vec<String> = at
            .mobiles
            .iter()
            .chain(&at.user_ids)
            .map(|m| format!("@{m}"))
            .collect();
        let mentions = mentions.join(" ");
        let t = &self.core.templates;
        Ok(json!({
            "msgtype": "markdown",
            "markdown": { "title": t.title(alert, &mentions)?, "text": t.body(alert, &mentions)? },
            "at": { "atMobiles": at.mobiles, "atUserIds": at.user_ids, "isAtAll": at.all },
        }))
    }
}

/// `base64(HmacSHA256(key = secret, msg = timestamp + "\n" + secret))`, before URL-encoding.
pub(crate) fn sign(secret: &str, timestamp_ms: u128) -> String {
    let msg = format!("{timestamp_ms}\n{secret}");
    base64::engine::general_purpose::STANDARD
        .encode(http::hmac_sha256(secret.as_bytes(), msg.as_bytes()))
}

impl ChatVendor for DingTalkSink {
    /// `errcode` in an HTTP 200 answer: 410100/130101/90030 ("send too fast") are rate
    /// limits, -1 is "busy".
    const ANSWER: AnswerRules = AnswerRules::Code(CodeRules {
        code: &["errcode"],
        message: &["errmsg"],
        reject_status_from: 400,
        rate_limited: &[410100, 130101, 90030],
        busy: &[-1],
    });

    /// `timestamp` (Unix ms) and `sign` in the query.
    fn sign_request(&self, req: &mut Outgoing) {
        if let Some(secret) = &self.core.secret {
            let ts = http::unix_millis();
            req.url
                .query_pairs_mut()
                .append_pair("timestamp", &ts.to_string())
                .append_pair("sign", &sign(secret.expose(), ts));
        }
    }
}

chat_alert_sink!(DingTalkSink);

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
        let check = |s: &str| DingTalkSink::ANSWER.check_body(200, s);
        assert!(check(r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        let e = check(r#"{"errcode":310000,"errmsg":"sign not match"}"#).unwrap_err();
        assert!(!e.is_retryable() && e.to_string().contains("310000"), "{e}");
        assert!(
            matches!(&e, AlertError::Rejected { message, .. } if message == "sign not match"),
            "{e:?}"
        );
        let e = check(r#"{"errcode":410100,"errmsg":"send too fast"}"#).unwrap_err();
        assert!(e.is_retryable());
        let e = check(r#"{"errcode":-1,"errmsg":"busy"}"#).unwrap_err();
        assert!(e.is_retryable());
        let e = check("<html>").unwrap_err();
        assert!(matches!(e, AlertError::Protocol { .. }));
        let e = check(r#"{"errmsg":"ok"}"#).unwrap_err();
        assert!(e.to_string().contains("answer has no `errcode`"), "{e}");
        let e = DingTalkSink::ANSWER.check_body(404, "gone").unwrap_err();
        assert!(
            matches!(&e, AlertError::Rejected { code, .. } if code == "HTTP 404"),
            "{e:?}"
        );
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
