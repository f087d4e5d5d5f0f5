//! # streampark-alerts
//!
//! Alert sinks and an Alertmanager-style router for streampark-rs. The [`Alert`] type and the
//! [`AlertSink`] trait live in `streampark-core` (re-exported here), so the engine raises alerts
//! without depending on any transport.
//!
//! | sink | feature | transport |
//! |------|---------|-----------|
//! | [`EmailSink`] | `email` | SMTP (STARTTLS, implicit TLS, plain on loopback), text + HTML |
//! | [`DingTalkSink`] | `dingtalk` | custom robot, markdown, signed, `at` mentions |
//! | [`WeComSink`] | `wecom` | group robot, markdown (text when mobiles are mentioned) |
//! | [`FeishuSink`] | `feishu` | Feishu / Lark custom bot, interactive card, signed, `<at>` |
//! | [`SlackSink`] | `slack` | incoming webhook, Block Kit |
//! | [`WebhookSink`] | `webhook` | JSON POST from a template, optional HMAC signature |
//! | [`LogSink`], [`MemorySink`] | always | `tracing`, memory (tests) |
//!
//! Layers ([`TimeoutLayer`], [`RetryLayer`], [`ThrottleLayer`]) wrap any sink in a
//! [`SinkStack`]; the [`Router`] sends alerts to named receivers by label and severity matchers,
//! groups them, repeats them and inhibits lesser ones, with Alertmanager's names and semantics.
//! Time comes from a [`Clock`]; tests use [`VirtualClock`].
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use streampark_alerts::{MemorySink, Router, RouterConfig, VirtualClock};
//! use streampark_core::{Alert, Severity};
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let config = RouterConfig::from_yaml_str(r#"
//! route:
//!   receiver: ops
//!   group_by: [job]
//!   group_wait: 30s
//!   routes:
//!     - receiver: oncall
//!       matchers: ['severity="critical"']
//! receivers:
//!   - name: ops
//!   - name: oncall
//! "#)?;
//! let oncall = MemorySink::new();
//! let clock = VirtualClock::new();
//! let router = Router::builder(config)
//!     .with_receiver_sink("oncall", oncall.clone())
//!     .with_clock(Arc::new(clock.clone()))
//!     .build()?;
//! router.ingest(Alert::new(Severity::Critical, "orders down").with_job("orders"));
//! clock.advance(Duration::from_secs(30));          // group_wait
//! router.flush_due().await;
//! assert_eq!(oncall.len(), 1);
//! # Ok::<(), streampark_core::AlertError>(())
//! # }).unwrap();
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
// A build with only some sink features leaves shared helpers unused; the full build is linted.
#![cfg_attr(
    not(all(
        feature = "email",
        feature = "dingtalk",
        feature = "wecom",
        feature = "feishu",
        feature = "slack",
        feature = "webhook"
    )),
    allow(
        dead_code,
        unused_imports,
        unused_macros,
        unused_variables,
        unused_mut,
        clippy::never_loop,
        clippy::needless_return
    )
)]

mod clock;
mod http;
mod layers;
mod router;
mod secret;
mod sinks;
mod template;

pub use clock::{Clock, SystemClock, VirtualClock};
pub use layers::{
    RateLimit, RetryLayer, SinkLayer, SinkStack, ThrottleLayer, ThrottleStats, TimeoutLayer,
};
pub use router::{
    Delivery, InhibitRule, MatchOp, Matcher, Route, Router, RouterBuilder, RouterConfig,
};
pub use secret::Secret;
pub use sinks::*;
pub use streampark_core::{Alert, AlertError, AlertLink, AlertSink, AlertStatus, Severity};
pub use template::Templates;

/// Header names of the signed [`WebhookSink`].
#[cfg(feature = "webhook")]
pub mod webhook {
    pub use crate::sinks::webhook_headers::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
}

/// Crate version, for diagnostics.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_send_sync_static() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Router>();
        check::<RouterConfig>();
        check::<SinkStack>();
        check::<ThrottleLayer>();
        check::<RetryLayer>();
        check::<TimeoutLayer>();
        check::<VirtualClock>();
        check::<MemorySink>();
        check::<LogSink>();
        check::<Templates>();
        #[cfg(feature = "email")]
        check::<EmailSink>();
        #[cfg(feature = "dingtalk")]
        check::<DingTalkSink>();
        #[cfg(feature = "wecom")]
        check::<WeComSink>();
        #[cfg(feature = "feishu")]
        check::<FeishuSink>();
        #[cfg(feature = "slack")]
        check::<SlackSink>();
        #[cfg(feature = "webhook")]
        check::<WebhookSink>();
    }
}
