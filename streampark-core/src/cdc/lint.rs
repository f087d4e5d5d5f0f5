//! The lint: reads the YAML, walks its sections, reports each finding at its place.

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

use super::known::{
    CONNECTOR_KEYS, FLINK_SUPPORT, PIPELINE_KEYS, ROUTE_KEYS, SCHEMA_CHANGE_BEHAVIORS, SECTIONS,
    TRANSFORM_KEYS, options,
};
use super::locate::{Locator, Seg};
use super::pipeline::{
    ConnectorDef, LintLevel, LintOptions, PipelineDef, PipelineDiagnostic, PipelineReport,
    RouteDef, TransformDef,
};
use crate::sql::lints::edit_distance;

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        other => serde_yaml_ng::to_string(other)
            .ok()
            .map(|s| s.trim().to_string()),
    }
}

fn closest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    known
        .into_iter()
        .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), k))
        .filter(|(d, _)| *d > 0 && *d <= (lower.len() / 4).clamp(1, 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

struct Lint<'a> {
    loc: Locator,
    opts: &'a LintOptions,
    out: Vec<PipelineDiagnostic>,
}

impl Lint<'_> {
    fn push(
        &mut self,
        level: LintLevel,
        code: &'static str,
        path: &[Seg],
        message: String,
        fix: Option<String>,
    ) {
        let (line, column) = self.loc.find(path);
        self.out.push(PipelineDiagnostic {
            level,
            code,
            line,
            column,
            message,
            fix,
        });
    }

    fn error(&mut self, code: &'static str, path: &[Seg], message: String, fix: Option<String>) {
        self.push(LintLevel::Error, code, path, message, fix);
    }

    fn warn(&mut self, code: &'static str, path: &[Seg], message: String, fix: Option<String>) {
        self.push(LintLevel::Warning, code, path, message, fix);
    }

    /// Unknown keys of a fixed set (route, transform, pipeline rules).
    fn fixed_keys(
        &mut self,
        map: &serde_yaml_ng::Mapping,
        known: &[&str],
        path: &[Seg],
        what: &str,
    ) {
        for k in map.keys() {
            let Some(k) = text(k) else { continue };
            if known.contains(&k.as_str()) {
                continue;
            }
            let at = [path, &[Seg::Key(k.clone())]].concat();
            let fix = closest(&k, known.iter().copied()).map(|c| format!("write `{c}`"));
            self.error(
                "unknown-key",
                &at,
                format!("`{k}` is not a key of {what}"),
                fix.or_else(|| Some(format!("the keys are: {}", known.join(", ")))),
            );
        }
    }

    fn connector(&mut self, doc: &serde_yaml_ng::Mapping, kind: &str) -> Option<ConnectorDef> {
        let path = [Seg::Key(kind.to_string())];
        let Some(v) = doc.get(kind) else {
            self.error(
                "missing-section",
                &[],
                format!("no `{kind}` section: a pipeline needs a source and a sink"),
                Some(format!("add `{kind}:` with at least `type:`")),
            );
            return None;
        };
        let Value::Mapping(map) = v else {
            self.error(
                "not-a-mapping",
                &path,
                format!("`{kind}` must be a mapping of options"),
                None,
            );
            return None;
        };
        let ty_path = [Seg::Key(kind.to_string()), Seg::Key("type".into())];
        let Some(ty) = map.get("type").and_then(text) else {
            self.error(
                "missing-type",
                &path,
                format!("`{kind}` has no `type`"),
                Some(format!(
                    "add `type:` ({})",
                    options()
                        .types(options().release(self.opts.cdc), kind)
                        .join(", ")
                )),
            );
            return None;
        };
        let mut options_out = BTreeMap::new();
        for (k, v) in map {
            let (Some(k), Some(v)) = (text(k), text(v)) else {
                continue;
            };
            if k != "type" && k != "name" {
                options_out.insert(k, v);
            }
        }
        let def = ConnectorDef {
            kind: ty.clone(),
            name: map.get("name").and_then(text),
            options: options_out,
        };
        let o = options();
        let rel = o.release(self.opts.cdc);
        let Some(known) = o.get(rel, kind, &ty) else {
            let types = o.types(rel, kind);
            match o.added(kind, &ty) {
                Some(added) => self.error(
                    "needs-newer-cdc",
                    &ty_path,
                    format!(
                        "the `{ty}` {kind} arrived in Flink CDC {}.{}; this is {}",
                        added.0, added.1, self.opts.cdc
                    ),
                    Some(format!("run on Flink CDC {}.{} or later", added.0, added.1)),
                ),
                None => self.error(
                    "unknown-type",
                    &ty_path,
                    format!("Flink CDC {} has no `{ty}` {kind}", self.opts.cdc),
                    Some(match closest(&ty, types.iter().copied()) {
                        Some(c) => format!("write `{c}`"),
                        None => format!("the {kind}s are: {}", types.join(", ")),
                    }),
                ),
            }
            return Some(def);
        };
        for req in &known.required {
            if !map.contains_key(req.as_str()) {
                self.error(
                    "missing-option",
                    &path,
                    format!("the `{ty}` {kind} needs `{req}`"),
                    Some(format!("add `{req}:`")),
                );
            }
        }
        let all: Vec<&str> = known
            .required
            .iter()
            .chain(&known.optional)
            .map(String::as_str)
            .chain(CONNECTOR_KEYS.iter().copied())
            .collect();
        for k in map.keys() {
            let Some(k) = text(k) else { continue };
            if all.contains(&k.as_str()) || known.prefixes.iter().any(|p| k.starts_with(p)) {
                continue;
            }
            let at = [Seg::Key(kind.to_string()), Seg::Key(k.clone())];
            if let Some(added) = o.key_added(kind, &ty, &k) {
                self.error(
                    "needs-newer-cdc",
                    &at,
                    format!(
                        "`{k}` of the `{ty}` {kind} arrived in Flink CDC {}.{}; this is {}",
                        added.0, added.1, self.opts.cdc
                    ),
                    None,
                );
            } else if let Some(c) = closest(&k, all.iter().copied()) {
                self.error(
                    "unknown-option",
                    &at,
                    format!("the `{ty}` {kind} has no option `{k}`"),
                    Some(format!("write `{c}`")),
                );
            } else {
                self.warn(
                    "unknown-option",
                    &at,
                    format!(
                        "the `{ty}` {kind} of Flink CDC {} has no option `{k}`",
                        self.opts.cdc
                    ),
                    (!known.prefixes.is_empty()).then(|| {
                        format!(
                            "options passed through start with {}",
                            known.prefixes.join(" or ")
                        )
                    }),
                );
            }
        }
        for (k, v) in &def.options {
            let last = k.rsplit('.').next().unwrap_or(k).to_ascii_lowercase();
            let secret = last.contains("password") || last.contains("secret");
            if secret && !v.trim().is_empty() && !v.contains("${") {
                self.warn(
                    "literal-secret",
                    &[Seg::Key(kind.to_string()), Seg::Key(k.clone())],
                    format!("`{k}` is written in the file"),
                    Some(format!(
                        "put it in a secret variable and write `{k}: ${{name}}`"
                    )),
                );
            }
        }
        Some(def)
    }

    fn rules(
        &mut self,
        doc: &serde_yaml_ng::Mapping,
        section: &str,
    ) -> Vec<(usize, serde_yaml_ng::Mapping)> {
        let Some(v) = doc.get(section) else {
            return Vec::new();
        };
        let path = [Seg::Key(section.to_string())];
        let Value::Sequence(items) = v else {
            if !v.is_null() {
                self.error(
                    "not-a-list",
                    &path,
                    format!("`{section}` must be a list of rules (`- source-table: …`)"),
                    None,
                );
            }
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::Mapping(m) => out.push((i, m.clone())),
                _ => self.error(
                    "not-a-mapping",
                    &[Seg::Key(section.to_string()), Seg::Index(i)],
                    format!("rule {} of `{section}` must be a mapping", i + 1),
                    None,
                ),
            }
        }
        out
    }

    /// A rule's `source-table` against the source's `tables`.
    fn table_reference(
        &mut self,
        selector: &str,
        captured: &[regex::Regex],
        path: &[Seg],
        what: &str,
    ) {
        if captured.is_empty() {
            return;
        }
        for one in selector.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            // Only a plain name can be checked: two patterns may overlap in ways a regex
            // cannot tell.
            let name = one.replace("\\.", ".");
            if name.chars().any(|c| "*+?[](){}|^$\\".contains(c)) {
                continue;
            }
            if !captured.iter().any(|r| r.is_match(&name)) {
                self.error(
                    "route-undefined-table",
                    path,
                    format!("{what} names `{name}`, which the source's `tables` does not capture"),
                    Some("name a captured table, or add it to the source's `tables`".into()),
                );
            }
        }
    }

    fn pipeline_section(&mut self, doc: &serde_yaml_ng::Mapping) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(v) = doc.get("pipeline") else {
            return out;
        };
        let Value::Mapping(map) = v else {
            if !v.is_null() {
                self.error(
                    "not-a-mapping",
                    &[Seg::Key("pipeline".into())],
                    "`pipeline` must be a mapping of options".into(),
                    None,
                );
            }
            return out;
        };
        let names: Vec<&str> = PIPELINE_KEYS.iter().map(|(k, _)| *k).collect();
        for (k, v) in map {
            let Some(k) = text(k) else { continue };
            let at = [Seg::Key("pipeline".into()), Seg::Key(k.clone())];
            let value = text(v).unwrap_or_default();
            out.insert(k.clone(), value.clone());
            match PIPELINE_KEYS.iter().find(|(n, _)| *n == k) {
                None => {
                    // Flink options (`execution.checkpointing.interval`, …) are read by
                    // Flink, not by the pipeline: only a near miss of a pipeline key is an
                    // error.
                    if let Some(c) = closest(&k, names.iter().copied()) {
                        self.error(
                            "unknown-key",
                            &at,
                            format!("`{k}` is not a pipeline option"),
                            Some(format!("write `{c}`")),
                        );
                    }
                    continue;
                }
                Some((_, added)) if *added > self.opts.cdc.key() => {
                    self.error(
                        "needs-newer-cdc",
                        &at,
                        format!(
                            "`{k}` arrived in Flink CDC {}.{}; this is {}",
                            added.0, added.1, self.opts.cdc
                        ),
                        None,
                    );
                    continue;
                }
                Some(_) => {}
            }
            let one_of =
                |allowed: &[&str]| allowed.iter().any(|m| m.eq_ignore_ascii_case(value.trim()));
            let shown = short(&value);
            match k.as_str() {
                "schema.change.behavior" if !one_of(SCHEMA_CHANGE_BEHAVIORS) => {
                    let fix = match closest(&value, SCHEMA_CHANGE_BEHAVIORS.iter().copied()) {
                        Some(c) => format!("write `{c}`"),
                        None => format!("one of {}", SCHEMA_CHANGE_BEHAVIORS.join(", ")),
                    };
                    self.error(
                        "bad-value",
                        &at,
                        format!("`schema.change.behavior` cannot be `{shown}`"),
                        Some(fix),
                    );
                }
                "parallelism" if value.trim().parse::<u32>().is_ok_and(|p| p > 0) => {}
                "parallelism" => self.error(
                    "bad-value",
                    &at,
                    format!("`parallelism` must be a positive number, not `{shown}`"),
                    None,
                ),
                "execution.runtime-mode" if !one_of(&["STREAMING", "BATCH"]) => self.error(
                    "bad-value",
                    &at,
                    format!("`execution.runtime-mode` cannot be `{shown}`"),
                    Some("STREAMING or BATCH".into()),
                ),
                "route-mode" if !one_of(&["ALL_MATCH", "FIRST_MATCH"]) => self.error(
                    "bad-value",
                    &at,
                    format!("`route-mode` cannot be `{shown}`"),
                    Some("ALL_MATCH or FIRST_MATCH".into()),
                ),
                "schema-operator.rpc-timeout"
                    if crate::config::parse_flink_duration(&value).is_none() =>
                {
                    self.error(
                        "bad-value",
                        &at,
                        format!("`{k}` is not a duration: `{shown}`"),
                        Some("e.g. `3min` or `180 s`".into()),
                    );
                }
                "schema.operator.uid" => self.warn(
                    "deprecated-key",
                    &at,
                    "`schema.operator.uid` is deprecated".into(),
                    Some("use `operator.uid.prefix`".into()),
                ),
                _ => {}
            }
        }
        out
    }

    fn flink_support(&mut self) {
        let Some(flink) = &self.opts.flink else {
            return;
        };
        let Some((_, supported)) = FLINK_SUPPORT
            .iter()
            .find(|(c, _)| *c == self.opts.cdc.key())
        else {
            return;
        };
        if !supported.contains(&flink.minor_version()) {
            let list: Vec<String> = supported.iter().map(|(a, b)| format!("{a}.{b}")).collect();
            self.error(
                "flink-version",
                &[],
                format!(
                    "Flink CDC {} does not support Flink {}.{}",
                    self.opts.cdc,
                    flink.major(),
                    flink.minor()
                ),
                Some(format!("run it on Flink {}", list.join(", "))),
            );
        }
    }
}

fn short(s: &str) -> String {
    let t: String = s.chars().take(40).collect();
    if t.len() < s.len() {
        format!("{t}…")
    } else {
        t
    }
}

/// The source's `tables` as anchored regexes: `db.table` with each part a regex, `.` between
/// the parts and `\.` for the regex `.` inside one, as Flink CDC's selectors read them.
fn captured(source: &ConnectorDef) -> Vec<regex::Regex> {
    let Some(tables) = source.options.get("tables") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for one in tables.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        // Split on dots that are not escaped.
        let mut parts = Vec::new();
        let mut cur = String::new();
        let mut chars = one.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                // `\.` is the regex `.` (any character); a bare `.` separates database,
                // schema and table (Flink CDC's selector syntax).
                '\\' if chars.peek() == Some(&'.') => {
                    chars.next();
                    cur.push('.');
                }
                '.' => parts.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        parts.push(cur);
        let pattern = format!("^{}$", parts.join("\\."));
        match regex::RegexBuilder::new(&pattern)
            .size_limit(1 << 20)
            .build()
        {
            Ok(r) => out.push(r),
            // A selector we cannot read: do not guess what it captures.
            Err(_) => return Vec::new(),
        }
    }
    out
}

/// Reads and checks a Flink CDC pipeline definition (see the [module docs](super)).
pub fn lint_pipeline(yaml: &str, opts: &LintOptions) -> PipelineReport {
    let mut lint = Lint {
        loc: Locator::new(yaml),
        opts,
        out: Vec::new(),
    };
    let doc: Value = match serde_yaml_ng::from_str(yaml) {
        Ok(v) => v,
        Err(e) => {
            let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            return PipelineReport {
                diagnostics: vec![PipelineDiagnostic {
                    level: LintLevel::Error,
                    code: "yaml-syntax",
                    line,
                    column,
                    message: msg,
                    fix: None,
                }],
                pipeline: None,
            };
        }
    };
    let Value::Mapping(doc) = doc else {
        lint.error(
            "not-a-mapping",
            &[],
            "a pipeline definition is a mapping with `source`, `sink`, … at the top".into(),
            None,
        );
        return PipelineReport {
            diagnostics: lint.out,
            pipeline: None,
        };
    };
    for k in doc.keys() {
        let Some(k) = text(k) else { continue };
        if !SECTIONS.contains(&k.as_str()) {
            let fix = closest(&k, SECTIONS.iter().copied())
                .map(|c| format!("write `{c}`"))
                .or_else(|| Some(format!("the sections are: {}", SECTIONS.join(", "))));
            lint.error(
                "unknown-section",
                &[Seg::Key(k.clone())],
                format!("`{k}` is not a section of a pipeline definition"),
                fix,
            );
        }
    }
    lint.flink_support();
    let source = lint.connector(&doc, "source");
    let sink = lint.connector(&doc, "sink");
    let captured = source.as_ref().map(captured).unwrap_or_default();
    let mut routes = Vec::new();
    for (i, rule) in lint.rules(&doc, "route") {
        let path = [Seg::Key("route".into()), Seg::Index(i)];
        lint.fixed_keys(&rule, ROUTE_KEYS, &path, "a route rule");
        let get = |k: &str| rule.get(k).and_then(text);
        for req in ["source-table", "sink-table"] {
            if get(req).is_none() {
                lint.error(
                    "missing-option",
                    &path,
                    format!("route rule {} has no `{req}`", i + 1),
                    Some(format!("add `{req}:`")),
                );
            }
        }
        if let Some(src) = get("source-table") {
            let at = [
                Seg::Key("route".into()),
                Seg::Index(i),
                Seg::Key("source-table".into()),
            ];
            lint.table_reference(&src, &captured, &at, &format!("route rule {}", i + 1));
            routes.push(RouteDef {
                source_table: src,
                sink_table: get("sink-table").unwrap_or_default(),
                replace_symbol: get("replace-symbol"),
            });
        }
    }
    let mut transforms = Vec::new();
    for (i, rule) in lint.rules(&doc, "transform") {
        let path = [Seg::Key("transform".into()), Seg::Index(i)];
        lint.fixed_keys(&rule, TRANSFORM_KEYS, &path, "a transform rule");
        let Some(src) = rule.get("source-table").and_then(text) else {
            lint.error(
                "missing-option",
                &path,
                format!("transform rule {} has no `source-table`", i + 1),
                Some("add `source-table:`".into()),
            );
            continue;
        };
        let at = [
            Seg::Key("transform".into()),
            Seg::Index(i),
            Seg::Key("source-table".into()),
        ];
        lint.table_reference(&src, &captured, &at, &format!("transform rule {}", i + 1));
        let options = rule
            .iter()
            .filter_map(|(k, v)| Some((text(k)?, text(v)?)))
            .collect();
        transforms.push(TransformDef {
            source_table: src,
            options,
        });
    }
    let pipeline = lint.pipeline_section(&doc);
    let mut diagnostics = lint.out;
    diagnostics.sort_by_key(|d| (d.line, d.column));
    PipelineReport {
        diagnostics,
        pipeline: match (source, sink) {
            (Some(source), Some(sink)) => Some(PipelineDef {
                source,
                sink,
                routes,
                transforms,
                pipeline,
            }),
            _ => None,
        },
    }
}
