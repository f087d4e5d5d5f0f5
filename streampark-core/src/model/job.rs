//! What a job is: its identity and its specification.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::FlinkVersionReq;
use crate::Error;

/// A managed job's stable identity, chosen by the host: 1 to 64 characters of ASCII letters,
/// digits, `-`, `_` and `.`, starting with a letter or digit.
///
/// It never contains `:` or spaces, so it survives being encoded in cluster-side names and
/// labels (see [`crate::deploy::remote`] for the Flink job-name scheme).
///
/// ```
/// use streampark_core::JobId;
/// let id = JobId::new("orders-etl.v2")?;
/// assert_eq!(id.as_str(), "orders-etl.v2");
/// assert!(JobId::new("has space").is_err());
/// # Ok::<(), streampark_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JobId(String);

impl JobId {
    /// Longest accepted id.
    pub const MAX_LEN: usize = 64;

    /// Validates and wraps an id.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the offending character and its position.
    pub fn new(id: impl Into<String>) -> Result<Self, Error> {
        let id = id.into();
        let shown = || format!("`{}`", id.chars().take(70).collect::<String>());
        if id.is_empty() || id.len() > Self::MAX_LEN {
            return Err(Error::invalid_input(
                "core",
                "job id",
                shown(),
                format!("must be 1 to {} characters", Self::MAX_LEN),
            ));
        }
        for (i, c) in id.chars().enumerate() {
            let ok = c.is_ascii_alphanumeric() || (i > 0 && matches!(c, '-' | '_' | '.'));
            if !ok {
                return Err(Error::invalid_input(
                    "core",
                    "job id",
                    format!("{} position {}", shown(), i + 1),
                    format!("character {c:?} not allowed (letters, digits, `-`, `_`, `.`)"),
                ));
            }
        }
        Ok(JobId(id))
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JobId({})", self.0)
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for JobId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        JobId::new(s)
    }
}

impl TryFrom<String> for JobId {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        JobId::new(s)
    }
}

impl TryFrom<&str> for JobId {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        JobId::new(s)
    }
}

impl From<JobId> for String {
    fn from(id: JobId) -> String {
        id.0
    }
}

/// What runs: a user jar or a Flink SQL script (run by the SDK's SQL runner, see
/// [`crate::runner`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Program {
    /// A jar program.
    Jar {
        /// Where the jar is: a local path for session clusters; `hdfs://`, `s3://`, `local://`
        /// or an image path for backends that fetch it themselves.
        artifact: String,
        /// Main class; `None` uses the jar manifest's `Main-Class`.
        entry_class: Option<String>,
        /// Program arguments.
        #[serde(default)]
        args: Vec<String>,
    },
    /// A Flink SQL script: SET and DDL run in order, every INSERT in one statement set (one job).
    Sql {
        /// The script.
        script: String,
    },
}

/// Where a new deployment restores its state from. One meaning everywhere (the
/// [`Supervisor`](crate::Supervisor) applies it; the [`Platform`](crate::Platform) goes through
/// it):
///
/// - **A start the host asks for** (first deploy, deploy after a stop, a new version):
///   `None` starts empty, `Latest` takes the job's latest restore point (a checkpoint of a
///   failed attempt, a savepoint triggered or taken on stop), `Path` takes that path, always.
/// - **A roll-out** (restart, rollback with redeploy, `Supervisor::roll_out`) that stopped the
///   job with a savepoint restores from that savepoint, whatever the spec says.
/// - **A restart after a failure** resumes from the failed attempt's latest checkpoint (or
///   savepoint), else from where that attempt started: a restart never loses progress and
///   never goes back to older state, whatever the spec says.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", content = "path", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Restore {
    /// Start with empty state.
    #[default]
    None,
    /// The latest completed checkpoint or savepoint the platform recorded for this job.
    Latest,
    /// An explicit savepoint or retained checkpoint path.
    Path(String),
}

/// What the platform does when a deployment fails (applied by the supervisor).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RestartPolicy {
    /// Never restart.
    Never,
    /// Restart after a fixed delay, at most `max_attempts` times in a row.
    FixedDelay {
        /// Wait before each restart.
        delay: Duration,
        /// Restarts before giving up.
        max_attempts: u32,
    },
    /// Restart with exponentially growing delays.
    ExponentialBackoff {
        /// First delay.
        initial: Duration,
        /// Upper bound of the delay.
        max: Duration,
        /// Growth factor (> 1.0).
        multiplier: f64,
        /// Restarts before giving up.
        max_attempts: u32,
    },
    /// Restart unless more than `max_failures` happened within `window`.
    FailureRate {
        /// Failures allowed in the window.
        max_failures: u32,
        /// Sliding window.
        window: Duration,
        /// Wait before each restart.
        delay: Duration,
    },
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy::ExponentialBackoff {
            initial: Duration::from_secs(10),
            max: Duration::from_secs(600),
            multiplier: 2.0,
            max_attempts: 10,
        }
    }
}

/// Who owns a job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Owner {
    /// Team the job belongs to.
    pub team: String,
    /// Project inside the team.
    pub project: Option<String>,
}

impl Owner {
    /// An owner team with no project.
    pub fn team(team: impl Into<String>) -> Self {
        Owner {
            team: team.into(),
            project: None,
        }
    }

    /// Sets the project.
    pub fn with_project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }
}

/// The full specification of a managed job. Build it with [`JobSpec::sql`] or [`JobSpec::jar`]
/// and the `with_*` setters.
///
/// ```
/// use streampark_core::{JobSpec, Restore};
/// let spec = JobSpec::sql("orders", "INSERT INTO snk SELECT * FROM src")?
///     .with_name("Orders to warehouse")
///     .with_parallelism(4)
///     .with_config("execution.checkpointing.interval", "30s")
///     .with_restore(Restore::Latest)
///     .with_flink_version(">=1.18")?
///     .with_label("tier", "gold");
/// assert_eq!(spec.parallelism, Some(4));
/// assert_eq!(spec.config["execution.checkpointing.interval"], "30s");
/// # Ok::<(), streampark_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobSpec {
    /// Stable identity.
    pub id: JobId,
    /// Human name shown in Flink's UI (the id when empty).
    #[serde(default)]
    pub name: String,
    /// What runs.
    pub program: Program,
    /// Which Flink versions this job can run on.
    #[serde(default = "FlinkVersionReq::any")]
    pub flink_version: FlinkVersionReq,
    /// Default parallelism; `None` leaves it to the cluster.
    #[serde(default)]
    pub parallelism: Option<u32>,
    /// Flink configuration for this job (`key: value`, Flink's dotted keys).
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Where state comes from on (re)start.
    #[serde(default)]
    pub restore: Restore,
    /// What to do on failure.
    #[serde(default)]
    pub restart: RestartPolicy,
    /// Owning team and project.
    #[serde(default)]
    pub owner: Owner,
    /// Free labels (routing alerts, selecting jobs).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Extra jars on the job's classpath (connectors, CDC, UDFs), in order: local paths the
    /// backend ships with the job (uploaded to a remote cluster, put in `pipeline.jars` /
    /// the provided lib dirs on YARN, listed as artifacts on Kubernetes) or URIs
    /// (`hdfs://`, `s3://`, `https://`, `local://`) the backend passes on as they are.
    /// Resolve Maven coordinates and checksums before deploying (the platform's artifact
    /// store does); a backend fails the deploy, naming the jar, when one is missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jars: Vec<String>,
}

impl JobSpec {
    fn with_program(id: &str, program: Program) -> Result<Self, Error> {
        Ok(JobSpec {
            id: JobId::new(id)?,
            name: String::new(),
            program,
            flink_version: FlinkVersionReq::any(),
            parallelism: None,
            config: BTreeMap::new(),
            restore: Restore::None,
            restart: RestartPolicy::default(),
            owner: Owner::default(),
            labels: BTreeMap::new(),
            jars: Vec::new(),
        })
    }

    /// A SQL job.
    ///
    /// # Errors
    /// An invalid job id, or an empty script.
    pub fn sql(id: &str, script: impl Into<String>) -> Result<Self, Error> {
        let script = script.into();
        if script.trim().is_empty() {
            return Err(Error::invalid_input(
                "core",
                "SQL script",
                format!("job `{id}`"),
                "the script is empty",
            ));
        }
        Self::with_program(id, Program::Sql { script })
    }

    /// A jar job.
    ///
    /// # Errors
    /// An invalid job id, or an empty artifact.
    pub fn jar(
        id: &str,
        artifact: impl Into<String>,
        entry_class: Option<&str>,
        args: Vec<String>,
    ) -> Result<Self, Error> {
        let artifact = artifact.into();
        if artifact.trim().is_empty() {
            return Err(Error::invalid_input(
                "core",
                "jar artifact",
                format!("job `{id}`"),
                "the artifact path is empty",
            ));
        }
        Self::with_program(
            id,
            Program::Jar {
                artifact,
                entry_class: entry_class.map(str::to_string),
                args,
            },
        )
    }

    /// Sets the display name.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the default parallelism.
    #[must_use]
    pub fn with_parallelism(mut self, p: u32) -> Self {
        self.parallelism = Some(p);
        self
    }

    /// Sets one Flink configuration entry.
    #[must_use]
    pub fn with_config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.insert(key.into(), value.into());
        self
    }

    /// Sets the restore mode.
    #[must_use]
    pub fn with_restore(mut self, restore: Restore) -> Self {
        self.restore = restore;
        self
    }

    /// Sets the restart policy.
    #[must_use]
    pub fn with_restart(mut self, restart: RestartPolicy) -> Self {
        self.restart = restart;
        self
    }

    /// Sets the owner.
    #[must_use]
    pub fn with_owner(mut self, owner: Owner) -> Self {
        self.owner = owner;
        self
    }

    /// Adds a label.
    #[must_use]
    pub fn with_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Adds an extra jar to the job's classpath (see [`JobSpec::jars`]).
    #[must_use]
    pub fn with_jar(mut self, jar: impl Into<String>) -> Self {
        self.jars.push(jar.into());
        self
    }

    /// Sets the Flink version requirement.
    ///
    /// # Errors
    /// When `req` does not parse (see [`FlinkVersionReq`]).
    pub fn with_flink_version(mut self, req: &str) -> Result<Self, Error> {
        self.flink_version = req.parse()?;
        Ok(self)
    }

    /// The name shown in Flink: [`JobSpec::name`], or the id when the name is empty.
    pub fn display_name(&self) -> &str {
        if self.name.trim().is_empty() {
            self.id.as_str()
        } else {
            &self.name
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_id_rules() {
        for ok in ["a", "orders-etl", "A_1.b", &"x".repeat(64)] {
            assert!(JobId::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "a b", "a:b", "ä", "a/b", &"x".repeat(65)] {
            let e = JobId::new(bad).unwrap_err();
            assert!(e.to_string().contains("job id"), "{e}");
        }
        let e = JobId::new("ab:c").unwrap_err().to_string();
        assert!(e.contains("position 3"), "{e}");
    }

    #[test]
    fn spec_round_trips_through_json() {
        let spec = JobSpec::jar("j1", "/tmp/a.jar", Some("com.Main"), vec!["--x".into()])
            .unwrap()
            .with_restore(Restore::Path("file:///sp/1".into()))
            .with_owner(Owner::team("ads").with_project("core"));
        let json = serde_json::to_string(&spec).unwrap();
        let back: JobSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, spec);
        let bad = json.replace("\"j1\"", "\"j 1\"");
        assert!(serde_json::from_str::<JobSpec>(&bad).is_err());
    }

    #[test]
    fn empty_programs_are_rejected() {
        assert!(JobSpec::sql("a", "  \n").is_err());
        assert!(JobSpec::jar("a", "", None, vec![]).is_err());
        assert_eq!(JobSpec::sql("a", "x").unwrap().display_name(), "a");
    }
}
