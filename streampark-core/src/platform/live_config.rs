//! Configuration updates from a [`crate::config::ConfigWatcher`] applied to governed jobs, per job policy.
//!
//! For each job bound to a changed document ([`crate::config::ConfigWatcher::bind`]):
//!
//! 1. The job's spec is updated from the document: Flink keys added or changed are set in
//!    [`JobSpec::config`], removed ones are removed; `streampark.restart.*` sets the restart
//!    policy; `streampark.alert.*` keys become labels of the job (its alerts carry them).
//!    Values are type-checked first ([`FlatConfig::apply_to_spec`]); a bad value changes
//!    nothing. Secret values (by the watcher's [`crate::config::SecretPolicy`]) are never
//!    copied into a job version, which every viewer of the job can read: they are listed in
//!    [`ConfigOutcome::secret_keys_skipped`] (put them in a secret team variable and reference
//!    it as `${name}`).
//! 2. An unchanged spec does nothing. Otherwise a new version is saved (author
//!    [`CONFIG_PRINCIPAL`], the message naming the document and its MD5).
//! 3. A job that is not wanted running keeps the version for its next deploy. For a running
//!    job: a change of live keys only ([`ApplyMode::Live`]) is handed to the engine at once
//!    (the next failure restarts by the new policy, the next alert carries the new labels);
//!    any other change is rolled out with a savepoint when the job's
//!    [`CONFIG_ROLLOUT_LABEL`] is `automatic`, else the job is marked
//!    [`ManagedJob::needs_restart`] (cleared by the next deploy, restart or redeploy). A
//!    roll-out that cannot run now (another operation holds the job) marks it too, so that no
//!    change is lost.
//!
//! Every job's outcome is one audit record (action `config.apply`, user
//! [`CONFIG_PRINCIPAL`], the cause in its note) and one engine event (`config_applied`,
//! `config_rolled_out`, `config_needs_restart`, `config_rejected`).

use std::collections::BTreeSet;

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::facade::AuditCtx;
use super::version::{ManagedJob, spec_changes};
use super::{Platform, Principal};
use crate::config::{ApplyMode, ConfigKey, ConfigUpdate, FlatConfig};
use crate::store::{DocKind, EventRecord, load};
use crate::{Error, JobId, JobSpec, Result};

/// The job label that chooses what a configuration change needing a restart does to a running
/// job: `automatic` rolls it out with a savepoint; anything else (the default, `manual`) marks
/// the job as needing a restart.
pub const CONFIG_ROLLOUT_LABEL: &str = "streampark.config.rollout";

/// The principal configuration updates act as, in versions and audit records. It contains a
/// `:`, which no user id may, so it never names a real user.
pub const CONFIG_PRINCIPAL: &str = "system:config";

/// A new version saved from configuration that a running job has not picked up yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NeedsRestart {
    /// The version that needs a restart to take effect.
    pub version: u64,
    /// Why: the document, its MD5 and the keys that changed.
    pub cause: String,
}

/// What a configuration update did to one job.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigAction {
    /// The job's spec is already what the document says: nothing was saved.
    Unchanged,
    /// A new version was saved; the job is not wanted running, its next deploy takes it.
    Saved {
        /// The version.
        version: u64,
    },
    /// A change of live keys only, saved and handed to the running job's engine.
    AppliedLive {
        /// The version.
        version: u64,
    },
    /// Saved and rolled out with a savepoint (the job's policy is automatic).
    RolledOut {
        /// The version.
        version: u64,
        /// The attempt now running it.
        attempt: u64,
    },
    /// Saved; the running job needs a restart to take it (manual policy, or the roll-out
    /// could not run now).
    NeedsRestart {
        /// The version.
        version: u64,
    },
    /// Nothing changed: the document was malformed, a value was badly typed, the source was
    /// down, or the job is not governed here. The last good configuration stays in force.
    Rejected {
        /// Why, without secret values.
        reason: String,
    },
}

/// The outcome of one configuration update for one job.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigOutcome {
    /// The job.
    pub job: JobId,
    /// The document.
    pub key: ConfigKey,
    /// What happened.
    pub action: ConfigAction,
    /// Changed keys whose values are secret and were therefore not applied.
    pub secret_keys_skipped: Vec<String>,
}

impl Platform {
    /// Applies one update of a [`crate::config::ConfigWatcher`] to the governed jobs it names (see the
    /// module docs of `platform::live_config` for the rules). [`Platform::run`] calls this
    /// for every update of the watcher given to
    /// [`PlatformBuilder::with_config_watcher`](super::PlatformBuilder::with_config_watcher);
    /// a host with its own loop can call it directly.
    pub async fn apply_config(&self, update: &ConfigUpdate) -> Vec<ConfigOutcome> {
        let mut out = Vec::new();
        match update {
            ConfigUpdate::Changed {
                key,
                jobs,
                md5,
                changed_keys,
                apply,
                config,
            } => {
                let cause = format!(
                    "config `{key}` (md5 {}): {}",
                    md5.as_deref().unwrap_or("deleted"),
                    if changed_keys.is_empty() {
                        "no keys".to_string()
                    } else {
                        changed_keys.join(", ")
                    }
                );
                for job in jobs {
                    let change = Change {
                        key,
                        changed_keys,
                        apply: *apply,
                        config,
                        cause: &cause,
                    };
                    out.push(self.apply_one(job, change).await);
                }
            }
            ConfigUpdate::Rejected { key, jobs, error }
            | ConfigUpdate::Unavailable { key, jobs, error } => {
                for job in jobs {
                    let reason = format!("config `{key}`: {error}");
                    self.config_rejected(job, key, &reason).await;
                    out.push(ConfigOutcome {
                        job: job.clone(),
                        key: key.clone(),
                        action: ConfigAction::Rejected { reason },
                        secret_keys_skipped: Vec::new(),
                    });
                }
            }
        }
        out
    }

    /// Applies the updates of a started watcher until `shutdown` resolves.
    pub(super) async fn watch_config(
        &self,
        mut updates: futures::stream::BoxStream<'static, ConfigUpdate>,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<()> {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                u = updates.next() => match u {
                    Some(u) => {
                        for o in self.apply_config(&u).await {
                            tracing::info!(job = %o.job, config = %o.key, action = ?o.action, "configuration update");
                        }
                    }
                    None => return Ok(()),
                },
            }
        }
    }

    async fn apply_one(&self, job: &JobId, change: Change<'_>) -> ConfigOutcome {
        let principal = Principal::user(CONFIG_PRINCIPAL);
        let ctx = &AuditCtx::job(job);
        ctx.set_note(change.cause);
        let mut skipped = Vec::new();
        let r = self
            .audited(&principal, "config.apply", ctx, async {
                let m = load::<ManagedJob>(&*self.store, DocKind::Job, job.as_str(), "")
                    .await?
                    .ok_or_else(|| Error::not_found("platform", format!("job `{job}`")))?;
                ctx.set_team(&m.team);
                let (spec, secrets) = change.spec_for(&m.current.spec)?;
                skipped = secrets;
                if spec == m.current.spec {
                    ctx.set_note(format!("{}; unchanged", change.cause));
                    return Ok(ConfigAction::Unchanged);
                }
                let version = self.placed_version(&spec)?;
                self.check_sql(&spec, version.as_ref())?;
                ctx.set_changes(spec_changes(Some(&m.current.spec), &spec));
                let team = m.team.clone();
                let artifacts = m.current.artifacts.clone();
                let v = self
                    .add_version(
                        &principal,
                        &team,
                        Some(m.clone()),
                        spec,
                        artifacts,
                        change.cause,
                    )
                    .await?;
                let action = self.act_on_running(&principal, job, &v, &change).await?;
                ctx.set_note(format!("{}; {}", change.cause, describe(&action)));
                Ok(action)
            })
            .await;
        let action = match r {
            Ok(a) => a,
            Err(e) => {
                let reason = format!("{}: {e}", change.cause);
                ConfigAction::Rejected { reason }
            }
        };
        let kind = match &action {
            ConfigAction::Unchanged | ConfigAction::Saved { .. } => None,
            ConfigAction::AppliedLive { .. } => Some("config_applied"),
            ConfigAction::RolledOut { .. } => Some("config_rolled_out"),
            ConfigAction::NeedsRestart { .. } => Some("config_needs_restart"),
            ConfigAction::Rejected { .. } => Some("config_rejected"),
        };
        if let Some(kind) = kind {
            self.config_event(job, kind, change.cause, &action).await;
        }
        ConfigOutcome {
            job: job.clone(),
            key: change.key.clone(),
            action,
            secret_keys_skipped: skipped,
        }
    }

    /// What a saved version does to the job when it is wanted running.
    async fn act_on_running(
        &self,
        principal: &Principal,
        job: &JobId,
        v: &super::JobVersion,
        change: &Change<'_>,
    ) -> Result<ConfigAction> {
        if self.wanted_running(job).await?.is_none() {
            return Ok(ConfigAction::Saved { version: v.version });
        }
        let m = load::<ManagedJob>(&*self.store, DocKind::Job, job.as_str(), "")
            .await?
            .ok_or_else(|| Error::not_found("platform", format!("job `{job}`")))?;
        if change.apply == ApplyMode::Live {
            let prepared = self.prepare(&m.team, v).await?;
            self.engine.manage(prepared.real).await?;
            return Ok(ConfigAction::AppliedLive { version: v.version });
        }
        let automatic = v
            .spec
            .labels
            .get(CONFIG_ROLLOUT_LABEL)
            .is_some_and(|p| p == "automatic");
        if automatic {
            let ctx = AuditCtx::job(job);
            let rolled = self
                .claimed(job, "config.apply", principal.id(), async {
                    Box::pin(self.deploy_version(principal, m.clone(), v, None, true, &ctx)).await
                })
                .await;
            match rolled {
                Ok(rec) => {
                    return Ok(ConfigAction::RolledOut {
                        version: v.version,
                        attempt: rec.attempt,
                    });
                }
                // Busy or unreachable: keep the change as "needs restart" rather than lose it.
                Err(e) if e.is_retryable() => {
                    tracing::warn!(job = %job, error = %e, "configuration roll-out postponed");
                }
                Err(e) => return Err(e),
            }
        }
        let mark = NeedsRestart {
            version: v.version,
            cause: change.cause.to_string(),
        };
        let w = self
            .job_write(m, move |j| j.needs_restart = Some(mark))
            .await?;
        self.store.write_docs(&[w]).await?;
        Ok(ConfigAction::NeedsRestart { version: v.version })
    }

    async fn config_rejected(&self, job: &JobId, key: &ConfigKey, reason: &str) {
        let principal = Principal::user(CONFIG_PRINCIPAL);
        let ctx = &AuditCtx::job(job);
        ctx.set_note(reason);
        let _ = self
            .audited(&principal, "config.apply", ctx, async {
                if let Some(m) =
                    load::<ManagedJob>(&*self.store, DocKind::Job, job.as_str(), "").await?
                {
                    ctx.set_team(&m.team);
                }
                Err::<(), _>(Error::invalid_config(
                    "config",
                    key.to_string(),
                    reason.to_string(),
                ))
            })
            .await;
        let action = ConfigAction::Rejected {
            reason: reason.to_string(),
        };
        self.config_event(job, "config_rejected", reason, &action)
            .await;
    }

    async fn config_event(&self, job: &JobId, kind: &str, cause: &str, action: &ConfigAction) {
        let attempt = self.engine.job(job).await.map_or(0, |v| v.attempt);
        let ev = EventRecord::new(
            job.clone(),
            attempt,
            kind,
            CONFIG_PRINCIPAL,
            serde_json::json!({"cause": cause, "action": describe(action)}),
            self.now(),
        );
        if let Err(e) = self.store.append_event(&ev).await {
            tracing::warn!(job = %job, error = %e, "cannot record a configuration event");
        }
    }
}

/// One document's change, as applied to one job.
struct Change<'a> {
    key: &'a ConfigKey,
    changed_keys: &'a [String],
    apply: ApplyMode,
    config: &'a FlatConfig,
    cause: &'a str,
}

impl Change<'_> {
    /// The job's spec with the document's changed keys applied, and the secret keys left out.
    fn spec_for(&self, current: &JobSpec) -> Result<(JobSpec, Vec<String>)> {
        let changed: BTreeSet<&str> = self.changed_keys.iter().map(String::as_str).collect();
        let mut secrets = Vec::new();
        // Only the changed keys, without secret values.
        let mut doc = FlatConfig::new();
        for (k, v) in self.config.iter() {
            if !changed.contains(k) {
                continue;
            }
            if v.is_secret() {
                secrets.push(k.to_string());
                continue;
            }
            doc.insert(k, v.clone());
        }
        // Restart policies are read whole: give `apply_to_spec` every restart key when one
        // changed.
        if changed.iter().any(|k| k.starts_with("streampark.restart.")) {
            for (k, v) in self.config.iter() {
                if k.starts_with("streampark.restart.") && !v.is_secret() {
                    doc.insert(k, v.clone());
                }
            }
        }
        let mut spec = current.clone();
        doc.apply_to_spec(&mut spec)?;
        for k in &changed {
            let present = self.config.get(k).is_some();
            if let Some(label) = k.strip_prefix("streampark.alert.") {
                let name = format!("streampark.alert.{label}");
                match self.config.get(k) {
                    Some(v) if !v.is_secret() => {
                        spec.labels.insert(name, v.expose().to_string());
                    }
                    Some(_) => {}
                    None => {
                        spec.labels.remove(&name);
                    }
                }
            } else if !present && !k.starts_with("streampark.") {
                spec.config.remove(*k);
                if *k == "parallelism.default" {
                    spec.parallelism = None;
                }
            }
        }
        Ok((spec, secrets))
    }
}

fn describe(a: &ConfigAction) -> String {
    match a {
        ConfigAction::Unchanged => "unchanged".into(),
        ConfigAction::Saved { version } => format!("version {version} saved for the next deploy"),
        ConfigAction::AppliedLive { version } => format!("version {version} applied live"),
        ConfigAction::RolledOut { version, attempt } => {
            format!("version {version} rolled out as attempt {attempt}")
        }
        ConfigAction::NeedsRestart { version } => {
            format!("version {version} needs a restart")
        }
        ConfigAction::Rejected { reason } => format!("rejected: {reason}"),
    }
}
