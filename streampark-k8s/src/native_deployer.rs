//! [`NativeDeployer`]: native Kubernetes application mode (no operator) as a `Deployer`.
//!
//! One attempt = one Flink application cluster named [`NativeSubmitter::cluster_id`] (derived
//! from job id + attempt, so a retried deploy cannot start a second cluster). Flink's client
//! creates the JobManager `Deployment` named after the cluster id, labelled
//! `app=<cluster-id>, type=flink-native-kubernetes` plus the tag labels this crate passes in
//! `kubernetes.jobmanager.labels`. State comes from that `Deployment`, its pods (pod problems
//! such as `ImagePullBackOff`, `CrashLoopBackOff`, `OOMKilled`, `Unschedulable`) and the
//! JobManager's REST API (job state, savepoints, stop, cancel), reached through a
//! [`RestResolver`].
//!
//! `list` reads the `Deployment`s and pods from watch caches (one kube-runtime watcher per
//! kind on the namespace, as the operator backend does), so a supervisor tick costs no API
//! server list; the job state still comes from each cluster's JobManager REST API, which only
//! the cluster knows. Deploy fencing, `inspect`, `savepoint`, `stop` and `logs` read the API
//! server directly (a decision is never taken on a cache that may lag).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::apps::v1::Deployment as K8sDeployment;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, ListParams};
use streampark_core::deploy::{
    Capabilities, DeployRequest, Deployer, Deployment, DeploymentId, JobDetails, JobSnapshot,
    LogOptions, Logs, SavepointOptions, SavepointRef, Selector, StopMode, StopOptions, StopOutcome,
    tag,
};
use streampark_core::flink::FlinkClient;
use streampark_core::{Error, JobId, JobState, Result};
use tracing::instrument;

use crate::cache::{Caches, WatchStats};
use crate::native::NativeSubmitter;
use crate::resources::{ATTEMPT_LABEL, JOB_LABEL, MANAGED_LABEL, MANAGED_VALUE};
use crate::status::pod_problem;

/// The name the native backend reports in errors and spans.
pub const NATIVE_BACKEND: &str = "k8s-native";

/// The label Flink's native mode puts on every resource it creates.
pub const NATIVE_TYPE_LABEL: &str = "type=flink-native-kubernetes";

/// The label selector of the native clusters this crate manages, narrowed to `key=value`
/// when given (one builder for every list of Deployments and pods).
fn native_selector(narrow: Option<(&str, &str)>) -> String {
    let mut sel = format!("{NATIVE_TYPE_LABEL},{MANAGED_LABEL}={MANAGED_VALUE}");
    if let Some((k, v)) = narrow {
        sel.push_str(&format!(",{k}={v}"));
    }
    sel
}

/// Starts a native application cluster for one attempt.
#[async_trait]
pub trait NativeSubmit: fmt::Debug + Send + Sync {
    /// Starts the cluster `cluster_id` running `req`; returns the cluster id the client
    /// reported (normally `cluster_id`).
    async fn submit(&self, req: &DeployRequest, cluster_id: &str) -> Result<String>;
}

#[async_trait]
impl NativeSubmit for NativeSubmitter {
    async fn submit(&self, req: &DeployRequest, _cluster_id: &str) -> Result<String> {
        NativeSubmitter::submit(self, req).await
    }
}

/// Where the REST API of a native cluster's JobManager is.
pub trait RestResolver: fmt::Debug + Send + Sync {
    /// The base URL of the JobManager REST API of `cluster_id` in `namespace`.
    fn rest_url(&self, namespace: &str, cluster_id: &str) -> String;
}

/// The in-cluster DNS name of Flink's `<cluster-id>-rest` Service (needs the caller to run in
/// the cluster or to resolve cluster DNS): `http://<cluster-id>-rest.<namespace>:<port>`.
#[derive(Clone, Debug)]
pub struct ServiceDnsResolver {
    port: u16,
}

impl Default for ServiceDnsResolver {
    fn default() -> Self {
        ServiceDnsResolver { port: 8081 }
    }
}

impl ServiceDnsResolver {
    /// A resolver for `rest.port` `port` (default 8081).
    pub fn with_port(port: u16) -> Self {
        ServiceDnsResolver { port }
    }
}

impl RestResolver for ServiceDnsResolver {
    fn rest_url(&self, namespace: &str, cluster_id: &str) -> String {
        format!("http://{cluster_id}-rest.{namespace}:{}", self.port)
    }
}

/// Native Kubernetes application mode: one Flink application cluster per job attempt,
/// submitted through [`NativeSubmit`] (the Flink CLI in production).
#[derive(Clone)]
pub struct NativeDeployer {
    client: kube::Client,
    namespace: String,
    submitter: Arc<dyn NativeSubmit>,
    resolver: Arc<dyn RestResolver>,
    timeout: Duration,
    delete_on_stop: bool,
    /// The watch caches (started on the first `list`), shared by clones.
    caches: Arc<tokio::sync::OnceCell<Caches<K8sDeployment>>>,
}

impl fmt::Debug for NativeDeployer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NativeDeployer")
            .field("namespace", &self.namespace)
            .field("submitter", &self.submitter)
            .field("resolver", &self.resolver)
            .finish_non_exhaustive()
    }
}

/// A JobManager `Deployment` with its tag.
struct Cluster {
    name: String,
    job: JobId,
    attempt: u64,
    created_ms: Option<i64>,
}

impl NativeDeployer {
    /// A deployer for `namespace` using `client` for the API server and `submitter` to start
    /// clusters; the REST API is found through [`ServiceDnsResolver`].
    pub fn new(
        client: kube::Client,
        namespace: impl Into<String>,
        submitter: Arc<dyn NativeSubmit>,
    ) -> Self {
        NativeDeployer {
            client,
            namespace: namespace.into(),
            submitter,
            resolver: Arc::new(ServiceDnsResolver::default()),
            timeout: Duration::from_secs(10),
            delete_on_stop: false,
            caches: Arc::default(),
        }
    }

    /// How to reach a cluster's JobManager REST API.
    #[must_use]
    pub fn with_rest_resolver(mut self, resolver: Arc<dyn RestResolver>) -> Self {
        self.resolver = resolver;
        self
    }

    /// Timeout of each API server and REST call (default 10 s).
    #[must_use]
    pub fn with_request_timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// Delete the cluster's `Deployment` as soon as `stop` has seen the job end (default
    /// `false`: the finished cluster stays, so its final state remains visible to `list`, until
    /// the next attempt of the job or [`delete`](Self::delete)).
    #[must_use]
    pub fn with_delete_on_stop(mut self, yes: bool) -> Self {
        self.delete_on_stop = yes;
        self
    }

    /// The namespace the clusters live in.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn deployments(&self) -> Api<K8sDeployment> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    fn unavailable(&self, what: &str, e: kube::Error) -> Error {
        Error::Unavailable {
            backend: NATIVE_BACKEND,
            what: format!("Kubernetes API ({what} in namespace {})", self.namespace),
            retry_after: None,
            source: Some(Box::new(e)),
        }
    }

    async fn timed<T>(
        &self,
        what: &str,
        f: impl Future<Output = std::result::Result<T, kube::Error>>,
    ) -> Result<T> {
        match tokio::time::timeout(self.timeout, f).await {
            Ok(r) => r.map_err(|e| self.unavailable(what, e)),
            Err(_) => Err(Error::Timeout {
                backend: NATIVE_BACKEND,
                operation: format!("{what} in namespace {}", self.namespace),
                after: self.timeout,
            }),
        }
    }

    fn rest(&self, cluster: &str) -> Result<FlinkClient> {
        FlinkClient::builder()
            .with_url(self.resolver.rest_url(&self.namespace, cluster))
            .with_timeout(self.timeout)
            .build()
    }

    /// The watch caches of the namespace, started and listed once on first use.
    async fn caches(&self) -> Result<&Caches<K8sDeployment>> {
        let c = self
            .caches
            .get_or_init(|| async { Caches::start(&self.client, &self.namespace) })
            .await;
        c.ready(self.timeout).await?;
        Ok(c)
    }

    /// Counters of the watch streams behind `list` (started on first use).
    ///
    /// # Errors
    /// `Timeout` when the first list of the caches does not finish in the request timeout.
    pub async fn watch_stats(&self) -> Result<Arc<WatchStats>> {
        Ok(self.caches().await?.stats.clone())
    }

    async fn clusters(&self, job: Option<&JobId>) -> Result<Vec<Cluster>> {
        let job = job.map(JobId::as_str);
        let sel = native_selector(job.map(|j| (JOB_LABEL, j)));
        let list = self
            .timed(
                "list Deployments",
                self.deployments().list(&ListParams::default().labels(&sel)),
            )
            .await?;
        Ok(Self::to_clusters(&list.items))
    }

    /// The clusters and native pods in the watch cache (what `list` reports); the pods are the
    /// cache's own shared copies.
    async fn cached_clusters(&self) -> Result<(Vec<Cluster>, Vec<Arc<Pod>>)> {
        let c = self.caches().await?;
        let native = |l: Option<&std::collections::BTreeMap<String, String>>| {
            let (k, v) = NATIVE_TYPE_LABEL.split_once('=').unwrap_or_default();
            l.and_then(|l| l.get(k)).is_some_and(|x| x == v)
        };
        let deployments = c.jobs.state();
        let clusters = Self::to_clusters(
            deployments
                .iter()
                .map(|d| &**d)
                .filter(|d| native(d.metadata.labels.as_ref())),
        );
        let mut pods = c.pods.state();
        pods.retain(|p| native(p.metadata.labels.as_ref()));
        Ok((clusters, pods))
    }

    fn to_clusters<'a>(items: impl IntoIterator<Item = &'a K8sDeployment>) -> Vec<Cluster> {
        items
            .into_iter()
            .filter(|d| d.metadata.deletion_timestamp.is_none())
            .filter_map(|d| {
                let labels = d.metadata.labels.as_ref()?;
                let job = JobId::new(labels.get(JOB_LABEL)?.as_str()).ok()?;
                let attempt: u64 = labels.get(ATTEMPT_LABEL)?.parse().ok()?;
                Some(Cluster {
                    name: d.metadata.name.clone()?,
                    job,
                    attempt,
                    created_ms: d
                        .metadata
                        .creation_timestamp
                        .as_ref()
                        .map(|t| t.0.as_millisecond()),
                })
            })
            .collect()
    }

    async fn cluster(&self, id: &DeploymentId) -> Result<Option<Cluster>> {
        let name = id.as_str();
        Ok(self
            .clusters(None)
            .await?
            .into_iter()
            .find(|c| c.name == name))
    }

    async fn snapshot(&self, c: &Cluster, pods: &[&Pod]) -> JobSnapshot {
        let jid = tag::flink_job_id(&c.job, c.attempt);
        let mut snap = JobSnapshot::new(
            DeploymentId::new(c.name.clone()),
            c.job.clone(),
            c.attempt,
            JobState::Deploying,
        );
        snap.name = c.name.clone();
        snap.start_time_ms = c.created_ms;
        let rest = match self.rest(&c.name) {
            Ok(r) => r.job(&jid).await,
            Err(e) => Err(e),
        };
        match rest {
            Ok(info) => {
                snap.state = info.job_state();
                if !info.name.is_empty() {
                    snap.name = info.name.clone();
                }
                if info.start_time > 0 {
                    snap.start_time_ms = Some(info.start_time);
                }
                if info.end_time > 0 {
                    snap.end_time_ms = Some(info.end_time);
                }
            }
            Err(e) => {
                tracing::debug!(cluster = %c.name, error = %e, "JobManager REST not answering (yet)");
            }
        }
        let mine: Vec<&Pod> = pods
            .iter()
            .copied()
            .filter(|p| {
                p.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("app"))
                    .is_some_and(|a| a == &c.name)
            })
            .collect();
        if !snap.state.is_terminal()
            && snap.state != JobState::Cancelling
            && let Some(p) = pod_problem(&mine)
        {
            if snap.state != JobState::Running {
                snap.state = p.state;
            }
            snap.reason = Some(p.reason);
        }
        snap
    }

    /// The pods of cluster `id` (Flink's native labels `app=<cluster-id>` plus this crate's
    /// managed-by label); `NotFound` when no such cluster exists.
    async fn cluster_pods(&self, id: &DeploymentId) -> Result<Vec<Pod>> {
        self.cluster(id)
            .await?
            .ok_or_else(|| Error::not_found(NATIVE_BACKEND, format!("native cluster {id}")))?;
        self.list_pods(&native_selector(Some(("app", id.as_str()))))
            .await
    }

    async fn list_pods(&self, selector: &str) -> Result<Vec<Pod>> {
        Ok(self
            .timed(
                "list pods",
                self.pods().list(&ListParams::default().labels(selector)),
            )
            .await?
            .items)
    }

    async fn log_files(&self, id: &DeploymentId) -> Result<Vec<crate::pod_logs::PodLog>> {
        let pods = self.cluster_pods(id).await?;
        Ok(crate::pod_logs::log_files(&pods))
    }

    fn log_err(&self, what: &str, e: kube::Error) -> Error {
        match e {
            kube::Error::Api(s) if s.code == 404 => {
                Error::not_found(NATIVE_BACKEND, what.to_string())
            }
            e => self.unavailable(what, e),
        }
    }

    /// Follows the log of one pod container of native cluster `id` (the JobManager by
    /// default; `<pod>/<container>/previous` is the container that died before a restart): a
    /// stream of lines until the container stops or the stream is dropped.
    ///
    /// # Errors
    /// `NotFound` for an unknown cluster or file; `Unavailable` from the API server.
    pub async fn follow_logs(
        &self,
        id: &DeploymentId,
        file: Option<&str>,
        tail_lines: Option<i64>,
    ) -> Result<futures::stream::BoxStream<'static, Result<String>>> {
        let files = self.log_files(id).await?;
        crate::pod_logs::follow(
            NATIVE_BACKEND,
            &self.pods(),
            id,
            &files,
            file,
            tail_lines,
            |what, e| self.log_err(what, e),
        )
        .await
    }

    async fn all_pods(&self) -> Result<Vec<Pod>> {
        self.list_pods(&native_selector(None)).await
    }

    /// Deletes the JobManager `Deployment` of `id` (Kubernetes garbage-collects the rest of
    /// the cluster through owner references). Missing is fine.
    ///
    /// # Errors
    /// `Unavailable`/`Timeout` from the API server.
    pub async fn delete(&self, id: &DeploymentId) -> Result<()> {
        match tokio::time::timeout(
            self.timeout,
            self.deployments()
                .delete(id.as_str(), &DeleteParams::background()),
        )
        .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(kube::Error::Api(s))) if s.code == 404 => {}
            Ok(Err(e)) => return Err(self.unavailable("delete Deployment", e)),
            Err(_) => {
                return Err(Error::Timeout {
                    backend: NATIVE_BACKEND,
                    operation: format!("delete Deployment {id}"),
                    after: self.timeout,
                });
            }
        }
        self.settle_cache(id.as_str(), false).await;
        Ok(())
    }

    /// Once the watch caches run, waits (at most the request timeout) until they show cluster
    /// `name` (`present`) or no longer do, so that `list` right after a deploy or delete agrees
    /// with it. A cache that lags longer only delays what `list` shows.
    async fn settle_cache(&self, name: &str, present: bool) {
        if self.caches.get().is_none() {
            return; // not started: the first list reads everything fresh
        }
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            match self.cached_clusters().await {
                Ok((cs, _)) if cs.iter().any(|c| c.name == name) == present => return,
                Ok(_) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                _ => {
                    tracing::debug!(cluster = name, present, "watch cache has not caught up");
                    return;
                }
            }
        }
    }

    async fn live_state(&self, id: &DeploymentId) -> Result<(Cluster, JobSnapshot)> {
        let c = self
            .cluster(id)
            .await?
            .ok_or_else(|| Error::not_found(NATIVE_BACKEND, format!("native cluster {id}")))?;
        let pods = self.all_pods().await?;
        let s = self.snapshot(&c, &pods.iter().collect::<Vec<_>>()).await;
        Ok((c, s))
    }

    async fn wait_terminal(&self, c: &Cluster, timeout: Duration) -> Result<JobState> {
        let rest = self.rest(&c.name)?;
        let jid = tag::flink_job_id(&c.job, c.attempt);
        let start = tokio::time::Instant::now();
        loop {
            let st = rest.job(&jid).await?.job_state();
            if st.is_terminal() {
                return Ok(st);
            }
            if start.elapsed() >= timeout {
                return Err(Error::Timeout {
                    backend: NATIVE_BACKEND,
                    operation: format!("stop of {}", c.name),
                    after: timeout,
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[async_trait]
impl Deployer for NativeDeployer {
    fn backend(&self) -> &'static str {
        NATIVE_BACKEND
    }

    fn capabilities(&self) -> Capabilities {
        // The JobManager REST API adds drain and checkpoints to what the operator offers.
        crate::deployer::flink_on_k8s_capabilities()
            .with_drain(true)
            .with_checkpoints(true)
    }

    #[instrument(name = "deployer.deploy", skip_all, fields(backend = NATIVE_BACKEND, job = %req.spec.id, attempt = req.attempt), err(level = tracing::Level::WARN))]
    async fn deploy(&self, req: DeployRequest) -> Result<Deployment> {
        let cluster = NativeSubmitter::cluster_id(&req);
        let existing = self.clusters(Some(&req.spec.id)).await?;
        let pods = self.all_pods().await?;
        let pods: Vec<&Pod> = pods.iter().collect();
        let mut finished = Vec::new();
        for c in &existing {
            if c.attempt == req.attempt || c.name == cluster {
                return Err(Error::Fenced {
                    backend: NATIVE_BACKEND,
                    job: req.spec.id.to_string(),
                    attempt: req.attempt,
                    live_attempt: c.attempt,
                });
            }
            let s = self.snapshot(c, &pods).await;
            if !s.state.is_terminal() {
                return Err(Error::Fenced {
                    backend: NATIVE_BACKEND,
                    job: req.spec.id.to_string(),
                    attempt: req.attempt,
                    live_attempt: c.attempt,
                });
            }
            finished.push(s.deployment);
        }
        for id in &finished {
            self.delete(id).await?;
        }
        let job = req.spec.id.clone();
        let attempt = req.attempt;
        let reported = self.submitter.submit(&req, &cluster).await?;
        if reported != cluster {
            tracing::warn!(%reported, expected = %cluster, "Flink reported another cluster id");
        }
        self.settle_cache(&reported, true).await;
        Ok(
            Deployment::new(DeploymentId::new(reported.clone()), job, attempt)
                .with_web_url(self.resolver.rest_url(&self.namespace, &reported)),
        )
    }

    #[instrument(name = "deployer.list", skip_all, fields(backend = NATIVE_BACKEND), err(level = tracing::Level::WARN))]
    async fn list(&self, selector: &Selector) -> Result<Vec<JobSnapshot>> {
        let (clusters, pods) = self.cached_clusters().await?;
        let pods: Vec<&Pod> = pods.iter().map(|p| &**p).collect();
        let mut out = Vec::new();
        for c in clusters.iter().filter(|c| selector.matches(&c.job)) {
            out.push(self.snapshot(c, &pods).await);
        }
        Ok(out)
    }

    #[instrument(name = "deployer.inspect", skip_all, fields(backend = NATIVE_BACKEND, deployment = %id), err(level = tracing::Level::WARN))]
    async fn inspect(&self, id: &DeploymentId) -> Result<JobDetails> {
        let (c, snap) = self.live_state(id).await?;
        let mut d = JobDetails::new(snap);
        let jid = tag::flink_job_id(&c.job, c.attempt);
        if let Ok(rest) = self.rest(&c.name)
            && let Ok(cp) = rest.checkpoints(&jid).await
        {
            d.checkpoints_completed = cp.counts.completed;
            d.checkpoints_failed = cp.counts.failed;
            d.latest_checkpoint = cp.latest_completed_path().map(SavepointRef::checkpoint);
            d.latest_savepoint = cp
                .latest
                .savepoint
                .as_ref()
                .and_then(|s| s.external_path.clone())
                .map(SavepointRef::savepoint);
            d.restored_from = cp
                .latest
                .restored
                .as_ref()
                .and_then(|r| r.external_path.clone());
        }
        if d.snapshot.state == JobState::Failed
            && let Ok(rest) = self.rest(&c.name)
            && let Ok(ex) = rest.exceptions(&jid, 5).await
        {
            d.failure = ex.latest_summary();
        }
        Ok(d)
    }

    #[instrument(name = "deployer.savepoint", skip_all, fields(backend = NATIVE_BACKEND, deployment = %id), err(level = tracing::Level::WARN))]
    async fn savepoint(&self, id: &DeploymentId, opts: SavepointOptions) -> Result<SavepointRef> {
        let (c, _) = self.live_state(id).await?;
        let rest = self.rest(&c.name)?;
        let jid = tag::flink_job_id(&c.job, c.attempt);
        let path = rest
            .savepoint_and_wait(&jid, opts.target_dir.as_deref(), opts.timeout)
            .await?;
        Ok(SavepointRef::savepoint(path))
    }

    #[instrument(name = "deployer.stop", skip_all, fields(backend = NATIVE_BACKEND, deployment = %id), err(level = tracing::Level::WARN))]
    async fn stop(&self, id: &DeploymentId, opts: StopOptions) -> Result<StopOutcome> {
        let (c, snap) = match self.live_state(id).await {
            Ok(x) => x,
            Err(e) if e.is_not_found() => return Ok(StopOutcome::AlreadyGone),
            Err(e) => return Err(e),
        };
        if snap.state.is_terminal() {
            if self.delete_on_stop {
                self.delete(id).await?;
            }
            return Ok(StopOutcome::AlreadyGone);
        }
        let rest = self.rest(&c.name)?;
        let jid = tag::flink_job_id(&c.job, c.attempt);
        let savepoint = match &opts.mode {
            StopMode::Cancel => {
                if let Err(e) = rest.cancel(&jid).await {
                    if !e.is_not_found() {
                        return Err(e);
                    }
                    // The JobManager has no such job: nothing runs in this cluster.
                    self.delete(id).await?;
                    return Ok(StopOutcome::AlreadyGone);
                }
                None
            }
            StopMode::Savepoint { target_dir, drain } => Some(SavepointRef::savepoint(
                rest.stop_with_savepoint_and_wait(
                    &jid,
                    target_dir.as_deref(),
                    *drain,
                    opts.timeout,
                )
                .await?,
            )),
            _ => {
                return Err(Error::Unsupported {
                    backend: NATIVE_BACKEND,
                    operation: "this stop mode".into(),
                });
            }
        };
        self.wait_terminal(&c, opts.timeout).await?;
        if self.delete_on_stop {
            self.delete(id).await?;
        }
        Ok(StopOutcome::Stopped { savepoint })
    }

    #[instrument(name = "deployer.logs", skip_all, fields(backend = NATIVE_BACKEND, deployment = %id), err(level = tracing::Level::WARN))]
    async fn logs(&self, id: &DeploymentId, opts: LogOptions) -> Result<Logs> {
        let files = self.log_files(id).await?;
        crate::pod_logs::read(
            NATIVE_BACKEND,
            &self.pods(),
            id,
            &files,
            &opts,
            |what, e| self.log_err(what, e),
        )
        .await
    }
}
