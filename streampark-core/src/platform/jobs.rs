//! The job operations of [`Platform`]: create, update, check, deploy, stop, savepoint, restart,
//! rollback, delete, list, versions, diff, logs, events.

use super::audit::Change;
use super::auth::{Permission, Principal, Resource};
use super::facade::{AuditCtx, Platform};
use super::version::{
    DeployRecord, JobVersion, MASK, ManagedJob, TeamVariable, VersionDiff, artifact_changes, diff,
    spec_changes,
};
use crate::store::{DocKind, DocWrite, load, load_all, num_key};
use std::sync::Arc;

use crate::artifact::ArtifactRef;
use crate::config::Variables;
use crate::store::{DesiredState, EventRecord};
use crate::supervisor::JobView;
use crate::{
    Error, FlinkSqlChecker, FlinkVersion, JobId, JobSpec, LogOptions, Logs, Program, Restore,
    Result, SavepointOptions, SavepointRef, SqlChecker, SqlReport, StopOptions, StopOutcome,
};

/// A version ready to start (see `Platform::prepare`).
pub(super) struct Prepared {
    /// What the cluster gets.
    pub(super) real: JobSpec,
    /// What records show (secrets masked).
    masked: JobSpec,
    /// The cluster it is placed on.
    cluster: String,
}

/// How to stop a job through the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StopHow {
    /// Stop with a savepoint into the cluster's default directory (recorded as the job's
    /// restore point, used by the next deploy with [`Restore::Latest`]).
    #[default]
    Savepoint,
    /// Cancel without a savepoint.
    Cancel,
}

fn script_of(spec: &JobSpec) -> Option<&str> {
    match &spec.program {
        Program::Sql { script } => Some(script),
        _ => None,
    }
}

/// Expands `${var}` in every string a backend reads from the spec.
fn expand_spec(spec: &JobSpec, vars: &Variables, team: &str) -> Result<JobSpec> {
    let mut s = spec.clone();
    let origin = format!("job `{}`", spec.id);
    let x = |text: &str, key: &str| vars.expand(text, Some(team), key, &origin).map(|(v, _)| v);
    s.name = x(&s.name, "name")?;
    for (k, v) in s.config.iter_mut() {
        *v = x(v, &format!("config.{k}"))?;
    }
    s.program = match &s.program {
        Program::Sql { script } => Program::Sql {
            script: x(script, "program.script")?,
        },
        Program::Jar {
            artifact,
            entry_class,
            args,
        } => Program::Jar {
            artifact: x(artifact, "program.artifact")?,
            entry_class: entry_class.clone(),
            args: args
                .iter()
                .map(|a| x(a, "program.args"))
                .collect::<Result<_>>()?,
        },
    };
    for j in s.jars.iter_mut() {
        *j = x(j, "jars")?;
    }
    if let Restore::Path(p) = &s.restore {
        s.restore = Restore::Path(x(p, "restore")?);
    }
    Ok(s)
}

impl Platform {
    async fn team_vars(&self, team: &str) -> Result<(Variables, Variables)> {
        let vars: Vec<TeamVariable> = load_all(&*self.store, DocKind::Variable, Some(team)).await?;
        let (mut real, mut masked) = (Variables::new(), Variables::new());
        for v in vars {
            if v.secret {
                real = real.with_secret_team(team, &v.name, &v.value);
                masked = masked.with_secret_team(team, &v.name, MASK);
            } else {
                real = real.with_team(team, &v.name, &v.value);
                masked = masked.with_team(team, &v.name, &v.value);
            }
        }
        Ok((real, masked))
    }

    /// The checker for a job placed on a cluster of `version`: the host's checker when it set
    /// one, else Flink's grammar of that version (the oldest modelled for older releases, the
    /// newest when the version is unknown).
    pub(super) fn checker_for(&self, version: Option<&FlinkVersion>) -> Arc<dyn SqlChecker> {
        if let Some(c) = &self.checker {
            return c.clone();
        }
        let c = match version {
            None => FlinkSqlChecker::new(),
            Some(v) => FlinkSqlChecker::for_version(v).unwrap_or_else(|_| {
                FlinkSqlChecker::for_version(&FlinkVersion::new(1, 15, 0))
                    .unwrap_or_else(|_| FlinkSqlChecker::new())
            }),
        };
        Arc::new(c)
    }

    /// The Flink version of the cluster the spec is placed on.
    pub(super) fn placed_version(&self, spec: &JobSpec) -> Result<Option<FlinkVersion>> {
        Ok(self.engine.place(spec)?.flink_version)
    }

    pub(super) fn check_sql(&self, spec: &JobSpec, version: Option<&FlinkVersion>) -> Result<()> {
        let Some(script) = script_of(spec) else {
            return Ok(());
        };
        let report = self.checker_for(version).check(script);
        match report.first_error() {
            None => Ok(()),
            Some(d) => Err(Error::invalid_input(
                "platform",
                "SQL script",
                format!(
                    "job `{}` line {}, column {}",
                    spec.id, d.span.line, d.span.column
                ),
                d.message.clone(),
            )),
        }
    }

    pub(super) async fn add_version(
        &self,
        p: &Principal,
        team: &str,
        old: Option<ManagedJob>,
        spec: JobSpec,
        artifacts: Vec<ArtifactRef>,
        message: &str,
    ) -> Result<JobVersion> {
        let next = old.as_ref().map_or(1, |m| m.current.version + 1);
        let v = JobVersion {
            version: next,
            author: p.id().to_string(),
            created_ms: self.now(),
            message: message.to_string(),
            spec,
            artifacts,
        };
        let id = v.spec.id.as_str();
        let m = match old {
            Some(mut m) => {
                m.current = v.clone();
                m
            }
            None => ManagedJob {
                team: team.to_string(),
                current: v.clone(),
                deployed: None,
                last_savepoint: None,
                needs_restart: None,
            },
        };
        // The immutable version and the job's pointer to it: one write, all or nothing.
        let mut version = DocWrite::put_value(DocKind::Version, id, &num_key(next), &v)?;
        version.mode = crate::store::WriteMode::Insert;
        let batch = [version, DocWrite::put_value(DocKind::Job, id, "", &m)?];
        if !self.store.write_docs(&batch).await? {
            return Err(Error::invalid_input(
                "platform",
                "job version",
                format!("job `{id}` version {next}"),
                "another edit created this version first; reload and retry",
            ));
        }
        Ok(v)
    }

    /// Creates a job in the team named by `spec.owner.team` (version 1). SQL is checked first.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.create`; [`Error::InvalidInput`] for an
    /// existing job, an unknown team or a SQL error (with its position).
    pub async fn create_job(
        &self,
        p: &Principal,
        spec: JobSpec,
        message: &str,
    ) -> Result<JobVersion> {
        self.create_job_with_artifacts(p, spec, Vec::new(), message)
            .await
    }

    /// [`Platform::create_job`] with artifacts (connector, CDC, UDF jars) that every deploy
    /// resolves and ships with the job.
    ///
    /// # Errors
    /// As [`Platform::create_job`].
    pub async fn create_job_with_artifacts(
        &self,
        p: &Principal,
        spec: JobSpec,
        artifacts: Vec<ArtifactRef>,
        message: &str,
    ) -> Result<JobVersion> {
        let team = spec.owner.team.clone();
        let ctx = AuditCtx::job(&spec.id).with_team(Some(team.clone()));
        let ctx = &ctx;
        self.audited(p, "job.create", ctx, async move {
            self.authorize(
                p,
                Some(Permission::JobCreate),
                &Resource::Team(team.clone()),
            )
            .await?;
            if self.store.doc(DocKind::Team, &team, "").await?.is_none() {
                return Err(Error::invalid_input(
                    "platform",
                    "owner team",
                    format!("job `{}`", spec.id),
                    format!("team `{team}` does not exist"),
                ));
            }
            if self
                .store
                .doc(DocKind::Job, spec.id.as_str(), "")
                .await?
                .is_some()
            {
                return Err(Error::invalid_input(
                    "platform",
                    "job id",
                    format!("`{}`", spec.id),
                    "a job with this id exists",
                ));
            }
            let version = self.placed_version(&spec)?;
            self.check_sql(&spec, version.as_ref())?;
            check_artifacts(&artifacts, version.as_ref())?;
            let mut changes = spec_changes(None, &spec);
            changes.extend(artifact_changes(&[], &artifacts));
            ctx.set_changes(changes);
            let v = self
                .add_version(p, &team, None, spec, artifacts, message)
                .await?;
            ctx.set_note(format!("version {}", v.version));
            Ok(v)
        })
        .await
    }

    /// Saves a new version of a job's spec and SQL. Changing Flink configuration also needs
    /// `config.write`, changing labels (alert routing) `alert_route.edit`. An unchanged spec
    /// creates no version and returns the current one.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`]; [`Error::InvalidInput`] for a team change or a SQL error.
    pub async fn update_job(
        &self,
        p: &Principal,
        spec: JobSpec,
        message: &str,
    ) -> Result<JobVersion> {
        self.update_job_with_artifacts(p, spec, None, message).await
    }

    /// [`Platform::update_job`] that also sets the job's artifacts (`None` keeps them).
    ///
    /// # Errors
    /// As [`Platform::update_job`].
    pub async fn update_job_with_artifacts(
        &self,
        p: &Principal,
        spec: JobSpec,
        artifacts: Option<Vec<ArtifactRef>>,
        message: &str,
    ) -> Result<JobVersion> {
        let ctx = &AuditCtx::job(&spec.id);
        self.audited(p, "job.edit", ctx, async move {
            let m = self.job_with(p, Permission::JobEdit, &spec.id, ctx).await?;
            let res = Resource::Job {
                team: m.team.clone(),
                job: spec.id.to_string(),
            };
            if spec.owner.team != m.team {
                return Err(Error::invalid_input(
                    "platform",
                    "owner team",
                    format!("job `{}`", spec.id),
                    format!("a job stays in its team `{}`", m.team),
                ));
            }
            if spec.config != m.current.spec.config {
                self.authorize(p, Some(Permission::ConfigWrite), &res)
                    .await?;
            }
            if spec.labels != m.current.spec.labels {
                self.authorize(p, Some(Permission::AlertRouteEdit), &res)
                    .await?;
            }
            let artifacts = artifacts.unwrap_or_else(|| m.current.artifacts.clone());
            if spec == m.current.spec && artifacts == m.current.artifacts {
                ctx.set_note(format!("unchanged, version {}", m.current.version));
                return Ok(m.current);
            }
            let version = self.placed_version(&spec)?;
            self.check_sql(&spec, version.as_ref())?;
            check_artifacts(&artifacts, version.as_ref())?;
            let mut changes = spec_changes(Some(&m.current.spec), &spec);
            changes.extend(artifact_changes(&m.current.artifacts, &artifacts));
            ctx.set_changes(changes);
            let team = m.team.clone();
            let v = self
                .add_version(p, &team, Some(m), spec, artifacts, message)
                .await?;
            ctx.set_note(format!("version {}", v.version));
            Ok(v)
        })
        .await
    }

    /// Checks a script with the SQL checker: `script`, or the job's current SQL when `None`.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.view`.
    pub async fn check(
        &self,
        p: &Principal,
        job: &JobId,
        script: Option<&str>,
    ) -> Result<SqlReport> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.check", ctx, async move {
            let m = self.job_with(p, Permission::JobView, job, ctx).await?;
            let s = script.or(script_of(&m.current.spec)).unwrap_or("");
            let version = self.placed_version(&m.current.spec).ok().flatten();
            let report = self.checker_for(version.as_ref()).check(s);
            ctx.set_note(format!("{} errors", report.errors().count()));
            Ok(report)
        })
        .await
    }

    /// One job with its current version and deployment. Configuration values are shown as
    /// `******` to principals without `config.read`.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.view`.
    pub async fn job(&self, p: &Principal, job: &JobId) -> Result<ManagedJob> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.view", ctx, async move {
            let m = self.job_with(p, Permission::JobView, job, ctx).await?;
            self.redact_config(p, m).await
        })
        .await
    }

    async fn may(&self, p: &Principal, perm: Permission, team: &str, job: &str) -> bool {
        let res = Resource::Job {
            team: team.into(),
            job: job.into(),
        };
        self.authorize(p, Some(perm), &res).await.is_ok()
    }

    async fn redact_config(&self, p: &Principal, mut m: ManagedJob) -> Result<ManagedJob> {
        if !self
            .may(
                p,
                Permission::ConfigRead,
                &m.team,
                m.current.spec.id.as_str(),
            )
            .await
        {
            for v in m.current.spec.config.values_mut() {
                *v = MASK.into();
            }
            if let Some(d) = m.deployed.as_mut() {
                for v in d.resolved.config.values_mut() {
                    *v = MASK.into();
                }
            }
        }
        Ok(m)
    }

    /// The jobs the principal may view, by id.
    ///
    /// # Errors
    /// Store errors.
    pub async fn list(&self, p: &Principal) -> Result<Vec<ManagedJob>> {
        let ctx = &AuditCtx::default();
        self.audited(p, "job.list", ctx, async move {
            let all: Vec<ManagedJob> = load_all(&*self.store, DocKind::Job, None).await?;
            let mut out = Vec::new();
            for m in all {
                if self
                    .may(p, Permission::JobView, &m.team, m.current.spec.id.as_str())
                    .await
                {
                    out.push(self.redact_config(p, m).await?);
                }
            }
            ctx.set_note(format!("{} jobs", out.len()));
            Ok(out)
        })
        .await
    }

    /// Every version of a job, oldest first.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.view`.
    pub async fn versions(&self, p: &Principal, job: &JobId) -> Result<Vec<JobVersion>> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.versions", ctx, async move {
            self.job_with(p, Permission::JobView, job, ctx).await?;
            load_all(&*self.store, DocKind::Version, Some(job.as_str())).await
        })
        .await
    }

    async fn version_of(&self, job: &JobId, n: u64) -> Result<JobVersion> {
        load(&*self.store, DocKind::Version, job.as_str(), &num_key(n))
            .await?
            .ok_or_else(|| Error::not_found("platform", format!("version {n} of job `{job}`")))
    }

    /// The diff between two versions: unified diff of the SQL, key-level for the rest.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.view`; [`Error::NotFound`] for a version.
    pub async fn diff(
        &self,
        p: &Principal,
        job: &JobId,
        from: u64,
        to: u64,
    ) -> Result<VersionDiff> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.diff", ctx, async move {
            self.job_with(p, Permission::JobView, job, ctx).await?;
            let (a, b) = (
                self.version_of(job, from).await?,
                self.version_of(job, to).await?,
            );
            Ok(diff(&a, &b))
        })
        .await
    }

    /// The engine's view of a job the platform wants running (`None` when it is stopped, given
    /// up or not managed).
    pub(super) async fn wanted_running(&self, job: &JobId) -> Result<Option<JobView>> {
        Ok(self
            .engine
            .reload_job(job)
            .await?
            .filter(|v| v.desired == DesiredState::Running))
    }

    /// Variables and artifacts resolved into the spec of `v`: (what the cluster gets, what
    /// records show with secrets masked). Errors come from the masked expansion, so they can
    /// never carry a secret value.
    async fn resolved(&self, team: &str, v: &JobVersion) -> Result<(JobSpec, JobSpec)> {
        let (real_vars, masked_vars) = self.team_vars(team).await?;
        let mut masked = expand_spec(&v.spec, &masked_vars, team)?;
        let mut real = expand_spec(&v.spec, &real_vars, team)?;
        self.resolve_artifacts(v, &mut real, &mut masked).await?;
        Ok((real, masked))
    }

    /// Version `v` made ready to start: variables and artifacts resolved, placed by its
    /// cluster label and Flink version, its SQL checked by that version. Nothing starts.
    pub(super) async fn prepare(&self, team: &str, v: &JobVersion) -> Result<Prepared> {
        // Connectors built for another Flink are refused before anything is fetched.
        if let Ok(place) = self.engine.place(&v.spec) {
            check_artifacts(&v.artifacts, place.flink_version.as_ref())?;
        }
        let (real, masked) = self.resolved(team, v).await?;
        let place = self.engine.place(&real)?;
        self.check_sql(&real, place.flink_version.as_ref())?;
        Ok(Prepared {
            real,
            masked,
            cluster: place.cluster,
        })
    }

    /// Stop options for a job on `cluster`: with a savepoint when asked for and the backend
    /// can take one, else a cancel.
    fn stop_options(&self, cluster: &str, savepoint: bool) -> StopOptions {
        let can = self
            .engine
            .cluster(cluster)
            .is_some_and(|d| d.capabilities().stop_with_savepoint());
        if savepoint && can {
            StopOptions::savepoint_default_dir()
        } else {
            StopOptions::cancel()
        }
    }

    /// Hands version `v` to the engine ([`Platform::prepare`]d, or prepared here), recorded
    /// as the job's spec. With `roll_out`, the live attempt is stopped with a savepoint (when
    /// the backend can) and the next one restores from it; otherwise the job must not be
    /// wanted running already. Waits (at most the start wait) for the engine to start the
    /// attempt, then records the deploy. The caller has checked the permissions.
    ///
    /// Its future is large (resolve, place, manage, roll-out, start): callers box it, so that
    /// nested platform calls do not overflow a thread's stack.
    pub(super) async fn deploy_version(
        &self,
        p: &Principal,
        m: ManagedJob,
        v: &JobVersion,
        prepared: Option<Prepared>,
        roll_out: bool,
        ctx: &AuditCtx,
    ) -> Result<DeployRecord> {
        let id = &v.spec.id;
        let live = self.wanted_running(id).await?;
        if let (Some(view), false) = (&live, roll_out) {
            return Err(Error::invalid_input(
                "platform",
                "deploy",
                format!("job `{id}`"),
                format!(
                    "attempt {} is wanted running on cluster `{}`; stop it first or use restart",
                    view.attempt, view.cluster
                ),
            ));
        }
        // Before anything starts: a cluster that satisfies the job, and SQL that its Flink
        // version accepts.
        let Prepared {
            real,
            masked,
            cluster,
        } = match prepared {
            Some(pr) => pr,
            None => self.prepare(&m.team, v).await?,
        };
        let before = self.engine.job(id).await.map_or(0, |j| j.attempt);
        self.engine.manage(real).await?;
        if live.is_some() {
            let out = self
                .engine
                .roll_out(id, self.stop_options(&cluster, true))
                .await?;
            if let StopOutcome::Stopped {
                savepoint: Some(sp),
            } = &out
            {
                self.record_savepoint(m.clone(), sp.path.clone()).await?;
            }
        }
        let view = self.engine.start_now(id, before, self.start_wait).await?;
        let rec = DeployRecord {
            attempt: view.attempt,
            version: v.version,
            deployment: view
                .deployment
                .as_ref()
                .map(|d| d.to_string())
                .unwrap_or_default(),
            by: p.id().to_string(),
            at_ms: self.now(),
            restored_from: view.restored_from.clone(),
            resolved: masked,
            web_url: None,
            cluster: view.cluster.clone(),
        };
        let rec2 = rec.clone();
        let batch = [
            DocWrite::put_value(DocKind::Deploy, id.as_str(), &num_key(rec.attempt), &rec)?,
            self.job_write(m, move |j| {
                j.deployed = Some(rec2);
                j.needs_restart = None;
            })
            .await?,
        ];
        if let Err(e) = self.store.write_docs(&batch).await {
            return Err(Error::Other {
                backend: "platform",
                message: format!(
                    "job `{id}` attempt {} was started by the engine but the platform store \
                     could not record the deploy (the engine keeps running it)",
                    rec.attempt
                ),
                source: Some(Box::new(e)),
            });
        }
        if view.state == Some(crate::JobState::Failed) {
            ctx.set_note(format!(
                "version {} attempt {} failed to start",
                v.version, rec.attempt
            ));
        } else {
            ctx.set_note(format!(
                "version {} attempt {} on `{}`",
                v.version, rec.attempt, rec.cluster
            ));
        }
        Ok(rec)
    }

    /// Resolves the version's artifacts (download, checksum, cache) and appends their cached
    /// paths to the spec's jars; any failure names the artifact and nothing is deployed.
    async fn resolve_artifacts(
        &self,
        v: &JobVersion,
        real: &mut JobSpec,
        masked: &mut JobSpec,
    ) -> Result<()> {
        if v.artifacts.is_empty() {
            return Ok(());
        }
        let Some(store) = &self.artifacts else {
            return Err(Error::invalid_config(
                "platform",
                "artifact store",
                format!(
                    "job `{}` version {} has {} artifact(s) but the platform has no artifact store",
                    v.spec.id,
                    v.version,
                    v.artifacts.len()
                ),
            ));
        };
        for r in &v.artifacts {
            let resolved = store.resolve(r).await.map_err(|e| match e {
                // A repository's 401/403 is not the caller's permission: keep audit outcomes
                // meaning "the policy said no".
                Error::PermissionDenied { reason, .. } => Error::Rejected {
                    backend: "platform",
                    operation: format!("resolve artifact {}", r.display()),
                    message: reason,
                    source: None,
                },
                other => other,
            })?;
            let path = resolved.path.display().to_string();
            real.jars.push(path.clone());
            masked.jars.push(path);
        }
        Ok(())
    }

    /// The write changing one field of the stored job, re-read just before so that a
    /// concurrent edit's new version is kept (`m` is the fallback when the job vanished
    /// meanwhile).
    pub(super) async fn job_write(
        &self,
        m: ManagedJob,
        change: impl FnOnce(&mut ManagedJob),
    ) -> Result<DocWrite> {
        let id = m.current.spec.id.to_string();
        let mut fresh = load::<ManagedJob>(&*self.store, DocKind::Job, &id, "")
            .await?
            .unwrap_or(m);
        change(&mut fresh);
        DocWrite::put_value(DocKind::Job, &id, "", &fresh)
    }

    /// Records the savepoint a stop or a trigger produced; a store error names the savepoint
    /// so that the host can still restore from it.
    async fn record_savepoint(&self, m: ManagedJob, path: String) -> Result<()> {
        let id = m.current.spec.id.to_string();
        let p2 = path.clone();
        let w = self
            .job_write(m, move |j| j.last_savepoint = Some(p2))
            .await?;
        self.store
            .write_docs(&[w])
            .await
            .map(|_| ())
            .map_err(|e| Error::Other {
                backend: "platform",
                message: format!(
                    "job `{id}`: savepoint `{path}` was taken but the platform store could not \
                     record it"
                ),
                source: Some(Box::new(e)),
            })
    }

    /// Deploys the job's current version (variables resolved at this moment) through the
    /// engine, which from then on restarts it by its [`RestartPolicy`](crate::RestartPolicy).
    /// A job already wanted running is refused (use [`Platform::restart`]).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.deploy`; an undefined variable
    /// ([`Error::InvalidConfig`]); [`Error::InvalidInput`] when no cluster satisfies the job's
    /// Flink version or its SQL fails that version's checker; [`Error::Timeout`] when the
    /// engine has not started it within the start wait; the deployer's errors.
    pub async fn deploy(&self, p: &Principal, job: &JobId) -> Result<DeployRecord> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.deploy", ctx, async move {
            let m = self.job_with(p, Permission::JobDeploy, job, ctx).await?;
            let v = m.current.clone();
            self.claimed(job, "job.deploy", p.id(), async {
                Box::pin(self.deploy_version(p, m, &v, None, false, ctx)).await
            })
            .await
        })
        .await
    }

    pub(super) async fn stop_inner(&self, m: ManagedJob, how: StopHow) -> Result<StopOutcome> {
        let id = m.current.spec.id.clone();
        let Some(view) = self.engine.reload_job(&id).await? else {
            return Ok(StopOutcome::AlreadyGone);
        };
        let opts = self.stop_options(&view.cluster, how == StopHow::Savepoint);
        let out = self.engine.stop_job(&id, opts).await?;
        if let StopOutcome::Stopped {
            savepoint: Some(sp),
        } = &out
        {
            self.record_savepoint(m, sp.path.clone()).await?;
        }
        Ok(out)
    }

    /// Stops the job and keeps it stopped (with a savepoint when the backend can and `how`
    /// asks for it; the savepoint becomes the job's restore point).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.stop`; the deployer's errors.
    pub async fn stop(&self, p: &Principal, job: &JobId, how: StopHow) -> Result<StopOutcome> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.stop", ctx, async move {
            let m = self.job_with(p, Permission::JobStop, job, ctx).await?;
            self.claimed(job, "job.stop", p.id(), self.stop_inner(m, how))
                .await
        })
        .await
    }

    /// Triggers a savepoint of the running deployment (recorded as a restore point).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.savepoint`; [`Error::NotFound`] when nothing
    /// is running.
    pub async fn savepoint(&self, p: &Principal, job: &JobId) -> Result<SavepointRef> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.savepoint", ctx, async move {
            let m = self.job_with(p, Permission::JobSavepoint, job, ctx).await?;
            let sp = self
                .engine
                .savepoint(job, SavepointOptions::default())
                .await?;
            self.record_savepoint(m, sp.path.clone()).await?;
            ctx.set_note(sp.path.clone());
            Ok(sp)
        })
        .await
    }

    /// Rolls the job over to its current version: the live attempt is stopped with a
    /// savepoint (when the backend can) and the engine starts the next one restoring from it;
    /// a job that is not running is deployed. Needs `job.stop` and `job.deploy`.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`]; as [`Platform::deploy`].
    pub async fn restart(&self, p: &Principal, job: &JobId) -> Result<DeployRecord> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.restart", ctx, async move {
            let m = self.job_with(p, Permission::JobDeploy, job, ctx).await?;
            self.job_with(p, Permission::JobStop, job, ctx).await?;
            self.claimed(job, "job.restart", p.id(), async {
                let v = m.current.clone();
                Box::pin(self.deploy_version(p, m, &v, None, true, ctx)).await
            })
            .await
        })
        .await
    }

    /// Creates a new version equal to version `to` (a rollback is an edit, never a rewrite of
    /// history); with `redeploy`, rolls the job over to it as [`Platform::restart`] does
    /// (needs `job.deploy` and `job.stop` too).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.edit`; [`Error::NotFound`] for the version.
    pub async fn rollback(
        &self,
        p: &Principal,
        job: &JobId,
        to: u64,
        message: &str,
        redeploy: bool,
    ) -> Result<(JobVersion, Option<DeployRecord>)> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.rollback", ctx, async move {
            let m = self.job_with(p, Permission::JobEdit, job, ctx).await?;
            if redeploy {
                self.job_with(p, Permission::JobDeploy, job, ctx).await?;
                self.job_with(p, Permission::JobStop, job, ctx).await?;
            }
            let body = self.rollback_inner(p, job, m, to, message, redeploy, ctx);
            if redeploy {
                self.claimed(job, "job.rollback", p.id(), body).await
            } else {
                body.await
            }
        })
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn rollback_inner(
        &self,
        p: &Principal,
        job: &JobId,
        m: ManagedJob,
        to: u64,
        message: &str,
        redeploy: bool,
        ctx: &AuditCtx,
    ) -> Result<(JobVersion, Option<DeployRecord>)> {
        let old = self.version_of(job, to).await?;
        // Prepared before the version is written: nothing changes when it cannot run.
        let prepared = if redeploy {
            Some(self.prepare(&m.team, &old).await?)
        } else {
            None
        };
        let mut changes = spec_changes(Some(&m.current.spec), &old.spec);
        changes.extend(artifact_changes(&m.current.artifacts, &old.artifacts));
        ctx.set_changes(changes);
        let team = m.team.clone();
        let msg = if message.is_empty() {
            format!("rollback to version {to}")
        } else {
            message.to_string()
        };
        let v = self
            .add_version(p, &team, Some(m), old.spec, old.artifacts, &msg)
            .await?;
        let deployed = match prepared {
            Some(prepared) => {
                let m: ManagedJob = load(&*self.store, DocKind::Job, job.as_str(), "")
                    .await?
                    .ok_or_else(|| Error::not_found("platform", format!("job `{job}`")))?;
                let running = self.wanted_running(job).await?.is_some();
                Some(Box::pin(self.deploy_version(p, m, &v, Some(prepared), running, ctx)).await?)
            }
            None => None,
        };
        ctx.set_note(format!("version {} = version {to}", v.version));
        Ok((v, deployed))
    }

    /// Deletes a job and its versions (cancelling a running deployment first; the engine
    /// keeps it as stopped). Its audit records stay.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.delete`.
    pub async fn delete_job(&self, p: &Principal, job: &JobId) -> Result<()> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.delete", ctx, async move {
            let m = self.job_with(p, Permission::JobDelete, job, ctx).await?;
            self.claimed(job, "job.delete", p.id(), async {
                if self.engine.reload_job(job).await?.is_some() {
                    self.engine.stop_job(job, StopOptions::cancel()).await?;
                }
                drop(m);
                // The job and its versions go in one write.
                let mut batch: Vec<DocWrite> = self
                    .store
                    .docs(DocKind::Version, Some(job.as_str()))
                    .await?
                    .into_iter()
                    .map(|d| DocWrite::delete(DocKind::Version, d.key, d.sub))
                    .collect();
                batch.push(DocWrite::delete(DocKind::Job, job.as_str(), ""));
                self.store.write_docs(&batch).await?;
                ctx.push_change(Change::new("job", Some(job.to_string()), None));
                Ok(())
            })
            .await
        })
        .await
    }

    /// Every deployment the platform started for the job, oldest first.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.view`.
    pub async fn deploys(&self, p: &Principal, job: &JobId) -> Result<Vec<DeployRecord>> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.deploys", ctx, async move {
            self.job_with(p, Permission::JobView, job, ctx).await?;
            load_all(&*self.store, DocKind::Deploy, Some(job.as_str())).await
        })
        .await
    }

    /// The engine's event log of the job, oldest first: starts, failures, restarts, stops,
    /// checkpoint trouble, savepoints, roll-outs (at most `limit`, after sequence `after`).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.view`; store errors.
    pub async fn events(
        &self,
        p: &Principal,
        job: &JobId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<EventRecord>> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.events", ctx, async move {
            self.job_with(p, Permission::JobView, job, ctx).await?;
            self.engine.store().events(Some(job), after, limit).await
        })
        .await
    }

    /// What the engine knows of the job now: cluster, attempt, observed state, next restart.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.view`; [`Error::NotFound`] when the job was
    /// never deployed.
    pub async fn status(&self, p: &Principal, job: &JobId) -> Result<JobView> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.status", ctx, async move {
            self.job_with(p, Permission::JobView, job, ctx).await?;
            // The engine's published view: a read never waits behind a deploy in progress.
            self.engine
                .job(job)
                .await
                .ok_or_else(|| Error::not_found("platform", format!("a deployment of job `{job}`")))
        })
        .await
    }

    /// Logs of the current deployment.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.view`; [`Error::NotFound`] when nothing was
    /// deployed; the deployer's errors.
    pub async fn logs(&self, p: &Principal, job: &JobId, opts: LogOptions) -> Result<Logs> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.logs", ctx, async move {
            self.job_with(p, Permission::JobView, job, ctx).await?;
            let missing = || Error::not_found("platform", format!("a deployment of job `{job}`"));
            let view = self.engine.reload_job(job).await?.ok_or_else(missing)?;
            let dep = view.deployment.ok_or_else(missing)?;
            let deployer = self.engine.cluster(&view.cluster).ok_or_else(missing)?;
            deployer.logs(&dep, opts).await
        })
        .await
    }
}

/// Every connector of a job against the Flink release of the cluster it is placed on
/// ([`ArtifactRef::check_flink`]); nothing to check when that release is not known.
fn check_artifacts(artifacts: &[ArtifactRef], flink: Option<&FlinkVersion>) -> Result<()> {
    let Some(flink) = flink else {
        return Ok(());
    };
    artifacts.iter().try_for_each(|a| a.check_flink(flink))
}
