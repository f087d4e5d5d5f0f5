//! Job versions, deploy records, team variables and diffs.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::audit::Change;
use crate::artifact::ArtifactRef;
use crate::{JobSpec, Program};

/// Shown instead of a secret value.
pub const MASK: &str = "******";

/// One immutable version of a job: spec (SQL included), author, time, message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobVersion {
    /// Version number, from 1.
    pub version: u64,
    /// Who created it.
    pub author: String,
    /// When, ms since the epoch.
    pub created_ms: i64,
    /// Why (the commit message).
    pub message: String,
    /// The spec as written (with `${variables}` unresolved).
    pub spec: JobSpec,
    /// Extra jars (connectors, CDC, UDFs), resolved by the artifact store at deploy time and
    /// added to [`JobSpec::jars`] of the deployed spec.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<ArtifactRef>,
}

/// A managed job: its team, its current version and what runs on the cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ManagedJob {
    /// Owning team.
    pub team: String,
    /// The current (latest) version.
    pub current: JobVersion,
    /// The deployment running (or last started) on the cluster, if any.
    pub deployed: Option<DeployRecord>,
    /// The latest savepoint taken through the platform (used by [`crate::Restore::Latest`]).
    #[serde(default)]
    pub last_savepoint: Option<String>,
    /// A version saved from a configuration change that the running deployment has not taken
    /// yet (the job's roll-out policy is manual); cleared by the next deploy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_restart: Option<super::NeedsRestart>,
}

/// One deployment of one version of a job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeployRecord {
    /// Attempt number, handed out by the engine (only grows, per job).
    pub attempt: u64,
    /// The version deployed.
    pub version: u64,
    /// The backend handle.
    pub deployment: String,
    /// Who deployed it.
    pub by: String,
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// The savepoint or checkpoint it restored from.
    pub restored_from: Option<String>,
    /// The resolved spec (variables substituted) with secret values masked as `******`.
    pub resolved: JobSpec,
    /// Web UI, when the backend gave one.
    pub web_url: Option<String>,
    /// The cluster it was placed on (empty in records written before clusters were named).
    #[serde(default)]
    pub cluster: String,
}

/// A team variable, substituted as `${name}` into a job's spec at deploy time. Secret values
/// are write-only: never returned, printed, audited or stored in a deploy record.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TeamVariable {
    /// Owning team.
    pub team: String,
    /// Name, used as `${name}`.
    pub name: String,
    /// Value (`******` when read back for a secret).
    pub value: String,
    /// Secret: masked everywhere.
    pub secret: bool,
}

impl TeamVariable {
    /// A plain variable.
    pub fn new(team: impl Into<String>, name: impl Into<String>, value: impl Into<String>) -> Self {
        TeamVariable {
            team: team.into(),
            name: name.into(),
            value: value.into(),
            secret: false,
        }
    }
    /// A secret variable.
    pub fn secret(
        team: impl Into<String>,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        TeamVariable {
            secret: true,
            ..Self::new(team, name, value)
        }
    }
    /// The value as it may be shown: `******` for a secret.
    pub fn shown(&self) -> &str {
        if self.secret { MASK } else { &self.value }
    }
    pub(crate) fn masked(mut self) -> Self {
        if self.secret {
            self.value = MASK.into();
        }
        self
    }
}

impl fmt::Debug for TeamVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamVariable")
            .field("team", &self.team)
            .field("name", &self.name)
            .field("value", &self.shown())
            .field("secret", &self.secret)
            .finish()
    }
}

/// The difference between two versions of a job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VersionDiff {
    /// Older side.
    pub from: u64,
    /// Newer side.
    pub to: u64,
    /// Unified diff of the SQL scripts (empty when equal or not SQL jobs).
    pub sql: String,
    /// Every other field, key by key (`config.<key>`, `labels.<key>`, `name`, `parallelism`,
    /// `restart.type`, …).
    pub changes: Vec<Change>,
}

fn script(spec: &JobSpec) -> Option<&str> {
    match &spec.program {
        Program::Sql { script } => Some(script),
        _ => None,
    }
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::Null => {}
        serde_json::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

/// Every field of a spec but the SQL script, as `dotted.key -> value`.
pub(crate) fn flat_spec(spec: &JobSpec) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(v) = serde_json::to_value(spec) {
        flatten("", &v, &mut out);
    }
    out.remove("program.script");
    out
}

/// Key-level changes between two specs; a changed SQL script is one `program.script` change
/// summarised as line counts.
pub(crate) fn spec_changes(old: Option<&JobSpec>, new: &JobSpec) -> Vec<Change> {
    let a = old.map(flat_spec).unwrap_or_default();
    let b = flat_spec(new);
    let mut out: Vec<Change> = a
        .keys()
        .chain(b.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| Change::new(k.clone(), a.get(k).cloned(), b.get(k).cloned()))
        .collect();
    let (sa, sb) = (old.and_then(script), script(new));
    if sa != sb {
        let d = similar::TextDiff::from_lines(sa.unwrap_or(""), sb.unwrap_or(""));
        let (mut plus, mut minus) = (0, 0);
        for c in d.iter_all_changes() {
            match c.tag() {
                similar::ChangeTag::Insert => plus += 1,
                similar::ChangeTag::Delete => minus += 1,
                similar::ChangeTag::Equal => {}
            }
        }
        out.push(Change::new(
            "program.script",
            sa.map(|_| "(previous script)".into()),
            Some(format!("+{plus} -{minus} lines")),
        ));
    }
    out
}

/// Key-level changes of the artifact list: `artifacts[i]` by position.
pub(crate) fn artifact_changes(a: &[ArtifactRef], b: &[ArtifactRef]) -> Vec<Change> {
    (0..a.len().max(b.len()))
        .filter(|&i| a.get(i) != b.get(i))
        .map(|i| {
            Change::new(
                format!("artifacts[{i}]"),
                a.get(i).map(ArtifactRef::display),
                b.get(i).map(ArtifactRef::display),
            )
        })
        .collect()
}

/// Diff of two versions.
pub(crate) fn diff(a: &JobVersion, b: &JobVersion) -> VersionDiff {
    let (sa, sb) = (script(&a.spec).unwrap_or(""), script(&b.spec).unwrap_or(""));
    let sql = if sa == sb {
        String::new()
    } else {
        similar::TextDiff::from_lines(sa, sb)
            .unified_diff()
            .header(&format!("v{}", a.version), &format!("v{}", b.version))
            .to_string()
    };
    let mut changes: Vec<Change> = spec_changes(Some(&a.spec), &b.spec)
        .into_iter()
        .filter(|c| c.key != "program.script")
        .collect();
    changes.extend(artifact_changes(&a.artifacts, &b.artifacts));
    VersionDiff {
        from: a.version,
        to: b.version,
        sql,
        changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(n: u64, spec: JobSpec) -> JobVersion {
        JobVersion {
            version: n,
            author: "a".into(),
            created_ms: 0,
            message: String::new(),
            spec,
            artifacts: Vec::new(),
        }
    }

    #[test]
    fn diff_is_unified_for_sql_and_key_level_for_the_rest() {
        let a = JobSpec::sql("j", "SELECT 1;\nINSERT INTO t SELECT 2;\n")
            .unwrap()
            .with_config("k1", "a")
            .with_config("gone", "x");
        let b = JobSpec::sql("j", "SELECT 1;\nINSERT INTO t SELECT 3;\n")
            .unwrap()
            .with_config("k1", "b")
            .with_label("tier", "gold");
        let d = diff(&v(1, a), &v(2, b));
        assert!(
            d.sql.contains("--- v1") && d.sql.contains("+++ v2"),
            "{}",
            d.sql
        );
        assert!(
            d.sql.contains("-INSERT INTO t SELECT 2;")
                && d.sql.contains("+INSERT INTO t SELECT 3;")
        );
        let keys: Vec<(&str, Option<&str>, Option<&str>)> = d
            .changes
            .iter()
            .map(|c| (c.key.as_str(), c.before.as_deref(), c.after.as_deref()))
            .collect();
        assert_eq!(
            keys,
            [
                ("config.gone", Some("x"), None),
                ("config.k1", Some("a"), Some("b")),
                ("labels.tier", None, Some("gold")),
            ]
        );
    }

    #[test]
    fn secret_variable_debug_is_masked() {
        let s = TeamVariable::secret("t", "db_pass", "hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.clone().masked().value, MASK);
    }
}
