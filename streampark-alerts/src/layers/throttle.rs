//! Per-sink rate limits: sends over the limit wait in a FIFO queue (they are not dropped) up to
//! a bound; past the bound they fail with [`AlertError::QueueFull`] and are counted.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use streampark_core::{Alert, AlertError, AlertSink};

use super::SinkLayer;
use crate::clock::{self, Clock};

/// At most `max` sends in any window of `per` (a sliding window: robots that ban a burst for
/// ten minutes, like DingTalk's, never see `max + 1` inside one window).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    max: u32,
    per: Duration,
}

impl RateLimit {
    /// `max` sends per `per` (`max` at least 1).
    pub fn new(max: u32, per: Duration) -> Self {
        RateLimit {
            max: max.max(1),
            per,
        }
    }

    /// `max` per second.
    pub fn per_second(max: u32) -> Self {
        Self::new(max, Duration::from_secs(1))
    }

    /// `max` per minute.
    pub fn per_minute(max: u32) -> Self {
        Self::new(max, Duration::from_secs(60))
    }
}

/// Counters of a [`ThrottleLayer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ThrottleStats {
    /// Sends let through so far.
    pub passed: u64,
    /// Sends waiting for a slot right now.
    pub waiting: usize,
    /// Sends refused because the queue was full.
    pub dropped: u64,
}

struct Shared {
    gate: tokio::sync::Mutex<VecDeque<Duration>>,
    waiting: AtomicUsize,
    passed: AtomicU64,
    dropped: AtomicU64,
}

/// Rate-limits the sinks it wraps. Sinks wrapped by the **same** layer value share one budget
/// (use one layer per robot); [`ThrottleLayer::stats`] reads its counters.
#[derive(Clone)]
pub struct ThrottleLayer {
    limits: Vec<RateLimit>,
    max_queue: usize,
    clock: Arc<dyn Clock>,
    shared: Arc<Shared>,
}

impl fmt::Debug for ThrottleLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThrottleLayer")
            .field("limits", &self.limits)
            .field("max_queue", &self.max_queue)
            .field("stats", &self.stats())
            .finish()
    }
}

impl ThrottleLayer {
    /// The given limits, all enforced; a queue of 100 by default.
    pub fn new(limits: impl IntoIterator<Item = RateLimit>) -> Self {
        ThrottleLayer {
            limits: limits.into_iter().collect(),
            max_queue: 100,
            clock: clock::system(),
            shared: Arc::new(Shared {
                gate: tokio::sync::Mutex::new(VecDeque::new()),
                waiting: AtomicUsize::new(0),
                passed: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
            }),
        }
    }

    /// DingTalk custom robot: 20 per minute.
    pub fn dingtalk() -> Self {
        Self::new([RateLimit::per_minute(20)])
    }

    /// WeCom group robot: 20 per minute.
    pub fn wecom() -> Self {
        Self::new([RateLimit::per_minute(20)])
    }

    /// Feishu / Lark custom bot: 5 per second and 100 per minute.
    pub fn feishu() -> Self {
        Self::new([RateLimit::per_second(5), RateLimit::per_minute(100)])
    }

    /// Slack incoming webhook: 1 per second.
    pub fn slack() -> Self {
        Self::new([RateLimit::per_second(1)])
    }

    /// How many sends may wait at once before new ones are refused.
    #[must_use]
    pub fn with_max_queue(mut self, n: usize) -> Self {
        self.max_queue = n;
        self
    }

    /// Measures time on `clock` (a [`crate::VirtualClock`] in tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Counters so far.
    pub fn stats(&self) -> ThrottleStats {
        ThrottleStats {
            passed: self.shared.passed.load(Ordering::Relaxed),
            waiting: self.shared.waiting.load(Ordering::Relaxed),
            dropped: self.shared.dropped.load(Ordering::Relaxed),
        }
    }
}

impl SinkLayer for ThrottleLayer {
    fn layer(&self, inner: Arc<dyn AlertSink>) -> Arc<dyn AlertSink> {
        Arc::new(ThrottleSink {
            inner,
            cfg: self.clone(),
        })
    }
}

/// When the next send may go, given past send times; `None` if now.
fn next_free(sent: &VecDeque<Duration>, now: Duration, limits: &[RateLimit]) -> Option<Duration> {
    let mut at: Option<Duration> = None;
    for l in limits {
        let in_window = sent
            .iter()
            .rev()
            .take_while(|t| now < t.saturating_add(l.per))
            .count();
        if in_window >= l.max as usize {
            // The send that must leave the window: the `max`-th most recent.
            let idx = sent.len() - l.max as usize;
            let free = sent[idx].saturating_add(l.per);
            at = Some(at.map_or(free, |a| a.max(free)));
        }
    }
    at
}

#[derive(Debug)]
struct ThrottleSink {
    inner: Arc<dyn AlertSink>,
    cfg: ThrottleLayer,
}

impl ThrottleSink {
    async fn acquire(&self) -> Result<(), AlertError> {
        let sh = &self.cfg.shared;
        if sh.waiting.fetch_add(1, Ordering::SeqCst) >= self.cfg.max_queue {
            sh.waiting.fetch_sub(1, Ordering::SeqCst);
            let dropped = sh.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(
                sink = self.inner.name(),
                bound = self.cfg.max_queue,
                dropped_total = dropped,
                "throttle queue full; alert dropped"
            );
            return Err(AlertError::QueueFull {
                sink: self.inner.name().to_string(),
                bound: self.cfg.max_queue,
            });
        }
        // Leaves the queue on every path, cancellation included (an outer timeout may drop us).
        struct Queued<'a>(&'a AtomicUsize);
        impl Drop for Queued<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let queued = Queued(&sh.waiting);
        // tokio's Mutex is fair: waiters get the gate in arrival order.
        let mut sent = sh.gate.lock().await;
        let longest = self
            .cfg
            .limits
            .iter()
            .map(|l| l.per)
            .max()
            .unwrap_or_default();
        loop {
            let now = self.cfg.clock.now();
            while sent
                .front()
                .is_some_and(|t| t.saturating_add(longest) <= now)
            {
                sent.pop_front();
            }
            match next_free(&sent, now, &self.cfg.limits) {
                None => {
                    sent.push_back(now);
                    break;
                }
                Some(at) => {
                    tracing::debug!(
                        sink = self.inner.name(),
                        wait_ms = at.saturating_sub(now).as_millis() as u64,
                        "rate limit reached; alert queued"
                    );
                    self.cfg.clock.sleep_until(at).await;
                }
            }
        }
        drop(sent);
        drop(queued);
        sh.passed.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[async_trait::async_trait]
#[deny(clippy::missing_trait_methods)]
impl AlertSink for ThrottleSink {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        self.acquire().await?;
        self.inner.send(alert).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn sliding_window_frees_the_oldest_slot() {
        let limits = [RateLimit::per_minute(3)];
        let sent: VecDeque<Duration> = [secs(0), secs(10), secs(20)].into();
        assert_eq!(next_free(&sent, secs(30), &limits), Some(secs(60)));
        assert_eq!(next_free(&sent, secs(60), &limits), None);
        let two: VecDeque<Duration> = [secs(0), secs(10)].into();
        assert_eq!(next_free(&two, secs(11), &limits), None);
    }

    #[test]
    fn every_limit_is_enforced() {
        // Feishu: 5/s and 100/min. 100 sends spread over the last minute: the minute bounds.
        let limits = [RateLimit::per_second(5), RateLimit::per_minute(100)];
        let sent: VecDeque<Duration> = (0..100).map(|i| Duration::from_millis(i * 500)).collect();
        let now = Duration::from_millis(50_000);
        assert_eq!(next_free(&sent, now, &limits), Some(secs(60)));
        // 5 sends in the last second: the second bounds.
        let burst: VecDeque<Duration> = (0..5).map(|i| Duration::from_millis(100 * i)).collect();
        assert_eq!(
            next_free(&burst, Duration::from_millis(500), &limits),
            Some(secs(1))
        );
    }
}
