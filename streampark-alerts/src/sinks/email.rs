//! Email over SMTP (lettre, rustls + ring): STARTTLS, implicit TLS, or plain for loopback.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use streampark_core::{Alert, AlertError, AlertSink};

use crate::secret::Secret;
use crate::template::{Flavor, Templates};

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (required), usually port 587.
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS), usually port 465.
    Implicit,
    /// No TLS: only for loopback servers unless explicitly allowed.
    None,
}

/// Sends each alert as a multipart email (plain text + HTML) with the title as subject.
///
/// ```
/// use streampark_alerts::EmailSink;
/// let sink = EmailSink::builder()
///     .with_url("smtp://127.0.0.1:2525")          // loopback: plain SMTP
///     .with_from("StreamPark <alerts@example.com>")
///     .with_to("oncall@example.com")
///     .build()?;
/// assert!(format!("{sink:?}").contains("smtp://127.0.0.1:2525"));
/// # Ok::<(), streampark_core::AlertError>(())
/// ```
pub struct EmailSink {
    name: String,
    shown: String,
    tls: SmtpTls,
    user: Option<String>,
    timeout: Duration,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    text: Templates,
    html: Templates,
}

impl fmt::Debug for EmailSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailSink")
            .field("name", &self.name)
            .field("server", &self.shown)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .field("password", &self.user.as_ref().map(|_| "******"))
            .field("from", &self.from.to_string())
            .field(
                "to",
                &self.to.iter().map(ToString::to_string).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Builder of [`EmailSink`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct EmailSinkBuilder {
    name: Option<String>,
    url: Option<Secret>,
    host: Option<String>,
    port: Option<u16>,
    tls: Option<SmtpTls>,
    user: Option<String>,
    password: Option<Secret>,
    from: Option<String>,
    to: Vec<String>,
    timeout: Option<Duration>,
    accept_invalid_certs: bool,
    allow_plaintext: bool,
    title: Option<String>,
    text: Option<String>,
    html: Option<String>,
}

impl EmailSinkBuilder {
    /// Name for errors and spans (default `email`).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// `smtp://[user[:password]@]host[:port][?tls=starttls|none]` (STARTTLS, port 587; plain
    /// for a loopback host) or `smtps://…` (implicit TLS, port 465). Kept secret.
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(Secret::new(url));
        self
    }
    /// The server host (instead of a URL).
    pub fn with_host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }
    /// The server port.
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }
    /// The TLS mode.
    pub fn with_tls(mut self, tls: SmtpTls) -> Self {
        self.tls = Some(tls);
        self
    }
    /// Logs in with these credentials.
    pub fn with_credentials(
        mut self,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.user = Some(user.into());
        self.password = Some(Secret::new(password));
        self
    }
    /// The sender (`Name <addr>` or `addr`; required).
    pub fn with_from(mut self, from: impl Into<String>) -> Self {
        self.from = Some(from.into());
        self
    }
    /// Adds a recipient (at least one).
    pub fn with_to(mut self, to: impl Into<String>) -> Self {
        self.to.push(to.into());
        self
    }
    /// Time limit of the SMTP exchange (default 30 s).
    pub fn with_timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }
    /// Accepts self-signed certificates and names that do not match (test servers only).
    pub fn with_accept_invalid_certs(mut self, on: bool) -> Self {
        self.accept_invalid_certs = on;
        self
    }
    /// Allows plain SMTP to a host that is not loopback.
    pub fn with_allow_plaintext(mut self, on: bool) -> Self {
        self.allow_plaintext = on;
        self
    }
    /// A minijinja template for the subject.
    pub fn with_title_template(mut self, t: impl Into<String>) -> Self {
        self.title = Some(t.into());
        self
    }
    /// A minijinja template for the plain-text part.
    pub fn with_text_template(mut self, t: impl Into<String>) -> Self {
        self.text = Some(t.into());
        self
    }
    /// A minijinja template for the HTML part (values are HTML-escaped).
    pub fn with_html_template(mut self, t: impl Into<String>) -> Self {
        self.html = Some(t.into());
        self
    }

    /// Validates the settings and prepares the transport (no connection is made).
    ///
    /// # Errors
    /// [`AlertError::InvalidConfig`] naming the key (`url`, `host`, `from`, `to`, `tls`).
    pub fn build(self) -> Result<EmailSink, AlertError> {
        let name = self.name.clone().unwrap_or_else(|| "email".into());
        let bad = |key: &str, reason: String| AlertError::invalid_config(&name, key, reason);
        let (mut host, mut port, mut tls) = (self.host.clone(), self.port, self.tls);
        let (mut user, mut password) = (self.user.clone(), self.password.clone());
        if let Some(raw) = &self.url {
            let u = url::Url::parse(raw.expose())
                .map_err(|e| bad("url", format!("not a valid URL ({e})")))?;
            let implicit = match u.scheme() {
                "smtp" => false,
                "smtps" => true,
                other => return Err(bad("url", format!("scheme `{other}` is not smtp or smtps"))),
            };
            host = host.or_else(|| u.host_str().map(|h| h.trim_matches(['[', ']']).to_string()));
            port = port.or(u.port());
            if !u.username().is_empty() {
                let dec = |s: &str| {
                    url::form_urlencoded::parse(format!("x={s}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default()
                };
                user = user.or_else(|| Some(dec(u.username())));
                password = password.or_else(|| u.password().map(|p| Secret::new(dec(p))));
            }
            let q = u
                .query_pairs()
                .find(|(k, _)| k == "tls")
                .map(|(_, v)| v.into_owned());
            tls = tls.or(match (implicit, q.as_deref()) {
                (true, _) => Some(SmtpTls::Implicit),
                (false, Some("none" | "off")) => Some(SmtpTls::None),
                (false, Some("starttls" | "required")) => Some(SmtpTls::Starttls),
                (false, Some(other)) => {
                    return Err(bad(
                        "url",
                        format!("tls=`{other}`: expected starttls or none"),
                    ));
                }
                (false, None) => None,
            });
        }
        let host = host
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("host", "the SMTP host is required".into()))?;
        let loopback =
            host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        let tls = tls.unwrap_or(if loopback {
            SmtpTls::None
        } else {
            SmtpTls::Starttls
        });
        if tls == SmtpTls::None && !loopback && !self.allow_plaintext {
            return Err(bad(
                "tls",
                format!("plain SMTP to `{host}` (not loopback) needs with_allow_plaintext(true)"),
            ));
        }
        let port = port.unwrap_or(match tls {
            SmtpTls::Implicit => 465,
            SmtpTls::Starttls => 587,
            SmtpTls::None => 25,
        });
        let from: Mailbox = self
            .from
            .as_deref()
            .ok_or_else(|| bad("from", "the sender is required".into()))?
            .parse()
            .map_err(|e| bad("from", format!("not an address ({e})")))?;
        if self.to.is_empty() {
            return Err(bad("to", "at least one recipient is required".into()));
        }
        let to = self
            .to
            .iter()
            .map(|t| {
                t.parse::<Mailbox>()
                    .map_err(|e| bad("to", format!("`{t}` is not an address ({e})")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let timeout = self.timeout.unwrap_or(Duration::from_secs(30));
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .timeout(Some(timeout));
        if tls != SmtpTls::None {
            let params = TlsParameters::builder(host.clone())
                .dangerous_accept_invalid_certs(self.accept_invalid_certs)
                .dangerous_accept_invalid_hostnames(self.accept_invalid_certs)
                .build_rustls()
                .map_err(|e| bad("tls", format!("TLS setup failed ({e})")))?;
            b = b.tls(if tls == SmtpTls::Implicit {
                Tls::Wrapper(params)
            } else {
                Tls::Required(params)
            });
        }
        if let Some(u) = &user {
            let p = password
                .as_ref()
                .map(|p| p.expose().to_string())
                .unwrap_or_default();
            b = b.credentials(Credentials::new(u.clone(), p));
        }
        let scheme = if tls == SmtpTls::Implicit {
            "smtps"
        } else {
            "smtp"
        };
        let shown = if host.contains(':') {
            format!("{scheme}://[{host}]:{port}")
        } else {
            format!("{scheme}://{host}:{port}")
        };
        Ok(EmailSink {
            text: Templates::with_overrides(
                &name,
                Flavor::Text,
                self.title.as_deref(),
                self.text.as_deref(),
            )?,
            html: Templates::with_overrides(
                &name,
                Flavor::Html,
                self.title.as_deref(),
                self.html.as_deref(),
            )?,
            name,
            shown,
            tls,
            user,
            timeout,
            transport: b.build(),
            from,
            to,
        })
    }
}

impl EmailSink {
    /// A builder.
    pub fn builder() -> EmailSinkBuilder {
        EmailSinkBuilder::default()
    }

    /// The message for `alert`.
    ///
    /// # Errors
    /// [`AlertError::Template`] when a template fails.
    pub fn message(&self, alert: &Alert) -> Result<Message, AlertError> {
        let subject = self.text.title(alert, "")?;
        let text = self.text.body(alert, "")?;
        let html = self.html.body(alert, "")?;
        let mut b = Message::builder().from(self.from.clone()).subject(subject);
        for t in &self.to {
            b = b.to(t.clone());
        }
        b.multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| AlertError::Protocol {
                sink: self.name.clone(),
                endpoint: self.shown.clone(),
                reason: format!("could not build the message ({e})"),
            })
    }
}

#[async_trait::async_trait]
impl AlertSink for EmailSink {
    fn name(&self) -> &str {
        &self.name
    }

    #[tracing::instrument(name = "alert.send", skip_all, fields(sink = "email", name = %self.name,
        endpoint = %self.shown, severity = %alert.severity, fingerprint = %alert.fingerprint()),
        err(level = tracing::Level::WARN))]
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        let msg = self.message(alert)?;
        match self.transport.send(msg).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(AlertError::Rejected {
                sink: self.name.clone(),
                endpoint: self.shown.clone(),
                code: e
                    .status()
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "5xx".into()),
                message: "the SMTP server refused the message or the login".into(),
            }),
            Err(e) if e.is_timeout() => Err(AlertError::Timeout {
                sink: self.name.clone(),
                after: self.timeout,
            }),
            Err(e) => Err(AlertError::Unavailable {
                sink: self.name.clone(),
                endpoint: self.shown.clone(),
                status: None,
                source: Some(Box::new(e)),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> EmailSinkBuilder {
        EmailSink::builder()
            .with_from("a@example.com")
            .with_to("b@example.com")
    }

    #[test]
    fn url_forms() {
        let s = base().with_url("smtp://127.0.0.1:2525").build().unwrap();
        assert_eq!(
            (s.tls, s.shown.as_str()),
            (SmtpTls::None, "smtp://127.0.0.1:2525")
        );
        let s = base().with_url("smtp://mail.example.com").build().unwrap();
        assert_eq!(
            (s.tls, s.shown.as_str()),
            (SmtpTls::Starttls, "smtp://mail.example.com:587")
        );
        let s = base()
            .with_url("smtps://u%40x:p%2Fw@mail.example.com")
            .build()
            .unwrap();
        assert_eq!(
            (s.tls, s.shown.as_str()),
            (SmtpTls::Implicit, "smtps://mail.example.com:465")
        );
        assert_eq!(s.user.as_deref(), Some("u@x"));
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("p/w") && !dbg.contains("p%2Fw"), "{dbg}");
    }

    #[test]
    fn plaintext_to_remote_hosts_is_refused() {
        let e = base()
            .with_url("smtp://mail.example.com?tls=none")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("`tls`"), "{e}");
        assert!(
            base()
                .with_url("smtp://mail.example.com?tls=none")
                .with_allow_plaintext(true)
                .build()
                .is_ok()
        );
    }

    #[test]
    fn addresses_are_checked() {
        let e = EmailSink::builder()
            .with_url("smtp://127.0.0.1")
            .with_from("nope")
            .with_to("b@example.com")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("`from`"), "{e}");
        let e = EmailSink::builder()
            .with_url("smtp://127.0.0.1")
            .with_from("a@example.com")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("`to`"), "{e}");
    }
}
