//! The core every HTTP chat sink (DingTalk, WeCom, Feishu, Slack, generic webhook) is built on:
//! the shared builder settings and their validation, one send path (payload, signature, POST
//! with the HTTP-level classification, a `tracing` span, the vendor's answer check) and the
//! answer rules ([`answer`]). A vendor module only says what differs: its payload shape, where its
//! signature goes and how it says "yes" (the setters and the `AlertSink` impl come from the
//! macros in [`macros`]).

use serde_json::Value;
use streampark_core::{Alert, AlertError};

mod answer;
mod macros;

pub(crate) use answer::{AnswerRules, CodeRules};
pub(crate) use macros::{chat_alert_sink, chat_setters};

use crate::http::{self, Endpoint};
use crate::secret::Secret;
use crate::template::{Flavor, Templates};

/// The builder settings every chat sink shares (the vendor builders hold one as `chat`).
/// `Debug` shows the URL and the secret as `******`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChatSettings {
    pub(crate) name: Option<String>,
    pub(crate) url: Option<Secret>,
    pub(crate) secret: Option<Secret>,
    pub(crate) mentions: Mentions,
    pub(crate) title: Option<String>,
    pub(crate) body: Option<String>,
    pub(crate) client: Option<reqwest::Client>,
}

/// Who a message mentions; each vendor writes them its own way.
#[derive(Debug, Clone, Default)]
pub(crate) struct Mentions {
    pub(crate) mobiles: Vec<String>,
    pub(crate) user_ids: Vec<String>,
    pub(crate) emails: Vec<String>,
    pub(crate) all: bool,
}

/// What a built chat sink holds, whatever its vendor.
#[derive(Debug, Clone)]
pub(crate) struct ChatCore {
    /// The vendor (`dingtalk`, …): the `sink` field of spans.
    pub(crate) kind: &'static str,
    pub(crate) name: String,
    pub(crate) endpoint: Endpoint,
    pub(crate) templates: Templates,
    pub(crate) client: reqwest::Client,
    pub(crate) secret: Option<Secret>,
    pub(crate) mentions: Mentions,
}

impl ChatSettings {
    /// Validates the shared settings: the URL (required, `http(s)`, never shown), the
    /// templates in `flavor`, the client (the SDK's rustls client by default).
    pub(crate) fn build(&self, kind: &'static str, flavor: Flavor) -> Result<ChatCore, AlertError> {
        let name = self.name.as_deref().unwrap_or(kind).to_string();
        let url = self.url.as_ref().filter(|u| !u.is_empty()).ok_or_else(|| {
            AlertError::invalid_config(&name, "url", "the webhook URL is required")
        })?;
        let endpoint = Endpoint::parse(&name, "url", url.expose())?;
        let templates =
            Templates::with_overrides(&name, flavor, self.title.as_deref(), self.body.as_deref())?;
        let client = match &self.client {
            Some(c) => c.clone(),
            None => http::default_client(&name)?,
        };
        Ok(ChatCore {
            kind,
            name,
            endpoint,
            templates,
            client,
            secret: self.secret.clone(),
            mentions: self.mentions.clone(),
        })
    }
}

impl ChatCore {
    /// Refuses a signing secret that was set but is empty (key `secret`).
    pub(crate) fn require_nonempty_secret(&self) -> Result<(), AlertError> {
        match &self.secret {
            Some(s) if s.is_empty() => {
                Err(AlertError::invalid_config(&self.name, "secret", "is empty"))
            }
            _ => Ok(()),
        }
    }

    fn shown(&self) -> &str {
        self.endpoint.shown()
    }
}

/// A request about to be sent; [`ChatVendor::sign_request`] may add to its URL and headers.
/// No `Debug`: the URL, the headers and the body may all hold secrets.
pub(crate) struct Outgoing {
    pub(crate) url: url::Url,
    pub(crate) body: Vec<u8>,
    pub(crate) headers: Vec<(String, String)>,
}

/// What every chat sink has (implemented by [`chat_alert_sink!`]).
pub(crate) trait ChatParts: Send + Sync {
    /// The shared part.
    fn core(&self) -> &ChatCore;

    /// The JSON body for `alert`, without a signature (the sink's public `payload`).
    fn render(&self, alert: &Alert) -> Result<Value, AlertError>;
}

/// What a vendor adds to [`ChatCore`]: how its answer is read and where it signs.
pub(crate) trait ChatVendor: ChatParts {
    /// How the vendor's answer is read.
    const ANSWER: AnswerRules;

    /// Adds a signature to the JSON body (Feishu signs in the body).
    fn sign_body(&self, _body: &mut Value) {}

    /// Adds to the request once its body is final (DingTalk signs in the query, webhooks in
    /// headers).
    fn sign_request(&self, _req: &mut Outgoing) {}
}

/// Sends `alert` through `vendor`: render, sign, POST, check the answer.
#[tracing::instrument(name = "alert.send", skip_all, fields(sink = vendor.core().kind,
    name = %vendor.core().name, endpoint = %vendor.core().shown(), severity = %alert.severity,
    fingerprint = %alert.fingerprint()), err(level = tracing::Level::WARN))]
pub(crate) async fn send<V: ChatVendor>(vendor: &V, alert: &Alert) -> Result<(), AlertError> {
    let core = vendor.core();
    let mut body = vendor.render(alert)?;
    vendor.sign_body(&mut body);
    let body = serde_json::to_vec(&body).map_err(|e| AlertError::Protocol {
        sink: core.name.clone(),
        endpoint: core.shown().into(),
        reason: format!("payload not serializable: {e}"),
    })?;
    let mut req = Outgoing {
        url: core.endpoint.url().clone(),
        body,
        headers: Vec::new(),
    };
    vendor.sign_request(&mut req);
    let answer = http::post_bytes(
        &core.client,
        &core.name,
        &req.url,
        core.shown(),
        req.body,
        &req.headers,
    )
    .await?;
    V::ANSWER.check(&core.name, core.shown(), &answer)
}

/// Which of the shared settings a chat sink builder takes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Takes {
    pub(crate) secret: bool,
    pub(crate) mobiles: bool,
    pub(crate) user_ids: bool,
    pub(crate) emails: bool,
    pub(crate) all: bool,
    pub(crate) title: bool,
}

/// Access to a chat sink builder's shared settings (the router fills them from a file).
pub(crate) trait ChatBuilder {
    /// What the builder takes beyond name, URL and body template.
    const TAKES: Takes;
    /// The shared settings.
    fn chat_settings(&mut self) -> &mut ChatSettings;
}
