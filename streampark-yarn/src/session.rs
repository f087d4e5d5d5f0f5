//! YARN session clusters: start one (or adopt the one already running with the same tags),
//! run jobs on it, stop it.
//!
//! A session cluster is one YARN application whose JobManager runs many jobs. [`YarnSession`]
//! starts it through a [`Submitter`] (`yarn-session.sh -d` with [`crate::CliSubmitter`]), finds
//! it again by its YARN tags, submits jobs to it either through the same submitter
//! (`flink run -t yarn-session`, [`YarnSession::submit`]) or through a [`Deployer`]
//! ([`YarnSession::deployer`]: a [`RemoteDeployer`] at the JobManager REST address the
//! application registered as `amRPCAddress`, read again on every call so that it follows an
//! application-master restart), and stops it by killing the application through the RM (its
//! jobs end with it).
//!
//! ```no_run
//! use std::sync::Arc;
//! use streampark_core::{DeployRequest, Deployer, JobSpec};
//! use streampark_yarn::rm::ResourceManagerClient;
//! use streampark_yarn::session::{YarnSession, YarnSessionSpec};
//! use streampark_yarn::Submitter;
//! # async fn demo(rm: ResourceManagerClient, cli: Arc<dyn Submitter>) -> streampark_core::Result<()> {
//! let spec = YarnSessionSpec::new("analytics-session")
//!     .with_queue("streaming")
//!     .with_tag("streampark.session=analytics")
//!     .with_provided_lib_dir("hdfs:///streampark/flink/2.3.0/lib");
//! let session = YarnSession::start_or_adopt(rm, cli, &spec).await?;
//! let flink = session.deployer();
//! let job = JobSpec::jar("orders", "/opt/jobs/orders.jar", Some("com.example.Orders"), vec![])?;
//! flink.deploy(DeployRequest::new(job, 1)).await?;
//! session.stop().await?;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use streampark_core::flink::{FlinkClient, JobOverview};
use streampark_core::{
    Capabilities, DeployRequest, Deployer, Deployment, DeploymentId, Error, JobDetails,
    JobSnapshot, LogOptions, Logs, RemoteDeployer, Result, SavepointOptions, SavepointRef,
    Selector, StopOptions, StopOutcome,
};
use tokio::sync::Mutex;
use tracing::{Level, instrument};
use url::Url;

use crate::BACKEND;
use crate::deployer::{FLINK_APPLICATION_TYPE, MANAGED_TAG};
use crate::rm::{App, AppQuery, AppState, ResourceManagerClient};
use crate::submit::{Submitter, YarnSubmission, YarnTarget};

/// What a session cluster is started with: name, queue, tags and Flink options.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct YarnSessionSpec {
    name: String,
    queue: Option<String>,
    tags: Vec<String>,
    config: BTreeMap<String, String>,
}

impl YarnSessionSpec {
    /// A session named `name` (`yarn.application.name`), tagged `streampark`.
    pub fn new(name: impl Into<String>) -> Self {
        YarnSessionSpec {
            name: name.into(),
            queue: None,
            tags: vec![MANAGED_TAG.to_string()],
            config: BTreeMap::new(),
        }
    }
    /// The YARN queue (`yarn.application.queue`).
    pub fn with_queue(mut self, queue: impl Into<String>) -> Self {
        self.queue = Some(queue.into());
        self
    }
    /// Adds a YARN tag (lower-cased, as YARN stores it). A session is found again by all of its
    /// tags, so give each session a distinguishing one (e.g. `streampark.session=<name>`).
    pub fn with_tag(mut self, tag: impl Into<String>) -> Self {
        let t = tag.into().to_lowercase();
        if !self.tags.contains(&t) {
            self.tags.push(t);
        }
        self
    }
    /// Adds a directory to `yarn.provided.lib.dirs` (e.g. the HDFS workspace's Flink `lib/`).
    pub fn with_provided_lib_dir(mut self, dir: impl Into<String>) -> Self {
        let dir = dir.into();
        let key = "yarn.provided.lib.dirs".to_string();
        let v = match self.config.remove(&key) {
            Some(old) if !old.is_empty() => format!("{old};{dir}"),
            _ => dir,
        };
        self.config.insert(key, v);
        self
    }
    /// Any other Flink option, passed as `-Dkey=value`.
    pub fn with_config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.insert(key.into(), value.into());
        self
    }
    /// The application name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The queue.
    pub fn queue(&self) -> Option<&str> {
        self.queue.as_deref()
    }
    /// The tags (lower-case).
    pub fn tags(&self) -> &[String] {
        &self.tags
    }
    /// The Flink options.
    pub fn config(&self) -> &BTreeMap<String, String> {
        &self.config
    }

    fn validate(&self) -> Result<()> {
        let bad = |field: &str, why: String| {
            Err(Error::invalid_input(
                BACKEND,
                field,
                "YARN session spec",
                why,
            ))
        };
        if self.name.trim().is_empty() {
            return bad("name", "the session name is empty".into());
        }
        if self.tags.len() < 2 {
            return bad(
                "tags",
                "give the session a tag of its own besides `streampark` (with_tag), so it can be found again".into(),
            );
        }
        if let Some(t) = self
            .tags
            .iter()
            .find(|t| t.is_empty() || t.contains(',') || t.len() > 100)
        {
            return bad(
                "tags",
                format!("tag `{t}` is empty, holds a comma or is longer than 100 characters"),
            );
        }
        Ok(())
    }
}

/// A running YARN session cluster. Cheap to clone.
#[derive(Clone)]
pub struct YarnSession {
    rm: ResourceManagerClient,
    submitter: Arc<dyn Submitter>,
    application_id: String,
    request_timeout: Duration,
}

impl fmt::Debug for YarnSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("YarnSession")
            .field("application_id", &self.application_id)
            .field("rm", &self.rm.urls())
            .finish_non_exhaustive()
    }
}

fn live(state: AppState) -> bool {
    !state.is_terminal() && state != AppState::Unknown
}

impl YarnSession {
    /// The live session cluster carrying every tag of `spec`, or a new one started through
    /// `submitter`. When the submitter times out after YARN accepted the application, the
    /// application is looked for by its tags and adopted.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a spec without a tag of its own; the RM's and the
    /// submitter's errors ([`Error::Rejected`] with the CLI's stderr tail).
    #[instrument(name = "yarn.session.start", skip_all, err(level = Level::WARN), fields(backend = BACKEND, session = spec.name()))]
    pub async fn start_or_adopt(
        rm: ResourceManagerClient,
        submitter: Arc<dyn Submitter>,
        spec: &YarnSessionSpec,
    ) -> Result<YarnSession> {
        spec.validate()?;
        if let Some(s) = Self::find(rm.clone(), submitter.clone(), spec.tags()).await? {
            tracing::info!(application = %s.application_id, "adopted the running session cluster");
            return Ok(s);
        }
        let id = match submitter.start_session(spec).await {
            Ok(id) => id,
            Err(e @ Error::Timeout { .. }) => {
                match Self::find(rm.clone(), submitter.clone(), spec.tags()).await? {
                    Some(s) => {
                        tracing::warn!(application = %s.application_id, "session start timed out; adopted the application YARN accepted");
                        return Ok(s);
                    }
                    None => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        tracing::info!(application = %id, "session cluster started");
        Ok(Self::adopt(rm, submitter, id))
    }

    /// The live Flink application carrying every one of `tags` (the oldest when several do).
    ///
    /// # Errors
    /// The RM's errors.
    pub async fn find(
        rm: ResourceManagerClient,
        submitter: Arc<dyn Submitter>,
        tags: &[String],
    ) -> Result<Option<YarnSession>> {
        let Some(first) = tags.first() else {
            return Err(Error::invalid_input(
                BACKEND,
                "tags",
                "YARN session lookup",
                "no tag given",
            ));
        };
        let query = AppQuery::new()
            .with_tag(first.clone())
            .with_type(FLINK_APPLICATION_TYPE);
        let mut apps: Vec<App> = rm
            .apps(&query)
            .await?
            .into_iter()
            .filter(|a| live(a.state))
            .filter(|a| {
                let have = a.tags();
                tags.iter()
                    .all(|t| have.contains(&t.to_lowercase().as_str()))
            })
            .collect();
        apps.sort_by_key(|a| a.started_time);
        Ok(apps
            .into_iter()
            .next()
            .map(|a| Self::adopt(rm, submitter, a.id)))
    }

    /// A handle on the session cluster `application_id` (no call made).
    pub fn adopt(
        rm: ResourceManagerClient,
        submitter: Arc<dyn Submitter>,
        application_id: impl Into<String>,
    ) -> YarnSession {
        YarnSession {
            rm,
            submitter,
            application_id: application_id.into(),
            request_timeout: Duration::from_secs(10),
        }
    }

    /// Timeout of each JobManager REST request (default 10 s).
    #[must_use]
    pub fn with_request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }

    /// The session's YARN application id.
    pub fn application_id(&self) -> &str {
        &self.application_id
    }

    /// The application as the RM reports it.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the RM does not know it; the RM's errors.
    pub async fn app(&self) -> Result<App> {
        self.rm.app(&self.application_id).await
    }

    /// The JobManager REST URL the application master registered (`amRPCAddress`), read from
    /// the RM on every call.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the session has ended or no address is registered yet.
    pub async fn jobmanager_url(&self) -> Result<Url> {
        let app = self.app().await?;
        if !live(app.state) {
            return Err(Error::Unavailable {
                backend: BACKEND,
                what: format!("session cluster {} (it is {:?})", app.id, app.state),
                retry_after: None,
                source: None,
            });
        }
        let addr = app
            .am_rpc_address
            .as_deref()
            .filter(|a| !a.is_empty() && *a != "N/A")
            .ok_or_else(|| Error::Unavailable {
                backend: BACKEND,
                what: format!("JobManager address of {} (no amRPCAddress yet)", app.id),
                retry_after: Some(Duration::from_secs(2)),
                source: None,
            })?;
        let text = if addr.starts_with("http://") || addr.starts_with("https://") {
            addr.to_string()
        } else {
            format!("http://{addr}")
        };
        Url::parse(&text).map_err(|e| Error::Protocol {
            backend: BACKEND,
            endpoint: format!("GET /ws/v1/cluster/apps/{}", app.id),
            reason: format!("amRPCAddress `{addr}` is not an address"),
            source: Some(Box::new(e)),
        })
    }

    /// Every job the session's JobManager knows (`GET /jobs/overview`).
    ///
    /// # Errors
    /// See [`YarnSession::jobmanager_url`]; the JobManager's errors.
    pub async fn jobs(&self) -> Result<Vec<JobOverview>> {
        let url = self.jobmanager_url().await?;
        FlinkClient::builder()
            .with_url(url.as_str())
            .with_timeout(self.request_timeout)
            .build()?
            .jobs_overview()
            .await
    }

    /// Submits a job through the submitter (`flink run -t yarn-session
    /// -Dyarn.application.id=<id>` with [`crate::CliSubmitter`]); the target is set here.
    ///
    /// # Errors
    /// The submitter's errors ([`Error::Rejected`] with the CLI's stderr tail).
    pub async fn submit(&self, mut submission: YarnSubmission) -> Result<()> {
        submission.target = YarnTarget::Session {
            application_id: self.application_id.clone(),
        };
        self.submitter.submit(&submission).await.map(|_| ())
    }

    /// A [`Deployer`] for jobs on this session: a [`RemoteDeployer`] at the JobManager's REST
    /// address, re-resolved from the RM on every call.
    pub fn deployer(&self) -> SessionDeployer {
        SessionDeployer {
            session: self.clone(),
            savepoint_dir: None,
            poll: None,
            current: Arc::new(Mutex::new(None)),
        }
    }

    /// Stops the session cluster: kills the application through the RM (its jobs end with it).
    /// Stopping a session that already ended answers its final state.
    ///
    /// # Errors
    /// The RM's errors.
    #[instrument(name = "yarn.session.stop", skip_all, err(level = Level::WARN), fields(backend = BACKEND, application = %self.application_id))]
    pub async fn stop(&self) -> Result<AppState> {
        let app = self.app().await?;
        if !live(app.state) {
            return Ok(app.state);
        }
        self.rm.kill(&self.application_id).await
    }
}

/// A [`Deployer`] over one [`YarnSession`] (from [`YarnSession::deployer`]): every call reads
/// the session's JobManager address from the RM and goes to a [`RemoteDeployer`] there (built
/// again when the address changes, e.g. after an application-master restart). Read-only calls
/// (`list`, `inspect`, `logs`) are retried once on a fresh address when the JobManager is
/// unreachable.
#[derive(Clone)]
pub struct SessionDeployer {
    session: YarnSession,
    savepoint_dir: Option<String>,
    poll: Option<Duration>,
    current: Arc<Mutex<Option<(Url, RemoteDeployer)>>>,
}

impl fmt::Debug for SessionDeployer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionDeployer")
            .field("session", &self.session.application_id)
            .finish_non_exhaustive()
    }
}

impl SessionDeployer {
    /// Default savepoint directory (see `RemoteDeployerBuilder::with_savepoint_dir`).
    #[must_use]
    pub fn with_savepoint_dir(mut self, dir: impl Into<String>) -> Self {
        self.savepoint_dir = Some(dir.into());
        self
    }
    /// Poll interval while waiting for savepoints.
    #[must_use]
    pub fn with_poll_interval(mut self, every: Duration) -> Self {
        self.poll = Some(every);
        self
    }

    /// The session.
    pub fn session(&self) -> &YarnSession {
        &self.session
    }

    async fn remote(&self, fresh: bool) -> Result<RemoteDeployer> {
        let url = self.session.jobmanager_url().await?;
        let mut cur = self.current.lock().await;
        if !fresh
            && let Some((u, d)) = cur.as_ref()
            && *u == url
        {
            return Ok(d.clone());
        }
        let mut b = RemoteDeployer::builder()
            .with_url(url.as_str())
            .with_request_timeout(self.session.request_timeout);
        if let Some(d) = &self.savepoint_dir {
            b = b.with_savepoint_dir(d.clone());
        }
        if let Some(p) = self.poll {
            b = b.with_poll_interval(p);
        }
        let d = b.build()?;
        *cur = Some((url, d.clone()));
        Ok(d)
    }

    async fn read<T, F, Fut>(&self, f: F) -> Result<T>
    where
        F: Fn(RemoteDeployer) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        match f(self.remote(false).await?).await {
            Err(Error::Unavailable { .. }) => f(self.remote(true).await?).await,
            r => r,
        }
    }
}

#[async_trait::async_trait]
impl Deployer for SessionDeployer {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn capabilities(&self) -> Capabilities {
        // What the RemoteDeployer on the session's JobManager offers.
        Capabilities::all()
    }

    async fn deploy(&self, req: DeployRequest) -> Result<Deployment> {
        self.remote(false).await?.deploy(req).await
    }

    async fn list(&self, selector: &Selector) -> Result<Vec<JobSnapshot>> {
        match self.session.jobmanager_url().await {
            // An ended session runs no jobs.
            Err(Error::Unavailable { .. }) if !self.session_live().await? => Ok(Vec::new()),
            Err(e) => Err(e),
            Ok(_) => {
                let sel = selector.clone();
                self.read(move |d| {
                    let sel = sel.clone();
                    async move { d.list(&sel).await }
                })
                .await
            }
        }
    }

    async fn inspect(&self, id: &DeploymentId) -> Result<JobDetails> {
        self.read(|d| {
            let id = id.clone();
            async move { d.inspect(&id).await }
        })
        .await
    }

    async fn savepoint(&self, id: &DeploymentId, opts: SavepointOptions) -> Result<SavepointRef> {
        self.remote(false).await?.savepoint(id, opts).await
    }

    async fn stop(&self, id: &DeploymentId, opts: StopOptions) -> Result<StopOutcome> {
        if !self.session_live().await? {
            return Ok(StopOutcome::AlreadyGone);
        }
        self.remote(false).await?.stop(id, opts).await
    }

    async fn logs(&self, id: &DeploymentId, opts: LogOptions) -> Result<Logs> {
        self.read(|d| {
            let id = id.clone();
            let opts = opts.clone();
            async move { d.logs(&id, opts).await }
        })
        .await
    }
}

impl SessionDeployer {
    async fn session_live(&self) -> Result<bool> {
        match self.session.app().await {
            Ok(a) => Ok(live(a.state)),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_collects_tags_and_lib_dirs() {
        let s = YarnSessionSpec::new("s")
            .with_tag("StreamPark.Session=A")
            .with_tag("streampark")
            .with_provided_lib_dir("hdfs:///ws/flink/2.3.0/lib")
            .with_provided_lib_dir("hdfs:///ws/flink/2.3.0/plugins");
        assert_eq!(s.tags(), ["streampark", "streampark.session=a"]);
        assert_eq!(
            s.config()["yarn.provided.lib.dirs"],
            "hdfs:///ws/flink/2.3.0/lib;hdfs:///ws/flink/2.3.0/plugins"
        );
        assert!(s.validate().is_ok());
        assert!(matches!(
            YarnSessionSpec::new("s").validate(),
            Err(Error::InvalidInput { .. })
        ));
        assert!(matches!(
            YarnSessionSpec::new(" ").with_tag("x").validate(),
            Err(Error::InvalidInput { .. })
        ));
        assert!(matches!(
            YarnSessionSpec::new("s").with_tag("a,b").validate(),
            Err(Error::InvalidInput { .. })
        ));
    }
}
