//! A sink that writes alerts to `tracing`.

use streampark_core::{Alert, AlertError, AlertSink, Severity};

/// Logs each alert as a `tracing` event (target `streampark_alerts::log`): WARN for Critical
/// and Major, INFO otherwise. Useful as the router's default receiver.
#[derive(Debug, Clone)]
pub struct LogSink {
    name: String,
}

impl Default for LogSink {
    fn default() -> Self {
        LogSink { name: "log".into() }
    }
}

impl LogSink {
    /// A log sink named `log`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Renames it.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

#[async_trait::async_trait]
impl AlertSink for LogSink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        let labels = format!("{:?}", alert.all_labels());
        match alert.severity {
            Severity::Critical | Severity::Major => tracing::warn!(
                target: "streampark_alerts::log", sink = %self.name, severity = %alert.severity,
                status = %alert.status, fingerprint = %alert.fingerprint(), labels = %labels,
                text = %alert.text, "{}", alert.title
            ),
            _ => tracing::info!(
                target: "streampark_alerts::log", sink = %self.name, severity = %alert.severity,
                status = %alert.status, fingerprint = %alert.fingerprint(), labels = %labels,
                text = %alert.text, "{}", alert.title
            ),
        }
        Ok(())
    }
}
