//! Several Flink homes side by side.

use std::path::{Path, PathBuf};

use super::{FlinkHome, FlinkHomeError};
use crate::{Error, FlinkVersionReq};

/// Several Flink homes on one host (say 1.17 for old jobs, 2.3 for new ones), with a default.
///
/// ```no_run
/// use streampark_core::{FlinkEnvs, FlinkHome};
/// let mut envs = FlinkEnvs::new();
/// envs.insert(FlinkHome::detect("/opt/flink-1.17.2")?);
/// envs.insert(FlinkHome::detect("/opt/flink-2.3.0")?);
/// let home = envs.select(&">=1.17, <2".parse()?)?;
/// assert_eq!(home.version().major(), 1);
/// # Ok::<(), streampark_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct FlinkEnvs {
    homes: Vec<FlinkHome>,
    default: Option<PathBuf>,
}

/// What [`FlinkEnvs::refresh`] did with one home.
#[derive(Debug)]
#[non_exhaustive]
pub enum Refresh {
    /// Nothing changed on disk.
    Unchanged,
    /// The home changed and was detected again (old version, new version).
    Redetected {
        /// The version before.
        before: crate::FlinkVersion,
        /// The version now.
        after: crate::FlinkVersion,
    },
    /// The home changed and no longer detects; the previous detection is kept.
    Failed(FlinkHomeError),
}

impl FlinkEnvs {
    /// No homes.
    pub fn new() -> Self {
        FlinkEnvs::default()
    }

    /// Adds a home, replacing one at the same path. The first home added is the default until
    /// [`FlinkEnvs::set_default`] says otherwise.
    pub fn insert(&mut self, home: FlinkHome) -> &mut Self {
        if self.default.is_none() {
            self.default = Some(home.home().to_path_buf());
        }
        match self.homes.iter_mut().find(|h| h.home() == home.home()) {
            Some(slot) => *slot = home,
            None => self.homes.push(home),
        }
        self
    }

    /// Removes the home at `path`; returns it.
    pub fn remove(&mut self, path: impl AsRef<Path>) -> Option<FlinkHome> {
        let i = self.homes.iter().position(|h| h.home() == path.as_ref())?;
        let h = self.homes.remove(i);
        if self.default.as_deref() == Some(path.as_ref()) {
            self.default = self.homes.first().map(|h| h.home().to_path_buf());
        }
        Some(h)
    }

    /// Makes the home at `path` the default.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no home at `path` was inserted.
    pub fn set_default(&mut self, path: impl AsRef<Path>) -> Result<(), Error> {
        let p = path.as_ref();
        if !self.homes.iter().any(|h| h.home() == p) {
            return Err(Error::not_found(
                "flink",
                format!("Flink home `{}` among {}", p.display(), self.describe()),
            ));
        }
        self.default = Some(p.to_path_buf());
        Ok(())
    }

    /// The default home.
    pub fn default_home(&self) -> Option<&FlinkHome> {
        let d = self.default.as_deref()?;
        self.homes.iter().find(|h| h.home() == d)
    }

    /// All homes, in insertion order.
    pub fn homes(&self) -> &[FlinkHome] {
        &self.homes
    }

    /// The home with the highest version matching `req` (the default among equals; `*` picks
    /// the default home).
    ///
    /// # Errors
    /// [`Error::NotFound`] naming the requirement and the versions available.
    pub fn select(&self, req: &FlinkVersionReq) -> Result<&FlinkHome, Error> {
        if req.to_string() == "*"
            && let Some(d) = self.default_home()
        {
            return Ok(d);
        }
        let default = self.default.as_deref();
        self.homes
            .iter()
            .filter(|h| req.matches(h.version()))
            .max_by(|a, b| {
                a.version()
                    .cmp(b.version())
                    .then_with(|| (Some(a.home()) == default).cmp(&(Some(b.home()) == default)))
            })
            .ok_or_else(|| {
                Error::not_found(
                    "flink",
                    format!("Flink home matching `{req}` among {}", self.describe()),
                )
            })
    }

    /// Re-detects every home that changed on disk ([`FlinkHome::is_stale`]).
    pub fn refresh(&mut self) -> Vec<(PathBuf, Refresh)> {
        let mut out = Vec::new();
        for slot in &mut self.homes {
            let path = slot.home().to_path_buf();
            if !slot.is_stale() {
                out.push((path, Refresh::Unchanged));
                continue;
            }
            match slot.redetect() {
                Ok(fresh) => {
                    let before = slot.version().clone();
                    let after = fresh.version().clone();
                    *slot = fresh;
                    out.push((path, Refresh::Redetected { before, after }));
                }
                Err(e) => out.push((path, Refresh::Failed(e))),
            }
        }
        out
    }

    fn describe(&self) -> String {
        if self.homes.is_empty() {
            return "no Flink homes".into();
        }
        self.homes
            .iter()
            .map(|h| format!("{} ({})", h.version(), h.home().display()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
