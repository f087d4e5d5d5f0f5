//! The environment doctor: one report for Flink home(s) + a Hadoop configuration, listing every
//! problem with a stable code, a message and a fix.
//!
//! Static checks come first and touch only the local disk (and `klist`); live checks
//! ([`Doctor::diagnose`]) then probe each ResourceManager (`/ws/v1/cluster/info`, HA state) and
//! compare the HDFS workspace `<workspace>/flink/<version>/{lib,plugins}` with the local home
//! over WebHDFS.
//!
//! ```no_run
//! use streampark_yarn::doctor::Doctor;
//! # async fn f() {
//! let report = Doctor::new()
//!     .with_flink_home("/opt/flink-1.17.2")
//!     .with_hadoop_conf_dir("/etc/hadoop/conf")
//!     .with_workspace("/streampark")
//!     .diagnose()
//!     .await;
//! for p in report.problems() {
//!     println!("{:?} {}: {}\n  fix: {}", p.severity, p.code, p.message, p.fix);
//! }
//! println!("{}", report.to_json());
//! # }
//! ```
//!
//! Codes (severity): see `docs/yarn.md`, section "Environment doctor".

mod checks;
mod live;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use streampark_core::FlinkHome;
use streampark_core::flink_home::DetectOptions;

use crate::conf::{HadoopConf, HadoopConfOptions};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Severity {
    /// Jobs will not deploy (or not reliably) until it is fixed.
    Error,
    /// Likely trouble, or a check that could not run.
    Warning,
    /// Worth knowing.
    Info,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Problem {
    /// Stable code, e.g. `HADOOP_CONF_DIR_UNSET`.
    pub code: &'static str,
    /// How bad.
    pub severity: Severity,
    /// What is wrong, where.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl Problem {
    pub(crate) fn new(
        code: &'static str,
        severity: Severity,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Problem {
            code,
            severity,
            message: message.into(),
            fix: fix.into(),
        }
    }
}

/// The doctor's report.
#[derive(Debug, Clone)]
pub struct Report {
    homes: Vec<HomeEntry>,
    hadoop: Option<HadoopConf>,
    problems: Vec<Problem>,
}

/// A Flink home the doctor looked at.
#[derive(Debug, Clone)]
struct HomeEntry {
    path: PathBuf,
    home: Option<FlinkHome>,
    /// Version and Scala version of a home that did not detect completely.
    found: Option<(streampark_core::FlinkVersion, Option<String>)>,
}

impl Report {
    /// Every problem, errors first, in the order found within a severity.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Whether any problem has [`Severity::Error`].
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    /// Whether a problem with `code` was found.
    pub fn has(&self, code: &str) -> bool {
        self.problems.iter().any(|p| p.code == code)
    }

    /// The Flink homes that were detected, in the order given (the first is the default).
    pub fn flink_homes(&self) -> Vec<&FlinkHome> {
        self.homes.iter().filter_map(|h| h.home.as_ref()).collect()
    }

    /// The Hadoop configuration, when one was loaded.
    pub fn hadoop(&self) -> Option<&HadoopConf> {
        self.hadoop.as_ref()
    }

    /// The report as JSON:
    /// `{"flink": {"home", "version", "vendor", "scala", "conf_dir"} | null,
    ///   "flink_homes": [same shape…],
    ///   "hadoop": {"conf_dir", "resource_managers": [URL…], "default_fs"} | null,
    ///   "problems": [{"code", "message", "fix"}]}`.
    ///
    /// `flink` is the first Flink home given (the default); `flink_homes` lists every home
    /// given, in order (`version`, `vendor` and `scala` as far as they were read for a home that
    /// did not detect completely, e.g. without a configuration directory; `null` when unknown;
    /// `conf_dir` `null` when none was found). `version` is the
    /// base version (`1.14.0`), `vendor` the rest (`csa1.6.0.0`) or `null`.
    pub fn to_json(&self) -> Value {
        let home_json = |e: &HomeEntry| match &e.home {
            Some(h) => json!({
                "home": h.home().display().to_string(),
                "version": h.version().base().to_string(),
                "vendor": h.version().vendor(),
                "scala": h.scala_version(),
                "conf_dir": h.conf_dir().display().to_string(),
            }),
            None => match &e.found {
                Some((v, scala)) => json!({
                    "home": e.path.display().to_string(),
                    "version": v.base().to_string(),
                    "vendor": v.vendor(),
                    "scala": scala,
                    "conf_dir": null,
                }),
                None => json!({
                    "home": e.path.display().to_string(),
                    "version": null, "vendor": null, "scala": null, "conf_dir": null,
                }),
            },
        };
        let flink = self.homes.first().map_or(Value::Null, home_json);
        let hadoop = self.hadoop.as_ref().map_or(Value::Null, |c| {
            json!({
                "conf_dir": c.conf_dir().display().to_string(),
                "resource_managers": c.resource_manager_urls().iter().map(|u| u.as_str().trim_end_matches('/').to_string()).collect::<Vec<_>>(),
                "default_fs": c.default_fs(),
            })
        });
        json!({
            "flink": flink,
            "flink_homes": self.homes.iter().map(home_json).collect::<Vec<_>>(),
            "hadoop": hadoop,
            "problems": self.problems.iter().map(|p| json!({"code": p.code, "message": p.message, "fix": p.fix})).collect::<Vec<_>>(),
        })
    }
}

/// What to examine and how. Cheap to clone.
#[derive(Debug, Clone)]
#[must_use]
pub struct Doctor {
    homes: Vec<PathBuf>,
    flink_options: DetectOptions,
    hadoop_dir: Option<PathBuf>,
    hadoop_options: HadoopConfOptions,
    workspace: Option<String>,
    queue: Option<String>,
    user: Option<String>,
    timeout: Duration,
    klist: Option<PathBuf>,
}

impl Default for Doctor {
    fn default() -> Self {
        Doctor::new()
    }
}

impl Doctor {
    /// Process environment (`FLINK_HOME`, `FLINK_CONF_DIR`, `HADOOP_CONF_DIR`, …), `klist` from
    /// `PATH`, 5 s network timeout, no workspace.
    pub fn new() -> Self {
        Doctor {
            homes: Vec::new(),
            flink_options: DetectOptions::from_env(),
            hadoop_dir: None,
            hadoop_options: HadoopConfOptions::from_env(),
            workspace: None,
            queue: None,
            user: None,
            timeout: Duration::from_secs(5),
            klist: Some(PathBuf::from("klist")),
        }
    }

    /// A Flink home to examine; repeat for several (the first is the default). Without any,
    /// `FLINK_HOME` from the environment the Hadoop options carry is used.
    pub fn with_flink_home(mut self, path: impl Into<PathBuf>) -> Self {
        self.homes.push(path.into());
        self
    }

    /// How Flink homes are detected (conf dir search, `FLINK_CONF_DIR`).
    pub fn with_flink_detect_options(mut self, o: DetectOptions) -> Self {
        self.flink_options = o;
        self
    }

    /// Use this Hadoop configuration directory instead of discovering one.
    pub fn with_hadoop_conf_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.hadoop_dir = Some(dir.into());
        self
    }

    /// Environment, system properties and default directories for Hadoop discovery; its
    /// environment also feeds `FLINK_HOME`, `HADOOP_CLASSPATH` and `KRB5CCNAME`.
    pub fn with_hadoop_options(mut self, o: HadoopConfOptions) -> Self {
        self.hadoop_options = o;
        self
    }

    /// The HDFS workspace root (`/streampark` or `hdfs://ns/streampark`) whose
    /// `flink/<version>/{lib,plugins}` must match the local home.
    pub fn with_workspace(mut self, path: impl Into<String>) -> Self {
        self.workspace = Some(path.into());
        self
    }

    /// The YARN queue jobs go to: the live checks look it up in the active RM's scheduler
    /// (`YARN_QUEUE_UNKNOWN`, `YARN_QUEUE_NOT_LEAF`, `YARN_QUEUE_STOPPED`).
    pub fn with_queue(mut self, queue: impl Into<String>) -> Self {
        self.queue = Some(queue.into());
        self
    }

    /// `user.name` for the live RM and WebHDFS probes.
    pub fn with_user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Timeout of each live probe (default 5 s).
    pub fn with_timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// The `klist` program used for the Kerberos ticket check (`None`: look at the ticket cache
    /// file only).
    pub fn with_klist(mut self, program: Option<PathBuf>) -> Self {
        self.klist = program;
        self
    }

    /// The static checks only: local files, configuration, Kerberos ticket/keytab. No network.
    pub fn diagnose_static(&self) -> Report {
        let mut problems = Vec::new();
        let mut paths = self.homes.clone();
        if paths.is_empty() {
            match self
                .hadoop_options
                .env("FLINK_HOME")
                .filter(|s| !s.trim().is_empty())
            {
                Some(h) => paths.push(PathBuf::from(h)),
                None => problems.push(Problem::new(
                    "FLINK_HOME_UNSET",
                    Severity::Error,
                    "no Flink home given and FLINK_HOME is not set",
                    "pass --flink-home /path/to/flink (or set FLINK_HOME)",
                )),
            }
        }
        let several = paths.len() > 1;
        let mut homes = Vec::new();
        for path in paths {
            let mut found = None;
            let home = checks::flink_home(
                &path,
                &self.flink_options,
                &self.hadoop_options,
                several,
                &mut problems,
                &mut found,
            );
            homes.push(HomeEntry { path, home, found });
        }
        let hadoop = checks::hadoop(
            self.hadoop_dir.as_deref(),
            &self.hadoop_options,
            &mut problems,
        );
        if let Some(conf) = &hadoop {
            let flink_conf = homes
                .first()
                .and_then(|h| h.home.as_ref())
                .and_then(|h| h.read_config().ok())
                .unwrap_or_default();
            checks::kerberos(
                conf,
                &flink_conf,
                &self.hadoop_options,
                self.klist.as_deref(),
                &mut problems,
            );
        }
        let mut report = Report {
            homes,
            hadoop,
            problems,
        };
        sort(&mut report.problems);
        report
    }

    /// Static checks, then live checks against the ResourceManagers and WebHDFS.
    pub async fn diagnose(&self) -> Report {
        let mut report = self.diagnose_static();
        if let Some(conf) = report.hadoop.clone() {
            let home = report.flink_homes().first().map(|h| (*h).clone());
            live::run(self, &conf, home.as_ref(), &mut report.problems).await;
        }
        sort(&mut report.problems);
        report
    }
}

fn sort(problems: &mut [Problem]) {
    problems.sort_by_key(|p| p.severity);
}

#[cfg(test)]
mod tests;
