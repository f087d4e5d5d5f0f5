//! The sinks, one module each.

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

#[cfg(any(
    feature = "dingtalk",
    feature = "wecom",
    feature = "feishu",
    feature = "slack",
    feature = "webhook"
))]
pub(crate) mod common {
    //! What every HTTP chat sink holds.

    use streampark_core::AlertError;

    use crate::http::{self, Endpoint};
    use crate::secret::Secret;
    use crate::template::{Flavor, Templates};

    #[derive(Debug, Clone)]
    pub(crate) struct Common {
        pub(crate) name: String,
        pub(crate) endpoint: Endpoint,
        pub(crate) templates: Templates,
        pub(crate) client: reqwest::Client,
    }

    /// Validates the shared builder settings.
    pub(crate) fn build(
        kind: &str,
        name: Option<&str>,
        url: Option<&Secret>,
        client: Option<&reqwest::Client>,
        flavor: Flavor,
        title: Option<&str>,
        body: Option<&str>,
    ) -> Result<Common, AlertError> {
        let name = name.unwrap_or(kind).to_string();
        let url = url.filter(|u| !u.is_empty()).ok_or_else(|| {
            AlertError::invalid_config(&name, "url", "the webhook URL is required")
        })?;
        let endpoint = Endpoint::parse(&name, "url", url.expose())?;
        let templates = Templates::with_overrides(&name, flavor, title, body)?;
        let client = match client {
            Some(c) => c.clone(),
            None => http::default_client(&name)?,
        };
        Ok(Common {
            name,
            endpoint,
            templates,
            client,
        })
    }
}
