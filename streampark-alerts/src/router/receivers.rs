//! Builds the sink stacks of receivers defined in a router file.

use std::sync::Arc;
use std::time::Duration;

use streampark_core::{AlertError, AlertSink};

use super::config::{ChatConfig, ReceiverConfig};
use crate::clock::Clock;
use crate::layers::{RetryLayer, SinkStack, ThrottleLayer, TimeoutLayer};
use crate::secret::Secret;
use crate::sinks::LogSink;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Replaces every `${NAME}` in a secret from the file with the environment variable `NAME`,
/// so files need not hold secrets.
pub(crate) fn expand(value: &Secret, receiver: &str, key: &str) -> Result<String, AlertError> {
    let raw = value.expose();
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(AlertError::invalid_config(
                format!("receiver {receiver}"),
                key,
                "unterminated `${`",
            ));
        };
        let name = &after[..end];
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(AlertError::invalid_config(
                format!("receiver {receiver}"),
                key,
                format!("`${{{name}}}` is not an environment variable name"),
            ));
        }
        let v = std::env::var(name).map_err(|_| {
            AlertError::invalid_config(
                format!("receiver {receiver}"),
                key,
                format!("environment variable `{name}` is not set"),
            )
        })?;
        out.push_str(&v);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Wraps a file-built sink: timeout per try, then the vendor's throttle, then retries.
fn stack(
    sink: Arc<dyn AlertSink>,
    throttle: Option<ThrottleLayer>,
    timeout: Option<Duration>,
    attempts: Option<u32>,
    send_resolved: Option<bool>,
    clock: &Arc<dyn Clock>,
) -> Arc<dyn AlertSink> {
    let mut s = SinkStack::from_arc(sink)
        .layer(TimeoutLayer::new(timeout.unwrap_or(DEFAULT_TIMEOUT)).with_clock(clock.clone()));
    if let Some(t) = throttle {
        s = s.layer(t.with_clock(clock.clone()));
    }
    let s = s
        .layer(
            RetryLayer::new()
                .with_max_attempts(attempts.unwrap_or(3))
                .with_clock(clock.clone()),
        )
        .into_sink();
    if send_resolved == Some(false) {
        Arc::new(SkipResolved(s))
    } else {
        s
    }
}

/// Drops notifications that only carry resolutions (`send_resolved: false`).
#[derive(Debug)]
struct SkipResolved(Arc<dyn AlertSink>);

#[async_trait::async_trait]
#[deny(clippy::missing_trait_methods)]
impl AlertSink for SkipResolved {
    fn name(&self) -> &str {
        self.0.name()
    }

    async fn send(&self, alert: &streampark_core::Alert) -> Result<(), AlertError> {
        if alert.is_resolved() {
            tracing::debug!(
                sink = self.0.name(),
                "resolution not sent (send_resolved: false)"
            );
            return Ok(());
        }
        self.0.send(alert).await
    }
}

#[allow(dead_code)] // used only when a sink feature is disabled
fn disabled(receiver: &str, key: &str, feature: &str) -> AlertError {
    AlertError::invalid_config(
        format!("receiver {receiver}"),
        key,
        format!("this build of streampark-alerts has no `{feature}` feature"),
    )
}

/// The sinks of one receiver, each with its layers.
#[allow(unused_mut, unused_variables)]
pub(crate) fn build(
    r: &ReceiverConfig,
    clock: &Arc<dyn Clock>,
) -> Result<Vec<Arc<dyn AlertSink>>, AlertError> {
    let mut out: Vec<Arc<dyn AlertSink>> = Vec::new();
    let name = |kind: &str, i: usize| {
        format!(
            "{}/{kind}{}",
            r.name,
            if i > 0 {
                format!("[{i}]")
            } else {
                String::new()
            }
        )
    };
    let timeout = |c: &ChatConfig| c.timeout.map(|d| d.0);

    for (i, c) in r.dingtalk_configs.iter().enumerate() {
        #[cfg(feature = "dingtalk")]
        {
            let mut b = crate::DingTalkSink::builder()
                .with_name(name("dingtalk", i))
                .with_url(expand(
                    &c.url,
                    &r.name,
                    &format!("dingtalk_configs[{i}].url"),
                )?)
                .with_at_all(c.at_all);
            if let Some(s) = &c.secret {
                b = b.with_secret(expand(
                    s,
                    &r.name,
                    &format!("dingtalk_configs[{i}].secret"),
                )?);
            }
            for m in &c.at_mobiles {
                b = b.with_at_mobile(m);
            }
            for u in &c.at_user_ids {
                b = b.with_at_user_id(u);
            }
            if let Some(t) = &c.title_template {
                b = b.with_title_template(t);
            }
            if let Some(t) = &c.body_template {
                b = b.with_body_template(t);
            }
            out.push(stack(
                Arc::new(b.build()?),
                Some(ThrottleLayer::dingtalk()),
                timeout(c),
                c.max_attempts,
                c.send_resolved,
                clock,
            ));
        }
        #[cfg(not(feature = "dingtalk"))]
        return Err(disabled(&r.name, "dingtalk_configs", "dingtalk"));
    }
    for (i, c) in r.wecom_configs.iter().enumerate() {
        #[cfg(feature = "wecom")]
        {
            let mut b = crate::WeComSink::builder()
                .with_name(name("wecom", i))
                .with_url(expand(&c.url, &r.name, &format!("wecom_configs[{i}].url"))?)
                .with_at_all(c.at_all);
            for m in &c.at_mobiles {
                b = b.with_mentioned_mobile(m);
            }
            for u in &c.at_user_ids {
                b = b.with_mentioned_user(u);
            }
            if let Some(t) = &c.title_template {
                b = b.with_title_template(t);
            }
            if let Some(t) = &c.body_template {
                b = b.with_body_template(t);
            }
            out.push(stack(
                Arc::new(b.build()?),
                Some(ThrottleLayer::wecom()),
                timeout(c),
                c.max_attempts,
                c.send_resolved,
                clock,
            ));
        }
        #[cfg(not(feature = "wecom"))]
        return Err(disabled(&r.name, "wecom_configs", "wecom"));
    }
    for (i, c) in r.feishu_configs.iter().enumerate() {
        #[cfg(feature = "feishu")]
        {
            let mut b = crate::FeishuSink::builder()
                .with_name(name("feishu", i))
                .with_url(expand(
                    &c.url,
                    &r.name,
                    &format!("feishu_configs[{i}].url"),
                )?)
                .with_at_all(c.at_all);
            if let Some(s) = &c.secret {
                b = b.with_secret(expand(s, &r.name, &format!("feishu_configs[{i}].secret"))?);
            }
            for u in &c.at_user_ids {
                b = b.with_at_user(u);
            }
            for e in &c.at_emails {
                b = b.with_at_email(e);
            }
            if let Some(t) = &c.title_template {
                b = b.with_title_template(t);
            }
            if let Some(t) = &c.body_template {
                b = b.with_body_template(t);
            }
            out.push(stack(
                Arc::new(b.build()?),
                Some(ThrottleLayer::feishu()),
                timeout(c),
                c.max_attempts,
                c.send_resolved,
                clock,
            ));
        }
        #[cfg(not(feature = "feishu"))]
        return Err(disabled(&r.name, "feishu_configs", "feishu"));
    }
    for (i, c) in r.slack_configs.iter().enumerate() {
        #[cfg(feature = "slack")]
        {
            let mut b = crate::SlackSink::builder()
                .with_name(name("slack", i))
                .with_url(expand(&c.url, &r.name, &format!("slack_configs[{i}].url"))?)
                .with_mention_channel(c.at_all);
            for u in &c.at_user_ids {
                b = b.with_mention_user(u);
            }
            if let Some(t) = &c.title_template {
                b = b.with_title_template(t);
            }
            if let Some(t) = &c.body_template {
                b = b.with_body_template(t);
            }
            out.push(stack(
                Arc::new(b.build()?),
                Some(ThrottleLayer::slack()),
                timeout(c),
                c.max_attempts,
                c.send_resolved,
                clock,
            ));
        }
        #[cfg(not(feature = "slack"))]
        return Err(disabled(&r.name, "slack_configs", "slack"));
    }
    for (i, c) in r.webhook_configs.iter().enumerate() {
        #[cfg(feature = "webhook")]
        {
            let mut b = crate::WebhookSink::builder()
                .with_name(name("webhook", i))
                .with_url(expand(
                    &c.url,
                    &r.name,
                    &format!("webhook_configs[{i}].url"),
                )?);
            if let Some(s) = &c.secret {
                b = b.with_signing_secret(expand(
                    s,
                    &r.name,
                    &format!("webhook_configs[{i}].secret"),
                )?);
            }
            for (k, v) in &c.headers {
                b = b.with_header(
                    k,
                    expand(v, &r.name, &format!("webhook_configs[{i}].headers.{k}"))?,
                );
            }
            if let Some(t) = &c.body_template {
                b = b.with_body_template(t);
            }
            out.push(stack(
                Arc::new(b.build()?),
                None,
                timeout(c),
                c.max_attempts,
                c.send_resolved,
                clock,
            ));
        }
        #[cfg(not(feature = "webhook"))]
        return Err(disabled(&r.name, "webhook_configs", "webhook"));
    }
    for (i, c) in r.email_configs.iter().enumerate() {
        #[cfg(feature = "email")]
        {
            let mut b = crate::EmailSink::builder()
                .with_name(name("email", i))
                .with_url(expand(
                    &c.smtp,
                    &r.name,
                    &format!("email_configs[{i}].smtp"),
                )?)
                .with_from(&c.from)
                .with_accept_invalid_certs(c.accept_invalid_certs);
            if let Some(u) = &c.username {
                b = b.with_credentials(
                    u,
                    match &c.password {
                        Some(p) => expand(p, &r.name, &format!("email_configs[{i}].password"))?,
                        None => String::new(),
                    },
                );
            }
            for t in &c.to {
                b = b.with_to(t);
            }
            if let Some(t) = &c.title_template {
                b = b.with_title_template(t);
            }
            if let Some(t) = &c.text_template {
                b = b.with_text_template(t);
            }
            if let Some(t) = &c.html_template {
                b = b.with_html_template(t);
            }
            let t = c.timeout.map(|d| d.0).unwrap_or(Duration::from_secs(30));
            out.push(stack(
                Arc::new(b.build()?),
                None,
                Some(t),
                c.max_attempts,
                c.send_resolved,
                clock,
            ));
        }
        #[cfg(not(feature = "email"))]
        return Err(disabled(&r.name, "email_configs", "email"));
    }
    for (i, c) in r.log_configs.iter().enumerate() {
        let n = c.name.clone().unwrap_or_else(|| name("log", i));
        out.push(Arc::new(LogSink::new().with_name(n)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_environment_variables() {
        // PATH is set in every test environment.
        let path = std::env::var("PATH").unwrap();
        let v = expand(&Secret::new("a${PATH}b"), "r", "k").unwrap();
        assert_eq!(v, format!("a{path}b"));
        assert_eq!(expand(&Secret::new("plain"), "r", "k").unwrap(), "plain");
        let e = expand(
            &Secret::new("${STREAMPARK_SURELY_UNSET_VAR_1}"),
            "oncall",
            "dingtalk_configs[0].secret",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`dingtalk_configs[0].secret`")
                && e.contains("STREAMPARK_SURELY_UNSET_VAR_1"),
            "{e}"
        );
        assert!(expand(&Secret::new("${oops"), "r", "k").is_err());
        assert!(expand(&Secret::new("${1X}"), "r", "k").is_err());
    }
}
