//! Slack incoming webhook: Block Kit messages.

use serde_json::json;
use streampark_core::{Alert, AlertError, AlertSink};

use super::common::{self, Common};
use crate::http;
use crate::secret::Secret;
use crate::template::Flavor;

/// Sends to a Slack incoming webhook (`https://hooks.slack.com/services/T…/B…/…`; the whole
/// path is the secret). The message has a `text` fallback and `blocks` (a header and a mrkdwn
/// section). Success is HTTP 200 with the body `ok`; errors are plain-text 4xx
/// (`invalid_payload`, `channel_not_found`, …, not retryable), 429 with `Retry-After` and 5xx
/// (retryable). Mentions: `<@U…>` users, `<!subteam^S…>` groups, `<!channel>`.
#[derive(Debug)]
pub struct SlackSink {
    common: Common,
    mentions: Vec<String>,
}

/// Builder of [`SlackSink`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct SlackSinkBuilder {
    name: Option<String>,
    url: Option<Secret>,
    mentions: Vec<String>,
    title: Option<String>,
    body: Option<String>,
    client: Option<reqwest::Client>,
}

impl SlackSinkBuilder {
    /// Name for errors and spans (default `slack`).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// The incoming-webhook URL (required; kept secret).
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(Secret::new(url));
        self
    }
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
    /// A minijinja template for the header and fallback text.
    pub fn with_title_template(mut self, t: impl Into<String>) -> Self {
        self.title = Some(t.into());
        self
    }
    /// A minijinja template for the mrkdwn section.
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
    pub fn build(self) -> Result<SlackSink, AlertError> {
        let common = common::build(
            "slack",
            self.name.as_deref(),
            self.url.as_ref(),
            self.client.as_ref(),
            Flavor::Slack,
            self.title.as_deref(),
            self.body.as_deref(),
        )?;
        Ok(SlackSink {
            common,
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
        let title = self.common.templates.title(alert, &mentions)?;
        let body = self.common.templates.body(alert, &mentions)?;
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

#[async_trait::async_trait]
impl AlertSink for SlackSink {
    fn name(&self) -> &str {
        &self.common.name
    }

    #[tracing::instrument(name = "alert.send", skip_all, fields(sink = "slack", name = %self.common.name,
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
        if answer.status >= 300 {
            return Err(AlertError::Rejected {
                sink: self.common.name.clone(),
                endpoint: shown.into(),
                code: format!("HTTP {}", answer.status),
                message: answer.body.trim().chars().take(200).collect(),
            });
        }
        if answer.body.trim() != "ok" {
            return Err(AlertError::Protocol {
                sink: self.common.name.clone(),
                endpoint: shown.into(),
                reason: format!(
                    "expected `ok`, got `{}`",
                    answer.body.trim().chars().take(80).collect::<String>()
                ),
            });
        }
        Ok(())
    }
}
