//! The audit log: one append-only record per [`super::Platform`] call, allowed or denied.

use serde::{Deserialize, Serialize};

/// How a call ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditOutcome {
    /// It was allowed and succeeded.
    Ok,
    /// The authorizer refused it.
    Denied,
    /// It was allowed and failed; `category` is the error's category (`not_found`,
    /// `invalid_input`, `rejected`, …).
    Failed {
        /// Error category.
        category: String,
    },
}

impl AuditOutcome {
    /// `ok`, `denied` or `failed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            AuditOutcome::Ok => "ok",
            AuditOutcome::Denied => "denied",
            AuditOutcome::Failed { .. } => "failed",
        }
    }
}

/// One changed key of an edit: `program.script`, `config.parallelism.default`, `labels.tier`,
/// `variable.db_pass`. Secret values are recorded as `******`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Change {
    /// The key.
    pub key: String,
    /// Value before (`None`: added).
    pub before: Option<String>,
    /// Value after (`None`: removed).
    pub after: Option<String>,
}

impl Change {
    /// A change of `key`.
    pub fn new(key: impl Into<String>, before: Option<String>, after: Option<String>) -> Self {
        Change {
            key: key.into(),
            before,
            after,
        }
    }
}

/// One audit record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditRecord {
    /// Position in the log (assigned by the store, from 1).
    pub seq: u64,
    /// When, ms since the epoch.
    pub ts_ms: i64,
    /// Who (the principal's user id).
    pub user: String,
    /// What: `job.create`, `job.deploy`, `variable.set`, …
    pub action: String,
    /// The job concerned, if any.
    pub job: Option<String>,
    /// The team concerned, if known.
    pub team: Option<String>,
    /// The object acted on when it is not a job (a user, a role, a variable name).
    pub target: Option<String>,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// For edits: what changed, key by key.
    pub changes: Vec<Change>,
    /// A short note (the version created, the attempt started, the error message's kind).
    pub note: String,
}

/// Which audit records to return; every field narrows the query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditQuery {
    /// Of this job.
    pub job: Option<String>,
    /// Of this user.
    pub user: Option<String>,
    /// Of this team.
    pub team: Option<String>,
    /// At or after this time (ms).
    pub from_ms: Option<i64>,
    /// Before this time (ms).
    pub to_ms: Option<i64>,
    /// Only records with `seq` greater than this (pagination: pass the last `seq` seen).
    pub after_seq: u64,
    /// At most this many (0 means 100).
    pub limit: usize,
}

impl AuditQuery {
    /// Everything, first page.
    pub fn new() -> Self {
        Self::default()
    }
    /// Only this job.
    #[must_use]
    pub fn with_job(mut self, job: impl Into<String>) -> Self {
        self.job = Some(job.into());
        self
    }
    /// Only this user.
    #[must_use]
    pub fn with_user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }
    /// Only this team.
    #[must_use]
    pub fn with_team(mut self, team: impl Into<String>) -> Self {
        self.team = Some(team.into());
        self
    }
    /// Only `[from_ms, to_ms)`.
    #[must_use]
    pub fn with_time_range(mut self, from_ms: i64, to_ms: i64) -> Self {
        self.from_ms = Some(from_ms);
        self.to_ms = Some(to_ms);
        self
    }
    /// The page after `seq`, at most `limit` records.
    #[must_use]
    pub fn with_page(mut self, after_seq: u64, limit: usize) -> Self {
        self.after_seq = after_seq;
        self.limit = limit;
        self
    }
    /// The effective limit.
    pub fn effective_limit(&self) -> usize {
        if self.limit == 0 { 100 } else { self.limit }
    }
    /// Whether a record matches (used by stores that filter in memory).
    pub fn matches(&self, r: &AuditRecord) -> bool {
        r.seq > self.after_seq
            && self.job.as_ref().is_none_or(|j| r.job.as_ref() == Some(j))
            && self.user.as_ref().is_none_or(|u| &r.user == u)
            && self
                .team
                .as_ref()
                .is_none_or(|t| r.team.as_ref() == Some(t))
            && self.from_ms.is_none_or(|f| r.ts_ms >= f)
            && self.to_ms.is_none_or(|t| r.ts_ms < t)
    }
}
