//! A virtual clock for deterministic tests.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Virtual time, shared by clones.
///
/// Two modes:
/// - [`VirtualClock::manual`]: time moves only by [`VirtualClock::advance`];
/// - [`VirtualClock::tokio`] (the default): time also follows `tokio::time`, so under a paused
///   runtime (`#[tokio::test(start_paused = true)]`) every `sleep` advances the simulation
///   deterministically and instantly.
///
/// ```
/// use std::time::Duration;
/// use streampark_core::testkit::VirtualClock;
/// let clock = VirtualClock::manual();
/// let t0 = clock.now_ms();
/// clock.advance(Duration::from_secs(3));
/// assert_eq!(clock.now_ms() - t0, 3_000);
/// assert_eq!(clock.elapsed(), Duration::from_secs(3));
/// ```
#[derive(Clone)]
pub struct VirtualClock {
    origin_ms: i64,
    manual_ms: Arc<AtomicU64>,
    tokio_base: Option<tokio::time::Instant>,
}

impl fmt::Debug for VirtualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualClock")
            .field("elapsed", &self.elapsed())
            .field("follows_tokio", &self.tokio_base.is_some())
            .finish()
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        Self::tokio()
    }
}

/// 2026-01-01T00:00:00Z: every simulation starts at the same wall-clock time.
const ORIGIN_MS: i64 = 1_767_225_600_000;

impl VirtualClock {
    /// A clock that moves only when told to.
    pub fn manual() -> Self {
        VirtualClock {
            origin_ms: ORIGIN_MS,
            manual_ms: Arc::new(AtomicU64::new(0)),
            tokio_base: None,
        }
    }

    /// A clock that follows `tokio::time` from now on, plus manual advances.
    pub fn tokio() -> Self {
        VirtualClock {
            origin_ms: ORIGIN_MS,
            manual_ms: Arc::new(AtomicU64::new(0)),
            tokio_base: Some(tokio::time::Instant::now()),
        }
    }

    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.manual_ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// Time since the clock started.
    pub fn elapsed(&self) -> Duration {
        let manual = Duration::from_millis(self.manual_ms.load(Ordering::SeqCst));
        match self.tokio_base {
            Some(b) => manual + b.elapsed(),
            None => manual,
        }
    }

    /// Virtual wall-clock time, milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        self.origin_ms + i64::try_from(self.elapsed().as_millis()).unwrap_or(i64::MAX / 2)
    }

    /// The wall-clock time (ms since the epoch) of a point `at` after the clock started.
    pub fn at_ms(&self, at: Duration) -> i64 {
        self.origin_ms + i64::try_from(at.as_millis()).unwrap_or(i64::MAX / 2)
    }
}
