//! Event-driven state: one kube-runtime watcher per kind and namespace (job resources and
//! pods, selected by [`MANAGED_LABEL`]), each feeding a reflector store that `list` reads.
//!
//! A dropped watch resumes from its last resource version; a `410 Gone` (the version was
//! compacted away) makes the watcher re-list, which [`WatchStats::relists`] counts.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::WatchStreamExt;
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use serde::de::DeserializeOwned;
use streampark_core::Error;
use tokio::task::JoinHandle;

use crate::BACKEND;
use crate::resources::{MANAGED_LABEL, MANAGED_VALUE};

/// Counters of the watch streams (for tests and health checks).
#[derive(Debug, Default)]
pub struct WatchStats {
    relists: AtomicU64,
    events: AtomicU64,
    errors: AtomicU64,
}

impl WatchStats {
    /// Initial lists plus re-lists (after `410 Gone` or a failed watch), over all streams.
    pub fn relists(&self) -> u64 {
        self.relists.load(Ordering::Relaxed)
    }
    /// Objects applied to the caches.
    pub fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }
    /// Watch errors seen (each is retried with backoff).
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
}

/// The caches of one namespace.
pub(crate) struct Caches<K: kube::Resource + 'static>
where
    K::DynamicType: std::hash::Hash + Eq + Clone,
{
    pub(crate) jobs: Store<K>,
    pub(crate) pods: Store<Pod>,
    pub(crate) stats: Arc<WatchStats>,
    tasks: Vec<JoinHandle<()>>,
}

impl<K: kube::Resource + 'static> fmt::Debug for Caches<K>
where
    K::DynamicType: std::hash::Hash + Eq + Clone,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caches")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<K: kube::Resource + 'static> Drop for Caches<K>
where
    K::DynamicType: std::hash::Hash + Eq + Clone,
{
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn spawn_reflector<T>(api: Api<T>, stats: Arc<WatchStats>) -> (Store<T>, JoinHandle<()>)
where
    T: kube::Resource<DynamicType = ()>
        + Clone
        + DeserializeOwned
        + fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let (store, writer) = reflector::store::<T>();
    let cfg = watcher::Config::default()
        .labels(&format!("{MANAGED_LABEL}={MANAGED_VALUE}"))
        .timeout(290);
    let stream = reflector::reflector(writer, watcher::watcher(api, cfg).default_backoff());
    let task = tokio::spawn(async move {
        futures::pin_mut!(stream);
        while let Some(ev) = stream.next().await {
            match ev {
                Ok(Event::Init) => {
                    stats.relists.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Event::Apply(_) | Event::Delete(_) | Event::InitApply(_)) => {
                    stats.events.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Event::InitDone) => {}
                Err(e) => {
                    stats.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(backend = BACKEND, error = %e, "watch error; retrying");
                }
            }
        }
    });
    (store, task)
}

impl<K> Caches<K>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + fmt::Debug
        + Send
        + Sync
        + 'static,
{
    /// Starts the watchers of one namespace (needs a Tokio runtime).
    pub(crate) fn start(client: &Client, namespace: &str) -> Self {
        let stats = Arc::new(WatchStats::default());
        let (jobs, t1) = spawn_reflector(
            Api::<K>::namespaced(client.clone(), namespace),
            stats.clone(),
        );
        let (pods, t2) = spawn_reflector(
            Api::<Pod>::namespaced(client.clone(), namespace),
            stats.clone(),
        );
        Caches {
            jobs,
            pods,
            stats,
            tasks: vec![t1, t2],
        }
    }

    /// Waits until both stores finished their first list.
    pub(crate) async fn ready(&self, timeout: Duration) -> Result<(), Error> {
        let wait = async {
            let _ = self.jobs.wait_until_ready().await;
            let _ = self.pods.wait_until_ready().await;
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| Error::Timeout {
                backend: BACKEND,
                operation: "initial list of the watch caches".into(),
                after: timeout,
            })
    }
}
