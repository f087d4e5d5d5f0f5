//! Fault injection on the platform's bookkeeping: a store that fails the Nth document write,
//! on memory and SQLite. Each operation's bookkeeping is one write, so a failure leaves the
//! previous state; a deploy the engine started but the platform store could not record is
//! named in the error, stays running under the engine and is never started twice.

mod platform_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use platform_support::*;
use std::time::Duration;

use streampark_core::platform::{AuditQuery, AuditRecord, DeployRecord};
use streampark_core::store::{
    AttemptRecord, AttemptUpdate, DesiredState, Doc, DocKind, DocWrite, EventRecord, JobRecord,
    MemoryStore, NewAttempt, SqliteStore, StateStore, Store,
};
use streampark_core::{Deployer, Error, JobId, JobSpec, Result, SavepointRef, Selector};

/// Delegates to `inner` (the engine's records untouched); the document write numbered `fail_at` (counted from arming, 1-based)
/// fails without reaching the store. Job claims (taken and given back around every
/// cluster-changing operation) are not counted; with `fail_claims` taking one fails.
#[derive(Debug)]
struct Faulty {
    inner: Arc<dyn Store>,
    writes: AtomicU64,
    fail_at: AtomicU64,
    fail_claims: AtomicBool,
}

impl Faulty {
    fn new(inner: Arc<dyn Store>) -> Arc<Self> {
        Arc::new(Faulty {
            inner,
            writes: AtomicU64::new(0),
            fail_at: AtomicU64::new(0),
            fail_claims: AtomicBool::new(false),
        })
    }
    /// The `n`th document write from now fails (0 disarms).
    fn arm(&self, n: u64) {
        self.writes.store(0, Ordering::SeqCst);
        self.fail_at.store(n, Ordering::SeqCst);
    }
    fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }
    fn claim(&self, kind: DocKind) -> Option<Result<()>> {
        (kind == DocKind::Claim).then(|| {
            if self.fail_claims.load(Ordering::SeqCst) {
                Err(Error::Unavailable {
                    backend: "faulty",
                    what: "injected failure of a claim write".into(),
                    retry_after: None,
                    source: None,
                })
            } else {
                Ok(())
            }
        })
    }
    fn tick(&self) -> Result<()> {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.fail_at.load(Ordering::SeqCst) {
            return Err(Error::Unavailable {
                backend: "faulty",
                what: format!("injected failure of write {n}"),
                retry_after: None,
                source: None,
            });
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl StateStore for Faulty {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    async fn put_job(&self, spec: &JobSpec, now_ms: i64) -> Result<JobRecord> {
        self.inner.put_job(spec, now_ms).await
    }
    async fn job(&self, job: &JobId) -> Result<Option<JobRecord>> {
        self.inner.job(job).await
    }
    async fn jobs(&self) -> Result<Vec<JobRecord>> {
        self.inner.jobs().await
    }
    async fn spec_version(&self, job: &JobId, version: u64) -> Result<Option<JobSpec>> {
        self.inner.spec_version(job, version).await
    }
    async fn set_desired(&self, job: &JobId, desired: DesiredState, now_ms: i64) -> Result<()> {
        self.inner.set_desired(job, desired, now_ms).await
    }
    async fn begin_attempt(&self, new: NewAttempt) -> Result<AttemptRecord> {
        self.inner.begin_attempt(new).await
    }
    async fn update_attempt(&self, job: &JobId, attempt: u64, update: AttemptUpdate) -> Result<()> {
        self.inner.update_attempt(job, attempt, update).await
    }
    async fn attempts(&self, job: &JobId) -> Result<Vec<AttemptRecord>> {
        self.inner.attempts(job).await
    }
    async fn add_restore_point(&self, job: &JobId, attempt: u64, p: &SavepointRef) -> Result<()> {
        self.inner.add_restore_point(job, attempt, p).await
    }
    async fn latest_restore_point(&self, job: &JobId, since: u64) -> Result<Option<SavepointRef>> {
        self.inner.latest_restore_point(job, since).await
    }
    async fn append_event(&self, event: &EventRecord) -> Result<u64> {
        self.inner.append_event(event).await
    }
    async fn events(
        &self,
        job: Option<&JobId>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<EventRecord>> {
        self.inner.events(job, after, limit).await
    }
    async fn try_lease(
        &self,
        job: &JobId,
        holder: &str,
        ttl: Duration,
        now_ms: i64,
    ) -> Result<bool> {
        self.inner.try_lease(job, holder, ttl, now_ms).await
    }
    async fn release_lease(&self, job: &JobId, holder: &str) -> Result<()> {
        self.inner.release_lease(job, holder).await
    }
}

#[async_trait::async_trait]
impl Store for Faulty {
    async fn put_doc(&self, kind: DocKind, key: &str, sub: &str, json: &str) -> Result<()> {
        self.tick()?;
        self.inner.put_doc(kind, key, sub, json).await
    }
    async fn insert_doc(&self, kind: DocKind, key: &str, sub: &str, json: &str) -> Result<bool> {
        self.claim(kind).unwrap_or_else(|| self.tick())?;
        self.inner.insert_doc(kind, key, sub, json).await
    }
    async fn write_docs(&self, batch: &[DocWrite]) -> Result<bool> {
        self.tick()?;
        self.inner.write_docs(batch).await
    }
    async fn doc(&self, kind: DocKind, key: &str, sub: &str) -> Result<Option<String>> {
        self.inner.doc(kind, key, sub).await
    }
    async fn docs(&self, kind: DocKind, key: Option<&str>) -> Result<Vec<Doc>> {
        self.inner.docs(kind, key).await
    }
    async fn delete_doc(&self, kind: DocKind, key: &str, sub: &str) -> Result<bool> {
        self.claim(kind).unwrap_or_else(|| self.tick())?;
        self.inner.delete_doc(kind, key, sub).await
    }
    async fn append_audit(&self, record: &AuditRecord) -> Result<u64> {
        self.inner.append_audit(record).await
    }
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>> {
        self.inner.audit(query).await
    }
}

async fn deploy_records(store: &dyn Store, job: &str) -> Vec<DeployRecord> {
    store
        .docs(DocKind::Deploy, Some(job))
        .await
        .unwrap()
        .iter()
        .map(|d| serde_json::from_str(&d.json).unwrap())
        .collect()
}

async fn faults(inner: Arc<dyn Store>) {
    let faulty = Faulty::new(inner);
    let f = fixture(faulty.clone()).await;
    let pf = &f.platform;
    let dev = p("a-developer");
    let id = JobId::new("orders").unwrap();
    pf.create_job(&dev, spec("orders", "a"), "first")
        .await
        .unwrap();

    // A failing version write creates no version and leaves the job on version 1.
    let edited = spec("orders", "a").with_config("parallelism.default", "3");
    faulty.arm(1);
    pf.update_job(&dev, edited.clone(), "edit")
        .await
        .unwrap_err();
    assert_eq!(faulty.writes(), 1, "a version is one write");
    assert_eq!(pf.versions(&dev, &id).await.unwrap().len(), 1);
    assert_eq!(pf.job(&dev, &id).await.unwrap().current.version, 1);
    faulty.arm(0);
    assert_eq!(
        pf.update_job(&dev, edited, "edit").await.unwrap().version,
        2
    );

    // The job's claim cannot be taken: nothing else happens.
    faulty.fail_claims.store(true, Ordering::SeqCst);
    faulty.arm(1);
    let e = pf.deploy(&dev, &id).await.unwrap_err();
    assert!(e.to_string().contains("claim write"), "{e}");
    assert_eq!(faulty.writes(), 0);
    assert!(f.deployer.requests.lock().unwrap().is_empty());
    faulty.fail_claims.store(false, Ordering::SeqCst);

    // The engine starts the job, recording the deploy fails: the error names the attempt,
    // the job's pointer is unchanged, and the engine keeps the one attempt it started.
    faulty.arm(1);
    let e = pf.deploy(&dev, &id).await.unwrap_err();
    assert_eq!(faulty.writes(), 1, "one write for record and pointer");
    let started = f
        .deployer
        .inner
        .list(&Selector::Job(id.clone()))
        .await
        .unwrap();
    assert_eq!(started.len(), 1);
    let text = e.to_string();
    assert!(
        text.contains(&format!("attempt {}", started[0].attempt)),
        "{text}"
    );
    assert!(deploy_records(&*f.store, "orders").await.is_empty());
    assert!(pf.job(&dev, &id).await.unwrap().deployed.is_none());
    let view = pf.supervisor().job(&id).await.expect("managed");
    assert_eq!(view.attempt, started[0].attempt);

    // The next deploy is refused: the job is wanted running, nothing is started twice.
    faulty.arm(0);
    let e = pf.deploy(&dev, &id).await.unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("attempt {} is wanted running", started[0].attempt)),
        "{e}"
    );
    assert_eq!(
        f.deployer.requests.lock().unwrap().len(),
        1,
        "one copy only"
    );
    // A restart rolls it over: a savepoint, then the next attempt, recorded.
    let d = pf.restart(&dev, &id).await.unwrap();
    assert!(d.attempt > started[0].attempt);
    assert_eq!(d.version, 2);
    assert!(d.restored_from.is_some(), "{d:?}");
    let m = pf.job(&dev, &id).await.unwrap();
    assert_eq!(m.deployed.as_ref().map(|x| x.attempt), Some(d.attempt));
    assert_eq!(deploy_records(&*f.store, "orders").await, vec![d.clone()]);
    let m_sp = m.last_savepoint.clone();

    // Stop with a savepoint; its record fails: the error names the savepoint, and the pointer
    // still names the stopped attempt.
    faulty.arm(1);
    let e = pf
        .stop(&dev, &id, streampark_core::platform::StopHow::Savepoint)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("savepoint `"), "{e}");
    let m = pf.job(&dev, &id).await.unwrap();
    assert_eq!(m.last_savepoint, m_sp);
    assert_eq!(m.deployed.map(|d| d.attempt), Some(d.attempt));
    faulty.arm(0);

    // Delete is one write: a failure leaves job and versions in place.
    faulty.arm(1);
    let e = pf.delete_job(&f.root, &id).await.unwrap_err();
    assert!(e.to_string().contains("injected failure"), "{e}");
    assert_eq!(pf.versions(&dev, &id).await.unwrap().len(), 2);
}

#[tokio::test]
async fn bookkeeping_survives_failing_writes_on_memory() {
    faults(Arc::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn bookkeeping_survives_failing_writes_on_sqlite() {
    faults(Arc::new(SqliteStore::in_memory().await.unwrap())).await;
}
