//! A simulated Kubernetes API server with an operator-like reconciler (feature `testkit`;
//! **not semver-stable**).
//!
//! Written from the Kubernetes API conventions and the operator's documented behaviour, not from
//! either's code. It serves what [`crate::OperatorDeployer`] uses:
//! - `FlinkDeployment`, `FlinkSessionJob`, `FlinkStateSnapshot`, `Pod`, `ConfigMap`, `Event`:
//!   create, get, list, replace, merge patch, server-side apply (`application/apply-patch+yaml`,
//!   `fieldManager`, `force`, field ownership and conflicts), delete, `status` subresource;
//! - resource versions: a stale `metadata.resourceVersion` is `409 Conflict`;
//! - watches with `resourceVersion`, label selectors and bookmarks; a version older than the
//!   retained history is `410 Gone` (`ERROR` event with code 410), so watchers re-list;
//! - pod logs with `tailLines`, `limitBytes`, `previous` and `follow`;
//! - a reconciler: `CREATED` → `DEPLOYED` → `STABLE` with the job `RUNNING`, scripts the SQL
//!   runner would refuse end in `status.error`, `-- sim: fail-after 3s` fails a running job,
//!   savepoints by `FlinkStateSnapshot` or trigger nonce, suspend (savepoint or stateless),
//!   `initialSavepointPath` kept for restore, deletion removes the pods;
//! - fault knobs: [`PodFault`]s per job-id prefix, dropping every watch mid-stream, blocking
//!   new watches, compacting the history, hiding the `FlinkStateSnapshot` CRD.
//!
//! ```no_run
//! # async fn f() -> std::io::Result<()> {
//! use streampark_k8s::testkit::SimApiServer;
//! let sim = SimApiServer::start().await?;
//! let deployer = streampark_k8s::OperatorDeployer::builder()
//!     .with_kube_client(sim.client())
//!     .with_namespace("jobs")
//!     .build()
//!     .expect("valid settings");
//! # Ok(()) }
//! ```

mod logs;
mod native;
mod native_session;
mod operator;
mod server;
mod store;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tokio::task::JoinHandle;

pub use native::SimNativeSubmitter;
use store::Store;

/// A pod failure the simulated cluster injects into a job's pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PodFault {
    /// The image cannot be pulled (`ImagePullBackOff`).
    ImagePullBackOff,
    /// The main container keeps crashing (`CrashLoopBackOff`, last exit code 1).
    CrashLoopBackOff,
    /// The main container is killed for memory (`OOMKilled`, exit code 137) and restarts.
    OomKilled,
    /// No node has room (`Pending`, `PodScheduled=False`, `Unschedulable`).
    Unschedulable,
}

/// `(namespace, pod, container)` -> (current log, previous container's log).
pub(crate) type LogBook = HashMap<(String, String, String), (String, String)>;

pub(crate) struct Shared {
    store: Mutex<Store>,
    pub(crate) snapshot_crd: AtomicBool,
    pub(crate) block_watches: AtomicBool,
    epoch: AtomicU64,
    pub(crate) open_watches: std::sync::atomic::AtomicUsize,
    faults: Mutex<Vec<(String, PodFault)>>,
    /// `(namespace, pod, container)` -> (current log, previous container's log).
    pub(crate) logs: Mutex<LogBook>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }
    pub(crate) fn logs(&self) -> MutexGuard<'_, LogBook> {
        self.logs.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub(crate) fn fault_for(&self, job: &str) -> Option<PodFault> {
        let faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        faults
            .iter()
            .rev()
            .find(|(p, _)| job.starts_with(p.as_str()))
            .map(|(_, f)| *f)
    }
}

/// The simulated API server, on `127.0.0.1` at a free port. Dropping it stops it.
pub struct SimApiServer {
    url: String,
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl fmt::Debug for SimApiServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimApiServer")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Drop for SimApiServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl SimApiServer {
    /// Starts the server and its reconciler (needs a multi-threaded Tokio runtime or a
    /// current-thread one that keeps running).
    ///
    /// # Errors
    /// When no local port can be bound.
    pub async fn start() -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::new()),
            snapshot_crd: AtomicBool::new(true),
            block_watches: AtomicBool::new(false),
            epoch: AtomicU64::new(0),
            open_watches: std::sync::atomic::AtomicUsize::new(0),
            faults: Mutex::new(Vec::new()),
            logs: Mutex::new(HashMap::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = axum::Router::new()
            .fallback(server::handle)
            .with_state(shared.clone());
        let http = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let op = tokio::spawn(operator::run(shared.clone()));
        Ok(SimApiServer {
            url,
            shared,
            tasks: vec![http, op],
        })
    }

    /// The server's base URL (`http://127.0.0.1:<port>`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A `kube::Client` pointed at this server (default namespace `default`).
    ///
    /// # Panics
    /// Never for the URL this server makes; a failure to build a plain-HTTP client would be a
    /// bug in kube.
    pub fn client(&self) -> kube::Client {
        let uri: http::Uri = self.url.parse().expect("the server's own URL parses");
        let mut config = kube::Config::new(uri);
        config.default_namespace = "default".into();
        config.read_timeout = Some(std::time::Duration::from_secs(30));
        kube::Client::try_from(config).expect("a plain-HTTP kube client builds")
    }

    /// Injects `fault` into the pods of every job whose id starts with `job_prefix` (deployed
    /// from now on).
    pub fn inject(&self, job_prefix: impl Into<String>, fault: PodFault) {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((job_prefix.into(), fault));
    }

    /// Ends every open watch stream now (clients resume from their last version).
    pub fn drop_watches(&self) {
        self.shared.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Watch streams open now.
    pub fn open_watches(&self) -> usize {
        self.shared.open_watches.load(Ordering::SeqCst)
    }

    /// While `true`, new watch requests get `503` (a network partition for watchers).
    pub fn block_watches(&self, yes: bool) {
        self.shared.block_watches.store(yes, Ordering::SeqCst);
    }

    /// Forgets the event history: a watch resuming from any earlier version gets `410 Gone`.
    pub fn compact(&self) {
        self.shared.lock().compact();
    }

    /// Hides (`false`) or shows the `FlinkStateSnapshot` CRD (operators before 1.10).
    pub fn set_snapshot_crd(&self, installed: bool) {
        self.shared.snapshot_crd.store(installed, Ordering::SeqCst);
    }

    /// The objects of one kind (`flinkdeployments`, `configmaps`, `pods`, …) in a namespace.
    pub fn objects(&self, plural: &str, namespace: &str) -> Vec<Value> {
        self.shared
            .lock()
            .objects
            .iter()
            .filter(|((p, ns, _), _)| p == plural && ns == namespace)
            .map(|(_, o)| o.clone())
            .collect()
    }
}
