//! Parsing documents into flat dotted keys.
//!
//! YAML and JSON maps are flattened the way Flink 2.x reads `config.yaml`: nested keys are
//! joined with `.` (`execution: {checkpointing: {interval: 30s}}` and
//! `execution.checkpointing.interval: 30s` are the same key), scalars keep their text, lists
//! and maps inside lists become YAML flow text (`[a, b]`, `{k: v}`) that Flink parses back,
//! and `null` values are left out.

use std::sync::Arc;

use super::doc::{ConfigDoc, ConfigFormat};
use super::flat::{ConfigValue, FlatConfig};
use crate::{Error, Result};

pub(crate) fn parse_doc(doc: &ConfigDoc) -> Result<FlatConfig> {
    let origin: Arc<str> = doc.key().data_id().into();
    let name = doc.key().to_string();
    match doc.format() {
        ConfigFormat::Yaml => parse_yaml(doc.content(), &name, origin),
        ConfigFormat::Json => parse_json(doc.content(), &name, origin),
        ConfigFormat::Properties => parse_properties(doc.content(), &name, origin),
        ConfigFormat::Text => Err(Error::invalid_input(
            "config",
            "text document",
            format!("`{name}`"),
            "a text document has no keys; give it the yaml, properties or json format",
        )),
    }
}

fn syntax_error(fmt: &str, name: &str, line: usize, column: usize, reason: String) -> Error {
    Error::invalid_input(
        "config",
        format!("{fmt} document"),
        format!("`{name}` line {line} column {column}"),
        reason,
    )
}

/// Scalars and nested structures of either YAML or JSON, reduced to what flattening needs.
enum Node {
    Null,
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

fn flatten(node: Node, prefix: &str, out: &mut FlatConfig, origin: &Arc<str>) {
    match node {
        Node::Null => {}
        Node::Map(entries) => {
            for (k, v) in entries {
                let key = if prefix.is_empty() {
                    k
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(v, &key, out, origin);
            }
        }
        other => {
            out.insert(prefix, ConfigValue::new(flow(&other, true), origin.clone()));
        }
    }
}

/// YAML flow text of a node; top-level scalars stay raw.
fn flow(node: &Node, top: bool) -> String {
    match node {
        Node::Null => "null".into(),
        Node::Scalar(s) if top => s.clone(),
        Node::Scalar(s) => quote(s),
        Node::Seq(items) => {
            let parts: Vec<String> = items.iter().map(|n| flow(n, false)).collect();
            format!("[{}]", parts.join(", "))
        }
        Node::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", quote(k), flow(v, false)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.trim() == s
        && !s.contains([
            ',', '[', ']', '{', '}', ':', '#', '\'', '"', '&', '*', '!', '|', '>', '%', '@', '`',
        ])
        && !s.starts_with(['-', '?']);
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn from_yaml(v: serde_yaml_ng::Value, name: &str) -> Result<Node> {
    use serde_yaml_ng::Value as Y;
    Ok(match v {
        Y::Null => Node::Null,
        Y::Bool(b) => Node::Scalar(b.to_string()),
        Y::Number(n) => Node::Scalar(n.to_string()),
        Y::String(s) => Node::Scalar(s),
        Y::Sequence(items) => Node::Seq(
            items
                .into_iter()
                .map(|i| from_yaml(i, name))
                .collect::<Result<_>>()?,
        ),
        Y::Mapping(m) => {
            let mut entries = Vec::with_capacity(m.len());
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => n.to_string(),
                    other => {
                        return Err(Error::invalid_input(
                            "config",
                            "yaml document",
                            format!("`{name}`"),
                            format!("a map key must be a scalar, found {}", yaml_kind(&other)),
                        ));
                    }
                };
                entries.push((key, from_yaml(v, name)?));
            }
            Node::Map(entries)
        }
        Y::Tagged(t) => from_yaml(t.value, name)?,
    })
}

fn yaml_kind(v: &serde_yaml_ng::Value) -> &'static str {
    match v {
        serde_yaml_ng::Value::Sequence(_) => "a list",
        serde_yaml_ng::Value::Mapping(_) => "a map",
        serde_yaml_ng::Value::Null => "null",
        _ => "a tagged value",
    }
}

fn parse_yaml(text: &str, name: &str, origin: Arc<str>) -> Result<FlatConfig> {
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(|e| {
        let (line, col) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        syntax_error("yaml", name, line, col, yaml_reason(&e))
    })?;
    let node = from_yaml(value, name)?;
    top_level(node, "yaml", name, origin)
}

/// serde_yaml's message without its trailing " at line L column C" (we say where ourselves).
fn yaml_reason(e: &serde_yaml_ng::Error) -> String {
    let msg = e.to_string();
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    }
}

fn top_level(node: Node, fmt: &str, name: &str, origin: Arc<str>) -> Result<FlatConfig> {
    let mut out = FlatConfig::new();
    match node {
        Node::Null => Ok(out),
        Node::Map(_) => {
            flatten(node, "", &mut out, &origin);
            Ok(out)
        }
        _ => Err(Error::invalid_input(
            "config",
            format!("{fmt} document"),
            format!("`{name}` line 1 column 1"),
            "the top level must be a map of keys",
        )),
    }
}

fn from_json(v: serde_json::Value) -> Node {
    use serde_json::Value as J;
    match v {
        J::Null => Node::Null,
        J::Bool(b) => Node::Scalar(b.to_string()),
        J::Number(n) => Node::Scalar(n.to_string()),
        J::String(s) => Node::Scalar(s),
        J::Array(items) => Node::Seq(items.into_iter().map(from_json).collect()),
        J::Object(m) => Node::Map(m.into_iter().map(|(k, v)| (k, from_json(v))).collect()),
    }
}

fn parse_json(text: &str, name: &str, origin: Arc<str>) -> Result<FlatConfig> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let reason = match msg.find(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        syntax_error("json", name, e.line(), e.column(), reason)
    })?;
    top_level(from_json(value), "json", name, origin)
}

/// Java `Properties.load` syntax: `#`/`!` comments, `key=value`, `key: value`, `key value`,
/// `\` line continuations, escapes `\t \n \r \f \uXXXX`. Later duplicates win.
fn parse_properties(text: &str, name: &str, origin: Arc<str>) -> Result<FlatConfig> {
    let mut out = FlatConfig::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        // Build one logical line, remembering (line number, column offset) of each char.
        let mut logical: Vec<(char, usize, usize)> = Vec::new();
        let mut first = true;
        loop {
            let raw = lines[i];
            let lead = if first {
                0
            } else {
                raw.len() - raw.trim_start().len()
            };
            let body = &raw[lead..];
            if first {
                let t = body.trim_start();
                if t.is_empty() || t.starts_with('#') || t.starts_with('!') {
                    break;
                }
            }
            let trailing = body.chars().rev().take_while(|&c| c == '\\').count();
            let cont = trailing % 2 == 1;
            let kept = if cont { &body[..body.len() - 1] } else { body };
            let base_col = raw[..lead].chars().count();
            for (col, c) in kept.chars().enumerate() {
                logical.push((c, i + 1, base_col + col + 1));
            }
            first = false;
            if cont && i + 1 < lines.len() {
                i += 1;
            } else {
                break;
            }
        }
        i += 1;
        if logical.is_empty() {
            continue;
        }
        let (key, value) = split_property(&logical, name)?;
        if key.is_empty() {
            let (_, l, c) = logical
                .iter()
                .find(|x| !x.0.is_whitespace())
                .copied()
                .unwrap_or(logical[0]);
            return Err(syntax_error(
                "properties",
                name,
                l,
                c,
                "the line has a value but no key".into(),
            ));
        }
        out.insert(key, ConfigValue::new(value, origin.clone()));
    }
    Ok(out)
}

fn split_property(chars: &[(char, usize, usize)], name: &str) -> Result<(String, String)> {
    let mut idx = 0;
    while idx < chars.len() && chars[idx].0.is_whitespace() {
        idx += 1;
    }
    let key_start = idx;
    let mut escaped = false;
    while idx < chars.len() {
        let c = chars[idx].0;
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '=' || c == ':' || c.is_whitespace() {
            break;
        }
        idx += 1;
    }
    let key = unescape(&chars[key_start..idx], name)?;
    while idx < chars.len() && chars[idx].0.is_whitespace() {
        idx += 1;
    }
    if idx < chars.len() && (chars[idx].0 == '=' || chars[idx].0 == ':') {
        idx += 1;
    }
    while idx < chars.len() && chars[idx].0.is_whitespace() {
        idx += 1;
    }
    let value = unescape(&chars[idx..], name)?;
    Ok((key, value))
}

fn unescape(chars: &[(char, usize, usize)], name: &str) -> Result<String> {
    let mut out = String::with_capacity(chars.len());
    let mut it = chars.iter().peekable();
    while let Some(&(c, line, col)) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&(e, _, _)) = it.next() else {
            break;
        };
        match e {
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'f' => out.push('\u{c}'),
            'u' => {
                let hex: String = (0..4).filter_map(|_| it.next().map(|x| x.0)).collect();
                let cp = (hex.len() == 4)
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32);
                match cp {
                    Some(ch) => out.push(ch),
                    None => {
                        return Err(syntax_error(
                            "properties",
                            name,
                            line,
                            col,
                            format!("malformed \\uXXXX escape `\\u{hex}`"),
                        ));
                    }
                }
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigKey;

    fn parse(name: &str, text: &str) -> Result<FlatConfig> {
        ConfigDoc::new(ConfigKey::new(name), text).parse()
    }

    #[test]
    fn yaml_nesting_flattens_like_flink_config_yaml() {
        let c = parse(
            "flink.yaml",
            "execution:\n  checkpointing:\n    interval: 30 s\n    mode: EXACTLY_ONCE\n\
             taskmanager.numberOfTaskSlots: 4\nparallelism:\n  default: 2\n\
             pipeline.jars: [file:///a.jar, b.jar]\nkubernetes.tolerations: ~\n\
             env.java.opts.all: -Dx=1\nstate.backend.incremental: true\n",
        )
        .unwrap();
        assert_eq!(c.get_str("execution.checkpointing.interval"), Some("30 s"));
        assert_eq!(
            c.get_str("execution.checkpointing.mode"),
            Some("EXACTLY_ONCE")
        );
        assert_eq!(c.get_str("taskmanager.numberOfTaskSlots"), Some("4"));
        assert_eq!(c.get_str("parallelism.default"), Some("2"));
        assert_eq!(c.get_str("pipeline.jars"), Some("['file:///a.jar', b.jar]"));
        assert_eq!(c.get_str("env.java.opts.all"), Some("-Dx=1"));
        assert_eq!(c.get_str("state.backend.incremental"), Some("true"));
        assert!(c.get("kubernetes.tolerations").is_none());
        assert_eq!(c.len(), 7);
    }

    #[test]
    fn malformed_yaml_names_data_id_line_and_column() {
        let e = parse("bad.yaml", "a: 1\nb: [1, 2\nc: 3\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("public/DEFAULT_GROUP/bad.yaml"), "{e}");
        assert!(e.contains("line 3 column"), "{e}");
        let e = parse("tab.yaml", "a:\n\tb: 1\n").unwrap_err().to_string();
        assert!(e.contains("tab.yaml") && e.contains("line 2"), "{e}");
        let e = parse("list.yaml", "- a\n- b\n").unwrap_err().to_string();
        assert!(e.contains("top level must be a map"), "{e}");
    }

    #[test]
    fn json_flattens_and_reports_position() {
        let c = parse("x.json", r#"{"a": {"b": 1, "c": [1, "x y"]}, "d": null}"#).unwrap();
        assert_eq!(c.get_str("a.b"), Some("1"));
        assert_eq!(c.get_str("a.c"), Some("[1, x y]"));
        assert!(c.get("d").is_none());
        let e = parse("x.json", "{\n  \"a\": 1,\n  \"b\": }\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.json") && e.contains("line 3 column 8"), "{e}");
    }

    #[test]
    fn java_properties_syntax() {
        let text = "# comment\n! also\n  a.b = 1\nc:2\nd 3\nlong = one \\\n    two\n\
                    key\\ with\\ space = v\nuni = caf\\u00e9\\tx\nempty=\n";
        let c = parse("p.properties", text).unwrap();
        assert_eq!(c.get_str("a.b"), Some("1"));
        assert_eq!(c.get_str("c"), Some("2"));
        assert_eq!(c.get_str("d"), Some("3"));
        assert_eq!(c.get_str("long"), Some("one two"));
        assert_eq!(c.get_str("key with space"), Some("v"));
        assert_eq!(c.get_str("uni"), Some("café\tx"));
        assert_eq!(c.get_str("empty"), Some(""));
        assert_eq!(c.len(), 7);
    }

    #[test]
    fn malformed_properties_name_line_and_column() {
        let e = parse("p.properties", "a=1\nb=\\u12G4\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("p.properties") && e.contains("line 2 column 3"),
            "{e}"
        );
        let e = parse("p.properties", "a=1\n\n  =x\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3 column 3") && e.contains("no key"), "{e}");
    }

    #[test]
    fn text_has_no_keys() {
        let e = parse("job.sql", "SELECT 1").unwrap_err().to_string();
        assert!(e.contains("text document"), "{e}");
    }
}
