//! Slack incoming webhook: Block Kit messages.

use serde_json::json;
use streampark_core::{Alert, AlertError};

use super::chat::{AnswerRules, ChatCore, ChatSettings, ChatVendor, chat_alert_sink, chat_setters};
use crate::template::Flavor;

/// Sends to a Slack incoming webhook (`https://hooks.slack.com/services/T…/B…/…`; the whole
/// path is the secret). The message has a `text` fallback and `blocks` (a header and a mrkdwn
/// section). Success is HTTP 200 with the body `ok`; errors are plain-text 4xx
/// (`invalid_payload`, `channel_not_found`, …, not retryable), 429 with `Retry-After` and 5xx
/// (retryable). Mentions: `<@U…>` users, `<!subteam^S…>` groups, `<!channel>`.
#[derive(Debug)]
pub struct SlackSink {
    core: ChatCore,
    mentions: Vec<String>,
}

/// Builder of [`SlackSink`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct SlackSinkBuilder {
    chat: ChatSettings,
    mentions: Vec<String>,
}

chat_setters!(
    SlackSinkBuilder,
    kind = "slack",
    url = "The incoming-webhook URL (required; kept secret).",
    title = "A minijinja template for the header and fallback text.",
    body = "A minijinja template for the mrkdwn section.",
);

impl SlackSinkBuilder {
    /// Mentions a user by id (`<@U…>`).
    pub fn with_mention_user(mut self, id: impl Into<String>) -> Self {
        self.mentions.push(format!("<@{}>", id.into()));
        self
    }
    /// Mentions a user group by id (`<!subteam^S…>`).
    pub fn with_mention_group(mut self, id: impl Into<String>) -> Self {
        self.mentions.push(format!("<!subteam^{}>", id.into()));
        self
    }
    /// Mentions the whole channel (`<!channel>`).
    pub fn with_mention_channel(mut self, on: bool) -> Self {
        if on {
            self.mentions.push("<!channel>".into());
        }
        self
    }

    /// Validates the settings.
    ///
    /// # Errors
    /// [`AlertError::InvalidConfig`] naming the key, or [`AlertError::Template`].
    pub fn build(self) -> Result<SlackSink, AlertError> {
        Ok(SlackSink {
            core: self.chat.build("slack", Flavor::Slack)?,
            mentions: self.mentions,
        })
    }
}

fn cut(s: String, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s;
    }
    let mut out: String = s.chars().take(max_chars - 1).collect();
    out.push('…');
    out
}

impl SlackSink {
    /// A builder.
    pub fn builder() -> SlackSinkBuilder {
        SlackSinkBuilder::default()
    }

    /// The payload for `alert`.
    ///
    /// # Errors
    /// [`AlertError::Template`] when a template fails.
    pub fn payload(&self, alert: &Alert) -> Result<serde_json::Value, AlertError> {
        let mentions = self.mentions.join(" ");
        let title = self.core.templates.title(alert, &mentions)?;
        let body = self.core.templates.body(alert, &mentions)?;
        Ok(json!({
            "text": title,
            "blocks": [
                // Slack limits: header text 150 chars, section text 3000 chars.
                {"type": "header", "text": {"type": "plain_text", "text": cut(title.clone(), 150)}},
                {"type": "section", "text": {"type": "mrkdwn", "text": cut(body, 3000)}},
            ],
        }))
    }
}

impl ChatVendor for SlackSink {
    /// HTTP 200 with the body `ok`; plain-text 4xx errors.
    const ANSWER: AnswerRules = AnswerRules::OkText;
}

chat_alert_sink!(SlackSink);
