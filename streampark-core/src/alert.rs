//! Alerts: what the engine raises when a job needs a human, and the [`AlertSink`] trait that
//! delivers them.
//!
//! The sinks themselves (email, DingTalk, WeCom, Feishu/Lark, Slack, webhooks) and the
//! Alertmanager-style router live in `streampark-alerts`; core only knows the data and the
//! contract, so the engine can raise alerts without depending on any transport.
//!
//! ```
//! use streampark_core::{Alert, Severity};
//! let alert = Alert::new(Severity::Critical, "orders job failed")
//!     .with_text("TaskManager lost; restarting (attempt 3)")
//!     .with_job("orders")
//!     .with_team("ads")
//!     .with_label("cluster", "yarn-prod")
//!     .with_link("Flink UI", "http://jm:8081/#/job/abc");
//! assert_eq!(alert.label("severity").as_deref(), Some("critical"));
//! assert_eq!(alert.label("job").as_deref(), Some("orders"));
//! assert!(!alert.is_resolved());
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How urgent an alert is. Ordered: `Info < Minor < Major < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// For the record; nobody needs to act.
    Info,
    /// Degraded but working; look at it during office hours.
    Minor,
    /// A job is failing or restarting; act soon.
    Major,
    /// A job is down or data is being lost; act now.
    Critical,
}

impl Severity {
    /// All severities, most urgent first.
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::Major,
        Severity::Minor,
        Severity::Info,
    ];

    /// The lowercase name used in labels, configuration and templates.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Major => "major",
            Severity::Minor => "minor",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of [`Severity::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity `{0}` (expected critical, major, minor or info)")]
pub struct ParseSeverityError(String);

impl FromStr for Severity {
    type Err = ParseSeverityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "critical" | "crit" => Ok(Severity::Critical),
            "major" | "error" => Ok(Severity::Major),
            "minor" | "warning" | "warn" => Ok(Severity::Minor),
            "info" => Ok(Severity::Info),
            _ => Err(ParseSeverityError(s.chars().take(40).collect())),
        }
    }
}

/// Whether the condition behind an alert still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum AlertStatus {
    /// The condition holds.
    Firing,
    /// The condition is over; sent so that people know they can stop looking.
    Resolved,
}

impl fmt::Display for AlertStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
        })
    }
}

/// A link shown with an alert (the Flink web UI, the YARN application page, a runbook).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertLink {
    /// What the link is, e.g. `Flink UI`.
    pub name: String,
    /// Where it points.
    pub url: String,
}

/// One alert: a severity, what happened, which job and team it concerns, labels that routing
/// matches on, and a fingerprint that identifies "the same alert" across repeats.
///
/// The labels seen by routing ([`Alert::label`], [`Alert::all_labels`]) are the user labels
/// plus `alertname` (the title), `severity`, and `job`/`team` when set; user labels never
/// override these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Alert {
    /// How urgent.
    pub severity: Severity,
    /// Firing or resolved.
    pub status: AlertStatus,
    /// One line: what happened.
    pub title: String,
    /// Details (plain text or light markdown).
    pub text: String,
    /// The job concerned, if any.
    pub job: Option<String>,
    /// The owning team, if any.
    pub team: Option<String>,
    /// Labels for routing and grouping (`cluster`, `env`, …).
    pub labels: BTreeMap<String, String>,
    /// Extra information that does not identify the alert (`runbook`, `exception`, …).
    pub annotations: BTreeMap<String, String>,
    /// Links (Flink UI, YARN application, runbook).
    pub links: Vec<AlertLink>,
    /// When the condition started.
    pub starts_at: SystemTime,
    /// When it ended, for resolved alerts.
    pub ends_at: Option<SystemTime>,
    /// An explicit de-duplication key; computed from the labels when absent.
    pub fingerprint: Option<String>,
}

impl Alert {
    /// A firing alert starting now.
    pub fn new(severity: Severity, title: impl Into<String>) -> Self {
        Alert {
            severity,
            status: AlertStatus::Firing,
            title: title.into(),
            text: String::new(),
            job: None,
            team: None,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            links: Vec::new(),
            starts_at: SystemTime::now(),
            ends_at: None,
            fingerprint: None,
        }
    }

    /// Sets the details.
    #[must_use]
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = text.into();
        self
    }

    /// Sets the job (label `job`).
    #[must_use]
    pub fn with_job(mut self, job: impl Into<String>) -> Self {
        self.job = Some(job.into());
        self
    }

    /// Sets the team (label `team`).
    #[must_use]
    pub fn with_team(mut self, team: impl Into<String>) -> Self {
        self.team = Some(team.into());
        self
    }

    /// Adds a label.
    #[must_use]
    pub fn with_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Adds an annotation.
    #[must_use]
    pub fn with_annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// Adds a link.
    #[must_use]
    pub fn with_link(mut self, name: impl Into<String>, url: impl Into<String>) -> Self {
        self.links.push(AlertLink {
            name: name.into(),
            url: url.into(),
        });
        self
    }

    /// Sets the start time.
    #[must_use]
    pub fn with_starts_at(mut self, at: SystemTime) -> Self {
        self.starts_at = at;
        self
    }

    /// Sets an explicit fingerprint (de-duplication key).
    #[must_use]
    pub fn with_fingerprint(mut self, fingerprint: impl Into<String>) -> Self {
        self.fingerprint = Some(fingerprint.into());
        self
    }

    /// The same alert, resolved at `at`.
    #[must_use]
    pub fn resolved_at(mut self, at: SystemTime) -> Self {
        self.status = AlertStatus::Resolved;
        self.ends_at = Some(at);
        self
    }

    /// Whether the alert is resolved.
    pub fn is_resolved(&self) -> bool {
        self.status == AlertStatus::Resolved
    }

    /// A routing label, including the built-in ones (`alertname`, `severity`, `job`, `team`).
    pub fn label(&self, key: &str) -> Option<String> {
        match key {
            "alertname" => Some(self.title.clone()),
            "severity" => Some(self.severity.as_str().to_string()),
            "job" if self.job.is_some() => self.job.clone(),
            "team" if self.team.is_some() => self.team.clone(),
            _ => self.labels.get(key).cloned(),
        }
    }

    /// Every routing label, built-in ones included, sorted by key.
    pub fn all_labels(&self) -> BTreeMap<String, String> {
        let mut all = self.labels.clone();
        all.insert("alertname".into(), self.title.clone());
        all.insert("severity".into(), self.severity.as_str().into());
        if let Some(job) = &self.job {
            all.insert("job".into(), job.clone());
        }
        if let Some(team) = &self.team {
            all.insert("team".into(), team.clone());
        }
        all
    }

    /// The de-duplication key: the explicit one, or 16 hex digits of a SHA-256 over the sorted
    /// routing labels (so the same condition on the same job keeps its fingerprint, firing or
    /// resolved, and a Critical and a Minor alert differ).
    pub fn fingerprint(&self) -> String {
        if let Some(f) = &self.fingerprint {
            return f.clone();
        }
        let mut h = Sha256::new();
        for (k, v) in self.all_labels() {
            h.update(k.as_bytes());
            h.update([0xff]);
            h.update(v.as_bytes());
            h.update([0xfe]);
        }
        hex::encode(&h.finalize()[..8])
    }

    /// How long the alert has been firing at `now` (zero if `now` is before the start).
    pub fn age(&self, now: SystemTime) -> Duration {
        now.duration_since(self.starts_at).unwrap_or_default()
    }
}

/// Where alerts go. Implemented by every sink in `streampark-alerts` and by its `Router`;
/// hosts hold it as `Arc<dyn AlertSink>`.
///
/// # Contract
/// - `send` either delivers the alert or returns an [`AlertError`] saying why not; a vendor
///   error code inside an HTTP 200 answer is an error.
/// - [`AlertError::is_retryable`] is true only when trying again later may succeed (rate
///   limits, 429, 5xx, network trouble, timeouts), never for a bad key or signature.
/// - Neither `Debug` nor errors nor tracing output contain secrets (keys, passwords, tokens).
#[async_trait::async_trait]
pub trait AlertSink: fmt::Debug + Send + Sync + 'static {
    /// A short name for errors and spans (`"dingtalk"`, `"oncall/email"`).
    fn name(&self) -> &str;
    /// Delivers one alert.
    async fn send(&self, alert: &Alert) -> Result<(), AlertError>;
}

#[async_trait::async_trait]
impl<T: AlertSink + ?Sized> AlertSink for std::sync::Arc<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        (**self).send(alert).await
    }
}

#[async_trait::async_trait]
impl<T: AlertSink + ?Sized> AlertSink for Box<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        (**self).send(alert).await
    }
}

/// Why an alert was not delivered. `Display` describes this layer only (never the source) and
/// never contains secrets: endpoints are shown without tokens.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AlertError {
    /// The vendor refused the message for good: bad key or signature, keyword or IP rule,
    /// malformed payload, unknown channel. Not retryable.
    #[error("{sink}: rejected by {endpoint}: code {code}: {message}")]
    Rejected {
        /// The sink.
        sink: String,
        /// The endpoint without credentials.
        endpoint: String,
        /// The vendor's code (`310000`, `invalid_payload`, `HTTP 403`).
        code: String,
        /// The vendor's message.
        message: String,
    },
    /// The vendor said "too fast" (429 or a rate-limit code). Retryable.
    #[error("{sink}: rate limited by {endpoint}: code {code}")]
    RateLimited {
        /// The sink.
        sink: String,
        /// The endpoint without credentials.
        endpoint: String,
        /// The vendor's code.
        code: String,
        /// When the vendor said to come back, if it did.
        retry_after: Option<Duration>,
    },
    /// The endpoint could not be reached or answered 5xx. Retryable.
    #[error("{sink}: {endpoint} unavailable{}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Unavailable {
        /// The sink.
        sink: String,
        /// The endpoint without credentials.
        endpoint: String,
        /// The HTTP status, when there was an answer.
        status: Option<u16>,
        /// The cause (network error, with URLs removed).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// A try did not finish in time. Retryable.
    #[error("{sink}: send timed out after {after:?}")]
    Timeout {
        /// The sink.
        sink: String,
        /// The limit per try.
        after: Duration,
    },
    /// The answer could not be understood. Not retryable (the message may have been delivered).
    #[error("{sink}: unexpected answer from {endpoint}: {reason}")]
    Protocol {
        /// The sink.
        sink: String,
        /// The endpoint without credentials.
        endpoint: String,
        /// What was wrong.
        reason: String,
    },
    /// The sink is misconfigured (found in `build()` or when loading a file).
    #[error("{sink}: invalid configuration `{key}`: {reason}")]
    InvalidConfig {
        /// The sink or file.
        sink: String,
        /// The key or setter at fault (with a line number when read from a file).
        key: String,
        /// Why.
        reason: String,
    },
    /// A template failed to render.
    #[error("{sink}: template `{template}` failed: {reason}")]
    Template {
        /// The sink.
        sink: String,
        /// Which template (`title`, `body`, …).
        template: String,
        /// What went wrong, with the line.
        reason: String,
    },
    /// The throttle's queue was full; the alert was counted and dropped.
    #[error("{sink}: throttle queue full ({bound} waiting); alert dropped")]
    QueueFull {
        /// The sink.
        sink: String,
        /// The queue bound.
        bound: usize,
    },
    /// The retry layer gave up; carries the last error.
    #[error("{sink}: not delivered after {attempts} attempts")]
    Exhausted {
        /// The sink.
        sink: String,
        /// Tries made.
        attempts: u32,
        /// The last error.
        #[source]
        last: Box<AlertError>,
    },
    /// Some receivers of a routed alert failed (the others got it).
    #[error("{sink}: {failed} of {total} deliveries failed")]
    Partial {
        /// The router.
        sink: String,
        /// Failed deliveries.
        failed: usize,
        /// All deliveries.
        total: usize,
    },
}

impl AlertError {
    /// Whether trying again later may succeed: rate limits, 429, 5xx, network errors and
    /// timeouts. A bad key, signature or payload is not retryable.
    ///
    /// ```
    /// use streampark_core::AlertError;
    /// let e = AlertError::Rejected { sink: "dingtalk".into(), endpoint: "https://oapi.dingtalk.com/…".into(),
    ///     code: "310000".into(), message: "sign not match".into() };
    /// assert!(!e.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            AlertError::RateLimited { .. }
                | AlertError::Unavailable { .. }
                | AlertError::Timeout { .. }
        )
    }

    /// The vendor's hint on when to retry.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AlertError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The sink that produced the error.
    pub fn sink(&self) -> &str {
        match self {
            AlertError::Rejected { sink, .. }
            | AlertError::RateLimited { sink, .. }
            | AlertError::Unavailable { sink, .. }
            | AlertError::Timeout { sink, .. }
            | AlertError::Protocol { sink, .. }
            | AlertError::InvalidConfig { sink, .. }
            | AlertError::Template { sink, .. }
            | AlertError::QueueFull { sink, .. }
            | AlertError::Exhausted { sink, .. }
            | AlertError::Partial { sink, .. } => sink,
        }
    }

    /// Shorthand for [`AlertError::InvalidConfig`].
    pub fn invalid_config(
        sink: impl Into<String>,
        key: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        AlertError::InvalidConfig {
            sink: sink.into(),
            key: key.into(),
            reason: reason.into(),
        }
    }
}

impl From<AlertError> for crate::Error {
    fn from(e: AlertError) -> Self {
        let message = e.to_string();
        match e {
            AlertError::InvalidConfig { key, reason, .. } => crate::Error::InvalidConfig {
                backend: "alerts",
                key,
                reason,
            },
            AlertError::Timeout { sink, after } => crate::Error::Timeout {
                backend: "alerts",
                operation: format!("{sink} send"),
                after,
            },
            e if e.is_retryable() => crate::Error::Unavailable {
                backend: "alerts",
                what: e.sink().to_string(),
                retry_after: e.retry_after(),
                source: Some(Box::new(e)),
            },
            e => crate::Error::Other {
                backend: "alerts",
                message,
                source: Some(Box::new(e)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Critical > Severity::Major);
        assert!(Severity::Minor > Severity::Info);
        assert_eq!("CRITICAL".parse::<Severity>(), Ok(Severity::Critical));
        assert_eq!("warning".parse::<Severity>(), Ok(Severity::Minor));
        let e = "urgent".parse::<Severity>().unwrap_err();
        assert!(e.to_string().contains("`urgent`"));
    }

    #[test]
    fn builtin_labels_win_over_user_labels() {
        let a = Alert::new(Severity::Minor, "lag")
            .with_job("orders")
            .with_label("severity", "critical")
            .with_label("env", "prod");
        assert_eq!(a.label("severity").as_deref(), Some("minor"));
        assert_eq!(a.label("env").as_deref(), Some("prod"));
        assert_eq!(a.label("team"), None);
        let all = a.all_labels();
        assert_eq!(all.get("alertname").map(String::as_str), Some("lag"));
        assert_eq!(all.get("severity").map(String::as_str), Some("minor"));
    }

    #[test]
    fn fingerprint_is_stable_and_distinguishes() {
        let a = Alert::new(Severity::Critical, "down").with_job("orders");
        let later = a
            .clone()
            .with_text("other text")
            .resolved_at(SystemTime::now());
        assert_eq!(a.fingerprint(), later.fingerprint());
        assert_eq!(a.fingerprint().len(), 16);
        let minor = Alert::new(Severity::Minor, "down").with_job("orders");
        assert_ne!(a.fingerprint(), minor.fingerprint());
        let other_job = Alert::new(Severity::Critical, "down").with_job("clicks");
        assert_ne!(a.fingerprint(), other_job.fingerprint());
        assert_eq!(a.clone().with_fingerprint("x").fingerprint(), "x");
    }

    #[test]
    fn retryability_by_category() {
        let rl = AlertError::RateLimited {
            sink: "wecom".into(),
            endpoint: "e".into(),
            code: "45009".into(),
            retry_after: Some(Duration::from_secs(60)),
        };
        assert!(rl.is_retryable());
        assert_eq!(rl.retry_after(), Some(Duration::from_secs(60)));
        let ex = AlertError::Exhausted {
            sink: "wecom".into(),
            attempts: 3,
            last: Box::new(rl),
        };
        assert!(!ex.is_retryable());
        assert_eq!(ex.sink(), "wecom");
        assert!(!ex.to_string().contains("45009"), "{ex}");
        let core: crate::Error = AlertError::Timeout {
            sink: "slack".into(),
            after: Duration::from_secs(1),
        }
        .into();
        assert!(core.is_retryable());
    }

    #[test]
    fn sink_is_dyn_compatible() {
        fn assert_bounds<T: Send + Sync + 'static + ?Sized>() {}
        assert_bounds::<std::sync::Arc<dyn AlertSink>>();
        assert_bounds::<AlertError>();
        assert_bounds::<Alert>();
    }
}
