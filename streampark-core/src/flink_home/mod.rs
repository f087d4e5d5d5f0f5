//! Flink homes found on disk, without running Java.
//!
//! [`FlinkHome::detect`] reads a Flink distribution directory:
//!
//! - the version and Scala version from `lib/flink-dist*.jar`: its file name
//!   (`flink-dist_2.12-1.14.0-csa1.6.0.0.jar`, `flink-dist-2.3.0.jar`), else the jar's
//!   `META-INF/MANIFEST.MF` (`Implementation-Version`), else `.flink-runtime.version.properties`;
//!   vendor builds keep their tag ([`FlinkVersion::vendor`]); the Scala version also comes from
//!   `lib/flink-scala_<v>-*.jar` (Flink 1.15+ ships a Scala-free dist);
//! - the configuration directory: an explicit one, then `FLINK_CONF_DIR`, then `<home>/conf`,
//!   then vendor locations (`/etc/flink/conf`, and a Cloudera parcel's `etc/flink/conf.dist`
//!   for a home at `<parcel>/lib/flink`), the first holding `config.yaml` or `flink-conf.yaml`;
//! - `config.yaml` (Flink 1.19+ and 2.x) before the legacy `flink-conf.yaml`;
//! - the files under `lib/` and `plugins/` with their sizes.
//!
//! [`FlinkEnvs`] keeps several homes side by side, picks one for a job's
//! [`FlinkVersionReq`](crate::FlinkVersionReq) and re-detects homes that changed on disk.
//!
//! ```no_run
//! use streampark_core::FlinkHome;
//! let home = FlinkHome::detect("/opt/flink")?;
//! println!("{} (scala {:?}) conf in {}", home.version(), home.scala_version(), home.conf_dir().display());
//! # Ok::<(), streampark_core::Error>(())
//! ```

mod config;
mod detect;
mod dist;
mod envs;
pub mod keys;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub use detect::{ConfCandidate, DEFAULT_VENDOR_CONF_DIRS, DetectOptions, FlinkHomeError};
pub use envs::{FlinkEnvs, Refresh};

use crate::{Error, FlinkVersion};

/// A file under a Flink home's `lib/` or `plugins/` directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// Path relative to `lib/` or `plugins/`, `/`-separated (`metrics-jmx/flink-metrics-jmx-2.3.0.jar`).
    pub relative: String,
    /// Absolute path on this host.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
}

/// A Flink distribution on this host. Cheap to clone.
#[derive(Debug, Clone)]
pub struct FlinkHome {
    home: PathBuf,
    version: FlinkVersion,
    scala: Option<String>,
    conf_dir: PathBuf,
    config_file: Option<PathBuf>,
    dist: LocalFile,
    dist_mtime: Option<SystemTime>,
    lib: Vec<LocalFile>,
    plugins: Vec<LocalFile>,
    conf_tried: Vec<ConfCandidate>,
    version_source: VersionSource,
    options: DetectOptions,
}

/// Where a home's version was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VersionSource {
    /// The `flink-dist` jar's file name.
    FileName,
    /// The jar's `META-INF/MANIFEST.MF`.
    Manifest,
    /// The jar's `.flink-runtime.version.properties`.
    VersionProperties,
}

impl FlinkHome {
    /// Detects the Flink home at `dir` with the process environment (`FLINK_CONF_DIR`) and the
    /// default vendor configuration locations ([`DetectOptions::from_env`]).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `dir` is no Flink home, has no (or several)
    /// `lib/flink-dist*.jar`, its version cannot be read, or no configuration directory is
    /// found; the message lists every place tried. [`FlinkHome::detect_with`] gives the typed
    /// [`FlinkHomeError`].
    pub fn detect(dir: impl AsRef<Path>) -> Result<FlinkHome, Error> {
        Ok(Self::detect_with(dir, &DetectOptions::from_env())?)
    }

    /// Detects the Flink home at `dir` with explicit options (tests, several environments).
    ///
    /// # Errors
    /// See [`FlinkHomeError`]; each variant has a stable [`FlinkHomeError::code`].
    pub fn detect_with(
        dir: impl AsRef<Path>,
        options: &DetectOptions,
    ) -> Result<FlinkHome, FlinkHomeError> {
        detect::detect(dir.as_ref(), options)
    }

    /// The home directory (as given, not canonicalized).
    pub fn home(&self) -> &Path {
        &self.home
    }
    /// The Flink version, vendor tag included.
    pub fn version(&self) -> &FlinkVersion {
        &self.version
    }
    /// Where the version was read from.
    pub fn version_source(&self) -> VersionSource {
        self.version_source
    }
    /// The Scala binary version (`"2.12"`), `None` for a Scala-free distribution.
    pub fn scala_version(&self) -> Option<&str> {
        self.scala.as_deref()
    }
    /// The configuration directory in use.
    pub fn conf_dir(&self) -> &Path {
        &self.conf_dir
    }
    /// `config.yaml` or `flink-conf.yaml` in [`FlinkHome::conf_dir`], if there is one.
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }
    /// Every configuration directory candidate considered, in order, with its outcome.
    pub fn conf_tried(&self) -> &[ConfCandidate] {
        &self.conf_tried
    }
    /// `<home>/bin/flink`.
    pub fn flink_bin(&self) -> PathBuf {
        self.home.join("bin").join("flink")
    }
    /// The `lib/flink-dist*.jar`.
    pub fn dist_jar(&self) -> &LocalFile {
        &self.dist
    }
    /// Files under `lib/`, sorted by relative path (the dist jar included).
    pub fn lib(&self) -> &[LocalFile] {
        &self.lib
    }
    /// Files under `plugins/`, sorted by relative path.
    pub fn plugins(&self) -> &[LocalFile] {
        &self.plugins
    }

    /// The configuration file's entries as flat `key -> value` pairs (nested `config.yaml`
    /// maps joined with `.`); empty when there is no configuration file.
    ///
    /// # Errors
    /// When the file cannot be read or is malformed YAML (the error names file and line).
    pub fn read_config(&self) -> Result<BTreeMap<String, String>, Error> {
        match &self.config_file {
            Some(f) => config::read_flat(f),
            None => Ok(BTreeMap::new()),
        }
    }

    /// Whether the home changed on disk since detection: another dist jar name, size or
    /// modification time, or a different configuration directory.
    pub fn is_stale(&self) -> bool {
        match detect::dist_fingerprint(&self.home) {
            Some((name, size, mtime)) => {
                name != self.dist.relative
                    || size != self.dist.size
                    || mtime != self.dist_mtime
                    || detect::pick_conf_dir(&self.home, &self.options)
                        .0
                        .as_deref()
                        != Some(self.conf_dir.as_path())
            }
            None => true,
        }
    }

    /// Detects this home again with the options it was detected with.
    ///
    /// # Errors
    /// As [`FlinkHome::detect_with`].
    pub fn redetect(&self) -> Result<FlinkHome, FlinkHomeError> {
        detect::detect(&self.home, &self.options)
    }
}

#[cfg(test)]
mod tests;
