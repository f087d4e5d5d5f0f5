//! [`RemoteDeployer`]: a [`Deployer`] over any Flink session or standalone cluster, through
//! its REST API.
//!
//! - Jar programs are uploaded (`POST /jars/upload`, cached per file) and run
//!   (`POST /jars/:id/run`); SQL programs run through the embedded [`crate::runner`] jar.
//! - Each deployment is tagged as [`crate::deploy::tag`] documents: the job name carries the job
//!   id and attempt, and the Flink job id is derived from them, so Flink itself refuses to run an
//!   attempt twice.
//! - Extra jars ([`crate::JobSpec::jars`]) of SQL programs: each local jar is uploaded
//!   (`POST /jars/upload`, cached per content) and the SQL runner adds the uploaded file (its path
//!   on the JobManager, where web-submitted programs run) with `ADD JAR` before the script runs,
//!   so UDF and connector classes resolve in the planner and the jar ships with the job to the
//!   TaskManagers (Flink 1.16+). URIs are passed to `ADD JAR` as they are (`local:///p` becomes
//!   the JobManager path `/p`). For jar programs, the local extra jars are stored under `lib/`
//!   in a copy of the program jar (Flink puts a program jar's `lib/*.jar` on its class path
//!   and ships them); URIs cannot be bundled and are refused before anything starts.
//! - `list` costs one `GET /jobs/overview` per call.
//! - Jar programs must not hard-code their job name (call `env.execute()` without a name): the
//!   tag travels as `pipeline.name`.

mod builder;
mod bundle;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use sha2::Digest as _;
use tokio::sync::Mutex;
use tracing::{Level, instrument};

pub use builder::RemoteDeployerBuilder;

use super::tag;
use super::*;
use crate::flink::{FlinkClient, JarRunRequest, is_addressable};
use crate::spi::{JarLocation, check_jars};
use crate::{Error, JobState, Program, Result, runner};

const BACKEND: &str = "flink";

/// A [`Deployer`] over one Flink session or standalone cluster. Cheap to clone; clones share
/// the uploaded-jar cache.
///
/// ```no_run
/// use std::sync::Arc;
/// use streampark_core::{DeployRequest, Deployer, JobSpec, RemoteDeployer, StopOptions};
/// # async fn demo() -> streampark_core::Result<()> {
/// let flink: Arc<dyn Deployer> = Arc::new(
///     RemoteDeployer::builder().with_url("http://127.0.0.1:8081").build()?,
/// );
/// let spec = JobSpec::sql("orders", "INSERT INTO k SELECT * FROM s")?;
/// let dep = flink.deploy(DeployRequest::new(spec, 1)).await?;
/// flink.stop(&dep.id, StopOptions::savepoint_default_dir()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RemoteDeployer {
    client: FlinkClient,
    inner: Arc<Inner>,
}

struct Inner {
    savepoint_dir: Option<String>,
    poll: Duration,
    runner_jar: Mutex<Option<String>>,
    jars: Mutex<HashMap<String, String>>,
    /// Extra jars uploaded: content key -> path on the JobManager.
    extra: Mutex<HashMap<String, String>>,
    /// The cluster's Flink version, read once from `GET /config` (again after a run request
    /// the cluster did not understand).
    version: Mutex<Option<crate::FlinkVersion>>,
}

impl fmt::Debug for RemoteDeployer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteDeployer")
            .field("client", &self.client)
            .field("savepoint_dir", &self.inner.savepoint_dir)
            .finish()
    }
}

impl RemoteDeployer {
    /// A builder.
    pub fn builder() -> RemoteDeployerBuilder {
        RemoteDeployerBuilder::default()
    }

    /// The REST client this deployer uses.
    pub fn client(&self) -> &FlinkClient {
        &self.client
    }

    /// The Flink version the cluster reports (`GET /config`), for placing jobs by their
    /// version requirement ([`SupervisorBuilder::with_cluster_version`](crate::supervisor::SupervisorBuilder::with_cluster_version)).
    ///
    /// # Errors
    /// The REST client's errors; [`Error::InvalidInput`] when the reported version cannot be
    /// read as a Flink version.
    pub async fn flink_version(&self) -> Result<crate::FlinkVersion> {
        let cfg = self.client.config().await?;
        cfg.flink_version.parse().map_err(|e: Error| {
            Error::invalid_input(
                "flink",
                "flink-version of GET /config",
                self.client.base_url().to_string(),
                e.to_string(),
            )
        })
    }

    fn web_url(&self, jid: &str) -> String {
        format!("{}#/job/running/{jid}/overview", self.client.base_url())
    }

    /// Uploads a jar and remembers its id for the next deploy.
    async fn upload(&self, jar: &JarUpload) -> Result<String> {
        let id = match jar {
            JarUpload::Runner => {
                let id = self
                    .client
                    .upload_jar(runner::SQL_RUNNER_JAR_NAME, runner::SQL_RUNNER_JAR.to_vec())
                    .await?;
                *self.inner.runner_jar.lock().await = Some(id.clone());
                id
            }
            JarUpload::Program {
                key,
                file_name,
                bytes,
            } => {
                let id = self.client.upload_jar(file_name, bytes.clone()).await?;
                self.inner.jars.lock().await.insert(key.clone(), id.clone());
                id
            }
        };
        Ok(id)
    }

    /// The jar id for a program (uploading it when not cached) and what to upload again if
    /// the cluster has lost it.
    async fn jar_for(
        &self,
        program: &Program,
        extras: &[JarLocation],
        launcher: bool,
    ) -> Result<(String, JarUpload)> {
        let jar = match program {
            Program::Sql { .. } => {
                if let Some(id) = self.inner.runner_jar.lock().await.clone() {
                    return Ok((id, JarUpload::Runner));
                }
                JarUpload::Runner
            }
            Program::Jar { artifact, .. } => {
                let path = artifact.strip_prefix("file://").unwrap_or(artifact);
                if path.contains("://") {
                    return Err(Error::Unsupported {
                        backend: BACKEND,
                        operation: format!(
                            "jar artifact `{artifact}`: a session cluster takes local files only"
                        ),
                    });
                }
                let mut bytes = tokio::fs::read(path).await.map_err(|e| {
                    Error::invalid_input(BACKEND, "jar artifact", path, format!("cannot read: {e}"))
                })?;
                let mut libs = Vec::new();
                for extra in extras {
                    if let JarLocation::Local(p) = extra {
                        let shown = p.display().to_string();
                        let b = tokio::fs::read(p).await.map_err(|e| {
                            Error::invalid_input(
                                BACKEND,
                                "extra jar",
                                &shown,
                                format!("cannot read: {e}"),
                            )
                        })?;
                        let name = p
                            .file_name()
                            .and_then(|n| n.to_str())
                            .unwrap_or("extra.jar")
                            .to_string();
                        libs.push((name, b));
                    }
                }
                if launcher {
                    // The runner jar carries the jar launcher (see `run_request`).
                    libs.push((
                        runner::SQL_RUNNER_JAR_NAME.to_string(),
                        runner::SQL_RUNNER_JAR.to_vec(),
                    ));
                }
                if !libs.is_empty() {
                    bytes = bundle::with_libs(&bytes, &libs).map_err(|reason| {
                        Error::invalid_input(
                            BACKEND,
                            "jar artifact",
                            path,
                            format!("cannot add the extra jars to its lib/: {reason}"),
                        )
                    })?;
                }
                let key = format!(
                    "{path}#{}#{}",
                    bytes.len(),
                    hex::encode(&sha2::Sha256::digest(&bytes)[..8])
                );
                let file_name = std::path::Path::new(path)
                    .file_name()
                    .and_then(|n| n.to_str())
                    .filter(|n| n.ends_with(".jar"))
                    .unwrap_or("program.jar")
                    .to_string();
                let cached = self.inner.jars.lock().await.get(&key).cloned();
                let jar = JarUpload::Program {
                    key,
                    file_name,
                    bytes,
                };
                if let Some(id) = cached {
                    return Ok((id, jar));
                }
                jar
            }
        };
        let id = self.upload(&jar).await?;
        Ok((id, jar))
    }

    /// Ships the extra jars: uploads local ones (once per content) and returns what the SQL
    /// runner gets as `--jar` values, in order.
    async fn ship_jars(&self, jars: &[JarLocation]) -> Result<Vec<String>> {
        let mut out = Vec::with_capacity(jars.len());
        for jar in jars {
            let path = match jar {
                JarLocation::Local(path) => path,
                JarLocation::Uri(uri) => {
                    out.push(match uri.strip_prefix("local://") {
                        Some(p) => p.to_string(),
                        None => uri.clone(),
                    });
                    continue;
                }
            };
            let shown = path.display().to_string();
            let bytes = tokio::fs::read(path).await.map_err(|e| {
                Error::invalid_input(BACKEND, "extra jar", &shown, format!("cannot read: {e}"))
            })?;
            let key = format!(
                "{shown}#{}#{}",
                bytes.len(),
                hex::encode(sha2::Sha256::digest(&bytes))
            );
            if let Some(p) = self.inner.extra.lock().await.get(&key).cloned() {
                out.push(p);
                continue;
            }
            let file_name = path
                .file_name()
                .and_then(|n| n.to_str())
                .filter(|n| n.ends_with(".jar"))
                .unwrap_or("extra.jar");
            let (_, server_path) = self.client.upload_jar_at(file_name, bytes).await?;
            self.inner
                .extra
                .lock()
                .await
                .insert(key, server_path.clone());
            out.push(server_path);
        }
        Ok(out)
    }

    /// Forgets uploaded extra jars (after the cluster lost them).
    async fn forget_extra(&self, paths: &[String]) {
        self.inner
            .extra
            .lock()
            .await
            .retain(|_, p| !paths.contains(p));
    }

    /// The run request for `req`. With `conf_in_body` (Flink 1.17 on) the job's configuration
    /// travels as `flinkConfiguration`. Older releases refuse that field, so the configuration
    /// travels with the program instead: a SQL script starts with `SET` statements (the runner
    /// names the job itself), and a jar program runs behind the runner's jar launcher
    /// (`main_class`: the program's main class), which configures the execution environment
    /// before it calls the program's `main`.
    fn run_request(
        &self,
        req: &DeployRequest,
        name: &str,
        extra: &[String],
        conf_in_body: bool,
        main_class: Option<&str>,
    ) -> Result<JarRunRequest> {
        let spec = &req.spec;
        let mut run = JarRunRequest::default();
        let mut conf = spec.config.clone();
        conf.insert("pipeline.name".into(), name.to_string());
        match &spec.program {
            Program::Sql { script } => {
                run.entry_class = Some(runner::SQL_RUNNER_MAIN_CLASS.to_string());
                let script = if conf_in_body {
                    std::borrow::Cow::Borrowed(script.as_str())
                } else {
                    let mut prefixed = String::new();
                    for (k, v) in conf.iter().filter(|(k, _)| k.as_str() != "pipeline.name") {
                        prefixed.push_str(&format!(
                            "SET '{}' = '{}';\n",
                            k.replace('\'', "''"),
                            v.replace('\'', "''")
                        ));
                    }
                    prefixed.push_str(script);
                    std::borrow::Cow::Owned(prefixed)
                };
                run.program_args_list = runner::program_args(&script, Some(name));
                for jar in extra {
                    run.program_args_list.push("--jar".into());
                    run.program_args_list.push(jar.clone());
                }
            }
            Program::Jar {
                entry_class, args, ..
            } if conf_in_body => {
                run.entry_class = entry_class.clone();
                run.program_args_list = args.clone();
            }
            Program::Jar { args, .. } => {
                let main = main_class.ok_or_else(|| {
                    Error::invalid_input(
                        BACKEND,
                        "jar program",
                        spec.id.as_str(),
                        "no entry class given and the jar's manifest names no Main-Class",
                    )
                })?;
                let mut lines = String::new();
                for (k, v) in &conf {
                    if k.contains(['\n', '\r', '=']) || v.contains(['\n', '\r']) {
                        return Err(Error::invalid_input(
                            BACKEND,
                            "job configuration",
                            k.as_str(),
                            "a key with '=' or a line break, or a value with a line break, cannot \
                             reach a job on Flink before 1.17",
                        ));
                    }
                    lines.push_str(&format!("{k}={v}\n"));
                }
                run.entry_class = Some(runner::JAR_LAUNCHER_MAIN_CLASS.to_string());
                run.program_args_list = vec![
                    "--conf-b64".into(),
                    base64::engine::general_purpose::STANDARD.encode(lines.as_bytes()),
                    "--main".into(),
                    main.to_string(),
                    "--".into(),
                ];
                run.program_args_list.extend(args.iter().cloned());
            }
        }
        run.parallelism = spec.parallelism;
        run.job_id = Some(tag::flink_job_id(&spec.id, req.attempt));
        run.savepoint_path = req.restore_path.clone();
        run.allow_non_restored_state = req
            .restore_path
            .as_ref()
            .map(|_| req.allow_non_restored_state);
        if conf_in_body {
            run.flink_configuration = conf;
        }
        Ok(run)
    }

    /// The cluster's Flink version, read once from `GET /config` (`refresh` reads it again).
    async fn cached_version(&self, refresh: bool) -> Result<crate::FlinkVersion> {
        let mut cached = self.inner.version.lock().await;
        match cached.as_ref() {
            Some(v) if !refresh => Ok(v.clone()),
            _ => {
                let v = self.flink_version().await?;
                *cached = Some(v.clone());
                Ok(v)
            }
        }
    }

    fn live_attempt(snapshots: &[JobSnapshot]) -> Option<u64> {
        snapshots
            .iter()
            .filter(|s| s.state.is_live())
            .map(|s| s.attempt)
            .max()
    }

    async fn wait_terminal(&self, id: &DeploymentId, timeout: Duration) -> Result<JobState> {
        let start = tokio::time::Instant::now();
        loop {
            match self.client.job(id.as_str()).await {
                Ok(j) if j.job_state().is_terminal() => return Ok(j.job_state()),
                Ok(_) => {}
                Err(e) if e.is_not_found() => return Ok(JobState::Unknown),
                Err(e) => return Err(e),
            }
            if start.elapsed() >= timeout {
                return Err(Error::Timeout {
                    backend: BACKEND,
                    operation: format!("waiting for job {id} to end"),
                    after: timeout,
                });
            }
            tokio::time::sleep(self.inner.poll).await;
        }
    }

    fn snapshot(&self, o: &crate::flink::JobOverview) -> Option<JobSnapshot> {
        let (job, attempt) = tag::parse_job_name(&o.name)?;
        let mut s = JobSnapshot::new(DeploymentId::new(&o.jid), job, attempt, o.job_state());
        s.name = o.name.clone();
        s.start_time_ms = (o.start_time > 0).then_some(o.start_time);
        s.end_time_ms = (o.end_time > 0).then_some(o.end_time);
        s.last_modified_ms = (o.last_modification > 0).then_some(o.last_modification);
        s.web_url = Some(self.web_url(&o.jid));
        Some(s)
    }
}

/// Flink 1.17 added `flinkConfiguration` to `POST /jars/:id/run` (1.14 refuses the field;
/// 1.17.2 takes it: both checked on the real releases).
fn run_takes_conf(v: &crate::FlinkVersion) -> bool {
    v.minor_version() >= (1, 17)
}

/// The main class of a jar program: the spec's entry class, else the jar's manifest's.
fn main_class(program: &Program, jar: &JarUpload) -> Option<String> {
    match program {
        Program::Jar {
            entry_class: Some(c),
            ..
        } => Some(c.clone()),
        _ => jar.main_class(),
    }
}

impl JarUpload {
    /// The program's main class from its manifest (`program-class`, which Flink reads first,
    /// then `Main-Class`).
    fn main_class(&self) -> Option<String> {
        match self {
            JarUpload::Runner => None,
            JarUpload::Program { bytes, .. } => bundle::manifest_main_class(bytes),
        }
    }
}

/// A jar `RemoteDeployer` uploads: the embedded SQL runner or a user's program.
enum JarUpload {
    Runner,
    Program {
        key: String,
        file_name: String,
        bytes: Vec<u8>,
    },
}

fn is_duplicate_submission(e: &Error) -> bool {
    match e {
        Error::Rejected { message, .. } => {
            message.contains("DuplicateJobSubmission")
                || message.contains("DuplicateApplicationSubmission")
                || message.contains("has already been submitted")
        }
        _ => false,
    }
}

#[async_trait::async_trait]
impl Deployer for RemoteDeployer {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    #[instrument(name = "deployer.cluster_flink_version", skip_all, err(level = Level::WARN), fields(backend = BACKEND))]
    async fn cluster_flink_version(&self) -> Result<Option<crate::FlinkVersion>> {
        RemoteDeployer::flink_version(self).await.map(Some)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::all()
    }

    #[instrument(name = "deployer.deploy", skip_all, err(level = Level::WARN),
        fields(backend = BACKEND, job = %req.spec.id, attempt = req.attempt, flink_job = tracing::field::Empty))]
    async fn deploy(&self, req: DeployRequest) -> Result<Deployment> {
        if req.attempt == 0 {
            return Err(Error::invalid_input(
                BACKEND,
                "attempt",
                "deploy request",
                "attempts start at 1",
            ));
        }
        let jars = check_jars(BACKEND, &req.spec.jars).await?;
        let is_jar_program = matches!(req.spec.program, Program::Jar { .. });
        if is_jar_program
            && let Some(JarLocation::Uri(uri)) =
                jars.iter().find(|j| matches!(j, JarLocation::Uri(_)))
        {
            return Err(Error::Unsupported {
                backend: BACKEND,
                operation: format!(
                    "extra jar `{}` with a jar program on a session cluster: only local jars \
                     can be bundled (resolve it with the ArtifactStore first)",
                    crate::spi::redact_url(uri)
                ),
            });
        }
        let job = req.spec.id.clone();
        let existing = self.list(&Selector::Job(job.clone())).await?;
        if let Some(live) = Self::live_attempt(&existing) {
            return Err(Error::Fenced {
                backend: BACKEND,
                job: job.to_string(),
                attempt: req.attempt,
                live_attempt: live,
            });
        }
        if existing.iter().any(|s| s.attempt == req.attempt) {
            return Err(Error::Fenced {
                backend: BACKEND,
                job: job.to_string(),
                attempt: req.attempt,
                live_attempt: req.attempt,
            });
        }
        let name = tag::job_name(&job, req.attempt, req.spec.display_name());
        let extra = if is_jar_program {
            Vec::new()
        } else {
            self.ship_jars(&jars).await?
        };
        let version = self.cached_version(false).await?;
        if !is_jar_program && !jars.is_empty() && version.minor_version() < (1, 16) {
            return Err(Error::Unsupported {
                backend: BACKEND,
                operation: format!(
                    "extra jars for a SQL job on Flink {version}: the SQL runner adds them with \
                     ADD JAR, which arrived in Flink 1.16 (put them into the cluster's lib/)"
                ),
            });
        }
        let mut conf_in_body = run_takes_conf(&version);
        let (mut jar_id, mut jar) = self
            .jar_for(&req.spec.program, &jars, is_jar_program && !conf_in_body)
            .await?;
        let make_run = |extra: &[String], conf_in_body: bool, jar: &JarUpload| {
            self.run_request(
                &req,
                &name,
                extra,
                conf_in_body,
                main_class(&req.spec.program, jar).as_deref(),
            )
        };
        let mut run = make_run(&extra, conf_in_body, &jar)?;
        let mut result = self.client.run_jar(&jar_id, &run).await;
        // The cluster did not understand the request (it was replaced by another release since
        // its version was read): read the version again and retry once, in its shape.
        if matches!(&result, Err(Error::Rejected { message, .. })
            if message.contains("Unrecognized field \"flinkConfiguration\""))
        {
            let now = run_takes_conf(&self.cached_version(true).await?);
            if now != conf_in_body {
                conf_in_body = now;
                (jar_id, jar) = self
                    .jar_for(&req.spec.program, &jars, is_jar_program && !conf_in_body)
                    .await?;
                run = make_run(&extra, conf_in_body, &jar)?;
                result = self.client.run_jar(&jar_id, &run).await;
            }
        }
        // An uploaded extra jar the cluster has lost (restart, cleanup): upload again, once.
        let lost: Vec<String> = match &result {
            Err(Error::Rejected { message, .. }) => extra
                .iter()
                .filter(|p| p.starts_with('/') && message.contains(p.as_str()))
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        if !lost.is_empty() {
            self.forget_extra(&lost).await;
            let extra = self.ship_jars(&jars).await?;
            run = make_run(&extra, conf_in_body, &jar)?;
            result = self.client.run_jar(&jar_id, &run).await;
        }
        // The cluster may have lost an uploaded jar (restart, cleanup): upload once more.
        if matches!(&result, Err(e) if e.is_not_found()) {
            let jar_id = self.upload(&jar).await?;
            result = self.client.run_jar(&jar_id, &run).await;
        }
        let jid = match result {
            Ok(jid) => jid,
            Err(e) if is_duplicate_submission(&e) => {
                let live = Self::live_attempt(&self.list(&Selector::Job(job.clone())).await?)
                    .unwrap_or(req.attempt);
                return Err(Error::Fenced {
                    backend: BACKEND,
                    job: job.to_string(),
                    attempt: req.attempt,
                    live_attempt: live,
                });
            }
            Err(e) => return Err(e),
        };
        tracing::Span::current().record("flink_job", jid.as_str());
        let web = self.web_url(&jid);
        Ok(Deployment::new(DeploymentId::new(jid), job, req.attempt).with_web_url(web))
    }

    #[instrument(name = "deployer.list", skip_all, err(level = Level::WARN), fields(backend = BACKEND))]
    async fn list(&self, selector: &Selector) -> Result<Vec<JobSnapshot>> {
        let jobs = self.client.jobs_overview().await?;
        Ok(jobs
            .iter()
            .filter_map(|o| self.snapshot(o))
            .filter(|s| selector.matches(&s.job))
            .collect())
    }

    #[instrument(name = "deployer.inspect", skip_all, err(level = Level::WARN), fields(backend = BACKEND, deployment = %id))]
    async fn inspect(&self, id: &DeploymentId) -> Result<JobDetails> {
        let jid = id.as_str();
        let (job, cps, exc) = tokio::join!(
            self.client.job(jid),
            self.client.checkpoints(jid),
            self.client.exceptions(jid, 5)
        );
        let job = job?;
        let (tagged_job, attempt) = tag::parse_job_name(&job.name).ok_or_else(|| {
            Error::not_found(
                BACKEND,
                format!(
                    "streampark deployment {id} (job `{}` is not tagged)",
                    job.name
                ),
            )
        })?;
        let mut snap = JobSnapshot::new(id.clone(), tagged_job, attempt, job.job_state());
        snap.name = job.name.clone();
        snap.start_time_ms = (job.start_time > 0).then_some(job.start_time);
        snap.end_time_ms = (job.end_time > 0).then_some(job.end_time);
        snap.web_url = Some(self.web_url(jid));
        let mut d = JobDetails::new(snap);
        // Checkpoint statistics are absent for jobs without checkpointing: not an error.
        if let Ok(c) = cps {
            d.checkpoints_completed = c.counts.completed;
            d.checkpoints_failed = c.counts.failed;
            d.latest_checkpoint = c.latest_completed_path().map(|p| {
                let at = c
                    .latest
                    .completed
                    .as_ref()
                    .map(|x| x.latest_ack_timestamp)
                    .unwrap_or(0);
                SavepointRef::checkpoint(p).with_completed_at_ms(at)
            });
            d.latest_savepoint = c.latest.savepoint.as_ref().and_then(|s| {
                s.external_path
                    .as_deref()
                    .filter(|p| is_addressable(p))
                    .map(|p| {
                        SavepointRef::savepoint(p).with_completed_at_ms(s.latest_ack_timestamp)
                    })
            });
            d.restored_from = c.latest.restored.and_then(|r| r.external_path);
        }
        if let Ok(x) = exc {
            d.failure = x.latest_summary();
            d.snapshot.reason = d
                .failure
                .clone()
                .filter(|_| d.snapshot.state == JobState::Failed);
        }
        Ok(d)
    }

    #[instrument(name = "deployer.savepoint", skip_all, err(level = Level::WARN), fields(backend = BACKEND, deployment = %id))]
    async fn savepoint(&self, id: &DeploymentId, opts: SavepointOptions) -> Result<SavepointRef> {
        let dir = opts.target_dir.or_else(|| self.inner.savepoint_dir.clone());
        let path = self
            .client
            .savepoint_and_wait(id.as_str(), dir.as_deref(), opts.timeout)
            .await?;
        Ok(SavepointRef::savepoint(path))
    }

    #[instrument(name = "deployer.stop", skip_all, err(level = Level::WARN), fields(backend = BACKEND, deployment = %id))]
    async fn stop(&self, id: &DeploymentId, opts: StopOptions) -> Result<StopOutcome> {
        match self.client.job(id.as_str()).await {
            Ok(j) if j.job_state().is_terminal() => return Ok(StopOutcome::AlreadyGone),
            Ok(_) => {}
            Err(e) if e.is_not_found() => return Ok(StopOutcome::AlreadyGone),
            Err(e) => return Err(e),
        }
        let start = tokio::time::Instant::now();
        let savepoint = match &opts.mode {
            StopMode::Cancel => {
                match self.client.cancel(id.as_str()).await {
                    Err(e) if e.is_not_found() => return Ok(StopOutcome::AlreadyGone),
                    r => r?,
                }
                None
            }
            StopMode::Savepoint { target_dir, drain } => {
                let dir = target_dir
                    .clone()
                    .or_else(|| self.inner.savepoint_dir.clone());
                let path = match self
                    .client
                    .stop_with_savepoint_and_wait(id.as_str(), dir.as_deref(), *drain, opts.timeout)
                    .await
                {
                    Err(e) if e.is_not_found() => return Ok(StopOutcome::AlreadyGone),
                    r => r?,
                };
                Some(SavepointRef::savepoint(path))
            }
        };
        let left = opts
            .timeout
            .saturating_sub(start.elapsed())
            .max(Duration::from_secs(1));
        self.wait_terminal(id, left).await?;
        Ok(StopOutcome::Stopped { savepoint })
    }

    #[instrument(name = "deployer.logs", skip_all, err(level = Level::WARN), fields(backend = BACKEND, deployment = %id))]
    async fn logs(&self, id: &DeploymentId, opts: LogOptions) -> Result<Logs> {
        // A standalone cluster's logs are the JobManager's, shared by its jobs; still refuse
        // unknown deployments so a typo does not look like an empty log.
        self.client.job(id.as_str()).await?;
        let entries = self.client.jobmanager_logs().await?;
        let files: Vec<LogFile> = entries
            .iter()
            .map(|e| LogFile::new(&e.name, Some(e.size)))
            .collect();
        let name = match &opts.file {
            Some(f) => {
                if !entries.iter().any(|e| &e.name == f) {
                    let known: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
                    return Err(Error::not_found(
                        BACKEND,
                        format!("log file `{f}` (available: {})", known.join(", ")),
                    ));
                }
                f.clone()
            }
            None => entries
                .iter()
                .filter(|e| e.name.ends_with(".log"))
                .find(|e| e.name.contains("standalonesession") || e.name.contains("jobmanager"))
                .or_else(|| entries.iter().find(|e| e.name.ends_with(".log")))
                .map(|e| e.name.clone())
                .ok_or_else(|| Error::not_found(BACKEND, "JobManager log file"))?,
        };
        let text = self.client.jobmanager_log(&name).await?;
        let (content, truncated) = tail(text, opts.max_bytes);
        Ok(Logs {
            files,
            name,
            content,
            truncated,
        })
    }
}

/// The last `max` bytes of `text`, cut at a character boundary.
pub(crate) fn tail(text: String, max: usize) -> (String, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut cut = text.len() - max;
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    (text[cut..].to_string(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_respects_char_boundaries() {
        let (t, cut) = tail("ab€cd".to_string(), 3);
        assert!(cut);
        assert_eq!(t, "cd");
        let (t, cut) = tail("abc".to_string(), 10);
        assert!(!cut && t == "abc");
    }

    #[test]
    fn duplicate_submission_is_recognised() {
        let e = Error::Rejected {
            backend: BACKEND,
            operation: "POST /jars/x/run".into(),
            message: "HTTP 500: DuplicateApplicationSubmissionException: Application has already been submitted.".into(),
            source: None,
        };
        assert!(is_duplicate_submission(&e));
        assert!(!is_duplicate_submission(&Error::not_found(BACKEND, "x")));
    }

    /// A deployer whose cluster is never called (run requests are only built).
    fn offline_deployer() -> RemoteDeployer {
        RemoteDeployer::builder()
            .with_url("http://127.0.0.1:1")
            .build()
            .unwrap()
    }

    #[test]
    fn run_request_carries_the_tag_and_restore() {
        let d = offline_deployer();
        let spec = crate::JobSpec::sql("j", "INSERT INTO k SELECT 1")
            .unwrap()
            .with_parallelism(3)
            .with_config("pipeline.name", "user's own");
        let req = DeployRequest::new(spec, 2).with_restore_path("file:///sp/x");
        let name = tag::job_name(&req.spec.id, 2, "j");
        let run = d
            .run_request(&req, &name, &["/up/udf.jar".to_string()], true, None)
            .unwrap();
        assert_eq!(
            run.job_id.as_deref(),
            Some(tag::flink_job_id(&req.spec.id, 2).as_str())
        );
        assert_eq!(run.flink_configuration["pipeline.name"], name);
        assert_eq!(run.savepoint_path.as_deref(), Some("file:///sp/x"));
        assert_eq!(run.allow_non_restored_state, Some(false));
        assert_eq!(run.parallelism, Some(3));
        assert_eq!(
            run.entry_class.as_deref(),
            Some(runner::SQL_RUNNER_MAIN_CLASS)
        );
        assert_eq!(
            &run.program_args_list[run.program_args_list.len() - 2..],
            ["--jar", "/up/udf.jar"]
        );
        let body = serde_json::to_value(&run).unwrap();
        assert!(
            body.get("programArgsList").is_some() && body.get("jobId").is_some(),
            "{body}"
        );
    }

    #[test]
    fn before_flink_1_17_the_configuration_travels_with_the_program() {
        let d = offline_deployer();
        let spec = crate::JobSpec::sql("j", "INSERT INTO k SELECT 1")
            .unwrap()
            .with_config("table.exec.state.ttl", "it's 1 h");
        let req = DeployRequest::new(spec, 1);
        let name = tag::job_name(&req.spec.id, 1, "j");
        let run = d.run_request(&req, &name, &[], false, None).unwrap();
        assert!(run.flink_configuration.is_empty());
        let body = serde_json::to_value(&run).unwrap();
        assert!(body.get("flinkConfiguration").is_none(), "{body}");
        let script = base64::engine::general_purpose::STANDARD
            .decode(&run.program_args_list[1])
            .unwrap();
        let script = String::from_utf8(script).unwrap();
        assert!(
            script.starts_with("SET 'table.exec.state.ttl' = 'it''s 1 h';\nINSERT INTO k"),
            "{script}"
        );
        assert_eq!(&run.program_args_list[2..], ["--name", name.as_str()]);

        let jar = crate::JobSpec::jar(
            "p",
            "file:///x.jar",
            None,
            vec!["--rate".into(), "5".into()],
        )
        .unwrap()
        .with_config("execution.checkpointing.interval", "2 s");
        let req = DeployRequest::new(jar, 3);
        let name = tag::job_name(&req.spec.id, 3, "p");
        let run = d
            .run_request(&req, &name, &[], false, Some("com.acme.Main"))
            .unwrap();
        assert_eq!(
            run.entry_class.as_deref(),
            Some(runner::JAR_LAUNCHER_MAIN_CLASS)
        );
        let args = &run.program_args_list;
        assert_eq!(args[0], "--conf-b64");
        let conf = base64::engine::general_purpose::STANDARD
            .decode(&args[1])
            .unwrap();
        let conf = String::from_utf8(conf).unwrap();
        assert!(
            conf.contains("execution.checkpointing.interval=2 s\n"),
            "{conf}"
        );
        assert!(conf.contains(&format!("pipeline.name={name}\n")), "{conf}");
        assert_eq!(&args[2..], ["--main", "com.acme.Main", "--", "--rate", "5"]);
        // No main class at all, and a value that cannot cross: typed errors.
        let err = d.run_request(&req, &name, &[], false, None).unwrap_err();
        assert!(err.to_string().contains("Main-Class"), "{err}");
        let bad = DeployRequest::new(
            crate::JobSpec::jar("p", "file:///x.jar", None, vec![])
                .unwrap()
                .with_config("a", "two\nlines"),
            1,
        );
        let err = d
            .run_request(&bad, &name, &[], false, Some("M"))
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    }

    #[test]
    fn manifest_main_class_reads_program_class_first_and_continuations() {
        use std::io::Write as _;
        let jar = |manifest: &str| {
            let mut buf = std::io::Cursor::new(Vec::new());
            let mut w = zip::ZipWriter::new(&mut buf);
            w.start_file(
                "META-INF/MANIFEST.MF",
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            w.write_all(manifest.as_bytes()).unwrap();
            w.finish().unwrap();
            buf.into_inner()
        };
        let m = jar(
            "Manifest-Version: 1.0\r\nMain-Class: com.acme.very.long.package.name.that.goes.on.and.on.Mai\r\n n\r\n",
        );
        assert_eq!(
            bundle::manifest_main_class(&m).as_deref(),
            Some("com.acme.very.long.package.name.that.goes.on.and.on.Main")
        );
        let m = jar("Main-Class: a.B\nprogram-class: c.D\n");
        assert_eq!(bundle::manifest_main_class(&m).as_deref(), Some("c.D"));
        assert_eq!(
            bundle::manifest_main_class(&jar("Manifest-Version: 1.0\n")),
            None
        );
        assert_eq!(bundle::manifest_main_class(b"not a zip"), None);
    }
}
