//! Flat Flink-style configuration: dotted keys, values that know whether they are secret and
//! where they came from, typed getters in Flink's syntax.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::{Error, Result};

const REDACTED: &str = "******";

/// One value: the text, whether it is secret, and where it came from (a data id, a file, a
/// layer name).
///
/// `Debug` and `Display` print `******` for secret values.
#[derive(Clone, PartialEq, Eq)]
pub struct ConfigValue {
    value: String,
    secret: bool,
    origin: Arc<str>,
}

impl ConfigValue {
    /// A value from `origin`.
    pub fn new(value: impl Into<String>, origin: impl Into<Arc<str>>) -> Self {
        ConfigValue {
            value: value.into(),
            secret: false,
            origin: origin.into(),
        }
    }

    /// Marks the value secret (or not).
    #[must_use]
    pub fn with_secret(mut self, secret: bool) -> Self {
        self.secret = secret;
        self
    }

    /// The value itself. Callers that log it must check [`ConfigValue::is_secret`].
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Whether the value is secret.
    pub fn is_secret(&self) -> bool {
        self.secret
    }

    /// Where the value came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The value for messages: itself, or `******` when secret.
    pub fn shown(&self) -> &str {
        if self.secret { REDACTED } else { &self.value }
    }

    pub(crate) fn set_value(&mut self, v: String) {
        self.value = v;
    }
}

impl fmt::Debug for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} (from {})", self.shown(), self.origin)
    }
}

impl fmt::Display for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.shown())
    }
}

/// Which keys hold secrets: glob patterns over the key (case-insensitive, `*` matches any run
/// of characters) plus keys marked explicitly. The default patterns are `*password*`,
/// `*secret*` and `*token*`.
///
/// ```
/// use streampark_core::config::SecretPolicy;
/// let p = SecretPolicy::default().with_secret_key("s3.access-key");
/// assert!(p.is_secret("db.Password"));
/// assert!(p.is_secret("s3.access-key"));
/// assert!(!p.is_secret("parallelism.default"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretPolicy {
    patterns: Vec<String>,
    keys: BTreeSet<String>,
}

impl Default for SecretPolicy {
    fn default() -> Self {
        SecretPolicy {
            patterns: vec!["*password*".into(), "*secret*".into(), "*token*".into()],
            keys: BTreeSet::new(),
        }
    }
}

impl SecretPolicy {
    /// A policy with no patterns and no keys.
    pub fn none() -> Self {
        SecretPolicy {
            patterns: Vec::new(),
            keys: BTreeSet::new(),
        }
    }

    /// Adds a glob pattern such as `*credential*`.
    #[must_use]
    pub fn with_pattern(mut self, pattern: impl Into<String>) -> Self {
        self.patterns.push(pattern.into().to_ascii_lowercase());
        self
    }

    /// Marks one key secret.
    #[must_use]
    pub fn with_secret_key(mut self, key: impl Into<String>) -> Self {
        self.keys.insert(key.into());
        self
    }

    /// Whether `key` is secret under this policy.
    pub fn is_secret(&self, key: &str) -> bool {
        if self.keys.contains(key) {
            return true;
        }
        let k = key.to_ascii_lowercase();
        self.patterns
            .iter()
            .any(|p| glob_match(p.as_bytes(), k.as_bytes()))
    }
}

/// `*`-only glob matching, iterative with backtracking to the last star.
fn glob_match(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Flat configuration: Flink's dotted keys (`execution.checkpointing.interval`) to values.
///
/// `Debug` and `Display` redact secret values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FlatConfig {
    entries: BTreeMap<String, ConfigValue>,
}

impl FlatConfig {
    /// An empty configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key`, replacing an earlier value.
    pub fn insert(&mut self, key: impl Into<String>, value: ConfigValue) {
        self.entries.insert(key.into(), value);
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) -> Option<ConfigValue> {
        self.entries.remove(key)
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&ConfigValue> {
        self.entries.get(key)
    }

    /// The text of `key` (secret or not).
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(ConfigValue::expose)
    }

    /// All entries, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ConfigValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut ConfigValue)> {
        self.entries.iter_mut()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Overlays `other` on top of `self` (`other` wins).
    pub fn merge(&mut self, other: &FlatConfig) {
        for (k, v) in &other.entries {
            self.entries.insert(k.clone(), v.clone());
        }
    }

    /// Marks the values whose keys match `policy` secret (values already secret stay so).
    pub fn mark_secrets(&mut self, policy: &SecretPolicy) {
        for (k, v) in &mut self.entries {
            if policy.is_secret(k) {
                v.secret = true;
            }
        }
    }

    /// Keys whose value differs between `self` and `other`, or that only one has.
    pub fn changed_keys(&self, other: &FlatConfig) -> Vec<String> {
        let mut out: BTreeSet<&String> = BTreeSet::new();
        for (k, v) in &self.entries {
            if other.entries.get(k).map(|o| &o.value) != Some(&v.value) {
                out.insert(k);
            }
        }
        for k in other.entries.keys() {
            if !self.entries.contains_key(k) {
                out.insert(k);
            }
        }
        out.into_iter().cloned().collect()
    }

    /// The plain `key -> value` map (secrets included: hand it to Flink, never to a log).
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.entries
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect()
    }

    fn typed<T>(&self, key: &str, what: &str, f: impl Fn(&str) -> Option<T>) -> Result<Option<T>> {
        match self.entries.get(key) {
            None => Ok(None),
            Some(v) => f(v.value.trim()).map(Some).ok_or_else(|| {
                Error::invalid_config(
                    "config",
                    key,
                    format!("`{}` (from {}) is not {what}", v.shown(), v.origin),
                )
            }),
        }
    }

    /// `key` as a Flink duration (`30 s`, `1min`, `500ms`, `2 h`; bare numbers are ms).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the key and where the value came from.
    pub fn get_duration(&self, key: &str) -> Result<Option<Duration>> {
        self.typed(key, "a duration", parse_duration)
    }

    /// `key` as a Flink memory size (`1g`, `512 mb`, `64kb`; bare numbers are bytes), in bytes.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the key.
    pub fn get_memory_bytes(&self, key: &str) -> Result<Option<u64>> {
        self.typed(key, "a memory size", parse_memory)
    }

    /// `key` as `true` / `false` (case-insensitive).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the key.
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>> {
        self.typed(key, "true or false", |s| {
            match s.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            }
        })
    }

    /// `key` as an unsigned integer.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the key.
    pub fn get_u64(&self, key: &str) -> Result<Option<u64>> {
        self.typed(key, "an unsigned integer", |s| s.parse().ok())
    }

    /// `key` as a floating point number.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the key.
    pub fn get_f64(&self, key: &str) -> Result<Option<f64>> {
        self.typed(key, "a number", |s| {
            s.parse().ok().filter(|f: &f64| f.is_finite())
        })
    }
}

impl FromIterator<(String, ConfigValue)> for FlatConfig {
    fn from_iter<I: IntoIterator<Item = (String, ConfigValue)>>(iter: I) -> Self {
        FlatConfig {
            entries: iter.into_iter().collect(),
        }
    }
}

impl fmt::Debug for FlatConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v.shown())))
            .finish()
    }
}

impl fmt::Display for FlatConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, v) in &self.entries {
            writeln!(f, "{k}: {}", v.shown())?;
        }
        Ok(())
    }
}

fn split_number(s: &str) -> Option<(&str, String)> {
    let s = s.trim();
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(end);
    if num.is_empty() {
        return None;
    }
    Some((num, unit.trim().to_ascii_lowercase()))
}

/// Flink's duration syntax (`TimeUtils.parseDuration`): an integer and an optional unit.
pub(crate) fn parse_duration(s: &str) -> Option<Duration> {
    let (num, unit) = split_number(s)?;
    let n: u64 = num.parse().ok()?;
    let nanos_per: u128 = match unit.as_str() {
        "ns" | "nano" | "nanos" | "nanosecond" | "nanoseconds" => 1,
        "µs" | "us" | "micro" | "micros" | "microsecond" | "microseconds" => 1_000,
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1_000_000,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000_000_000,
        "m" | "min" | "minute" | "minutes" => 60_000_000_000,
        "h" | "hour" | "hours" => 3_600_000_000_000,
        "d" | "day" | "days" => 86_400_000_000_000,
        _ => return None,
    };
    let total = u128::from(n).checked_mul(nanos_per)?;
    let secs = u64::try_from(total / 1_000_000_000).ok()?;
    Some(Duration::new(secs, (total % 1_000_000_000) as u32))
}

/// Flink's memory size syntax (`MemorySize.parse`): an integer and an optional unit.
pub(crate) fn parse_memory(s: &str) -> Option<u64> {
    let (num, unit) = split_number(s)?;
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.as_str() {
        "" | "b" | "bytes" => 1,
        "k" | "kb" | "kibibytes" => 1 << 10,
        "m" | "mb" | "mebibytes" => 1 << 20,
        "g" | "gb" | "gibibytes" => 1 << 30,
        "t" | "tb" | "tebibytes" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> FlatConfig {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), ConfigValue::new(*v, "test.yaml")))
            .collect()
    }

    #[test]
    fn globs() {
        assert!(glob_match(b"*password*", b"db.password"));
        assert!(glob_match(b"*password*", b"password"));
        assert!(glob_match(b"a*b*c", b"axxbyyc"));
        assert!(!glob_match(b"a*b*c", b"axxbyy"));
        assert!(!glob_match(b"*token*", b"tokn"));
    }

    #[test]
    fn flink_durations_and_sizes() {
        assert_eq!(parse_duration("30 s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("1min"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("500"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2 h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("10 parsecs"), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_memory("1g"), Some(1 << 30));
        assert_eq!(parse_memory("512 mb"), Some(512 << 20));
        assert_eq!(parse_memory("64"), Some(64));
        assert_eq!(parse_memory("99999999999999t"), None);
    }

    #[test]
    fn typed_errors_name_key_and_origin_and_hide_secrets() {
        let mut c = cfg(&[("a.interval", "soon"), ("db.password", "hunter2")]);
        c.mark_secrets(&SecretPolicy::default());
        let e = c.get_duration("a.interval").unwrap_err().to_string();
        assert!(
            e.contains("a.interval") && e.contains("test.yaml") && e.contains("soon"),
            "{e}"
        );
        let e = c.get_u64("db.password").unwrap_err().to_string();
        assert!(e.contains("db.password") && !e.contains("hunter2"), "{e}");
        assert_eq!(c.get_duration("missing").unwrap(), None);
    }

    #[test]
    fn debug_and_display_redact() {
        let mut c = cfg(&[
            ("s3.access-key", "AKIA1"),
            ("x.token", "t0k"),
            ("plain", "v"),
        ]);
        c.mark_secrets(&SecretPolicy::default().with_secret_key("s3.access-key"));
        for shown in [
            format!("{c:?}"),
            c.to_string(),
            format!("{:?}", c.get("x.token")),
        ] {
            assert!(
                !shown.contains("AKIA1") && !shown.contains("t0k"),
                "{shown}"
            );
        }
        assert!(c.to_string().contains("plain: v"));
        assert_eq!(c.to_map()["x.token"], "t0k");
    }

    #[test]
    fn changed_keys_cover_add_remove_modify() {
        let a = cfg(&[("k1", "1"), ("k2", "2"), ("k3", "3")]);
        let b = cfg(&[("k1", "1"), ("k2", "two"), ("k4", "4")]);
        assert_eq!(a.changed_keys(&b), vec!["k2", "k3", "k4"]);
        assert!(a.changed_keys(&a.clone()).is_empty());
    }
}
