//! Time for layers and the router: the real clock, or a [`VirtualClock`] that tests advance by
//! hand so throttling, backoff, grouping, repeat and inhibition run without real sleeping.
//!
//! A virtual clock rather than tokio's paused time: the chat-sink tests talk to real HTTP
//! receivers on loopback, and paused time auto-advances whenever the runtime waits on a
//! socket, which would fire timeouts at random.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::oneshot;

/// A monotonic clock that can sleep.
pub trait Clock: fmt::Debug + Send + Sync + 'static {
    /// Time elapsed since the clock's origin.
    fn now(&self) -> Duration;
    /// A future that completes once [`Clock::now`] has reached `deadline`.
    fn sleep_until(&self, deadline: Duration) -> BoxFuture<'static, ()>;
    /// A future that completes after `d`.
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.sleep_until(self.now().saturating_add(d))
    }
}

/// The real clock, over tokio's timer.
#[derive(Debug, Clone)]
pub struct SystemClock {
    origin: tokio::time::Instant,
}

impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        SystemClock {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
    fn sleep_until(&self, deadline: Duration) -> BoxFuture<'static, ()> {
        let at = self.origin + deadline;
        Box::pin(tokio::time::sleep_until(at))
    }
}

/// The default clock for layers and routers.
pub(crate) fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock::new())
}

#[derive(Default)]
struct VirtualState {
    now: Duration,
    seq: u64,
    sleepers: BTreeMap<(Duration, u64), oneshot::Sender<()>>,
}

/// A clock that only moves when told to. Clones share the same time.
///
/// ```
/// use std::time::Duration;
/// use streampark_alerts::{Clock, VirtualClock};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let clock = VirtualClock::new();
/// let sleep = clock.sleep(Duration::from_secs(30));
/// assert_eq!(clock.pending(), 1);
/// clock.advance(Duration::from_secs(30));
/// sleep.await; // completes: the clock reached the deadline
/// assert_eq!(clock.now(), Duration::from_secs(30));
/// # });
/// ```
#[derive(Clone, Default)]
pub struct VirtualClock {
    state: Arc<Mutex<VirtualState>>,
}

impl fmt::Debug for VirtualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualClock")
            .field("now", &self.now())
            .field("pending", &self.pending())
            .finish()
    }
}

impl VirtualClock {
    /// A clock at zero.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VirtualState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves time forward by `d` and wakes every sleeper whose deadline has passed.
    pub fn advance(&self, d: Duration) {
        let mut st = self.lock();
        st.now = st.now.saturating_add(d);
        Self::wake(&mut st);
    }

    /// Moves time to the earliest pending deadline (if later than now) and wakes its sleepers.
    /// Returns the new time, or `None` when nobody sleeps.
    pub fn advance_to_next(&self) -> Option<Duration> {
        let mut st = self.lock();
        st.sleepers.retain(|_, tx| !tx.is_closed());
        let (deadline, _) = *st.sleepers.keys().next()?;
        if deadline > st.now {
            st.now = deadline;
        }
        Self::wake(&mut st);
        Some(st.now)
    }

    /// How many sleepers wait (dropped sleeps are not counted).
    pub fn pending(&self) -> usize {
        let mut st = self.lock();
        st.sleepers.retain(|_, tx| !tx.is_closed());
        st.sleepers.len()
    }

    /// The earliest pending deadline.
    pub fn next_deadline(&self) -> Option<Duration> {
        let mut st = self.lock();
        st.sleepers.retain(|_, tx| !tx.is_closed());
        st.sleepers.keys().next().map(|(d, _)| *d)
    }

    fn wake(st: &mut VirtualState) {
        let now = st.now;
        let later = st
            .sleepers
            .split_off(&(now.saturating_add(Duration::from_nanos(1)), 0));
        let due = std::mem::replace(&mut st.sleepers, later);
        for (_, tx) in due {
            let _ = tx.send(());
        }
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Duration {
        self.lock().now
    }

    fn sleep_until(&self, deadline: Duration) -> BoxFuture<'static, ()> {
        let mut st = self.lock();
        if deadline <= st.now {
            return Box::pin(std::future::ready(()));
        }
        let (tx, rx) = oneshot::channel();
        st.seq += 1;
        let seq = st.seq;
        st.sleepers.insert((deadline, seq), tx);
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sleepers_wake_in_deadline_order() {
        let clock = VirtualClock::new();
        let a = clock.sleep(Duration::from_secs(10));
        let b = clock.sleep(Duration::from_secs(5));
        assert_eq!(clock.next_deadline(), Some(Duration::from_secs(5)));
        assert_eq!(clock.advance_to_next(), Some(Duration::from_secs(5)));
        b.await;
        assert_eq!(clock.pending(), 1);
        clock.advance(Duration::from_secs(4));
        assert_eq!(clock.pending(), 1, "deadline 10s not reached at 9s");
        clock.advance(Duration::from_secs(1));
        a.await;
        assert_eq!(clock.pending(), 0);
        assert_eq!(clock.advance_to_next(), None);
    }

    #[tokio::test]
    async fn dropped_sleeps_are_not_pending() {
        let clock = VirtualClock::new();
        drop(clock.sleep(Duration::from_secs(1)));
        assert_eq!(clock.pending(), 0);
        clock.sleep(Duration::ZERO).await;
    }
}
