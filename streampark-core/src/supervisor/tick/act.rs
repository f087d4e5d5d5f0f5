//! Carrying out the tick's decisions: start, resolve, adopt, check checkpoints, stop.

use super::*;

/// Where a new attempt takes its state from (see [`Restore`] for the documented rules).
#[derive(Clone, Debug)]
pub(super) enum StartFrom {
    /// A start the host asked for (first deploy, after a stop, a roll-out): a roll-out's
    /// savepoint when there is one, else the spec's `restore`.
    Asked { rollout: Option<String> },
    /// A restart after attempt `failed` ended: its latest restore point, else where it started.
    AfterFailure {
        failed: u64,
        fallback: Option<String>,
    },
}

pub(super) enum Action {
    Start {
        job: JobId,
        spec: JobSpec,
        cluster: usize,
        expected_last: u64,
        restart: bool,
        from: StartFrom,
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

pub(super) enum Outcome {
    Started { rec: AttemptRecord, restart: bool },
    Follow { rec: AttemptRecord },
    Adopted { rec: AttemptRecord },
    DeployFailed { rec: AttemptRecord, reason: String },
    Reload { job: JobId },
    Nothing,
    Checkpoints { job: JobId, details: JobDetails },
    Failed { job: JobId, error: Error },
}

pub(super) fn event(t: &Tracked, kind: JobEventKind, now: i64) -> JobEvent {
    let cur = t.current.as_ref();
    JobEvent {
        job: t.rec.spec.id.clone(),
        attempt: t.attempt(),
        kind,
        state: t.seen,
        deployment: cur.and_then(|a| a.deployment.clone()),
        restored_from: cur.and_then(|a| a.restore_from.clone()),
        ts_ms: now,
        labels: alert_labels(&t.rec.spec),
    }
}

/// The labels a job's alerts carry: its team and project, its cluster, and its own labels
/// (an `owner`, an `env`, …) for routing.
fn alert_labels(spec: &JobSpec) -> std::collections::BTreeMap<String, String> {
    let mut l = std::collections::BTreeMap::new();
    for (k, v) in &spec.labels {
        let key = if k == super::super::CLUSTER_LABEL {
            "cluster"
        } else {
            k.as_str()
        };
        l.insert(key.to_string(), v.clone());
    }
    if !spec.owner.team.is_empty() {
        l.insert("team".into(), spec.owner.team.clone());
    }
    if let Some(p) = &spec.owner.project {
        l.insert("project".into(), p.clone());
    }
    l
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
        .with_text(text);
    for (k, v) in &ev.labels {
        a = match k.as_str() {
            "team" => a.with_team(v),
            _ => a.with_label(k, v),
        };
    }
    let mut a = a
        .with_label("event", name)
        .with_label("supervisor", &cfg.id)
        .with_annotation("attempt", ev.attempt.to_string());
    if let Some(d) = &ev.deployment {
        a = a.with_annotation("deployment", d.as_str());
    }
    a
}

pub(super) async fn restore_path(
    cfg: &Config,
    spec: &JobSpec,
    from: StartFrom,
) -> Result<Option<String>> {
    Ok(match from {
        StartFrom::AfterFailure { failed, fallback } => cfg
            .store
            .latest_restore_point(&spec.id, failed)
            .await?
            .map(|p| p.path)
            .or(fallback),
        StartFrom::Asked { rollout: Some(p) } => Some(p),
        StartFrom::Asked { rollout: None } => match &spec.restore {
            Restore::None => None,
            Restore::Latest => cfg
                .store
                .latest_restore_point(&spec.id, 0)
                .await?
                .map(|p| p.path),
            Restore::Path(p) => Some(p.clone()),
        },
    })
}

/// Stops `t`'s live attempt with `opts`, records a savepoint taken on the way as its restore
/// point and the attempt as ended with `reason`.
pub(super) async fn stop_live(
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

pub(super) async fn lease(cfg: &Config, job: &JobId, now: i64) -> Result<bool> {
    cfg.store.try_lease(job, &cfg.id, cfg.lease_ttl, now).await
}

pub(super) async fn deploy_attempt(
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

pub(super) async fn set_status(
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
pub(super) async fn deploy_recorded(
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

pub(super) async fn run_action(cfg: &Config, action: Action, now: i64) -> Outcome {
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
                from,
            } => {
                if !lease(cfg, &job, now).await? {
                    return Ok(Outcome::Nothing);
                }
                let mut na = NewAttempt::next(job.clone(), expected_last, &cfg.id, now);
                na.restore_from = restore_path(cfg, &spec, from).await?;
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
