//! The router's file format (YAML or JSON), with Alertmanager's names:
//!
//! ```yaml
//! global:
//!   resolve_timeout: 5m        # optional: firing alerts not re-sent for 5m count as resolved
//! route:                       # the root: matches everything
//!   receiver: ops              # the default receiver
//!   group_by: [job, alertname] # or ['...'] for every label; [] = one group per route
//!   group_wait: 30s            # wait before the first notification of a new group
//!   group_interval: 5m         # wait before notifying a group again about changes
//!   repeat_interval: 4h        # resend an unchanged firing group after this
//!   routes:
//!     - receiver: oncall
//!       matchers: ['severity="critical"', 'team=~"ads|search"']
//!       continue: true         # keep matching siblings
//! inhibit_rules:
//!   - source_matchers: ['severity="critical"']
//!     target_matchers: ['severity=~"minor|info"']
//!     equal: [job]
//! receivers:
//!   - name: oncall
//!     dingtalk_configs: [{url: "https://oapi.dingtalk.com/robot/send?access_token=…", secret: "SEC…", at_mobiles: ["138…"]}]
//!   - name: ops
//!     email_configs: [{smtp: "smtp://mail:587", username: u, password: p, from: a@x, to: [b@x]}]
//! ```
//!
//! Secrets need not be in the file: `${NAME}` anywhere in a `url`, `secret`, `smtp`,
//! `password` or header value is replaced by the environment variable `NAME` when the router is
//! built (an unset variable is an error naming the key).
//!
//! Sinks built from a file get, innermost first: a timeout per try (`timeout`, 10 s), the
//! vendor's rate limit (DingTalk/WeCom 20/min, Feishu 5/s and 100/min, Slack 1/s) and retries
//! (`max_attempts`, 3). `send_resolved: false` on a sink skips notifications in which every
//! alert is resolved.

use std::collections::HashSet;
use std::time::Duration;

use serde::Deserialize;
use streampark_core::AlertError;

use super::matcher::Matcher;
use crate::secret::Secret;

/// A parsed router file. Build a [`crate::Router`] from it with [`crate::Router::builder`].
/// Its `Debug` shows receiver names only (the file holds secrets).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterConfig {
    #[serde(default)]
    pub(crate) global: GlobalConfig,
    pub(crate) route: RouteConfig,
    #[serde(default)]
    pub(crate) inhibit_rules: Vec<InhibitConfig>,
    #[serde(default)]
    pub(crate) receivers: Vec<ReceiverConfig>,
    #[serde(skip)]
    pub(crate) source: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GlobalConfig {
    pub(crate) resolve_timeout: Option<Dur>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RouteConfig {
    pub(crate) receiver: Option<String>,
    #[serde(default)]
    pub(crate) matchers: Vec<MatcherStr>,
    pub(crate) group_by: Option<Vec<String>>,
    pub(crate) group_wait: Option<Dur>,
    pub(crate) group_interval: Option<Dur>,
    pub(crate) repeat_interval: Option<Dur>,
    #[serde(rename = "continue", default)]
    pub(crate) cont: bool,
    #[serde(default)]
    pub(crate) routes: Vec<RouteConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InhibitConfig {
    #[serde(default)]
    pub(crate) source_matchers: Vec<MatcherStr>,
    #[serde(default)]
    pub(crate) target_matchers: Vec<MatcherStr>,
    #[serde(default)]
    pub(crate) equal: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReceiverConfig {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) email_configs: Vec<EmailConfig>,
    #[serde(default)]
    pub(crate) dingtalk_configs: Vec<ChatConfig>,
    #[serde(default)]
    pub(crate) wecom_configs: Vec<ChatConfig>,
    #[serde(default)]
    pub(crate) feishu_configs: Vec<ChatConfig>,
    #[serde(default)]
    pub(crate) slack_configs: Vec<ChatConfig>,
    #[serde(default)]
    pub(crate) webhook_configs: Vec<ChatConfig>,
    #[serde(default)]
    pub(crate) log_configs: Vec<LogConfig>,
}

/// Settings shared by the HTTP sinks; each sink reads the mention keys it knows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // which fields are read depends on the enabled sink features
pub(crate) struct ChatConfig {
    pub(crate) url: Secret,
    pub(crate) secret: Option<Secret>,
    #[serde(default)]
    pub(crate) at_mobiles: Vec<String>,
    #[serde(default)]
    pub(crate) at_user_ids: Vec<String>,
    #[serde(default)]
    pub(crate) at_emails: Vec<String>,
    #[serde(default)]
    pub(crate) at_all: bool,
    #[serde(default)]
    pub(crate) headers: std::collections::BTreeMap<String, Secret>,
    pub(crate) title_template: Option<String>,
    pub(crate) body_template: Option<String>,
    pub(crate) timeout: Option<Dur>,
    pub(crate) max_attempts: Option<u32>,
    /// Whether to notify resolutions (default true).
    pub(crate) send_resolved: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct EmailConfig {
    pub(crate) smtp: Secret,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<Secret>,
    pub(crate) from: String,
    pub(crate) to: Vec<String>,
    #[serde(default)]
    pub(crate) accept_invalid_certs: bool,
    pub(crate) title_template: Option<String>,
    pub(crate) text_template: Option<String>,
    pub(crate) html_template: Option<String>,
    pub(crate) timeout: Option<Dur>,
    pub(crate) max_attempts: Option<u32>,
    /// Whether to notify resolutions (default true).
    pub(crate) send_resolved: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogConfig {
    pub(crate) name: Option<String>,
}

/// A route of a [`RouterConfig`] built in code (the file form is `route:` / `routes:`).
///
/// ```
/// use std::time::Duration;
/// use streampark_alerts::{Matcher, Route, RouterConfig};
/// use streampark_core::Severity;
/// let config = RouterConfig::new("ops")
///     .with_group_by(["job"])
///     .with_group_wait(Duration::from_secs(30))
///     .with_route(Route::new("oncall").with_matcher(Matcher::severity_at_least(Severity::Critical)).with_continue(true))
///     .with_route(Route::new("ads").with_matcher(Matcher::eq("team", "ads")));
/// assert_eq!(config.receiver_names(), ["ops", "oncall", "ads"]);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Route(pub(crate) RouteConfig);

impl Route {
    /// A route to `receiver` that matches every alert until matchers are added.
    pub fn new(receiver: impl Into<String>) -> Self {
        Route(RouteConfig {
            receiver: Some(receiver.into()),
            ..RouteConfig::default()
        })
    }
    /// Adds a matcher (all must match).
    pub fn with_matcher(mut self, m: Matcher) -> Self {
        self.0.matchers.push(MatcherStr(m));
        self
    }
    /// Keeps matching the following siblings after this route matched.
    pub fn with_continue(mut self, on: bool) -> Self {
        self.0.cont = on;
        self
    }
    /// Groups by these labels (`...` for all).
    pub fn with_group_by<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.0.group_by = Some(labels.into_iter().map(Into::into).collect());
        self
    }
    /// Wait before the first notification of a new group.
    pub fn with_group_wait(mut self, d: Duration) -> Self {
        self.0.group_wait = Some(Dur(d));
        self
    }
    /// Wait before notifying a group again about changes.
    pub fn with_group_interval(mut self, d: Duration) -> Self {
        self.0.group_interval = Some(Dur(d));
        self
    }
    /// Resend an unchanged firing group after this.
    pub fn with_repeat_interval(mut self, d: Duration) -> Self {
        self.0.repeat_interval = Some(Dur(d));
        self
    }
    /// Adds a child route.
    pub fn with_route(mut self, child: Route) -> Self {
        self.0.routes.push(child.0);
        self
    }
}

/// A matcher parsed while deserializing, so errors carry the key and line.
#[derive(Debug, Clone)]
pub(crate) struct MatcherStr(pub(crate) Matcher);

impl<'de> Deserialize<'de> for MatcherStr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<Matcher>().map(MatcherStr).map_err(|e| {
            let reason = match e {
                AlertError::InvalidConfig { reason, .. } => reason,
                other => other.to_string(),
            };
            serde::de::Error::custom(reason)
        })
    }
}

/// A duration written as `250ms`, `30s`, `5m`, `4h`, `1d` or combinations (`1h30m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dur(pub(crate) Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s)
            .map(Dur)
            .map_err(serde::de::Error::custom)
    }
}

/// Parses Alertmanager-style durations.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("`{s}` is not a duration (e.g. 30s, 5m, 1h30m)"));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{s}`: number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let d = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86_400)),
            "w" => Duration::from_secs(n.saturating_mul(604_800)),
            _ => return Err(format!("`{s}`: unknown unit `{unit}` (ms, s, m, h, d, w)")),
        };
        total = total.saturating_add(d);
    }
    Ok(total)
}

/// YAML reports errors of a scalar inside a mapping at the mapping's start; move to the line
/// of the key itself (the last named segment of `path`) when it follows.
fn refine_line(src: &str, reported: usize, path: &str) -> usize {
    let Some(key) = path
        .rsplit('.')
        .next()
        .map(|seg| seg.split('[').next().unwrap_or(seg))
        .filter(|k| !k.is_empty() && *k != "?")
    else {
        return reported;
    };
    if path.ends_with(']') {
        return reported;
    }
    src.lines()
        .enumerate()
        .skip(reported.saturating_sub(1))
        .find(|(_, l)| {
            let t = l.trim_start().trim_start_matches("- ");
            t.starts_with(&format!("{key}:"))
        })
        .map_or(reported, |(i, _)| i + 1)
}

impl std::fmt::Debug for RouterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterConfig")
            .field("receivers", &self.receiver_names())
            .field("inhibit_rules", &self.inhibit_rules.len())
            .finish_non_exhaustive()
    }
}

impl RouterConfig {
    /// A configuration built in code: a root route to `default_receiver`. Receivers named by
    /// routes are declared automatically; give them sinks with
    /// [`crate::RouterBuilder::with_receiver_sink`].
    pub fn new(default_receiver: impl Into<String>) -> Self {
        let name = default_receiver.into();
        RouterConfig {
            global: GlobalConfig::default(),
            route: Route::new(name.clone()).0,
            inhibit_rules: Vec::new(),
            receivers: vec![ReceiverConfig {
                name,
                ..ReceiverConfig::default()
            }],
            source: None,
        }
    }

    fn declare(&mut self, r: &RouteConfig) {
        if let Some(name) = &r.receiver
            && !self.receivers.iter().any(|x| &x.name == name)
        {
            self.receivers.push(ReceiverConfig {
                name: name.clone(),
                ..ReceiverConfig::default()
            });
        }
        for c in &r.routes {
            self.declare(c);
        }
    }

    /// Adds a child route to the root.
    #[must_use]
    pub fn with_route(mut self, route: Route) -> Self {
        self.declare(&route.0);
        self.route.routes.push(route.0);
        self
    }

    /// The root's grouping labels (`...` for all).
    #[must_use]
    pub fn with_group_by<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.route.group_by = Some(labels.into_iter().map(Into::into).collect());
        self
    }

    /// Treats a firing alert as resolved when it has not been ingested again for `d`
    /// (`global.resolve_timeout` in a file). Off by default: the engine sends resolutions.
    #[must_use]
    pub fn with_resolve_timeout(mut self, d: Duration) -> Self {
        self.global.resolve_timeout = Some(Dur(d));
        self
    }

    /// The root's group wait (default 30 s).
    #[must_use]
    pub fn with_group_wait(mut self, d: Duration) -> Self {
        self.route.group_wait = Some(Dur(d));
        self
    }

    /// The root's group interval (default 5 min).
    #[must_use]
    pub fn with_group_interval(mut self, d: Duration) -> Self {
        self.route.group_interval = Some(Dur(d));
        self
    }

    /// The root's repeat interval (default 4 h).
    #[must_use]
    pub fn with_repeat_interval(mut self, d: Duration) -> Self {
        self.route.repeat_interval = Some(Dur(d));
        self
    }

    /// Parses YAML.
    ///
    /// # Errors
    /// [`AlertError::InvalidConfig`] whose key is the path of the offending entry with its line
    /// and column (`route.routes[1].matchers[0] (line 7, column 9)`) and whose reason says what
    /// was wrong; unknown keys are errors (typos never fall back to defaults).
    pub fn from_yaml_str(src: &str) -> Result<Self, AlertError> {
        let de = serde_yaml_ng::Deserializer::from_str(src);
        let mut cfg: RouterConfig = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let at = inner
                .location()
                .map(|l| {
                    let line = refine_line(src, l.line(), &path);
                    if line == l.line() {
                        format!(" (line {line}, column {})", l.column())
                    } else {
                        format!(" (line {line})")
                    }
                })
                .unwrap_or_default();
            let msg = inner.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            // serde_yaml prefixes its own (parent) path: drop it, ours is in the key.
            let msg = match msg.split_once(": ") {
                Some((head, tail)) if path.starts_with(head) => tail.to_string(),
                _ => msg,
            };
            AlertError::invalid_config("router config", format!("{path}{at}"), msg)
        })?;
        cfg.source = Some(src.to_string());
        cfg.validate()?;
        Ok(cfg)
    }

    /// Parses JSON.
    ///
    /// # Errors
    /// As [`RouterConfig::from_yaml_str`].
    pub fn from_json_str(src: &str) -> Result<Self, AlertError> {
        let mut de = serde_json::Deserializer::from_str(src);
        let mut cfg: RouterConfig = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let at = format!(" (line {}, column {})", inner.line(), inner.column());
            let msg = inner.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            AlertError::invalid_config("router config", format!("{path}{at}"), msg)
        })?;
        cfg.source = Some(src.to_string());
        cfg.validate()?;
        Ok(cfg)
    }

    /// Reads a file: JSON if it ends in `.json`, YAML otherwise.
    ///
    /// # Errors
    /// [`AlertError::InvalidConfig`] when it cannot be read or parsed (the key names the file).
    pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<Self, AlertError> {
        let path = path.as_ref();
        let src = std::fs::read_to_string(path).map_err(|e| {
            AlertError::invalid_config("router config", path.display().to_string(), e.to_string())
        })?;
        let r = if path.extension().is_some_and(|e| e == "json") {
            Self::from_json_str(&src)
        } else {
            Self::from_yaml_str(&src)
        };
        r.map_err(|e| match e {
            AlertError::InvalidConfig { key, reason, .. } => {
                AlertError::invalid_config(path.display().to_string(), key, reason)
            }
            other => other,
        })
    }

    /// The line (1-based) of the first line containing all of `needles`.
    pub(crate) fn line_of(&self, needles: &[&str]) -> String {
        self.source
            .as_deref()
            .and_then(|s| {
                s.lines()
                    .position(|l| needles.iter().all(|n| l.contains(n)))
                    .map(|i| format!(" (line {})", i + 1))
            })
            .unwrap_or_default()
    }

    pub(crate) fn validate(&self) -> Result<(), AlertError> {
        let mut names = HashSet::new();
        for (i, r) in self.receivers.iter().enumerate() {
            if r.name.trim().is_empty() {
                return Err(AlertError::invalid_config(
                    "router config",
                    format!("receivers[{i}].name"),
                    "is empty",
                ));
            }
            if !names.insert(r.name.as_str()) {
                return Err(AlertError::invalid_config(
                    "router config",
                    format!("receivers[{i}].name{}", self.line_of(&["name", &r.name])),
                    format!("receiver `{}` is defined twice", r.name),
                ));
            }
        }
        if self.route.receiver.is_none() {
            return Err(AlertError::invalid_config(
                "router config",
                format!("route.receiver{}", self.line_of(&["route:"])),
                "the root route needs a default receiver",
            ));
        }
        if !self.route.matchers.is_empty() {
            return Err(AlertError::invalid_config(
                "router config",
                "route.matchers",
                "the root route matches every alert; put matchers on child routes",
            ));
        }
        fn walk(
            cfg: &RouterConfig,
            r: &RouteConfig,
            path: &str,
            names: &HashSet<&str>,
        ) -> Result<(), AlertError> {
            if let Some(name) = &r.receiver
                && !names.contains(name.as_str())
            {
                return Err(AlertError::invalid_config(
                    "router config",
                    format!("{path}.receiver{}", cfg.line_of(&["receiver", name])),
                    format!("no receiver named `{name}` under `receivers`"),
                ));
            }
            for (i, c) in r.routes.iter().enumerate() {
                walk(cfg, c, &format!("{path}.routes[{i}]"), names)?;
            }
            Ok(())
        }
        walk(self, &self.route, "route", &names)
    }

    /// Names of the receivers defined in the file.
    pub fn receiver_names(&self) -> Vec<String> {
        self.receivers.iter().map(|r| r.name.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn yaml_errors_name_key_and_line() {
        let src = "route:\n  receiver: ops\n  routes:\n    - receiver: ops\n      matchers: ['env=\"prod\"', 'bad matcher']\nreceivers:\n  - name: ops\n";
        let e = RouterConfig::from_yaml_str(src).unwrap_err().to_string();
        assert!(
            e.contains("route.routes[0].matchers[1]") && e.contains("line 5"),
            "{e}"
        );
        assert!(e.contains("no operator"), "{e}");

        let src = "route:\n  receiver: ops\n  group_wait: soon\nreceivers:\n  - name: ops\n";
        let e = RouterConfig::from_yaml_str(src).unwrap_err().to_string();
        assert!(
            e.contains("route.group_wait") && e.contains("line 3"),
            "{e}"
        );

        let src = "route:\n  receiver: ops\n  grop_by: [job]\nreceivers:\n  - name: ops\n";
        let e = RouterConfig::from_yaml_str(src).unwrap_err().to_string();
        assert!(e.contains("grop_by") && e.contains("line 3"), "{e}");
    }

    #[test]
    fn unknown_receivers_are_named_with_their_line() {
        let src = "route:\n  receiver: ops\n  routes:\n    - receiver: oncal\nreceivers:\n  - name: ops\n  - name: oncall\n";
        let e = RouterConfig::from_yaml_str(src).unwrap_err().to_string();
        assert!(
            e.contains("route.routes[0].receiver (line 4)") && e.contains("`oncal`"),
            "{e}"
        );
    }

    #[test]
    fn json_errors_name_key_and_line() {
        let src = "{\n  \"route\": {\"receiver\": \"ops\",\n    \"repeat_interval\": 5},\n  \"receivers\": [{\"name\": \"ops\"}]\n}";
        let e = RouterConfig::from_json_str(src).unwrap_err().to_string();
        assert!(
            e.contains("route.repeat_interval") && e.contains("line 3"),
            "{e}"
        );
        let ok = "{\"route\": {\"receiver\": \"ops\"}, \"receivers\": [{\"name\": \"ops\"}]}";
        assert!(RouterConfig::from_json_str(ok).is_ok());
    }
}
