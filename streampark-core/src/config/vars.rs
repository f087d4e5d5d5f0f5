//! `${name}` variables with a team scope, as StreamPark's variables: a team's value wins over
//! the global one; `$${…}` is a literal `${…}`; variables may use other variables.

use std::collections::BTreeMap;
use std::fmt;

use crate::{Error, Result};

#[derive(Clone, PartialEq, Eq)]
struct Var {
    value: String,
    secret: bool,
}

/// Named values substituted into configuration values as `${name}`.
///
/// `Debug` shows names only for secret variables.
///
/// ```
/// use streampark_core::config::Variables;
/// let vars = Variables::new()
///     .with_global("kafka", "kafka-prod:9092")
///     .with_team("ads", "kafka", "kafka-ads:9092")
///     .with_secret_team("ads", "db_pass", "pw");
/// let (v, secret) = vars.expand("bootstrap=${kafka} literal=$${kafka}", Some("ads"), "k", "f.yaml")?;
/// assert_eq!(v, "bootstrap=kafka-ads:9092 literal=${kafka}");
/// assert!(!secret);
/// let (_, secret) = vars.expand("${db_pass}", Some("ads"), "k", "f.yaml")?;
/// assert!(secret);
/// # Ok::<(), streampark_core::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Variables {
    global: BTreeMap<String, Var>,
    teams: BTreeMap<String, BTreeMap<String, Var>>,
}

impl Variables {
    /// No variables.
    pub fn new() -> Self {
        Self::default()
    }

    /// A variable every team sees.
    #[must_use]
    pub fn with_global(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.global.insert(
            name.into(),
            Var {
                value: value.into(),
                secret: false,
            },
        );
        self
    }

    /// A secret variable every team sees; values using it are secret.
    #[must_use]
    pub fn with_secret_global(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.global.insert(
            name.into(),
            Var {
                value: value.into(),
                secret: true,
            },
        );
        self
    }

    /// A variable of one team (wins over a global one of the same name).
    #[must_use]
    pub fn with_team(
        mut self,
        team: impl Into<String>,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.teams.entry(team.into()).or_default().insert(
            name.into(),
            Var {
                value: value.into(),
                secret: false,
            },
        );
        self
    }

    /// A secret variable of one team.
    #[must_use]
    pub fn with_secret_team(
        mut self,
        team: impl Into<String>,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.teams.entry(team.into()).or_default().insert(
            name.into(),
            Var {
                value: value.into(),
                secret: true,
            },
        );
        self
    }

    fn lookup(&self, team: Option<&str>, name: &str) -> Option<&Var> {
        team.and_then(|t| self.teams.get(t))
            .and_then(|m| m.get(name))
            .or_else(|| self.global.get(name))
    }

    /// Expands `${name}` in `text` for `team`; `key` and `origin` say where the text is used
    /// (for errors). Returns the text and whether a secret variable went into it.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] on `key` for an undefined variable, a cycle, or an unclosed
    /// `${`, naming the variable and where it is used.
    pub fn expand(
        &self,
        text: &str,
        team: Option<&str>,
        key: &str,
        origin: &str,
    ) -> Result<(String, bool)> {
        let mut stack = Vec::new();
        let mut secret = false;
        let out = self.expand_in(text, team, key, origin, &mut stack, &mut secret)?;
        Ok((out, secret))
    }

    fn expand_in(
        &self,
        text: &str,
        team: Option<&str>,
        key: &str,
        origin: &str,
        stack: &mut Vec<String>,
        secret: &mut bool,
    ) -> Result<String> {
        let where_used = || {
            let scope = team.map(|t| format!(", team `{t}`")).unwrap_or_default();
            format!("used in `{key}` from {origin}{scope}")
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(pos) = rest.find('$') {
            out.push_str(&rest[..pos]);
            let after = &rest[pos..];
            if let Some(escaped) = after.strip_prefix("$${") {
                out.push_str("${");
                rest = escaped;
            } else if let Some(inner) = after.strip_prefix("${") {
                let Some(end) = inner.find('}') else {
                    return Err(Error::invalid_config(
                        "config",
                        key,
                        format!("unclosed `${{` ({})", where_used()),
                    ));
                };
                let name = inner[..end].trim();
                if stack.iter().any(|n| n == name) {
                    let mut chain: Vec<String> = stack.iter().map(|n| format!("`{n}`")).collect();
                    chain.push(format!("`{name}`"));
                    return Err(Error::invalid_config(
                        "config",
                        key,
                        format!("variable cycle {} ({})", chain.join(" -> "), where_used()),
                    ));
                }
                let Some(var) = self.lookup(team, name) else {
                    let via = stack
                        .last()
                        .map(|n| format!(" via variable `{n}`"))
                        .unwrap_or_default();
                    return Err(Error::invalid_config(
                        "config",
                        key,
                        format!("undefined variable `{name}`{via} ({})", where_used()),
                    ));
                };
                *secret |= var.secret;
                stack.push(name.to_string());
                let value = self.expand_in(&var.value, team, key, origin, stack, secret)?;
                stack.pop();
                out.push_str(&value);
                rest = &inner[end + 1..];
            } else {
                out.push('$');
                rest = &after[1..];
            }
        }
        out.push_str(rest);
        Ok(out)
    }
}

impl fmt::Debug for Variables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn shown(m: &BTreeMap<String, Var>) -> BTreeMap<&str, &str> {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.as_str(),
                        if v.secret { "******" } else { v.value.as_str() },
                    )
                })
                .collect()
        }
        let teams: BTreeMap<&str, BTreeMap<&str, &str>> = self
            .teams
            .iter()
            .map(|(t, m)| (t.as_str(), shown(m)))
            .collect();
        f.debug_struct("Variables")
            .field("global", &shown(&self.global))
            .field("teams", &teams)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_scope_wins_and_nesting_works() {
        let v = Variables::new()
            .with_global("root", "s3://g")
            .with_global("dir", "${root}/ckpt")
            .with_team("ads", "root", "s3://ads");
        assert_eq!(
            v.expand("${dir}", Some("ads"), "k", "o").unwrap().0,
            "s3://ads/ckpt"
        );
        assert_eq!(
            v.expand("${dir}", Some("bi"), "k", "o").unwrap().0,
            "s3://g/ckpt"
        );
        assert_eq!(v.expand("${dir}", None, "k", "o").unwrap().0, "s3://g/ckpt");
        assert_eq!(
            v.expand("cost $5 $$x", None, "k", "o").unwrap().0,
            "cost $5 $$x"
        );
    }

    #[test]
    fn undefined_names_variable_key_origin_and_team() {
        let v = Variables::new().with_team("ads", "a", "${b}");
        let e = v
            .expand("x=${a}", Some("ads"), "state.dir", "nacos ads/flink.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`b`") && e.contains("via variable `a`"), "{e}");
        assert!(
            e.contains("state.dir") && e.contains("nacos ads/flink.yaml"),
            "{e}"
        );
        assert!(e.contains("team `ads`"), "{e}");
        // Another team does not see ads's variables.
        let e = v
            .expand("${a}", Some("bi"), "k", "o")
            .unwrap_err()
            .to_string();
        assert!(e.contains("undefined variable `a`"), "{e}");
    }

    #[test]
    fn cycles_are_errors_with_the_chain() {
        let v = Variables::new()
            .with_global("a", "${b}")
            .with_global("b", "x${c}")
            .with_global("c", "${a}");
        let e = v
            .expand("${a}", None, "k1", "f.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`a` -> `b` -> `c` -> `a`") && e.contains("k1"),
            "{e}"
        );
        let e = v
            .expand("${a", None, "k1", "f.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unclosed"), "{e}");
    }

    #[test]
    fn debug_hides_secret_values() {
        let v = Variables::new()
            .with_secret_global("pw", "hunter2")
            .with_global("host", "h1");
        let shown = format!("{v:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("h1"),
            "{shown}"
        );
    }
}
