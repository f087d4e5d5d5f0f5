//! One cluster-changing operation per job at a time, across every [`Platform`] that shares a
//! store: deploy, stop, restart, rollback with redeploy and delete first take the job's claim
//! (an insert-only [`DocKind::Claim`] document) and give it back when they finish.
//!
//! Without it two calls that arrive together (two HTTP requests, two replicas) both find the
//! job stopped and both start it: two attempts of one job running side by side, the failure
//! hosts know as "restart started the same job twice". A claim left by a process that died
//! expires after the platform's claim lifetime and is then taken over.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::Platform;
use crate::store::{DocKind, load};
use crate::{Error, JobId, Result};

/// What a claim document holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Claim {
    /// The operation (`job.deploy`, …).
    op: String,
    /// Who called it.
    by: String,
    /// When it was taken, ms since the epoch.
    at_ms: i64,
    /// When it lapses if never given back (its holder died), ms since the epoch.
    until_ms: i64,
    /// Tells this holder's claim from a later one.
    token: String,
}

fn token() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl Platform {
    /// Runs `f` holding the job's claim; refused while another operation holds it.
    ///
    /// # Errors
    /// [`Error::Unavailable`] (retryable) naming the operation, who and since when, while
    /// another holds the claim; store errors; `f`'s errors.
    pub(super) async fn claimed<T>(
        &self,
        job: &JobId,
        op: &str,
        by: &str,
        f: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let mine = self.take_claim(job, op, by).await?;
        let out = f.await;
        self.give_back(job, &mine).await;
        out
    }

    async fn take_claim(&self, job: &JobId, op: &str, by: &str) -> Result<Claim> {
        let key = job.as_str();
        let now = self.now();
        let ttl = i64::try_from(self.claim_ttl.as_millis()).unwrap_or(i64::MAX);
        let mine = Claim {
            op: op.to_string(),
            by: by.to_string(),
            at_ms: now,
            until_ms: now.saturating_add(ttl),
            token: token(),
        };
        let json = serde_json::to_string(&mine).map_err(|e| {
            Error::invalid_input("platform", "claim", key, format!("cannot encode: {e}"))
        })?;
        for _ in 0..2 {
            if self
                .store
                .insert_doc(DocKind::Claim, key, "", &json)
                .await?
            {
                return Ok(mine);
            }
            // Unreadable claims are treated as lapsed: nothing could ever give them back.
            let held = load::<Claim>(&*self.store, DocKind::Claim, key, "")
                .await
                .ok()
                .flatten();
            match held {
                Some(h) if h.until_ms > now => {
                    return Err(Error::Unavailable {
                        backend: "platform",
                        what: format!(
                            "job `{job}`: `{}` by `{}` is in progress (since {} ms since the epoch); \
                             one cluster-changing operation per job at a time",
                            h.op, h.by, h.at_ms
                        ),
                        retry_after: None,
                        source: None,
                    });
                }
                h => {
                    tracing::warn!(job = key, lapsed = ?h.map(|h| (h.op, h.by, h.until_ms)), "taking over a lapsed job claim");
                    self.store.delete_doc(DocKind::Claim, key, "").await?;
                }
            }
        }
        Err(Error::Unavailable {
            backend: "platform",
            what: format!("job `{job}`: another operation took its claim first"),
            retry_after: None,
            source: None,
        })
    }

    /// Gives the claim back if it is still this holder's (a lapsed one may have been taken
    /// over). A failure is logged: the claim then lapses on its own.
    async fn give_back(&self, job: &JobId, mine: &Claim) {
        let key = job.as_str();
        let held = load::<Claim>(&*self.store, DocKind::Claim, key, "").await;
        let result = match held {
            Ok(Some(h)) if h.token == mine.token => self
                .store
                .delete_doc(DocKind::Claim, key, "")
                .await
                .map(|_| ()),
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::warn!(job = key, error = %e, "cannot give back the job claim; it lapses on its own");
        }
    }
}
