//! Real-PostgreSQL tests: each works in its own fresh schema of `STREAMPARK_IT_POSTGRES_URL`
//! (`scripts/ci-supervisor.sh` and `scripts/ci-platform.sh` start a server).
#![allow(dead_code, unreachable_pub)]

/// A connection URL whose `search_path` is a fresh schema `<name>_<pid>`, or `None` (the test
/// prints "skipped" and passes) when `STREAMPARK_IT_POSTGRES_URL` is not set.
pub async fn fresh_schema_url(name: &str) -> Option<String> {
    let Ok(url) = std::env::var("STREAMPARK_IT_POSTGRES_URL") else {
        eprintln!("skipped: STREAMPARK_IT_POSTGRES_URL is not set");
        return None;
    };
    let schema = format!("{name}_{}", std::process::id());
    let pool = sqlx::PgPool::connect(&url).await.expect("connect");
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&pool)
        .await
        .expect("drop schema");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&pool)
        .await
        .expect("create schema");
    pool.close().await;
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
}
