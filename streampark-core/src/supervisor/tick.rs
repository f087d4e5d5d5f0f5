//! The tick: observe (one list per cluster), decide, act, record.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde_json::json;

use super::policy::{Decision, decide, is_failure};
use super::{Config, JobEvent, JobEventKind, JobView, Supervisor, cluster_index};
use crate::store::{
    AttemptRecord, AttemptStatus, AttemptUpdate, DesiredState, JobRecord, NewAttempt,
};
use crate::{
    Alert, DeployRequest, DeploymentId, Error, JobDetails, JobId, JobSnapshot, JobSpec, JobState,
    Restore, Result, Selector, Severity, StopOutcome,
};

/// Flink's key for keeping checkpoints when a job is canceled or fails.
const RETENTION_KEY: &str = "execution.checkpointing.externalized-checkpoint-retention";

#[derive(Debug, Default)]
struct CpState {
    last_check: Option<i64>,
    completed: u64,
    failed: u64,
    consecutive: u64,
    troubled: bool,
}

#[derive(Debug)]
pub(crate) struct Tracked {
    rec: JobRecord,
    cluster: usize,
    current: Option<AttemptRecord>,
    seen: Option<JobState>,
    missing_since: Option<i64>,
    lost: bool,
    next_restart: Option<i64>,
    dup_reported: bool,
    cp: CpState,
    /// Attempts recorded before this time do not count against the restart budget (set when
    /// the host asks again for a job that was stopped or given up).
    budget_from: i64,
}

impl Tracked {
    fn new(rec: JobRecord, cluster: usize, current: Option<AttemptRecord>) -> Self {
        Tracked {
            rec,
            cluster,
            current,
            seen: None,
            missing_since: None,
            lost: false,
            next_restart: None,
            dup_reported: false,
            cp: CpState::default(),
            budget_from: i64::MIN,
        }
    }
    fn attempt(&self) -> u64 {
        self.current.as_ref().map(|a| a.attempt).unwrap_or(0)
    }
    fn follow(&mut self, rec: AttemptRecord) {
        if self.attempt() != rec.attempt {
            self.seen = None;
            self.cp = CpState::default();
            self.missing_since = None;
        }
        self.rec.last_attempt = self.rec.last_attempt.max(rec.attempt);
        self.next_restart = None;
        self.current = Some(rec);
    }
}

#[derive(Debug, Default)]
pub(crate) struct State {
    jobs: BTreeMap<JobId, Tracked>,
    loaded: bool,
    ticks: u64,
}

enum Action {
    Start {
        job: JobId,
        spec: JobSpec,
        cluster: usize,
        expected_last: u64,
        restart: bool,
    },
    Resolve {
        spec: JobSpec,
        cluster: usize,
        rec: AttemptRecord,
    },
    Adopt {
        job: JobId,
        snap: JobSnapshot,
        expected_last: u64,
    },
    CheckCp {
        job: JobId,
        cluster: usize,
        deployment: DeploymentId,
    },
}

enum Outcome {
    Started { rec: AttemptRecord, restart: bool },
    Follow { rec: AttemptRecord },
    Adopted { rec: AttemptRecord },
    DeployFailed { rec: AttemptRecord, reason: String },
    Reload { job: JobId },
    Nothing,
    Checkpoints { job: JobId, details: JobDetails },
    Failed { job: JobId, error: Error },
}

fn event(t: &Tracked, kind: JobEventKind, now: i64) -> JobEvent {
    let cur = t.current.as_ref();
    JobEvent {
        job: t.rec.spec.id.clone(),
        attempt: t.attempt(),
        kind,
        state: t.seen,
        deployment: cur.and_then(|a| a.deployment.clone()),
        restored_from: cur.and_then(|a| a.restore_from.clone()),
        ts_ms: now,
    }
}

pub(crate) fn alert_for(ev: &JobEvent, sev: Severity, cfg: &Config) -> Alert {
    let (name, title, text) = match &ev.kind {
        JobEventKind::Started { restart: true } => (
            "restarted",
            format!("job {} restarted (attempt {})", ev.job, ev.attempt),
            String::new(),
        ),
        JobEventKind::Started { restart: false } => (
            "started",
            format!("job {} started (attempt {})", ev.job, ev.attempt),
            String::new(),
        ),
        JobEventKind::Adopted => (
            "adopted",
            format!("job {} adopted (attempt {})", ev.job, ev.attempt),
            String::new(),
        ),
        JobEventKind::Stopped => ("stopped", format!("job {} stopped", ev.job), String::new()),
        JobEventKind::Lost { reason } => ("lost", format!("job {} lost", ev.job), reason.clone()),
        JobEventKind::Failed { reason } => {
            ("failed", format!("job {} failed", ev.job), reason.clone())
        }
        JobEventKind::GaveUp { reason } => (
            "gave_up",
            format!("job {} is down: restart budget exhausted", ev.job),
            reason.clone(),
        ),
        JobEventKind::CheckpointTrouble { reason } => (
            "checkpoint_trouble",
            format!("job {}: checkpoint trouble", ev.job),
            reason.clone(),
        ),
        JobEventKind::DuplicateLive { attempts } => (
            "duplicate_live",
            format!("job {} runs {} times", ev.job, attempts.len()),
            format!("live attempts {attempts:?}"),
        ),
        JobEventKind::RestartScheduled { after_ms, .. } => (
            "restart_scheduled",
            format!("job {} restarts in {} s", ev.job, after_ms / 1000),
            String::new(),
        ),
        JobEventKind::StateChanged => (
            "state_changed",
            format!(
                "job {} is {}",
                ev.job,
                ev.state.map(|s| s.as_str()).unwrap_or("UNKNOWN")
            ),
            String::new(),
        ),
    };
    let mut a = Alert::new(sev, title)
        .with_job(ev.job.as_str())
        .with_text(text)
        .with_label("event", name)
        .with_label("supervisor", &cfg.id)
        .with_annotation("attempt", ev.attempt.to_string());
    if let Some(d) = &ev.deployment {
        a = a.with_annotation("deployment", d.as_str());
    }
    a
}

async fn restore_path(cfg: &Config, spec: &JobSpec) -> Result<Option<String>> {
    Ok(match &spec.restore {
        Restore::None => None,
        Restore::Latest => cfg
            .store
            .latest_restore_point(&spec.id)
            .await?
            .map(|p| p.path),
        Restore::Path(p) => Some(
            cfg.store
                .latest_restore_point(&spec.id)
                .await?
                .map(|x| x.path)
                .unwrap_or_else(|| p.clone()),
        ),
    })
}

/// Stops `t`'s live attempt with `opts`, records a savepoint taken on the way as its restore
/// point and the attempt as ended with `reason`.
async fn stop_live(
    sup: &Supervisor,
    t: &mut Tracked,
    opts: crate::StopOptions,
    reason: &str,
    now: i64,
) -> Result<StopOutcome> {
    let job = &t.rec.spec.id.clone();
    let Some(mut cur) = t.current.clone() else {
        return Ok(StopOutcome::AlreadyGone);
    };
    if cur.status.is_closed() {
        return Ok(StopOutcome::AlreadyGone);
    }
    let deployer = &sup.cfg.clusters[t.cluster].1;
    let dep = match cur.deployment.clone() {
        Some(d) => d,
        None => match deployer
            .list(&Selector::Job(job.clone()))
            .await?
            .into_iter()
            .find(|s| s.attempt == cur.attempt)
        {
            Some(s) => s.deployment,
            None => return Ok(StopOutcome::AlreadyGone),
        },
    };
    let out = deployer.stop(&dep, opts).await?;
    let end_state = match &out {
        StopOutcome::Stopped {
            savepoint: Some(sp),
        } => {
            sup.cfg
                .store
                .add_restore_point(job, cur.attempt, sp)
                .await?;
            JobState::Finished
        }
        _ => JobState::Canceled,
    };
    sup.cfg
        .store
        .update_attempt(
            job,
            cur.attempt,
            AttemptUpdate::status(AttemptStatus::Ended).with_end(
                now,
                Some(end_state),
                Some(reason.to_string()),
            ),
        )
        .await?;
    cur.status = AttemptStatus::Ended;
    cur.final_state = Some(end_state);
    cur.ended_ms = Some(now);
    t.current = Some(cur);
    t.seen = Some(end_state);
    let ev = event(t, JobEventKind::Stopped, now);
    sup.emit(ev, true).await;
    Ok(out)
}

async fn lease(cfg: &Config, job: &JobId, now: i64) -> Result<bool> {
    cfg.store.try_lease(job, &cfg.id, cfg.lease_ttl, now).await
}

async fn deploy_attempt(
    cfg: &Config,
    cluster: usize,
    spec: &JobSpec,
    rec: &AttemptRecord,
) -> Result<crate::Deployment> {
    let mut spec = spec.clone();
    spec.config
        .entry(RETENTION_KEY.to_string())
        .or_insert_with(|| "RETAIN_ON_CANCELLATION".to_string());
    let mut req = DeployRequest::new(spec, rec.attempt);
    req.restore_path = rec.restore_from.clone();
    cfg.clusters[cluster].1.deploy(req).await
}

async fn set_status(
    cfg: &Config,
    rec: &mut AttemptRecord,
    status: AttemptStatus,
    dep: Option<DeploymentId>,
    reason: Option<String>,
    now: i64,
) -> Result<()> {
    let mut up = AttemptUpdate::status(status);
    if let Some(d) = &dep {
        up = up.with_deployment(d.clone());
    }
    if status.is_closed() {
        up = up.with_end(now, None, reason.clone());
        rec.ended_ms = Some(now);
        rec.reason = reason;
    }
    cfg.store.update_attempt(&rec.job, rec.attempt, up).await?;
    rec.status = status;
    if dep.is_some() {
        rec.deployment = dep;
    }
    Ok(())
}

/// Deploys a recorded attempt and records the answer.
async fn deploy_recorded(
    cfg: &Config,
    cluster: usize,
    spec: &JobSpec,
    mut rec: AttemptRecord,
    restart: bool,
    now: i64,
) -> Outcome {
    match deploy_attempt(cfg, cluster, spec, &rec).await {
        Ok(dep) => match set_status(
            cfg,
            &mut rec,
            AttemptStatus::Deployed,
            Some(dep.id),
            None,
            now,
        )
        .await
        {
            Ok(()) => Outcome::Started { rec, restart },
            Err(error) => Outcome::Failed {
                job: rec.job.clone(),
                error,
            },
        },
        // The answer was lost: the tag tells later whether it started.
        Err(Error::Timeout { .. }) => Outcome::Follow { rec },
        Err(Error::Fenced { live_attempt, .. }) if live_attempt == rec.attempt => {
            // This tag was deployed before (a lost answer, another process): it exists or
            // existed. Follow it; if the cluster does not list it, the grace rule applies.
            match set_status(cfg, &mut rec, AttemptStatus::Deployed, None, None, now).await {
                Ok(()) => Outcome::Follow { rec },
                Err(error) => Outcome::Failed {
                    job: rec.job.clone(),
                    error,
                },
            }
        }
        Err(Error::Fenced { live_attempt, .. }) => {
            let reason = format!("superseded: attempt {live_attempt} is live");
            match set_status(cfg, &mut rec, AttemptStatus::Ended, None, Some(reason), now).await {
                Ok(()) => Outcome::Reload {
                    job: rec.job.clone(),
                },
                Err(error) => Outcome::Failed {
                    job: rec.job.clone(),
                    error,
                },
            }
        }
        Err(e) => {
            let reason = e.to_string();
            match set_status(
                cfg,
                &mut rec,
                AttemptStatus::DeployFailed,
                None,
                Some(reason.clone()),
                now,
            )
            .await
            {
                Ok(()) => Outcome::DeployFailed { rec, reason },
                Err(error) => Outcome::Failed {
                    job: rec.job.clone(),
                    error,
                },
            }
        }
    }
}

async fn run_action(cfg: &Config, action: Action, now: i64) -> Outcome {
    let job = match &action {
        Action::Start { job, .. } | Action::Adopt { job, .. } | Action::CheckCp { job, .. } => {
            job.clone()
        }
        Action::Resolve { rec, .. } => rec.job.clone(),
    };
    let r: Result<Outcome> = async {
        match action {
            Action::CheckCp {
                cluster,
                deployment,
                job,
            } => {
                let details = cfg.clusters[cluster].1.inspect(&deployment).await?;
                Ok(Outcome::Checkpoints { job, details })
            }
            Action::Adopt {
                job,
                snap,
                expected_last,
            } => {
                if !lease(cfg, &job, now).await? {
                    return Ok(Outcome::Nothing);
                }
                let mut na = NewAttempt::next(job.clone(), expected_last, &cfg.id, now);
                na.attempt = snap.attempt;
                na.status = AttemptStatus::Deployed;
                na.deployment = Some(snap.deployment.clone());
                match cfg.store.begin_attempt(na).await {
                    Ok(rec) => Ok(Outcome::Adopted { rec }),
                    Err(e) if e.is_fenced() => Ok(Outcome::Reload { job }),
                    Err(e) => Err(e),
                }
            }
            Action::Start {
                job,
                spec,
                cluster,
                expected_last,
                restart,
            } => {
                if !lease(cfg, &job, now).await? {
                    return Ok(Outcome::Nothing);
                }
                let mut na = NewAttempt::next(job.clone(), expected_last, &cfg.id, now);
                na.restore_from = restore_path(cfg, &spec).await?;
                let mut rec = match cfg.store.begin_attempt(na).await {
                    Ok(rec) => rec,
                    Err(e) if e.is_fenced() => return Ok(Outcome::Reload { job }),
                    Err(e) => return Err(e),
                };
                // Recorded; now consult the cluster's own list for a live deployment of the job.
                match cfg.clusters[cluster]
                    .1
                    .list(&Selector::Job(job.clone()))
                    .await
                {
                    Ok(snaps) => {
                        if let Some(live) = snaps.iter().find(|s| s.state.is_live()) {
                            let reason = format!("not deployed: attempt {} is live", live.attempt);
                            set_status(
                                cfg,
                                &mut rec,
                                AttemptStatus::Ended,
                                None,
                                Some(reason),
                                now,
                            )
                            .await?;
                            return Ok(Outcome::Reload { job });
                        }
                    }
                    // Unknown: leave the attempt `Starting`; it is resolved by its tag later.
                    Err(_) => return Ok(Outcome::Follow { rec }),
                }
                Ok(deploy_recorded(cfg, cluster, &spec, rec, restart, now).await)
            }
            Action::Resolve {
                spec,
                cluster,
                mut rec,
            } => {
                if !lease(cfg, &rec.job, now).await? {
                    return Ok(Outcome::Nothing);
                }
                let snaps = cfg.clusters[cluster]
                    .1
                    .list(&Selector::Job(rec.job.clone()))
                    .await?;
                if let Some(s) = snaps.iter().find(|s| s.attempt == rec.attempt) {
                    set_status(
                        cfg,
                        &mut rec,
                        AttemptStatus::Deployed,
                        Some(s.deployment.clone()),
                        None,
                        now,
                    )
                    .await?;
                    return Ok(Outcome::Follow { rec });
                }
                if let Some(live) = snaps.iter().find(|s| s.state.is_live()) {
                    let reason = format!("superseded: attempt {} is live", live.attempt);
                    set_status(cfg, &mut rec, AttemptStatus::Ended, None, Some(reason), now)
                        .await?;
                    return Ok(Outcome::Reload {
                        job: rec.job.clone(),
                    });
                }
                // Not on the cluster: deploy the same attempt again; the backend fences it if it
                // ever started.
                let restart = rec.attempt > 1;
                Ok(deploy_recorded(cfg, cluster, &spec, rec, restart, now).await)
            }
        }
    }
    .await;
    r.unwrap_or_else(|error| Outcome::Failed { job, error })
}

impl State {
    /// The host wants a stopped job again: a fresh restart budget, started at the next tick.
    pub(crate) fn wanted_again(&mut self, job: &JobId, now: i64) {
        if let Some(t) = self.jobs.get_mut(job) {
            t.budget_from = now;
            t.next_restart = None;
        }
    }

    pub(crate) fn ids(&self) -> impl Iterator<Item = &JobId> {
        self.jobs.keys()
    }

    pub(crate) fn view(&self, cfg: &Config, job: &JobId) -> Option<JobView> {
        let t = self.jobs.get(job)?;
        Some(JobView {
            job: job.clone(),
            cluster: cfg.clusters[t.cluster].0.clone(),
            desired: t.rec.desired,
            attempt: t.attempt(),
            state: t.seen,
            deployment: t.current.as_ref().and_then(|a| a.deployment.clone()),
            next_restart_ms: t.next_restart,
        })
    }

    pub(crate) async fn load(&mut self, cfg: &Config) -> Result<()> {
        for rec in cfg.store.jobs().await? {
            let id = rec.spec.id.clone();
            self.install(cfg, rec).await?;
            let _ = id;
        }
        self.loaded = true;
        Ok(())
    }

    async fn install(&mut self, cfg: &Config, rec: JobRecord) -> Result<()> {
        let cluster = match cluster_index(cfg, &rec.spec) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(job = %rec.spec.id, error = %e, "job names an unknown cluster; not supervised");
                return Ok(());
            }
        };
        let id = rec.spec.id.clone();
        let same = self
            .jobs
            .get(&id)
            .is_some_and(|t| t.rec.last_attempt == rec.last_attempt);
        if same {
            if let Some(t) = self.jobs.get_mut(&id) {
                t.rec = rec;
                t.cluster = cluster;
            }
            return Ok(());
        }
        let current = cfg.store.attempts(&id).await?.pop();
        match self.jobs.get_mut(&id) {
            Some(t) => {
                t.rec = rec;
                t.cluster = cluster;
                if let Some(c) = current {
                    t.follow(c);
                }
            }
            None => {
                self.jobs.insert(id, Tracked::new(rec, cluster, current));
            }
        }
        Ok(())
    }

    pub(crate) async fn reload_job(&mut self, cfg: &Config, job: &JobId) -> Result<()> {
        match cfg.store.job(job).await? {
            Some(rec) => self.install(cfg, rec).await,
            None => {
                self.jobs.remove(job);
                Ok(())
            }
        }
    }

    pub(crate) async fn stop_job(
        &mut self,
        sup: &Supervisor,
        job: &JobId,
        opts: crate::StopOptions,
    ) -> Result<StopOutcome> {
        let cfg = &sup.cfg;
        if !self.jobs.contains_key(job) {
            self.reload_job(cfg, job).await?;
        }
        let t = self
            .jobs
            .get_mut(job)
            .ok_or_else(|| Error::not_found("supervisor", format!("job `{job}`")))?;
        let now = (cfg.now)();
        cfg.store
            .set_desired(job, DesiredState::Stopped, now)
            .await?;
        t.rec.desired = DesiredState::Stopped;
        t.next_restart = None;
        sup.audit(
            job,
            t.attempt(),
            "audit.stop",
            json!({"mode": format!("{:?}", opts.mode)}),
        )
        .await;
        stop_live(sup, t, opts, "stopped by the supervisor", now).await
    }

    /// Stops the live attempt with `opts` (a savepoint becomes the restore point) and wants
    /// the job's current spec version running again: the next tick starts it from there.
    pub(crate) async fn roll_out(
        &mut self,
        sup: &Supervisor,
        job: &JobId,
        opts: crate::StopOptions,
    ) -> Result<StopOutcome> {
        let cfg = &sup.cfg;
        self.reload_job(cfg, job).await?;
        let t = self
            .jobs
            .get_mut(job)
            .ok_or_else(|| Error::not_found("supervisor", format!("job `{job}`")))?;
        if t.rec.desired != DesiredState::Running {
            return Err(Error::invalid_input(
                "supervisor",
                "roll out",
                format!("job `{job}`"),
                "the job is stopped; `manage` it to start its current version",
            ));
        }
        let now = (cfg.now)();
        let from = t.current.as_ref().map(|a| a.spec_version);
        sup.audit(
            job,
            t.attempt(),
            "audit.roll_out",
            json!({"from_spec_version": from, "to_spec_version": t.rec.spec_version,
                   "mode": format!("{:?}", opts.mode)}),
        )
        .await;
        let reason = format!("rolled out to spec version {}", t.rec.spec_version);
        let out = stop_live(sup, t, opts, &reason, now).await?;
        // Asked for after the stop: the tick's "started again when asked" rule applies.
        cfg.store
            .set_desired(job, DesiredState::Running, now)
            .await?;
        t.rec.updated_ms = now;
        t.budget_from = now;
        t.next_restart = None;
        Ok(out)
    }

    async fn refresh(&mut self, cfg: &Config) -> Result<()> {
        for rec in cfg.store.jobs().await? {
            let changed = self.jobs.get(&rec.spec.id).is_none_or(|t| {
                t.rec.last_attempt != rec.last_attempt
                    || t.rec.desired != rec.desired
                    || t.rec.spec_version != rec.spec_version
            });
            if changed {
                self.install(cfg, rec).await?;
            }
        }
        Ok(())
    }

    pub(crate) async fn tick(&mut self, sup: &Supervisor) -> Result<usize> {
        let cfg = sup.cfg.clone();
        if !self.loaded {
            self.load(&cfg).await?;
        } else if self.ticks.is_multiple_of(cfg.reload_every) {
            self.refresh(&cfg).await?;
        }
        self.ticks += 1;
        let now = (cfg.now)();
        let lists =
            futures::future::join_all(cfg.clusters.iter().map(|(_, d)| d.list(&Selector::All)))
                .await;
        let calls = lists.len();
        let mut by_cluster: Vec<Option<HashMap<JobId, Vec<JobSnapshot>>>> =
            Vec::with_capacity(calls);
        for (i, l) in lists.into_iter().enumerate() {
            match l {
                Ok(snaps) => {
                    let mut m: HashMap<JobId, Vec<JobSnapshot>> = HashMap::new();
                    for s in snaps {
                        m.entry(s.job.clone()).or_default().push(s);
                    }
                    by_cluster.push(Some(m));
                }
                Err(e) => {
                    tracing::warn!(cluster = %cfg.clusters[i].0, error = %e, "cluster cannot be listed");
                    by_cluster.push(None);
                }
            }
        }
        let mut actions = Vec::new();
        let mut events = Vec::new();
        for t in self.jobs.values_mut() {
            let name = &cfg.clusters[t.cluster].0;
            let snaps = by_cluster[t.cluster]
                .as_ref()
                .map(|m| m.get(&t.rec.spec.id).map(Vec::as_slice).unwrap_or(&[]));
            if let Err(e) = observe(&cfg, t, name, snaps, now, &mut actions, &mut events).await {
                tracing::warn!(job = %t.rec.spec.id, error = %e, "supervisor could not handle the job this tick");
            }
        }
        let outcomes: Vec<Outcome> = stream::iter(actions)
            .map(|a| run_action(&cfg, a, now))
            .buffer_unordered(cfg.parallel)
            .collect()
            .await;
        let mut reload = Vec::new();
        for o in outcomes {
            self.apply(&cfg, o, now, &mut events, &mut reload).await;
        }
        for job in reload {
            if let Err(e) = self.reload_job(&cfg, &job).await {
                tracing::warn!(job = %job, error = %e, "cannot re-read the job from the store");
            }
        }
        for (ev, persist) in events {
            sup.emit(ev, persist).await;
        }
        Ok(calls)
    }

    async fn apply(
        &mut self,
        cfg: &Config,
        o: Outcome,
        now: i64,
        events: &mut Vec<(JobEvent, bool)>,
        reload: &mut Vec<JobId>,
    ) {
        let job = match &o {
            Outcome::Started { rec, .. }
            | Outcome::Follow { rec }
            | Outcome::Adopted { rec }
            | Outcome::DeployFailed { rec, .. } => rec.job.clone(),
            Outcome::Reload { job }
            | Outcome::Checkpoints { job, .. }
            | Outcome::Failed { job, .. } => job.clone(),
            Outcome::Nothing => return,
        };
        let Some(t) = self.jobs.get_mut(&job) else {
            return;
        };
        match o {
            Outcome::Started { rec, restart } => {
                t.follow(rec);
                t.seen = Some(JobState::Deploying);
                events.push((event(t, JobEventKind::Started { restart }, now), true));
            }
            Outcome::Follow { rec } => t.follow(rec),
            Outcome::Adopted { rec } => {
                t.follow(rec);
                events.push((event(t, JobEventKind::Adopted, now), true));
            }
            Outcome::DeployFailed { rec, reason } => {
                t.follow(rec);
                events.push((event(t, JobEventKind::Failed { reason }, now), true));
            }
            Outcome::Reload { job } => reload.push(job),
            Outcome::Nothing => {}
            Outcome::Failed { job, error } => {
                tracing::warn!(job = %job, error = %error, "supervisor action failed");
            }
            Outcome::Checkpoints { details, .. } => {
                if let Err(e) = checkpoint_health(cfg, t, details, now, events).await {
                    tracing::warn!(job = %job, error = %e, "checkpoint health check failed");
                }
            }
        }
    }
}

async fn checkpoint_health(
    cfg: &Config,
    t: &mut Tracked,
    d: JobDetails,
    now: i64,
    events: &mut Vec<(JobEvent, bool)>,
) -> Result<()> {
    let Some(h) = cfg.checkpoints.clone() else {
        return Ok(());
    };
    t.cp.last_check = Some(now);
    if d.snapshot.attempt != t.attempt() {
        return Ok(());
    }
    if let Some(cp) = &d.latest_checkpoint {
        cfg.store
            .add_restore_point(&t.rec.spec.id, t.attempt(), cp)
            .await?;
    }
    if d.checkpoints_completed > t.cp.completed {
        t.cp.consecutive = 0;
    } else if d.checkpoints_failed > t.cp.failed {
        t.cp.consecutive += d.checkpoints_failed - t.cp.failed;
    }
    t.cp.completed = d.checkpoints_completed;
    t.cp.failed = d.checkpoints_failed;
    let last_ok = d
        .latest_checkpoint
        .as_ref()
        .and_then(|c| c.completed_at_ms)
        .or(d.snapshot.start_time_ms)
        .unwrap_or(now);
    let age = Duration::from_millis(u64::try_from(now - last_ok).unwrap_or(0));
    let reason = if h.max_consecutive_failures > 0 && t.cp.consecutive >= h.max_consecutive_failures
    {
        Some(format!(
            "{} consecutive checkpoints failed",
            t.cp.consecutive
        ))
    } else if age > h.max_age {
        Some(format!(
            "latest checkpoint is {} s old (limit {} s)",
            age.as_secs(),
            h.max_age.as_secs()
        ))
    } else {
        None
    };
    match reason {
        Some(reason) if !t.cp.troubled => {
            t.cp.troubled = true;
            events.push((
                event(
                    t,
                    JobEventKind::CheckpointTrouble {
                        reason: reason.clone(),
                    },
                    now,
                ),
                true,
            ));
            if h.restart
                && lease(cfg, &t.rec.spec.id, now).await?
                && let Some(cur) = t.current.as_mut()
            {
                {
                    let dep = d.snapshot.deployment.clone();
                    cfg.store
                        .update_attempt(
                            &cur.job,
                            cur.attempt,
                            AttemptUpdate::status(AttemptStatus::Ended).with_end(
                                now,
                                Some(JobState::Failed),
                                Some(format!("checkpoint trouble: {reason}")),
                            ),
                        )
                        .await?;
                    cur.status = AttemptStatus::Ended;
                    cur.final_state = Some(JobState::Failed);
                    cur.ended_ms = Some(now);
                    cfg.clusters[t.cluster]
                        .1
                        .stop(&dep, crate::StopOptions::cancel())
                        .await?;
                    events.push((
                        event(
                            t,
                            JobEventKind::Failed {
                                reason: format!("checkpoint trouble: {reason}"),
                            },
                            now,
                        ),
                        true,
                    ));
                }
            }
        }
        Some(_) => {}
        None => t.cp.troubled = false,
    }
    Ok(())
}

/// Ends the current attempt with `state`; records restore points of a failed one.
async fn end_attempt(
    cfg: &Config,
    t: &mut Tracked,
    state: JobState,
    reason: Option<String>,
    now: i64,
    events: &mut Vec<(JobEvent, bool)>,
) -> Result<()> {
    let Some(cur) = t.current.as_mut() else {
        return Ok(());
    };
    if state == JobState::Failed
        && t.rec.spec.restore != Restore::None
        && let Some(dep) = cur.deployment.clone()
    {
        {
            match cfg.clusters[t.cluster].1.inspect(&dep).await {
                Ok(d) => {
                    for p in [d.latest_checkpoint, d.latest_savepoint]
                        .into_iter()
                        .flatten()
                    {
                        cfg.store
                            .add_restore_point(&cur.job, cur.attempt, &p)
                            .await?;
                    }
                }
                Err(e) => {
                    tracing::warn!(job = %cur.job, error = %e, "cannot read the checkpoints of a failed job")
                }
            }
        }
    }
    cfg.store
        .update_attempt(
            &cur.job,
            cur.attempt,
            AttemptUpdate::status(AttemptStatus::Ended).with_end(now, Some(state), reason.clone()),
        )
        .await?;
    cur.status = AttemptStatus::Ended;
    cur.final_state = Some(state);
    cur.ended_ms = Some(now);
    cur.reason = reason.clone();
    t.seen = Some(state);
    t.missing_since = None;
    t.next_restart = None;
    let kind = if matches!(state, JobState::Failed | JobState::Lost) {
        JobEventKind::Failed {
            reason: reason.unwrap_or_else(|| state.as_str().to_string()),
        }
    } else {
        JobEventKind::Stopped
    };
    events.push((event(t, kind, now), true));
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn observe(
    cfg: &Config,
    t: &mut Tracked,
    cluster: &str,
    snaps: Option<&[JobSnapshot]>,
    now: i64,
    actions: &mut Vec<Action>,
    events: &mut Vec<(JobEvent, bool)>,
) -> Result<()> {
    let id = t.rec.spec.id.clone();
    let Some(snaps) = snaps else {
        // Lost, not failed: nothing is decided while the cluster cannot be seen.
        if !t.lost {
            t.lost = true;
            t.seen = Some(JobState::Lost);
            events.push((
                event(
                    t,
                    JobEventKind::Lost {
                        reason: format!("cluster `{cluster}` is unreachable"),
                    },
                    now,
                ),
                false,
            ));
        }
        return Ok(());
    };
    t.lost = false;
    let mut live: Vec<&JobSnapshot> = snaps.iter().filter(|s| s.state.is_live()).collect();
    live.sort_by_key(|s| s.attempt);
    if live.len() > 1 {
        if !t.dup_reported {
            t.dup_reported = true;
            let attempts = live.iter().map(|s| s.attempt).collect();
            events.push((
                event(t, JobEventKind::DuplicateLive { attempts }, now),
                true,
            ));
        }
    } else {
        t.dup_reported = false;
    }
    if let Some(s) = live.last() {
        t.missing_since = None;
        if s.attempt == t.attempt() {
            if let Some(cur) = t.current.as_mut()
                && (cur.status != AttemptStatus::Deployed
                    || cur.deployment.as_ref() != Some(&s.deployment))
            {
                set_status(
                    cfg,
                    cur,
                    AttemptStatus::Deployed,
                    Some(s.deployment.clone()),
                    None,
                    now,
                )
                .await?;
            }
            if t.seen != Some(s.state) {
                t.seen = Some(s.state);
                events.push((event(t, JobEventKind::StateChanged, now), false));
            }
            if let Some(h) = &cfg.checkpoints
                && s.state == JobState::Running
                && t.cp.last_check.is_none_or(|c| {
                    now - c >= i64::try_from(h.every.as_millis()).unwrap_or(i64::MAX)
                })
            {
                t.cp.last_check = Some(now);
                actions.push(Action::CheckCp {
                    job: id,
                    cluster: t.cluster,
                    deployment: s.deployment.clone(),
                });
            }
        } else if s.attempt > t.rec.last_attempt {
            actions.push(Action::Adopt {
                job: id,
                snap: (*s).clone(),
                expected_last: t.rec.last_attempt,
            });
        } else {
            // A recorded attempt other than the one followed is live: follow it.
            let Some(mut rec) = cfg
                .store
                .attempts(&id)
                .await?
                .into_iter()
                .find(|a| a.attempt == s.attempt)
            else {
                return Ok(());
            };
            if let Some(cur) = t.current.as_mut()
                && !cur.status.is_closed()
            {
                let reason = format!("superseded: attempt {} is live", s.attempt);
                set_status(cfg, cur, AttemptStatus::Ended, None, Some(reason), now).await?;
            }
            if rec.status != AttemptStatus::Deployed {
                set_status(
                    cfg,
                    &mut rec,
                    AttemptStatus::Deployed,
                    Some(s.deployment.clone()),
                    None,
                    now,
                )
                .await?;
            }
            t.follow(rec);
            t.seen = Some(s.state);
            events.push((event(t, JobEventKind::Adopted, now), true));
        }
        return Ok(());
    }
    // Nothing of the job is live.
    let Some(cur) = t.current.clone() else {
        if t.rec.desired == DesiredState::Running && t.rec.last_attempt == 0 {
            actions.push(Action::Start {
                job: id,
                spec: t.rec.spec.clone(),
                cluster: t.cluster,
                expected_last: 0,
                restart: false,
            });
        }
        return Ok(());
    };
    if !cur.status.is_closed() {
        match snaps.iter().find(|s| s.attempt == cur.attempt) {
            Some(s) if s.state.is_terminal() => {
                let reason = s.reason.clone();
                end_attempt(cfg, t, s.state, reason, now, events).await?;
            }
            Some(_) => return Ok(()),
            None if cur.status == AttemptStatus::Starting => {
                if now - cur.created_ms
                    >= i64::try_from(cfg.deploy_timeout.as_millis()).unwrap_or(i64::MAX)
                {
                    actions.push(Action::Resolve {
                        spec: t.rec.spec.clone(),
                        cluster: t.cluster,
                        rec: cur,
                    });
                }
                return Ok(());
            }
            None => {
                let since = *t.missing_since.get_or_insert(now);
                if t.seen != Some(JobState::Lost) {
                    t.seen = Some(JobState::Lost);
                    events.push((
                        event(
                            t,
                            JobEventKind::Lost {
                                reason: format!("vanished from cluster `{cluster}`"),
                            },
                            now,
                        ),
                        false,
                    ));
                }
                let grace = i64::try_from(cfg.lost_grace.as_millis()).unwrap_or(i64::MAX);
                if now - since < grace {
                    return Ok(());
                }
                let reason = format!(
                    "vanished from cluster `{cluster}` for {} s",
                    (now - since) / 1000
                );
                end_attempt(cfg, t, JobState::Lost, Some(reason), now, events).await?;
            }
        }
    }
    // The followed attempt is over.
    let Some(cur) = t.current.as_ref() else {
        return Ok(());
    };
    if t.rec.desired != DesiredState::Running {
        return Ok(());
    }
    if !is_failure(cur) || cur.ended_ms.is_some_and(|end| end < t.budget_from) {
        // Finished or stopped: started again only when the host asked for it afterwards
        // (`manage` after a stop, a new spec version).
        if cur.ended_ms.is_some_and(|end| t.rec.updated_ms >= end) {
            actions.push(Action::Start {
                job: id,
                spec: t.rec.spec.clone(),
                cluster: t.cluster,
                expected_last: t.rec.last_attempt,
                restart: false,
            });
        }
        return Ok(());
    }
    if t.next_restart.is_none() {
        let mut history = cfg.store.attempts(&id).await?;
        history.retain(|a| a.created_ms >= t.budget_from);
        match decide(&t.rec.spec.restart, &history, cfg.reset_after, now) {
            Decision::RestartAt { at_ms, consecutive } => {
                t.next_restart = Some(at_ms);
                let after_ms = u64::try_from(at_ms - now).unwrap_or(0);
                events.push((
                    event(
                        t,
                        JobEventKind::RestartScheduled {
                            after_ms,
                            failures: consecutive,
                        },
                        now,
                    ),
                    false,
                ));
            }
            Decision::GiveUp(reason) => {
                if lease(cfg, &id, now).await? {
                    cfg.store
                        .set_desired(&id, DesiredState::Stopped, now)
                        .await?;
                    t.rec.desired = DesiredState::Stopped;
                    events.push((event(t, JobEventKind::GaveUp { reason }, now), true));
                }
                return Ok(());
            }
        }
    }
    if t.next_restart.is_some_and(|at| now >= at) {
        actions.push(Action::Start {
            job: id,
            spec: t.rec.spec.clone(),
            cluster: t.cluster,
            expected_last: t.rec.last_attempt,
            restart: true,
        });
    }
    Ok(())
}
