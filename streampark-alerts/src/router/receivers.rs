//! Builds the sink stacks of receivers defined in a router file.

use std::sync::Arc;
use std::time::Duration;

use streampark_core::{AlertError, AlertSink};

#[cfg(feature = "email")]
use super::config::EmailConfig;
use super::config::{ChatConfig, ReceiverConfig};
use crate::clock::Clock;
use crate::layers::{RetryLayer, SinkStack, ThrottleLayer, TimeoutLayer};
use crate::secret::Secret;
use crate::sinks::LogSink;

/// Time limit of one try of a chat sink from a file, unless the entry sets `timeout`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time limit of one try of an email sink from a file, unless the entry sets `timeout`.
const DEFAULT_EMAIL_TIMEOUT: Duration = Duration::from_secs(30);

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
    timeout: Duration,
    max_attempts: Option<u32>,
    send_resolved: Option<bool>,
    clock: &Arc<dyn Clock>,
) -> Arc<dyn AlertSink> {
    let mut s =
        SinkStack::from_arc(sink).layer(TimeoutLayer::new(timeout).with_clock(clock.clone()));
    if let Some(t) = throttle {
        s = s.layer(t.with_clock(clock.clone()));
    }
    let s = s
        .layer(
            RetryLayer::new()
                .with_max_attempts(max_attempts.unwrap_or(3))
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

/// One entry of a receiver's `<kind>_configs` list: names the sink and the keys in errors.
struct Entry<'a> {
    receiver: &'a str,
    kind: &'static str,
    i: usize,
}

impl Entry<'_> {
    /// `receiver/kind`, with `[i]` after the first entry of a kind.
    fn sink_name(&self) -> String {
        match self.i {
            0 => format!("{}/{}", self.receiver, self.kind),
            i => format!("{}/{}[{i}]", self.receiver, self.kind),
        }
    }

    /// Expands `${VAR}`s of `value`, read from this entry's `field`.
    fn expand(&self, value: &Secret, field: &str) -> Result<String, AlertError> {
        expand(
            value,
            self.receiver,
            &format!("{}_configs[{}].{field}", self.kind, self.i),
        )
    }

    /// The error for an entry whose sink this build lacks.
    fn disabled(&self) -> AlertError {
        AlertError::invalid_config(
            format!("receiver {}", self.receiver),
            format!("{}_configs", self.kind),
            format!(
                "this build of streampark-alerts has no `{}` feature",
                self.kind
            ),
        )
    }
}

/// Fills the settings every chat sink shares from a file entry: name, URL, body template,
/// and those of the signing secret, the mentions and the title template the sink takes.
fn chat_builder<B: crate::sinks::chat::ChatBuilder>(
    mut b: B,
    e: &Entry<'_>,
    c: &ChatConfig,
) -> Result<B, AlertError> {
    let s = b.chat_settings();
    s.name = Some(e.sink_name());
    s.url = Some(Secret::new(e.expand(&c.url, "url")?));
    let takes = B::TAKES;
    if takes.secret
        && let Some(secret) = &c.secret
    {
        s.secret = Some(Secret::new(e.expand(secret, "secret")?));
    }
    if takes.mobiles {
        s.mentions.mobiles.clone_from(&c.at_mobiles);
    }
    if takes.user_ids {
        s.mentions.user_ids.clone_from(&c.at_user_ids);
    }
    if takes.emails {
        s.mentions.emails.clone_from(&c.at_emails);
    }
    s.mentions.all = takes.all && c.at_all;
    if takes.title {
        s.title.clone_from(&c.title_template);
    }
    s.body.clone_from(&c.body_template);
    Ok(b)
}

/// The sink of one chat entry and the throttle of its vendor, or `None` when this build
/// lacks the sink's feature.
type ChatSink = Option<(Arc<dyn AlertSink>, Option<ThrottleLayer>)>;

/// Builds the sink of a `kind` chat entry with the vendor's own keys (mentions, headers).
#[allow(unused_variables)]
fn chat_sink(e: &Entry<'_>, c: &ChatConfig) -> Result<ChatSink, AlertError> {
    Ok(match e.kind {
        #[cfg(feature = "dingtalk")]
        "dingtalk" => {
            let sink = chat_builder(crate::DingTalkSink::builder(), e, c)?.build()?;
            Some((Arc::new(sink), Some(ThrottleLayer::dingtalk())))
        }
        #[cfg(feature = "wecom")]
        "wecom" => {
            let sink = chat_builder(crate::WeComSink::builder(), e, c)?.build()?;
            Some((Arc::new(sink), Some(ThrottleLayer::wecom())))
        }
        #[cfg(feature = "feishu")]
        "feishu" => {
            let sink = chat_builder(crate::FeishuSink::builder(), e, c)?.build()?;
            Some((Arc::new(sink), Some(ThrottleLayer::feishu())))
        }
        #[cfg(feature = "slack")]
        "slack" => {
            let b = chat_builder(crate::SlackSink::builder(), e, c)?.with_mention_channel(c.at_all);
            let b = c.at_user_ids.iter().fold(b, |b, u| b.with_mention_user(u));
            Some((Arc::new(b.build()?), Some(ThrottleLayer::slack())))
        }
        #[cfg(feature = "webhook")]
        "webhook" => {
            let mut b = chat_builder(crate::WebhookSink::builder(), e, c)?;
            for (k, v) in &c.headers {
                b = b.with_header(k, e.expand(v, &format!("headers.{k}"))?);
            }
            Some((Arc::new(b.build()?), None))
        }
        _ => None,
    })
}

#[cfg(feature = "email")]
fn email_sink(e: &Entry<'_>, c: &EmailConfig) -> Result<Arc<dyn AlertSink>, AlertError> {
    let mut b = crate::EmailSink::builder()
        .with_name(e.sink_name())
        .with_url(e.expand(&c.smtp, "smtp")?)
        .with_from(&c.from)
        .with_accept_invalid_certs(c.accept_invalid_certs);
    if let Some(u) = &c.username {
        let password = match &c.password {
            Some(p) => e.expand(p, "password")?,
            None => String::new(),
        };
        b = b.with_credentials(u, password);
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
    Ok(Arc::new(b.build()?))
}

/// The sinks of one receiver, each with its layers.
pub(crate) fn build(
    r: &ReceiverConfig,
    clock: &Arc<dyn Clock>,
) -> Result<Vec<Arc<dyn AlertSink>>, AlertError> {
    let mut out: Vec<Arc<dyn AlertSink>> = Vec::new();
    let entry = |kind, i| Entry {
        receiver: &r.name,
        kind,
        i,
    };
    let chats = [
        ("dingtalk", &r.dingtalk_configs),
        ("wecom", &r.wecom_configs),
        ("feishu", &r.feishu_configs),
        ("slack", &r.slack_configs),
        ("webhook", &r.webhook_configs),
    ];
    for (kind, configs) in chats {
        for (i, c) in configs.iter().enumerate() {
            let e = entry(kind, i);
            let (sink, throttle) = chat_sink(&e, c)?.ok_or_else(|| e.disabled())?;
            let timeout = c.timeout.map_or(DEFAULT_TIMEOUT, |d| d.0);
            out.push(stack(
                sink,
                throttle,
                timeout,
                c.max_attempts,
                c.send_resolved,
                clock,
            ));
        }
    }
    for (i, c) in r.email_configs.iter().enumerate() {
        #[cfg(feature = "email")]
        {
            let timeout = c.timeout.map_or(DEFAULT_EMAIL_TIMEOUT, |d| d.0);
            let sink = email_sink(&entry("email", i), c)?;
            out.push(stack(
                sink,
                None,
                timeout,
                c.max_attempts,
                c.send_resolved,
                clock,
            ));
        }
        #[cfg(not(feature = "email"))]
        return Err(entry("email", i).disabled());
    }
    for (i, c) in r.log_configs.iter().enumerate() {
        let n = c
            .name
            .clone()
            .unwrap_or_else(|| entry("log", i).sink_name());
        out.push(Arc::new(LogSink::new().with_name(n)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receiver(yaml: &str) -> ReceiverConfig {
        let cfg = crate::RouterConfig::from_yaml_str(&format!(
            "route: {{receiver: r}}\nreceivers:\n  - name: r\n{yaml}"
        ))
        .unwrap();
        cfg.receivers[0].clone()
    }

    #[test]
    fn sinks_are_named_by_receiver_kind_and_index() {
        let clock: Arc<dyn Clock> = Arc::new(crate::VirtualClock::new());
        let r = receiver(
            "    dingtalk_configs: [{url: 'https://d.example/robot/send?access_token=a'}, {url: 'https://d.example/robot/send?access_token=b'}]\n    \
             webhook_configs: [{url: 'https://w.example/hook', send_resolved: false}]\n    \
             email_configs: [{smtp: 'smtp://127.0.0.1:2525', from: a@example.com, to: [b@example.com]}]\n    \
             log_configs: [{}, {name: audit}]\n",
        );
        let names: Vec<_> = build(&r, &clock)
            .unwrap()
            .iter()
            .map(|s| s.name().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "r/dingtalk",
                "r/dingtalk[1]",
                "r/webhook",
                "r/email",
                "r/log",
                "audit"
            ]
        );
    }

    #[test]
    fn entry_errors_name_receiver_and_key() {
        let clock: Arc<dyn Clock> = Arc::new(crate::VirtualClock::new());
        let r = receiver(
            "    feishu_configs:\n      - {url: 'https://f.example/hook/a'}\n      - {url: 'https://f.example/hook/b', secret: '${STREAMPARK_SURELY_UNSET_VAR_3}'}\n",
        );
        let e = build(&r, &clock).unwrap_err().to_string();
        assert!(
            e.contains("receiver r")
                && e.contains("`feishu_configs[1].secret`")
                && e.contains("STREAMPARK_SURELY_UNSET_VAR_3"),
            "{e}"
        );
        // A bad URL is refused by the sink, which is named after the entry.
        let r = receiver("    slack_configs: [{url: 'ftp://s.example/x'}, {url: 'nope'}]\n");
        let e = build(&r, &clock).unwrap_err().to_string();
        assert!(e.contains("r/slack") && e.contains("`url`"), "{e}");
    }

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
