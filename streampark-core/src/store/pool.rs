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
