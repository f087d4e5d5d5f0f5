//! [`YarnDeployer`]: Flink on YARN as a [`Deployer`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use streampark_core::deploy::tag;
use streampark_core::flink::FlinkClient;
use streampark_core::spi::redact_url;
use streampark_core::{
    Capabilities, DeployRequest, Deployer, Deployment, DeploymentId, Error, JobDetails, JobId,
    JobSnapshot, JobState, LogFile, LogOptions, Logs, Program, Result, SavepointOptions,
    SavepointRef, Selector, StopMode, StopOptions, StopOutcome, runner,
};
use tracing::{Level, instrument};

use crate::hdfs::{FileKind, WebHdfsClient};
use crate::http::{self, Body};
use crate::rm::{App, AppQuery, AppState, FinalStatus, ResourceManagerClient};
use crate::submit::{Submitter, YarnSubmission, YarnTarget};

use crate::builder::YarnDeployerBuilder;

const BACKEND: &str = crate::BACKEND;
/// YARN's application type for Flink applications.
pub const FLINK_APPLICATION_TYPE: &str = "Apache Flink";
/// The tag every streampark-managed application carries.
pub const MANAGED_TAG: &str = "streampark";

/// A [`Deployer`] for Flink on YARN. Cheap to clone.
///
/// - `deploy` goes through a [`Submitter`] (the Flink CLI in production, `SimSubmitter` in
///   tests) with `yarn.application.name` = the tagged job name, `yarn.tags` = `streampark`,
///   `streampark.job=<job>`, `streampark.attempt=<n>` (lower-cased, as YARN stores them), the
///   queue, and `yarn.provided.lib.dirs` on the HDFS workspace; user jars and the SQL runner are
///   uploaded per job when a WebHDFS client is configured.
/// - `list` is one RM call (`/ws/v1/cluster/apps?applicationTags=…&applicationTypes=Apache Flink`).
/// - `inspect`, checkpoints and logs are read through the RM proxy (GET only); `inspect` of a
///   running application reports the Flink job's own state (`RESTARTING`, `FAILING`, ...),
///   which YARN's `RUNNING` hides;
///   savepoints, stop and cancel go to the JobManager at the app's `amRPCAddress`, read again
///   for every call so that an application-master restart on another host is followed.
#[derive(Clone)]
pub struct YarnDeployer {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) rm: ResourceManagerClient,
    pub(crate) hdfs: Option<WebHdfsClient>,
    pub(crate) default_fs: String,
    pub(crate) workspace: String,
    pub(crate) submitter: Arc<dyn Submitter>,
    pub(crate) queue: Option<String>,
    pub(crate) target: YarnTarget,
    pub(crate) flink_version: Option<String>,
    pub(crate) checkpoint_dir: Option<String>,
    pub(crate) request_timeout: Duration,
    pub(crate) deploy_timeout: Duration,
    pub(crate) poll: Duration,
}

impl fmt::Debug for YarnDeployer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("YarnDeployer")
            .field("rm", &self.inner.rm)
            .field("hdfs", &self.inner.hdfs)
            .field("workspace", &self.inner.workspace)
            .field("queue", &self.inner.queue)
            .field("target", &self.inner.target)
            .field("submitter", &self.inner.submitter)
            .finish()
    }
}

/// The tags of one attempt, lower-cased as YARN stores them.
pub fn yarn_tags(job: &JobId, attempt: u64) -> Vec<String> {
    let mut t = vec![MANAGED_TAG.to_string()];
    for (k, v) in streampark_core::deploy::tag_labels(job, attempt) {
        t.push(format!("{k}={v}").to_lowercase());
    }
    t
}

fn job_tag(job: &JobId) -> String {
    format!("streampark.job={job}").to_lowercase()
}

/// The job and attempt of an application: from its name (which keeps the job id's case), else
/// from its tags.
fn identify(app: &App) -> Option<(JobId, u64)> {
    if let Some(x) = tag::parse_job_name(&app.name) {
        return Some(x);
    }
    let tags = app.tags();
    let job = tags
        .iter()
        .find_map(|t| t.strip_prefix("streampark.job="))?;
    let attempt = tags
        .iter()
        .find_map(|t| t.strip_prefix("streampark.attempt="))?;
    Some((JobId::new(job).ok()?, attempt.parse().ok()?))
}

/// Maps an application's YARN state to a job state.
pub fn job_state(state: AppState, fin: FinalStatus) -> JobState {
    match state {
        AppState::New | AppState::NewSaving | AppState::Submitted | AppState::Accepted => {
            JobState::Deploying
        }
        AppState::Running => JobState::Running,
        AppState::Finished => match fin {
            FinalStatus::Failed => JobState::Failed,
            FinalStatus::Killed => JobState::Canceled,
            _ => JobState::Finished,
        },
        AppState::Failed => JobState::Failed,
        AppState::Killed => JobState::Canceled,
        _ => JobState::Unknown,
    }
}

fn snapshot(app: &App) -> Option<JobSnapshot> {
    let (job, attempt) = identify(app)?;
    let state = job_state(app.state, app.final_status);
    let mut s = JobSnapshot::new(DeploymentId::new(app.id.clone()), job, attempt, state);
    s.name = app.name.clone();
    s.start_time_ms = (app.started_time > 0).then_some(app.started_time);
    s.end_time_ms = (app.finished_time > 0).then_some(app.finished_time);
    s.last_modified_ms = s.end_time_ms.or(s.start_time_ms);
    if !app.diagnostics.trim().is_empty() && matches!(state, JobState::Failed | JobState::Canceled)
    {
        s.reason = Some(app.diagnostics.trim().to_string());
    }
    s.web_url = app.tracking_url.clone();
    Some(s)
}

impl YarnDeployer {
    /// A builder.
    pub fn builder() -> YarnDeployerBuilder {
        YarnDeployerBuilder::default()
    }

    /// The ResourceManager client this deployer uses.
    pub fn resource_manager(&self) -> &ResourceManagerClient {
        &self.inner.rm
    }

    /// The WebHDFS client, when one is configured.
    pub fn webhdfs(&self) -> Option<&WebHdfsClient> {
        self.inner.hdfs.as_ref()
    }

    /// The HDFS workspace root.
    pub fn workspace(&self) -> &str {
        &self.inner.workspace
    }

    /// Builder from a Hadoop client configuration (see
    /// [`YarnDeployerBuilder::from_hadoop_conf`]).
    ///
    /// # Errors
    /// As [`YarnDeployerBuilder::from_hadoop_conf`].
    pub fn from_hadoop_conf(conf: &crate::conf::HadoopConf) -> Result<YarnDeployerBuilder> {
        YarnDeployerBuilder::from_hadoop_conf(conf)
    }

    /// Makes `<workspace>/flink/<version>/{lib,plugins}` match `home` (names and sizes) and
    /// reports what differs (see [`crate::workspace::sync_flink_dist`]).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] without a WebHDFS address; WebHDFS errors.
    pub async fn sync_workspace(
        &self,
        home: &streampark_core::FlinkHome,
        overwrite: bool,
    ) -> Result<crate::workspace::WorkspaceReport> {
        let Some(hdfs) = &self.inner.hdfs else {
            return Err(Error::invalid_config(
                BACKEND,
                "with_webhdfs_url",
                "the workspace needs a WebHDFS address",
            ));
        };
        crate::workspace::sync_home(hdfs, &self.inner.workspace, home, overwrite).await
    }

    /// Kills the application through the RM (no savepoint) and returns the state it ended in
    /// (an application that finished on its own meanwhile reports `FINISHED`).
    pub async fn kill(&self, id: &DeploymentId) -> Result<AppState> {
        self.inner.rm.kill(id.as_str()).await
    }

    /// Removes the per-job uploads (`<workspace>/jobs/<job>/<attempt>`: user jar, SQL runner)
    /// of every attempt of `job` that has ended: its application is in a terminal state, or
    /// there is none and a later attempt has uploads (the latest attempt without an application
    /// may be a deployment under way and is kept). A running attempt's files are kept: YARN
    /// localizes them again when a container or the application master restarts. Returns the
    /// attempts removed; without WebHDFS there is nothing to remove.
    ///
    /// The deployer calls it itself before each deployment and removes an attempt's uploads
    /// once [`Deployer::stop`] has ended it or its submission failed; a host calls it for a job
    /// that ended on its own and is not deployed again.
    ///
    /// # Errors
    /// ResourceManager and WebHDFS errors.
    pub async fn clean_uploads(&self, job: &JobId) -> Result<Vec<u64>> {
        if self.inner.hdfs.is_none() {
            return Ok(Vec::new());
        }
        let apps = self.tagged_apps(job).await?;
        self.clean_uploads_with(job, &apps).await
    }

    /// [`YarnDeployer::clean_uploads`] with the job's tagged applications already at hand.
    async fn clean_uploads_with(&self, job: &JobId, apps: &[(App, u64)]) -> Result<Vec<u64>> {
        let Some(hdfs) = &self.inner.hdfs else {
            return Ok(Vec::new());
        };
        let ws = &self.inner.workspace;
        let attempts = crate::workspace::uploaded_attempts(hdfs, ws, job).await?;
        let Some(&latest) = attempts.last() else {
            return Ok(Vec::new());
        };
        let mut removed = Vec::new();
        for a in attempts {
            let ended = match apps.iter().find(|(_, n)| *n == a) {
                Some((app, _)) => app.state.is_terminal(),
                None => a < latest,
            };
            if ended {
                crate::workspace::remove_attempt_uploads(hdfs, ws, job, a).await?;
                removed.push(a);
            }
        }
        Ok(removed)
    }

    /// Removes one attempt's uploads, logging (not failing) on error: the files only cost space
    /// and [`YarnDeployer::clean_uploads`] retries at the next deployment.
    async fn drop_uploads(&self, job: &JobId, attempt: u64) {
        let Some(hdfs) = &self.inner.hdfs else {
            return;
        };
        if let Err(e) =
            crate::workspace::remove_attempt_uploads(hdfs, &self.inner.workspace, job, attempt)
                .await
        {
            tracing::warn!(job = %job, attempt, error = %e, "per-job uploads not removed");
        }
    }

    /// The uploads of the attempt `app` runs, once it has ended.
    async fn drop_uploads_of(&self, app: &App) {
        if let Some((job, attempt)) = identify(app) {
            self.drop_uploads(&job, attempt).await;
        }
    }

    fn uri(&self, path: &str) -> String {
        format!("{}{path}", self.inner.default_fs)
    }

    async fn app(&self, id: &DeploymentId) -> Result<App> {
        self.inner.rm.app(id.as_str()).await.map_err(|e| match e {
            Error::InvalidInput { .. } => Error::not_found(BACKEND, format!("application {id}")),
            e => e,
        })
    }

    async fn tagged_apps(&self, job: &JobId) -> Result<Vec<(App, u64)>> {
        let q = AppQuery::new()
            .with_tag(job_tag(job))
            .with_type(FLINK_APPLICATION_TYPE);
        Ok(self
            .inner
            .rm
            .apps(&q)
            .await?
            .into_iter()
            .filter_map(|a| match identify(&a) {
                Some((j, n)) if &j == job => Some((a, n)),
                _ => None,
            })
            .collect())
    }

    /// The JobManager REST client through the RM proxy (GET/PUT only).
    async fn proxy_client(&self, id: &DeploymentId) -> Result<FlinkClient> {
        let url = self.inner.rm.proxy_url(id.as_str()).await?;
        FlinkClient::builder()
            .with_url(url.as_str())
            .with_timeout(self.inner.request_timeout)
            .build()
    }

    /// The JobManager REST client at the app's `amRPCAddress` (read again on every call).
    fn direct_client(&self, app: &App) -> Result<FlinkClient> {
        let addr = app
            .am_rpc_address
            .as_deref()
            .filter(|a| !a.is_empty() && *a != "N/A")
            .ok_or_else(|| Error::Unavailable {
                backend: BACKEND,
                what: format!(
                    "JobManager REST address of {} (no amRPCAddress yet)",
                    app.id
                ),
                retry_after: None,
                source: None,
            })?;
        let url = if addr.starts_with("http://") || addr.starts_with("https://") {
            addr.to_string()
        } else {
            format!("http://{addr}")
        };
        FlinkClient::builder()
            .with_url(url)
            .with_timeout(self.inner.request_timeout)
            .build()
    }

    /// The live app and its Flink job id, re-resolving after an AM failover.
    async fn live_job(&self, id: &DeploymentId) -> Result<Option<(App, FlinkClient, String)>> {
        let mut last = None;
        for _ in 0..3 {
            let app = self.app(id).await?;
            if app.state.is_terminal() {
                return Ok(None);
            }
            let client = self.direct_client(&app)?;
            match client.jobs_overview().await {
                Ok(jobs) => {
                    let Some(j) = jobs.into_iter().next() else {
                        return Err(Error::Unavailable {
                            backend: BACKEND,
                            what: format!("Flink job of {id}"),
                            retry_after: None,
                            source: None,
                        });
                    };
                    return Ok(Some((app, client, j.jid)));
                }
                Err(e) if e.is_retryable() => {
                    tracing::info!(app = %id, "JobManager unreachable; reading the application's address again (AM failover?)");
                    last = Some(e);
                    tokio::time::sleep(self.inner.poll).await;
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::not_found(BACKEND, format!("application {id}"))))
    }

    async fn wait_terminal(&self, id: &DeploymentId, timeout: Duration) -> Result<Option<App>> {
        let start = tokio::time::Instant::now();
        loop {
            match self.app(id).await {
                Ok(a) if a.state.is_terminal() => return Ok(Some(a)),
                Ok(_) => {}
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e),
            }
            if start.elapsed() >= timeout {
                return Err(Error::Timeout {
                    backend: BACKEND,
                    operation: format!("wait for {id} to end"),
                    after: timeout,
                });
            }
            tokio::time::sleep(self.inner.poll).await;
        }
    }

    /// Checks local files before anything starts.
    async fn check_local(path: &str, what: &str) -> Result<()> {
        let local = path.strip_prefix("file://").unwrap_or(path);
        if local.contains("://") {
            return Ok(());
        }
        match tokio::fs::metadata(local).await {
            Ok(m) if m.is_file() => Ok(()),
            Ok(_) => Err(Error::invalid_input(BACKEND, what, local, "not a file")),
            Err(e) => Err(Error::invalid_input(
                BACKEND,
                what,
                local,
                format!("cannot read: {e}"),
            )),
        }
    }

    /// The newest complete checkpoint (`chk-N/_metadata`) an attempt left in the checkpoint
    /// directory (see `YarnDeployerBuilder::with_checkpoint_dir`); `None` without WebHDFS, a
    /// checkpoint directory on HDFS, or such a checkpoint. Read failures are logged, not
    /// raised: the inspect they serve already has the application's final state.
    async fn retained_checkpoint(&self, job: &JobId, attempt: u64) -> Option<SavepointRef> {
        let hdfs = self.inner.hdfs.as_ref()?;
        let (prefix, root) = hdfs_location(
            self.inner.checkpoint_dir.as_deref()?,
            &self.inner.default_fs,
        )?;
        let base = format!(
            "{}/{}",
            root.trim_end_matches('/'),
            tag::flink_job_id(job, attempt)
        );
        let entries = match hdfs.list_status(&base).await {
            Ok(e) => e,
            Err(e) if e.is_not_found() => return None,
            Err(e) => {
                tracing::warn!(job = %job, attempt, error = %e, "cannot list the checkpoints of an ended application");
                return None;
            }
        };
        let mut numbers: Vec<u64> = entries
            .iter()
            .filter(|e| e.kind == FileKind::Directory)
            .filter_map(|e| e.path_suffix.strip_prefix("chk-")?.parse().ok())
            .collect();
        numbers.sort_unstable();
        for n in numbers.into_iter().rev() {
            match hdfs.file_status(&format!("{base}/chk-{n}/_metadata")).await {
                Ok(Some(_)) => {
                    return Some(SavepointRef::checkpoint(format!("{prefix}{base}/chk-{n}")));
                }
                Ok(None) => {} // an unfinished checkpoint: try the one before
                Err(e) => {
                    tracing::warn!(job = %job, attempt, error = %e, "cannot read a checkpoint's metadata");
                    return None;
                }
            }
        }
        None
    }

    /// Uploads bytes to `<workspace>/jobs/<job>/<attempt>/<name>`; returns the URI to pass on.
    /// Only application mode runs the program from a remote URI: in per-job mode the client
    /// runs `main()` itself and needs a local file (Flink 1.20's CLI answers "JAR file does not
    /// exist: hdfs:/…"), so nothing is uploaded there.
    async fn upload(
        &self,
        req: &DeployRequest,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<Option<String>> {
        let Some(hdfs) = &self.inner.hdfs else {
            return Ok(None);
        };
        if self.inner.target != YarnTarget::Application {
            return Ok(None);
        }
        let dir = format!(
            "{}/{}",
            crate::workspace::job_upload_dir(&self.inner.workspace, &req.spec.id),
            req.attempt
        );
        hdfs.mkdirs(&dir).await?;
        let path = format!("{dir}/{name}");
        hdfs.create(&path, bytes, true).await?;
        Ok(Some(self.uri(&path)))
    }

    async fn submission(&self, req: &DeployRequest) -> Result<YarnSubmission> {
        let spec = &req.spec;
        for j in &spec.jars {
            Self::check_local(j, "jar").await?;
        }
        let name = tag::job_name(&spec.id, req.attempt, &spec.name);
        let (user_jar, entry_class, args, sql) = match &spec.program {
            Program::Sql { script } => {
                let jar = match self
                    .upload(
                        req,
                        runner::SQL_RUNNER_JAR_NAME,
                        runner::SQL_RUNNER_JAR.to_vec(),
                    )
                    .await?
                {
                    Some(uri) => uri,
                    None => local_runner_jar().await?,
                };
                (
                    jar,
                    Some(runner::SQL_RUNNER_MAIN_CLASS.to_string()),
                    runner::program_args(script, Some(&name)),
                    Some(script.clone()),
                )
            }
            Program::Jar {
                artifact,
                entry_class,
                args,
            } => {
                Self::check_local(artifact, "jar artifact").await?;
                let local = artifact.strip_prefix("file://").unwrap_or(artifact);
                let jar = if local.contains("://") {
                    if self.inner.target != YarnTarget::Application {
                        return Err(Error::invalid_input(
                            BACKEND,
                            "jar artifact",
                            artifact,
                            "per-job mode runs the program in the client: give a local jar (only application mode reads it from a remote file system)",
                        ));
                    }
                    artifact.clone()
                } else {
                    let bytes = tokio::fs::read(local).await.map_err(|e| {
                        Error::invalid_input(
                            BACKEND,
                            "jar artifact",
                            local,
                            format!("cannot read: {e}"),
                        )
                    })?;
                    let file = std::path::Path::new(local)
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or("program.jar")
                        .to_string();
                    self.upload(req, &file, bytes)
                        .await?
                        .unwrap_or_else(|| local.to_string())
                };
                (jar, entry_class.clone(), args.clone(), None)
            }
            _ => {
                return Err(Error::Unsupported {
                    backend: BACKEND,
                    operation: "this program kind".into(),
                });
            }
        };
        let tags = yarn_tags(&spec.id, req.attempt);
        let mut config: BTreeMap<String, String> = spec.config.clone();
        config.insert("pipeline.name".into(), name.clone());
        config.insert(
            "$internal.pipeline.job-id".into(),
            tag::flink_job_id(&spec.id, req.attempt),
        );
        config.insert("yarn.application.name".into(), name.clone());
        config.insert(
            "yarn.application.type".into(),
            FLINK_APPLICATION_TYPE.into(),
        );
        config.insert("yarn.tags".into(), tags.join(","));
        if let Some(q) = &self.inner.queue {
            config.insert("yarn.application.queue".into(), q.clone());
        }
        if let (Some(v), Some(_)) = (&self.inner.flink_version, &self.inner.hdfs) {
            let base = self.uri(&format!("{}/flink/{v}", self.inner.workspace));
            config.insert(
                "yarn.provided.lib.dirs".into(),
                format!("{base}/lib;{base}/plugins"),
            );
        }
        if let Some(p) = spec.parallelism {
            config.insert("parallelism.default".into(), p.to_string());
        }
        if let Some(path) = &req.restore_path {
            config.insert("execution.savepoint.path".into(), path.clone());
            config.insert(
                "execution.savepoint.ignore-unclaimed-state".into(),
                req.allow_non_restored_state.to_string(),
            );
        }
        let (local_jars, remote_jars): (Vec<&String>, Vec<&String>) = spec
            .jars
            .iter()
            .partition(|j| !j.strip_prefix("file://").unwrap_or(j).contains("://"));
        if !local_jars.is_empty() {
            let files: Vec<&str> = local_jars
                .iter()
                .map(|j| j.strip_prefix("file://").unwrap_or(j))
                .collect();
            config.insert("yarn.ship-files".into(), files.join(";"));
        }
        if !remote_jars.is_empty() {
            let v: Vec<&str> = remote_jars.iter().map(|s| s.as_str()).collect();
            config.insert("pipeline.classpaths".into(), v.join(";"));
        }
        Ok(YarnSubmission {
            job: spec.id.clone(),
            attempt: req.attempt,
            target: self.inner.target.clone(),
            name,
            tags,
            user_jar,
            entry_class,
            args,
            sql,
            config,
        })
    }

    /// After a submit timeout: the application is found by its tags and adopted, or nothing was
    /// started.
    async fn find_attempt(&self, job: &JobId, attempt: u64) -> Result<Option<App>> {
        Ok(self
            .tagged_apps(job)
            .await?
            .into_iter()
            .find(|(_, n)| *n == attempt)
            .map(|(a, _)| a))
    }

    /// Waits until the application runs; a failed start is `Rejected` with YARN's diagnostics;
    /// an application that does not start in time is killed (never orphaned).
    async fn wait_started(&self, id: &str) -> Result<App> {
        let did = DeploymentId::new(id);
        let start = tokio::time::Instant::now();
        loop {
            let app = self.app(&did).await?;
            match job_state(app.state, app.final_status) {
                JobState::Running => return Ok(app),
                JobState::Deploying => {}
                s => {
                    return Err(Error::Rejected {
                        backend: BACKEND,
                        operation: format!("start of application {id}"),
                        message: format!("application ended {s}: {}", app.diagnostics.trim()),
                        source: None,
                    });
                }
            }
            if start.elapsed() >= self.inner.deploy_timeout {
                let _ = self.inner.rm.kill(id).await;
                return Err(Error::Timeout {
                    backend: BACKEND,
                    operation: format!("start of application {id} (killed)"),
                    after: self.inner.deploy_timeout,
                });
            }
            tokio::time::sleep(self.inner.poll).await;
        }
    }

    /// In application mode the program runs inside the cluster: a script or main class the
    /// cluster refuses ends the application moments after YARN says RUNNING. Waits (at most the
    /// deploy timeout) until Flink reports the job past initialization, and answers
    /// [`Error::Rejected`] with the JobManager's reason when the application ends first. A job
    /// still initializing at the timeout is left running (it was accepted).
    async fn wait_job_accepted(&self, id: &DeploymentId) -> Result<()> {
        let start = tokio::time::Instant::now();
        while start.elapsed() < self.inner.deploy_timeout {
            let app = match self.app(id).await {
                Ok(a) => a,
                Err(e) if e.is_retryable() => {
                    tokio::time::sleep(self.inner.poll).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if app.state.is_terminal() {
                let d = self.inspect(id).await?;
                if d.snapshot.state == JobState::Finished {
                    return Ok(());
                }
                return Err(Error::Rejected {
                    backend: BACKEND,
                    operation: format!("start of application {id}"),
                    message: format!(
                        "the application ended {} while starting: {}",
                        d.snapshot.state,
                        d.failure.as_deref().unwrap_or("no reason given")
                    ),
                    source: None,
                });
            }
            // The program has submitted its job once the JobManager lists one past
            // initialization (before that the list is empty while `main` runs).
            if let Ok(flink) = self.proxy_client(id).await
                && let Ok(jobs) = flink.jobs_overview().await
                && jobs.iter().any(|j| {
                    !matches!(
                        j.job_state(),
                        JobState::Initializing | JobState::Created | JobState::Unknown
                    )
                })
            {
                return Ok(());
            }
            tokio::time::sleep(self.inner.poll).await;
        }
        Ok(())
    }

    /// The root cause in the AM container's `jobmanager.log` (its last `Caused by:` line, else
    /// its last line naming an exception), for an application that failed.
    async fn log_cause(&self, id: &DeploymentId) -> Option<String> {
        let logs = self
            .logs(
                id,
                LogOptions::file("jobmanager.log").with_max_bytes(512 * 1024),
            )
            .await
            .ok()?;
        root_cause(&logs.content)
    }

    async fn fetch_text(&self, url: &str) -> Result<String> {
        let u = url::Url::parse(url).map_err(|e| {
            Error::invalid_input(BACKEND, "log URL", redact_url(url), e.to_string())
        })?;
        let client = http::no_redirect_client(BACKEND, self.inner.request_timeout)?;
        let a = http::send_accepting(
            BACKEND,
            &client,
            self.inner.request_timeout,
            Method::GET,
            &u,
            Body::None,
            "text/plain",
        )
        .await?;
        if !a.status.is_success() {
            return Err(http::status_error(
                BACKEND,
                &format!("GET {}", redact_url(url)),
                "container log",
                &a,
            ));
        }
        Ok(String::from_utf8_lossy(&a.body).into_owned())
    }
}

async fn local_runner_jar() -> Result<String> {
    let dir = std::env::temp_dir().join("streampark-rs");
    let path = dir.join(runner::SQL_RUNNER_JAR_NAME);
    let io = |e: std::io::Error| Error::Other {
        backend: BACKEND,
        message: format!("writing the SQL runner jar to {}", dir.display()),
        source: Some(Box::new(e)),
    };
    tokio::fs::create_dir_all(&dir).await.map_err(io)?;
    tokio::fs::write(&path, runner::SQL_RUNNER_JAR)
        .await
        .map_err(io)?;
    Ok(path.display().to_string())
}

fn tail(content: String, max: usize) -> (String, bool) {
    if content.len() <= max {
        return (content, false);
    }
    let mut cut = content.len() - max;
    while !content.is_char_boundary(cut) {
        cut += 1;
    }
    (content[cut..].to_string(), true)
}

#[async_trait::async_trait]
impl Deployer for YarnDeployer {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    /// The version given to the builder (by the registry: the Flink home's).
    async fn cluster_flink_version(&self) -> Result<Option<streampark_core::FlinkVersion>> {
        self.inner
            .flink_version
            .as_deref()
            .map(|v| {
                v.parse().map_err(|e: Error| {
                    Error::invalid_config(BACKEND, "with_flink_version", e.to_string())
                })
            })
            .transpose()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::all()
    }

    #[instrument(name = "deployer.deploy", skip_all, fields(backend = "yarn", job = %req.spec.id, attempt = req.attempt, app_id = tracing::field::Empty), err(level = Level::WARN))]
    async fn deploy(&self, req: DeployRequest) -> Result<Deployment> {
        let job = req.spec.id.clone();
        let existing = self.tagged_apps(&job).await?;
        if let Some((_, n)) = existing.iter().find(|(_, n)| *n == req.attempt) {
            return Err(Error::Fenced {
                backend: BACKEND,
                job: job.to_string(),
                attempt: req.attempt,
                live_attempt: *n,
            });
        }
        if let Some((_, n)) = existing
            .iter()
            .filter(|(a, _)| !a.state.is_terminal())
            .max_by_key(|(_, n)| *n)
        {
            return Err(Error::Fenced {
                backend: BACKEND,
                job: job.to_string(),
                attempt: req.attempt,
                live_attempt: *n,
            });
        }
        if let Err(e) = self.clean_uploads_with(&job, &existing).await {
            tracing::warn!(error = %e, "uploads of ended attempts not removed");
        }
        let sub = self.submission(&req).await?;
        let id = match self.inner.submitter.submit(&sub).await {
            Ok(id) => id,
            Err(e @ Error::Timeout { .. }) => match self.find_attempt(&job, req.attempt).await? {
                Some(app) => {
                    tracing::info!(app = %app.id, "submission timed out but the application exists: adopting it");
                    app.id
                }
                None => return Err(e),
            },
            Err(e) => {
                // Nothing runs: the files uploaded for this attempt serve no one. An
                // application that failed while starting (a missing main class in application
                // mode) left its reason in the JobManager log only.
                let e = match (&e, self.find_attempt(&job, req.attempt).await) {
                    (
                        Error::Rejected {
                            operation, message, ..
                        },
                        Ok(Some(app)),
                    ) => match self.log_cause(&DeploymentId::new(app.id.clone())).await {
                        Some(cause) => Error::Rejected {
                            backend: BACKEND,
                            operation: operation.clone(),
                            message: format!("{message}\n{cause}"),
                            source: None,
                        },
                        None => e,
                    },
                    _ => e,
                };
                self.drop_uploads(&job, req.attempt).await;
                return Err(e);
            }
        };
        tracing::Span::current().record("app_id", id.as_str());
        let app = self.wait_started(&id).await?;
        self.wait_job_accepted(&DeploymentId::new(id.clone()))
            .await?;
        let mut d = Deployment::new(DeploymentId::new(id), job, req.attempt);
        if let Some(u) = app.tracking_url {
            d = d.with_web_url(u);
        }
        Ok(d)
    }

    #[instrument(name = "deployer.list", skip_all, fields(backend = "yarn"), err(level = Level::WARN))]
    async fn list(&self, selector: &Selector) -> Result<Vec<JobSnapshot>> {
        let q = match selector {
            Selector::Job(j) => AppQuery::new().with_tag(job_tag(j)),
            _ => AppQuery::new().with_tag(MANAGED_TAG),
        }
        .with_type(FLINK_APPLICATION_TYPE);
        Ok(self
            .inner
            .rm
            .apps(&q)
            .await?
            .iter()
            .filter_map(snapshot)
            .filter(|s| selector.matches(&s.job))
            .collect())
    }

    #[instrument(name = "deployer.inspect", skip_all, fields(backend = "yarn", app_id = %id), err(level = Level::WARN))]
    async fn inspect(&self, id: &DeploymentId) -> Result<JobDetails> {
        let app = self.app(id).await?;
        let snap = snapshot(&app)
            .ok_or_else(|| Error::not_found(BACKEND, format!("streampark application {id}")))?;
        let mut d = JobDetails::new(snap);
        if app.state.is_terminal() {
            if d.snapshot.state == JobState::Failed {
                // YARN's diagnostics say that the AM exited, rarely why (a failed Flink job in
                // application mode leaves them empty): the JobManager log names the cause.
                let diag = app.diagnostics.trim();
                let cause = self.log_cause(id).await;
                d.failure = match (diag.is_empty(), cause) {
                    (true, Some(c)) => Some(c),
                    (false, Some(c)) => Some(format!("{c} (YARN: {diag})")),
                    (false, None) => Some(diag.to_string()),
                    (true, None) => None,
                };
            }
            if d.latest_checkpoint.is_none() {
                d.latest_checkpoint = self
                    .retained_checkpoint(&d.snapshot.job, d.snapshot.attempt)
                    .await;
            }
            return Ok(d);
        }
        let flink = self.proxy_client(id).await?;
        let Some(job) = flink.jobs_overview().await?.into_iter().next() else {
            return Ok(d);
        };
        // YARN says RUNNING for as long as the application master lives; Flink's own job
        // state tells RESTARTING, FAILING or an ended job that the cluster has not yet left.
        let flink_state = job.job_state();
        if app.state == AppState::Running && flink_state != JobState::Unknown {
            d.snapshot.state = flink_state;
        }
        // A JobMaster still initializing has no checkpoint statistics yet: Flink answers 500
        // `UnavailableDispatcherOperationException` (seen on a real YARN application).
        if matches!(flink_state, JobState::Initializing | JobState::Created) {
            return Ok(d);
        }
        let cps = match flink.checkpoints(&job.jid).await {
            Ok(c) => c,
            Err(e)
                if e.to_string()
                    .contains("UnavailableDispatcherOperationException") =>
            {
                return Ok(d);
            }
            Err(e) => return Err(e),
        };
        d.checkpoints_completed = cps.counts.completed;
        d.checkpoints_failed = cps.counts.failed;
        if let Some(c) = &cps.latest.completed
            && let Some(p) = cps.latest_completed_path()
        {
            d.latest_checkpoint =
                Some(SavepointRef::checkpoint(p).with_completed_at_ms(c.latest_ack_timestamp));
        }
        if let Some(s) = &cps.latest.savepoint
            && let Some(p) = s.external_path.as_deref().filter(|p| !p.is_empty())
        {
            d.latest_savepoint =
                Some(SavepointRef::savepoint(p).with_completed_at_ms(s.latest_ack_timestamp));
        }
        d.restored_from = cps
            .latest
            .restored
            .as_ref()
            .and_then(|r| r.external_path.clone());
        if let Ok(x) = flink.exceptions(&job.jid, 5).await {
            d.failure = x.latest_summary();
        }
        if matches!(
            d.snapshot.state,
            JobState::Restarting | JobState::Failing | JobState::Failed
        ) && d.snapshot.reason.is_none()
        {
            d.snapshot.reason.clone_from(&d.failure);
        }
        Ok(d)
    }

    #[instrument(name = "deployer.savepoint", skip_all, fields(backend = "yarn", app_id = %id), err(level = Level::WARN))]
    async fn savepoint(&self, id: &DeploymentId, opts: SavepointOptions) -> Result<SavepointRef> {
        let Some((_, flink, jid)) = self.live_job(id).await? else {
            return Err(Error::Rejected {
                backend: BACKEND,
                operation: format!("savepoint of {id}"),
                message: "the application has ended".into(),
                source: None,
            });
        };
        let path = flink
            .savepoint_and_wait(&jid, opts.target_dir.as_deref(), opts.timeout)
            .await?;
        Ok(SavepointRef::savepoint(path))
    }

    #[instrument(name = "deployer.stop", skip_all, fields(backend = "yarn", app_id = %id), err(level = Level::WARN))]
    async fn stop(&self, id: &DeploymentId, opts: StopOptions) -> Result<StopOutcome> {
        let live = match self.live_job(id).await {
            Ok(Some(x)) => x,
            Ok(None) => {
                if let Ok(app) = self.app(id).await {
                    self.drop_uploads_of(&app).await;
                }
                return Ok(StopOutcome::AlreadyGone);
            }
            Err(e) if e.is_not_found() => return Ok(StopOutcome::AlreadyGone),
            Err(e) if e.is_retryable() => {
                // The JobManager cannot be reached: kill through the RM (no savepoint possible).
                if let StopMode::Savepoint { .. } = opts.mode {
                    return Err(e);
                }
                let state = self.inner.rm.kill(id.as_str()).await?;
                tracing::info!(app = %id, state = state.as_str(), "killed through the ResourceManager");
                if let Ok(app) = self.app(id).await {
                    self.drop_uploads_of(&app).await;
                }
                return Ok(StopOutcome::Stopped { savepoint: None });
            }
            Err(e) => return Err(e),
        };
        let (app, flink, jid) = live;
        let savepoint = match &opts.mode {
            StopMode::Cancel => {
                flink.cancel(&jid).await?;
                None
            }
            StopMode::Savepoint { target_dir, drain } => Some(SavepointRef::savepoint(
                flink
                    .stop_with_savepoint_and_wait(&jid, target_dir.as_deref(), *drain, opts.timeout)
                    .await?,
            )),
            _ => {
                return Err(Error::Unsupported {
                    backend: BACKEND,
                    operation: "this stop mode".into(),
                });
            }
        };
        match self.wait_terminal(id, opts.timeout).await {
            Ok(_) => {}
            Err(Error::Timeout { .. }) => {
                // The job ended but the application did not: never leave it behind.
                let _ = self.inner.rm.kill(id.as_str()).await?;
            }
            Err(e) => return Err(e),
        }
        self.drop_uploads_of(&app).await;
        Ok(StopOutcome::Stopped { savepoint })
    }

    #[instrument(name = "deployer.logs", skip_all, fields(backend = "yarn", app_id = %id), err(level = Level::WARN))]
    async fn logs(&self, id: &DeploymentId, opts: LogOptions) -> Result<Logs> {
        let app = self.app(id).await?;
        let want = opts.file.clone().unwrap_or_else(|| "jobmanager.log".into());
        if !app.state.is_terminal() {
            let flink = self.proxy_client(id).await?;
            if let Ok(list) = flink.jobmanager_logs().await {
                let files: Vec<LogFile> = list
                    .iter()
                    .map(|l| LogFile::new(l.name.clone(), Some(l.size)))
                    .collect();
                if !files.iter().any(|f| f.name == want) {
                    return Err(Error::not_found(
                        BACKEND,
                        format!("log file {want} of {id}"),
                    ));
                }
                let (content, truncated) = tail(flink.jobmanager_log(&want).await?, opts.max_bytes);
                return Ok(Logs::new(files, want, content, truncated));
            }
        }
        // Aggregated / NodeManager container logs of the AM container.
        let attempts = self.inner.rm.attempts(id.as_str()).await?;
        let Some(at) = attempts.last() else {
            return Err(Error::not_found(BACKEND, format!("logs of {id}")));
        };
        let host = if at.node_http_address.is_empty() {
            app.am_host_http_address.clone().unwrap_or_default()
        } else {
            at.node_http_address.clone()
        };
        if want != "jobmanager.log" {
            return Err(Error::not_found(
                BACKEND,
                format!("log file {want} of {id}"),
            ));
        }
        let text = self
            .fetch_text(&format!(
                "http://{host}/ws/v1/node/containerlogs/{}/{want}",
                at.container_id
            ))
            .await?;
        let files = vec![LogFile::new(want.clone(), Some(text.len() as u64))];
        let (content, truncated) = tail(text, opts.max_bytes);
        Ok(Logs::new(files, want, content, truncated))
    }
}

/// The outermost and innermost of the last distinct `Caused by:` lines of a log that are not
/// Flink's wrappers, else its last line naming an exception or error, trimmed to 1 000
/// characters.
pub(crate) fn root_cause(log: &str) -> Option<String> {
    // Flink wraps a job's failure on the way out (`UnsuccessfulExecutionException: Job Status:
    // FAILED`, `JobExecutionException`, `CompletionException`, …): the cause worth naming is
    // the last one that is not such a wrapper.
    const WRAPPERS: &[&str] = &[
        "UnsuccessfulExecutionException",
        "JobExecutionException",
        "CompletionException",
        "ExecutionException",
        "ApplicationExecutionException",
        "JobInitializationException",
        "FlinkRuntimeException: Could not",
    ];
    let lines: Vec<&str> = log.lines().map(str::trim).collect();
    let causes: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("Caused by:"))
        .map(|l| l.trim_start_matches("Caused by:").trim())
        .collect();
    let mut named: Vec<&str> = Vec::new();
    for c in causes
        .iter()
        .filter(|c| !WRAPPERS.iter().any(|w| c.contains(w)))
    {
        named.retain(|n| n != c);
        named.push(c);
    }
    // Of the last few distinct causes, the outermost (the program's own words: a SQL
    // statement and its line) and the innermost (the parser's or the job's cause).
    let window = &named[named.len().saturating_sub(6)..];
    let joined = match window {
        [] => String::new(),
        [one] => (*one).to_string(),
        [first, .., last] => format!("{first}; caused by: {last}"),
    };
    let pick = (!joined.is_empty())
        .then_some(joined.as_str())
        .or_else(|| causes.last().copied())
        .or_else(|| {
            lines
                .iter()
                .rev()
                .find(|l| {
                    !l.starts_with("at ") && (l.contains("Exception") || l.contains("Error:"))
                })
                .copied()
        })?;
    Some(pick.chars().take(1000).collect())
}

/// The URI prefix and HDFS path of a checkpoint directory: `hdfs://nn:8020/ckpt` gives
/// (`hdfs://nn:8020`, `/ckpt`); a bare `/ckpt` is on `default_fs` when that is HDFS. Other
/// file systems (S3, OSS, …) are not HDFS: `None`.
fn hdfs_location(dir: &str, default_fs: &str) -> Option<(String, String)> {
    let dir = dir.trim();
    if dir.starts_with('/') {
        return default_fs.starts_with("hdfs://").then(|| {
            (
                default_fs.trim_end_matches('/').to_string(),
                dir.to_string(),
            )
        });
    }
    let u = url::Url::parse(dir).ok()?;
    if u.scheme() != "hdfs" {
        return None;
    }
    let prefix = match (u.host_str(), u.port()) {
        (Some(h), Some(p)) => format!("hdfs://{h}:{p}"),
        (Some(h), None) => format!("hdfs://{h}"),
        // hdfs:///ckpt: the default file system's NameNode.
        _ if default_fs.starts_with("hdfs://") => default_fs.trim_end_matches('/').to_string(),
        _ => return None,
    };
    let path = if u.path().is_empty() { "/" } else { u.path() };
    Some((prefix, path.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_directories_on_hdfs() {
        let fs = "hdfs://nn:8020";
        assert_eq!(
            hdfs_location("hdfs://nn2:9000/flink/ckpt", fs),
            Some(("hdfs://nn2:9000".into(), "/flink/ckpt".into()))
        );
        assert_eq!(
            hdfs_location("hdfs://ns1/flink/ckpt", fs),
            Some(("hdfs://ns1".into(), "/flink/ckpt".into()))
        );
        assert_eq!(
            hdfs_location("hdfs:///flink/ckpt", fs),
            Some(("hdfs://nn:8020".into(), "/flink/ckpt".into()))
        );
        assert_eq!(
            hdfs_location("/flink/ckpt", "hdfs://nn:8020/"),
            Some(("hdfs://nn:8020".into(), "/flink/ckpt".into()))
        );
        assert_eq!(hdfs_location("/flink/ckpt", "file:///"), None);
        assert_eq!(hdfs_location("s3://bucket/ckpt", fs), None);
        assert_eq!(hdfs_location("not a uri", fs), None);
    }

    /// Lines as a real YARN application's `jobmanager.log` had them (Flink 2.3, Hadoop 3.4).
    #[test]
    fn the_root_cause_skips_flinks_wrappers_and_keeps_the_programs_words() {
        let failed_job = "2026-12-02 INFO Job switched to FAILED.\n\
            java.lang.ArithmeticException: / by zero\n\
            \tat Foo.bar(Foo.java:1)\n\
            Caused by: java.lang.ArithmeticException: / by zero\n\
            Caused by: org.apache.flink.client.deployment.application.UnsuccessfulExecutionException: Job Status: FAILED\n";
        assert_eq!(
            root_cause(failed_job).as_deref(),
            Some("java.lang.ArithmeticException: / by zero")
        );
        let rejected_sql = "Caused by: org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: SQL statement 2 (line 2): SQL parse failed.\n\
            Caused by: java.lang.IllegalArgumentException: SQL statement 2 (line 2): SQL parse failed.\n\
            Caused by: org.apache.calcite.runtime.CalciteException: Non-query expression encountered in illegal context\n";
        let c = root_cause(rejected_sql).unwrap();
        assert!(c.contains("statement 2 (line 2)"), "{c}");
        assert!(c.contains("Non-query expression"), "{c}");
        assert_eq!(root_cause("all fine\nnothing here\n"), None);
        assert_eq!(
            root_cause("ERROR boom: java.io.IOException: disk\n").as_deref(),
            Some("ERROR boom: java.io.IOException: disk")
        );
    }

    #[test]
    fn tags_are_lower_case_and_identify_the_attempt() {
        let j = JobId::new("Orders.ETL").unwrap();
        let t = yarn_tags(&j, 3);
        assert_eq!(
            t,
            [
                "streampark",
                "streampark.attempt=3",
                "streampark.job=orders.etl"
            ]
        );
        let app: App = serde_json::from_value(serde_json::json!({
            "id": "application_1_1", "state": "RUNNING", "name": tag::job_name(&j, 3, "x"),
            "applicationTags": t.join(",")}))
        .unwrap();
        assert_eq!(
            identify(&app),
            Some((j, 3)),
            "the name keeps the job id's case"
        );
        let untagged: App = serde_json::from_value(
            serde_json::json!({"id": "application_1_2", "state": "RUNNING", "name": "adhoc"}),
        )
        .unwrap();
        assert_eq!(snapshot(&untagged), None);
    }

    #[test]
    fn yarn_states_map_to_job_states() {
        use AppState as A;
        use FinalStatus as F;
        for (state, fin, want) in [
            (A::Accepted, F::Undefined, JobState::Deploying),
            (A::Running, F::Undefined, JobState::Running),
            (A::Finished, F::Succeeded, JobState::Finished),
            (A::Finished, F::Failed, JobState::Failed),
            (A::Finished, F::Killed, JobState::Canceled),
            (A::Killed, F::Killed, JobState::Canceled),
            (A::Failed, F::Failed, JobState::Failed),
        ] {
            assert_eq!(job_state(state, fin), want, "{state:?}/{fin:?}");
        }
    }

    #[test]
    fn tails_cut_on_char_boundaries() {
        assert_eq!(tail("abcdef".into(), 3), ("def".into(), true));
        assert_eq!(tail("ab".into(), 3), ("ab".into(), false));
        let (t, cut) = tail("aé".into(), 1);
        assert!(cut && t.is_empty());
    }
}
