//! Layers wrap a sink in behaviour: [`TimeoutLayer`] (per try), [`RetryLayer`] (exponential
//! backoff with jitter, retryable errors only) and [`ThrottleLayer`] (per-sink rate limits,
//! queued up to a bound).
//!
//! # Ordering
//! [`SinkStack::layer`] wraps the current stack: the **last layer added is the outermost**.
//! The recommended order, innermost first, is sink → timeout → throttle → retry:
//!
//! ```
//! use std::time::Duration;
//! use streampark_alerts::{MemorySink, RetryLayer, SinkStack, ThrottleLayer, TimeoutLayer};
//! let sink = SinkStack::new(MemorySink::new())
//!     .layer(TimeoutLayer::new(Duration::from_secs(5)))   // each try gets 5 s
//!     .layer(ThrottleLayer::dingtalk())                   // each try waits for a slot
//!     .layer(RetryLayer::new().with_max_attempts(3))      // retries pass the throttle again
//!     .into_sink();
//! assert_eq!(sink.name(), "memory");
//! ```
//!
//! so that time spent waiting in the throttle queue does not count against a try's timeout,
//! and a retry never bypasses the vendor's rate limit.

mod retry;
mod throttle;
mod timeout;

use std::fmt;
use std::sync::Arc;

use streampark_core::AlertSink;

pub use retry::RetryLayer;
pub use throttle::{RateLimit, ThrottleLayer, ThrottleStats};
pub use timeout::TimeoutLayer;

/// Wraps a sink in behaviour. Implement it for your own layers (metrics, dead letters).
pub trait SinkLayer: fmt::Debug + Send + Sync {
    /// The wrapped sink.
    fn layer(&self, inner: Arc<dyn AlertSink>) -> Arc<dyn AlertSink>;
}

/// A sink and the layers around it, built inside out.
#[derive(Debug, Clone)]
#[must_use]
pub struct SinkStack {
    sink: Arc<dyn AlertSink>,
}

impl SinkStack {
    /// Starts a stack from a sink.
    pub fn new(sink: impl AlertSink) -> Self {
        SinkStack {
            sink: Arc::new(sink),
        }
    }

    /// Starts a stack from a shared sink.
    pub fn from_arc(sink: Arc<dyn AlertSink>) -> Self {
        SinkStack { sink }
    }

    /// Wraps the stack so far in `layer` (which becomes the outermost).
    pub fn layer(self, layer: impl SinkLayer) -> Self {
        SinkStack {
            sink: layer.layer(self.sink),
        }
    }

    /// The finished sink.
    pub fn into_sink(self) -> Arc<dyn AlertSink> {
        self.sink
    }
}
