//! Persistence of the platform: [`PlatformStore`] and its memory, SQLite and PostgreSQL
//! implementations.
//!
//! The store is deliberately small: typed records (users, teams, members, roles, variables,
//! jobs, versions, deploy records) are JSON documents under a [`DocKind`] and two keys; the
//! only special operations are the insert-only write that keeps versions immutable, the
//! persisted attempt counter that only grows (so deployments stay fenced across restarts) and
//! the append-only audit log with its query.

mod memory;
mod sql;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::audit::{AuditQuery, AuditRecord};
use crate::{Error, Result};

pub use memory::MemoryPlatformStore;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use sql::PostgresPlatformStore;
pub use sql::SqlitePlatformStore;

/// The kinds of documents a [`PlatformStore`] keeps, with their keys.
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
    /// nothing ([`PlatformStore::put_all`] answers `false`).
    Insert,
    /// Remove the document (absent is fine).
    Delete,
}

/// One write of a [`PlatformStore::put_all`] batch.
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

/// Durable platform state. Hosts hold it as `Arc<dyn PlatformStore>`.
///
/// # Contract (checked by `platform::store::conformance`)
/// - `put` inserts or replaces; `insert` never replaces and answers whether it inserted.
/// - `list` returns the documents of a kind (of one first key when given) ordered by keys.
/// - `put_all` applies a batch all-or-nothing (one transaction on SQL stores): after an
///   error or a `false` answer (an [`WriteMode::Insert`] found its document) nothing of the
///   batch is visible.
/// - `append_audit` assigns increasing sequence numbers; records are never changed.
#[async_trait::async_trait]
pub trait PlatformStore: std::fmt::Debug + Send + Sync + 'static {
    /// `"memory"`, `"sqlite"`, `"postgres"`.
    fn backend(&self) -> &'static str;
    /// Inserts or replaces a document.
    async fn put(&self, kind: DocKind, key: &str, sub: &str, json: &str) -> Result<()>;
    /// Inserts a document unless one exists under these keys; `true` when inserted.
    async fn insert(&self, kind: DocKind, key: &str, sub: &str, json: &str) -> Result<bool>;
    /// Applies every write of `batch` in order, all or nothing; `false` (and nothing written)
    /// when a [`WriteMode::Insert`] found an existing document.
    async fn put_all(&self, batch: &[DocWrite]) -> Result<bool>;
    /// One document.
    async fn get(&self, kind: DocKind, key: &str, sub: &str) -> Result<Option<String>>;
    /// The documents of a kind, of one first key when `key` is given, ordered by keys.
    async fn list(&self, kind: DocKind, key: Option<&str>) -> Result<Vec<Doc>>;
    /// Removes a document; `true` when it existed.
    async fn delete(&self, kind: DocKind, key: &str, sub: &str) -> Result<bool>;
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
        endpoint: format!("platform store document `{}`", kind.as_str()),
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
    store: &dyn PlatformStore,
    kind: DocKind,
    key: &str,
    sub: &str,
) -> Result<Option<T>> {
    match store.get(kind, key, sub).await? {
        None => Ok(None),
        Some(s) => serde_json::from_str(&s)
            .map(Some)
            .map_err(|e| corrupt(store.backend(), kind, e)),
    }
}

/// Loads and parses a list of documents.
pub(crate) async fn load_all<T: DeserializeOwned>(
    store: &dyn PlatformStore,
    kind: DocKind,
    key: Option<&str>,
) -> Result<Vec<T>> {
    store
        .list(kind, key)
        .await?
        .iter()
        .map(|d| serde_json::from_str(&d.json).map_err(|e| corrupt(store.backend(), kind, e)))
        .collect()
}

/// Serializes and stores one document.
pub(crate) async fn save<T: Serialize>(
    store: &dyn PlatformStore,
    kind: DocKind,
    key: &str,
    sub: &str,
    v: &T,
) -> Result<()> {
    store.put(kind, key, sub, &to_json(kind, v)?).await
}

#[cfg(any(test, feature = "testkit"))]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod conformance;
