//! Hadoop's `${var}` substitution: `${env.NAME}` (with `:-default` / `-default`) from the
//! environment, then other keys of the configuration (defaults included), then system
//! properties; an undefined variable stays as written, as in Hadoop. At most
//! [`MAX_SUBST`] nested expansions; a cycle is an error naming the chain.

use std::collections::BTreeMap;

/// Hadoop's `Configuration.MAX_SUBST`.
pub(crate) const MAX_SUBST: usize = 20;

/// Why a value could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SubstError {
    /// `chain` ends with the key that refers back into it.
    Cycle(Vec<String>),
    /// Deeper than [`MAX_SUBST`].
    TooDeep(Vec<String>),
}

pub(crate) struct Lookup<'a> {
    pub(crate) raw: &'a dyn Fn(&str) -> Option<String>,
    pub(crate) env: &'a BTreeMap<String, String>,
    pub(crate) system: &'a BTreeMap<String, String>,
}

/// Expands `value` of `key`.
pub(crate) fn expand(key: &str, value: &str, l: &Lookup<'_>) -> Result<String, SubstError> {
    let mut chain = vec![key.to_string()];
    expand_in(value, l, &mut chain)
}

fn expand_in(value: &str, l: &Lookup<'_>, chain: &mut Vec<String>) -> Result<String, SubstError> {
    if !value.contains("${") {
        return Ok(value.to_string());
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let var = &after[..end];
        let whole = &rest[start..start + 2 + end + 1];
        rest = &after[end + 1..];
        if var.is_empty() || var.contains(char::is_whitespace) || var.contains('$') {
            out.push_str(whole);
            continue;
        }
        if let Some(env_expr) = var.strip_prefix("env.") {
            match env_value(env_expr, l.env) {
                Some(v) => out.push_str(&v),
                None => out.push_str(whole),
            }
            continue;
        }
        let found = (l.raw)(var).or_else(|| l.system.get(var).cloned());
        let Some(inner) = found else {
            out.push_str(whole);
            continue;
        };
        if chain.iter().any(|k| k == var) {
            let mut c = chain.clone();
            c.push(var.to_string());
            return Err(SubstError::Cycle(c));
        }
        if chain.len() > MAX_SUBST {
            return Err(SubstError::TooDeep(chain.clone()));
        }
        chain.push(var.to_string());
        let expanded = expand_in(&inner, l, chain)?;
        chain.pop();
        out.push_str(&expanded);
    }
    out.push_str(rest);
    Ok(out)
}

/// `NAME`, `NAME:-default` (default when unset or empty), `NAME-default` (default when unset).
fn env_value(expr: &str, env: &BTreeMap<String, String>) -> Option<String> {
    if let Some((name, default)) = expr.split_once(":-") {
        return match env.get(name) {
            Some(v) if !v.is_empty() => Some(v.clone()),
            _ => Some(default.to_string()),
        };
    }
    if let Some((name, default)) = expr.split_once('-') {
        return Some(
            env.get(name)
                .cloned()
                .unwrap_or_else(|| default.to_string()),
        );
    }
    env.get(expr).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(map: &[(&str, &str)], key: &str) -> Result<String, SubstError> {
        let m: BTreeMap<String, String> = map
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env: BTreeMap<String, String> = [
            ("HOME".to_string(), "/home/u".to_string()),
            ("EMPTY".to_string(), String::new()),
        ]
        .into();
        let system: BTreeMap<String, String> =
            [("user.name".to_string(), "alice".to_string())].into();
        let raw = |k: &str| m.get(k).cloned();
        let l = Lookup {
            raw: &raw,
            env: &env,
            system: &system,
        };
        expand(key, &m[key], &l)
    }

    #[test]
    fn expands_keys_env_and_system_properties() {
        let m = [
            ("yarn.resourcemanager.hostname", "rm.example.com"),
            (
                "yarn.resourcemanager.webapp.address",
                "${yarn.resourcemanager.hostname}:8088",
            ),
            ("tmp", "/tmp/hadoop-${user.name}"),
            (
                "home",
                "${env.HOME}/x ${env.NOPE:-dflt} ${env.EMPTY:-e} ${env.EMPTY-e} ${env.NOPE}",
            ),
            ("undefined", "${no.such.key}/y"),
            ("chain", "${a1}"),
            ("a1", "${a2}"),
            ("a2", "end"),
            ("unterminated", "x${y"),
        ];
        assert_eq!(
            run(&m, "yarn.resourcemanager.webapp.address").unwrap(),
            "rm.example.com:8088"
        );
        assert_eq!(run(&m, "tmp").unwrap(), "/tmp/hadoop-alice");
        assert_eq!(run(&m, "home").unwrap(), "/home/u/x dflt e  ${env.NOPE}");
        assert_eq!(run(&m, "undefined").unwrap(), "${no.such.key}/y");
        assert_eq!(run(&m, "chain").unwrap(), "end");
        assert_eq!(run(&m, "unterminated").unwrap(), "x${y");
    }

    #[test]
    fn keys_win_over_system_properties() {
        let m = [("user.name", "from-conf"), ("k", "${user.name}")];
        assert_eq!(run(&m, "k").unwrap(), "from-conf");
    }

    #[test]
    fn cycles_and_depth_are_errors() {
        let m = [("a", "${b}"), ("b", "x${c}"), ("c", "${a}")];
        assert_eq!(
            run(&m, "a").unwrap_err(),
            SubstError::Cycle(vec!["a".into(), "b".into(), "c".into(), "a".into()])
        );
        let m = [("self", "${self}")];
        assert!(matches!(run(&m, "self"), Err(SubstError::Cycle(_))));
        // 25 levels of distinct keys: deeper than Hadoop's 20.
        let names: Vec<String> = (0..26).map(|i| format!("k{i}")).collect();
        let vals: Vec<String> = (0..26)
            .map(|i| {
                if i == 25 {
                    "leaf".into()
                } else {
                    format!("${{k{}}}", i + 1)
                }
            })
            .collect();
        let m: Vec<(&str, &str)> = names
            .iter()
            .zip(&vals)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert!(matches!(run(&m, "k0"), Err(SubstError::TooDeep(_))));
        let shallow: Vec<(&str, &str)> = m[6..].to_vec();
        assert_eq!(run(&shallow, "k6").unwrap(), "leaf", "19 levels are fine");
    }
}
