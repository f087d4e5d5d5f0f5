//! [`SqliteStore`] and (feature `postgres`) `PostgresStore`: the same schema and queries over
//! two drivers. Queries use `$N` parameters, which both SQLite and PostgreSQL accept. The
//! engine's tables are `sp_*`, the governance tables `pf_*` (their queries: `sql_docs`).

use std::fmt;
use std::time::Duration;

use sqlx::Row;

use super::*;
use crate::platform::{AuditQuery, AuditRecord};
use crate::{Error, SnapshotKind};

/// Schema migrations, applied in order; `{serial}` is the driver's auto-increment key.
const MIGRATIONS: &[&[&str]] = &[
    &[
        "CREATE TABLE IF NOT EXISTS sp_jobs (job TEXT PRIMARY KEY, spec TEXT NOT NULL, \
     spec_version BIGINT NOT NULL, desired TEXT NOT NULL, last_attempt BIGINT NOT NULL, \
     updated_ms BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS sp_spec_versions (job TEXT NOT NULL, version BIGINT NOT NULL, \
     spec TEXT NOT NULL, created_ms BIGINT NOT NULL, PRIMARY KEY (job, version))",
        "CREATE TABLE IF NOT EXISTS sp_attempts (job TEXT NOT NULL, attempt BIGINT NOT NULL, \
     status TEXT NOT NULL, deployment TEXT, restore_from TEXT, spec_version BIGINT NOT NULL, \
     owner TEXT NOT NULL, created_ms BIGINT NOT NULL, ended_ms BIGINT, final_state TEXT, \
     reason TEXT, PRIMARY KEY (job, attempt))",
        "CREATE TABLE IF NOT EXISTS sp_restore_points (id {serial}, job TEXT NOT NULL, \
     attempt BIGINT NOT NULL, path TEXT NOT NULL, kind TEXT NOT NULL, completed_ms BIGINT, \
     UNIQUE (job, path))",
        "CREATE TABLE IF NOT EXISTS sp_events (seq {serial}, job TEXT NOT NULL, \
     attempt BIGINT NOT NULL, kind TEXT NOT NULL, actor TEXT NOT NULL, detail TEXT NOT NULL, \
     ts_ms BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS sp_events_job ON sp_events (job, seq)",
        "CREATE TABLE IF NOT EXISTS sp_leases (job TEXT PRIMARY KEY, holder TEXT NOT NULL, \
     expires_ms BIGINT NOT NULL)",
    ],
    &[
        // 2: the governance tables join the engine's. A file written by an earlier release may
        // hold them already (with their own `pf_schema` table, now dropped) and the platform's own
        // attempt counter `pf_attempts`, whose numbers become `attempt_floor` documents so that the
        // engine continues above them.
        "CREATE TABLE IF NOT EXISTS pf_docs (kind TEXT NOT NULL, k1 TEXT NOT NULL, k2 TEXT NOT NULL, \
     doc TEXT NOT NULL, PRIMARY KEY (kind, k1, k2))",
        "CREATE TABLE IF NOT EXISTS pf_audit (seq {serial}, ts_ms BIGINT NOT NULL, \
     user_id TEXT NOT NULL, job TEXT, team TEXT, doc TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS pf_audit_job ON pf_audit (job, seq)",
        "CREATE INDEX IF NOT EXISTS pf_audit_user ON pf_audit (user_id, seq)",
        "CREATE INDEX IF NOT EXISTS pf_audit_ts ON pf_audit (ts_ms)",
        "CREATE TABLE IF NOT EXISTS pf_attempts (job TEXT PRIMARY KEY, last BIGINT NOT NULL)",
        "INSERT INTO pf_docs (kind, k1, k2, doc) SELECT 'attempt_floor', job, '', \
     CAST(last AS TEXT) FROM pf_attempts WHERE last > 0 ON CONFLICT (kind, k1, k2) DO NOTHING",
        "DROP TABLE pf_attempts",
        "DROP TABLE IF EXISTS pf_schema",
    ],
];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn db_err(backend: &'static str, op: &str, e: sqlx::Error) -> Error {
    crate::store::pool::db_error("store", backend, op, e)
}

fn bad_row(backend: &'static str, what: &str, reason: impl Into<String>) -> Error {
    Error::Protocol {
        backend,
        endpoint: format!("state store table {what}"),
        reason: reason.into(),
        source: None,
    }
}

fn u(backend: &'static str, v: i64, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| bad_row(backend, what, format!("negative number {v}")))
}

fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn kind_str(k: SnapshotKind) -> &'static str {
    match k {
        SnapshotKind::Savepoint => "savepoint",
        SnapshotKind::Checkpoint => "checkpoint",
    }
}

macro_rules! sql_store {
    ($store:ident, $db:ty, $pool:ty, $backend:literal, $serial:literal, $lock:expr) => {
        #[async_trait::async_trait]
        impl StateStore for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn put_job(&self, spec: &JobSpec, now_ms: i64) -> Result<JobRecord> {
                let e = |e| db_err($backend, "put job", e);
                let json = serde_json::to_string(spec).map_err(|err| Error::Other {
                    backend: $backend,
                    message: format!("cannot serialize the spec of `{}`", spec.id),
                    source: Some(Box::new(err)),
                })?;
                let mut tx = self.pool.begin().await.map_err(e)?;
                let row = sqlx::query(
                    "SELECT spec, spec_version, desired, last_attempt, updated_ms FROM sp_jobs \
                     WHERE job = $1",
                )
                .bind(spec.id.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(e)?;
                let rec = match row {
                    Some(r) => {
                        let old = job_row(&spec.id, &r)?;
                        if &old.spec == spec {
                            return Ok(old);
                        }
                        JobRecord {
                            spec: spec.clone(),
                            spec_version: old.spec_version + 1,
                            desired: old.desired,
                            last_attempt: old.last_attempt,
                            updated_ms: now_ms,
                        }
                    }
                    None => JobRecord {
                        spec: spec.clone(),
                        spec_version: 1,
                        desired: DesiredState::Running,
                        last_attempt: 0,
                        updated_ms: now_ms,
                    },
                };
                sqlx::query(
                    "INSERT INTO sp_spec_versions (job, version, spec, created_ms) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (job, version) DO NOTHING",
                )
                .bind(spec.id.as_str())
                .bind(i(rec.spec_version))
                .bind(&json)
                .bind(now_ms)
                .execute(&mut *tx)
                .await
                .map_err(e)?;
                sqlx::query(
                    "INSERT INTO sp_jobs (job, spec, spec_version, desired, last_attempt, \
                     updated_ms) VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (job) DO UPDATE \
                     SET spec = excluded.spec, spec_version = excluded.spec_version, \
                     updated_ms = excluded.updated_ms",
                )
                .bind(spec.id.as_str())
                .bind(&json)
                .bind(i(rec.spec_version))
                .bind(rec.desired.as_str())
                .bind(now_ms)
                .execute(&mut *tx)
                .await
                .map_err(e)?;
                tx.commit().await.map_err(e)?;
                Ok(rec)
            }

            async fn job(&self, job: &JobId) -> Result<Option<JobRecord>> {
                let row = sqlx::query(
                    "SELECT spec, spec_version, desired, last_attempt, updated_ms FROM sp_jobs \
                     WHERE job = $1",
                )
                .bind(job.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| db_err($backend, "read job", e))?;
                row.map(|r| job_row(job, &r)).transpose()
            }

            async fn jobs(&self) -> Result<Vec<JobRecord>> {
                let rows = sqlx::query(
                    "SELECT job, spec, spec_version, desired, last_attempt, updated_ms \
                     FROM sp_jobs ORDER BY job",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(|e| db_err($backend, "list jobs", e))?;
                rows.iter()
                    .map(|r| {
                        let id: String = r.try_get("job").map_err(|e| db_err($backend, "list jobs", e))?;
                        let id = JobId::new(id)?;
                        job_row(&id, r)
                    })
                    .collect()
            }

            async fn spec_version(&self, job: &JobId, version: u64) -> Result<Option<JobSpec>> {
                let row = sqlx::query(
                    "SELECT spec FROM sp_spec_versions WHERE job = $1 AND version = $2",
                )
                .bind(job.as_str())
                .bind(i(version))
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| db_err($backend, "read spec version", e))?;
                match row {
                    None => Ok(None),
                    Some(r) => {
                        let s: String = r
                            .try_get("spec")
                            .map_err(|e| db_err($backend, "read spec version", e))?;
                        Ok(Some(parse_spec(&s)?))
                    }
                }
            }

            async fn set_desired(
                &self,
                job: &JobId,
                desired: DesiredState,
                now_ms: i64,
            ) -> Result<()> {
                let r = sqlx::query("UPDATE sp_jobs SET desired = $1, updated_ms = $2 WHERE job = $3")
                    .bind(desired.as_str())
                    .bind(now_ms)
                    .bind(job.as_str())
                    .execute(&self.pool)
                    .await
                    .map_err(|e| db_err($backend, "set desired state", e))?;
                if r.rows_affected() == 0 {
                    return Err(Error::not_found($backend, format!("job `{job}`")));
                }
                Ok(())
            }

            async fn begin_attempt(&self, new: NewAttempt) -> Result<AttemptRecord> {
                let e = |e| db_err($backend, "record attempt", e);
                let mut tx = self.pool.begin().await.map_err(e)?;
                let swapped = sqlx::query(
                    "UPDATE sp_jobs SET last_attempt = $1, updated_ms = $2 \
                     WHERE job = $3 AND last_attempt = $4 AND $1 > $4",
                )
                .bind(i(new.attempt))
                .bind(new.now_ms)
                .bind(new.job.as_str())
                .bind(i(new.expected_last))
                .execute(&mut *tx)
                .await
                .map_err(e)?;
                let row = sqlx::query("SELECT spec_version, last_attempt FROM sp_jobs WHERE job = $1")
                    .bind(new.job.as_str())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(e)?
                    .ok_or_else(|| Error::not_found($backend, format!("job `{}`", new.job)))?;
                let version: i64 = row.try_get("spec_version").map_err(e)?;
                let last: i64 = row.try_get("last_attempt").map_err(e)?;
                if swapped.rows_affected() != 1 {
                    return Err(fenced($backend, &new.job, new.attempt, u($backend, last, "sp_jobs")?));
                }
                sqlx::query(
                    "INSERT INTO sp_attempts (job, attempt, status, deployment, restore_from, \
                     spec_version, owner, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(new.job.as_str())
                .bind(i(new.attempt))
                .bind(new.status.as_str())
                .bind(new.deployment.as_ref().map(|d| d.as_str().to_string()))
                .bind(new.restore_from.clone())
                .bind(version)
                .bind(&new.owner)
                .bind(new.now_ms)
                .execute(&mut *tx)
                .await
                .map_err(e)?;
                tx.commit().await.map_err(e)?;
                Ok(AttemptRecord {
                    job: new.job,
                    attempt: new.attempt,
                    status: new.status,
                    deployment: new.deployment,
                    restore_from: new.restore_from,
                    spec_version: u($backend, version, "sp_jobs")?,
                    owner: new.owner,
                    created_ms: new.now_ms,
                    ended_ms: None,
                    final_state: None,
                    reason: None,
                })
            }

            async fn update_attempt(
                &self,
                job: &JobId,
                attempt: u64,
                up: AttemptUpdate,
            ) -> Result<()> {
                let r = sqlx::query(
                    "UPDATE sp_attempts SET status = COALESCE($1, status), \
                     deployment = COALESCE($2, deployment), ended_ms = COALESCE($3, ended_ms), \
                     final_state = COALESCE($4, final_state), reason = COALESCE($5, reason) \
                     WHERE job = $6 AND attempt = $7",
                )
                .bind(up.status.map(|s| s.as_str()))
                .bind(up.deployment.as_ref().map(|d| d.as_str().to_string()))
                .bind(up.ended_ms)
                .bind(up.final_state.map(|s| s.as_str()))
                .bind(up.reason)
                .bind(job.as_str())
                .bind(i(attempt))
                .execute(&self.pool)
                .await
                .map_err(|e| db_err($backend, "update attempt", e))?;
                if r.rows_affected() == 0 {
                    return Err(Error::not_found(
                        $backend,
                        format!("attempt {attempt} of `{job}`"),
                    ));
                }
                Ok(())
            }

            async fn attempts(&self, job: &JobId) -> Result<Vec<AttemptRecord>> {
                let e = |e| db_err($backend, "list attempts", e);
                let rows = sqlx::query(
                    "SELECT attempt, status, deployment, restore_from, spec_version, owner, \
                     created_ms, ended_ms, final_state, reason FROM sp_attempts \
                     WHERE job = $1 ORDER BY attempt",
                )
                .bind(job.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(e)?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let status: String = r.try_get("status").map_err(e)?;
                    let state: Option<String> = r.try_get("final_state").map_err(e)?;
                    out.push(AttemptRecord {
                        job: job.clone(),
                        attempt: u($backend, r.try_get("attempt").map_err(e)?, "sp_attempts")?,
                        status: AttemptStatus::parse(&status).ok_or_else(|| {
                            bad_row($backend, "sp_attempts", format!("unknown status `{status}`"))
                        })?,
                        deployment: r
                            .try_get::<Option<String>, _>("deployment")
                            .map_err(e)?
                            .map(DeploymentId::new),
                        restore_from: r.try_get("restore_from").map_err(e)?,
                        spec_version: u(
                            $backend,
                            r.try_get("spec_version").map_err(e)?,
                            "sp_attempts",
                        )?,
                        owner: r.try_get("owner").map_err(e)?,
                        created_ms: r.try_get("created_ms").map_err(e)?,
                        ended_ms: r.try_get("ended_ms").map_err(e)?,
                        final_state: state.map(|s| JobState::from_flink(&s)),
                        reason: r.try_get("reason").map_err(e)?,
                    });
                }
                Ok(out)
            }

            async fn add_restore_point(
                &self,
                job: &JobId,
                attempt: u64,
                p: &SavepointRef,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO sp_restore_points (job, attempt, path, kind, completed_ms) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job, path) DO NOTHING",
                )
                .bind(job.as_str())
                .bind(i(attempt))
                .bind(&p.path)
                .bind(kind_str(p.kind))
                .bind(p.completed_at_ms)
                .execute(&self.pool)
                .await
                .map_err(|e| db_err($backend, "record restore point", e))?;
                Ok(())
            }

            async fn latest_restore_point(
                &self,
                job: &JobId,
                since_attempt: u64,
            ) -> Result<Option<SavepointRef>> {
                let e = |e| db_err($backend, "read restore point", e);
                let row = sqlx::query(
                    "SELECT path, kind, completed_ms FROM sp_restore_points WHERE job = $1 \
                     AND attempt >= $2 \
                     ORDER BY (completed_ms IS NULL), completed_ms DESC, id DESC LIMIT 1",
                )
                .bind(job.as_str())
                .bind(i(since_attempt))
                .fetch_optional(&self.pool)
                .await
                .map_err(e)?;
                let Some(r) = row else { return Ok(None) };
                let path: String = r.try_get("path").map_err(e)?;
                let kind: String = r.try_get("kind").map_err(e)?;
                let mut p = if kind == "savepoint" {
                    SavepointRef::savepoint(path)
                } else {
                    SavepointRef::checkpoint(path)
                };
                if let Some(ms) = r.try_get::<Option<i64>, _>("completed_ms").map_err(e)? {
                    p = p.with_completed_at_ms(ms);
                }
                Ok(Some(p))
            }

            async fn append_event(&self, ev: &EventRecord) -> Result<u64> {
                let e = |e| db_err($backend, "append event", e);
                let row = sqlx::query(
                    "INSERT INTO sp_events (job, attempt, kind, actor, detail, ts_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
                )
                .bind(ev.job.as_str())
                .bind(i(ev.attempt))
                .bind(&ev.kind)
                .bind(&ev.actor)
                .bind(ev.detail.to_string())
                .bind(ev.ts_ms)
                .fetch_one(&self.pool)
                .await
                .map_err(e)?;
                u($backend, row.try_get("seq").map_err(e)?, "sp_events")
            }

            async fn events(
                &self,
                job: Option<&JobId>,
                after_seq: u64,
                limit: usize,
            ) -> Result<Vec<EventRecord>> {
                let e = |e| db_err($backend, "read events", e);
                let rows = sqlx::query(
                    "SELECT seq, job, attempt, kind, actor, detail, ts_ms FROM sp_events \
                     WHERE seq > $1 AND ($2 IS NULL OR job = $2) ORDER BY seq LIMIT $3",
                )
                .bind(i(after_seq))
                .bind(job.map(|j| j.as_str().to_string()))
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await
                .map_err(e)?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let detail: String = r.try_get("detail").map_err(e)?;
                    let job: String = r.try_get("job").map_err(e)?;
                    out.push(EventRecord {
                        seq: u($backend, r.try_get("seq").map_err(e)?, "sp_events")?,
                        job: JobId::new(job)?,
                        attempt: u($backend, r.try_get("attempt").map_err(e)?, "sp_events")?,
                        kind: r.try_get("kind").map_err(e)?,
                        actor: r.try_get("actor").map_err(e)?,
                        detail: serde_json::from_str(&detail)
                            .map_err(|err| bad_row($backend, "sp_events", err.to_string()))?,
                        ts_ms: r.try_get("ts_ms").map_err(e)?,
                    });
                }
                Ok(out)
            }

            async fn try_lease(
                &self,
                job: &JobId,
                holder: &str,
                ttl: Duration,
                now_ms: i64,
            ) -> Result<bool> {
                let r = sqlx::query(
                    "INSERT INTO sp_leases (job, holder, expires_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, \
                     expires_ms = excluded.expires_ms \
                     WHERE sp_leases.holder = excluded.holder OR sp_leases.expires_ms <= $4",
                )
                .bind(job.as_str())
                .bind(holder)
                .bind(now_ms.saturating_add(ttl_ms(ttl)))
                .bind(now_ms)
                .execute(&self.pool)
                .await
                .map_err(|e| db_err($backend, "take lease", e))?;
                Ok(r.rows_affected() == 1)
            }

            async fn release_lease(&self, job: &JobId, holder: &str) -> Result<()> {
                sqlx::query("DELETE FROM sp_leases WHERE job = $1 AND holder = $2")
                    .bind(job.as_str())
                    .bind(holder)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| db_err($backend, "release lease", e))?;
                Ok(())
            }
        }

        impl $store {
            crate::store::pool::sql_migrations!(
                store: "store",
                schema: "sp_schema",
                migrations: MIGRATIONS,
                version: SCHEMA_VERSION,
                backend: $backend,
                serial: $serial,
                lock: $lock,
                db_err: db_err,
            );
        }

        fn job_row(job: &JobId, r: &<$db as sqlx::Database>::Row) -> Result<JobRecord> {
            let e = |e| db_err($backend, "read job", e);
            let spec: String = r.try_get("spec").map_err(e)?;
            let desired: String = r.try_get("desired").map_err(e)?;
            let spec = parse_spec(&spec)?;
            if &spec.id != job {
                return Err(bad_row($backend, "sp_jobs", format!("row `{job}` holds the spec of `{}`", spec.id)));
            }
            Ok(JobRecord {
                spec,
                spec_version: u($backend, r.try_get("spec_version").map_err(e)?, "sp_jobs")?,
                desired: DesiredState::parse(&desired).ok_or_else(|| {
                    bad_row($backend, "sp_jobs", format!("unknown desired state `{desired}`"))
                })?,
                last_attempt: u($backend, r.try_get("last_attempt").map_err(e)?, "sp_jobs")?,
                updated_ms: r.try_get("updated_ms").map_err(e)?,
            })
        }

        fn parse_spec(s: &str) -> Result<JobSpec> {
            serde_json::from_str(s).map_err(|err| Error::Protocol {
                backend: $backend,
                endpoint: "state store table sp_jobs".into(),
                reason: "stored spec does not parse".into(),
                source: Some(Box::new(err)),
            })
        }
    };
}

mod sqlite {
    use super::*;

    /// The embedded [`Store`]: one SQLite file (WAL mode), migrated on open.
    ///
    /// ```
    /// use streampark_core::store::{SqliteStore, StateStore};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let dir = std::env::temp_dir().join(format!("sp-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let store = SqliteStore::open(dir.join("state.db")).await?;
    /// assert!(store.jobs().await?.is_empty());
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), streampark_core::Error>(())
    /// # }).unwrap();
    /// ```
    #[derive(Clone)]
    pub struct SqliteStore {
        pub(super) pool: sqlx::SqlitePool,
        path: String,
    }

    impl fmt::Debug for SqliteStore {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SqliteStore")
                .field("path", &self.path)
                .finish()
        }
    }

    impl SqliteStore {
        /// Opens (creating if missing) the database at `path`; `sqlite://PATH` is accepted too.
        pub async fn open(path: impl AsRef<std::path::Path>) -> Result<Self> {
            let (pool, file) = crate::store::pool::open_sqlite("store", path.as_ref()).await?;
            let s = SqliteStore { pool, path: file };
            s.migrate().await?;
            Ok(s)
        }

        /// A private in-memory database (one connection), for tests.
        pub async fn in_memory() -> Result<Self> {
            let pool = crate::store::pool::open_sqlite_in_memory("store").await?;
            let s = SqliteStore {
                pool,
                path: ":memory:".into(),
            };
            s.migrate().await?;
            Ok(s)
        }
    }

    sql_store!(
        SqliteStore,
        sqlx::Sqlite,
        sqlx::SqlitePool,
        "sqlite",
        "INTEGER PRIMARY KEY AUTOINCREMENT",
        None::<&str>
    );
    crate::store::sql_docs::sql_docs!(SqliteStore, "sqlite");
}

pub use sqlite::SqliteStore;

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;

    /// A [`Store`] on PostgreSQL, for several host replicas sharing one database; leases
    /// make one replica act on a job at a time. Migrated on connect (under an advisory lock).
    #[derive(Clone)]
    pub struct PostgresStore {
        pub(super) pool: sqlx::PgPool,
        shown: String,
    }

    impl fmt::Debug for PostgresStore {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("PostgresStore")
                .field("url", &self.shown)
                .finish()
        }
    }

    impl PostgresStore {
        /// Connects to `url` (`postgres://user:password@host:port/db`) and migrates the schema.
        /// The password never appears in errors or `Debug`.
        pub async fn connect(url: &str) -> Result<Self> {
            let (pool, shown) = crate::store::pool::connect_postgres("store", url).await?;
            let s = PostgresStore { pool, shown };
            s.migrate().await?;
            Ok(s)
        }
    }

    sql_store!(
        PostgresStore,
        sqlx::Postgres,
        sqlx::PgPool,
        "postgres",
        "BIGSERIAL PRIMARY KEY",
        Some("SELECT pg_advisory_xact_lock(7317001)")
    );
    crate::store::sql_docs::sql_docs!(PostgresStore, "postgres");
}

#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_store_behaves() {
        let s = SqliteStore::in_memory().await.unwrap();
        assert_eq!(s.schema_version().await.unwrap(), SCHEMA_VERSION);
        crate::store::conformance::behaviour(&s).await;
    }

    #[tokio::test]
    async fn sqlite_file_survives_reopen_and_migrations_are_idempotent() {
        let dir = std::env::temp_dir().join(format!("sp-store-{}-{}", std::process::id(), line!()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.db");
        let spec = JobSpec::sql("a", "INSERT INTO k SELECT 1").unwrap();
        {
            let s = SqliteStore::open(&path).await.unwrap();
            s.put_job(&spec, 1).await.unwrap();
            s.begin_attempt(NewAttempt::next(spec.id.clone(), 0, "x", 2))
                .await
                .unwrap();
        }
        let s = SqliteStore::open(format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        assert_eq!(s.schema_version().await.unwrap(), SCHEMA_VERSION);
        let rec = s.job(&spec.id).await.unwrap().unwrap();
        assert_eq!(rec.last_attempt, 1);
        assert_eq!(
            s.attempts(&spec.id).await.unwrap()[0].status,
            AttemptStatus::Starting
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[tokio::test]
    async fn a_database_from_a_newer_build_is_refused_and_names_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("one.db");
        let s = SqliteStore::open(&path).await.unwrap();
        sqlx::query("INSERT INTO sp_schema (version) VALUES (99)")
            .execute(&s.pool)
            .await
            .unwrap();
        drop(s);
        let err = SqliteStore::open(&path).await.unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("store schema version 99"), "{text}");
        assert!(text.contains(&format!("up to {SCHEMA_VERSION}")), "{text}");
    }
}
