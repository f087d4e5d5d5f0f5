//! [`SqlitePlatformStore`] and (feature `postgres`) [`PostgresPlatformStore`]: one schema and
//! one set of queries over two drivers, migrated on open like the state store (a
//! `pf_schema` table of applied versions).

use std::fmt;

use sqlx::Row;

use super::*;
use crate::Error;

/// Schema migrations, applied in order; `{serial}` is the driver's auto-increment key.
const MIGRATIONS: &[&[&str]] = &[&[
    "CREATE TABLE IF NOT EXISTS pf_docs (kind TEXT NOT NULL, k1 TEXT NOT NULL, k2 TEXT NOT NULL, \
     doc TEXT NOT NULL, PRIMARY KEY (kind, k1, k2))",
    // Unused since attempts come from the supervisor's store; kept so that old files open.
    "CREATE TABLE IF NOT EXISTS pf_attempts (job TEXT PRIMARY KEY, last BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS pf_audit (seq {serial}, ts_ms BIGINT NOT NULL, \
     user_id TEXT NOT NULL, job TEXT, team TEXT, doc TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS pf_audit_job ON pf_audit (job, seq)",
    "CREATE INDEX IF NOT EXISTS pf_audit_user ON pf_audit (user_id, seq)",
    "CREATE INDEX IF NOT EXISTS pf_audit_ts ON pf_audit (ts_ms)",
]];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn db_err(backend: &'static str, op: &str, e: sqlx::Error) -> Error {
    crate::store::pool::db_error("platform store", backend, op, e)
}

fn seq_of(backend: &'static str, v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::Protocol {
        backend,
        endpoint: "platform store table pf_audit".into(),
        reason: format!("negative number {v}"),
        source: None,
    })
}

macro_rules! sql_platform_store {
    ($store:ident, $db:ty, $backend:literal, $serial:literal, $lock:expr) => {
        #[async_trait::async_trait]
        impl PlatformStore for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn put(&self, kind: DocKind, key: &str, sub: &str, json: &str) -> Result<()> {
                sqlx::query(
                    "INSERT INTO pf_docs (kind, k1, k2, doc) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (kind, k1, k2) DO UPDATE SET doc = excluded.doc",
                )
                .bind(kind.as_str())
                .bind(key)
                .bind(sub)
                .bind(json)
                .execute(&self.pool)
                .await
                .map_err(|e| db_err($backend, "write document", e))?;
                Ok(())
            }

            async fn insert(&self, kind: DocKind, key: &str, sub: &str, json: &str) -> Result<bool> {
                let r = sqlx::query(
                    "INSERT INTO pf_docs (kind, k1, k2, doc) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (kind, k1, k2) DO NOTHING",
                )
                .bind(kind.as_str())
                .bind(key)
                .bind(sub)
                .bind(json)
                .execute(&self.pool)
                .await
                .map_err(|e| db_err($backend, "insert document", e))?;
                Ok(r.rows_affected() == 1)
            }

            async fn put_all(&self, batch: &[DocWrite]) -> Result<bool> {
                let e = |e| db_err($backend, "write documents", e);
                let mut tx = self.pool.begin().await.map_err(e)?;
                for d in batch {
                    let sql = match d.mode {
                        WriteMode::Put => {
                            "INSERT INTO pf_docs (kind, k1, k2, doc) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (kind, k1, k2) DO UPDATE SET doc = excluded.doc"
                        }
                        WriteMode::Insert => {
                            "INSERT INTO pf_docs (kind, k1, k2, doc) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (kind, k1, k2) DO NOTHING"
                        }
                        WriteMode::Delete => {
                            "DELETE FROM pf_docs WHERE kind = $1 AND k1 = $2 AND k2 = $3"
                        }
                    };
                    let mut q = sqlx::query(sql).bind(d.kind.as_str()).bind(&d.key).bind(&d.sub);
                    if d.mode != WriteMode::Delete {
                        q = q.bind(&d.json);
                    }
                    let r = q.execute(&mut *tx).await.map_err(e)?;
                    if d.mode == WriteMode::Insert && r.rows_affected() != 1 {
                        // Dropping `tx` rolls back; say so explicitly to free the connection now.
                        tx.rollback().await.map_err(e)?;
                        return Ok(false);
                    }
                }
                tx.commit().await.map_err(e)?;
                Ok(true)
            }

            async fn get(&self, kind: DocKind, key: &str, sub: &str) -> Result<Option<String>> {
                let row = sqlx::query("SELECT doc FROM pf_docs WHERE kind = $1 AND k1 = $2 AND k2 = $3")
                    .bind(kind.as_str())
                    .bind(key)
                    .bind(sub)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| db_err($backend, "read document", e))?;
                row.map(|r| r.try_get::<String, _>("doc"))
                    .transpose()
                    .map_err(|e| db_err($backend, "read document", e))
            }

            async fn list(&self, kind: DocKind, key: Option<&str>) -> Result<Vec<Doc>> {
                let e = |e| db_err($backend, "list documents", e);
                let rows = match key {
                    Some(k) => sqlx::query(
                        "SELECT k1, k2, doc FROM pf_docs WHERE kind = $1 AND k1 = $2 ORDER BY k1, k2",
                    )
                    .bind(kind.as_str())
                    .bind(k)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(e)?,
                    None => sqlx::query("SELECT k1, k2, doc FROM pf_docs WHERE kind = $1 ORDER BY k1, k2")
                        .bind(kind.as_str())
                        .fetch_all(&self.pool)
                        .await
                        .map_err(e)?,
                };
                rows.iter()
                    .map(|r| {
                        Ok(Doc {
                            key: r.try_get("k1").map_err(e)?,
                            sub: r.try_get("k2").map_err(e)?,
                            json: r.try_get("doc").map_err(e)?,
                        })
                    })
                    .collect()
            }

            async fn delete(&self, kind: DocKind, key: &str, sub: &str) -> Result<bool> {
                let r = sqlx::query("DELETE FROM pf_docs WHERE kind = $1 AND k1 = $2 AND k2 = $3")
                    .bind(kind.as_str())
                    .bind(key)
                    .bind(sub)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| db_err($backend, "delete document", e))?;
                Ok(r.rows_affected() > 0)
            }

            async fn append_audit(&self, record: &AuditRecord) -> Result<u64> {
                let doc = serde_json::to_string(record).map_err(|err| Error::Other {
                    backend: $backend,
                    message: "cannot serialize an audit record".into(),
                    source: Some(Box::new(err)),
                })?;
                let row = sqlx::query(
                    "INSERT INTO pf_audit (ts_ms, user_id, job, team, doc) VALUES ($1, $2, $3, $4, $5) \
                     RETURNING seq",
                )
                .bind(record.ts_ms)
                .bind(&record.user)
                .bind(record.job.as_deref())
                .bind(record.team.as_deref())
                .bind(&doc)
                .fetch_one(&self.pool)
                .await
                .map_err(|e| db_err($backend, "append audit", e))?;
                let seq: i64 = row.try_get("seq").map_err(|e| db_err($backend, "append audit", e))?;
                seq_of($backend, seq)
            }

            async fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditRecord>> {
                let e = |e| db_err($backend, "query audit", e);
                let mut sql = String::from("SELECT seq, doc FROM pf_audit WHERE seq > $1");
                let mut n = 1;
                let mut next = |col: &str, op: &str| {
                    n += 1;
                    format!(" AND {col} {op} ${n}")
                };
                if q.job.is_some() { sql.push_str(&next("job", "=")); }
                if q.user.is_some() { sql.push_str(&next("user_id", "=")); }
                if q.team.is_some() { sql.push_str(&next("team", "=")); }
                if q.from_ms.is_some() { sql.push_str(&next("ts_ms", ">=")); }
                if q.to_ms.is_some() { sql.push_str(&next("ts_ms", "<")); }
                sql.push_str(" ORDER BY seq LIMIT ");
                sql.push_str(&q.effective_limit().to_string());
                let mut query = sqlx::query(&sql).bind(i64::try_from(q.after_seq).unwrap_or(i64::MAX));
                if let Some(v) = &q.job { query = query.bind(v); }
                if let Some(v) = &q.user { query = query.bind(v); }
                if let Some(v) = &q.team { query = query.bind(v); }
                if let Some(v) = q.from_ms { query = query.bind(v); }
                if let Some(v) = q.to_ms { query = query.bind(v); }
                let rows = query.fetch_all(&self.pool).await.map_err(e)?;
                rows.iter()
                    .map(|r| {
                        let seq: i64 = r.try_get("seq").map_err(e)?;
                        let doc: String = r.try_get("doc").map_err(e)?;
                        let mut rec: AuditRecord = serde_json::from_str(&doc).map_err(|err| Error::Protocol {
                            backend: $backend,
                            endpoint: "platform store table pf_audit".into(),
                            reason: "stored audit record does not parse".into(),
                            source: Some(Box::new(err)),
                        })?;
                        rec.seq = seq_of($backend, seq)?;
                        Ok(rec)
                    })
                    .collect()
            }
        }

        impl $store {
            crate::store::pool::sql_migrations!(
                store: "platform store",
                schema: "pf_schema",
                migrations: MIGRATIONS,
                version: SCHEMA_VERSION,
                backend: $backend,
                serial: $serial,
                lock: $lock,
                db_err: db_err,
            );
        }
    };
}

mod sqlite {
    use super::*;

    /// The embedded [`PlatformStore`]: one SQLite file (WAL mode), migrated on open. It may be
    /// the same file as the [`crate::store::SqliteStore`] (the tables do not overlap).
    #[derive(Clone)]
    pub struct SqlitePlatformStore {
        pub(super) pool: sqlx::SqlitePool,
        path: String,
    }

    impl fmt::Debug for SqlitePlatformStore {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SqlitePlatformStore")
                .field("path", &self.path)
                .finish()
        }
    }

    impl SqlitePlatformStore {
        /// Opens (creating if missing) the database at `path`; `sqlite://PATH` is accepted too.
        ///
        /// # Errors
        /// An empty path, a database that cannot be opened or migrated.
        pub async fn open(path: impl AsRef<std::path::Path>) -> Result<Self> {
            let (pool, file) =
                crate::store::pool::open_sqlite("platform store", path.as_ref()).await?;
            let s = SqlitePlatformStore { pool, path: file };
            s.migrate().await?;
            Ok(s)
        }

        /// A private in-memory database (one connection), for tests.
        ///
        /// # Errors
        /// When SQLite cannot open it.
        pub async fn in_memory() -> Result<Self> {
            let pool = crate::store::pool::open_sqlite_in_memory("platform store").await?;
            let s = SqlitePlatformStore {
                pool,
                path: ":memory:".into(),
            };
            s.migrate().await?;
            Ok(s)
        }
    }

    sql_platform_store!(
        SqlitePlatformStore,
        sqlx::Sqlite,
        "sqlite",
        "INTEGER PRIMARY KEY AUTOINCREMENT",
        None::<&str>
    );
}

pub use sqlite::SqlitePlatformStore;

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;

    /// A [`PlatformStore`] on PostgreSQL, shared by several host replicas. Migrated on connect
    /// under an advisory lock.
    #[derive(Clone)]
    pub struct PostgresPlatformStore {
        pub(super) pool: sqlx::PgPool,
        shown: String,
    }

    impl fmt::Debug for PostgresPlatformStore {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("PostgresPlatformStore")
                .field("url", &self.shown)
                .finish()
        }
    }

    impl PostgresPlatformStore {
        /// Connects to `url` and migrates; the password never appears in errors or `Debug`.
        ///
        /// # Errors
        /// When the database cannot be reached or migrated.
        pub async fn connect(url: &str) -> Result<Self> {
            let (pool, shown) = crate::store::pool::connect_postgres("platform store", url).await?;
            let s = PostgresPlatformStore { pool, shown };
            s.migrate().await?;
            Ok(s)
        }
    }

    sql_platform_store!(
        PostgresPlatformStore,
        sqlx::Postgres,
        "postgres",
        "BIGSERIAL PRIMARY KEY",
        Some("SELECT pg_advisory_xact_lock(7317002)")
    );
}

#[cfg(feature = "postgres")]
pub use postgres::PostgresPlatformStore;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_platform_store_behaves() {
        let s = SqlitePlatformStore::in_memory().await.unwrap();
        assert_eq!(s.schema_version().await.unwrap(), SCHEMA_VERSION);
        super::super::conformance::behaviour(&s).await;
    }

    #[tokio::test]
    async fn a_database_from_a_newer_build_is_refused_and_names_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pf.db");
        let s = SqlitePlatformStore::open(&path).await.unwrap();
        sqlx::query("INSERT INTO pf_schema (version) VALUES (99)")
            .execute(&s.pool)
            .await
            .unwrap();
        drop(s);
        let err = SqlitePlatformStore::open(&path).await.unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("platform store schema version 99"), "{text}");
        // The state store keeps its own schema table in the same file and still opens.
        let state = crate::store::SqliteStore::open(&path).await.unwrap();
        assert_eq!(state.schema_version().await.unwrap(), 1);
    }
}
