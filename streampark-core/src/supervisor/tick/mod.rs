//! The tick: observe (one list per cluster), decide, act, record.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde_json::json;

mod act;
mod observe;

use super::policy::{Decision, decide, is_failure};
use super::{Config, JobEvent, JobEventKind, JobView, Supervisor, cluster_index};
use crate::store::{
    AttemptRecord, AttemptStatus, AttemptUpdate, DesiredState, JobRecord, NewAttempt,
};
use crate::{
    Alert, DeployRequest, DeploymentId, Error, JobDetails, JobId, JobSnapshot, JobSpec, JobState,
    Restore, Result, Selector, Severity, StopOutcome,
};
pub(super) use act::alert_for;
use act::*;
use observe::*;

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
    /// The savepoint a roll-out stopped the last attempt with: the next start restores from
    /// it (kept in memory; after a host restart a `Restore::Latest` spec still finds it).
    rollout_from: Option<String>,
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
            rollout_from: None,
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
impl State {
    /// The host wants a stopped job again: a fresh restart budget, started at the next tick.
    pub(crate) fn wanted_again(&mut self, job: &JobId, now: i64) {
        if let Some(t) = self.jobs.get_mut(job) {
            t.budget_from = now;
            t.next_restart = None;
        }
    }

    pub(crate) fn cluster_index(&self, job: &JobId) -> Option<usize> {
        self.jobs.get(job).map(|t| t.cluster)
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
            restored_from: t.current.as_ref().and_then(|a| a.restore_from.clone()),
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

    /// The tracked state of a managed job; `NotFound` for one that is not managed.
    fn tracked(&mut self, job: &JobId) -> Result<&mut Tracked> {
        self.jobs
            .get_mut(job)
            .ok_or_else(|| Error::not_found("supervisor", format!("job `{job}`")))
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
        let t = self.tracked(job)?;
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
        let out = stop_live(sup, t, opts, "stopped by the supervisor", now).await?;
        // A stopped job needs no actor: another replica (or this host after a restart, under
        // a new id) may start it again at once instead of waiting for the lease to lapse.
        if let Err(e) = cfg.store.release_lease(job, &cfg.id).await {
            tracing::warn!(job = %job, error = %e, "cannot release the job's lease");
        }
        Ok(out)
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
        let t = self.tracked(job)?;
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
        if let StopOutcome::Stopped {
            savepoint: Some(sp),
        } = &out
        {
            t.rollout_from = Some(sp.path.clone());
        }
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
                t.rollout_from = None;
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
