//! Flink configuration keys by release, and conversion between the legacy `flink-conf.yaml`
//! (Flink 1.x: one `key: value` per line) and the standard-YAML `config.yaml` (Flink 1.19+, the
//! only file Flink 2.0+ reads).
//!
//! # The key table
//! [`rules`] lists every configuration key that a Flink release from 1.14 on deprecates or stops
//! reading, with its replacement where there is one. It was built from facts, not memory:
//!
//! - every `ConfigOption` declared in the `flink-dist`, `flink-table-api-java-uber` (1.14:
//!   `flink-table_2.11`) and table-planner jars of Flink 1.14.6, 1.17.2, 1.20.5 and 2.3.0, with
//!   the option's `@Deprecated` mark and its deprecated and fallback keys
//!   (`withDeprecatedKeys`/`withFallbackKeys`), read from the jars by reflection;
//! - the list of removed configuration options and removed classes (`AkkaOptions`,
//!   `ExecutionCheckpointingOptions`, `StreamPipelineOptions`) in the Flink 2.0 release notes.
//!
//! Where the two disagree the jars win: the 2.0 release notes list, for example,
//! `taskmanager.network.memory.fraction` and `web.port` as removed, yet Flink 2.3.0 still reads
//! them as deprecated keys of `taskmanager.memory.network.fraction` and `rest.port`.
//! Release numbers in the table are the first *checked* release (1.14, 1.17, 1.20, 2.0 for
//! removals named by the 2.0 notes, 2.3) showing the change: "deprecated in 1.17" means
//! "not yet in 1.14.6, already in 1.17.2".
//!
//! ```
//! use streampark_core::FlinkVersion;
//! use streampark_core::flink_home::keys::{self, KeyChange};
//! let from: FlinkVersion = "1.14.6".parse()?;
//! let to: FlinkVersion = "2.3".parse()?;
//! let found = keys::check(["state.backend", "web.ssl.enabled", "parallelism.default"], &from, &to);
//! assert_eq!(found.len(), 2);
//! assert_eq!(found[0].key, "state.backend");
//! assert_eq!(found[0].change, KeyChange::Deprecated); // 2.3 still reads it ...
//! assert_eq!(found[0].replacement.as_deref(), Some("state.backend.type")); // ... but prefers this
//! assert_eq!(found[1].change, KeyChange::Removed); // 2.x ignores it
//! assert_eq!(found[1].code(), "FLINK_KEY_REMOVED");
//! # Ok::<(), streampark_core::Error>(())
//! ```
//!
//! # Conversion
//! [`convert_flink_conf_to_config_yaml`] and [`convert_config_yaml_to_flink_conf`] (and their
//! `_with` forms taking [`ConvertOptions`]) turn one format into the other:
//!
//! - `flink-conf.yaml` is read with Flink's own line rules (the parser in `config.rs`: `#` starts
//!   a comment anywhere on a line, the first `": "` splits key and value, both are trimmed, values
//!   are raw strings, a later duplicate wins); lists stay `a;b` strings, which Flink 2.x still
//!   parses for list options;
//! - `config.yaml` output nests keys by their `.` segments in first-seen order, quotes every value
//!   that YAML would otherwise read as something else (numbers that are not plain integers,
//!   booleans and nulls of YAML 1.1 and 1.2, indicators, `: `, ` #`), and writes a key that is both
//!   a value and a prefix of other keys (`restart-strategy` next to
//!   `restart-strategy.fixed-delay.attempts`) as flat dotted keys, which Flink reads the same way;
//! - comments are kept: in `config.yaml` output before the key (or the map it opened) that
//!   followed them, in `flink-conf.yaml` output before the top-level block they preceded;
//! - with [`ConvertOptions::rewrite_keys_for`], keys that the target release reads under another
//!   name are renamed (an old key whose new key is also set is dropped, as Flink itself prefers the
//!   new key) and a comment names the old key.
//!
//! ```
//! use streampark_core::flink_home::keys::{self, ConvertOptions};
//! let legacy = "# checkpoints\nstate.backend: rocksdb\nstate.checkpoints.dir: hdfs:///ckpt\nparallelism.default: 2\n";
//! let yaml = keys::convert_flink_conf_to_config_yaml_with(
//!     legacy,
//!     &ConvertOptions::new().rewrite_keys_for("2.3".parse()?),
//! )?;
//! assert!(yaml.contains("# checkpoints\n"));
//! assert!(yaml.contains("    type: rocksdb\n"), "{yaml}");
//! assert!(yaml.contains("execution:\n  checkpointing:\n    dir: hdfs:///ckpt\n"), "{yaml}");
//! let back = keys::convert_config_yaml_to_flink_conf(&yaml)?;
//! assert!(back.contains("execution.checkpointing.dir: hdfs:///ckpt\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Neither function ever panics; malformed input is a [`FlinkConfError`] naming the line and
//! what is wrong, and no error shows a configuration value (passwords, tokens, keytabs).

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::path::Path;

use serde::Serialize;

use super::config;
use crate::FlinkVersion;

/// Largest configuration text converted (real ones are a few KiB).
pub const MAX_CONF_BYTES: usize = 4 * 1024 * 1024;

/// Where a [`KeyRule`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum RuleSource {
    /// The `ConfigOption` declarations in the checked releases' jars.
    Jars,
    /// The jars, and the Flink 2.0 release notes' list of removed configuration options.
    NotesAndJars,
}
use RuleSource as Src;

/// One configuration key that a Flink release deprecates or stops reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyRule {
    /// The key, as written in a configuration file.
    pub key: &'static str,
    /// First checked release (`(major, minor)`) that marks it deprecated.
    pub deprecated_in: Option<(u32, u32)>,
    /// First checked release that no longer reads it.
    pub removed_in: Option<(u32, u32)>,
    /// The key to use instead, if any.
    pub replacement: Option<&'static str>,
    /// What to do, when renaming alone is not the answer (empty otherwise).
    pub note: &'static str,
    /// Whether [`KeyRule::replacement`] takes the same value (Flink reads the old key as a
    /// deprecated or fallback key of it), so the key can be renamed mechanically.
    pub alias: bool,
    /// Where the facts come from.
    pub source: RuleSource,
}

#[allow(clippy::too_many_arguments)]
const fn rule(
    key: &'static str,
    deprecated_in: Option<(u32, u32)>,
    removed_in: Option<(u32, u32)>,
    replacement: Option<&'static str>,
    note: &'static str,
    alias: bool,
    source: RuleSource,
) -> KeyRule {
    KeyRule {
        key,
        deprecated_in,
        removed_in,
        replacement,
        note,
        alias,
        source,
    }
}

/// Every known rule, sorted by key.
pub fn rules() -> &'static [KeyRule] {
    RULES
}

/// The rule for `key`, if it has one.
pub fn lookup(key: &str) -> Option<&'static KeyRule> {
    RULES
        .binary_search_by(|r| r.key.cmp(key))
        .ok()
        .map(|i| &RULES[i])
}

/// What happened to a key in the target release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum KeyChange {
    /// The target release ignores the key and nothing replaces it.
    Removed,
    /// The target release ignores the key; its setting lives under [`KeyFinding::replacement`].
    Renamed,
    /// The target release still reads the key but marks it deprecated.
    Deprecated,
}

/// A key of a configuration that the target release treats differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct KeyFinding {
    /// The key as found.
    pub key: String,
    /// What happened to it.
    pub change: KeyChange,
    /// The checked release in which it happened, `"2.0"`.
    pub since: String,
    /// The key to use instead, if any.
    pub replacement: Option<String>,
    /// Whether the replacement takes the same value (a mechanical rename).
    pub alias: bool,
    /// What to do, when renaming alone is not the answer.
    pub note: Option<String>,
    /// Whether the source release already ignored the key (dead configuration).
    pub ignored_by_source: bool,
}

impl KeyFinding {
    /// A stable code: `FLINK_KEY_REMOVED`, `FLINK_KEY_RENAMED` or `FLINK_KEY_DEPRECATED`.
    pub fn code(&self) -> &'static str {
        match self.change {
            KeyChange::Removed => "FLINK_KEY_REMOVED",
            KeyChange::Renamed => "FLINK_KEY_RENAMED",
            KeyChange::Deprecated => "FLINK_KEY_DEPRECATED",
        }
    }

    /// Whether the target release ignores the key ([`KeyChange::Removed`] or
    /// [`KeyChange::Renamed`]): its setting is lost unless the file is changed.
    pub fn is_ignored_by_target(&self) -> bool {
        matches!(self.change, KeyChange::Removed | KeyChange::Renamed)
    }
}

impl fmt::Display for KeyFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.change {
            KeyChange::Removed => "removed",
            KeyChange::Renamed => "renamed",
            KeyChange::Deprecated => "deprecated",
        };
        write!(
            f,
            "{}: `{}` {what} in Flink {}",
            self.code(),
            self.key,
            self.since
        )?;
        if let Some(r) = &self.replacement {
            write!(f, "; use `{r}`")?;
        }
        if let Some(n) = &self.note {
            write!(f, " ({n})")?;
        }
        Ok(())
    }
}

fn release(v: &FlinkVersion) -> (u32, u32) {
    (v.major(), v.minor())
}

/// The finding for one key moving from release `from` to `to`, if any.
pub fn check_key(key: &str, from: &FlinkVersion, to: &FlinkVersion) -> Option<KeyFinding> {
    let rule = lookup(key.trim())?;
    let to_r = release(to);
    let (change, since) = match (rule.removed_in, rule.deprecated_in) {
        (Some(r), _) if r <= to_r => {
            let c = if rule.replacement.is_some() {
                KeyChange::Renamed
            } else {
                KeyChange::Removed
            };
            (c, r)
        }
        (_, Some(d)) if d <= to_r => (KeyChange::Deprecated, d),
        _ => return None,
    };
    Some(KeyFinding {
        key: rule.key.to_string(),
        change,
        since: format!("{}.{}", since.0, since.1),
        replacement: rule.replacement.map(str::to_string),
        alias: rule.alias,
        note: (!rule.note.is_empty()).then(|| rule.note.to_string()),
        ignored_by_source: rule.removed_in.is_some_and(|r| r <= release(from)),
    })
}

/// Findings for `keys` (in their order, each key once) when a configuration written for
/// release `from` is used with release `to`.
///
/// ```
/// use streampark_core::flink_home::keys;
/// let f = keys::check(["env.java.opts", "taskmanager.net.transport"], &"1.14".parse()?, &"2.3".parse()?);
/// assert_eq!(f[0].replacement.as_deref(), Some("env.java.opts.all"));
/// assert!(!f[0].is_ignored_by_target());
/// assert!(f[1].is_ignored_by_target());
/// // Nothing changed for these keys between 1.14 and 1.17:
/// assert!(keys::check(["taskmanager.heap.size"], &"1.14".parse()?, &"1.17".parse()?)[0].change
///     == keys::KeyChange::Deprecated);
/// # Ok::<(), streampark_core::Error>(())
/// ```
pub fn check<'a>(
    keys: impl IntoIterator<Item = &'a str>,
    from: &FlinkVersion,
    to: &FlinkVersion,
) -> Vec<KeyFinding> {
    let mut seen = std::collections::HashSet::new();
    keys.into_iter()
        .filter(|k| seen.insert(k.trim().to_string()))
        .filter_map(|k| check_key(k, from, to))
        .collect()
}

/// Malformed configuration text. Never shows a configuration value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlinkConfError {
    /// A `flink-conf.yaml` line that Flink's parser would skip.
    #[error("flink-conf.yaml line {line}: {reason}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// `config.yaml` text that is not valid YAML.
    #[error("config.yaml line {line}, column {column}: malformed YAML")]
    Yaml {
        /// 1-based line number (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
    },
    /// `config.yaml` whose top level is not a mapping.
    #[error("config.yaml: the top level is not a mapping of keys")]
    NotAMapping,
    /// A key or value that the target format cannot represent.
    #[error("key `{key}`: {reason}")]
    Unrepresentable {
        /// The configuration key.
        key: String,
        /// Why (the value itself is never shown).
        reason: &'static str,
    },
    /// Text larger than [`MAX_CONF_BYTES`].
    #[error("configuration text of {len} bytes is larger than {MAX_CONF_BYTES} bytes")]
    TooLarge {
        /// Its length in bytes.
        len: usize,
    },
}

impl FlinkConfError {
    /// A stable code: `FLINK_CONF_MALFORMED`, `FLINK_CONF_YAML`, `FLINK_CONF_NOT_A_MAPPING`,
    /// `FLINK_CONF_UNREPRESENTABLE`, `FLINK_CONF_TOO_LARGE`.
    pub fn code(&self) -> &'static str {
        match self {
            FlinkConfError::Malformed { .. } => "FLINK_CONF_MALFORMED",
            FlinkConfError::Yaml { .. } => "FLINK_CONF_YAML",
            FlinkConfError::NotAMapping => "FLINK_CONF_NOT_A_MAPPING",
            FlinkConfError::Unrepresentable { .. } => "FLINK_CONF_UNREPRESENTABLE",
            FlinkConfError::TooLarge { .. } => "FLINK_CONF_TOO_LARGE",
        }
    }
}

/// Options of the conversions.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ConvertOptions {
    rewrite_for: Option<FlinkVersion>,
    lenient: bool,
}

impl ConvertOptions {
    /// Keys as they are, malformed lines are errors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Renames keys for release `target`: toward `target`'s name for keys it reads under a new
    /// name (only mechanical renames, [`KeyRule::alias`]); for a `target` older than the
    /// rename, back to the old name.
    pub fn rewrite_keys_for(mut self, target: FlinkVersion) -> Self {
        self.rewrite_for = Some(target);
        self
    }

    /// Keeps `flink-conf.yaml` lines that Flink would skip (no `": "`, empty key or value) as
    /// comments instead of failing.
    pub fn lenient(mut self, lenient: bool) -> Self {
        self.lenient = lenient;
        self
    }
}

/// One entry read from a file, in order, with the comment lines before it.
struct Entry {
    key: String,
    value: String,
    comments: Vec<String>,
}

/// What a `flink-conf.yaml` line is, by Flink's rules.
fn legacy_line(line: &str) -> Result<Option<(String, String)>, &'static str> {
    let code = line.split_once('#').map_or(line, |(a, _)| a).trim();
    if code.is_empty() {
        return Ok(None);
    }
    // Flink's own rules, shared with `FlinkHome::read_config`.
    if let Some((k, v)) = config::parse_legacy(code).into_iter().next() {
        return Ok(Some((k, v)));
    }
    Err(match code.split_once(": ") {
        None => "not a `key: value` line (Flink needs a space after `:`), Flink skips it",
        Some((k, _)) if k.trim().is_empty() => "empty key, Flink skips the line",
        Some(_) => "empty value, Flink skips the line",
    })
}

fn check_size(text: &str) -> Result<(), FlinkConfError> {
    if text.len() > MAX_CONF_BYTES {
        return Err(FlinkConfError::TooLarge { len: text.len() });
    }
    Ok(())
}

fn read_legacy(text: &str, lenient: bool) -> Result<(Vec<Entry>, Vec<String>), FlinkConfError> {
    check_size(text)?;
    let mut entries: Vec<Entry> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut pending: Vec<String> = Vec::new();
    for (n, raw) in java_lines(text).enumerate() {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            pending.push(String::new());
            continue;
        }
        if trimmed.starts_with('#') {
            pending.push(trimmed.to_string());
            continue;
        }
        match legacy_line(raw) {
            Ok(Some((k, v))) => {
                if let Some((_, c)) = raw.split_once('#') {
                    pending.push(format!("#{}", c.trim_end()));
                }
                if let Some(&i) = index.get(&k) {
                    // Flink keeps the last value; keep the first position.
                    entries[i].value = v;
                    entries[i].comments.append(&mut pending);
                    entries[i].comments.push(format!(
                        "# (`{k}` is set again on line {}; Flink uses the last value)",
                        n + 1
                    ));
                } else {
                    index.insert(k.clone(), entries.len());
                    entries.push(Entry {
                        key: k,
                        value: v,
                        comments: std::mem::take(&mut pending),
                    });
                }
            }
            Ok(None) => pending.push(trimmed.to_string()),
            Err(reason) if lenient => {
                pending.push(format!("# ignored by Flink (line {}): {reason}", n + 1));
            }
            Err(reason) => {
                return Err(FlinkConfError::Malformed {
                    line: n + 1,
                    reason,
                });
            }
        }
    }
    Ok((entries, pending))
}

/// Applies [`ConvertOptions::rewrite_keys_for`].
fn rewrite(entries: Vec<Entry>, target: Option<&FlinkVersion>) -> Vec<Entry> {
    let Some(target) = target else {
        return entries;
    };
    let t = release(target);
    let present: std::collections::HashSet<String> =
        entries.iter().map(|e| e.key.clone()).collect();
    let mut out = Vec::with_capacity(entries.len());
    for mut e in entries {
        let forward = lookup(&e.key).filter(|r| {
            r.alias && r.replacement.is_some() && r.deprecated_in.is_some_and(|d| d <= t)
        });
        if let Some(r) = forward {
            let new = r.replacement.unwrap_or_default();
            if present.contains(new) {
                // Flink prefers the new key when both are set.
                let mut c = e.comments;
                c.push(format!(
                    "# dropped `{}`: `{new}` is set too and wins",
                    e.key
                ));
                out.push(Entry {
                    key: String::new(),
                    value: String::new(),
                    comments: c,
                });
                continue;
            }
            e.comments.push(format!("# renamed from `{}`", e.key));
            e.key = new.to_string();
        } else if let Some(r) = RULES.iter().find(|r| {
            r.alias
                && r.replacement == Some(e.key.as_str())
                && r.deprecated_in.is_some_and(|d| t < d)
                && !present.contains(r.key)
        }) {
            e.comments.push(format!("# renamed from `{}`", e.key));
            e.key = r.key.to_string();
        }
        out.push(e);
    }
    out
}

/// Converts a Flink 1.x `flink-conf.yaml` into a standard-YAML `config.yaml`, keys as they are.
///
/// # Errors
/// [`FlinkConfError::Malformed`] for a line Flink would skip, [`FlinkConfError::TooLarge`].
pub fn convert_flink_conf_to_config_yaml(text: &str) -> Result<String, FlinkConfError> {
    convert_flink_conf_to_config_yaml_with(text, &ConvertOptions::new())
}

/// [`convert_flink_conf_to_config_yaml`] with options.
///
/// # Errors
/// As [`convert_flink_conf_to_config_yaml`] (no `Malformed` when lenient).
pub fn convert_flink_conf_to_config_yaml_with(
    text: &str,
    options: &ConvertOptions,
) -> Result<String, FlinkConfError> {
    let (entries, trailing) = read_legacy(text, options.lenient)?;
    let entries = rewrite(entries, options.rewrite_for.as_ref());
    let mut root = Node::default();
    let mut loose: Vec<String> = Vec::new();
    for e in entries {
        if e.key.is_empty() {
            loose.extend(e.comments);
            continue;
        }
        let mut comments = std::mem::take(&mut loose);
        comments.extend(e.comments);
        root.insert(&e.key, e.value, comments);
    }
    let mut out = String::new();
    root.emit(&mut out, 0, "");
    loose.extend(trailing);
    emit_comments(&mut out, &loose, 0);
    Ok(out)
}

/// A nested `config.yaml` map in first-seen order.
#[derive(Default)]
struct Node {
    value: Option<String>,
    comments: Vec<String>,
    children: Vec<(String, Node)>,
}

impl Node {
    fn child(&mut self, seg: &str) -> (&mut Node, bool) {
        match self.children.iter().position(|(k, _)| k == seg) {
            Some(i) => (&mut self.children[i].1, false),
            None => {
                self.children.push((seg.to_string(), Node::default()));
                let last = self.children.len() - 1;
                (&mut self.children[last].1, true)
            }
        }
    }

    fn insert(&mut self, key: &str, value: String, comments: Vec<String>) {
        let mut node = self;
        let mut comments = Some(comments);
        // `a..b`, `.a`, `a.` cannot nest (an empty map key): such a key stays flat.
        let segs: Vec<&str> = if key.split('.').any(str::is_empty) {
            vec![key]
        } else {
            key.split('.').collect()
        };
        for seg in segs {
            let (next, created) = node.child(seg);
            if created && let Some(c) = comments.take() {
                next.comments = c;
            }
            node = next;
        }
        if let Some(c) = comments {
            node.comments.extend(c);
        }
        node.value = Some(value);
    }

    /// Writes the children of `self`, `prefix` being the dotted path already written on this
    /// line level for flat keys (empty for nested ones).
    fn emit(&self, out: &mut String, indent: usize, prefix: &str) {
        for (seg, node) in &self.children {
            let name = if prefix.is_empty() {
                seg.clone()
            } else {
                format!("{prefix}.{seg}")
            };
            emit_comments(out, &node.comments, indent);
            let pad = " ".repeat(indent);
            if let Some(v) = &node.value {
                let _ = writeln!(out, "{pad}{}: {}", yaml_scalar(&name), yaml_scalar(v));
                // A key that is also a prefix: the rest stays flat at this level.
                node.emit(out, indent, &name);
            } else if prefix.is_empty() {
                let _ = writeln!(out, "{pad}{}:", yaml_scalar(&name));
                node.emit(out, indent + 2, "");
            } else {
                node.emit(out, indent, &name);
            }
        }
    }
}

fn emit_comments(out: &mut String, comments: &[String], indent: usize) {
    let pad = " ".repeat(indent);
    for c in comments {
        if c.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{pad}{}", clean_comment(c));
        }
    }
}

/// Words YAML 1.1 or 1.2 reads as booleans or null.
const SPECIAL_WORDS: &[&str] = &[
    "y", "yes", "n", "no", "on", "off", "null", "~", "nan", ".nan", "inf", ".inf", "-.inf", "+.inf",
];

/// `s` as a YAML scalar that any YAML reader reads back as the same string.
fn yaml_scalar(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else if s.chars().any(is_yaml_break_or_control) {
        yaml_double_quoted(s)
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// Characters YAML reads as line breaks (`\u{85}`, `\u{2028}`, `\u{2029}`), a BOM, or any
/// control character: only a double-quoted scalar with escapes keeps them.
fn is_yaml_break_or_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

fn yaml_double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if is_yaml_break_or_control(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A comment line that stays one comment line in either format.
fn clean_comment(c: &str) -> String {
    c.chars()
        .map(|ch| {
            if is_yaml_break_or_control(ch) && ch != '\t' {
                ' '
            } else {
                ch
            }
        })
        .collect()
}

/// Lines as Java's `BufferedReader.readLine` (Flink's legacy reader) splits them.
fn java_lines(text: &str) -> impl Iterator<Item = &str> {
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix(['\n', '\r']))
        .unwrap_or(text);
    let mut rest = if text.is_empty() { None } else { Some(text) };
    std::iter::from_fn(move || {
        let r = rest?;
        match r.find(['\n', '\r']) {
            Some(i) => {
                let skip = if r[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&r[i + skip..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

fn is_plain_safe(s: &str) -> bool {
    if s.is_empty() || s.trim() != s || s.chars().any(is_yaml_break_or_control) {
        return false;
    }
    if SPECIAL_WORDS.contains(&s.to_ascii_lowercase().as_str())
        || (s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false"))
            && s != "true"
            && s != "false"
    {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !(first == '-' && s.len() > 1 && !s[1..].starts_with(' '))
    {
        return false;
    }
    if s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.contains(['{', '}', '[', ']', ',']) && first == '-'
    {
        return false;
    }
    // Anything number-like that is not a plain decimal integer (0755, 1_000, 1.50, 0x1F, 1e3, 1:20).
    if first.is_ascii_digit()
        || first == '+'
        || first == '.'
        || (first == '-' && s[1..].starts_with(|c: char| c.is_ascii_digit() || c == '.'))
    {
        let body = s.strip_prefix('-').unwrap_or(s);
        let plain_int = !body.is_empty()
            && body.bytes().all(|b| b.is_ascii_digit())
            && (body == "0" || !body.starts_with('0'));
        if !plain_int && looks_numeric(s) {
            return false;
        }
    }
    // Last word: whatever the YAML reader here makes of it must be this very string.
    matches!(serde_yaml_ng::from_str::<serde_yaml_ng::Value>(s), Ok(serde_yaml_ng::Value::String(ref t)) if t == s)
        || is_plain_int(s)
        || s == "true"
        || s == "false"
}

fn is_plain_int(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    !body.is_empty()
        && body.len() < 19
        && body.bytes().all(|b| b.is_ascii_digit())
        && (body == "0" || !body.starts_with('0'))
}

/// Whether a YAML 1.1 or 1.2 reader could take `s` for a number.
fn looks_numeric(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_hexdigit() || "+-._:xXoObB".contains(c))
}

/// Converts a standard-YAML `config.yaml` into a legacy `flink-conf.yaml`, keys as they are.
///
/// # Errors
/// [`FlinkConfError::Yaml`] for malformed YAML, [`FlinkConfError::NotAMapping`],
/// [`FlinkConfError::Unrepresentable`] for a key or value the line format cannot hold (a `#`,
/// a line break, surrounding spaces), [`FlinkConfError::TooLarge`].
pub fn convert_config_yaml_to_flink_conf(text: &str) -> Result<String, FlinkConfError> {
    convert_config_yaml_to_flink_conf_with(text, &ConvertOptions::new())
}

/// [`convert_config_yaml_to_flink_conf`] with options.
///
/// # Errors
/// As [`convert_config_yaml_to_flink_conf`].
pub fn convert_config_yaml_to_flink_conf_with(
    text: &str,
    options: &ConvertOptions,
) -> Result<String, FlinkConfError> {
    check_size(text)?;
    // Values by the same reader as `FlinkHome::read_config`.
    let flat = config::parse_yaml(text, Path::new("config.yaml")).map_err(|_| yaml_error(text))?;
    if flat.contains_key("") {
        return Err(FlinkConfError::NotAMapping);
    }
    let order = document_order(text, &flat);
    let comments = top_level_comments(text);
    let mut entries = Vec::with_capacity(order.len());
    let mut done_top = std::collections::HashSet::new();
    for key in order {
        let value = flat.get(&key).cloned().unwrap_or_default();
        let top = key.split('.').next().unwrap_or_default().to_string();
        let mut c = Vec::new();
        if done_top.insert(top.clone()) {
            c = comments.get(&top).cloned().unwrap_or_default();
        }
        entries.push(Entry {
            key,
            value,
            comments: c,
        });
    }
    let entries = rewrite(entries, options.rewrite_for.as_ref());
    let mut out = String::new();
    for e in entries {
        emit_comments(&mut out, &e.comments, 0);
        if e.key.is_empty() {
            continue;
        }
        check_legacy_representable(&e.key, &e.value)?;
        if e.value.is_empty() {
            // Flink skips empty values in either format.
            let _ = writeln!(out, "# `{}` has an empty value (Flink ignores it)", e.key);
            continue;
        }
        let _ = writeln!(out, "{}: {}", e.key, e.value);
    }
    if let Some(t) = comments.get("") {
        emit_comments(&mut out, t, 0);
    }
    Ok(out)
}

fn check_legacy_representable(key: &str, value: &str) -> Result<(), FlinkConfError> {
    let bad = |reason| {
        Err(FlinkConfError::Unrepresentable {
            key: key.to_string(),
            reason,
        })
    };
    if key.contains('#') || key.contains(": ") || key.trim() != key || key.contains(['\n', '\r']) {
        return bad(
            "the key cannot be written in flink-conf.yaml (`#`, `: `, spaces or line breaks)",
        );
    }
    if value.contains('#') {
        return bad("the value holds `#`, which flink-conf.yaml reads as the start of a comment");
    }
    if value.contains(['\n', '\r']) {
        return bad("the value spans several lines, which flink-conf.yaml cannot hold");
    }
    if value.trim() != value {
        return bad("the value has leading or trailing spaces, which flink-conf.yaml drops");
    }
    Ok(())
}

fn yaml_error(text: &str) -> FlinkConfError {
    match serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) {
        Err(e) => match e.location() {
            Some(l) => FlinkConfError::Yaml {
                line: l.line(),
                column: l.column(),
            },
            None => FlinkConfError::Yaml { line: 0, column: 0 },
        },
        Ok(_) => FlinkConfError::Yaml { line: 0, column: 0 },
    }
}

/// The flat keys of `flat` in the order the document writes them.
fn document_order(text: &str, flat: &BTreeMap<String, String>) -> Vec<String> {
    fn walk(v: &serde_yaml_ng::Value, prefix: &str, out: &mut Vec<String>, depth: u32) {
        use serde_yaml_ng::Value;
        if depth > 32 {
            return;
        }
        match v {
            Value::Mapping(m) => {
                for (k, child) in m {
                    let seg = match k {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => continue,
                    };
                    let full = if prefix.is_empty() {
                        seg
                    } else {
                        format!("{prefix}.{seg}")
                    };
                    walk(child, &full, out, depth + 1);
                }
            }
            Value::Tagged(t) => walk(&t.value, prefix, out, depth + 1),
            _ => out.push(prefix.to_string()),
        }
    }
    let mut order = Vec::new();
    if let Ok(doc) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) {
        walk(&doc, "", &mut order, 0);
    }
    let mut seen = std::collections::HashSet::new();
    let mut keys: Vec<String> = order
        .into_iter()
        .filter(|k| flat.contains_key(k) && seen.insert(k.clone()))
        .collect();
    // Anything the walk missed, in sorted order.
    keys.extend(flat.keys().filter(|k| !seen.contains(*k)).cloned());
    keys
}

/// Comment blocks of a `config.yaml`, by the top-level key that follows them (`""`: after the
/// last key).
fn top_level_comments(text: &str) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let mut pending: Vec<String> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() {
            pending.push(String::new());
        } else if t.starts_with('#') {
            pending.push(t.to_string());
        } else if !line.starts_with([' ', '\t', '-']) {
            let key = line.split(':').next().unwrap_or_default().trim();
            let key = key.trim_matches(|c| c == '\'' || c == '"');
            let top = key.split('.').next().unwrap_or_default().to_string();
            if !pending.iter().all(String::is_empty) {
                out.entry(top).or_default().append(&mut pending);
            }
            pending.clear();
        }
    }
    if !pending.iter().all(String::is_empty) {
        out.insert(String::new(), pending);
    }
    out
}

/// Reads `text` as either format (by `file_name`: `flink-conf.yaml` is the legacy one) into flat
/// `key -> value` pairs, as Flink reads it.
///
/// # Errors
/// As the conversions.
pub fn read_flat(text: &str, file_name: &str) -> Result<BTreeMap<String, String>, FlinkConfError> {
    check_size(text)?;
    if file_name == "flink-conf.yaml" {
        let (entries, _) = read_legacy(text, true)?;
        Ok(entries.into_iter().map(|e| (e.key, e.value)).collect())
    } else {
        let flat = config::parse_yaml(text, Path::new(file_name)).map_err(|_| yaml_error(text))?;
        if flat.contains_key("") {
            return Err(FlinkConfError::NotAMapping);
        }
        Ok(flat)
    }
}

/// The verified table: see the module documentation for how it was built. Sorted by key.
#[rustfmt::skip]
static RULES: &[KeyRule] = &[
    rule("akka.ask.callstack", Some((1, 20)), None, Some("pekko.ask.callstack"), "", true, Src::Jars),
    rule("akka.ask.timeout", Some((1, 20)), None, Some("pekko.ask.timeout"), "", true, Src::Jars),
    rule("akka.client-socket-worker-pool.pool-size-factor", Some((1, 20)), None, Some("pekko.client-socket-worker-pool.pool-size-factor"), "", true, Src::Jars),
    rule("akka.client-socket-worker-pool.pool-size-max", Some((1, 20)), None, Some("pekko.client-socket-worker-pool.pool-size-max"), "", true, Src::Jars),
    rule("akka.client-socket-worker-pool.pool-size-min", Some((1, 20)), None, Some("pekko.client-socket-worker-pool.pool-size-min"), "", true, Src::Jars),
    rule("akka.client.timeout", Some((1, 14)), None, Some("client.timeout"), "", true, Src::Jars),
    rule("akka.fork-join-executor.parallelism-factor", Some((1, 20)), None, Some("pekko.fork-join-executor.parallelism-factor"), "", true, Src::Jars),
    rule("akka.fork-join-executor.parallelism-max", Some((1, 20)), None, Some("pekko.fork-join-executor.parallelism-max"), "", true, Src::Jars),
    rule("akka.fork-join-executor.parallelism-min", Some((1, 20)), None, Some("pekko.fork-join-executor.parallelism-min"), "", true, Src::Jars),
    rule("akka.framesize", Some((1, 20)), None, Some("pekko.framesize"), "", true, Src::Jars),
    rule("akka.jvm-exit-on-fatal-error", Some((1, 20)), None, Some("pekko.jvm-exit-on-fatal-error"), "", true, Src::Jars),
    rule("akka.log.lifecycle.events", Some((1, 20)), None, Some("pekko.log.lifecycle.events"), "", true, Src::Jars),
    rule("akka.lookup.timeout", Some((1, 20)), None, Some("pekko.lookup.timeout"), "", true, Src::Jars),
    rule("akka.retry-gate-closed-for", Some((1, 20)), None, Some("pekko.retry-gate-closed-for"), "", true, Src::Jars),
    rule("akka.rpc.force-invocation-serialization", Some((1, 20)), None, Some("pekko.rpc.force-invocation-serialization"), "", true, Src::Jars),
    rule("akka.server-socket-worker-pool.pool-size-factor", Some((1, 20)), None, Some("pekko.server-socket-worker-pool.pool-size-factor"), "", true, Src::Jars),
    rule("akka.server-socket-worker-pool.pool-size-max", Some((1, 20)), None, Some("pekko.server-socket-worker-pool.pool-size-max"), "", true, Src::Jars),
    rule("akka.server-socket-worker-pool.pool-size-min", Some((1, 20)), None, Some("pekko.server-socket-worker-pool.pool-size-min"), "", true, Src::Jars),
    rule("akka.ssl.enabled", Some((1, 20)), None, Some("pekko.ssl.enabled"), "", true, Src::Jars),
    rule("akka.startup-timeout", Some((1, 20)), None, Some("pekko.startup-timeout"), "", true, Src::Jars),
    rule("akka.tcp.timeout", Some((1, 20)), None, Some("pekko.tcp.timeout"), "", true, Src::Jars),
    rule("akka.throughput", Some((1, 20)), None, Some("pekko.throughput"), "", true, Src::Jars),
    rule("akka.watch.heartbeat.interval", Some((1, 14)), Some((2, 0)), None, "Akka DeathWatch is gone (Pekko since 1.18); failure detection uses heartbeat.interval / heartbeat.timeout", false, Src::Jars),
    rule("akka.watch.heartbeat.pause", Some((1, 14)), Some((2, 0)), None, "Akka DeathWatch is gone (Pekko since 1.18); failure detection uses heartbeat.interval / heartbeat.timeout", false, Src::Jars),
    rule("akka.watch.threshold", Some((1, 14)), Some((2, 0)), None, "Akka DeathWatch is gone (Pekko since 1.18); failure detection uses heartbeat.interval / heartbeat.timeout", false, Src::Jars),
    rule("classloader.parent-first-patterns", Some((1, 14)), None, Some("classloader.parent-first-patterns.default"), "", true, Src::Jars),
    rule("cleanup-strategy", Some((1, 17)), None, Some("cleanup-strategy.type"), "", true, Src::Jars),
    rule("cluster.evenly-spread-out-slots", Some((1, 20)), Some((2, 0)), Some("taskmanager.load-balance.mode"), "set taskmanager.load-balance.mode: slots", false, Src::NotesAndJars),
    rule("cluster.fine-grained-resource-management.enabled", None, Some((1, 20)), None, "", false, Src::Jars),
    rule("dstl.dfs.base-path", Some((1, 20)), None, Some("state.changelog.dstl.dfs.base-path"), "", true, Src::Jars),
    rule("dstl.dfs.batch.persist-delay", Some((1, 20)), None, Some("state.changelog.dstl.dfs.batch.persist-delay"), "", true, Src::Jars),
    rule("dstl.dfs.batch.persist-size-threshold", Some((1, 20)), None, Some("state.changelog.dstl.dfs.batch.persist-size-threshold"), "", true, Src::Jars),
    rule("dstl.dfs.compression.enabled", Some((1, 20)), None, Some("state.changelog.dstl.dfs.compression.enabled"), "", true, Src::Jars),
    rule("dstl.dfs.discard.num-threads", Some((1, 20)), None, Some("state.changelog.dstl.dfs.discard.num-threads"), "", true, Src::Jars),
    rule("dstl.dfs.download.local-cache.idle-timeout-ms", Some((1, 20)), None, Some("state.changelog.dstl.dfs.download.local-cache.idle-timeout-ms"), "", true, Src::Jars),
    rule("dstl.dfs.preemptive-persist-threshold", Some((1, 20)), None, Some("state.changelog.dstl.dfs.preemptive-persist-threshold"), "", true, Src::Jars),
    rule("dstl.dfs.upload.buffer-size", Some((1, 20)), None, Some("state.changelog.dstl.dfs.upload.buffer-size"), "", true, Src::Jars),
    rule("dstl.dfs.upload.max-attempts", Some((1, 20)), None, Some("state.changelog.dstl.dfs.upload.max-attempts"), "", true, Src::Jars),
    rule("dstl.dfs.upload.max-in-flight", Some((1, 20)), None, Some("state.changelog.dstl.dfs.upload.max-in-flight"), "", true, Src::Jars),
    rule("dstl.dfs.upload.next-attempt-delay", Some((1, 20)), None, Some("state.changelog.dstl.dfs.upload.next-attempt-delay"), "", true, Src::Jars),
    rule("dstl.dfs.upload.num-threads", Some((1, 20)), None, Some("state.changelog.dstl.dfs.upload.num-threads"), "", true, Src::Jars),
    rule("dstl.dfs.upload.retry-policy", Some((1, 20)), None, Some("state.changelog.dstl.dfs.upload.retry-policy"), "", true, Src::Jars),
    rule("dstl.dfs.upload.timeout", Some((1, 20)), None, Some("state.changelog.dstl.dfs.upload.timeout"), "", true, Src::Jars),
    rule("env.java.opts", Some((1, 17)), None, Some("env.java.opts.all"), "", true, Src::Jars),
    rule("execution.allow-client-job-configurations", Some((1, 17)), None, Some("execution.program-config.enabled"), "", true, Src::Jars),
    rule("execution.async-state.buffer-size", None, Some((2, 0)), Some("execution.async-state.active-buffer-size"), "experimental async-state options were reworked", false, Src::NotesAndJars),
    rule("execution.async-state.buffer-timeout", None, Some((2, 0)), Some("execution.async-state.active-buffer-timeout"), "experimental async-state options were reworked", false, Src::NotesAndJars),
    rule("execution.async-state.in-flight-records-limit", None, Some((2, 0)), Some("execution.async-state.total-buffer-size"), "experimental async-state options were reworked", false, Src::NotesAndJars),
    rule("execution.buffer-timeout", Some((1, 17)), None, Some("execution.buffer-timeout.interval"), "", true, Src::Jars),
    rule("execution.checkpointing.alignment-timeout", Some((1, 14)), None, Some("execution.checkpointing.aligned-checkpoint-timeout"), "", true, Src::Jars),
    rule("execution.checkpointing.approximate-local-recovery", Some((1, 20)), None, Some("execution.state-recovery.approximate-local-recovery"), "", true, Src::Jars),
    rule("execution.checkpointing.checkpoints-after-tasks-finish.enabled", Some((1, 20)), None, Some("execution.checkpointing.checkpoints-after-tasks-finish"), "", true, Src::Jars),
    rule("execution.checkpointing.force", Some((1, 17)), Some((2, 0)), None, "", false, Src::Jars),
    rule("execution.checkpointing.recover-without-channel-state.checkpoint-id", Some((1, 20)), None, Some("execution.state-recovery.without-channel-state.checkpoint-id"), "", true, Src::Jars),
    rule("execution.checkpointing.unaligned", Some((1, 17)), None, Some("execution.checkpointing.unaligned.enabled"), "", true, Src::Jars),
    rule("execution.savepoint-restore-mode", Some((1, 20)), None, Some("execution.state-recovery.claim-mode"), "", true, Src::Jars),
    rule("execution.savepoint.ignore-unclaimed-state", Some((1, 20)), None, Some("execution.state-recovery.ignore-unclaimed-state"), "", true, Src::Jars),
    rule("execution.savepoint.path", Some((1, 20)), None, Some("execution.state-recovery.path"), "", true, Src::Jars),
    rule("execution.submit-failed-job-on-application-error", Some((2, 3)), None, None, "", false, Src::Jars),
    rule("fine-grained.shuffle-mode.all-blocking", Some((1, 20)), Some((2, 0)), None, "use execution.batch-shuffle-mode for batch jobs", false, Src::NotesAndJars),
    rule("high-availability", Some((1, 17)), None, Some("high-availability.type"), "", true, Src::Jars),
    rule("high-availability.job.delay", Some((1, 14)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("high-availability.zookeeper.path.jobgraphs", Some((2, 3)), None, Some("high-availability.zookeeper.path.execution-plans"), "", true, Src::NotesAndJars),
    rule("high-availability.zookeeper.path.namespace", Some((1, 14)), None, Some("high-availability.cluster-id"), "", true, Src::Jars),
    rule("high-availability.zookeeper.path.running-registry", Some((1, 20)), Some((2, 0)), None, "no effect since 1.15: the RunningJobRegistry was replaced by the JobResultStore (job-result-store.*)", false, Src::NotesAndJars),
    rule("high-availability.zookeeper.storageDir", Some((1, 14)), None, Some("high-availability.storageDir"), "", true, Src::Jars),
    rule("job-manager.max-attempts-history-size", Some((1, 14)), None, Some("jobmanager.execution.attempts-history-size"), "", true, Src::Jars),
    rule("job-result-store.delete-on-commit", Some((2, 3)), None, None, "", false, Src::Jars),
    rule("jobmanager.adaptive-batch-scheduler.avg-data-volume-per-task", Some((1, 17)), None, Some("execution.batch.adaptive.auto-parallelism.avg-data-volume-per-task"), "", true, Src::NotesAndJars),
    rule("jobmanager.adaptive-batch-scheduler.default-source-parallelism", Some((1, 17)), None, Some("execution.batch.adaptive.auto-parallelism.default-source-parallelism"), "", true, Src::NotesAndJars),
    rule("jobmanager.adaptive-batch-scheduler.max-parallelism", Some((1, 17)), None, Some("execution.batch.adaptive.auto-parallelism.max-parallelism"), "", true, Src::NotesAndJars),
    rule("jobmanager.adaptive-batch-scheduler.min-parallelism", Some((1, 17)), None, Some("execution.batch.adaptive.auto-parallelism.min-parallelism"), "", true, Src::NotesAndJars),
    rule("jobmanager.adaptive-batch-scheduler.speculative.block-slow-node-duration", Some((1, 17)), None, Some("execution.batch.speculative.block-slow-node-duration"), "", true, Src::NotesAndJars),
    rule("jobmanager.adaptive-batch-scheduler.speculative.enabled", Some((1, 17)), None, Some("execution.batch.speculative.enabled"), "", true, Src::NotesAndJars),
    rule("jobmanager.adaptive-batch-scheduler.speculative.max-concurrent-executions", Some((1, 17)), None, Some("execution.batch.speculative.max-concurrent-executions"), "", true, Src::NotesAndJars),
    rule("jobmanager.adaptive-scheduler.min-parallelism-increase", Some((2, 3)), None, None, "", false, Src::Jars),
    rule("jobmanager.adaptive-scheduler.resource-stabilization-timeout", Some((2, 3)), None, Some("jobmanager.adaptive-scheduler.submission.resource-stabilization-timeout"), "", true, Src::Jars),
    rule("jobmanager.adaptive-scheduler.resource-wait-timeout", Some((2, 3)), None, Some("jobmanager.adaptive-scheduler.submission.resource-wait-timeout"), "", true, Src::Jars),
    rule("jobmanager.adaptive-scheduler.scaling-interval.max", Some((2, 3)), None, None, "", false, Src::Jars),
    rule("jobmanager.adaptive-scheduler.scaling-interval.min", Some((2, 3)), None, Some("jobmanager.adaptive-scheduler.executing.cooldown-after-rescaling"), "", true, Src::Jars),
    rule("jobmanager.heap.mb", Some((1, 14)), Some((2, 0)), Some("jobmanager.memory.heap.size"), "legacy heap option; since 1.11 the JobManager memory model uses jobmanager.memory.*", false, Src::NotesAndJars),
    rule("jobmanager.heap.size", Some((1, 14)), Some((2, 0)), Some("jobmanager.memory.heap.size"), "legacy heap option; since 1.11 the JobManager memory model uses jobmanager.memory.* (often jobmanager.memory.process.size)", false, Src::NotesAndJars),
    rule("jobmanager.web.access-control-allow-origin", Some((1, 14)), None, Some("web.access-control-allow-origin"), "", true, Src::Jars),
    rule("jobmanager.web.address", Some((1, 14)), None, Some("rest.bind-address"), "", true, Src::NotesAndJars),
    rule("jobmanager.web.backpressure.cleanup-interval", Some((1, 14)), Some((2, 0)), None, "no longer used (back pressure is measured from task metrics); delete it", false, Src::NotesAndJars),
    rule("jobmanager.web.backpressure.delay-between-samples", Some((1, 14)), Some((2, 0)), None, "no longer used (back pressure is measured from task metrics); delete it", false, Src::NotesAndJars),
    rule("jobmanager.web.backpressure.num-samples", Some((1, 14)), Some((2, 0)), None, "no longer used (back pressure is measured from task metrics); delete it", false, Src::NotesAndJars),
    rule("jobmanager.web.backpressure.refresh-interval", Some((1, 14)), Some((2, 0)), None, "no longer used (back pressure is measured from task metrics); delete it", false, Src::NotesAndJars),
    rule("jobmanager.web.checkpoints.history", Some((1, 14)), None, Some("web.checkpoints.history"), "", true, Src::Jars),
    rule("jobmanager.web.history", Some((1, 14)), None, Some("web.history"), "", true, Src::Jars),
    rule("jobmanager.web.log.path", Some((1, 14)), None, Some("web.log.path"), "", true, Src::Jars),
    rule("jobmanager.web.port", Some((1, 14)), None, Some("rest.bind-port"), "", true, Src::NotesAndJars),
    rule("jobmanager.web.refresh-interval", Some((1, 14)), None, Some("web.refresh-interval"), "", true, Src::Jars),
    rule("jobmanager.web.ssl.enabled", Some((1, 14)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("jobmanager.web.submit.enable", Some((1, 14)), None, Some("web.submit.enable"), "", true, Src::Jars),
    rule("jobmanager.web.tmpdir", Some((1, 14)), None, Some("web.tmpdir"), "", true, Src::Jars),
    rule("jobmanager.web.upload.dir", Some((1, 14)), None, Some("web.upload.dir"), "", true, Src::Jars),
    rule("jobstore.cache-size", Some((2, 3)), None, Some("completed-application-store.cache-size"), "", true, Src::Jars),
    rule("jobstore.expiration-time", Some((2, 3)), None, None, "", false, Src::Jars),
    rule("jobstore.max-capacity", Some((2, 3)), None, Some("completed-application-store.max-capacity"), "", true, Src::Jars),
    rule("jobstore.type", Some((2, 3)), None, Some("completed-application-store.type"), "", true, Src::Jars),
    rule("kubernetes.container.image", Some((1, 17)), None, Some("kubernetes.container.image.ref"), "", true, Src::Jars),
    rule("kubernetes.jobmanager.cpu", Some((1, 17)), None, Some("kubernetes.jobmanager.cpu.amount"), "", true, Src::Jars),
    rule("kubernetes.pod-template-file", Some((1, 17)), None, Some("kubernetes.pod-template-file.default"), "", true, Src::Jars),
    rule("kubernetes.taskmanager.cpu", Some((1, 17)), None, Some("kubernetes.taskmanager.cpu.amount"), "", true, Src::Jars),
    rule("library-cache-manager.cleanup.interval", Some((1, 14)), None, Some("blob.service.cleanup.interval"), "", true, Src::Jars),
    rule("local.number-resourcemanager", Some((1, 14)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("local.number-taskmanager", Some((1, 20)), None, Some("minicluster.number-of-taskmanagers"), "", true, Src::Jars),
    rule("metrics.scope.jm.job", Some((1, 17)), None, Some("metrics.scope.jm-job"), "", true, Src::Jars),
    rule("metrics.scope.tm.job", Some((1, 17)), None, Some("metrics.scope.tm-job"), "", true, Src::Jars),
    rule("pipeline.auto-type-registration", Some((1, 20)), Some((2, 0)), None, "Flink no longer registers types with Kryo automatically; delete it", false, Src::NotesAndJars),
    rule("pipeline.default-kryo-serializers", Some((1, 20)), Some((2, 0)), Some("pipeline.serialization-config"), "declare serializers in pipeline.serialization-config", false, Src::NotesAndJars),
    rule("pipeline.operator-chaining", Some((1, 20)), None, Some("pipeline.operator-chaining.enabled"), "", true, Src::Jars),
    rule("pipeline.registered-kryo-types", Some((1, 20)), Some((2, 0)), Some("pipeline.serialization-config"), "register types in pipeline.serialization-config", false, Src::NotesAndJars),
    rule("pipeline.registered-pojo-types", Some((1, 20)), Some((2, 0)), Some("pipeline.serialization-config"), "register types in pipeline.serialization-config", false, Src::NotesAndJars),
    rule("pipeline.time-characteristic", Some((1, 20)), Some((2, 0)), None, "event time is the default since 1.12; set watermark strategies in the job instead", false, Src::Jars),
    rule("query.client.network-threads", Some((1, 14)), None, Some("queryable-state.client.network-threads"), "", true, Src::Jars),
    rule("query.proxy.network-threads", Some((1, 14)), None, Some("queryable-state.proxy.network-threads"), "", true, Src::Jars),
    rule("query.proxy.ports", Some((1, 14)), None, Some("queryable-state.proxy.ports"), "", true, Src::Jars),
    rule("query.proxy.query-threads", Some((1, 14)), None, Some("queryable-state.proxy.query-threads"), "", true, Src::Jars),
    rule("query.server.network-threads", Some((1, 14)), None, Some("queryable-state.server.network-threads"), "", true, Src::Jars),
    rule("query.server.ports", Some((1, 14)), None, Some("queryable-state.server.ports"), "", true, Src::Jars),
    rule("query.server.query-threads", Some((1, 14)), None, Some("queryable-state.server.query-threads"), "", true, Src::Jars),
    rule("queryable-state.client.network-threads", Some((1, 20)), None, None, "", false, Src::Jars),
    rule("queryable-state.enable", Some((1, 20)), None, None, "", false, Src::Jars),
    rule("queryable-state.proxy.network-threads", Some((1, 20)), None, None, "", false, Src::Jars),
    rule("queryable-state.proxy.ports", Some((1, 20)), None, None, "", false, Src::Jars),
    rule("queryable-state.proxy.query-threads", Some((1, 20)), None, None, "", false, Src::Jars),
    rule("queryable-state.server.network-threads", Some((1, 20)), None, None, "", false, Src::Jars),
    rule("queryable-state.server.ports", Some((1, 20)), None, None, "", false, Src::Jars),
    rule("queryable-state.server.query-threads", Some((1, 20)), None, None, "", false, Src::Jars),
    rule("recovery.job.delay", Some((1, 14)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("recovery.jobmanager.port", Some((1, 14)), None, Some("high-availability.jobmanager.port"), "", true, Src::Jars),
    rule("recovery.mode", Some((1, 14)), None, Some("high-availability.type"), "", true, Src::Jars),
    rule("recovery.zookeeper.client.connection-timeout", Some((1, 14)), None, Some("high-availability.zookeeper.client.connection-timeout"), "", true, Src::Jars),
    rule("recovery.zookeeper.client.max-retry-attempts", Some((1, 14)), None, Some("high-availability.zookeeper.client.max-retry-attempts"), "", true, Src::Jars),
    rule("recovery.zookeeper.client.retry-wait", Some((1, 14)), None, Some("high-availability.zookeeper.client.retry-wait"), "", true, Src::Jars),
    rule("recovery.zookeeper.client.session-timeout", Some((1, 14)), None, Some("high-availability.zookeeper.client.session-timeout"), "", true, Src::Jars),
    rule("recovery.zookeeper.path.jobgraphs", Some((1, 14)), None, Some("high-availability.zookeeper.path.execution-plans"), "", true, Src::Jars),
    rule("recovery.zookeeper.path.namespace", Some((1, 14)), None, Some("high-availability.cluster-id"), "", true, Src::Jars),
    rule("recovery.zookeeper.path.root", Some((1, 14)), None, Some("high-availability.zookeeper.path.root"), "", true, Src::Jars),
    rule("recovery.zookeeper.quorum", Some((1, 14)), None, Some("high-availability.zookeeper.quorum"), "", true, Src::Jars),
    rule("recovery.zookeeper.storageDir", Some((1, 14)), None, Some("high-availability.storageDir"), "", true, Src::Jars),
    rule("resourcemanager.taskmanager-release.wait.result.consumed", Some((1, 14)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("restart-strategy", Some((1, 17)), None, Some("restart-strategy.type"), "", true, Src::Jars),
    rule("savepoints.state.backend.fs.dir", Some((1, 14)), None, Some("execution.checkpointing.savepoint-dir"), "", true, Src::Jars),
    rule("security.kerberos.fetch.delegation-token", Some((1, 17)), None, Some("security.delegation.tokens.enabled"), "", true, Src::NotesAndJars),
    rule("security.kerberos.tokens.renewal.retry.backoff", Some((1, 17)), None, Some("security.delegation.tokens.renewal.retry.backoff"), "", true, Src::NotesAndJars),
    rule("security.kerberos.tokens.renewal.time-ratio", Some((1, 17)), None, Some("security.delegation.tokens.renewal.time-ratio"), "", true, Src::NotesAndJars),
    rule("security.keytab", Some((1, 14)), None, Some("security.kerberos.login.keytab"), "", true, Src::Jars),
    rule("security.principal", Some((1, 14)), None, Some("security.kerberos.login.principal"), "", true, Src::Jars),
    rule("security.ssl.close-notify-flush-timeout", Some((1, 14)), None, Some("security.ssl.internal.close-notify-flush-timeout"), "", true, Src::Jars),
    rule("security.ssl.enabled", Some((1, 14)), Some((2, 0)), Some("security.ssl.internal.enabled"), "set security.ssl.internal.enabled and security.ssl.rest.enabled separately", false, Src::NotesAndJars),
    rule("security.ssl.handshake-timeout", Some((1, 14)), None, Some("security.ssl.internal.handshake-timeout"), "", true, Src::Jars),
    rule("security.ssl.session-cache-size", Some((1, 14)), None, Some("security.ssl.internal.session-cache-size"), "", true, Src::Jars),
    rule("security.ssl.session-timeout", Some((1, 14)), None, Some("security.ssl.internal.session-timeout"), "", true, Src::Jars),
    rule("security.ssl.verify-hostname", Some((2, 3)), None, None, "", false, Src::Jars),
    rule("slotmanager.request-timeout", Some((1, 14)), Some((1, 20)), None, "", false, Src::Jars),
    rule("slotmanager.taskmanager-timeout", Some((1, 14)), None, Some("resourcemanager.taskmanager-timeout"), "", true, Src::NotesAndJars),
    rule("state.backend", Some((1, 17)), None, Some("state.backend.type"), "", true, Src::Jars),
    rule("state.backend.async", Some((1, 14)), Some((2, 0)), None, "all state snapshots are asynchronous; delete it", false, Src::NotesAndJars),
    rule("state.backend.changelog.enabled", Some((1, 20)), None, Some("state.changelog.enabled"), "", true, Src::Jars),
    rule("state.backend.changelog.max-failures-allowed", Some((1, 20)), None, Some("state.changelog.max-failures-allowed"), "", true, Src::Jars),
    rule("state.backend.changelog.periodic-materialize.enabled", Some((1, 20)), None, Some("state.changelog.periodic-materialize.enabled"), "", true, Src::Jars),
    rule("state.backend.changelog.periodic-materialize.interval", Some((1, 20)), None, Some("state.changelog.periodic-materialize.interval"), "", true, Src::Jars),
    rule("state.backend.changelog.storage", Some((1, 20)), None, Some("state.changelog.storage"), "", true, Src::Jars),
    rule("state.backend.fs.checkpointdir", Some((1, 14)), None, Some("execution.checkpointing.dir"), "", true, Src::Jars),
    rule("state.backend.fs.memory-threshold", Some((1, 14)), None, Some("execution.checkpointing.data-inline-threshold"), "", true, Src::Jars),
    rule("state.backend.fs.write-buffer-size", Some((1, 14)), None, Some("execution.checkpointing.write-buffer-size"), "", true, Src::Jars),
    rule("state.backend.incremental", Some((1, 20)), None, Some("execution.checkpointing.incremental"), "", true, Src::Jars),
    rule("state.backend.latency-track.history-size", Some((1, 20)), None, Some("state.latency-track.history-size"), "", true, Src::NotesAndJars),
    rule("state.backend.latency-track.keyed-state-enabled", Some((1, 20)), None, Some("state.latency-track.keyed-state-enabled"), "", true, Src::NotesAndJars),
    rule("state.backend.latency-track.sample-interval", Some((1, 20)), None, Some("state.latency-track.sample-interval"), "", true, Src::NotesAndJars),
    rule("state.backend.latency-track.state-name-as-variable", Some((1, 20)), None, Some("state.latency-track.state-name-as-variable"), "", true, Src::NotesAndJars),
    rule("state.backend.local-recovery", Some((1, 20)), None, Some("execution.state-recovery.from-local"), "", true, Src::NotesAndJars),
    rule("state.backend.rocksdb.checkpointdir", Some((1, 14)), Some((2, 0)), Some("state.backend.rocksdb.localdir"), "", true, Src::NotesAndJars),
    rule("state.checkpoint-storage", Some((1, 20)), None, Some("execution.checkpointing.storage"), "", true, Src::Jars),
    rule("state.checkpoint.cleaner.parallel-mode", Some((1, 20)), None, Some("execution.checkpointing.cleaner.parallel-mode"), "", true, Src::Jars),
    rule("state.checkpoints.create-subdir", Some((1, 20)), None, Some("execution.checkpointing.create-subdir"), "", true, Src::Jars),
    rule("state.checkpoints.dir", Some((1, 20)), None, Some("execution.checkpointing.dir"), "", true, Src::Jars),
    rule("state.checkpoints.num-retained", Some((1, 20)), None, Some("execution.checkpointing.num-retained"), "", true, Src::Jars),
    rule("state.savepoints.dir", Some((1, 20)), None, Some("execution.checkpointing.savepoint-dir"), "", true, Src::Jars),
    rule("state.storage.fs.memory-threshold", Some((1, 20)), None, Some("execution.checkpointing.data-inline-threshold"), "", true, Src::Jars),
    rule("state.storage.fs.write-buffer-size", Some((1, 20)), None, Some("execution.checkpointing.write-buffer-size"), "", true, Src::Jars),
    rule("table.exec.async-scalar.buffer-capacity", Some((2, 3)), None, Some("table.exec.async-scalar.max-concurrent-operations"), "", true, Src::Jars),
    rule("table.exec.deduplicate.insert-and-updateafter-sensitive.enabled", Some((1, 17)), Some((2, 0)), Some("table.exec.deduplicate.insert-update-after-sensitive-enabled"), "", true, Src::NotesAndJars),
    rule("table.exec.deduplicate.mini-batch.compact-changes.enabled", Some((1, 17)), Some((2, 0)), Some("table.exec.deduplicate.mini-batch.compact-changes-enabled"), "", true, Src::NotesAndJars),
    rule("table.exec.legacy-transformation-uids", Some((1, 17)), Some((2, 0)), Some("table.exec.uid.generation"), "the enum value DISABLED restores the legacy behaviour", false, Src::NotesAndJars),
    rule("table.exec.shuffle-mode", Some((1, 14)), Some((2, 0)), Some("execution.batch-shuffle-mode"), "batch shuffle mode is a runtime option now", false, Src::NotesAndJars),
    rule("table.exec.topn-cache-size", Some((1, 17)), Some((2, 0)), Some("table.exec.rank.topn-cache-size"), "", true, Src::NotesAndJars),
    rule("table.exec.topn.cache-size", None, Some((1, 17)), Some("table.exec.rank.topn-cache-size"), "", true, Src::Jars),
    rule("table.optimizer.source.aggregate-pushdown-enabled", Some((1, 20)), Some((2, 0)), None, "push-down is always on; delete it", false, Src::NotesAndJars),
    rule("table.optimizer.source.predicate-pushdown-enabled", Some((1, 20)), Some((2, 0)), None, "push-down is always on; delete it", false, Src::NotesAndJars),
    rule("table.optimizer.sql-to-rel.project.merge.enabled", Some((1, 20)), Some((2, 0)), Some("table.optimizer.sql2rel.project-merge.enabled"), "", true, Src::NotesAndJars),
    rule("table.planner", Some((1, 14)), Some((1, 17)), None, "only one planner is left since 1.14; delete it", false, Src::Jars),
    rule("task.cancellation-interval", Some((1, 14)), None, Some("task.cancellation.interval"), "", true, Src::Jars),
    rule("taskmanager.debug.memory.logIntervalMs", Some((1, 14)), None, Some("taskmanager.debug.memory.log-interval"), "", true, Src::Jars),
    rule("taskmanager.debug.memory.startLogThread", Some((1, 14)), None, Some("taskmanager.debug.memory.log"), "", true, Src::Jars),
    rule("taskmanager.exit-on-fatal-akka-error", Some((1, 14)), Some((2, 0)), None, "the quarantine monitor is gone; delete it", false, Src::NotesAndJars),
    rule("taskmanager.heap.mb", Some((1, 14)), Some((2, 0)), Some("taskmanager.memory.flink.size"), "legacy heap option; since 1.10 use taskmanager.memory.flink.size or taskmanager.memory.process.size", false, Src::NotesAndJars),
    rule("taskmanager.heap.size", Some((1, 14)), Some((2, 0)), Some("taskmanager.memory.flink.size"), "legacy heap option; since 1.10 use taskmanager.memory.flink.size (standalone) or taskmanager.memory.process.size (containers)", false, Src::NotesAndJars),
    rule("taskmanager.initial-registration-pause", Some((1, 14)), Some((2, 0)), None, "registration retries follow cluster.registration.* (initial-timeout, max-timeout, refused-registration-delay)", false, Src::NotesAndJars),
    rule("taskmanager.max-registration-pause", Some((1, 14)), Some((2, 0)), None, "registration retries follow cluster.registration.* (initial-timeout, max-timeout, refused-registration-delay)", false, Src::NotesAndJars),
    rule("taskmanager.maxRegistrationDuration", Some((1, 14)), None, Some("taskmanager.registration.timeout"), "", true, Src::Jars),
    rule("taskmanager.memory.size", Some((1, 14)), None, Some("taskmanager.memory.managed.size"), "", true, Src::Jars),
    rule("taskmanager.net.client.connectTimeoutSec", Some((1, 14)), None, Some("taskmanager.network.netty.client.connectTimeoutSec"), "", true, Src::Jars),
    rule("taskmanager.net.client.numThreads", Some((1, 14)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.net.num-arenas", Some((1, 14)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.net.request-backoff.initial", Some((1, 14)), None, Some("taskmanager.network.request-backoff.initial"), "", true, Src::Jars),
    rule("taskmanager.net.request-backoff.max", Some((1, 14)), None, Some("taskmanager.network.request-backoff.max"), "", true, Src::Jars),
    rule("taskmanager.net.sendReceiveBufferSize", Some((1, 14)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.net.server.backlog", Some((1, 14)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.net.server.numThreads", Some((1, 14)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.net.transport", Some((1, 14)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.batch-shuffle.compression.enabled", Some((1, 20)), Some((2, 0)), Some("taskmanager.network.compression.codec"), "set the codec to NONE to disable compression", false, Src::NotesAndJars),
    rule("taskmanager.network.blocking-shuffle.compression.enabled", Some((1, 17)), Some((2, 0)), Some("taskmanager.network.compression.codec"), "set the codec to NONE to disable compression", true, Src::NotesAndJars),
    rule("taskmanager.network.blocking-shuffle.type", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.hybrid-shuffle.enable-new-mode", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.hybrid-shuffle.num-retained-in-memory-regions-max", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.hybrid-shuffle.spill-index-region-group-size", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.hybrid-shuffle.spill-index-segment-size", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.max-num-tcp-connections", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.memory.buffers-per-channel", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.memory.exclusive-buffers-request-timeout-ms", Some((1, 20)), None, Some("taskmanager.network.memory.buffers-request-timeout"), "", true, Src::NotesAndJars),
    rule("taskmanager.network.memory.floating-buffers-per-gate", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.memory.fraction", Some((1, 14)), None, Some("taskmanager.memory.network.fraction"), "", true, Src::NotesAndJars),
    rule("taskmanager.network.memory.max", Some((1, 14)), None, Some("taskmanager.memory.network.max"), "", true, Src::NotesAndJars),
    rule("taskmanager.network.memory.max-buffers-per-channel", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.memory.max-overdraft-buffers-per-gate", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.memory.min", Some((1, 14)), None, Some("taskmanager.memory.network.min"), "", true, Src::NotesAndJars),
    rule("taskmanager.network.netty.client.numThreads", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.netty.num-arenas", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.netty.sendReceiveBufferSize", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.netty.server.backlog", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.netty.server.numThreads", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.netty.transport", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.network.numberOfBuffers", Some((1, 14)), Some((2, 0)), Some("taskmanager.memory.network.max"), "network memory is sized by taskmanager.memory.network.{min,max,fraction}", false, Src::NotesAndJars),
    rule("taskmanager.network.sort-shuffle.min-parallelism", Some((1, 20)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("taskmanager.refused-registration-pause", Some((1, 14)), Some((2, 0)), None, "registration retries follow cluster.registration.* (initial-timeout, max-timeout, refused-registration-delay)", false, Src::NotesAndJars),
    rule("taskmanager.registration.initial-backoff", Some((1, 14)), Some((2, 0)), None, "registration retries follow cluster.registration.* (initial-timeout, max-timeout, refused-registration-delay)", false, Src::NotesAndJars),
    rule("taskmanager.registration.max-backoff", Some((1, 14)), Some((2, 0)), None, "registration retries follow cluster.registration.* (initial-timeout, max-timeout, refused-registration-delay)", false, Src::NotesAndJars),
    rule("taskmanager.registration.refused-backoff", Some((1, 14)), Some((2, 0)), None, "registration retries follow cluster.registration.* (initial-timeout, max-timeout, refused-registration-delay)", false, Src::NotesAndJars),
    rule("taskmanager.runtime.fs_timeout", Some((1, 20)), None, Some("taskmanager.runtime.fs-timeout"), "", true, Src::Jars),
    rule("taskmanager.state.local.root-dirs", Some((1, 20)), None, Some("execution.checkpointing.local-backup.dirs"), "", true, Src::Jars),
    rule("taskmanager.tmp.dirs", Some((1, 14)), None, Some("io.tmp.dirs"), "", true, Src::Jars),
    rule("timerservice.exceptional.shutdown.timeout", Some((1, 14)), None, Some("task.cancellation.timers.timeout"), "", true, Src::Jars),
    rule("traces.report-events-as-spans", Some((1, 20)), Some((2, 3)), None, "", false, Src::Jars),
    rule("web.backpressure.cleanup-interval", Some((1, 14)), Some((2, 0)), None, "no longer used (back pressure is measured from task metrics); delete it", false, Src::NotesAndJars),
    rule("web.backpressure.delay-between-samples", Some((1, 14)), Some((2, 0)), None, "no longer used (back pressure is measured from task metrics); delete it", false, Src::NotesAndJars),
    rule("web.backpressure.num-samples", Some((1, 14)), Some((2, 0)), None, "no longer used (back pressure is measured from task metrics); delete it", false, Src::NotesAndJars),
    rule("web.backpressure.refresh-interval", Some((1, 14)), Some((2, 0)), None, "no longer used (back pressure is measured from task metrics); delete it", false, Src::NotesAndJars),
    rule("web.port", Some((1, 14)), None, Some("rest.port"), "", true, Src::NotesAndJars),
    rule("web.ssl.enabled", Some((1, 14)), Some((2, 0)), None, "", false, Src::NotesAndJars),
    rule("yarn.heartbeat-delay", Some((1, 14)), None, Some("yarn.heartbeat.interval"), "", true, Src::Jars),
    rule("yarn.per-job-cluster.include-user-jar", Some((1, 17)), None, Some("yarn.classpath.include-user-jar"), "", true, Src::Jars),
    rule("yarn.security.kerberos.additionalFileSystems", Some((1, 17)), None, Some("security.kerberos.access.hadoopFileSystems"), "", true, Src::Jars),
    rule("yarn.ship-directories", Some((1, 14)), None, Some("yarn.ship-files"), "", true, Src::Jars),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(RULES.windows(2).all(|w| w[0].key < w[1].key));
        for r in RULES {
            assert!(
                r.deprecated_in.is_some() || r.removed_in.is_some(),
                "{}",
                r.key
            );
            if let Some(n) = r.replacement {
                assert_ne!(n, r.key);
                assert!(
                    lookup(n).is_none_or(|x| x.removed_in.is_none()),
                    "{} -> {n}",
                    r.key
                );
            }
        }
    }

    #[test]
    fn scalars_round_trip_through_yaml() {
        for s in [
            "1",
            "-Xss2m",
            "0755",
            "1.50",
            "yes",
            "on",
            "~",
            "a: b",
            "x #y",
            "'q'",
            "\"d\"",
            "*x",
            "{x}",
            "[1, 2]",
            "@h",
            "`c`",
            "%p",
            "k1:v1,k2:v2",
            "10 s",
            "1600m",
            "-1",
            "0x1F",
            "1_000",
            "1:20",
            "-",
            "- x",
            "?",
            "a:",
            "x\u{2028}y",
            "a\u{85}b",
            "\u{feff}bom",
            "c\u{1}d",
            "q\"uo\\te",
            "True",
            "NULL",
        ] {
            let doc = format!("k: {}\n", yaml_scalar(s));
            let m = config::parse_yaml(&doc, Path::new("c.yaml")).unwrap();
            assert_eq!(m["k"], s, "{doc}");
        }
    }
}
