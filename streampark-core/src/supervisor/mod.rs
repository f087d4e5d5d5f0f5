//! The [`Supervisor`]: keeps managed jobs running, never twice.
//!
//! Each [`tick`](Supervisor::tick) makes **one [`Deployer::list`] call per cluster** (never
//! one per job), turns what it sees into [`JobEvent`]s on a broadcast channel, applies each
//! job's [`RestartPolicy`](crate::RestartPolicy) and raises alerts.
//!
//! # At most one live attempt per job
//! - Every attempt is recorded in the [`crate::StateStore`] with a compare-and-swap on the job's last
//!   attempt *before* it is deployed; two supervisors racing for one restart cannot both win.
//! - Before deploying, the deployer's own list is consulted for a live deployment tagged with
//!   the job: a live one is adopted, never doubled.
//! - A deploy whose answer was lost (timeout) stays `Starting` and is resolved by looking for
//!   its tag; only after `deploy_timeout` is the *same* attempt deployed again, which the
//!   backend fences if it ever started.
//! - On start-up the supervisor adopts what is running; a crash between recording an attempt
//!   and the deploy returning is resolved the same way.
//! - "Lost" is not "Failed": nothing is restarted while a cluster cannot be listed, and a job
//!   that vanished from a reachable cluster counts as failed only after `lost_grace`.
//! - With several replicas on one store, a replica acts on a job only under its lease.
//!
//! # Default alert mapping
//! | event | severity |
//! |---|---|
//! | restart budget exhausted ([`JobEventKind::GaveUp`]), two live attempts seen | Critical |
//! | restarted ([`JobEventKind::Started`] with a restart), job lost | Major |
//! | checkpoint trouble | Minor |
//! | started (first attempt), stopped, adopted | Info |
//!
//! Replace it with [`SupervisorBuilder::with_alert_mapping`].

mod policy;
mod tick;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, broadcast};

use crate::store::{DesiredState, Store};
use crate::{
    AlertSink, Deployer, DeploymentId, Error, FlinkVersion, JobId, JobSpec, JobState, Result,
    SavepointOptions, SavepointRef, Severity,
};

/// The spec label naming the cluster a job runs on (see [`SupervisorBuilder::with_cluster`]).
/// A job without it runs on the first cluster whose Flink version satisfies the job's
/// [`JobSpec::flink_version`] (the first cluster when the job accepts any version);
/// [`Supervisor::manage`] writes the chosen cluster into the label, so the choice holds.
pub const CLUSTER_LABEL: &str = "streampark.cluster";

/// What happened to a job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobEventKind {
    /// An attempt was deployed (`restart` when it follows a failure).
    Started {
        /// Whether this start follows a failure.
        restart: bool,
    },
    /// A live deployment this supervisor did not start was taken over.
    Adopted,
    /// The observed state of the current attempt changed.
    StateChanged,
    /// The job cannot be seen: its cluster is unreachable, or it vanished from a reachable one.
    Lost {
        /// Why.
        reason: String,
    },
    /// The current attempt failed (or its deploy was refused).
    Failed {
        /// The backend's words.
        reason: String,
    },
    /// A restart was decided.
    RestartScheduled {
        /// Time until the restart.
        after_ms: u64,
        /// Consecutive failures so far (or failures in the window, for failure-rate).
        failures: u32,
    },
    /// The restart budget is exhausted: the job stays down (its desired state becomes stopped).
    GaveUp {
        /// Why.
        reason: String,
    },
    /// The job ended without failing (stopped, finished or canceled).
    Stopped,
    /// Checkpoints fail or are too old.
    CheckpointTrouble {
        /// What is wrong.
        reason: String,
    },
    /// More than one live attempt of the job was seen (started outside this supervisor).
    DuplicateLive {
        /// The live attempts.
        attempts: Vec<u64>,
    },
}

/// One event of one job, as broadcast by [`Supervisor::subscribe`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobEvent {
    /// The job.
    pub job: JobId,
    /// The attempt concerned.
    pub attempt: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: JobEventKind,
    /// The observed state, when known.
    pub state: Option<JobState>,
    /// The deployment (the Flink job id on a session cluster).
    pub deployment: Option<DeploymentId>,
    /// The savepoint or checkpoint the attempt restored from.
    pub restored_from: Option<String>,
    /// When, ms since the epoch.
    pub ts_ms: i64,
    /// The job's alert labels: `team`, `project`, `cluster` and the spec's own labels (not
    /// kept in the event log).
    #[serde(skip)]
    pub labels: std::collections::BTreeMap<String, String>,
}

/// Thresholds for checkpoint health, checked with one [`Deployer::inspect`] per running job
/// every `every` (off by default: a tick stays one call per cluster).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckpointHealth {
    /// How often each running job is inspected.
    pub every: Duration,
    /// Consecutive failed checkpoints that count as trouble.
    pub max_consecutive_failures: u64,
    /// Age of the latest completed checkpoint (or of the run, before the first one) that
    /// counts as trouble.
    pub max_age: Duration,
    /// Restart the job (from its latest checkpoint) on trouble, besides alerting.
    pub restart: bool,
}

impl CheckpointHealth {
    /// Inspect every `every`; trouble after `max_consecutive_failures` failed checkpoints in a
    /// row or a latest checkpoint older than `max_age`; alert only.
    pub fn new(every: Duration, max_consecutive_failures: u64, max_age: Duration) -> Self {
        CheckpointHealth {
            every,
            max_consecutive_failures,
            max_age,
            restart: false,
        }
    }
    /// Also restart the job on trouble.
    #[must_use]
    pub fn with_restart(mut self, yes: bool) -> Self {
        self.restart = yes;
        self
    }
}

/// Maps an event to an alert severity (`None`: no alert).
pub type AlertMapping = Arc<dyn Fn(&JobEvent) -> Option<Severity> + Send + Sync>;

/// The documented default mapping (see the module docs).
pub fn default_alert_mapping(e: &JobEvent) -> Option<Severity> {
    match &e.kind {
        JobEventKind::GaveUp { .. } | JobEventKind::DuplicateLive { .. } => {
            Some(Severity::Critical)
        }
        JobEventKind::Started { restart: true } | JobEventKind::Lost { .. } => {
            Some(Severity::Major)
        }
        JobEventKind::CheckpointTrouble { .. } => Some(Severity::Minor),
        JobEventKind::Started { restart: false }
        | JobEventKind::Stopped
        | JobEventKind::Adopted => Some(Severity::Info),
        _ => None,
    }
}

type NowFn = Arc<dyn Fn() -> i64 + Send + Sync>;

pub(crate) struct Config {
    pub(crate) id: String,
    pub(crate) clusters: Vec<(String, Arc<dyn Deployer>)>,
    pub(crate) versions: Vec<Option<FlinkVersion>>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) alerts: Vec<Arc<dyn AlertSink>>,
    pub(crate) mapping: AlertMapping,
    pub(crate) now: NowFn,
    pub(crate) tick: Duration,
    pub(crate) lost_grace: Duration,
    pub(crate) deploy_timeout: Duration,
    pub(crate) lease_ttl: Duration,
    pub(crate) reset_after: Duration,
    pub(crate) checkpoints: Option<CheckpointHealth>,
    pub(crate) parallel: usize,
    pub(crate) reload_every: u64,
}

/// Builder of [`Supervisor`].
#[must_use]
pub struct SupervisorBuilder {
    id: Option<String>,
    clusters: Vec<(String, Arc<dyn Deployer>)>,
    versions: Vec<Option<FlinkVersion>>,
    store: Arc<dyn Store>,
    alerts: Vec<Arc<dyn AlertSink>>,
    mapping: Option<AlertMapping>,
    now: Option<NowFn>,
    tick: Duration,
    lost_grace: Duration,
    deploy_timeout: Duration,
    lease_ttl: Duration,
    reset_after: Duration,
    checkpoints: Option<CheckpointHealth>,
    parallel: usize,
    reload_every: u64,
}

impl fmt::Debug for SupervisorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SupervisorBuilder")
            .field("id", &self.id)
            .field(
                "clusters",
                &self.clusters.iter().map(|c| &c.0).collect::<Vec<_>>(),
            )
            .field("store", &self.store.backend())
            .finish_non_exhaustive()
    }
}

impl SupervisorBuilder {
    /// This supervisor's id in attempts, leases and the audit log (default `supervisor-<pid>`).
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
    /// Adds a cluster whose Flink version is not known: it takes jobs that name it with the
    /// [`CLUSTER_LABEL`] label, and jobs accepting any version when it is the first cluster.
    pub fn with_cluster(mut self, name: impl Into<String>, deployer: Arc<dyn Deployer>) -> Self {
        self.clusters.push((name.into(), deployer));
        self.versions.push(None);
        self
    }
    /// Adds a cluster running Flink `version` (for a REST cluster, what it reports:
    /// [`RemoteDeployer::flink_version`](crate::RemoteDeployer::flink_version); for a CLI
    /// backend, its Flink home's). Jobs whose [`JobSpec::flink_version`] it satisfies may be
    /// placed on it (see [`Supervisor::place`]).
    pub fn with_cluster_version(
        mut self,
        name: impl Into<String>,
        deployer: Arc<dyn Deployer>,
        version: FlinkVersion,
    ) -> Self {
        self.clusters.push((name.into(), deployer));
        self.versions.push(Some(version));
        self
    }
    /// Adds an alert sink.
    pub fn with_alert_sink(mut self, sink: Arc<dyn AlertSink>) -> Self {
        self.alerts.push(sink);
        self
    }
    /// Replaces the default alert mapping.
    pub fn with_alert_mapping(
        mut self,
        f: impl Fn(&JobEvent) -> Option<Severity> + Send + Sync + 'static,
    ) -> Self {
        self.mapping = Some(Arc::new(f));
        self
    }
    /// The wall clock, ms since the epoch (default: the system clock). Tests pass a virtual
    /// clock: `move || clock.now_ms()`.
    pub fn with_clock(mut self, now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.now = Some(Arc::new(now));
        self
    }
    /// Time between ticks in [`Supervisor::run`] (default 5 s).
    pub fn with_tick(mut self, d: Duration) -> Self {
        self.tick = d;
        self
    }
    /// How long a job may be missing from a reachable cluster before it counts as failed
    /// (default 60 s).
    pub fn with_lost_grace(mut self, d: Duration) -> Self {
        self.lost_grace = d;
        self
    }
    /// How long a deploy whose answer was lost stays unresolved before the same attempt is
    /// deployed again (default 120 s).
    pub fn with_deploy_timeout(mut self, d: Duration) -> Self {
        self.deploy_timeout = d;
        self
    }
    /// Lease duration when acting on a job (default 30 s).
    pub fn with_lease_ttl(mut self, d: Duration) -> Self {
        self.lease_ttl = d;
        self
    }
    /// A run at least this long clears the count of consecutive failures (default 10 min).
    pub fn with_reset_after(mut self, d: Duration) -> Self {
        self.reset_after = d;
        self
    }
    /// Enables checkpoint health checks.
    pub fn with_checkpoint_health(mut self, h: CheckpointHealth) -> Self {
        self.checkpoints = Some(h);
        self
    }
    /// At most this many deploys and inspections at once (default 16).
    pub fn with_parallelism(mut self, n: usize) -> Self {
        self.parallel = n;
        self
    }
    /// Re-reads the job list from the store every `n` ticks, to see jobs added by other
    /// replicas (default 10).
    pub fn with_reload_every(mut self, n: u64) -> Self {
        self.reload_every = n;
        self
    }

    /// Validates and builds; call [`Supervisor::load`] (or just [`Supervisor::tick`]) next.
    pub fn build(self) -> Result<Supervisor> {
        if self.clusters.is_empty() {
            return Err(Error::invalid_config(
                "supervisor",
                "clusters",
                "at least one cluster is needed",
            ));
        }
        let mut names: Vec<&str> = self.clusters.iter().map(|c| c.0.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(Error::invalid_config(
                "supervisor",
                "clusters",
                "cluster names must be unique",
            ));
        }
        for (key, d) in [
            ("tick", self.tick),
            ("lease_ttl", self.lease_ttl),
            ("deploy_timeout", self.deploy_timeout),
        ] {
            if d.is_zero() {
                return Err(Error::invalid_config("supervisor", key, "must be positive"));
            }
        }
        if self.parallel == 0 || self.reload_every == 0 {
            return Err(Error::invalid_config(
                "supervisor",
                "parallelism",
                "must be positive",
            ));
        }
        let id = self
            .id
            .unwrap_or_else(|| format!("supervisor-{}", std::process::id()));
        if id.trim().is_empty() {
            return Err(Error::invalid_config(
                "supervisor",
                "id",
                "must not be empty",
            ));
        }
        let (tx, _) = broadcast::channel(4096);
        Ok(Supervisor {
            cfg: Arc::new(Config {
                id,
                clusters: self.clusters,
                versions: self.versions,
                store: self.store,
                alerts: self.alerts,
                mapping: self
                    .mapping
                    .unwrap_or_else(|| Arc::new(default_alert_mapping)),
                now: self.now.unwrap_or_else(|| Arc::new(system_now_ms)),
                tick: self.tick,
                lost_grace: self.lost_grace,
                deploy_timeout: self.deploy_timeout,
                lease_ttl: self.lease_ttl,
                reset_after: self.reset_after,
                checkpoints: self.checkpoints,
                parallel: self.parallel,
                reload_every: self.reload_every,
            }),
            events: tx,
            state: Arc::new(Mutex::new(tick::State::default())),
            published: Arc::default(),
        })
    }
}

fn system_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Keeps managed jobs running on one or more clusters (see the module docs). Clones share the
/// same supervisor.
///
/// ```
/// use std::sync::Arc;
/// use streampark_core::{JobSpec, JobState, store::MemoryStore, supervisor::Supervisor};
/// use streampark_core::testkit::SimDeployer;
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// let sim = SimDeployer::new();
/// let clock = sim.clock().clone();
/// let sup = Supervisor::builder(Arc::new(MemoryStore::new()))
///     .with_cluster("local", Arc::new(sim.clone()))
///     .with_clock(move || clock.now_ms())
///     .build()?;
/// sup.manage(JobSpec::sql("orders", "INSERT INTO k SELECT 1")?).await?;
/// sup.tick().await?;                                    // deploys attempt 1
/// tokio::time::sleep(std::time::Duration::from_secs(5)).await;
/// sup.tick().await?;                                    // sees it running
/// let view = sup.job(&"orders".parse()?).await.unwrap();
/// assert_eq!((view.attempt, view.state), (1, Some(JobState::Running)));
/// # Ok::<(), streampark_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Supervisor {
    pub(crate) cfg: Arc<Config>,
    pub(crate) events: broadcast::Sender<JobEvent>,
    pub(crate) state: Arc<Mutex<tick::State>>,
    /// What [`job`](Supervisor::job) and [`jobs`](Supervisor::jobs) read: the views as of the
    /// end of the last tick or operation, so that reading never waits behind a slow deploy.
    published: Arc<std::sync::RwLock<std::collections::BTreeMap<JobId, JobView>>>,
}

impl fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("id", &self.cfg.id)
            .field(
                "clusters",
                &self.cfg.clusters.iter().map(|c| &c.0).collect::<Vec<_>>(),
            )
            .field("store", &self.cfg.store.backend())
            .finish_non_exhaustive()
    }
}

/// What the supervisor currently knows about one job.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobView {
    /// The job.
    pub job: JobId,
    /// The cluster it runs on.
    pub cluster: String,
    /// What the host wants.
    pub desired: DesiredState,
    /// The attempt being followed (0 before the first).
    pub attempt: u64,
    /// Its last observed state.
    pub state: Option<JobState>,
    /// Its deployment.
    pub deployment: Option<DeploymentId>,
    /// When the next restart is due, ms since the epoch.
    pub next_restart_ms: Option<i64>,
    /// The savepoint or checkpoint the attempt was started from.
    pub restored_from: Option<String>,
}

impl Supervisor {
    /// A builder over a store; add at least one cluster.
    pub fn builder(store: Arc<dyn Store>) -> SupervisorBuilder {
        SupervisorBuilder {
            id: None,
            clusters: Vec::new(),
            versions: Vec::new(),
            store,
            alerts: Vec::new(),
            mapping: None,
            now: None,
            tick: Duration::from_secs(5),
            lost_grace: Duration::from_secs(60),
            deploy_timeout: Duration::from_secs(120),
            lease_ttl: Duration::from_secs(30),
            reset_after: Duration::from_secs(600),
            checkpoints: None,
            parallel: 16,
            reload_every: 10,
        }
    }

    /// This supervisor's id.
    pub fn id(&self) -> &str {
        &self.cfg.id
    }

    /// Events from now on. A slow receiver loses the oldest events (see
    /// [`broadcast::error::RecvError::Lagged`]); the durable record is the store's event log.
    pub fn subscribe(&self) -> broadcast::Receiver<JobEvent> {
        self.events.subscribe()
    }

    /// Adds a job (or updates its spec) and wants it running; the next tick starts it unless
    /// a live deployment of it is found, which is adopted. A new spec of a job that is running
    /// is recorded and left for [`roll_out`](Self::roll_out).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when no cluster satisfies the job's cluster label and Flink
    /// version requirement (nothing is recorded); store errors.
    pub async fn manage(&self, spec: JobSpec) -> Result<()> {
        let place = self.place(&spec)?;
        let mut spec = spec;
        spec.labels
            .insert(CLUSTER_LABEL.to_string(), place.cluster.clone());
        let now = (self.cfg.now)();
        let rec = self.cfg.store.put_job(&spec, now).await?;
        if rec.desired != DesiredState::Running {
            self.cfg
                .store
                .set_desired(&spec.id, DesiredState::Running, now)
                .await?;
        }
        self.audit(
            &spec.id,
            rec.last_attempt,
            "audit.manage",
            serde_json::json!({"spec_version": rec.spec_version}),
        )
        .await;
        let mut st = self.state.lock().await;
        let r = st.reload_job(&self.cfg, &spec.id).await;
        if r.is_ok() && rec.desired != DesiredState::Running {
            st.wanted_again(&spec.id, now);
        }
        self.publish_job(&st, &spec.id);
        r
    }

    /// Publishes the state's view of one job (after an operation on it).
    fn publish_job(&self, st: &tick::State, job: &JobId) {
        let mut views = self.published.write().unwrap_or_else(|p| p.into_inner());
        match st.view(&self.cfg, job) {
            Some(v) => views.insert(job.clone(), v),
            None => views.remove(job),
        };
    }

    /// Replaces the published views with the state's (after a tick or a load).
    fn publish(&self, st: &tick::State) {
        let views = st
            .ids()
            .filter_map(|j| st.view(&self.cfg, j).map(|v| (j.clone(), v)))
            .collect();
        *self.published.write().unwrap_or_else(|p| p.into_inner()) = views;
    }

    /// Stops a job and keeps it stopped: sets its desired state, then stops its live
    /// deployment with `opts` (a savepoint taken on the way becomes its restore point).
    pub async fn stop_job(
        &self,
        job: &JobId,
        opts: crate::StopOptions,
    ) -> Result<crate::StopOutcome> {
        let mut st = self.state.lock().await;
        let r = st.stop_job(self, job, opts).await;
        self.publish_job(&st, job);
        r
    }

    /// Rolls a running job over to its current spec version: [`manage`](Self::manage) records
    /// a new version but leaves the live attempt alone; this stops that attempt with `opts`
    /// (with a savepoint, it becomes the restore point) and the next tick starts the current
    /// version, restored from it when the spec restores from the latest state. The job stays
    /// wanted running throughout; one audit record (`audit.roll_out`) names both versions.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a job that is not managed;
    /// [`Error::InvalidInput`] for a stopped job; the backend's
    /// errors from the stop (a savepoint that fails leaves the attempt running and nothing
    /// changed).
    pub async fn roll_out(
        &self,
        job: &JobId,
        opts: crate::StopOptions,
    ) -> Result<crate::StopOutcome> {
        let mut st = self.state.lock().await;
        let r = st.roll_out(self, job, opts).await;
        self.publish_job(&st, job);
        r
    }

    /// Starts a job [`manage`](Self::manage)d or rolled out just before, now rather than at
    /// the next scheduled tick, for request handlers: runs ticks until the job has an attempt
    /// newer than `after` with a deployment (or a failed deploy), at most for `wait`.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a job that is not managed; [`Error::Timeout`] when `wait`
    /// passes first (the job may still start at a later tick); the tick's errors.
    pub async fn start_now(&self, job: &JobId, after: u64, wait: Duration) -> Result<JobView> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            self.tick().await?;
            let view = self
                .job(job)
                .await
                .ok_or_else(|| Error::not_found("supervisor", format!("job `{job}`")))?;
            if view.attempt > after
                && (view.deployment.is_some()
                    || view.state.is_some_and(|s| s.is_terminal())
                    || view.desired != DesiredState::Running)
            {
                return Ok(view);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::Timeout {
                    backend: "supervisor",
                    operation: format!("start job `{job}`"),
                    after: wait,
                });
            }
            tokio::time::sleep(Duration::from_millis(200).min(wait)).await;
        }
    }

    /// Triggers a savepoint of the job's live attempt and records it as a restore point.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the job is not managed or has no live deployment; the
    /// backend's errors.
    pub async fn savepoint(&self, job: &JobId, opts: SavepointOptions) -> Result<SavepointRef> {
        let (cluster, attempt, dep) = {
            let mut st = self.state.lock().await;
            st.reload_job(&self.cfg, job).await?;
            let v = st
                .view(&self.cfg, job)
                .ok_or_else(|| Error::not_found("supervisor", format!("job `{job}`")))?;
            let live = v.state.is_none_or(|s| !s.is_terminal());
            match v.deployment {
                Some(d) if live => (st.cluster_index(job).unwrap_or(0), v.attempt, d),
                _ => {
                    return Err(Error::not_found(
                        "supervisor",
                        format!("a live deployment of job `{job}`"),
                    ));
                }
            }
        };
        let sp = self.cfg.clusters[cluster].1.savepoint(&dep, opts).await?;
        self.cfg.store.add_restore_point(job, attempt, &sp).await?;
        self.audit(
            job,
            attempt,
            "audit.savepoint",
            serde_json::json!({"path": sp.path}),
        )
        .await;
        Ok(sp)
    }

    /// The cluster named `name`.
    pub fn cluster(&self, name: &str) -> Option<Arc<dyn Deployer>> {
        self.cfg
            .clusters
            .iter()
            .find(|c| c.0 == name)
            .map(|c| c.1.clone())
    }

    /// The clusters, in the order they were added, with their Flink versions when known.
    pub fn clusters(&self) -> Vec<(String, Option<FlinkVersion>)> {
        self.cfg
            .clusters
            .iter()
            .zip(&self.cfg.versions)
            .map(|(c, v)| (c.0.clone(), v.clone()))
            .collect()
    }

    /// The durable store this supervisor records into.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.cfg.store
    }

    /// Where `spec` would run: the cluster its [`CLUSTER_LABEL`] names, else the first cluster
    /// whose Flink version satisfies [`JobSpec::flink_version`] (a cluster of unknown version
    /// satisfies only a job that accepts any version). Nothing is started.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the job, its requirement and every cluster with its
    /// version when nothing satisfies it.
    pub fn place(&self, spec: &JobSpec) -> Result<Placement> {
        placement(&self.cfg, spec)
    }

    /// [`job`](Self::job) after re-reading the job and its latest attempt from the store, so
    /// that what another replica on the same store did is seen (`None`: not managed).
    ///
    /// # Errors
    /// Store errors.
    pub async fn reload_job(&self, job: &JobId) -> Result<Option<JobView>> {
        let mut st = self.state.lock().await;
        let r = st.reload_job(&self.cfg, job).await;
        self.publish_job(&st, job);
        r.map(|()| st.view(&self.cfg, job))
    }

    /// What the supervisor knows about a job, as of the end of the last tick or operation
    /// (never waits behind a tick in progress).
    pub async fn job(&self, job: &JobId) -> Option<JobView> {
        self.published
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(job)
            .cloned()
    }

    /// Every managed job, by id, as [`job`](Self::job) sees them.
    pub async fn jobs(&self) -> Vec<JobView> {
        self.published
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Reads the managed jobs and their attempts from the store (done by the first tick).
    pub async fn load(&self) -> Result<()> {
        let mut st = self.state.lock().await;
        let r = st.load(&self.cfg).await;
        self.publish(&st);
        r
    }

    /// One round: one list per cluster, state transitions, restarts. Returns the number of
    /// backend list calls made. Readers ([`job`](Self::job), [`jobs`](Self::jobs)) see the
    /// previous round's views until it ends.
    pub async fn tick(&self) -> Result<usize> {
        let mut st = self.state.lock().await;
        let r = st.tick(self).await;
        self.publish(&st);
        r
    }

    /// Ticks every `tick` until `shutdown` resolves; stops the supervisor, not the jobs.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) -> Result<()> {
        tokio::pin!(shutdown);
        let mut every = tokio::time::interval(self.cfg.tick);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                _ = every.tick() => {
                    if let Err(e) = self.tick().await {
                        tracing::warn!(supervisor = %self.cfg.id, error = %e, "supervisor tick failed");
                    }
                }
            }
        }
    }

    pub(crate) async fn audit(
        &self,
        job: &JobId,
        attempt: u64,
        kind: &str,
        detail: serde_json::Value,
    ) {
        let ev = crate::store::EventRecord::new(
            job.clone(),
            attempt,
            kind,
            &self.cfg.id,
            detail,
            (self.cfg.now)(),
        );
        if let Err(e) = self.cfg.store.append_event(&ev).await {
            tracing::warn!(job = %job, error = %e, "cannot record event");
        }
    }

    /// Broadcasts an event, records it, raises the mapped alert.
    pub(crate) async fn emit(&self, ev: JobEvent, persist: bool) {
        if persist {
            let detail = serde_json::to_value(&ev).unwrap_or(serde_json::Value::Null);
            let kind = detail
                .get("kind")
                .and_then(|k| k.as_str())
                .unwrap_or("event")
                .to_string();
            self.audit(&ev.job, ev.attempt, &kind, detail).await;
        }
        if let Some(sev) = (self.cfg.mapping)(&ev) {
            let alert = tick::alert_for(&ev, sev, &self.cfg);
            for sink in &self.cfg.alerts {
                match tokio::time::timeout(Duration::from_secs(10), sink.send(&alert)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(job = %ev.job, error = %e, "alert not delivered"),
                    Err(_) => tracing::warn!(job = %ev.job, "alert sink timed out"),
                }
            }
        }
        let _ = self.events.send(ev);
    }
}

/// Where a job runs (see [`Supervisor::place`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Placement {
    /// The cluster's name.
    pub cluster: String,
    /// Its Flink version, when known.
    pub flink_version: Option<FlinkVersion>,
}

fn placement(cfg: &Config, spec: &JobSpec) -> Result<Placement> {
    let req = &spec.flink_version;
    let fits = |i: usize| req.is_any() || cfg.versions[i].as_ref().is_some_and(|v| req.matches(v));
    let known = || {
        cfg.clusters
            .iter()
            .zip(&cfg.versions)
            .map(|(c, v)| match v {
                Some(v) => format!("{}={v}", c.0),
                None => format!("{}=unknown", c.0),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let i = match spec.labels.get(CLUSTER_LABEL) {
        Some(_) => {
            let i = cluster_index(cfg, spec)?;
            if !fits(i) {
                return Err(Error::invalid_input(
                    "supervisor",
                    "Flink version requirement",
                    format!("job `{}`", spec.id),
                    format!(
                        "cluster `{}` does not satisfy `{req}` (clusters: {})",
                        cfg.clusters[i].0,
                        known()
                    ),
                ));
            }
            i
        }
        None => (0..cfg.clusters.len()).find(|&i| fits(i)).ok_or_else(|| {
            Error::invalid_input(
                "supervisor",
                "Flink version requirement",
                format!("job `{}`", spec.id),
                format!("no cluster satisfies `{req}` (clusters: {})", known()),
            )
        })?,
    };
    Ok(Placement {
        cluster: cfg.clusters[i].0.clone(),
        flink_version: cfg.versions[i].clone(),
    })
}

pub(crate) fn cluster_index(cfg: &Config, spec: &JobSpec) -> Result<usize> {
    match spec.labels.get(CLUSTER_LABEL) {
        None => Ok(0),
        Some(name) => cfg
            .clusters
            .iter()
            .position(|c| &c.0 == name)
            .ok_or_else(|| {
                Error::invalid_input(
                    "supervisor",
                    "cluster label",
                    format!("job `{}`", spec.id),
                    format!("no cluster named `{name}`"),
                )
            }),
    }
}
