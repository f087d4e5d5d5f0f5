//! The sinks, one module each; the HTTP chat sinks share [`chat`].

pub(crate) mod chat;

#[cfg(feature = "dingtalk")]
mod dingtalk;
#[cfg(feature = "email")]
mod email;
#[cfg(feature = "feishu")]
mod feishu;
mod log;
mod memory;
#[cfg(feature = "slack")]
mod slack;
#[cfg(feature = "webhook")]
mod webhook;
#[cfg(feature = "wecom")]
mod wecom;

#[cfg(feature = "dingtalk")]
pub use dingtalk::{DingTalkSink, DingTalkSinkBuilder};
#[cfg(feature = "email")]
pub use email::{EmailSink, EmailSinkBuilder, SmtpTls};
#[cfg(feature = "feishu")]
pub use feishu::{FeishuSink, FeishuSinkBuilder};
pub use log::LogSink;
pub use memory::MemorySink;
#[cfg(feature = "slack")]
pub use slack::{SlackSink, SlackSinkBuilder};
#[cfg(feature = "webhook")]
pub use webhook::{WebhookSink, WebhookSinkBuilder};
#[cfg(feature = "webhook")]
pub(crate) mod webhook_headers {
    pub use super::webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
}
#[cfg(feature = "wecom")]
pub use wecom::{WeComSink, WeComSinkBuilder};
