//! Layer behaviour and ordering on a virtual clock.

mod common;

use std::sync::Arc;
use std::time::Duration;

use streampark_alerts::{
    Clock, MemorySink, RateLimit, RetryLayer, SinkStack, ThrottleLayer, TimeoutLayer, VirtualClock,
};
use streampark_core::{Alert, AlertError, AlertSink, Severity};

fn alert() -> Alert {
    Alert::new(Severity::Major, "lag").with_job("orders")
}

fn unavailable() -> AlertError {
    AlertError::Unavailable {
        sink: "memory".into(),
        endpoint: "mem".into(),
        status: Some(502),
        source: None,
    }
}

#[tokio::test]
async fn retries_pass_through_the_throttle_again() {
    let clock = VirtualClock::new();
    let c: Arc<dyn Clock> = Arc::new(clock.clone());
    let mem = MemorySink::new();
    mem.fail_next(unavailable());
    let sink = SinkStack::new(mem.clone())
        .layer(ThrottleLayer::new([RateLimit::per_minute(1)]).with_clock(c.clone()))
        .layer(
            RetryLayer::new()
                .with_base_delay(Duration::from_secs(1))
                .with_jitter(false)
                .with_clock(c.clone()),
        )
        .into_sink();
    let a = alert();
    common::drive(&clock, async move { sink.send(&a).await }, || true)
        .await
        .unwrap();
    assert_eq!(mem.attempts(), 2);
    assert_eq!(mem.len(), 1);
    // The retry was due after 1 s but waited for the throttle's next slot.
    assert_eq!(clock.now(), Duration::from_secs(60));
}

#[tokio::test]
async fn non_retryable_errors_are_returned_at_once() {
    let clock = VirtualClock::new();
    let mem = MemorySink::new();
    mem.fail_next(AlertError::Rejected {
        sink: "memory".into(),
        endpoint: "mem".into(),
        code: "310000".into(),
        message: "sign not match".into(),
    });
    let sink = SinkStack::new(mem.clone())
        .layer(RetryLayer::new().with_clock(Arc::new(clock.clone())))
        .into_sink();
    let err = sink.send(&alert()).await.unwrap_err();
    assert!(matches!(err, AlertError::Rejected { .. }));
    assert_eq!(mem.attempts(), 1);
}

#[tokio::test]
async fn exhausted_after_max_attempts_keeps_the_last_error() {
    let clock = VirtualClock::new();
    let mem = MemorySink::new();
    for _ in 0..3 {
        mem.fail_next(unavailable());
    }
    let sink = SinkStack::new(mem.clone())
        .layer(
            RetryLayer::new()
                .with_max_attempts(3)
                .with_clock(Arc::new(clock.clone())),
        )
        .into_sink();
    let a = alert();
    let err = common::drive(&clock, async move { sink.send(&a).await }, || true)
        .await
        .unwrap_err();
    let AlertError::Exhausted { attempts, last, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*attempts, 3);
    assert!(matches!(
        **last,
        AlertError::Unavailable {
            status: Some(502),
            ..
        }
    ));
    assert!(!err.is_retryable());
    // Jittered backoff: between half and all of 1 s + 2 s.
    let t = clock.now();
    assert!(
        t >= Duration::from_millis(1500) && t <= Duration::from_secs(3),
        "{t:?}"
    );
}

#[derive(Debug)]
struct Slow(VirtualClock);

#[async_trait::async_trait]
impl AlertSink for Slow {
    fn name(&self) -> &str {
        "slow"
    }
    async fn send(&self, _: &Alert) -> Result<(), AlertError> {
        self.0.sleep(Duration::from_secs(10)).await;
        Ok(())
    }
}

#[tokio::test]
async fn timeout_per_try_is_retryable() {
    let clock = VirtualClock::new();
    let sink = SinkStack::new(Slow(clock.clone()))
        .layer(TimeoutLayer::new(Duration::from_secs(5)).with_clock(Arc::new(clock.clone())))
        .into_sink();
    let a = alert();
    let err = common::drive(&clock, async move { sink.send(&a).await }, || true)
        .await
        .unwrap_err();
    assert!(matches!(err, AlertError::Timeout { after, .. } if after == Duration::from_secs(5)));
    assert!(err.is_retryable());
    assert_eq!(clock.now(), Duration::from_secs(5));
}

#[tokio::test]
async fn a_cancelled_waiter_leaves_the_queue() {
    let clock = VirtualClock::new();
    let throttle = ThrottleLayer::new([RateLimit::per_minute(1)])
        .with_max_queue(1)
        .with_clock(Arc::new(clock.clone()));
    let mem = MemorySink::new();
    let sink = SinkStack::new(mem.clone())
        .layer(throttle.clone())
        .into_sink();
    sink.send(&alert()).await.unwrap();
    let s = sink.clone();
    let waiter = tokio::spawn(async move { s.send(&alert()).await });
    while throttle.stats().waiting < 1 {
        tokio::task::yield_now().await;
    }
    waiter.abort();
    let _ = waiter.await;
    assert_eq!(
        throttle.stats().waiting,
        0,
        "the aborted send left the queue"
    );
    let s = sink.clone();
    let next = tokio::spawn(async move { s.send(&alert()).await });
    while throttle.stats().waiting < 1 {
        tokio::task::yield_now().await;
    }
    clock.advance(Duration::from_secs(60));
    next.await.unwrap().unwrap();
    assert_eq!((mem.len(), throttle.stats().dropped), (2, 0));
}
