//! A time limit per try.

use std::sync::Arc;
use std::time::Duration;

use streampark_core::{Alert, AlertError, AlertSink};

use super::SinkLayer;
use crate::clock::{self, Clock};

/// Fails a send with [`AlertError::Timeout`] (retryable) when it takes longer than the limit.
#[derive(Debug, Clone)]
pub struct TimeoutLayer {
    after: Duration,
    clock: Arc<dyn Clock>,
}

impl TimeoutLayer {
    /// A limit of `after` per try, on the system clock.
    pub fn new(after: Duration) -> Self {
        TimeoutLayer {
            after,
            clock: clock::system(),
        }
    }

    /// Measures time on `clock` (a [`crate::VirtualClock`] in tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

impl SinkLayer for TimeoutLayer {
    fn layer(&self, inner: Arc<dyn AlertSink>) -> Arc<dyn AlertSink> {
        Arc::new(TimeoutSink {
            inner,
            after: self.after,
            clock: self.clock.clone(),
        })
    }
}

#[derive(Debug)]
struct TimeoutSink {
    inner: Arc<dyn AlertSink>,
    after: Duration,
    clock: Arc<dyn Clock>,
}

#[async_trait::async_trait]
#[deny(clippy::missing_trait_methods)]
impl AlertSink for TimeoutSink {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        let sleep = self.clock.sleep(self.after);
        tokio::select! {
            r = self.inner.send(alert) => r,
            () = sleep => Err(AlertError::Timeout { sink: self.inner.name().to_string(), after: self.after }),
        }
    }
}
