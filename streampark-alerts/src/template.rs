//! Title and body templates (minijinja), with defaults per sink flavour.
//!
//! Templates see one variable, `alert`, with the fields `severity`, `status`, `title`, `text`,
//! `job`, `team`, `labels` (built-in ones included), `annotations`, `links` (`name`, `url`),
//! `starts_at`, `ends_at` (RFC 3339, UTC), `fingerprint` and `is_resolved`, plus `mentions`
//! (the sink's mention markup, possibly empty).
//!
//! ```
//! use streampark_alerts::Templates;
//! use streampark_core::{Alert, Severity};
//! let t = Templates::new("{{ alert.severity|upper }}: {{ alert.title }}", "{{ alert.text }}")?;
//! let a = Alert::new(Severity::Major, "lag").with_text("10 min behind");
//! assert_eq!(t.title(&a, "")?, "MAJOR: lag");
//! # Ok::<(), streampark_core::AlertError>(())
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use streampark_core::{Alert, AlertError};

/// The default flavours of body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// DingTalk / WeCom / Feishu markdown.
    Markdown,
    /// Slack mrkdwn.
    Slack,
    /// Plain text (email text part, logs, WeCom text).
    Text,
    /// HTML (email), auto-escaped.
    Html,
}

const DEFAULT_TITLE: &str = "{% if alert.is_resolved %}[RESOLVED] {% else %}[{{ alert.severity|upper }}] {% endif %}{{ alert.title }}";

const MARKDOWN_BODY: &str = r#"### {% if alert.is_resolved %}✅ RESOLVED{% else %}{{ {"critical": "🔴", "major": "🟠", "minor": "🟡", "info": "🔵"}[alert.severity] }} {{ alert.severity|upper }}{% endif %}: {{ alert.title }}
{% if alert.text %}
{{ alert.text }}
{% endif %}
{% if alert.job %}- **Job:** {{ alert.job }}
{% endif %}{% if alert.team %}- **Team:** {{ alert.team }}
{% endif %}- **Started:** {{ alert.starts_at }}
{% if alert.ends_at %}- **Ended:** {{ alert.ends_at }}
{% endif %}{% for k, v in alert.labels|items %}{% if k not in ["alertname", "severity", "job", "team"] %}- {{ k }}: {{ v }}
{% endif %}{% endfor %}{% for l in alert.links %}
[{{ l.name }}]({{ l.url }}){% endfor %}
{% if mentions %}
{{ mentions }}{% endif %}"#;

const SLACK_BODY: &str = r#"*{% if alert.is_resolved %}RESOLVED{% else %}{{ alert.severity|upper }}{% endif %}: {{ alert.title }}*
{% if alert.text %}{{ alert.text }}
{% endif %}{% if alert.job %}• *Job:* {{ alert.job }}
{% endif %}{% if alert.team %}• *Team:* {{ alert.team }}
{% endif %}• *Started:* {{ alert.starts_at }}{% for k, v in alert.labels|items %}{% if k not in ["alertname", "severity", "job", "team"] %}
• {{ k }}: {{ v }}{% endif %}{% endfor %}{% for l in alert.links %}
<{{ l.url }}|{{ l.name }}>{% endfor %}{% if mentions %}
{{ mentions }}{% endif %}"#;

const TEXT_BODY: &str = r#"{% if alert.is_resolved %}RESOLVED{% else %}{{ alert.severity|upper }}{% endif %}: {{ alert.title }}
{% if alert.text %}
{{ alert.text }}
{% endif %}
{% if alert.job %}Job: {{ alert.job }}
{% endif %}{% if alert.team %}Team: {{ alert.team }}
{% endif %}Started: {{ alert.starts_at }}
{% if alert.ends_at %}Ended: {{ alert.ends_at }}
{% endif %}{% for k, v in alert.labels|items %}{% if k not in ["alertname", "severity", "job", "team"] %}{{ k }}: {{ v }}
{% endif %}{% endfor %}{% for l in alert.links %}{{ l.name }}: {{ l.url }}
{% endfor %}"#;

const HTML_BODY: &str = r##"<html><body>
<h2 style="color:{{ {"critical": "#c0392b", "major": "#e67e22", "minor": "#d4ac0d", "info": "#2e86c1"}[alert.severity] if not alert.is_resolved else "#27ae60" }}">{% if alert.is_resolved %}RESOLVED{% else %}{{ alert.severity|upper }}{% endif %}: {{ alert.title }}</h2>
{% if alert.text %}<p>{{ alert.text }}</p>{% endif %}
<table>
{% if alert.job %}<tr><th align="left">Job</th><td>{{ alert.job }}</td></tr>{% endif %}
{% if alert.team %}<tr><th align="left">Team</th><td>{{ alert.team }}</td></tr>{% endif %}
<tr><th align="left">Started</th><td>{{ alert.starts_at }}</td></tr>
{% for k, v in alert.labels|items %}{% if k not in ["alertname", "severity", "job", "team"] %}<tr><th align="left">{{ k }}</th><td>{{ v }}</td></tr>{% endif %}{% endfor %}
</table>
{% if alert.links %}<ul>{% for l in alert.links %}<li><a href="{{ l.url }}">{{ l.name }}</a></li>{% endfor %}</ul>{% endif %}
</body></html>"##;

/// A compiled pair of templates: one for the title, one for the body.
#[derive(Clone)]
pub struct Templates {
    env: Arc<minijinja::Environment<'static>>,
    body_name: &'static str,
}

impl fmt::Debug for Templates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Templates")
            .field("body", &self.body_name)
            .finish_non_exhaustive()
    }
}

impl Templates {
    /// Compiles user templates.
    ///
    /// # Errors
    /// [`AlertError::Template`] naming the template and the line of the syntax error.
    pub fn new(title: &str, body: &str) -> Result<Self, AlertError> {
        Self::build("templates", title, body, "body")
    }

    /// Compiles an HTML body template (values are HTML-escaped).
    ///
    /// # Errors
    /// As [`Templates::new`].
    pub fn new_html(title: &str, body: &str) -> Result<Self, AlertError> {
        Self::build("templates", title, body, "body.html")
    }

    pub(crate) fn defaults(flavor: Flavor) -> Self {
        let (body, name) = match flavor {
            Flavor::Markdown => (MARKDOWN_BODY, "body"),
            Flavor::Slack => (SLACK_BODY, "body"),
            Flavor::Text => (TEXT_BODY, "body"),
            Flavor::Html => (HTML_BODY, "body.html"),
        };
        match Self::build("defaults", DEFAULT_TITLE, body, name) {
            Ok(t) => t,
            // The defaults are compiled by the unit tests; an empty body is a safe fallback.
            Err(_) => Templates {
                env: Arc::new(minijinja::Environment::new()),
                body_name: "body",
            },
        }
    }

    /// Picks the user's templates where given, else the defaults of `flavor`.
    pub(crate) fn with_overrides(
        sink: &str,
        flavor: Flavor,
        title: Option<&str>,
        body: Option<&str>,
    ) -> Result<Self, AlertError> {
        if title.is_none() && body.is_none() {
            return Ok(Self::defaults(flavor));
        }
        let default_body = match flavor {
            Flavor::Markdown => MARKDOWN_BODY,
            Flavor::Slack => SLACK_BODY,
            Flavor::Text => TEXT_BODY,
            Flavor::Html => HTML_BODY,
        };
        let name = if flavor == Flavor::Html {
            "body.html"
        } else {
            "body"
        };
        Self::build(
            sink,
            title.unwrap_or(DEFAULT_TITLE),
            body.unwrap_or(default_body),
            name,
        )
    }

    fn build(
        sink: &str,
        title: &str,
        body: &str,
        body_name: &'static str,
    ) -> Result<Self, AlertError> {
        let mut env = minijinja::Environment::new();
        env.set_trim_blocks(false);
        env.add_template_owned("title", title.to_string())
            .map_err(|e| template_error(sink, "title", &e))?;
        env.add_template_owned(body_name, body.to_string())
            .map_err(|e| template_error(sink, "body", &e))?;
        Ok(Templates {
            env: Arc::new(env),
            body_name,
        })
    }

    /// Renders the title (one line: newlines become spaces).
    ///
    /// # Errors
    /// [`AlertError::Template`] when rendering fails.
    pub fn title(&self, alert: &Alert, mentions: &str) -> Result<String, AlertError> {
        let s = self.render("title", alert, mentions)?;
        Ok(s.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// Renders the body.
    ///
    /// # Errors
    /// [`AlertError::Template`] when rendering fails.
    pub fn body(&self, alert: &Alert, mentions: &str) -> Result<String, AlertError> {
        let s = self.render(self.body_name, alert, mentions)?;
        Ok(s.trim().to_string())
    }

    fn render(&self, name: &str, alert: &Alert, mentions: &str) -> Result<String, AlertError> {
        let tmpl = self
            .env
            .get_template(name)
            .map_err(|e| template_error("templates", name, &e))?;
        tmpl.render(minijinja::context! {
            alert => minijinja::Value::from_serialize(View::of(alert)),
            mentions => mentions,
        })
        .map_err(|e| template_error("templates", name, &e))
    }
}

fn template_error(sink: &str, template: &str, e: &minijinja::Error) -> AlertError {
    let line = e.line().map(|l| format!(" (line {l})")).unwrap_or_default();
    AlertError::Template {
        sink: sink.into(),
        template: template.into(),
        reason: format!("{}{line}", e.detail().unwrap_or("syntax error")),
    }
}

/// What templates see of an alert.
#[derive(Serialize)]
pub(crate) struct View<'a> {
    severity: &'static str,
    status: String,
    title: &'a str,
    text: &'a str,
    job: Option<&'a str>,
    team: Option<&'a str>,
    labels: std::collections::BTreeMap<String, String>,
    annotations: &'a std::collections::BTreeMap<String, String>,
    links: &'a [streampark_core::AlertLink],
    starts_at: String,
    ends_at: Option<String>,
    fingerprint: String,
    is_resolved: bool,
}

impl<'a> View<'a> {
    pub(crate) fn of(a: &'a Alert) -> Self {
        View {
            severity: a.severity.as_str(),
            status: a.status.to_string(),
            title: &a.title,
            text: &a.text,
            job: a.job.as_deref(),
            team: a.team.as_deref(),
            labels: a.all_labels(),
            annotations: &a.annotations,
            links: &a.links,
            starts_at: rfc3339(a.starts_at),
            ends_at: a.ends_at.map(rfc3339),
            fingerprint: a.fingerprint(),
            is_resolved: a.is_resolved(),
        }
    }
}

/// `SystemTime` as RFC 3339 in UTC, to the second.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use streampark_core::Severity;

    fn sample() -> Alert {
        Alert::new(Severity::Critical, "orders down")
            .with_text("TaskManager lost")
            .with_job("orders")
            .with_label("cluster", "prod")
            .with_link("Flink UI", "http://jm:8081")
            .with_starts_at(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
    }

    #[test]
    fn dates_are_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        // 2023-11-14T22:13:20Z is 1_700_000_000 (known epoch landmark).
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
            "2023-11-14T22:13:20Z"
        );
        // Leap day.
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn every_default_renders() {
        let a = sample();
        for f in [Flavor::Markdown, Flavor::Slack, Flavor::Text, Flavor::Html] {
            let t = Templates::defaults(f);
            assert_eq!(t.title(&a, "").unwrap(), "[CRITICAL] orders down");
            let body = t.body(&a, "@13800000000").unwrap();
            assert!(body.contains("orders down"), "{f:?}: {body}");
            assert!(body.contains("TaskManager lost"), "{f:?}: {body}");
            assert!(body.contains("jm:8081"), "{f:?}: {body}");
            assert!(body.contains("2023-11-14T22:13:20Z"), "{f:?}: {body}");
            assert!(body.contains("cluster"), "{f:?}: {body}");
        }
        let md = Templates::defaults(Flavor::Markdown)
            .body(&a, "@13800000000")
            .unwrap();
        assert!(
            md.contains("🔴 CRITICAL") && md.ends_with("@13800000000"),
            "{md}"
        );
        let resolved = a.resolved_at(UNIX_EPOCH + Duration::from_secs(1_700_000_600));
        let t = Templates::defaults(Flavor::Text);
        assert_eq!(t.title(&resolved, "").unwrap(), "[RESOLVED] orders down");
        assert!(
            t.body(&resolved, "")
                .unwrap()
                .contains("Ended: 2023-11-14T22:23:20Z")
        );
    }

    #[test]
    fn html_escapes_values() {
        let a = Alert::new(Severity::Info, "x").with_text("<script>alert(1)</script>");
        let body = Templates::defaults(Flavor::Html).body(&a, "").unwrap();
        assert!(!body.contains("<script>"), "{body}");
        assert!(body.contains("&lt;script&gt;"), "{body}");
    }

    #[test]
    fn syntax_errors_name_template_and_line() {
        let e = Templates::new("ok", "line one\n{{ alert.title ").unwrap_err();
        let s = e.to_string();
        assert!(s.contains("`body`") && s.contains("line 2"), "{s}");
        let e = Templates::new("{% if %}", "x").unwrap_err();
        assert!(e.to_string().contains("`title`"), "{e}");
    }
}
