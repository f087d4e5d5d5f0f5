//! Builds the sink stacks of receivers defined in a router file.

use std::sync::Arc;
use std::time::Duration;

use streampark_core::{AlertError, AlertSink};

use super::config::{ChatConfig, ReceiverConfig};
use crate::clock::Clock;
use crate::layers::{RetryLayer, SinkStack, ThrottleLayer, TimeoutLayer};
use crate::sinks::LogSink;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Wraps a file-built sink: timeout per try, then the vendor's throttle, then retries.
fn stack(
    sink: Arc<dyn AlertSink>,
    throttle: Option<ThrottleLayer>,
    timeout: Option<Duration>,
    attempts: Option<u32>,
    clock: &Arc<dyn Clock>,
) -> Arc<dyn AlertSink> {
    let mut s = SinkStack::from_arc(sink)
        .layer(TimeoutLayer::new(timeout.unwrap_or(DEFAULT_TIMEOUT)).with_clock(clock.clone()));
    if let Some(t) = throttle {
        s = s.layer(t.with_clock(clock.clone()));
    }
    s.layer(
        RetryLayer::new()
            .with_max_attempts(attempts.unwrap_or(3))
            .with_clock(clock.clone()),
    )
    .into_sink()
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
                .with_url(c.url.expose())
                .with_at_all(c.at_all);
            if let Some(s) = &c.secret {
                b = b.with_secret(s.expose());
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
                .with_url(c.url.expose())
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
                .with_url(c.url.expose())
                .with_at_all(c.at_all);
            if let Some(s) = &c.secret {
                b = b.with_secret(s.expose());
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
                .with_url(c.url.expose())
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
                .with_url(c.url.expose());
            if let Some(s) = &c.secret {
                b = b.with_signing_secret(s.expose());
            }
            for (k, v) in &c.headers {
                b = b.with_header(k, v.expose());
            }
            if let Some(t) = &c.body_template {
                b = b.with_body_template(t);
            }
            out.push(stack(
                Arc::new(b.build()?),
                None,
                timeout(c),
                c.max_attempts,
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
                .with_url(c.smtp.expose())
                .with_from(&c.from)
                .with_accept_invalid_certs(c.accept_invalid_certs);
            if let Some(u) = &c.username {
                b = b.with_credentials(
                    u,
                    c.password.as_ref().map(|p| p.expose()).unwrap_or_default(),
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
