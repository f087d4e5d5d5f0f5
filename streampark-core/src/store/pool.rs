//! Opening the SQL databases behind the state store and the platform store: one place for the
//! SQLite and PostgreSQL pool settings and for mapping driver errors to [`Error`] categories.
//! `store` names the store in messages ("state store", "platform store").

use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

use crate::{Error, Result};

/// A driver error as an [`Error`]: connection trouble is `Unavailable` (retryable), the rest
/// `Other`, both naming the store and the operation.
pub(crate) fn db_error(store: &str, backend: &'static str, op: &str, e: sqlx::Error) -> Error {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_) => Error::Unavailable {
            backend,
            what: format!("{store} ({op})"),
            retry_after: None,
            source: Some(Box::new(e)),
        },
        other => Error::Other {
            backend,
            message: format!("{store}: {op} failed"),
            source: Some(Box::new(other)),
        },
    }
}

/// Opens (creating if missing) the SQLite file at `path` (`sqlite://PATH` accepted) in WAL
/// mode; returns the pool and the file name.
pub(crate) async fn open_sqlite(
    store: &str,
    path: &std::path::Path,
) -> Result<(sqlx::SqlitePool, String)> {
    let raw = path.to_string_lossy().to_string();
    let file = raw.strip_prefix("sqlite://").unwrap_or(&raw).to_string();
    if file.trim().is_empty() {
        return Err(Error::invalid_input(
            "sqlite",
            format!("{store} path"),
            "`sqlite://`",
            "empty path",
        ));
    }
    let opts = SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(opts)
        .await
        .map_err(|e| db_error(store, "sqlite", &format!("open {file}"), e))?;
    Ok((pool, file))
}

/// A private in-memory SQLite database (one connection).
pub(crate) async fn open_sqlite_in_memory(store: &str) -> Result<sqlx::SqlitePool> {
    let opts = SqliteConnectOptions::new().in_memory(true);
    SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(opts)
        .await
        .map_err(|e| db_error(store, "sqlite", "open in-memory database", e))
}

/// Connects to PostgreSQL at `url`; returns the pool and the URL with its password redacted
/// (the only form that may appear in errors and `Debug`).
#[cfg(feature = "postgres")]
pub(crate) async fn connect_postgres(store: &str, url: &str) -> Result<(sqlx::PgPool, String)> {
    let shown = crate::spi::redact_url(url);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(5)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(|e| db_error(store, "postgres", &format!("connect to {shown}"), e))?;
    Ok((pool, shown))
}

/// The `migrate` and `schema_version` methods of a SQL store over one driver: `$schema` is the
/// table of applied versions, `$migrations` the steps (`{serial}` becomes `$serial`), taken in one
/// transaction under `$lock` (an advisory lock on PostgreSQL, none on SQLite). A database newer
/// than this build is refused, naming `$store`.
macro_rules! sql_migrations {
    (
        store: $store:literal,
        schema: $schema:literal,
        migrations: $migrations:expr,
        version: $version:expr,
        backend: $backend:expr,
        serial: $serial:expr,
        lock: $lock:expr,
        db_err: $db_err:path $(,)?
    ) => {
        async fn migrate(&self) -> $crate::Result<()> {
            let e = |e| $db_err($backend, "migrate schema", e);
            let mut tx = self.pool.begin().await.map_err(e)?;
            if let Some(lock) = $lock {
                ::sqlx::query(lock).execute(&mut *tx).await.map_err(e)?;
            }
            ::sqlx::query(concat!(
                "CREATE TABLE IF NOT EXISTS ",
                $schema,
                " (version BIGINT NOT NULL)"
            ))
            .execute(&mut *tx)
            .await
            .map_err(e)?;
            let row = ::sqlx::query(concat!("SELECT MAX(version) AS v FROM ", $schema))
                .fetch_one(&mut *tx)
                .await
                .map_err(e)?;
            let current: Option<i64> = ::sqlx::Row::try_get(&row, "v").map_err(e)?;
            let current = current.unwrap_or(0);
            if current > $version {
                return Err($crate::Error::Unsupported {
                    backend: $backend,
                    operation: format!(
                        "{} schema version {current} (this build knows up to {})",
                        $store, $version
                    ),
                });
            }
            for (n, steps) in $migrations
                .iter()
                .enumerate()
                .skip(usize::try_from(current).unwrap_or(0))
            {
                for step in *steps {
                    let sql = step.replace("{serial}", $serial);
                    ::sqlx::query(&sql).execute(&mut *tx).await.map_err(e)?;
                }
                ::sqlx::query(concat!("INSERT INTO ", $schema, " (version) VALUES ($1)"))
                    .bind(i64::try_from(n + 1).unwrap_or(i64::MAX))
                    .execute(&mut *tx)
                    .await
                    .map_err(e)?;
            }
            tx.commit().await.map_err(e)?;
            Ok(())
        }

        /// The schema version of the database.
        ///
        /// # Errors
        /// Database errors.
        pub async fn schema_version(&self) -> $crate::Result<i64> {
            let v: Option<i64> = ::sqlx::query(concat!("SELECT MAX(version) AS v FROM ", $schema))
                .fetch_one(&self.pool)
                .await
                .and_then(|r| ::sqlx::Row::try_get(&r, "v"))
                .map_err(|e| $db_err($backend, "read schema version", e))?;
            Ok(v.unwrap_or(0))
        }
    };
}
pub(crate) use sql_migrations;
