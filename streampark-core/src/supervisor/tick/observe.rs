//! Reading one cluster list into decisions, checkpoint health and attempt endings.

use super::*;

pub(super) async fn checkpoint_health(
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
pub(super) async fn end_attempt(
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
    // A failed attempt's checkpoints are where its restart resumes, whatever `restore` says
    // about starts the host asks for.
    if state == JobState::Failed
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
pub(super) async fn observe(
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
                from: StartFrom::Asked {
                    rollout: t.rollout_from.clone(),
                },
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
                from: StartFrom::Asked {
                    rollout: t.rollout_from.clone(),
                },
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
            from: StartFrom::AfterFailure {
                failed: cur.attempt,
                fallback: cur.restore_from.clone(),
            },
        });
    }
    Ok(())
}
