//! The core every HTTP chat sink (DingTalk, WeCom, Feishu, Slack, generic webhook) is built on:
//! the shared builder settings and their validation, one send path (payload, signature, POST
//! with the HTTP-level classification, a `tracing` span, the vendor's answer check) and the
//! answer rules. A vendor module only says what differs: its payload shape, where its
//! signature goes and how it says "yes".

use serde_json::Value;
use streampark_core::{Alert, AlertError};

use crate::http::{self, Answer, Endpoint};
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

/// Implements [`ChatParts`] and [`streampark_core::AlertSink`] (through [`send`]) for a
/// chat sink with a `core: ChatCore` field and an inherent `payload(&Alert)`.
macro_rules! chat_alert_sink {
    ($sink:ty) => {
        impl $crate::sinks::chat::ChatParts for $sink {
            fn core(&self) -> &$crate::sinks::chat::ChatCore {
                &self.core
            }
            fn render(
                &self,
                alert: &streampark_core::Alert,
            ) -> Result<serde_json::Value, streampark_core::AlertError> {
                self.payload(alert)
            }
        }

        #[async_trait::async_trait]
        impl streampark_core::AlertSink for $sink {
            fn name(&self) -> &str {
                &self.core.name
            }

            async fn send(
                &self,
                alert: &streampark_core::Alert,
            ) -> Result<(), streampark_core::AlertError> {
                $crate::sinks::chat::send(self, alert).await
            }
        }
    };
}
pub(crate) use chat_alert_sink;

/// The setters every chat sink builder shares, over its `chat: ChatSettings` field, with the
/// vendor's wording (`name = setter: "doc"`). A vendor leaves out what it does not take:
/// the signing `secret`, the mention kinds (`mobile`, `user`, `email`, `all`), the `title`.
/// Also implements [`ChatBuilder`], which tells the router which of them it takes.
macro_rules! chat_setters {
    (@present) => { false };
    (@present $($t:tt)+) => { true };
    (@push $fn:ident, $field:ident, $doc:literal) => {
        #[doc = $doc]
        pub fn $fn(mut self, value: impl Into<String>) -> Self {
            self.chat.mentions.$field.push(value.into());
            self
        }
    };
    (
        $builder:ty, kind = $kind:literal, url = $url_doc:literal,
        $(secret = $secret_fn:ident : $secret_doc:literal,)?
        $(mobile = $mobile_fn:ident : $mobile_doc:literal,)?
        $(user = $user_fn:ident : $user_doc:literal,)?
        $(email = $email_fn:ident : $email_doc:literal,)?
        $(all = $all_fn:ident : $all_doc:literal,)?
        $(title = $title_doc:literal,)?
        body = $body_doc:literal $(,)?
    ) => {
        impl $builder {
            #[doc = concat!("Name for errors and spans (default `", $kind, "`).")]
            pub fn with_name(mut self, name: impl Into<String>) -> Self {
                self.chat.name = Some(name.into());
                self
            }
            #[doc = $url_doc]
            pub fn with_url(mut self, url: impl Into<String>) -> Self {
                self.chat.url = Some($crate::secret::Secret::new(url));
                self
            }
            $(
            #[doc = $secret_doc]
            pub fn $secret_fn(mut self, secret: impl Into<String>) -> Self {
                self.chat.secret = Some($crate::secret::Secret::new(secret));
                self
            }
            )?
            $($crate::sinks::chat::chat_setters!(@push $mobile_fn, mobiles, $mobile_doc);)?
            $($crate::sinks::chat::chat_setters!(@push $user_fn, user_ids, $user_doc);)?
            $($crate::sinks::chat::chat_setters!(@push $email_fn, emails, $email_doc);)?
            $(
            #[doc = $all_doc]
            pub fn $all_fn(mut self, all: bool) -> Self {
                self.chat.mentions.all = all;
                self
            }
            )?
            $(
            #[doc = $title_doc]
            pub fn with_title_template(mut self, t: impl Into<String>) -> Self {
                self.chat.title = Some(t.into());
                self
            }
            )?
            #[doc = $body_doc]
            pub fn with_body_template(mut self, t: impl Into<String>) -> Self {
                self.chat.body = Some(t.into());
                self
            }
            /// The HTTP client (tests point it anywhere; the default is the SDK's rustls client).
            pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
                self.chat.client = Some(client);
                self
            }
        }

        impl $crate::sinks::chat::ChatBuilder for $builder {
            const TAKES: $crate::sinks::chat::Takes = $crate::sinks::chat::Takes {
                secret: $crate::sinks::chat::chat_setters!(@present $($secret_fn)?),
                mobiles: $crate::sinks::chat::chat_setters!(@present $($mobile_fn)?),
                user_ids: $crate::sinks::chat::chat_setters!(@present $($user_fn)?),
                emails: $crate::sinks::chat::chat_setters!(@present $($email_fn)?),
                all: $crate::sinks::chat::chat_setters!(@present $($all_fn)?),
                title: $crate::sinks::chat::chat_setters!(@present $($title_doc)?),
            };

            fn chat_settings(&mut self) -> &mut $crate::sinks::chat::ChatSettings {
                &mut self.chat
            }
        }
    };
}
pub(crate) use chat_setters;

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

/// How a vendor's answer to the POST says "delivered". Network errors, 429 and 5xx are
/// classified before this (see [`http::post_bytes`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum AnswerRules {
    /// A JSON body with a vendor code, 0 meaning success (DingTalk, WeCom, Feishu).
    Code(CodeRules),
    /// HTTP 200 with the body `ok` (Slack).
    OkText,
    /// Any 2xx (generic webhook).
    Status2xx,
}

/// Where a vendor puts its code and message, and which codes are retryable.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodeRules {
    /// Keys that may hold the code; the first one present is read.
    pub(crate) code: &'static [&'static str],
    /// Keys that may hold the message; the first one present is read.
    pub(crate) message: &'static [&'static str],
    /// Statuses from this one up are rejections without reading the body (Feishu's older
    /// endpoints answer rate limits with HTTP 400 and a JSON code, so it starts at 401).
    pub(crate) reject_status_from: u16,
    /// Codes meaning "too fast" (`RateLimited`, retryable).
    pub(crate) rate_limited: &'static [i64],
    /// Codes meaning "busy" (`Unavailable`, retryable).
    pub(crate) busy: &'static [i64],
}

impl AnswerRules {
    /// Maps an answer to a result; errors name the sink and the redacted endpoint.
    pub(crate) fn check(&self, name: &str, shown: &str, answer: &Answer) -> Result<(), AlertError> {
        match self {
            AnswerRules::Code(rules) => rules.check(name, shown, answer),
            AnswerRules::OkText => {
                let body = answer.body.trim();
                if answer.status >= 300 {
                    return Err(AlertError::Rejected {
                        sink: name.into(),
                        endpoint: shown.into(),
                        code: format!("HTTP {}", answer.status),
                        message: body.chars().take(200).collect(),
                    });
                }
                if body != "ok" {
                    return Err(AlertError::Protocol {
                        sink: name.into(),
                        endpoint: shown.into(),
                        reason: format!(
                            "expected `ok`, got `{}`",
                            body.chars().take(80).collect::<String>()
                        ),
                    });
                }
                Ok(())
            }
            AnswerRules::Status2xx if answer.status >= 300 => {
                Err(http::rejected_status(name, shown, answer))
            }
            AnswerRules::Status2xx => Ok(()),
        }
    }
}

impl CodeRules {
    fn check(&self, name: &str, shown: &str, answer: &Answer) -> Result<(), AlertError> {
        if answer.status >= self.reject_status_from {
            return Err(http::rejected_status(name, shown, answer));
        }
        let v = http::parse_answer(name, shown, answer)?;
        let first = |keys: &[&str]| keys.iter().find_map(|k| v.get(*k));
        let Some(code) = first(self.code).and_then(Value::as_i64) else {
            let reason = match self.code {
                [one] => format!("answer has no `{one}`"),
                keys => format!(
                    "answer has neither {}",
                    keys.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" nor ")
                ),
            };
            return Err(AlertError::Protocol {
                sink: name.into(),
                endpoint: shown.into(),
                reason,
            });
        };
        if code == 0 {
            return Ok(());
        }
        if self.rate_limited.contains(&code) {
            return Err(AlertError::RateLimited {
                sink: name.into(),
                endpoint: shown.into(),
                code: code.to_string(),
                retry_after: None,
            });
        }
        if self.busy.contains(&code) {
            return Err(AlertError::Unavailable {
                sink: name.into(),
                endpoint: shown.into(),
                status: Some(answer.status),
                source: None,
            });
        }
        Err(AlertError::Rejected {
            sink: name.into(),
            endpoint: shown.into(),
            code: code.to_string(),
            message: first(self.message)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect(),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Checks `body` (with `status`) against `rules`, as the sink named `s` at `e`.
    pub(crate) fn check(rules: AnswerRules, status: u16, body: &str) -> Result<(), AlertError> {
        rules.check(
            "s",
            "e",
            &Answer {
                status,
                body: body.into(),
            },
        )
    }

    const TWO_KEYS: AnswerRules = AnswerRules::Code(CodeRules {
        code: &["code", "StatusCode"],
        message: &["msg", "StatusMessage"],
        reject_status_from: 400,
        rate_limited: &[7],
        busy: &[8],
    });

    #[test]
    fn code_rules_read_the_first_present_key() {
        assert!(check(TWO_KEYS, 200, r#"{"StatusCode":0}"#).is_ok());
        // `code` is present (but no integer): `StatusCode` is not consulted.
        let e = check(TWO_KEYS, 200, r#"{"code":"x","StatusCode":0}"#).unwrap_err();
        assert!(
            e.to_string().contains("neither `code` nor `StatusCode`"),
            "{e}"
        );
        let e = check(TWO_KEYS, 200, r#"{"StatusCode":5,"StatusMessage":"no"}"#).unwrap_err();
        assert!(
            matches!(&e, AlertError::Rejected { code, message, .. } if code == "5" && message == "no"),
            "{e:?}"
        );
        assert!(matches!(
            check(TWO_KEYS, 200, r#"{"code":7}"#).unwrap_err(),
            AlertError::RateLimited { .. }
        ));
        assert!(matches!(
            check(TWO_KEYS, 200, r#"{"code":8}"#).unwrap_err(),
            AlertError::Unavailable {
                status: Some(200),
                ..
            }
        ));
        let e = check(TWO_KEYS, 400, r#"{"code":0}"#).unwrap_err();
        assert!(
            matches!(&e, AlertError::Rejected { code, .. } if code == "HTTP 400"),
            "{e:?}"
        );
    }

    #[test]
    fn ok_text_and_status_rules() {
        assert!(check(AnswerRules::OkText, 200, "ok\n").is_ok());
        let e = check(AnswerRules::OkText, 200, "fine").unwrap_err();
        assert!(matches!(e, AlertError::Protocol { .. }), "{e:?}");
        let e = check(AnswerRules::OkText, 400, " invalid_payload ").unwrap_err();
        assert!(
            matches!(&e, AlertError::Rejected { code, message, .. }
                if code == "HTTP 400" && message == "invalid_payload"),
            "{e:?}"
        );
        assert!(check(AnswerRules::Status2xx, 204, "").is_ok());
        let e = check(AnswerRules::Status2xx, 302, "moved").unwrap_err();
        assert!(
            matches!(&e, AlertError::Rejected { code, .. } if code == "HTTP 302")
                && !e.is_retryable(),
            "{e:?}"
        );
    }
}
