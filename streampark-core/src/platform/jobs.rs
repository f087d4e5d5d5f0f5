//! The job operations of [`Platform`]: create, update, check, deploy, stop, savepoint, restart,
//! rollback, delete, list, versions, diff, logs, events.

use super::audit::Change;
use super::auth::{Permission, Principal, Resource};
use super::facade::{AuditCtx, Platform};
use super::store::{DocKind, DocWrite, load, load_all, num_key};
use super::version::{
    DeployRecord, JobVersion, MASK, ManagedJob, TeamVariable, VersionDiff, artifact_changes, diff,
    spec_changes,
};
use crate::artifact::ArtifactRef;
use crate::config::Variables;
use crate::{
    DeployRequest, DeployerExt, Error, JobId, JobSnapshot, JobSpec, LogOptions, Logs, Program,
    Restore, Result, SavepointOptions, SavepointRef, SqlReport, StopOptions, StopOutcome,
};

/// How to stop a job through the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StopHow {
    /// Stop with a savepoint into the cluster's default directory (recorded for the next
    /// deploy with [`Restore::Latest`]).
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

    fn check_sql(&self, spec: &JobSpec) -> Result<()> {
        let Some(script) = script_of(spec) else {
            return Ok(());
        };
        let report = self.checker.check(script);
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

    async fn add_version(
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
            },
        };
        // The immutable version and the job's pointer to it: one write, all or nothing.
        let mut version = DocWrite::put_value(DocKind::Version, id, &num_key(next), &v)?;
        version.mode = super::store::WriteMode::Insert;
        let batch = [version, DocWrite::put_value(DocKind::Job, id, "", &m)?];
        if !self.store.put_all(&batch).await? {
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
            if self.store.get(DocKind::Team, &team, "").await?.is_none() {
                return Err(Error::invalid_input(
                    "platform",
                    "owner team",
                    format!("job `{}`", spec.id),
                    format!("team `{team}` does not exist"),
                ));
            }
            if self
                .store
                .get(DocKind::Job, spec.id.as_str(), "")
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
            self.check_sql(&spec)?;
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
            self.check_sql(&spec)?;
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
            let report = self.checker.check(s);
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

    async fn is_running(&self, m: &ManagedJob) -> Result<bool> {
        let Some(d) = &m.deployed else {
            return Ok(false);
        };
        let snap = self
            .deployer
            .status(&crate::DeploymentId::new(&d.deployment))
            .await?;
        Ok(snap.is_some_and(|s| !s.state.is_terminal()))
    }

    /// Resolves variables and artifacts and deploys `v`; records the deploy. The caller has
    /// checked `job.deploy`.
    pub(super) async fn deploy_version(
        &self,
        p: &Principal,
        m: ManagedJob,
        v: &JobVersion,
        restore: Option<String>,
        ctx: &AuditCtx,
    ) -> Result<DeployRecord> {
        let id = v.spec.id.as_str();
        let m = self.reconciled(m).await?;
        if self.is_running(&m).await? {
            let a = m.deployed.as_ref().map_or(0, |d| d.attempt);
            return Err(Error::invalid_input(
                "platform",
                "deploy",
                format!("job `{}`", v.spec.id),
                format!("attempt {a} is running; stop it first or use restart"),
            ));
        }
        let (real_vars, masked_vars) = self.team_vars(&m.team).await?;
        // Errors come from the masked expansion, so they can never carry a secret value.
        let mut masked = expand_spec(&v.spec, &masked_vars, &m.team)?;
        let mut real = expand_spec(&v.spec, &real_vars, &m.team)?;
        self.resolve_artifacts(v, &mut real, &mut masked).await?;
        let restore = restore.or(match &real.restore {
            Restore::Latest => m.last_savepoint.clone(),
            _ => None,
        });
        let attempt = self.store.next_attempt(v.spec.id.as_str()).await?;
        let mut req = DeployRequest::new(real, attempt);
        if let Some(r) = &restore {
            req = req.with_restore_path(r.clone());
        }
        let mut rec = DeployRecord {
            attempt,
            version: v.version,
            deployment: String::new(),
            by: p.id().to_string(),
            at_ms: self.now(),
            restored_from: restore,
            resolved: masked,
            web_url: None,
            pending: true,
        };
        // The intent goes first: whatever happens after the deployer accepted the job, the
        // store knows that attempt `attempt` may run.
        let intent = DocWrite::put_value(DocKind::Deploy, id, &num_key(attempt), &rec)?;
        self.store.put_all(&[intent]).await?;
        let dep = match self.deployer.deploy(req).await {
            Ok(dep) => dep,
            Err(e) => {
                // The call may have started the job anyway (a timeout): look now; what stays
                // unknown stays pending for the next call.
                if let Err(re) = self.reconcile(&v.spec.id).await {
                    tracing::warn!(job = id, attempt, error = %re, "cannot reconcile a failed deploy");
                }
                return Err(e);
            }
        };
        rec.deployment = dep.id.to_string();
        rec.web_url = dep.web_url.clone();
        rec.pending = false;
        let rec2 = rec.clone();
        let batch = [
            DocWrite::put_value(DocKind::Deploy, id, &num_key(attempt), &rec)?,
            self.job_write(m, move |j| j.deployed = Some(rec2)).await?,
        ];
        if let Err(e) = self.store.put_all(&batch).await {
            return Err(Error::Other {
                backend: "platform",
                message: format!(
                    "job `{id}` attempt {attempt} was deployed as `{}` but the platform store \
                     could not record it (it stays pending; the next deploy, restart or \
                     rollback of the job reconciles it with the cluster)",
                    dep.id
                ),
                source: Some(Box::new(e)),
            });
        }
        ctx.set_note(format!("version {} attempt {attempt}", v.version));
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
    async fn job_write(
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
            .put_all(&[w])
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

    /// `m` after [`Platform::reconcile`], re-read when that changed something.
    async fn reconciled(&self, m: ManagedJob) -> Result<ManagedJob> {
        let id = m.current.spec.id.clone();
        Ok(if self.reconcile(&id).await? {
            load(&*self.store, DocKind::Job, id.as_str(), "")
                .await?
                .unwrap_or(m)
        } else {
            m
        })
    }

    /// Settles the job's pending deploy records against what the cluster shows: a pending
    /// attempt the cluster knows is completed (and becomes the deployed one when it is the
    /// newest), one it does not know is dropped. All in one store write. `true` when
    /// something changed.
    async fn reconcile(&self, job_id: &JobId) -> Result<bool> {
        let job = job_id.as_str();
        let pending: Vec<DeployRecord> = load_all(&*self.store, DocKind::Deploy, Some(job))
            .await?
            .into_iter()
            .filter(|d: &DeployRecord| d.pending)
            .collect();
        if pending.is_empty() {
            return Ok(false);
        }
        let on_cluster = self.deployer.job_deployments(job_id).await?;
        let mut batch = Vec::new();
        let mut newest: Option<DeployRecord> = None;
        for mut rec in pending {
            let key = num_key(rec.attempt);
            match on_cluster.iter().find(|s| s.attempt == rec.attempt) {
                Some(snap) => {
                    rec.deployment = snap.deployment.to_string();
                    rec.web_url = snap.web_url.clone();
                    rec.pending = false;
                    tracing::info!(job, attempt = rec.attempt, deployment = %snap.deployment, "recorded a deploy the store had missed");
                    batch.push(DocWrite::put_value(DocKind::Deploy, job, &key, &rec)?);
                    if newest.as_ref().is_none_or(|n| n.attempt < rec.attempt) {
                        newest = Some(rec);
                    }
                }
                None => {
                    tracing::info!(
                        job,
                        attempt = rec.attempt,
                        "dropped a deploy the cluster never started"
                    );
                    batch.push(DocWrite::delete(DocKind::Deploy, job, key));
                }
            }
        }
        if let Some(rec) = newest
            && let Some(mut m) = load::<ManagedJob>(&*self.store, DocKind::Job, job, "").await?
            && m.deployed.as_ref().is_none_or(|d| d.attempt < rec.attempt)
        {
            m.deployed = Some(rec);
            batch.push(DocWrite::put_value(DocKind::Job, job, "", &m)?);
        }
        self.store.put_all(&batch).await?;
        Ok(true)
    }

    /// Deploys the job's current version (variables resolved at this moment). A job already
    /// running is refused (use [`Platform::restart`]).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.deploy`; an undefined variable
    /// ([`Error::InvalidConfig`]); the deployer's errors.
    pub async fn deploy(&self, p: &Principal, job: &JobId) -> Result<DeployRecord> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.deploy", ctx, async move {
            let m = self.job_with(p, Permission::JobDeploy, job, ctx).await?;
            let v = m.current.clone();
            self.claimed(job, "job.deploy", p.id(), async {
                self.deploy_version(p, m, &v, None, ctx).await
            })
            .await
        })
        .await
    }

    pub(super) async fn stop_inner(&self, m: ManagedJob, how: StopHow) -> Result<StopOutcome> {
        let m = self.reconciled(m).await?;
        let Some(d) = &m.deployed else {
            return Ok(StopOutcome::AlreadyGone);
        };
        let opts = match how {
            StopHow::Savepoint if self.deployer.capabilities().stop_with_savepoint() => {
                StopOptions::savepoint_default_dir()
            }
            _ => StopOptions::cancel(),
        };
        let out = self
            .deployer
            .stop(&crate::DeploymentId::new(&d.deployment), opts)
            .await?;
        if let StopOutcome::Stopped {
            savepoint: Some(sp),
        } = &out
        {
            self.record_savepoint(m, sp.path.clone()).await?;
        }
        Ok(out)
    }

    /// Stops the job (with a savepoint when the backend can and `how` asks for it).
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

    /// Triggers a savepoint of the running deployment.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.savepoint`; [`Error::NotFound`] when nothing
    /// was deployed.
    pub async fn savepoint(&self, p: &Principal, job: &JobId) -> Result<SavepointRef> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.savepoint", ctx, async move {
            let m = self.job_with(p, Permission::JobSavepoint, job, ctx).await?;
            let d = m.deployed.as_ref().ok_or_else(|| {
                Error::not_found("platform", format!("a deployment of job `{job}`"))
            })?;
            let sp = self
                .deployer
                .savepoint(
                    &crate::DeploymentId::new(&d.deployment),
                    SavepointOptions::default(),
                )
                .await?;
            self.record_savepoint(m, sp.path.clone()).await?;
            ctx.set_note(sp.path.clone());
            Ok(sp)
        })
        .await
    }

    /// Stops the job with a savepoint (when the backend can) and deploys its current version
    /// restoring from it. Needs `job.stop` and `job.deploy`.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`]; the deployer's errors.
    pub async fn restart(&self, p: &Principal, job: &JobId) -> Result<DeployRecord> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.restart", ctx, async move {
            let m = self.job_with(p, Permission::JobDeploy, job, ctx).await?;
            self.job_with(p, Permission::JobStop, job, ctx).await?;
            self.claimed(job, "job.restart", p.id(), self.redeploy(p, m, ctx))
                .await
        })
        .await
    }

    /// Stops the running deployment with a savepoint (when the backend can); the savepoint
    /// to restore from.
    async fn stop_for_redeploy(&self, m: ManagedJob) -> Result<Option<String>> {
        Ok(match self.stop_inner(m, StopHow::Savepoint).await? {
            StopOutcome::Stopped {
                savepoint: Some(sp),
            } => Some(sp.path),
            _ => None,
        })
    }

    async fn redeploy(&self, p: &Principal, m: ManagedJob, ctx: &AuditCtx) -> Result<DeployRecord> {
        let restore = self.stop_for_redeploy(m).await?;
        let job = ctx.job_id().unwrap_or_default();
        let m: ManagedJob = load(&*self.store, DocKind::Job, &job, "")
            .await?
            .ok_or_else(|| Error::not_found("platform", format!("job `{job}`")))?;
        let v = m.current.clone();
        self.deploy_version(p, m, &v, restore, ctx).await
    }

    /// Creates a new version equal to version `to` (a rollback is an edit, never a rewrite of
    /// history); with `redeploy`, stops the running deployment with a savepoint and deploys
    /// the new version restoring from it (needs `job.deploy` and `job.stop` too).
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
        // Stop first: if the savepoint cannot be taken, nothing has changed yet.
        let restore = if redeploy {
            Some(self.stop_for_redeploy(m.clone()).await?)
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
        let deployed = match restore {
            Some(restore) => {
                let m: ManagedJob = load(&*self.store, DocKind::Job, job.as_str(), "")
                    .await?
                    .ok_or_else(|| Error::not_found("platform", format!("job `{job}`")))?;
                Some(self.deploy_version(p, m, &v, restore, ctx).await?)
            }
            None => None,
        };
        ctx.set_note(format!("version {} = version {to}", v.version));
        Ok((v, deployed))
    }

    /// Deletes a job and its versions (cancelling a running deployment first). Its audit
    /// records stay.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.delete`.
    pub async fn delete_job(&self, p: &Principal, job: &JobId) -> Result<()> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.delete", ctx, async move {
            let m = self.job_with(p, Permission::JobDelete, job, ctx).await?;
            self.claimed(job, "job.delete", p.id(), async {
                let m = self.reconciled(m).await?;
                if self.is_running(&m).await? {
                    self.stop_inner(m, StopHow::Cancel).await?;
                }
                // The job and its versions go in one write.
                let mut batch: Vec<DocWrite> = self
                    .store
                    .list(DocKind::Version, Some(job.as_str()))
                    .await?
                    .into_iter()
                    .map(|d| DocWrite::delete(DocKind::Version, d.key, d.sub))
                    .collect();
                batch.push(DocWrite::delete(DocKind::Job, job.as_str(), ""));
                self.store.put_all(&batch).await?;
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

    /// What the cluster shows for the job's deployments, newest attempt first.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `job.view`; the deployer's errors.
    pub async fn events(&self, p: &Principal, job: &JobId) -> Result<Vec<JobSnapshot>> {
        let ctx = &AuditCtx::job(job);
        self.audited(p, "job.events", ctx, async move {
            self.job_with(p, Permission::JobView, job, ctx).await?;
            self.deployer.job_deployments(job).await
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
            let m = self.job_with(p, Permission::JobView, job, ctx).await?;
            let d = m.deployed.as_ref().ok_or_else(|| {
                Error::not_found("platform", format!("a deployment of job `{job}`"))
            })?;
            self.deployer
                .logs(&crate::DeploymentId::new(&d.deployment), opts)
                .await
        })
        .await
    }
}
