//! The governance half of a [`Store`]: typed records of the platform (users, teams, members,
//! roles, variables, jobs, versions, deploy records, claims) as JSON documents under a
//! [`DocKind`] and two keys, plus the append-only audit log. The only special operations are
//! the insert-only write that keeps versions immutable and the all-or-nothing batch.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StateStore;
use crate::platform::{AuditQuery, AuditRecord};
use crate::{Error, Result};

/// The kinds of documents a [`Store`] keeps, with their keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DocKind {
    /// A user: key user id.
    User,
    /// A team: key team id.
    Team,
    /// A membership: keys team, user.
    Member,
    /// A custom role: key role name.
    Role,
    /// A variable: keys team, name.
    Variable,
    /// A managed job: key job id.
    Job,
    /// An immutable job version: keys job id, zero-padded version number.
    Version,
    /// One deployment of a job: keys job id, zero-padded attempt number.
    Deploy,
    /// The claim of the cluster-changing operation running on a job: key job id (inserted
    /// insert-only, removed when the operation ends).
    Claim,
    /// The last attempt number a job got from a store written before the engine handed out
    /// attempts (key job id, document the number): the engine continues above it.
    AttemptFloor,
}

impl DocKind {
    /// Stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::User => "user",
            DocKind::Team => "team",
            DocKind::Member => "member",
            DocKind::Role => "role",
            DocKind::Variable => "variable",
            DocKind::Job => "job",
            DocKind::Version => "version",
            DocKind::Deploy => "deploy",
            DocKind::Claim => "claim",
            DocKind::AttemptFloor => "attempt_floor",
        }
    }
}

/// One stored document with its keys.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Doc {
    /// First key.
    pub key: String,
    /// Second key (`""` for kinds with one key).
    pub sub: String,
    /// The JSON document.
    pub json: String,
}

/// How one [`DocWrite`] of a batch treats an existing document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteMode {
    /// Insert or replace.
    Put,
    /// Insert only: an existing document under these keys makes the whole batch write
    /// nothing ([`Store::write_docs`] answers `false`).
    Insert,
    /// Remove the document (absent is fine).
    Delete,
}

/// One write of a [`Store::write_docs`] batch.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DocWrite {
    /// Kind of the document.
    pub kind: DocKind,
    /// First key.
    pub key: String,
    /// Second key (`""` for kinds with one key).
    pub sub: String,
    /// The JSON document (ignored for [`WriteMode::Delete`]).
    pub json: String,
    /// What to do.
    pub mode: WriteMode,
}

impl DocWrite {
    /// Inserts or replaces a document.
    pub fn put(
        kind: DocKind,
        key: impl Into<String>,
        sub: impl Into<String>,
        json: impl Into<String>,
    ) -> Self {
        DocWrite {
            kind,
            key: key.into(),
            sub: sub.into(),
            json: json.into(),
            mode: WriteMode::Put,
        }
    }
    /// Inserts a document that must not exist yet.
    pub fn insert(
        kind: DocKind,
        key: impl Into<String>,
        sub: impl Into<String>,
        json: impl Into<String>,
    ) -> Self {
        DocWrite {
            mode: WriteMode::Insert,
            ..Self::put(kind, key, sub, json)
        }
    }
    /// Removes a document.
    pub fn delete(kind: DocKind, key: impl Into<String>, sub: impl Into<String>) -> Self {
        DocWrite {
            mode: WriteMode::Delete,
            ..Self::put(kind, key, sub, "")
        }
    }
    /// Serializes `v` as the document to insert or replace.
    pub(crate) fn put_value<T: Serialize>(
        kind: DocKind,
        key: &str,
        sub: &str,
        v: &T,
    ) -> Result<Self> {
        Ok(Self::put(kind, key, sub, to_json(kind, v)?))
    }
}

/// The one store of an engine and its platform: the engine's records ([`StateStore`]: jobs,
/// attempts with compare-and-swap, restore points, leases, events) and the governance records
/// (documents and the audit log) in one database. Hosts hold it as `Arc<dyn Store>`;
/// [`super::MemoryStore`], [`super::SqliteStore`] and `PostgresStore` (feature `postgres`)
/// implement it.
///
/// # Contract (checked by `store::conformance`)
/// - `put_doc` inserts or replaces; `insert_doc` never replaces and answers whether it
///   inserted.
/// - `docs` returns the documents of a kind (of one first key when given) ordered by keys.
/// - `write_docs` applies a batch all-or-nothing (one transaction on SQL stores): after an
///   error or a `false` answer (an [`WriteMode::Insert`] found its document) nothing of the
///   batch is visible.
/// - `append_audit` assigns increasing sequence numbers; records are never changed.
#[async_trait::async_trait]
pub trait Store: StateStore {
    /// Inserts or replaces a document.
    async fn put_doc(&self, kind: DocKind, key: &str, sub: &str, json: &str) -> Result<()>;
    /// Inserts a document unless one exists under these keys; `true` when inserted.
    async fn insert_doc(&self, kind: DocKind, key: &str, sub: &str, json: &str) -> Result<bool>;
    /// Applies every write of `batch` in order, all or nothing; `false` (and nothing written)
    /// when a [`WriteMode::Insert`] found an existing document.
    async fn write_docs(&self, batch: &[DocWrite]) -> Result<bool>;
    /// One document.
    async fn doc(&self, kind: DocKind, key: &str, sub: &str) -> Result<Option<String>>;
    /// The documents of a kind, of one first key when `key` is given, ordered by keys.
    async fn docs(&self, kind: DocKind, key: Option<&str>) -> Result<Vec<Doc>>;
    /// Removes a document; `true` when it existed.
    async fn delete_doc(&self, kind: DocKind, key: &str, sub: &str) -> Result<bool>;
    /// Appends an audit record (its `seq` is ignored); returns the assigned sequence number.
    async fn append_audit(&self, record: &AuditRecord) -> Result<u64>;
    /// Audit records matching `query`, oldest first.
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>>;
}

/// Zero-padded number key so that keys sort numerically.
pub(crate) fn num_key(n: u64) -> String {
    format!("{n:020}")
}

fn corrupt(backend: &'static str, kind: DocKind, e: serde_json::Error) -> Error {
    Error::Protocol {
        backend,
        endpoint: format!("store document `{}`", kind.as_str()),
        reason: "stored document does not parse".into(),
        source: Some(Box::new(e)),
    }
}

pub(crate) fn to_json<T: Serialize>(kind: DocKind, v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Other {
        backend: "platform",
        message: format!("cannot serialize a `{}` document", kind.as_str()),
        source: Some(Box::new(e)),
    })
}

/// Loads and parses one document.
pub(crate) async fn load<T: DeserializeOwned>(
    store: &dyn Store,
    kind: DocKind,
    key: &str,
    sub: &str,
) -> Result<Option<T>> {
    match store.doc(kind, key, sub).await? {
        None => Ok(None),
        Some(s) => serde_json::from_str(&s)
            .map(Some)
            .map_err(|e| corrupt(store.backend(), kind, e)),
    }
}

/// Loads and parses a list of documents.
pub(crate) async fn load_all<T: DeserializeOwned>(
    store: &dyn Store,
    kind: DocKind,
    key: Option<&str>,
) -> Result<Vec<T>> {
    store
        .docs(kind, key)
        .await?
        .iter()
        .map(|d| serde_json::from_str(&d.json).map_err(|e| corrupt(store.backend(), kind, e)))
        .collect()
}

/// Serializes and stores one document.
pub(crate) async fn save<T: Serialize>(
    store: &dyn Store,
    kind: DocKind,
    key: &str,
    sub: &str,
    v: &T,
) -> Result<()> {
    store.put_doc(kind, key, sub, &to_json(kind, v)?).await
}
