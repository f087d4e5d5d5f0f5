//! [`MemoryPlatformStore`]: everything in process memory.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::*;

#[derive(Debug, Default)]
struct Inner {
    docs: BTreeMap<(DocKind, String, String), String>,
    audit: Vec<AuditRecord>,
}

/// A [`PlatformStore`] in memory, for tests and for hosts that keep nothing. Clones share state.
#[derive(Clone, Debug, Default)]
pub struct MemoryPlatformStore {
    inner: Arc<Mutex<Inner>>,
}

impl MemoryPlatformStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait::async_trait]
impl PlatformStore for MemoryPlatformStore {
    fn backend(&self) -> &'static str {
        "memory"
    }
    async fn put(&self, kind: DocKind, key: &str, sub: &str, json: &str) -> Result<()> {
        self.lock()
            .docs
            .insert((kind, key.into(), sub.into()), json.into());
        Ok(())
    }
    async fn insert(&self, kind: DocKind, key: &str, sub: &str, json: &str) -> Result<bool> {
        let mut g = self.lock();
        let k = (kind, key.to_string(), sub.to_string());
        if g.docs.contains_key(&k) {
            return Ok(false);
        }
        g.docs.insert(k, json.into());
        Ok(true)
    }
    async fn put_all(&self, batch: &[DocWrite]) -> Result<bool> {
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
    async fn get(&self, kind: DocKind, key: &str, sub: &str) -> Result<Option<String>> {
        Ok(self
            .lock()
            .docs
            .get(&(kind, key.to_string(), sub.to_string()))
            .cloned())
    }
    async fn list(&self, kind: DocKind, key: Option<&str>) -> Result<Vec<Doc>> {
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
    async fn delete(&self, kind: DocKind, key: &str, sub: &str) -> Result<bool> {
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
    #[tokio::test]
    async fn memory_store_behaves() {
        super::super::conformance::behaviour(&super::MemoryPlatformStore::new()).await;
    }
}
