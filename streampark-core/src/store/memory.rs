//! [`MemoryStore`]: the in-process [`Store`] (engine and governance records).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::*;
use crate::Error;
use crate::platform::{AuditQuery, AuditRecord};

const BACKEND: &str = "memory";

#[derive(Debug, Default)]
struct Inner {
    jobs: BTreeMap<JobId, JobRecord>,
    versions: BTreeMap<(JobId, u64), JobSpec>,
    attempts: BTreeMap<(JobId, u64), AttemptRecord>,
    points: BTreeMap<JobId, Vec<(u64, SavepointRef)>>,
    events: Vec<EventRecord>,
    leases: BTreeMap<JobId, (String, i64)>,
    docs: BTreeMap<(DocKind, String, String), String>,
    audit: Vec<AuditRecord>,
}

/// A [`Store`] in memory; clones share the same state (like two processes sharing one
/// database, for tests of several supervisors).
///
/// ```
/// use streampark_core::store::{MemoryStore, NewAttempt, StateStore};
/// use streampark_core::JobSpec;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// let spec = JobSpec::sql("a", "INSERT INTO k SELECT 1")?;
/// store.put_job(&spec, 0).await?;
/// store.begin_attempt(NewAttempt::next(spec.id.clone(), 0, "sup-1", 0)).await?;
/// // A second supervisor that also saw attempt 0 loses the swap.
/// let lost = store.begin_attempt(NewAttempt::next(spec.id.clone(), 0, "sup-2", 0)).await;
/// assert!(lost.unwrap_err().is_fenced());
/// # Ok::<(), streampark_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every mutation below is completed before the guard drops; recover from poisoning.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn unknown_job(job: &JobId) -> Error {
    Error::not_found(BACKEND, format!("job `{job}`"))
}

#[async_trait::async_trait]
impl StateStore for MemoryStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn put_job(&self, spec: &JobSpec, now_ms: i64) -> Result<JobRecord> {
        let mut g = self.lock();
        let rec = match g.jobs.get(&spec.id) {
            Some(r) if &r.spec == spec => return Ok(r.clone()),
            Some(r) => JobRecord {
                spec: spec.clone(),
                spec_version: r.spec_version + 1,
                desired: r.desired,
                last_attempt: r.last_attempt,
                updated_ms: now_ms,
            },
            None => JobRecord {
                spec: spec.clone(),
                spec_version: 1,
                desired: DesiredState::Running,
                last_attempt: 0,
                updated_ms: now_ms,
            },
        };
        g.versions
            .insert((spec.id.clone(), rec.spec_version), spec.clone());
        g.jobs.insert(spec.id.clone(), rec.clone());
        Ok(rec)
    }

    async fn job(&self, job: &JobId) -> Result<Option<JobRecord>> {
        Ok(self.lock().jobs.get(job).cloned())
    }

    async fn jobs(&self) -> Result<Vec<JobRecord>> {
        Ok(self.lock().jobs.values().cloned().collect())
    }

    async fn spec_version(&self, job: &JobId, version: u64) -> Result<Option<JobSpec>> {
        Ok(self.lock().versions.get(&(job.clone(), version)).cloned())
    }

    async fn set_desired(&self, job: &JobId, desired: DesiredState, now_ms: i64) -> Result<()> {
        let mut g = self.lock();
        let r = g.jobs.get_mut(job).ok_or_else(|| unknown_job(job))?;
        r.desired = desired;
        r.updated_ms = now_ms;
        Ok(())
    }

    async fn begin_attempt(&self, new: NewAttempt) -> Result<AttemptRecord> {
        let mut g = self.lock();
        let (last, version) = {
            let r = g.jobs.get(&new.job).ok_or_else(|| unknown_job(&new.job))?;
            (r.last_attempt, r.spec_version)
        };
        if last != new.expected_last || new.attempt <= last {
            return Err(fenced(BACKEND, &new.job, new.attempt, last));
        }
        let rec = AttemptRecord {
            job: new.job.clone(),
            attempt: new.attempt,
            status: new.status,
            deployment: new.deployment,
            restore_from: new.restore_from,
            spec_version: version,
            owner: new.owner,
            created_ms: new.now_ms,
            ended_ms: None,
            final_state: None,
            reason: None,
        };
        if let Some(r) = g.jobs.get_mut(&new.job) {
            r.last_attempt = new.attempt;
            r.updated_ms = new.now_ms;
        }
        g.attempts
            .insert((new.job.clone(), new.attempt), rec.clone());
        Ok(rec)
    }

    async fn update_attempt(&self, job: &JobId, attempt: u64, u: AttemptUpdate) -> Result<()> {
        let mut g = self.lock();
        let a = g
            .attempts
            .get_mut(&(job.clone(), attempt))
            .ok_or_else(|| Error::not_found(BACKEND, format!("attempt {attempt} of `{job}`")))?;
        if let Some(s) = u.status {
            a.status = s;
        }
        if u.deployment.is_some() {
            a.deployment = u.deployment;
        }
        if u.ended_ms.is_some() {
            a.ended_ms = u.ended_ms;
        }
        if u.final_state.is_some() {
            a.final_state = u.final_state;
        }
        if u.reason.is_some() {
            a.reason = u.reason;
        }
        Ok(())
    }

    async fn attempts(&self, job: &JobId) -> Result<Vec<AttemptRecord>> {
        Ok(self
            .lock()
            .attempts
            .range((job.clone(), 0)..=(job.clone(), u64::MAX))
            .map(|(_, a)| a.clone())
            .collect())
    }

    async fn add_restore_point(&self, job: &JobId, attempt: u64, p: &SavepointRef) -> Result<()> {
        let mut g = self.lock();
        let v = g.points.entry(job.clone()).or_default();
        if !v.iter().any(|x| x.1.path == p.path) {
            v.push((attempt, p.clone()));
        }
        Ok(())
    }

    async fn latest_restore_point(
        &self,
        job: &JobId,
        since_attempt: u64,
    ) -> Result<Option<SavepointRef>> {
        let g = self.lock();
        Ok(g.points.get(job).and_then(|v| {
            v.iter()
                .enumerate()
                .filter(|(_, (a, _))| *a >= since_attempt)
                .max_by_key(|(i, (_, p))| (p.completed_at_ms.unwrap_or(i64::MIN), *i))
                .map(|(_, (_, p))| p.clone())
        }))
    }

    async fn append_event(&self, event: &EventRecord) -> Result<u64> {
        let mut g = self.lock();
        let seq = g.events.len() as u64 + 1;
        let mut e = event.clone();
        e.seq = seq;
        g.events.push(e);
        Ok(seq)
    }

    async fn events(
        &self,
        job: Option<&JobId>,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<EventRecord>> {
        let g = self.lock();
        Ok(g.events
            .iter()
            .filter(|e| e.seq > after_seq && job.is_none_or(|j| &e.job == j))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn try_lease(
        &self,
        job: &JobId,
        holder: &str,
        ttl: Duration,
        now_ms: i64,
    ) -> Result<bool> {
        let mut g = self.lock();
        let until = now_ms.saturating_add(ttl_ms(ttl));
        match g.leases.get(job) {
            Some((h, exp)) if h != holder && *exp > now_ms => Ok(false),
            _ => {
                g.leases.insert(job.clone(), (holder.to_string(), until));
                Ok(true)
            }
        }
    }

    async fn release_lease(&self, job: &JobId, holder: &str) -> Result<()> {
        let mut g = self.lock();
        if g.leases.get(job).is_some_and(|(h, _)| h == holder) {
            g.leases.remove(job);
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    async fn put_doc(&self, kind: DocKind, key: &str, sub: &str, json: &str) -> Result<()> {
        self.lock()
            .docs
            .insert((kind, key.into(), sub.into()), json.into());
        Ok(())
    }
    async fn insert_doc(&self, kind: DocKind, key: &str, sub: &str, json: &str) -> Result<bool> {
        let mut g = self.lock();
        let k = (kind, key.to_string(), sub.to_string());
        if g.docs.contains_key(&k) {
            return Ok(false);
        }
        g.docs.insert(k, json.into());
        Ok(true)
    }
    async fn write_docs(&self, batch: &[DocWrite]) -> Result<bool> {
        let mut g = self.lock();
        let exists = |d: &DocWrite| g.docs.contains_key(&(d.kind, d.key.clone(), d.sub.clone()));
        // Check first, then apply: a refused batch leaves nothing behind. Inserts later in the
        // batch may not target keys an earlier write of the same batch created.
        let mut created = std::collections::BTreeSet::new();
        for d in batch {
            let k = (d.kind, d.key.clone(), d.sub.clone());
            if d.mode == WriteMode::Insert && (exists(d) || created.contains(&k)) {
                return Ok(false);
            }
            if d.mode != WriteMode::Delete {
                created.insert(k);
            }
        }
        for d in batch {
            let k = (d.kind, d.key.clone(), d.sub.clone());
            match d.mode {
                WriteMode::Delete => {
                    g.docs.remove(&k);
                }
                WriteMode::Put | WriteMode::Insert => {
                    g.docs.insert(k, d.json.clone());
                }
            }
        }
        Ok(true)
    }
    async fn doc(&self, kind: DocKind, key: &str, sub: &str) -> Result<Option<String>> {
        Ok(self
            .lock()
            .docs
            .get(&(kind, key.to_string(), sub.to_string()))
            .cloned())
    }
    async fn docs(&self, kind: DocKind, key: Option<&str>) -> Result<Vec<Doc>> {
        Ok(self
            .lock()
            .docs
            .iter()
            .filter(|((k, a, _), _)| *k == kind && key.is_none_or(|x| x == a))
            .map(|((_, a, b), j)| Doc {
                key: a.clone(),
                sub: b.clone(),
                json: j.clone(),
            })
            .collect())
    }
    async fn delete_doc(&self, kind: DocKind, key: &str, sub: &str) -> Result<bool> {
        Ok(self
            .lock()
            .docs
            .remove(&(kind, key.to_string(), sub.to_string()))
            .is_some())
    }
    async fn append_audit(&self, record: &AuditRecord) -> Result<u64> {
        let mut g = self.lock();
        let seq = g.audit.len() as u64 + 1;
        let mut r = record.clone();
        r.seq = seq;
        g.audit.push(r);
        Ok(seq)
    }
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        Ok(self
            .lock()
            .audit
            .iter()
            .filter(|r| query.matches(r))
            .take(query.effective_limit())
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_store_behaves() {
        crate::store::conformance::behaviour(&MemoryStore::new()).await;
    }
}
