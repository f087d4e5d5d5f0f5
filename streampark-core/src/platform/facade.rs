//! [`Platform`]: the builder, the audit wrapper every call goes through, and the helpers.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::audit::{AuditOutcome, AuditRecord, Change};
use super::auth::{Authorizer, Permission, Principal, Resource, TeamPolicy, User};
use super::version::ManagedJob;
use crate::artifact::ArtifactStore;
use crate::config::ConfigWatcher;
use crate::store::MemoryStore;
use crate::store::{DocKind, Store, load, save};
use crate::supervisor::Supervisor;
use crate::{Deployer, Error, FlinkVersion, JobId, Result, SqlChecker};

/// The clock the platform stamps records with: ms since the epoch.
pub(super) type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

fn system_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The one entry point a host uses for managed jobs. Every method takes the calling
/// [`Principal`], is checked by the [`Authorizer`] and leaves exactly one [`AuditRecord`],
/// allowed or denied. Cheap to clone.
///
/// ```
/// use std::sync::Arc;
/// use streampark_core::platform::{Platform, Principal, Team, User, Member};
/// use streampark_core::testkit::SimDeployer;
/// use streampark_core::JobSpec;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let platform = Platform::builder()
///     .with_cluster("local", Arc::new(SimDeployer::new()))
///     .with_admin("root")
///     .build()
///     .await?;
/// let root = Principal::user("root");
/// platform.put_user(&root, User::new("ann")).await?;
/// platform.put_team(&root, Team::new("ads")).await?;
/// platform.put_member(&root, Member::new("ads", "ann", "developer")).await?;
/// let ann = Principal::user("ann");
/// let spec = JobSpec::sql("orders", "CREATE TABLE s (a INT) WITH ('connector' = 'datagen');\nCREATE TABLE k (a INT) WITH ('connector' = 'blackhole');\nINSERT INTO k SELECT a FROM s;")?
///     .with_owner(streampark_core::Owner::team("ads"));
/// let v1 = platform.create_job(&ann, spec, "first version").await?;
/// assert_eq!(v1.version, 1);
/// let d = platform.deploy(&ann, &v1.spec.id).await?;
/// assert_eq!((d.version, d.attempt), (1, 1));
/// # Ok::<(), streampark_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Platform {
    pub(super) engine: Supervisor,
    pub(super) store: Arc<dyn Store>,
    pub(super) authorizer: Arc<dyn Authorizer>,
    pub(super) checker: Option<Arc<dyn SqlChecker>>,
    pub(super) start_wait: std::time::Duration,
    pub(super) clock: Clock,
    pub(super) artifacts: Option<ArtifactStore>,
    pub(super) claim_ttl: std::time::Duration,
    pub(super) config: Option<Arc<ConfigWatcher>>,
}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Platform")
            .field("engine", &self.engine)
            .field("store", &self.store.backend())
            .field("authorizer", &self.authorizer)
            .field("config", &self.config)
            .finish()
    }
}

/// Builder of [`Platform`].
#[derive(Clone, Default)]
#[must_use]
pub struct PlatformBuilder {
    clusters: Vec<(String, Arc<dyn Deployer>, Option<FlinkVersion>)>,
    supervisor: Option<Supervisor>,
    engine_id: Option<String>,
    start_wait: Option<std::time::Duration>,
    tick: Option<std::time::Duration>,
    alert_sinks: Vec<Arc<dyn crate::AlertSink>>,
    store: Option<Arc<dyn Store>>,
    authorizer: Option<Arc<dyn Authorizer>>,
    checker: Option<Arc<dyn SqlChecker>>,
    clock: Option<Clock>,
    admins: Vec<String>,
    artifacts: Option<ArtifactStore>,
    claim_ttl: Option<std::time::Duration>,
    config: Option<Arc<ConfigWatcher>>,
}

impl fmt::Debug for PlatformBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformBuilder")
            .field(
                "clusters",
                &self.clusters.iter().map(|c| &c.0).collect::<Vec<_>>(),
            )
            .field("supervisor", &self.supervisor)
            .field("store", &self.store.as_ref().map(|s| s.backend()))
            .field("admins", &self.admins)
            .finish()
    }
}

impl PlatformBuilder {
    /// One cluster named `default` (shorthand for [`with_cluster`](Self::with_cluster)).
    pub fn with_deployer(self, d: Arc<dyn Deployer>) -> Self {
        self.with_cluster("default", d)
    }
    /// Adds a cluster of unknown Flink version (see
    /// [`SupervisorBuilder::with_cluster`](crate::supervisor::SupervisorBuilder::with_cluster)).
    pub fn with_cluster(mut self, name: impl Into<String>, d: Arc<dyn Deployer>) -> Self {
        self.clusters.push((name.into(), d, None));
        self
    }
    /// Adds a cluster running Flink `version`: jobs are placed by their version requirement
    /// and their SQL is checked by that version's grammar.
    pub fn with_cluster_version(
        mut self,
        name: impl Into<String>,
        d: Arc<dyn Deployer>,
        version: FlinkVersion,
    ) -> Self {
        self.clusters.push((name.into(), d, Some(version)));
        self
    }
    /// The engine's id in attempts, leases and events (default: unique in the process).
    pub fn with_engine_id(mut self, id: impl Into<String>) -> Self {
        self.engine_id = Some(id.into());
        self
    }
    /// Uses `sup` as the engine instead of building one from the clusters and store given
    /// here (which must then be left out: the platform keeps its records in the supervisor's
    /// store).
    pub fn with_supervisor(mut self, sup: Supervisor) -> Self {
        self.supervisor = Some(sup);
        self
    }
    /// Where the engine's alerts go (a `Router`, a sink); repeatable.
    pub fn with_alert_sink(mut self, sink: Arc<dyn crate::AlertSink>) -> Self {
        self.alert_sinks.push(sink);
        self
    }
    /// Time between the engine's ticks in [`Platform::run`] (default 5 s).
    pub fn with_tick(mut self, d: std::time::Duration) -> Self {
        self.tick = Some(d);
        self
    }
    /// How long deploy, restart and rollback wait for the engine to start the attempt
    /// (default 60 s); past it they fail with [`Error::Timeout`] and the engine keeps trying.
    pub fn with_start_wait(mut self, d: std::time::Duration) -> Self {
        self.start_wait = Some(d);
        self
    }
    /// The one store of the platform and its engine: governance records, audit, attempts,
    /// restore points, leases, events (default: a [`MemoryStore`]). Platforms sharing it never
    /// run one job twice. A store written by an earlier release is upgraded on
    /// [`build`](Self::build) (see [`crate::store`]).
    pub fn with_store(mut self, s: Arc<dyn Store>) -> Self {
        self.store = Some(s);
        self
    }
    /// Configuration documents bound to jobs ([`ConfigWatcher::bind`]): [`Platform::run`]
    /// applies every update by the jobs' policies ([`Platform::apply_config`]).
    pub fn with_config_watcher(mut self, watcher: ConfigWatcher) -> Self {
        self.config = Some(Arc::new(watcher));
        self
    }
    /// Who may do what (default: [`TeamPolicy`] over the store).
    pub fn with_authorizer(mut self, a: Arc<dyn Authorizer>) -> Self {
        self.authorizer = Some(a);
        self
    }
    /// The SQL checker run on create, update, check and deploy, whatever the job's Flink
    /// version (default: [`FlinkSqlChecker`](crate::FlinkSqlChecker) for the version of the
    /// cluster the job is placed on, the newest release modelled when that is unknown).
    pub fn with_sql_checker(mut self, c: Arc<dyn SqlChecker>) -> Self {
        self.checker = Some(c);
        self
    }
    /// The clock (default: system time).
    pub fn with_clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }
    /// Resolves the jobs' artifacts (connector and UDF jars) at deploy time; without it, a
    /// job version with artifacts cannot be deployed.
    pub fn with_artifact_store(mut self, store: ArtifactStore) -> Self {
        self.artifacts = Some(store);
        self
    }
    /// Makes sure `user` exists and is a platform administrator when the platform is built (the
    /// bootstrap: somebody has to create the first teams).
    pub fn with_admin(mut self, user: impl Into<String>) -> Self {
        self.admins.push(user.into());
        self
    }
    /// How long a job's operation claim lives if its holder dies before giving it back
    /// (default 15 minutes). Deploy, stop, restart, rollback with redeploy and delete of one
    /// job run one at a time across every platform sharing the store; a second one arriving
    /// meanwhile is refused with a retryable [`Error::Unavailable`]. Choose it longer than
    /// the slowest stop-with-savepoint plus deploy.
    pub fn with_claim_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.claim_ttl = Some(ttl);
        self
    }

    /// Builds the platform (and records the bootstrap administrators).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] without a cluster, with clusters or a store next to
    /// [`with_supervisor`](Self::with_supervisor), or with an empty admin id; store errors.
    pub async fn build(self) -> Result<Platform> {
        let clock: Clock = self.clock.unwrap_or_else(|| Arc::new(system_ms));
        let engine = match self.supervisor {
            Some(sup) => {
                if !self.clusters.is_empty()
                    || self.store.is_some()
                    || self.tick.is_some()
                    || !self.alert_sinks.is_empty()
                {
                    return Err(Error::invalid_config(
                        "platform",
                        "supervisor",
                        "clusters, store, tick and alert sinks belong to the supervisor given",
                    ));
                }
                sup
            }
            None => {
                if self.clusters.is_empty() {
                    return Err(Error::invalid_config(
                        "platform",
                        "clusters",
                        "at least one cluster (or a supervisor) is required",
                    ));
                }
                let state: Arc<dyn Store> =
                    self.store.unwrap_or_else(|| Arc::new(MemoryStore::new()));
                let id = self.engine_id.unwrap_or_else(default_engine_id);
                let c = clock.clone();
                let mut b = Supervisor::builder(state)
                    .with_id(id)
                    .with_clock(move || c());
                if let Some(t) = self.tick {
                    b = b.with_tick(t);
                }
                for sink in self.alert_sinks {
                    b = b.with_alert_sink(sink);
                }
                for (name, d, v) in self.clusters {
                    b = match v {
                        Some(v) => b.with_cluster_version(name, d, v),
                        None => b.with_cluster(name, d),
                    };
                }
                b.build()?
            }
        };
        let store = engine.store().clone();
        let authorizer = self
            .authorizer
            .unwrap_or_else(|| Arc::new(TeamPolicy::new(store.clone())));
        for admin in &self.admins {
            valid_name("admin", admin)?;
            let user = load::<User>(&*store, DocKind::User, admin, "")
                .await?
                .unwrap_or_else(|| User::new(admin.clone()))
                .with_admin(true);
            save(&*store, DocKind::User, admin, "", &user).await?;
        }
        let platform = Platform {
            engine,
            store,
            authorizer,
            checker: self.checker,
            start_wait: self
                .start_wait
                .unwrap_or(std::time::Duration::from_secs(60)),
            clock,
            artifacts: self.artifacts,
            claim_ttl: self
                .claim_ttl
                .unwrap_or(std::time::Duration::from_secs(15 * 60)),
            config: self.config,
        };
        platform.adopt_upgraded().await?;
        Ok(platform)
    }
}

fn default_engine_id() -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("platform-{}-{n}", std::process::id())
}

/// What one call records in the audit log, filled in as the call proceeds (shared between
/// the call's future and [`Platform::audited`], hence the lock).
#[derive(Debug, Default)]
pub(super) struct AuditCtx(std::sync::Mutex<CtxInner>);

#[derive(Debug, Default)]
struct CtxInner {
    job: Option<String>,
    team: Option<String>,
    target: Option<String>,
    changes: Vec<Change>,
    note: String,
}

impl AuditCtx {
    fn lock(&self) -> std::sync::MutexGuard<'_, CtxInner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub(super) fn job(job: &JobId) -> Self {
        let c = Self::default();
        c.lock().job = Some(job.to_string());
        c
    }
    pub(super) fn team(team: &str) -> Self {
        Self::default().with_team(Some(team.to_string()))
    }
    pub(super) fn target(target: &str) -> Self {
        Self::default().with_target(target)
    }
    pub(super) fn with_team(self, team: Option<String>) -> Self {
        self.lock().team = team;
        self
    }
    pub(super) fn with_job(self, job: Option<String>) -> Self {
        self.lock().job = job;
        self
    }
    pub(super) fn with_target(self, target: &str) -> Self {
        self.lock().target = Some(target.to_string());
        self
    }
    pub(super) fn set_team(&self, team: &str) {
        self.lock().team = Some(team.to_string());
    }
    pub(super) fn set_changes(&self, changes: Vec<Change>) {
        self.lock().changes = changes;
    }
    pub(super) fn push_change(&self, change: Change) {
        self.lock().changes.push(change);
    }
    pub(super) fn set_note(&self, note: impl Into<String>) {
        self.lock().note = note.into();
    }
}

/// The category of an error as recorded in the audit log.
pub(super) fn category(e: &Error) -> &'static str {
    match e {
        Error::NotFound { .. } => "not_found",
        Error::InvalidInput { .. } => "invalid_input",
        Error::InvalidConfig { .. } => "invalid_config",
        Error::UnknownConfigKey { .. } => "unknown_config_key",
        Error::Rejected { .. } => "rejected",
        Error::Fenced { .. } => "fenced",
        Error::Timeout { .. } => "timeout",
        Error::Unavailable { .. } => "unavailable",
        Error::Protocol { .. } => "protocol",
        Error::PermissionDenied { .. } => "permission_denied",
        Error::Unsupported { .. } => "unsupported",
        Error::Exhausted { .. } => "exhausted",
        _ => "other",
    }
}

/// Ids of users, teams, roles and variables: 1 to 64 of letters, digits, `-`, `_`, `.`, `@`.
pub(super) fn valid_name(what: &str, s: &str) -> Result<()> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            "platform",
            what,
            format!("`{}`", s.chars().take(70).collect::<String>()),
            "must be 1 to 64 letters, digits, `-`, `_`, `.` or `@`",
        ))
    }
}

impl Platform {
    /// A builder.
    pub fn builder() -> PlatformBuilder {
        PlatformBuilder::default()
    }

    pub(super) fn now(&self) -> i64 {
        (self.clock)()
    }

    /// The engine: the [`Supervisor`] that alone starts and stops the platform's jobs,
    /// restarts them by their policies and watches their checkpoints.
    pub fn supervisor(&self) -> &Supervisor {
        &self.engine
    }

    /// Drives the engine until `shutdown` resolves: a tick every
    /// [`with_tick`](crate::supervisor::SupervisorBuilder::with_tick) (restarts, adoption,
    /// checkpoint health, alerts to the supervisor's sinks), and, with
    /// [`with_config_watcher`](PlatformBuilder::with_config_watcher), every configuration
    /// update applied by [`Platform::apply_config`]. Stops the loops, not the jobs.
    ///
    /// # Errors
    /// When the configuration source refuses to watch a document (before anything runs); a
    /// failed tick is logged and the next one runs.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let Some(watcher) = &self.config else {
            return self.engine.run(shutdown).await;
        };
        let updates = watcher.start().await?;
        let shutdown = futures::FutureExt::shared(Box::pin(shutdown));
        let (a, b) = tokio::join!(
            self.engine.run(shutdown.clone()),
            self.watch_config(updates, shutdown)
        );
        a.and(b)
    }

    /// Runs one facade call and appends its audit record.
    pub(super) async fn audited<T>(
        &self,
        principal: &Principal,
        action: &str,
        ctx: &AuditCtx,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let result = call.await;
        let ctx = std::mem::take(&mut *ctx.lock());
        let outcome = match &result {
            Ok(_) => AuditOutcome::Ok,
            Err(Error::PermissionDenied { .. }) => AuditOutcome::Denied,
            Err(e) => AuditOutcome::Failed {
                category: category(e).into(),
            },
        };
        let record = AuditRecord {
            seq: 0,
            ts_ms: self.now(),
            user: principal.id().to_string(),
            action: action.to_string(),
            job: ctx.job,
            team: ctx.team,
            target: ctx.target,
            outcome,
            changes: ctx.changes,
            note: ctx.note,
        };
        tracing::debug!(user = %record.user, action, outcome = record.outcome.as_str(), "platform call");
        self.store.append_audit(&record).await?;
        result
    }

    /// Checks a permission.
    pub(super) async fn authorize(
        &self,
        p: &Principal,
        perm: Option<Permission>,
        resource: &Resource,
    ) -> Result<()> {
        self.authorizer.authorize(p, perm, resource).await
    }

    /// Loads a job and checks `perm` on it; the audit context learns its team. A job the
    /// principal may not view is reported as denied, not as missing, without leaking its team.
    pub(super) async fn job_with(
        &self,
        p: &Principal,
        perm: Permission,
        job: &JobId,
        ctx: &AuditCtx,
    ) -> Result<ManagedJob> {
        let Some(m) = load::<ManagedJob>(&*self.store, DocKind::Job, job.as_str(), "").await?
        else {
            // Only an administrator learns that it does not exist.
            self.authorize(p, None, &Resource::System)
                .await
                .map_err(|_| {
                    super::auth::denied(
                        p,
                        Some(perm),
                        &Resource::Job {
                            team: "?".into(),
                            job: job.to_string(),
                        },
                    )
                })?;
            return Err(Error::not_found("platform", format!("job `{job}`")));
        };
        ctx.set_team(&m.team);
        let res = Resource::Job {
            team: m.team.clone(),
            job: job.to_string(),
        };
        self.authorize(p, Some(perm), &res).await?;
        Ok(m)
    }
}
