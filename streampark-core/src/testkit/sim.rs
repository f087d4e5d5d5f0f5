//! [`SimDeployer`]: an in-process Flink cluster for tests.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tracing::{Level, instrument};

use super::VirtualClock;
use super::faults::{Fault, FaultPlan, SimError};
use super::script::{check_script, directive_duration};
use crate::deploy::tag;
use crate::deploy::*;
use crate::{Error, JobId, JobState, Program, Result};

const BACKEND: &str = "sim";

/// Counters of the calls a [`SimDeployer`] answered, to assert batching in tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimStats {
    /// `deploy` calls.
    pub deploys: u64,
    /// `list` calls.
    pub lists: u64,
    /// `inspect` calls.
    pub inspects: u64,
    /// `savepoint` calls.
    pub savepoints: u64,
    /// `stop` calls.
    pub stops: u64,
    /// `logs` calls.
    pub logs: u64,
}

#[derive(Debug)]
struct SimJob {
    job: JobId,
    attempt: u64,
    name: String,
    created_ms: i64,
    running_ms: i64,
    state: JobState,
    end_ms: Option<i64>,
    fail_after: Option<Duration>,
    failure: Option<String>,
    restored_from: Option<String>,
    cp_interval_ms: i64,
    savepoints: Vec<SavepointRef>,
    log: Vec<String>,
    jars: Vec<String>,
}

impl World {
    fn jars_of(&self, id: &DeploymentId) -> Option<Vec<String>> {
        self.jobs.get(id).map(|j| j.jars.clone())
    }
}

impl SimJob {
    fn checkpoints_until(&self, now: i64) -> u64 {
        if self.running_ms > now || self.state == JobState::Initializing {
            return 0;
        }
        let until = self.end_ms.unwrap_or(now).min(now);
        u64::try_from(((until - self.running_ms) / self.cp_interval_ms).max(0)).unwrap_or(0)
    }
}

#[derive(Debug)]
struct World {
    jobs: BTreeMap<DeploymentId, SimJob>,
    used_tags: HashSet<(JobId, u64)>,
    faults: Vec<Fault>,
    stats: SimStats,
    savepoint_seq: u64,
}

/// A deterministic, in-process Flink cluster implementing [`Deployer`]. Clones share the
/// cluster (like handles from several processes); [`SimDeployer::new_handle`] says so in tests.
///
/// - Deployments start `INITIALIZING` and turn `RUNNING` after the startup delay (2 s).
/// - While running, a checkpoint completes every `execution.checkpointing.interval` of the
///   job's config (default 10 s), at `file:///sim/checkpoints/<deployment>/chk-<n>`.
/// - Savepoints are written to `<dir>/savepoint-<id6>-<n>`; stop with savepoint ends `FINISHED`,
///   cancel ends `CANCELED`.
/// - SQL scripts are checked like the runner does (known statement keywords, at least one
///   `INSERT`); `-- sim: fail-after <duration>` in a script makes every deployment of it fail
///   that long after it started running. Jar artifacts must exist when they are local paths and
///   contain their entry class.
/// - Extra jars ([`crate::JobSpec::jars`]): a missing local one fails the deploy before
///   anything starts, naming it; [`SimDeployer::shipped_jars`] tells what a deployment got.
/// - A [`FaultPlan`] injects failures; [`SimStats`] counts calls.
///
/// ```
/// use std::time::Duration;
/// use streampark_core::{testkit::{FaultPlan, SimDeployer, SimError}, Deployer, DeployRequest, JobSpec};
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// let sim = SimDeployer::builder()
///     .with_faults(FaultPlan::new().fail_next_deploys(1, SimError::Unavailable))
///     .build();
/// let spec = JobSpec::sql("a", "INSERT INTO k SELECT 1")?;
/// assert!(sim.deploy(DeployRequest::new(spec.clone(), 1)).await.unwrap_err().is_retryable());
/// assert!(sim.deploy(DeployRequest::new(spec, 1)).await.is_ok());
/// assert_eq!(sim.stats().deploys, 2);
/// # Ok::<(), streampark_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct SimDeployer {
    world: Arc<Mutex<World>>,
    clock: VirtualClock,
    startup: Duration,
    default_cp_interval: Duration,
    call_timeout: Duration,
    savepoint_dir: String,
}

impl fmt::Debug for SimDeployer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimDeployer")
            .field("clock", &self.clock)
            .field("deployments", &self.lock().jobs.len())
            .finish()
    }
}

/// Builder of [`SimDeployer`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct SimDeployerBuilder {
    clock: Option<VirtualClock>,
    startup: Option<Duration>,
    cp_interval: Option<Duration>,
    call_timeout: Option<Duration>,
    savepoint_dir: Option<String>,
    faults: FaultPlan,
}

impl SimDeployerBuilder {
    /// Use this clock (default: [`VirtualClock::tokio`]).
    pub fn with_clock(mut self, clock: VirtualClock) -> Self {
        self.clock = Some(clock);
        self
    }
    /// Time from deploy to `RUNNING` (default 2 s).
    pub fn with_startup_delay(mut self, d: Duration) -> Self {
        self.startup = Some(d);
        self
    }
    /// Checkpoint interval for jobs that set none (default 10 s; at least 1 ms).
    pub fn with_checkpoint_interval(mut self, d: Duration) -> Self {
        self.cp_interval = Some(d);
        self
    }
    /// Calls slower than this answer [`Error::Timeout`] (default 30 s).
    pub fn with_call_timeout(mut self, d: Duration) -> Self {
        self.call_timeout = Some(d);
        self
    }
    /// Default savepoint directory (default `file:///sim/savepoints`).
    pub fn with_savepoint_dir(mut self, dir: impl Into<String>) -> Self {
        self.savepoint_dir = Some(dir.into());
        self
    }
    /// Faults to inject from the start.
    pub fn with_faults(mut self, plan: FaultPlan) -> Self {
        self.faults = plan;
        self
    }
    /// Builds the simulator.
    pub fn build(self) -> SimDeployer {
        SimDeployer {
            world: Arc::new(Mutex::new(World {
                jobs: BTreeMap::new(),
                used_tags: HashSet::new(),
                faults: self.faults.faults,
                stats: SimStats::default(),
                savepoint_seq: 0,
            })),
            clock: self.clock.unwrap_or_default(),
            startup: self.startup.unwrap_or(Duration::from_secs(2)),
            default_cp_interval: self
                .cp_interval
                .unwrap_or(Duration::from_secs(10))
                .max(Duration::from_millis(1)),
            call_timeout: self.call_timeout.unwrap_or(Duration::from_secs(30)),
            savepoint_dir: self
                .savepoint_dir
                .unwrap_or_else(|| "file:///sim/savepoints".into()),
        }
    }
}

impl Default for SimDeployer {
    fn default() -> Self {
        Self::new()
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

impl SimDeployer {
    /// A simulator with default settings and no faults.
    pub fn new() -> Self {
        SimDeployerBuilder::default().build()
    }

    /// A builder.
    pub fn builder() -> SimDeployerBuilder {
        SimDeployerBuilder::default()
    }

    /// Another handle on the same simulated cluster, as a second process would have.
    pub fn new_handle(&self) -> SimDeployer {
        self.clone()
    }

    /// The simulation's clock.
    pub fn clock(&self) -> &VirtualClock {
        &self.clock
    }

    /// Adds faults while the simulation runs.
    pub fn inject(&self, plan: FaultPlan) {
        self.lock().faults.extend(plan.faults);
    }

    /// The extra jars ([`crate::JobSpec::jars`]) a deployment was shipped with, in order;
    /// `None` for an unknown deployment. Local jars were checked to exist at deploy time.
    pub fn shipped_jars(&self, id: &DeploymentId) -> Option<Vec<String>> {
        self.lock().jars_of(id)
    }

    /// Calls answered so far.
    pub fn stats(&self) -> SimStats {
        self.lock().stats
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock cannot leave the world half-updated in a way later
        // calls would misread: every mutation is a single assignment. Recover the guard.
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies the passage of time and scheduled faults.
    fn settle(&self, w: &mut World) {
        let now = self.clock.now_ms();
        let elapsed = self.clock.elapsed();
        // Scheduled job failures and disappearances.
        let mut fired = Vec::new();
        for (i, f) in w.faults.iter().enumerate() {
            match f {
                Fault::JobFailsAt { job, at, reason } if *at <= elapsed => {
                    let at_ms = self.clock.at_ms(*at);
                    if let Some(j) = w
                        .jobs
                        .values_mut()
                        .find(|j| &j.job == job && j.created_ms <= at_ms && j.state.is_live())
                    {
                        j.state = JobState::Failed;
                        j.end_ms = Some(at_ms);
                        j.failure = Some(reason.clone());
                        j.log.push(format!("{at_ms} job FAILED: {reason}"));
                    }
                    fired.push(i);
                }
                Fault::JobVanishesAt { job, at } if *at <= elapsed => {
                    w.jobs.retain(|_, j| &j.job != job);
                    fired.push(i);
                }
                _ => {}
            }
        }
        for i in fired.into_iter().rev() {
            w.faults.remove(i);
        }
        let startup = ms(self.startup);
        for (id, j) in w.jobs.iter_mut() {
            if j.state == JobState::Initializing && now >= j.created_ms + startup {
                j.state = JobState::Running;
                j.running_ms = j.created_ms + startup;
                j.log
                    .push(format!("{} job {id} switched to RUNNING", j.running_ms));
            }
            if let (JobState::Running, Some(after)) = (j.state, j.fail_after) {
                let at = j.running_ms + ms(after);
                if now >= at {
                    let reason = "java.lang.ArithmeticException: / by zero".to_string();
                    j.state = JobState::Failed;
                    j.end_ms = Some(at);
                    j.log
                        .push(format!("{at} job {id} switched to FAILED: {reason}"));
                    j.failure = Some(reason);
                }
            }
        }
    }

    /// Common entry of every call: latency, reachability, counters, time.
    async fn enter(&self, op: &str, count: fn(&mut SimStats)) -> Result<Option<Error>> {
        let latency = self.lock().faults.iter().find_map(|f| match f {
            Fault::SlowCalls { latency } => Some(*latency),
            _ => None,
        });
        let mut late = None;
        if let Some(l) = latency {
            if l > self.call_timeout {
                tokio::time::sleep(self.call_timeout).await;
                late = Some(Error::Timeout {
                    backend: BACKEND,
                    operation: op.to_string(),
                    after: self.call_timeout,
                });
            } else {
                tokio::time::sleep(l).await;
            }
        }
        let mut w = self.lock();
        count(&mut w.stats);
        let elapsed = self.clock.elapsed();
        let unreachable = w.faults.iter().any(|f| {
            matches!(f, Fault::Unreachable { from, until } if *from <= elapsed && elapsed < *until)
        });
        self.settle(&mut w);
        if unreachable {
            return Err(Error::Unavailable {
                backend: BACKEND,
                what: format!("simulated cluster ({op})"),
                retry_after: None,
                source: None,
            });
        }
        Ok(late)
    }

    fn take_counted(w: &mut World, pick: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let i = w.faults.iter().position(pick)?;
        let f = w.faults[i].clone();
        let keep = match &mut w.faults[i] {
            Fault::FailDeploys { n, .. }
            | Fault::DeploysTimeOutAfterStarting { n }
            | Fault::FailSavepoints { n } => {
                *n = n.saturating_sub(1);
                *n > 0
            }
            _ => true,
        };
        if !keep {
            w.faults.remove(i);
        }
        Some(f)
    }

    fn check_program(&self, program: &Program) -> Result<Option<Duration>> {
        match program {
            Program::Sql { script } => {
                check_script(script).map_err(|message| Error::Rejected {
                    backend: BACKEND,
                    operation: "run SQL program".into(),
                    message,
                    source: None,
                })?;
                Ok(directive_duration(script, "fail-after"))
            }
            Program::Jar {
                artifact,
                entry_class,
                ..
            } => {
                let path = artifact.strip_prefix("file://").unwrap_or(artifact);
                if path.contains("://") {
                    return Ok(None);
                }
                let bytes = std::fs::read(path).map_err(|e| {
                    Error::invalid_input(BACKEND, "jar artifact", path, format!("cannot read: {e}"))
                })?;
                if let Some(class) = entry_class {
                    let needle = format!("{}.class", class.replace('.', "/"));
                    if !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                        return Err(Error::Rejected {
                            backend: BACKEND,
                            operation: "run jar program".into(),
                            message: format!(
                                "ProgramInvocationException: java.lang.ClassNotFoundException: {class}"
                            ),
                            source: None,
                        });
                    }
                }
                Ok(None)
            }
        }
    }

    fn find<'w>(w: &'w mut World, id: &DeploymentId) -> Result<&'w mut SimJob> {
        w.jobs
            .get_mut(id)
            .ok_or_else(|| Error::not_found(BACKEND, format!("deployment {id}")))
    }

    fn take_savepoint(
        &self,
        w: &mut World,
        id: &DeploymentId,
        dir: Option<&str>,
        op: &str,
    ) -> Result<SavepointRef> {
        if Self::take_counted(w, |f| matches!(f, Fault::FailSavepoints { .. })).is_some() {
            return Err(Error::Rejected {
                backend: BACKEND,
                operation: op.to_string(),
                message: "CheckpointException: Checkpoint Coordinator is suspending (injected)"
                    .into(),
                source: None,
            });
        }
        w.savepoint_seq += 1;
        let seq = w.savepoint_seq;
        let now = self.clock.now_ms();
        let dir = dir
            .unwrap_or(&self.savepoint_dir)
            .trim_end_matches('/')
            .to_string();
        let j = Self::find(w, id)?;
        if j.state != JobState::Running {
            return Err(Error::Rejected {
                backend: BACKEND,
                operation: op.to_string(),
                message: format!(
                    "job {id} is {}, not RUNNING: no savepoint can be taken",
                    j.state
                ),
                source: None,
            });
        }
        let short: String = id.as_str().chars().take(6).collect();
        let sp = SavepointRef::savepoint(format!("{dir}/savepoint-{short}-{seq:012x}"))
            .with_completed_at_ms(now);
        j.savepoints.push(sp.clone());
        j.log
            .push(format!("{now} savepoint completed at {}", sp.path));
        Ok(sp)
    }

    fn snapshot(id: &DeploymentId, j: &SimJob) -> JobSnapshot {
        let mut s = JobSnapshot::new(id.clone(), j.job.clone(), j.attempt, j.state);
        s.name = j.name.clone();
        s.start_time_ms = Some(j.created_ms);
        s.end_time_ms = j.end_ms;
        s.last_modified_ms = Some(j.end_ms.unwrap_or(j.running_ms.max(j.created_ms)));
        s.reason = j.failure.clone();
        s.web_url = Some(format!("sim://cluster/#/job/{id}"));
        s
    }
}

#[async_trait::async_trait]
impl Deployer for SimDeployer {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::all()
    }

    #[instrument(name = "deployer.deploy", skip_all, err(level = Level::WARN),
        fields(backend = BACKEND, job = %req.spec.id, attempt = req.attempt))]
    async fn deploy(&self, req: DeployRequest) -> Result<Deployment> {
        let late = self.enter("deploy", |s| s.deploys += 1).await?;
        if req.attempt == 0 {
            return Err(Error::invalid_input(
                BACKEND,
                "attempt",
                "deploy request",
                "attempts start at 1",
            ));
        }
        let fail_after = self.check_program(&req.spec.program)?;
        // Missing extra jars fail the deploy before anything starts, naming the jar.
        crate::spi::check_jars(BACKEND, &req.spec.jars).await?;
        let mut w = self.lock();
        let job = req.spec.id.clone();
        if let Some(live) = w
            .jobs
            .values()
            .filter(|j| j.job == job && j.state.is_live())
            .map(|j| j.attempt)
            .max()
        {
            return Err(Error::Fenced {
                backend: BACKEND,
                job: job.to_string(),
                attempt: req.attempt,
                live_attempt: live,
            });
        }
        if w.used_tags.contains(&(job.clone(), req.attempt)) {
            return Err(Error::Fenced {
                backend: BACKEND,
                job: job.to_string(),
                attempt: req.attempt,
                live_attempt: req.attempt,
            });
        }
        match Self::take_counted(&mut w, |f| {
            matches!(
                f,
                Fault::FailDeploys { .. } | Fault::DeploysTimeOutAfterStarting { .. }
            )
        }) {
            Some(Fault::FailDeploys {
                error: SimError::Unavailable,
                ..
            }) => {
                return Err(Error::Unavailable {
                    backend: BACKEND,
                    what: "simulated cluster (deploy, injected)".into(),
                    retry_after: None,
                    source: None,
                });
            }
            Some(Fault::FailDeploys {
                error: SimError::Rejected(message),
                ..
            }) => {
                return Err(Error::Rejected {
                    backend: BACKEND,
                    operation: "deploy".into(),
                    message,
                    source: None,
                });
            }
            Some(Fault::DeploysTimeOutAfterStarting { .. }) => {
                // Fall through: start the job, then lose the answer.
                let _ = self.start(&mut w, &req, fail_after);
                return Err(Error::Timeout {
                    backend: BACKEND,
                    operation: "deploy (injected: the job was started)".into(),
                    after: self.call_timeout,
                });
            }
            _ => {}
        }
        let dep = self.start(&mut w, &req, fail_after);
        match late {
            Some(e) => Err(e),
            None => Ok(dep),
        }
    }

    #[instrument(name = "deployer.list", skip_all, err(level = Level::WARN), fields(backend = BACKEND))]
    async fn list(&self, selector: &Selector) -> Result<Vec<JobSnapshot>> {
        if let Some(e) = self.enter("list", |s| s.lists += 1).await? {
            return Err(e);
        }
        let w = self.lock();
        Ok(w.jobs
            .iter()
            .filter(|(_, j)| selector.matches(&j.job))
            .map(|(id, j)| Self::snapshot(id, j))
            .collect())
    }

    #[instrument(name = "deployer.inspect", skip_all, err(level = Level::WARN), fields(backend = BACKEND, deployment = %id))]
    async fn inspect(&self, id: &DeploymentId) -> Result<JobDetails> {
        if let Some(e) = self.enter("inspect", |s| s.inspects += 1).await? {
            return Err(e);
        }
        let now = self.clock.now_ms();
        let mut w = self.lock();
        let j = Self::find(&mut w, id)?;
        let mut d = JobDetails::new(Self::snapshot(id, j));
        let n = j.checkpoints_until(now);
        d.checkpoints_completed = n;
        if n > 0 {
            d.latest_checkpoint = Some(
                SavepointRef::checkpoint(format!("file:///sim/checkpoints/{id}/chk-{n}"))
                    .with_completed_at_ms(
                        j.running_ms + i64::try_from(n).unwrap_or(0) * j.cp_interval_ms,
                    ),
            );
        }
        d.latest_savepoint = j.savepoints.last().cloned();
        d.restored_from = j.restored_from.clone();
        d.failure = j.failure.clone();
        Ok(d)
    }

    #[instrument(name = "deployer.savepoint", skip_all, err(level = Level::WARN), fields(backend = BACKEND, deployment = %id))]
    async fn savepoint(&self, id: &DeploymentId, opts: SavepointOptions) -> Result<SavepointRef> {
        if let Some(e) = self.enter("savepoint", |s| s.savepoints += 1).await? {
            return Err(e);
        }
        let mut w = self.lock();
        Self::find(&mut w, id)?;
        self.take_savepoint(&mut w, id, opts.target_dir.as_deref(), "savepoint")
    }

    #[instrument(name = "deployer.stop", skip_all, err(level = Level::WARN), fields(backend = BACKEND, deployment = %id))]
    async fn stop(&self, id: &DeploymentId, opts: StopOptions) -> Result<StopOutcome> {
        if let Some(e) = self.enter("stop", |s| s.stops += 1).await? {
            return Err(e);
        }
        let now = self.clock.now_ms();
        let mut w = self.lock();
        match w.jobs.get(id) {
            None => return Ok(StopOutcome::AlreadyGone),
            Some(j) if !j.state.is_live() => return Ok(StopOutcome::AlreadyGone),
            Some(_) => {}
        }
        let (savepoint, end_state) = match &opts.mode {
            StopMode::Cancel => (None, JobState::Canceled),
            StopMode::Savepoint { target_dir, .. } => {
                let sp =
                    self.take_savepoint(&mut w, id, target_dir.as_deref(), "stop with savepoint")?;
                (Some(sp), JobState::Finished)
            }
        };
        let j = Self::find(&mut w, id)?;
        j.state = end_state;
        j.end_ms = Some(now);
        j.log
            .push(format!("{now} job {id} switched to {end_state}"));
        Ok(StopOutcome::Stopped { savepoint })
    }

    #[instrument(name = "deployer.logs", skip_all, err(level = Level::WARN), fields(backend = BACKEND, deployment = %id))]
    async fn logs(&self, id: &DeploymentId, opts: LogOptions) -> Result<Logs> {
        if let Some(e) = self.enter("logs", |s| s.logs += 1).await? {
            return Err(e);
        }
        let mut w = self.lock();
        let j = Self::find(&mut w, id)?;
        let name = "jobmanager.log".to_string();
        if let Some(f) = &opts.file
            && f != &name
        {
            return Err(Error::not_found(
                BACKEND,
                format!("log file `{f}` (available: {name})"),
            ));
        }
        let text = j.log.join("\n") + "\n";
        let size = text.len() as u64;
        let (content, truncated) = crate::deploy::remote::tail(text, opts.max_bytes);
        Ok(Logs {
            files: vec![LogFile::new(&name, Some(size))],
            name,
            content,
            truncated,
        })
    }
}

impl SimDeployer {
    fn start(
        &self,
        w: &mut World,
        req: &DeployRequest,
        fail_after: Option<Duration>,
    ) -> Deployment {
        let now = self.clock.now_ms();
        let job = req.spec.id.clone();
        let id = DeploymentId::new(tag::flink_job_id(&job, req.attempt));
        let cp = req
            .spec
            .config
            .get("execution.checkpointing.interval")
            .and_then(|v| super::script::parse_duration(v))
            .unwrap_or(self.default_cp_interval)
            .max(Duration::from_millis(1));
        let name = tag::job_name(&job, req.attempt, req.spec.display_name());
        let mut log = vec![format!("{now} submitting job {id} ({name})")];
        if let Some(p) = &req.restore_path {
            log.push(format!("{now} restoring from {p}"));
        }
        for jar in &req.spec.jars {
            log.push(format!("{now} shipping extra jar {jar}"));
        }
        w.used_tags.insert((job.clone(), req.attempt));
        w.jobs.insert(
            id.clone(),
            SimJob {
                job: job.clone(),
                attempt: req.attempt,
                name,
                created_ms: now,
                running_ms: now,
                state: JobState::Initializing,
                end_ms: None,
                fail_after,
                failure: None,
                restored_from: req.restore_path.clone(),
                cp_interval_ms: ms(cp).max(1),
                savepoints: Vec::new(),
                log,
                jars: req.spec.jars.clone(),
            },
        );
        Deployment::new(id.clone(), job, req.attempt)
            .with_web_url(format!("sim://cluster/#/job/{id}"))
    }
}
