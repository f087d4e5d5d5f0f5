//! Detection of a Flink home: dist jar, version, configuration directory, lib/plugins lists.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::dist::{self, is_dist_name};
use super::{FlinkHome, LocalFile, VersionSource};
use crate::{Error, FlinkVersion};

/// Vendor configuration directories tried after `FLINK_CONF_DIR` and `<home>/conf`.
pub const DEFAULT_VENDOR_CONF_DIRS: &[&str] = &["/etc/flink/conf"];

/// Most files listed under `lib/` or `plugins/` (a guard against pointing at `/`).
const MAX_FILES: usize = 10_000;
/// Deepest directory nesting followed under `lib/` or `plugins/`.
const MAX_DEPTH: u32 = 6;

/// How [`FlinkHome::detect_with`] looks for things: the environment it sees and the vendor
/// configuration locations it tries. Tests pass their own; [`DetectOptions::from_env`] reads the
/// process environment.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DetectOptions {
    conf_dir: Option<PathBuf>,
    env: BTreeMap<String, String>,
    vendor_conf_dirs: Vec<PathBuf>,
}

impl Default for DetectOptions {
    /// No environment, the default vendor locations ([`DEFAULT_VENDOR_CONF_DIRS`]).
    fn default() -> Self {
        DetectOptions {
            conf_dir: None,
            env: BTreeMap::new(),
            vendor_conf_dirs: DEFAULT_VENDOR_CONF_DIRS.iter().map(PathBuf::from).collect(),
        }
    }
}

impl DetectOptions {
    /// The default vendor locations and `FLINK_CONF_DIR` from the process environment.
    pub fn from_env() -> Self {
        let mut o = DetectOptions::default();
        if let Ok(v) = std::env::var("FLINK_CONF_DIR") {
            o.env.insert("FLINK_CONF_DIR".into(), v);
        }
        o
    }

    /// Uses exactly this configuration directory (no search).
    #[must_use]
    pub fn with_conf_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.conf_dir = Some(dir.into());
        self
    }

    /// Sets an environment variable as detection sees it (`FLINK_CONF_DIR`).
    #[must_use]
    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Replaces the vendor configuration locations (default [`DEFAULT_VENDOR_CONF_DIRS`]).
    #[must_use]
    pub fn with_vendor_conf_dirs(mut self, dirs: Vec<PathBuf>) -> Self {
        self.vendor_conf_dirs = dirs;
        self
    }

    /// An environment variable as detection sees it.
    pub fn env(&self, key: &str) -> Option<&str> {
        self.env.get(key).map(String::as_str)
    }
}

/// One configuration directory candidate and what was found there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfCandidate {
    /// Where the candidate came from: `explicit`, `FLINK_CONF_DIR`, `<home>/conf`, `vendor`,
    /// `parcel`.
    pub origin: &'static str,
    /// The directory.
    pub path: PathBuf,
    /// What was found: `config.yaml`, `flink-conf.yaml`, `no configuration file`, `missing`.
    pub outcome: &'static str,
}

impl fmt::Display for ConfCandidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.path.display(),
            self.origin,
            self.outcome
        )
    }
}

/// Why a directory is not a usable Flink home. Each variant has a stable [`code`](Self::code).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlinkHomeError {
    /// The directory does not exist or is not a directory.
    #[error("Flink home `{}` does not exist or is not a directory", home.display())]
    HomeMissing {
        /// The directory given.
        home: PathBuf,
    },
    /// No `lib/flink-dist*.jar`.
    #[error("no lib/flink-dist*.jar in Flink home `{}` (looked in {})", home.display(), lib.display())]
    NoDistJar {
        /// The home.
        home: PathBuf,
        /// The lib directory searched.
        lib: PathBuf,
    },
    /// Several `lib/flink-dist*.jar`.
    #[error("several flink-dist jars in `{}`: {}", lib.display(), jars.join(", "))]
    AmbiguousDist {
        /// The lib directory.
        lib: PathBuf,
        /// Their names.
        jars: Vec<String>,
    },
    /// The version could be read neither from the jar's name nor from inside it.
    #[error("cannot tell the Flink version of `{}`: {}", jar.display(), tried.join("; "))]
    VersionUnparsed {
        /// The dist jar.
        jar: PathBuf,
        /// Each place tried and why it did not tell.
        tried: Vec<String>,
    },
    /// No configuration directory.
    #[error("no Flink configuration directory for `{}`; tried {}", home.display(), list(tried))]
    NoConfDir {
        /// The home.
        home: PathBuf,
        /// Every candidate, in order.
        tried: Vec<ConfCandidate>,
        /// The version read from the dist jar (all that is known without a configuration).
        version: FlinkVersion,
        /// The Scala version, when the jar names tell it.
        scala: Option<String>,
    },
    /// A directory could not be listed.
    #[error("cannot list `{}`", path.display())]
    Io {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

fn list(tried: &[ConfCandidate]) -> String {
    tried
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl FlinkHomeError {
    /// A stable code for reports: `FLINK_HOME_MISSING`, `FLINK_DIST_MISSING`,
    /// `FLINK_DIST_AMBIGUOUS`, `FLINK_VERSION_UNPARSED`, `FLINK_CONF_DIR_MISSING`,
    /// `FLINK_HOME_UNREADABLE`.
    pub fn code(&self) -> &'static str {
        match self {
            FlinkHomeError::HomeMissing { .. } => "FLINK_HOME_MISSING",
            FlinkHomeError::NoDistJar { .. } => "FLINK_DIST_MISSING",
            FlinkHomeError::AmbiguousDist { .. } => "FLINK_DIST_AMBIGUOUS",
            FlinkHomeError::VersionUnparsed { .. } => "FLINK_VERSION_UNPARSED",
            FlinkHomeError::NoConfDir { .. } => "FLINK_CONF_DIR_MISSING",
            FlinkHomeError::Io { .. } => "FLINK_HOME_UNREADABLE",
        }
    }
}

impl From<FlinkHomeError> for Error {
    fn from(e: FlinkHomeError) -> Error {
        let key = match &e {
            FlinkHomeError::NoConfDir { .. } => "FLINK_CONF_DIR",
            _ => "FLINK_HOME",
        };
        match e {
            FlinkHomeError::Io { .. } => Error::Other {
                backend: "flink",
                message: e.to_string(),
                source: Some(Box::new(e)),
            },
            other => Error::invalid_config("flink", key, other.to_string()),
        }
    }
}

pub(super) fn detect(home: &Path, opts: &DetectOptions) -> Result<FlinkHome, FlinkHomeError> {
    if !home.is_dir() {
        return Err(FlinkHomeError::HomeMissing {
            home: home.to_path_buf(),
        });
    }
    let lib_dir = home.join("lib");
    let lib = if lib_dir.is_dir() {
        list_files(&lib_dir)?
    } else {
        Vec::new()
    };
    let dists: Vec<&LocalFile> = lib
        .iter()
        .filter(|f| !f.relative.contains('/') && is_dist_name(&f.relative))
        .collect();
    let dist = match dists.as_slice() {
        [] => {
            return Err(FlinkHomeError::NoDistJar {
                home: home.to_path_buf(),
                lib: lib_dir,
            });
        }
        [one] => (*one).clone(),
        many => {
            return Err(FlinkHomeError::AmbiguousDist {
                lib: lib_dir,
                jars: many.iter().map(|f| f.relative.clone()).collect(),
            });
        }
    };
    let name = dist::parse_dist_name(&dist.relative);
    let mut scala = name.as_ref().and_then(|n| n.scala.clone());
    let (version, source) = match name.as_ref().and_then(|n| n.version.clone()) {
        Some(v) => (v, VersionSource::FileName),
        None => {
            let facts = dist::read_jar_facts(&dist.path);
            if scala.is_none() {
                scala = facts.scala.clone();
            }
            match facts.version {
                Some(v) => (
                    v,
                    if facts.misses.iter().any(|m| m.starts_with("META-INF")) {
                        VersionSource::VersionProperties
                    } else {
                        VersionSource::Manifest
                    },
                ),
                None => {
                    let mut tried = vec![match name.and_then(|n| n.unparsed) {
                        Some(t) => format!("file name version `{t}` does not parse"),
                        None => "file name has no version".to_string(),
                    }];
                    tried.extend(facts.misses);
                    return Err(FlinkHomeError::VersionUnparsed {
                        jar: dist.path,
                        tried,
                    });
                }
            }
        }
    };
    if scala.is_none() {
        scala = lib
            .iter()
            .find_map(|f| dist::scala_from_lib_name(&f.relative));
    }
    let (conf, tried) = pick_conf_dir(home, opts);
    let Some(conf_dir) = conf else {
        return Err(FlinkHomeError::NoConfDir {
            home: home.to_path_buf(),
            tried,
            version,
            scala,
        });
    };
    let config_file = ["config.yaml", "flink-conf.yaml"]
        .iter()
        .map(|n| conf_dir.join(n))
        .find(|p| p.is_file());
    let plugins_dir = home.join("plugins");
    let plugins = if plugins_dir.is_dir() {
        list_files(&plugins_dir)?
    } else {
        Vec::new()
    };
    let dist_mtime = std::fs::metadata(&dist.path)
        .and_then(|m| m.modified())
        .ok();
    Ok(FlinkHome {
        home: home.to_path_buf(),
        version,
        scala,
        conf_dir,
        config_file,
        dist,
        dist_mtime,
        lib,
        plugins,
        conf_tried: tried,
        version_source: source,
        options: opts.clone(),
    })
}

/// The configuration directory to use and every candidate considered.
pub(super) fn pick_conf_dir(
    home: &Path,
    opts: &DetectOptions,
) -> (Option<PathBuf>, Vec<ConfCandidate>) {
    let mut candidates: Vec<(&'static str, PathBuf)> = Vec::new();
    if let Some(d) = &opts.conf_dir {
        candidates.push(("explicit", d.clone()));
    } else {
        if let Some(d) = opts.env("FLINK_CONF_DIR").filter(|d| !d.trim().is_empty()) {
            candidates.push(("FLINK_CONF_DIR", PathBuf::from(d)));
        }
        candidates.push(("<home>/conf", home.join("conf")));
        for d in &opts.vendor_conf_dirs {
            candidates.push(("vendor", d.clone()));
        }
        // A Cloudera parcel: <parcel>/lib/flink has its defaults in <parcel>/etc/flink/conf.dist.
        if home.ends_with("lib/flink")
            && let Some(parcel) = home.parent().and_then(Path::parent)
        {
            candidates.push(("parcel", parcel.join("etc/flink/conf.dist")));
        }
    }
    let mut tried = Vec::new();
    let mut first_existing = None;
    let mut chosen = None;
    for (origin, path) in candidates {
        let outcome = if !path.is_dir() {
            "missing"
        } else if path.join("config.yaml").is_file() {
            "config.yaml"
        } else if path.join("flink-conf.yaml").is_file() {
            "flink-conf.yaml"
        } else {
            "no configuration file"
        };
        if chosen.is_none() {
            match outcome {
                "missing" => {}
                "no configuration file" => {
                    if first_existing.is_none() {
                        first_existing = Some(path.clone());
                    }
                }
                _ => chosen = Some(path.clone()),
            }
        }
        tried.push(ConfCandidate {
            origin,
            path,
            outcome,
        });
    }
    (chosen.or(first_existing), tried)
}

/// Name, size and modification time of the single dist jar, if there is exactly one.
pub(super) fn dist_fingerprint(home: &Path) -> Option<(String, u64, Option<SystemTime>)> {
    let mut found = None;
    for entry in std::fs::read_dir(home.join("lib")).ok()? {
        let entry = entry.ok()?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_dist_name(&name) {
            if found.is_some() {
                return None;
            }
            let meta = std::fs::metadata(entry.path()).ok()?;
            found = Some((name, meta.len(), meta.modified().ok()));
        }
    }
    found
}

/// Every regular file under `root` (symlinks followed), sorted by relative path.
fn list_files(root: &Path) -> Result<Vec<LocalFile>, FlinkHomeError> {
    let mut out = Vec::new();
    walk(root, root, 0, &mut out)?;
    out.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(out)
}

fn walk(
    root: &Path,
    dir: &Path,
    depth: u32,
    out: &mut Vec<LocalFile>,
) -> Result<(), FlinkHomeError> {
    let io = |source| FlinkHomeError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let Ok(meta) = std::fs::metadata(&path) else {
            continue; // dangling symlink
        };
        if meta.is_dir() {
            if depth < MAX_DEPTH {
                walk(root, &path, depth + 1, out)?;
            }
        } else if meta.is_file() && out.len() < MAX_FILES {
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let relative = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.push(LocalFile {
                relative,
                path,
                size: meta.len(),
            });
        }
    }
    Ok(())
}
