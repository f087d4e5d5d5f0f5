//! What a configuration source hands out: keys, documents and events.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use md5::{Digest, Md5};

use super::flat::FlatConfig;
use super::parse;
use crate::{Error, Result};

/// Nacos's default group, also the default of [`ConfigKey::new`].
pub const DEFAULT_GROUP: &str = "DEFAULT_GROUP";

/// Which document: a namespace (Nacos tenant; `""` is the public namespace), a group and a
/// data id. [`super::FileSource`] uses only the data id (a file name).
///
/// ```
/// use streampark_core::config::ConfigKey;
/// let k = ConfigKey::new("flink.yaml").with_group("ads").with_namespace("prod");
/// assert_eq!(k.to_string(), "prod/ads/flink.yaml");
/// assert_eq!(ConfigKey::new("a.yaml").to_string(), "public/DEFAULT_GROUP/a.yaml");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfigKey {
    namespace: String,
    group: String,
    data_id: String,
}

impl ConfigKey {
    /// A key in the public namespace and [`DEFAULT_GROUP`].
    pub fn new(data_id: impl Into<String>) -> Self {
        ConfigKey {
            namespace: String::new(),
            group: DEFAULT_GROUP.to_string(),
            data_id: data_id.into(),
        }
    }

    /// Sets the group.
    #[must_use]
    pub fn with_group(mut self, group: impl Into<String>) -> Self {
        self.group = group.into();
        self
    }

    /// Sets the namespace (Nacos namespace id, sent as `tenant` / `namespaceId`). `""` and
    /// `"public"` both mean the public namespace.
    #[must_use]
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        let ns = namespace.into();
        self.namespace = if ns == "public" { String::new() } else { ns };
        self
    }

    /// The namespace id, `""` for the public namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The group.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The data id.
    pub fn data_id(&self) -> &str {
        &self.data_id
    }

    /// Checks the key the way Nacos does: data id and group non-empty, at most 256 / 128
    /// characters, letters, digits and `.` `:` `-` `_` only (the namespace may also be a
    /// UUID). `/` is allowed in data ids for [`super::FileSource`] sub-directories.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field and the character.
    pub fn validate(&self) -> Result<()> {
        let check = |what: &str, v: &str, max: usize, slash: bool| -> Result<()> {
            if v.is_empty() || v.len() > max {
                return Err(Error::invalid_input(
                    "config",
                    format!("config {what}"),
                    format!("`{}`", v.chars().take(80).collect::<String>()),
                    format!("must be 1 to {max} characters"),
                ));
            }
            if let Some((i, c)) = v.char_indices().find(|&(_, c)| {
                !(c.is_ascii_alphanumeric()
                    || matches!(c, '.' | ':' | '-' | '_')
                    || slash && c == '/')
            }) {
                return Err(Error::invalid_input(
                    "config",
                    format!("config {what}"),
                    format!("`{v}` position {}", i + 1),
                    format!("character {c:?} not allowed (letters, digits, `.`, `:`, `-`, `_`)"),
                ));
            }
            Ok(())
        };
        check("data id", &self.data_id, 256, true)?;
        check("group", &self.group, 128, false)?;
        if !self.namespace.is_empty() {
            check("namespace", &self.namespace, 128, false)?;
        }
        Ok(())
    }
}

impl fmt::Display for ConfigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = if self.namespace.is_empty() {
            "public"
        } else {
            &self.namespace
        };
        write!(f, "{ns}/{}/{}", self.group, self.data_id)
    }
}

/// How a document's content is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigFormat {
    /// YAML; nested maps are flattened to dotted keys as Flink 2.x reads `config.yaml`.
    Yaml,
    /// Java properties (`key=value`, `key: value`, `\` continuations, `\uXXXX`).
    Properties,
    /// JSON; objects are flattened like YAML.
    Json,
    /// Plain text: no keys (a SQL script, a template).
    Text,
}

impl ConfigFormat {
    /// Guesses the format from a data id or file name extension; `Text` when unknown.
    ///
    /// ```
    /// use streampark_core::config::ConfigFormat;
    /// assert_eq!(ConfigFormat::from_name("conf/flink.yml"), ConfigFormat::Yaml);
    /// assert_eq!(ConfigFormat::from_name("app.properties"), ConfigFormat::Properties);
    /// assert_eq!(ConfigFormat::from_name("job.sql"), ConfigFormat::Text);
    /// ```
    pub fn from_name(name: &str) -> ConfigFormat {
        let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        ext.parse().unwrap_or(ConfigFormat::Text)
    }

    /// The name Nacos uses for the `type` field (`yaml`, `properties`, `json`, `text`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigFormat::Yaml => "yaml",
            ConfigFormat::Properties => "properties",
            ConfigFormat::Json => "json",
            ConfigFormat::Text => "text",
        }
    }
}

impl fmt::Display for ConfigFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConfigFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "yaml" | "yml" => Ok(ConfigFormat::Yaml),
            "properties" | "props" | "conf" => Ok(ConfigFormat::Properties),
            "json" => Ok(ConfigFormat::Json),
            "text" | "txt" => Ok(ConfigFormat::Text),
            other => Err(Error::invalid_input(
                "config",
                "config format",
                format!("`{other}`"),
                "expected yaml, properties, json or text",
            )),
        }
    }
}

/// Hex MD5 of a text, as Nacos computes a config's version.
///
/// ```
/// assert_eq!(streampark_core::config::md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
/// ```
pub fn md5_hex(content: &str) -> String {
    hex::encode(Md5::digest(content.as_bytes()))
}

/// One version of a document: its key, content, format and version (hex MD5 of the content).
///
/// `Debug` shows key, format, MD5 and length, never the content (it may hold secrets).
#[derive(Clone, PartialEq, Eq)]
pub struct ConfigDoc {
    key: ConfigKey,
    content: Arc<str>,
    format: ConfigFormat,
    md5: String,
    from_snapshot: bool,
}

impl ConfigDoc {
    /// A document; the format is guessed from the data id's extension.
    pub fn new(key: ConfigKey, content: impl Into<String>) -> Self {
        let content: String = content.into();
        let format = ConfigFormat::from_name(key.data_id());
        ConfigDoc {
            md5: md5_hex(&content),
            key,
            content: content.into(),
            format,
            from_snapshot: false,
        }
    }

    /// Sets the format.
    #[must_use]
    pub fn with_format(mut self, format: ConfigFormat) -> Self {
        self.format = format;
        self
    }

    /// Marks the document as served from the local snapshot (every server was down).
    #[must_use]
    pub fn with_from_snapshot(mut self, yes: bool) -> Self {
        self.from_snapshot = yes;
        self
    }

    /// The key.
    pub fn key(&self) -> &ConfigKey {
        &self.key
    }

    /// The raw content.
    pub fn content(&self) -> &str {
        &self.content
    }

    /// The format.
    pub fn format(&self) -> ConfigFormat {
        self.format
    }

    /// The version: hex MD5 of the content.
    pub fn md5(&self) -> &str {
        &self.md5
    }

    /// Whether this came from the local snapshot rather than a live server.
    pub fn is_from_snapshot(&self) -> bool {
        self.from_snapshot
    }

    /// Parses and flattens the content into dotted keys (see [`FlatConfig`]).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the data id, line and column of malformed content;
    /// text documents have no keys and are rejected.
    pub fn parse(&self) -> Result<FlatConfig> {
        parse::parse_doc(self)
    }
}

impl fmt::Debug for ConfigDoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigDoc")
            .field("key", &self.key)
            .field("format", &self.format)
            .field("md5", &self.md5)
            .field("len", &self.content.len())
            .field("from_snapshot", &self.from_snapshot)
            .finish()
    }
}

/// What a [`super::ConfigSource::watch`] stream yields, per key in order.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ConfigEvent {
    /// A new version (the first event is the current one). Never repeated for the same MD5.
    Changed(ConfigDoc),
    /// The document was deleted (or is absent when the watch starts after a version was seen).
    Deleted(ConfigKey),
    /// The source is in trouble (server down, file unreadable); the last version stays in
    /// force and the watch keeps trying. Sent once per outage, not per retry.
    Unavailable {
        /// The watched key.
        key: ConfigKey,
        /// What went wrong.
        error: Arc<Error>,
    },
}

impl ConfigEvent {
    /// The key the event is about.
    pub fn key(&self) -> &ConfigKey {
        match self {
            ConfigEvent::Changed(d) => d.key(),
            ConfigEvent::Deleted(k) | ConfigEvent::Unavailable { key: k, .. } => k,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_known_vectors() {
        // RFC 1321 test suite values.
        assert_eq!(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            md5_hex("message digest"),
            "f96b697d7cb7938d525a2f31aaf161d0"
        );
    }

    #[test]
    fn doc_debug_hides_content() {
        let d = ConfigDoc::new(ConfigKey::new("a.properties"), "db.password=hunter2");
        let shown = format!("{d:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains(d.md5()), "{shown}");
        assert_eq!(d.format(), ConfigFormat::Properties);
    }

    #[test]
    fn key_validation_names_the_field() {
        assert!(ConfigKey::new("flink.yaml").validate().is_ok());
        let e = ConfigKey::new("a b").validate().unwrap_err().to_string();
        assert!(e.contains("data id") && e.contains("position 2"), "{e}");
        let e = ConfigKey::new("a")
            .with_group("")
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains("group"), "{e}");
        assert_eq!(ConfigKey::new("a").with_namespace("public").namespace(), "");
    }
}
