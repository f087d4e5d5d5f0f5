//! Hadoop client configuration: discovery, `*-site.xml` with `${var}` and `final`, and what a
//! Flink-on-YARN client needs from it (ResourceManager web addresses with HA, `fs.defaultFS`,
//! the WebHDFS address with NameNode HA, Kerberos on or off).
//!
//! One [`HadoopConf`] per Hadoop cluster; nothing is global, so a host can talk to several
//! clusters.
//!
//! ```no_run
//! use streampark_yarn::conf::HadoopConf;
//! let conf = HadoopConf::discover()?;            // HADOOP_CONF_DIR, YARN_CONF_DIR, …
//! for rm in conf.resource_manager_urls() {
//!     println!("RM {rm}");
//! }
//! let prod = HadoopConf::load("/etc/hadoop/conf.prod")?;
//! println!("{:?} kerberos={}", prod.default_fs(), prod.kerberos());
//! # Ok::<(), streampark_core::Error>(())
//! ```
//!
//! Loading: `core-site.xml`, `hdfs-site.xml`, `yarn-site.xml` in that order (and
//! `mapred-site.xml` when present). A later file overrides an earlier value unless that value
//! was marked `<final>true</final>`, as in Hadoop. Values are expanded as Hadoop does
//! (`${other.key}`, `${env.NAME}`, system properties such as `${user.name}`, at most 20 deep); a
//! key whose expansion loops is reported by [`HadoopConf::problems`] and [`HadoopConf::try_get`]
//! and reads as unset from [`HadoopConf::get`]. `<xi:include href="…">` is followed as Hadoop
//! does (relative to the including file; `<xi:fallback>` when the file cannot be read; cycles
//! and more than 16 nested includes refused with [`HadoopConfError::Include`]); a property's
//! [`HadoopConf::source_of`] is the file it is written in.

mod addresses;
mod discover;
mod subst;
mod xml;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use streampark_core::Error;
use url::Url;

pub use addresses::RmAddress;
pub use discover::{ConfDirCandidate, DEFAULT_CONF_DIRS, HadoopConfOptions};

use crate::BACKEND;

/// The files read from a configuration directory, in order.
pub const SITE_FILES: &[&str] = &[
    "core-site.xml",
    "hdfs-site.xml",
    "mapred-site.xml",
    "yarn-site.xml",
];

/// Why a Hadoop configuration could not be used. Each variant has a stable
/// [`code`](Self::code).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HadoopConfError {
    /// No configuration directory was found.
    #[error("no Hadoop configuration directory found; tried {}", list(tried))]
    NotFound {
        /// Every candidate, in order, with why it was not used.
        tried: Vec<ConfDirCandidate>,
    },
    /// The directory holds none of the site files.
    #[error("`{}` holds no core-site.xml, hdfs-site.xml or yarn-site.xml", dir.display())]
    Empty {
        /// The directory.
        dir: PathBuf,
    },
    /// A site file is not well-formed Hadoop XML.
    #[error("malformed Hadoop XML at {}:{line}:{column}: {reason}", file.display())]
    Xml {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong.
        reason: String,
    },
    /// An `<xi:include>` cannot be followed: its file is unreadable and there is no
    /// `<xi:fallback>`, it includes itself (directly or not), it nests too deep, or its `href` is
    /// not a local file.
    #[error("cannot follow <xi:include href=\"{href}\"> at {}:{line}: {reason}", file.display())]
    Include {
        /// The including file.
        file: PathBuf,
        /// 1-based line of the `<xi:include>` element.
        line: usize,
        /// The `href` as written.
        href: String,
        /// What went wrong.
        reason: String,
        /// The read error, when the file could not be read.
        #[source]
        source: Option<std::io::Error>,
    },
    /// A value's `${var}` expansion loops or is deeper than 20 levels.
    #[error("cannot expand `{key}` ({}): {reason}: {}", file.display(), chain.join(" -> "))]
    Substitution {
        /// The key.
        key: String,
        /// The file that set it.
        file: PathBuf,
        /// `variable cycle` or `more than 20 nested expansions`.
        reason: &'static str,
        /// The keys followed.
        chain: Vec<String>,
    },
    /// A site file is larger than the limit (16 MiB; real ones are well under 1 MiB).
    #[error("`{}` is larger than {limit} bytes: not read", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
    },
    /// A file could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

fn list(tried: &[ConfDirCandidate]) -> String {
    if tried.is_empty() {
        return "nothing (no candidates)".into();
    }
    tried
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl HadoopConfError {
    /// `HADOOP_CONF_DIR_UNSET` (nothing found), `HADOOP_CONF_EMPTY`, `HADOOP_XML_MALFORMED`,
    /// `HADOOP_CONF_SUBSTITUTION`, `HADOOP_CONF_UNREADABLE`, `HADOOP_XML_INCLUDE`.
    pub fn code(&self) -> &'static str {
        match self {
            HadoopConfError::NotFound { .. } => "HADOOP_CONF_DIR_UNSET",
            HadoopConfError::Empty { .. } => "HADOOP_CONF_EMPTY",
            HadoopConfError::Xml { .. } => "HADOOP_XML_MALFORMED",
            HadoopConfError::Include { .. } => "HADOOP_XML_INCLUDE",
            HadoopConfError::Substitution { .. } => "HADOOP_CONF_SUBSTITUTION",
            HadoopConfError::Io { .. } => "HADOOP_CONF_UNREADABLE",
            HadoopConfError::TooLarge { .. } => "HADOOP_CONF_TOO_LARGE",
        }
    }
}

impl From<HadoopConfError> for Error {
    fn from(e: HadoopConfError) -> Error {
        match e {
            HadoopConfError::Xml {
                ref file,
                line,
                column,
                ref reason,
            } => Error::invalid_input(
                BACKEND,
                "Hadoop XML",
                format!("{}:{line}:{column}", file.display()),
                reason.clone(),
            ),
            HadoopConfError::Include { ref file, line, .. } => Error::invalid_input(
                BACKEND,
                "Hadoop XML include",
                format!("{}:{line}", file.display()),
                e.to_string(),
            ),
            HadoopConfError::TooLarge { ref path, .. } => Error::invalid_input(
                BACKEND,
                "Hadoop site file",
                path.display().to_string(),
                e.to_string(),
            ),
            HadoopConfError::Substitution { ref key, .. } => {
                Error::invalid_config(BACKEND, key.clone(), e.to_string())
            }
            HadoopConfError::Io { .. } => Error::Other {
                backend: BACKEND,
                message: e.to_string(),
                source: Some(Box::new(e)),
            },
            other => Error::invalid_config(BACKEND, "HADOOP_CONF_DIR", other.to_string()),
        }
    }
}

/// One value as loaded.
#[derive(Debug, Clone)]
struct Entry {
    raw: String,
    file: PathBuf,
    is_final: bool,
}

/// A Hadoop client configuration directory, loaded. Cheap to clone.
#[derive(Clone)]
pub struct HadoopConf {
    conf_dir: PathBuf,
    files: Vec<PathBuf>,
    entries: BTreeMap<String, Entry>,
    resolved: BTreeMap<String, String>,
    failed: BTreeMap<String, HadoopConfErrorSummary>,
    final_overrides: Vec<(String, PathBuf)>,
    tried: Vec<ConfDirCandidate>,
}

/// A substitution failure kept per key (the error type is not `Clone`).
#[derive(Debug, Clone)]
struct HadoopConfErrorSummary {
    file: PathBuf,
    reason: &'static str,
    chain: Vec<String>,
}

impl fmt::Debug for HadoopConf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values can hold secrets (s3a keys, passwords): keys and counts only.
        f.debug_struct("HadoopConf")
            .field("conf_dir", &self.conf_dir)
            .field("files", &self.files)
            .field("keys", &self.entries.len())
            .field("failed", &self.failed.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Values Hadoop's `*-default.xml` supplies that addresses depend on. Used for `${var}`
/// expansion and address fallbacks, never returned by [`HadoopConf::get`].
const DEFAULTS: &[(&str, &str)] = &[
    ("yarn.resourcemanager.hostname", "0.0.0.0"),
    (
        "yarn.resourcemanager.webapp.address",
        "${yarn.resourcemanager.hostname}:8088",
    ),
    (
        "yarn.resourcemanager.webapp.https.address",
        "${yarn.resourcemanager.hostname}:8090",
    ),
    ("yarn.http.policy", "HTTP_ONLY"),
    ("dfs.http.policy", "HTTP_ONLY"),
    ("dfs.namenode.http-address", "0.0.0.0:9870"),
    ("dfs.namenode.https-address", "0.0.0.0:9871"),
    ("hadoop.security.authentication", "simple"),
];

impl HadoopConf {
    /// Discovers the configuration directory from the process environment
    /// ([`HadoopConfOptions::from_env`]) and loads it.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] listing every directory tried and why it was not used;
    /// [`Error::InvalidInput`] naming file, line and column for malformed XML.
    pub fn discover() -> Result<HadoopConf, Error> {
        Ok(Self::discover_with(&HadoopConfOptions::from_env())?)
    }

    /// Discovers with explicit options (tests, several clusters).
    ///
    /// # Errors
    /// See [`HadoopConfError`].
    pub fn discover_with(options: &HadoopConfOptions) -> Result<HadoopConf, HadoopConfError> {
        let (dir, tried) = discover::find(options)?;
        let mut conf = Self::load_with(&dir, options)?;
        conf.tried = tried;
        Ok(conf)
    }

    /// Loads the site files of `dir` (environment and system properties from the process).
    ///
    /// # Errors
    /// As [`HadoopConf::discover`].
    pub fn load(dir: impl AsRef<Path>) -> Result<HadoopConf, Error> {
        Ok(Self::load_with(
            dir.as_ref(),
            &HadoopConfOptions::from_env(),
        )?)
    }

    /// Loads the site files of `dir` with explicit options.
    ///
    /// # Errors
    /// See [`HadoopConfError`].
    pub fn load_with(
        dir: &Path,
        options: &HadoopConfOptions,
    ) -> Result<HadoopConf, HadoopConfError> {
        let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
        let mut files = Vec::new();
        let mut final_overrides = Vec::new();
        for name in SITE_FILES {
            let path = dir.join(name);
            if !path.is_file() {
                continue;
            }
            let text = xml::read_site_file(&path).map_err(|f| match f {
                xml::ReadFailure::Io(source) => HadoopConfError::Io {
                    path: path.clone(),
                    source,
                },
                xml::ReadFailure::Unusable(e) => e,
            })?;
            for p in xml::parse(&text, &path)? {
                let Some(value) = p.value else { continue };
                if let Some(old) = entries.get(&p.name)
                    && old.is_final
                {
                    // Hadoop keeps a final value and warns about the attempt.
                    tracing::warn!(key = %p.name, file = %p.file.display(), "attempt to override a final Hadoop parameter ignored");
                    final_overrides.push((p.name.clone(), p.file.clone()));
                    continue;
                }
                entries.insert(
                    p.name,
                    Entry {
                        raw: value,
                        file: p.file,
                        is_final: p.is_final,
                    },
                );
            }
            files.push(path);
        }
        if files.is_empty() {
            return Err(HadoopConfError::Empty {
                dir: dir.to_path_buf(),
            });
        }
        let mut conf = HadoopConf {
            conf_dir: dir.to_path_buf(),
            files,
            entries,
            resolved: BTreeMap::new(),
            failed: BTreeMap::new(),
            final_overrides,
            tried: Vec::new(),
        };
        conf.resolve_all(options);
        Ok(conf)
    }

    fn raw(&self, key: &str) -> Option<String> {
        self.entries.get(key).map(|e| e.raw.clone()).or_else(|| {
            DEFAULTS
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_string())
        })
    }

    fn resolve_all(&mut self, options: &HadoopConfOptions) {
        let raw = |k: &str| self.raw(k);
        let lookup = subst::Lookup {
            raw: &raw,
            env: options.env_map(),
            system: options.system_properties(),
        };
        let mut resolved = BTreeMap::new();
        let mut failed = BTreeMap::new();
        for (key, e) in &self.entries {
            match subst::expand(key, &e.raw, &lookup) {
                Ok(v) => {
                    resolved.insert(key.clone(), v);
                }
                Err(err) => {
                    let (reason, chain) = match err {
                        subst::SubstError::Cycle(c) => ("variable cycle", c),
                        subst::SubstError::TooDeep(c) => ("more than 20 nested expansions", c),
                    };
                    failed.insert(
                        key.clone(),
                        HadoopConfErrorSummary {
                            file: e.file.clone(),
                            reason,
                            chain,
                        },
                    );
                }
            }
        }
        // Defaults expanded too, for address fallbacks.
        for (k, _) in DEFAULTS {
            if !self.entries.contains_key(*k)
                && let Some(v) = self.raw(k)
                && let Ok(x) = subst::expand(k, &v, &lookup)
            {
                resolved.insert(format!("\0default\0{k}"), x);
            }
        }
        self.resolved = resolved;
        self.failed = failed;
    }

    /// The configuration directory.
    pub fn conf_dir(&self) -> &Path {
        &self.conf_dir
    }

    /// The site files read, in order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The directories discovery tried before this one (empty for [`HadoopConf::load`]).
    pub fn tried(&self) -> &[ConfDirCandidate] {
        &self.tried
    }

    /// A configured value, expanded; `None` when unset or when its expansion failed.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.resolved.get(key).map(String::as_str)
    }

    /// A configured value, expanded, or the error its expansion hit.
    ///
    /// # Errors
    /// [`HadoopConfError::Substitution`] for a cycle or too deep an expansion.
    pub fn try_get(&self, key: &str) -> Result<Option<&str>, HadoopConfError> {
        if let Some(f) = self.failed.get(key) {
            return Err(HadoopConfError::Substitution {
                key: key.to_string(),
                file: f.file.clone(),
                reason: f.reason,
                chain: f.chain.clone(),
            });
        }
        Ok(self.get(key))
    }

    /// Whether `key` was marked `<final>true</final>`.
    pub fn is_final(&self, key: &str) -> bool {
        self.entries.get(key).is_some_and(|e| e.is_final)
    }

    /// The file that set `key`.
    pub fn source_of(&self, key: &str) -> Option<&Path> {
        self.entries.get(key).map(|e| e.file.as_path())
    }

    /// Keys a later file tried to override although they were final, with that file.
    pub fn final_overrides(&self) -> &[(String, PathBuf)] {
        &self.final_overrides
    }

    /// Every key whose expansion failed, as errors.
    pub fn problems(&self) -> Vec<HadoopConfError> {
        self.failed
            .keys()
            .filter_map(|k| self.try_get(k).err())
            .collect()
    }

    /// A value or Hadoop's default for it (for the keys listed in this module's defaults).
    pub(crate) fn get_or_default(&self, key: &str) -> Option<&str> {
        self.get(key).or_else(|| {
            self.resolved
                .get(&format!("\0default\0{key}"))
                .map(String::as_str)
        })
    }

    /// `fs.defaultFS` (or the deprecated `fs.default.name`).
    pub fn default_fs(&self) -> Option<&str> {
        self.get("fs.defaultFS")
            .or_else(|| self.get("fs.default.name"))
    }

    /// Whether `hadoop.security.authentication` is `kerberos`.
    pub fn kerberos(&self) -> bool {
        self.get("hadoop.security.authentication")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("kerberos"))
    }

    /// Whether ResourceManager HA is on (`yarn.resourcemanager.ha.enabled`).
    pub fn rm_ha_enabled(&self) -> bool {
        self.get("yarn.resourcemanager.ha.enabled")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// Every ResourceManager web address, with how it was derived (see [`RmAddress`]).
    pub fn resource_managers(&self) -> Vec<RmAddress> {
        addresses::resource_managers(self)
    }

    /// The usable ResourceManager web URLs (`http://rm1:8088`), one per RM id under HA (an
    /// address two ids share is listed once).
    pub fn resource_manager_urls(&self) -> Vec<Url> {
        let mut urls: Vec<Url> = Vec::new();
        for u in self
            .resource_managers()
            .into_iter()
            .filter_map(|r| r.url.ok())
        {
            if !urls.contains(&u) {
                urls.push(u);
            }
        }
        urls
    }

    /// Every NameNode's WebHDFS base URL (`http://nn1:9870`, no `/webhdfs/v1` path): all
    /// NameNodes of the `fs.defaultFS` nameservice under HA.
    pub fn webhdfs_urls(&self) -> Vec<Url> {
        addresses::webhdfs_urls(self)
    }

    /// The first WebHDFS base URL ([`HadoopConf::webhdfs_urls`]).
    pub fn webhdfs_url(&self) -> Option<Url> {
        self.webhdfs_urls().into_iter().next()
    }
}

#[cfg(test)]
mod include_tests;
#[cfg(test)]
mod tests;
