//! Where a Hadoop client configuration directory is looked for.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use super::{HadoopConfError, SITE_FILES};

/// Directories tried after `HADOOP_CONF_DIR`, `YARN_CONF_DIR` and `$HADOOP_HOME/etc/hadoop`:
/// the Apache/Bigtop default and the client configuration Cloudera Manager deploys (on CDH/CDP
/// hosts `/etc/hadoop/conf` is an alternatives link to it). Cloudera's per-process directories
/// under `/run/cloudera-scm-agent/process/` are server-side and deliberately not searched.
pub const DEFAULT_CONF_DIRS: &[&str] = &["/etc/hadoop/conf", "/etc/hadoop/conf.cloudera.yarn"];

/// What discovery sees: environment, system properties (for `${user.name}`) and the default
/// directories. Tests build their own; [`HadoopConfOptions::from_env`] reads the process.
#[derive(Clone)]
#[non_exhaustive]
pub struct HadoopConfOptions {
    conf_dir: Option<PathBuf>,
    env: BTreeMap<String, String>,
    system: BTreeMap<String, String>,
    default_dirs: Vec<PathBuf>,
}

impl fmt::Debug for HadoopConfOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Environment values may be secrets: names only.
        f.debug_struct("HadoopConfOptions")
            .field("conf_dir", &self.conf_dir)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .field("system", &self.system.keys().collect::<Vec<_>>())
            .field("default_dirs", &self.default_dirs)
            .finish()
    }
}

impl Default for HadoopConfOptions {
    /// Empty environment, no system properties, [`DEFAULT_CONF_DIRS`].
    fn default() -> Self {
        HadoopConfOptions {
            conf_dir: None,
            env: BTreeMap::new(),
            system: BTreeMap::new(),
            default_dirs: DEFAULT_CONF_DIRS.iter().map(PathBuf::from).collect(),
        }
    }
}

impl HadoopConfOptions {
    /// The process environment; system properties `user.name` (`$USER`/`$LOGNAME`),
    /// `user.home` (`$HOME`), `java.io.tmpdir` (`/tmp`) as a JVM would have them.
    pub fn from_env() -> Self {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        let mut o = HadoopConfOptions {
            env,
            ..HadoopConfOptions::default()
        };
        o.fill_system_defaults();
        o
    }

    fn fill_system_defaults(&mut self) {
        let user = self
            .env
            .get("USER")
            .or_else(|| self.env.get("LOGNAME"))
            .cloned();
        if let Some(u) = user {
            self.system.entry("user.name".into()).or_insert(u);
        }
        if let Some(h) = self.env.get("HOME").cloned() {
            self.system.entry("user.home".into()).or_insert(h);
        }
        self.system
            .entry("java.io.tmpdir".into())
            .or_insert_with(|| "/tmp".into());
    }

    /// Uses exactly this directory (no search).
    #[must_use]
    pub fn with_conf_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.conf_dir = Some(dir.into());
        self
    }

    /// An environment variable as discovery and `${env.NAME}` see it.
    #[must_use]
    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// A system property for `${name}` expansion (after the configuration's own keys).
    #[must_use]
    pub fn with_system_property(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.system.insert(key.into(), value.into());
        self
    }

    /// Replaces the default directories ([`DEFAULT_CONF_DIRS`]).
    #[must_use]
    pub fn with_default_dirs(mut self, dirs: Vec<PathBuf>) -> Self {
        self.default_dirs = dirs;
        self
    }

    /// An environment variable as discovery sees it.
    pub fn env(&self, key: &str) -> Option<&str> {
        self.env.get(key).map(String::as_str)
    }

    pub(crate) fn env_map(&self) -> &BTreeMap<String, String> {
        &self.env
    }

    pub(crate) fn system_properties(&self) -> &BTreeMap<String, String> {
        &self.system
    }
}

/// One place discovery looked, and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfDirCandidate {
    /// `explicit`, `HADOOP_CONF_DIR`, `YARN_CONF_DIR`, `HADOOP_HOME`, `default`.
    pub origin: &'static str,
    /// The directory (`None` when the variable was unset).
    pub path: Option<PathBuf>,
    /// `unset`, `missing`, `no site files`, or `used`.
    pub outcome: &'static str,
}

impl fmt::Display for ConfDirCandidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{} ({}): {}", p.display(), self.origin, self.outcome),
            None => write!(f, "{}: {}", self.origin, self.outcome),
        }
    }
}

/// Finds the directory to load; every candidate considered comes back too.
pub(super) fn find(
    o: &HadoopConfOptions,
) -> Result<(PathBuf, Vec<ConfDirCandidate>), HadoopConfError> {
    let mut cands: Vec<(&'static str, Option<PathBuf>)> = Vec::new();
    if let Some(d) = &o.conf_dir {
        cands.push(("explicit", Some(d.clone())));
    } else {
        let var = |k: &str| o.env(k).filter(|v| !v.trim().is_empty()).map(PathBuf::from);
        cands.push(("HADOOP_CONF_DIR", var("HADOOP_CONF_DIR")));
        cands.push(("YARN_CONF_DIR", var("YARN_CONF_DIR")));
        cands.push((
            "HADOOP_HOME",
            var("HADOOP_HOME").map(|h| h.join("etc/hadoop")),
        ));
        for d in &o.default_dirs {
            cands.push(("default", Some(d.clone())));
        }
    }
    let mut tried = Vec::new();
    let mut chosen = None;
    for (origin, path) in cands {
        if chosen.is_some() {
            break;
        }
        let outcome = match &path {
            None => "unset",
            Some(p) if !p.is_dir() => "missing",
            Some(p) if !SITE_FILES.iter().any(|f| p.join(f).is_file()) => "no site files",
            Some(p) => {
                chosen = Some(p.clone());
                "used"
            }
        };
        tried.push(ConfDirCandidate {
            origin,
            path,
            outcome,
        });
    }
    match chosen {
        Some(d) => Ok((d, tried)),
        None => Err(HadoopConfError::NotFound { tried }),
    }
}
