//! Retries with exponential backoff and jitter, for retryable errors only.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use streampark_core::{Alert, AlertError, AlertSink};

use super::SinkLayer;
use crate::clock::{self, Clock};

/// Tries a send up to `max_attempts` times while the error [`is_retryable`]; waits
/// `base · 2^(n-1)` (capped at `max_delay`, then between half and all of it at random) or the
/// vendor's `Retry-After` if longer. After the last try the error is
/// [`AlertError::Exhausted`] carrying the last one; a non-retryable error is returned as is.
///
/// [`is_retryable`]: AlertError::is_retryable
#[derive(Debug, Clone)]
pub struct RetryLayer {
    max_attempts: u32,
    base: Duration,
    max_delay: Duration,
    jitter: bool,
    clock: Arc<dyn Clock>,
}

impl Default for RetryLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl RetryLayer {
    /// 3 attempts, 1 s base delay, 60 s cap, with jitter.
    pub fn new() -> Self {
        RetryLayer {
            max_attempts: 3,
            base: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            jitter: true,
            clock: clock::system(),
        }
    }

    /// Total tries, the first included (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The first backoff.
    #[must_use]
    pub fn with_base_delay(mut self, d: Duration) -> Self {
        self.base = d;
        self
    }

    /// The longest backoff (a vendor's `Retry-After` is honoured up to 10 times this).
    #[must_use]
    pub fn with_max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// Turns jitter on or off (on by default; off makes delays exact, for tests).
    #[must_use]
    pub fn with_jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// Sleeps on `clock` (a [`crate::VirtualClock`] in tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The backoff before try `attempt + 1` (attempt counts from 1), before jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.base.saturating_mul(factor).min(self.max_delay)
    }
}

impl SinkLayer for RetryLayer {
    fn layer(&self, inner: Arc<dyn AlertSink>) -> Arc<dyn AlertSink> {
        Arc::new(RetrySink {
            inner,
            cfg: self.clone(),
        })
    }
}

#[derive(Debug)]
struct RetrySink {
    inner: Arc<dyn AlertSink>,
    cfg: RetryLayer,
}

#[async_trait::async_trait]
#[deny(clippy::missing_trait_methods)]
impl AlertSink for RetrySink {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        let max = self.cfg.max_attempts;
        let mut attempt = 1;
        loop {
            let err = match self.inner.send(alert).await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            if !err.is_retryable() {
                return Err(err);
            }
            if max == 1 {
                return Err(err);
            }
            if attempt >= max {
                return Err(AlertError::Exhausted {
                    sink: self.inner.name().to_string(),
                    attempts: attempt,
                    last: Box::new(err),
                });
            }
            let mut wait = self.cfg.backoff(attempt);
            if self.cfg.jitter && !wait.is_zero() {
                let nanos = wait.as_nanos().min(u128::from(u64::MAX)) as u64;
                wait = Duration::from_nanos(rand::rng().random_range(nanos / 2..=nanos));
            }
            if let Some(hint) = err.retry_after() {
                wait = wait.max(hint.min(self.cfg.max_delay.saturating_mul(10)));
            }
            tracing::info!(
                sink = self.inner.name(),
                attempt,
                max_attempts = max,
                backoff_ms = wait.as_millis() as u64,
                error = %err,
                "alert send failed; retrying"
            );
            self.cfg.clock.sleep(wait).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let r = RetryLayer::new()
            .with_base_delay(Duration::from_secs(1))
            .with_max_delay(Duration::from_secs(5));
        assert_eq!(r.backoff(1), Duration::from_secs(1));
        assert_eq!(r.backoff(2), Duration::from_secs(2));
        assert_eq!(r.backoff(3), Duration::from_secs(4));
        assert_eq!(r.backoff(4), Duration::from_secs(5));
        assert_eq!(r.backoff(400), Duration::from_secs(5));
        assert_eq!(RetryLayer::new().with_max_attempts(0).max_attempts, 1);
    }
}
