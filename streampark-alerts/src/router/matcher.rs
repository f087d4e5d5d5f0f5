//! Label matchers with Alertmanager's syntax: `name="value"`, `!=`, `=~` and `!~` (regexes are
//! anchored at both ends). A missing label matches as the empty string.

use std::fmt;
use std::str::FromStr;

use regex::Regex;
use streampark_core::{Alert, AlertError, Severity};

/// A matcher's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MatchOp {
    /// `=`: equal.
    Eq,
    /// `!=`: not equal.
    NotEq,
    /// `=~`: the whole value matches the regex.
    Regex,
    /// `!~`: the whole value does not match the regex.
    NotRegex,
}

impl MatchOp {
    fn as_str(self) -> &'static str {
        match self {
            MatchOp::Eq => "=",
            MatchOp::NotEq => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }
}

/// One condition on one label (built-in labels `alertname`, `severity`, `job`, `team`
/// included).
///
/// ```
/// use streampark_alerts::Matcher;
/// use streampark_core::{Alert, Severity};
/// let m: Matcher = r#"severity=~"critical|major""#.parse()?;
/// assert!(m.matches(&Alert::new(Severity::Major, "lag")));
/// assert!(!m.matches(&Alert::new(Severity::Info, "lag")));
/// # Ok::<(), streampark_core::AlertError>(())
/// ```
#[derive(Clone)]
pub struct Matcher {
    name: String,
    op: MatchOp,
    value: String,
    re: Option<Regex>,
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Matcher({self})")
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{:?}", self.name, self.op.as_str(), self.value)
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl Matcher {
    /// A matcher; regexes are compiled here.
    ///
    /// # Errors
    /// [`AlertError::InvalidConfig`] for an empty or malformed label name or a bad regex.
    pub fn new(
        name: impl Into<String>,
        op: MatchOp,
        value: impl Into<String>,
    ) -> Result<Self, AlertError> {
        let name = name.into();
        let value = value.into();
        let valid_name = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            return Err(AlertError::invalid_config(
                "router",
                "matchers",
                format!("`{name}` is not a label name"),
            ));
        }
        let re = match op {
            MatchOp::Regex | MatchOp::NotRegex => {
                Some(Regex::new(&format!("^(?:{value})$")).map_err(|e| {
                    AlertError::invalid_config(
                        "router",
                        "matchers",
                        format!(
                            "bad regex for `{name}`: {}",
                            e.to_string().lines().last().unwrap_or("")
                        ),
                    )
                })?)
            }
            _ => None,
        };
        Ok(Matcher {
            name,
            op,
            value,
            re,
        })
    }

    /// `name = value`.
    pub fn eq(name: impl Into<String>, value: impl Into<String>) -> Self {
        Matcher {
            name: name.into(),
            op: MatchOp::Eq,
            value: value.into(),
            re: None,
        }
    }

    /// Matches alerts of `min` severity or more urgent (a regex on `severity`).
    pub fn severity_at_least(min: Severity) -> Self {
        let names: Vec<&str> = Severity::ALL
            .iter()
            .filter(|s| **s >= min)
            .map(|s| s.as_str())
            .collect();
        let value = names.join("|");
        let re = Regex::new(&format!("^(?:{value})$")).ok();
        Matcher {
            name: "severity".into(),
            op: MatchOp::Regex,
            value,
            re,
        }
    }

    /// The label name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether `alert` satisfies the matcher.
    pub fn matches(&self, alert: &Alert) -> bool {
        let v = alert.label(&self.name).unwrap_or_default();
        self.matches_value(&v)
    }

    pub(crate) fn matches_value(&self, v: &str) -> bool {
        match self.op {
            MatchOp::Eq => v == self.value,
            MatchOp::NotEq => v != self.value,
            MatchOp::Regex => self.re.as_ref().is_some_and(|r| r.is_match(v)),
            MatchOp::NotRegex => !self.re.as_ref().is_some_and(|r| r.is_match(v)),
        }
    }
}

impl FromStr for Matcher {
    type Err = AlertError;

    /// Parses `name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"` (quotes
    /// optional; `\"` and `\\` escapes inside quotes).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: String| AlertError::invalid_config("router", "matchers", reason);
        let s = s.trim();
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .ok_or_else(|| bad(format!("`{s}` has no operator (=, !=, =~, !~)")))?;
        let (name, rest) = s.split_at(end);
        let rest = rest.trim_start();
        let (op, value) = if let Some(v) = rest.strip_prefix("=~") {
            (MatchOp::Regex, v)
        } else if let Some(v) = rest.strip_prefix("!~") {
            (MatchOp::NotRegex, v)
        } else if let Some(v) = rest.strip_prefix("!=") {
            (MatchOp::NotEq, v)
        } else if let Some(v) = rest.strip_prefix('=') {
            (MatchOp::Eq, v)
        } else {
            return Err(bad(format!("`{s}` has no operator (=, !=, =~, !~)")));
        };
        let value = value.trim();
        let value = if let Some(inner) = value.strip_prefix('"') {
            let inner = inner
                .strip_suffix('"')
                .ok_or_else(|| bad(format!("`{s}`: unterminated quote")))?;
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next() {
                        Some('n') => out.push('\n'),
                        Some(other) => out.push(other),
                        None => return Err(bad(format!("`{s}`: dangling backslash"))),
                    }
                } else {
                    out.push(c);
                }
            }
            out
        } else {
            value.to_string()
        };
        Matcher::new(name, op, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a() -> Alert {
        Alert::new(Severity::Minor, "lag")
            .with_job("orders")
            .with_label("env", "prod")
    }

    #[test]
    fn parses_every_operator() {
        let m: Matcher = r#"env="prod""#.parse().unwrap();
        assert!(m.matches(&a()));
        let m: Matcher = "env != prod".parse().unwrap();
        assert!(!m.matches(&a()));
        let m: Matcher = r#"job=~"ord.*""#.parse().unwrap();
        assert!(m.matches(&a()));
        let m: Matcher = r#"job=~"ord""#.parse().unwrap();
        assert!(!m.matches(&a()), "regexes are anchored");
        let m: Matcher = r#"severity!~"critical|major""#.parse().unwrap();
        assert!(m.matches(&a()));
        let m: Matcher = r#"x="a\"b""#.parse().unwrap();
        assert_eq!(m.value, "a\"b");
    }

    #[test]
    fn missing_label_is_empty() {
        assert!("team!=ads".parse::<Matcher>().unwrap().matches(&a()));
        assert!(r#"team="""#.parse::<Matcher>().unwrap().matches(&a()));
        assert!(!"team=ads".parse::<Matcher>().unwrap().matches(&a()));
    }

    #[test]
    fn rejects_bad_input() {
        for bad in ["env", "=x", "env=~\"(\"", "env=\"x", "9env=x"] {
            let e = bad.parse::<Matcher>().unwrap_err();
            assert!(e.to_string().contains("matchers"), "{bad}: {e}");
        }
    }

    #[test]
    fn severity_at_least() {
        let m = Matcher::severity_at_least(Severity::Major);
        assert!(m.matches(&Alert::new(Severity::Critical, "x")));
        assert!(m.matches(&Alert::new(Severity::Major, "x")));
        assert!(!m.matches(&Alert::new(Severity::Minor, "x")));
    }
}
