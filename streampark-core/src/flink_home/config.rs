//! Reading a Flink configuration file into flat `key -> value` pairs: `config.yaml` (Flink 1.19+
//! and 2.x, standard YAML, nested maps joined with `.`) or the legacy `flink-conf.yaml` (one
//! `key: value` per line, Flink's own simple parser).

use std::collections::BTreeMap;
use std::path::Path;

use crate::Error;

/// Largest configuration file read (real ones are a few KiB).
const MAX_CONFIG: u64 = 4 * 1024 * 1024;

pub(crate) fn read_flat(path: &Path) -> Result<BTreeMap<String, String>, Error> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    if meta.len() > MAX_CONFIG {
        return Err(Error::invalid_input(
            "flink",
            "Flink configuration file",
            path.display().to_string(),
            format!("larger than {MAX_CONFIG} bytes"),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    if path.file_name().and_then(|n| n.to_str()) == Some("flink-conf.yaml") {
        Ok(parse_legacy(&text))
    } else {
        parse_yaml(&text, path)
    }
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Other {
        backend: "flink",
        message: format!("cannot read Flink configuration `{}`", path.display()),
        source: Some(Box::new(e)),
    }
}

/// Flink's legacy parser: `key: value` per line, `#` starts a comment, no nesting.
pub(crate) fn parse_legacy(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.split_once('#').map_or(line, |(a, _)| a).trim();
        if let Some((k, v)) = line.split_once(": ") {
            let (k, v) = (k.trim(), v.trim());
            if !k.is_empty() && !v.is_empty() {
                out.insert(k.to_string(), v.to_string());
            }
        }
    }
    out
}

pub(crate) fn parse_yaml(text: &str, path: &Path) -> Result<BTreeMap<String, String>, Error> {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(|e| {
        let at = match e.location() {
            Some(l) => format!("{}:{}:{}", path.display(), l.line(), l.column()),
            None => path.display().to_string(),
        };
        Error::invalid_input("flink", "Flink configuration YAML", at, "malformed YAML")
    })?;
    let mut out = BTreeMap::new();
    flatten(&doc, String::new(), &mut out, 0);
    Ok(out)
}

fn flatten(
    v: &serde_yaml_ng::Value,
    prefix: String,
    out: &mut BTreeMap<String, String>,
    depth: u32,
) {
    use serde_yaml_ng::Value;
    if depth > 32 {
        return;
    }
    match v {
        Value::Mapping(m) => {
            for (k, child) in m {
                let key = match k {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => continue,
                };
                let full = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(child, full, out, depth + 1);
            }
        }
        Value::Null => {}
        Value::String(s) => {
            out.insert(prefix, s.clone());
        }
        Value::Bool(b) => {
            out.insert(prefix, b.to_string());
        }
        Value::Number(n) => {
            out.insert(prefix, n.to_string());
        }
        Value::Sequence(items) => {
            // Flink lists are written `a;b` in flat form.
            let parts: Vec<String> = items
                .iter()
                .filter_map(|i| match i {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                })
                .collect();
            out.insert(prefix, parts.join(";"));
        }
        Value::Tagged(t) => flatten(&t.value, prefix, out, depth + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_and_flat_yaml_agree() {
        let nested = "security:\n  kerberos:\n    login:\n      keytab: /etc/k.keytab\nrest.port: 8081\nenv.java.opts.all: -Xss2m\nlist: [a, b]\n";
        let m = parse_yaml(nested, Path::new("config.yaml")).unwrap();
        assert_eq!(m["security.kerberos.login.keytab"], "/etc/k.keytab");
        assert_eq!(m["rest.port"], "8081");
        assert_eq!(m["list"], "a;b");
    }

    #[test]
    fn malformed_yaml_names_file_and_line() {
        let e = parse_yaml("a: [1,\nb: }", Path::new("/x/config.yaml")).unwrap_err();
        assert!(e.to_string().contains("/x/config.yaml:"), "{e}");
    }

    #[test]
    fn legacy_parser_is_line_based() {
        let m = parse_legacy("# c\njobmanager.rpc.address: host-1  # trailing\nbad line\nk:v\n");
        assert_eq!(m["jobmanager.rpc.address"], "host-1");
        assert_eq!(m.len(), 1);
    }
}
