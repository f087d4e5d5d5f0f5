//! The governance half of the SQL stores ([`super::Store`] on `pf_docs` and `pf_audit`), one
//! macro over both drivers; the tables are created by the stores' migrations.

use crate::{Error, Result};

pub(crate) fn doc_err(backend: &'static str, op: &str, e: sqlx::Error) -> Error {
    crate::store::pool::db_error("store", backend, op, e)
}

pub(crate) fn seq_of(backend: &'static str, v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::Protocol {
        backend,
        endpoint: "store table pf_audit".into(),
        reason: format!("negative number {v}"),
        source: None,
    })
}

/// `impl Store for $store` over its `pool`, with SQL that SQLite and PostgreSQL both accept.
macro_rules! sql_docs {
    ($store:ident, $backend:literal) => {
        #[async_trait::async_trait]
        impl Store for $store {
            async fn put_doc(&self, kind: DocKind, key: &str, sub: &str, json: &str) -> Result<()> {
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
                .map_err(|e| $crate::store::sql_docs::doc_err($backend, "write document", e))?;
                Ok(())
            }

            async fn insert_doc(&self, kind: DocKind, key: &str, sub: &str, json: &str) -> Result<bool> {
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
                .map_err(|e| $crate::store::sql_docs::doc_err($backend, "insert document", e))?;
                Ok(r.rows_affected() == 1)
            }

            async fn write_docs(&self, batch: &[DocWrite]) -> Result<bool> {
                let e = |e| $crate::store::sql_docs::doc_err($backend, "write documents", e);
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

            async fn doc(&self, kind: DocKind, key: &str, sub: &str) -> Result<Option<String>> {
                let row = sqlx::query("SELECT doc FROM pf_docs WHERE kind = $1 AND k1 = $2 AND k2 = $3")
                    .bind(kind.as_str())
                    .bind(key)
                    .bind(sub)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| $crate::store::sql_docs::doc_err($backend, "read document", e))?;
                row.map(|r| r.try_get::<String, _>("doc"))
                    .transpose()
                    .map_err(|e| $crate::store::sql_docs::doc_err($backend, "read document", e))
            }

            async fn docs(&self, kind: DocKind, key: Option<&str>) -> Result<Vec<Doc>> {
                let e = |e| $crate::store::sql_docs::doc_err($backend, "list documents", e);
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

            async fn delete_doc(&self, kind: DocKind, key: &str, sub: &str) -> Result<bool> {
                let r = sqlx::query("DELETE FROM pf_docs WHERE kind = $1 AND k1 = $2 AND k2 = $3")
                    .bind(kind.as_str())
                    .bind(key)
                    .bind(sub)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| $crate::store::sql_docs::doc_err($backend, "delete document", e))?;
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
                .map_err(|e| $crate::store::sql_docs::doc_err($backend, "append audit", e))?;
                let seq: i64 = row.try_get("seq").map_err(|e| $crate::store::sql_docs::doc_err($backend, "append audit", e))?;
                $crate::store::sql_docs::seq_of($backend, seq)
            }

            async fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditRecord>> {
                let e = |e| $crate::store::sql_docs::doc_err($backend, "query audit", e);
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
                        rec.seq = $crate::store::sql_docs::seq_of($backend, seq)?;
                        Ok(rec)
                    })
                    .collect()
            }
        }
    };
}
pub(crate) use sql_docs;
