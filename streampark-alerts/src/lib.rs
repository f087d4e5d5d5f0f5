//! # streampark-alerts
//!
//! Alert sinks (email, DingTalk, WeCom, Feishu/Lark, Slack, generic webhook, log, memory) and an
//! Alertmanager-style router for streampark-rs.
//!
//! **Status:** placeholder; the sinks are tracked as their own work item.

/// Crate version, for diagnostics.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
