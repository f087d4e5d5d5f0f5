//! [`OperatorDeployer`]: a [`Deployer`] on the Flink Kubernetes Operator.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;
use streampark_core::deploy::{
    Capabilities, DeployRequest, Deployer, Deployment, DeploymentId, JobDetails, JobSnapshot,
    LogOptions, Logs, SavepointOptions, SavepointRef, Selector, StopMode, StopOptions, StopOutcome,
};
use streampark_core::{Error, JobState, Result};
use tokio::sync::OnceCell;
use tracing::instrument;

use crate::BACKEND;
use crate::builder::OperatorDeployerBuilder;
use crate::cache::{Caches, WatchStats};
use crate::crd::{
    FlinkDeployment, FlinkSessionJob, FlinkStateSnapshot, FlinkStateSnapshotSpec, JobReference,
    SavepointSpec,
};
use crate::fence::{self, Existing, kube_err, now_ms};
use crate::resources::{
    ATTEMPT_LABEL, JOB_LABEL, JobResource, MANAGED_LABEL, MANAGED_VALUE, Mode, Settings,
    program_config_map_name, render,
};
use crate::status::{self, View};

/// The field manager of this crate's server-side applies.
pub const FIELD_MANAGER: &str = "streampark-rs";

/// A [`Deployer`] that runs each job attempt as a `FlinkDeployment` (application mode) or a
/// `FlinkSessionJob` on a session cluster, through the Flink Kubernetes Operator.
///
/// Cheap to clone; clones share the watch caches. See `docs/k8s.md`.
#[derive(Clone)]
pub struct OperatorDeployer {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) client: Client,
    pub(crate) settings: Settings,
    pub(crate) submit_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) snapshots: bool,
    caches: OnceCell<CacheSet>,
}

enum CacheSet {
    App(Caches<FlinkDeployment>),
    Session(Caches<FlinkSessionJob>),
}

impl fmt::Debug for OperatorDeployer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OperatorDeployer")
            .field("namespace", &self.inner.settings.namespace)
            .field("mode", &self.inner.settings.mode)
            .field("image", &self.inner.settings.image)
            .finish_non_exhaustive()
    }
}

fn view_fd(fd: &FlinkDeployment) -> View {
    View {
        name: fd.metadata.name.clone().unwrap_or_default(),
        labels: fd.metadata.labels.clone().unwrap_or_default(),
        job: fd.spec.job.clone(),
        status: fd.status.clone(),
        deleting: fd.metadata.deletion_timestamp.is_some(),
        created_ms: fd
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.as_millisecond()),
    }
}

fn view_sj(sj: &FlinkSessionJob) -> View {
    View {
        name: sj.metadata.name.clone().unwrap_or_default(),
        labels: sj.metadata.labels.clone().unwrap_or_default(),
        job: sj.spec.job.clone(),
        status: sj.status.clone(),
        deleting: sj.metadata.deletion_timestamp.is_some(),
        created_ms: sj
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.as_millisecond()),
    }
}

fn timeout_err(operation: impl Into<String>, after: Duration) -> Error {
    Error::Timeout {
        backend: BACKEND,
        operation: operation.into(),
        after,
    }
}

impl OperatorDeployer {
    /// A builder.
    pub fn builder() -> OperatorDeployerBuilder {
        OperatorDeployerBuilder::default()
    }

    pub(crate) fn from_parts(
        client: Client,
        settings: Settings,
        submit_timeout: Duration,
        request_timeout: Duration,
        snapshots: bool,
    ) -> Self {
        OperatorDeployer {
            inner: Arc::new(Inner {
                client,
                settings,
                submit_timeout,
                request_timeout,
                snapshots,
                caches: OnceCell::new(),
            }),
        }
    }

    /// The namespace this deployer works in.
    pub fn namespace(&self) -> &str {
        &self.inner.settings.namespace
    }

    fn session(&self) -> bool {
        matches!(self.inner.settings.mode, Mode::Session { .. })
    }

    fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.inner.client.clone(), &self.inner.settings.namespace)
    }

    async fn caches(&self) -> Result<&CacheSet> {
        let set = self
            .inner
            .caches
            .get_or_init(|| async {
                if self.session() {
                    CacheSet::Session(Caches::start(&self.inner.client, self.namespace()))
                } else {
                    CacheSet::App(Caches::start(&self.inner.client, self.namespace()))
                }
            })
            .await;
        match set {
            CacheSet::App(c) => c.ready(self.inner.request_timeout).await?,
            CacheSet::Session(c) => c.ready(self.inner.request_timeout).await?,
        }
        Ok(set)
    }

    /// Counters of this deployer's watch streams (started on first use).
    pub async fn watch_stats(&self) -> Result<Arc<WatchStats>> {
        Ok(match self.caches().await? {
            CacheSet::App(c) => c.stats.clone(),
            CacheSet::Session(c) => c.stats.clone(),
        })
    }

    /// Job resources and pods from the caches.
    async fn cached(&self) -> Result<(Vec<View>, Vec<Arc<Pod>>)> {
        Ok(match self.caches().await? {
            CacheSet::App(c) => (
                c.jobs.state().iter().map(|f| view_fd(f)).collect(),
                c.pods.state(),
            ),
            CacheSet::Session(c) => (
                c.jobs.state().iter().map(|s| view_sj(s)).collect(),
                c.pods.state(),
            ),
        })
    }

    fn pods_of<'a>(&self, v: &View, pods: &'a [Arc<Pod>]) -> Vec<&'a Pod> {
        if self.session() {
            return Vec::new();
        }
        pods.iter()
            .filter(|p| {
                let l = p.metadata.labels.as_ref();
                let get = |k: &str| l.and_then(|l| l.get(k));
                get(JOB_LABEL) == v.labels.get(JOB_LABEL)
                    && get(ATTEMPT_LABEL) == v.labels.get(ATTEMPT_LABEL)
            })
            .map(|p| p.as_ref())
            .collect()
    }

    /// One resource, fresh from the API server; `None` when it does not exist.
    async fn get_view(&self, name: &str) -> Result<Option<View>> {
        let r = if self.session() {
            self.api::<FlinkSessionJob>()
                .get_opt(name)
                .await
                .map(|o| o.map(|s| view_sj(&s)))
        } else {
            self.api::<FlinkDeployment>()
                .get_opt(name)
                .await
                .map(|o| o.map(|f| view_fd(&f)))
        };
        r.map_err(|e| kube_err(&format!("read {name}"), e))
    }

    /// Views of one job's resources, fresh from the API server.
    async fn job_views(&self, job: &streampark_core::JobId) -> Result<Vec<View>> {
        let lp = ListParams::default().labels(&format!(
            "{JOB_LABEL}={job},{MANAGED_LABEL}={MANAGED_VALUE}"
        ));
        let r = if self.session() {
            self.api::<FlinkSessionJob>()
                .list(&lp)
                .await
                .map(|l| l.items.iter().map(view_sj).collect())
        } else {
            self.api::<FlinkDeployment>()
                .list(&lp)
                .await
                .map(|l| l.items.iter().map(view_fd).collect())
        };
        r.map_err(|e| kube_err("list the job's resources", e))
    }

    async fn merge_patch(
        &self,
        name: &str,
        patch: serde_json::Value,
    ) -> std::result::Result<(), kube::Error> {
        let pp = PatchParams::default();
        if self.session() {
            self.api::<FlinkSessionJob>()
                .patch(name, &pp, &Patch::Merge(&patch))
                .await
                .map(|_| ())
        } else {
            self.api::<FlinkDeployment>()
                .patch(name, &pp, &Patch::Merge(&patch))
                .await
                .map(|_| ())
        }
    }

    /// Merge-patches a resource with its current `resourceVersion` as precondition, re-reading on
    /// `409 Conflict` (no lost updates).
    async fn patch_fenced(&self, name: &str, mut patch: serde_json::Value) -> Result<()> {
        for _ in 0..5 {
            let rv = match self.get_rv(name).await? {
                Some(rv) => rv,
                None => return Err(Error::not_found(BACKEND, format!("deployment {name}"))),
            };
            patch["metadata"] = json!({ "resourceVersion": rv });
            match self.merge_patch(name, patch.clone()).await {
                Ok(()) => return Ok(()),
                Err(kube::Error::Api(s)) if s.is_conflict() => continue,
                Err(e) => return Err(kube_err(&format!("patch {name}"), e)),
            }
        }
        Err(Error::Unavailable {
            backend: BACKEND,
            what: format!("{name} (kept changing under the patch)"),
            retry_after: Some(Duration::from_secs(1)),
            source: None,
        })
    }

    async fn get_rv(&self, name: &str) -> Result<Option<String>> {
        let r = if self.session() {
            self.api::<FlinkSessionJob>()
                .get_opt(name)
                .await
                .map(|o| o.and_then(|s| s.metadata.resource_version))
        } else {
            self.api::<FlinkDeployment>()
                .get_opt(name)
                .await
                .map(|o| o.and_then(|s| s.metadata.resource_version))
        };
        r.map_err(|e| kube_err(&format!("read {name}"), e))
    }

    /// Waits, on the watch cache, until `check` answers for the resource `name`.
    async fn wait_cache<T>(
        &self,
        name: &str,
        timeout: Duration,
        what: &str,
        mut check: impl FnMut(Option<&View>, &[&Pod]) -> Option<T>,
    ) -> Result<T> {
        let start = tokio::time::Instant::now();
        loop {
            let (views, pods) = self.cached().await?;
            let v = views.iter().find(|v| v.name == name);
            let p = v.map(|v| self.pods_of(v, &pods)).unwrap_or_default();
            if let Some(t) = check(v, &p) {
                return Ok(t);
            }
            if start.elapsed() >= timeout {
                return Err(timeout_err(format!("{what} of {name}"), timeout));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Deletes one deployment: the job resource and its program `ConfigMap` (and, when
    /// `with_snapshots`, its `FlinkStateSnapshot` resources). Idempotent.
    ///
    /// # Errors
    /// `Unavailable` when the API server cannot be reached.
    #[instrument(name = "deployer.delete", skip_all, fields(backend = BACKEND, deployment = %id), err(level = tracing::Level::WARN))]
    pub async fn delete(&self, id: &DeploymentId) -> Result<()> {
        let name = id.as_str();
        let dp = DeleteParams::background();
        let r = if self.session() {
            self.api::<FlinkSessionJob>()
                .delete(name, &dp)
                .await
                .map(|_| ())
        } else {
            self.api::<FlinkDeployment>()
                .delete(name, &dp)
                .await
                .map(|_| ())
        };
        match r {
            Ok(()) => {}
            Err(kube::Error::Api(s)) if s.is_not_found() => {}
            Err(e) => return Err(kube_err(&format!("delete {name}"), e)),
        }
        match self
            .api::<ConfigMap>()
            .delete(&program_config_map_name(name), &dp)
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.is_not_found() => {}
            Err(e) => return Err(kube_err("delete the program ConfigMap", e)),
        }
        Ok(())
    }

    /// Deletes every resource of a job, every attempt, and its fence. Only for jobs that are
    /// gone for good: the fence is what keeps an old attempt from starting again.
    ///
    /// # Errors
    /// `Unavailable` when the API server cannot be reached.
    pub async fn purge_job(&self, job: &streampark_core::JobId) -> Result<()> {
        for v in self.job_views(job).await? {
            self.delete(&DeploymentId::new(v.name)).await?;
        }
        fence::release(&self.api::<ConfigMap>(), job).await
    }

    async fn apply_rendered(&self, r: &crate::resources::Rendered) -> Result<()> {
        let pp = PatchParams::apply(FIELD_MANAGER).force();
        if let Some(cm) = &r.config_map {
            let mut v = serde_json::to_value(cm).map_err(|e| Error::Other {
                backend: BACKEND,
                message: "serialize ConfigMap".into(),
                source: Some(Box::new(e)),
            })?;
            v["apiVersion"] = "v1".into();
            v["kind"] = "ConfigMap".into();
            self.api::<ConfigMap>()
                .patch(&program_config_map_name(&r.name), &pp, &Patch::Apply(&v))
                .await
                .map_err(|e| kube_err("apply the program ConfigMap", e))?;
        }
        match &r.job {
            JobResource::Deployment(fd) => self
                .api::<FlinkDeployment>()
                .patch(&r.name, &pp, &Patch::Apply(fd.as_ref()))
                .await
                .map(|_| ()),
            JobResource::SessionJob(sj) => self
                .api::<FlinkSessionJob>()
                .patch(&r.name, &pp, &Patch::Apply(sj.as_ref()))
                .await
                .map(|_| ()),
        }
        .map_err(|e| kube_err(&format!("apply {}", r.name), e))
    }

    /// Takes a savepoint through a `FlinkStateSnapshot`; `Ok(None)` when the CRD is not
    /// installed (operator before 1.10, or snapshot resources disabled).
    async fn snapshot_savepoint(
        &self,
        v: &View,
        opts: &SavepointOptions,
    ) -> Result<Option<SavepointRef>> {
        let name = format!("{}-sp-{}", v.name, now_ms());
        let mut snap = FlinkStateSnapshot::new(
            &name,
            FlinkStateSnapshotSpec {
                job_reference: Some(JobReference {
                    kind: if self.session() {
                        "FlinkSessionJob"
                    } else {
                        "FlinkDeployment"
                    }
                    .into(),
                    name: v.name.clone(),
                }),
                savepoint: Some(SavepointSpec {
                    path: opts.target_dir.clone(),
                    format_type: Some("CANONICAL".into()),
                    dispose_on_delete: Some(false),
                    already_exists: Some(false),
                }),
                checkpoint: None,
                backoff_limit: Some(0),
            },
        );
        snap.metadata.labels = Some(v.labels.clone());
        let api = self.api::<FlinkStateSnapshot>();
        match api.create(&PostParams::default(), &snap).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.is_not_found() => return Ok(None),
            Err(e) => return Err(kube_err("create FlinkStateSnapshot", e)),
        }
        let start = tokio::time::Instant::now();
        loop {
            let s = api
                .get(&name)
                .await
                .map_err(|e| kube_err("read FlinkStateSnapshot", e))?;
            let st = s.status.unwrap_or_default();
            match st.state.as_deref() {
                Some("COMPLETED") => {
                    let path = st.path.unwrap_or_default();
                    return Ok(Some(SavepointRef::savepoint(path)));
                }
                Some("FAILED" | "ABANDONED") => {
                    return Err(Error::Rejected {
                        backend: BACKEND,
                        operation: format!("savepoint of {}", v.name),
                        message: st
                            .error
                            .map(|e| status::error_message(&e))
                            .unwrap_or_else(|| "snapshot failed".into()),
                        source: None,
                    });
                }
                _ => {}
            }
            if start.elapsed() >= opts.timeout {
                return Err(timeout_err(
                    format!("savepoint of {}", v.name),
                    opts.timeout,
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Takes a savepoint by bumping `savepointTriggerNonce` (operators before 1.10).
    async fn nonce_savepoint(&self, v: &View, opts: &SavepointOptions) -> Result<SavepointRef> {
        let nonce = now_ms();
        let mut patch = json!({"spec": {"job": {"savepointTriggerNonce": nonce}}});
        if let Some(dir) = &opts.target_dir {
            patch["spec"]["flinkConfiguration"] = json!({"state.savepoints.dir": dir});
        }
        self.patch_fenced(&v.name, patch).await?;
        self.wait_cache(&v.name, opts.timeout, "savepoint", |v, _| {
            let info = v?
                .status
                .as_ref()?
                .job_status
                .as_ref()?
                .savepoint_info
                .as_ref()?;
            let last = info.last_savepoint.as_ref()?;
            (last.trigger_nonce == Some(nonce))
                .then(|| SavepointRef::savepoint(last.location.clone().unwrap_or_default()))
        })
        .await
    }

    async fn not_found_or(&self, id: &DeploymentId) -> Result<View> {
        self.get_view(id.as_str())
            .await?
            .filter(|v| v.tag().is_some())
            .ok_or_else(|| Error::not_found(BACKEND, format!("deployment {id}")))
    }

    /// Pod log files of a deployment: `<pod>/<container>` and, after a restart,
    /// `<pod>/<container>/previous`.
    async fn log_files(&self, id: &DeploymentId) -> Result<Vec<crate::pod_logs::PodLog>> {
        let (views, pods) = self.cached().await?;
        let Some(v) = views.iter().find(|v| v.name == id.as_str()) else {
            return Err(Error::not_found(BACKEND, format!("deployment {id}")));
        };
        Ok(crate::pod_logs::log_files(self.pods_of(v, &pods)))
    }

    /// Follows the log of one pod container of a deployment (the JobManager by default): a
    /// stream of lines until the container stops or the stream is dropped.
    ///
    /// # Errors
    /// `NotFound` for an unknown deployment or file.
    pub async fn follow_logs(
        &self,
        id: &DeploymentId,
        file: Option<&str>,
        tail_lines: Option<i64>,
    ) -> Result<futures::stream::BoxStream<'static, Result<String>>> {
        let files = self.log_files(id).await?;
        crate::pod_logs::follow(
            BACKEND,
            &self.api::<Pod>(),
            id,
            &files,
            file,
            tail_lines,
            kube_err,
        )
        .await
    }
}

/// What both Kubernetes deployers (operator and native) can do: savepoints, stop with
/// savepoint, SQL and jar programs, pod logs, restore.
pub(crate) fn flink_on_k8s_capabilities() -> Capabilities {
    Capabilities::default()
        .with_savepoint(true)
        .with_stop_with_savepoint(true)
        .with_sql_programs(true)
        .with_jar_programs(true)
        .with_logs(true)
        .with_restore(true)
}

#[async_trait]
impl Deployer for OperatorDeployer {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn capabilities(&self) -> Capabilities {
        flink_on_k8s_capabilities()
    }

    #[instrument(name = "deployer.deploy", skip_all, fields(backend = BACKEND, job = %req.spec.id, attempt = req.attempt), err(level = tracing::Level::WARN))]
    async fn deploy(&self, req: DeployRequest) -> Result<Deployment> {
        let rendered = render(&req, &self.inner.settings)?;
        let job = req.spec.id.clone();
        let attempt = req.attempt;
        let this = self.clone();
        let job2 = job.clone();
        tokio::time::timeout(
            self.inner.request_timeout * 4,
            fence::acquire(
                &self.api::<ConfigMap>(),
                &job,
                attempt,
                self.inner.submit_timeout * 2,
                move || {
                    let this = this.clone();
                    let job = job2.clone();
                    async move {
                        Ok(this
                            .job_views(&job)
                            .await?
                            .iter()
                            .filter_map(|v| {
                                let (_, a) = v.tag()?;
                                let (state, _) = status::resource_state(v);
                                Some(Existing {
                                    attempt: a,
                                    live: state.is_live(),
                                })
                            })
                            .collect())
                    }
                },
            ),
        )
        .await
        .map_err(|_| timeout_err("acquire the job fence", self.inner.request_timeout * 4))??;
        self.apply_rendered(&rendered).await?;
        let name = rendered.name.clone();
        // Wait for the operator's verdict on the submission: accepted, a pod problem (reported
        // by `list`), or an error before the job ran (the runner refused the script).
        let verdict = self
            .wait_cache(&name, self.inner.submit_timeout, "submission", |v, pods| {
                let v = v?;
                let st = v.status.as_ref();
                let job_state = st
                    .and_then(|s| s.job_status.as_ref())
                    .and_then(|j| j.state.clone());
                let accepted = matches!(
                    job_state.as_deref(),
                    Some(
                        "CREATED"
                            | "INITIALIZING"
                            | "RUNNING"
                            | "RESTARTING"
                            | "FAILING"
                            | "FINISHED"
                            | "FAILED"
                    )
                );
                if accepted {
                    return Some(Ok(()));
                }
                if let Some(err) = st.and_then(|s| s.error.clone()) {
                    return Some(Err(status::error_message(&err)));
                }
                status::pod_problem(pods).map(|_| Ok(()))
            })
            .await;
        match verdict {
            Ok(Ok(())) => {}
            Ok(Err(message)) => {
                self.delete(&DeploymentId::new(name.clone())).await?;
                let _ = self
                    .wait_cache(&name, self.inner.request_timeout, "deletion", |v, _| {
                        v.is_none().then_some(())
                    })
                    .await;
                return Err(Error::Rejected {
                    backend: BACKEND,
                    operation: format!("deploy {job} attempt {attempt}"),
                    message,
                    source: None,
                });
            }
            // No verdict yet: the resource exists and the operator is still working on it.
            Err(Error::Timeout { .. }) => {
                tracing::info!(backend = BACKEND, deployment = %name, "no submission verdict within the submit timeout; the deployment stays");
            }
            Err(e) => return Err(e),
        }
        Ok(Deployment::new(DeploymentId::new(name), job, attempt))
    }

    #[instrument(name = "deployer.list", skip_all, fields(backend = BACKEND), err(level = tracing::Level::WARN))]
    async fn list(&self, selector: &Selector) -> Result<Vec<JobSnapshot>> {
        let (views, pods) = self.cached().await?;
        let mut out: Vec<JobSnapshot> = views
            .iter()
            .filter_map(|v| status::snapshot(v, &self.pods_of(v, &pods)))
            .filter(|s| selector.matches(&s.job))
            .collect();
        out.sort_by(|a, b| (a.job.as_str(), a.attempt).cmp(&(b.job.as_str(), b.attempt)));
        Ok(out)
    }

    #[instrument(name = "deployer.inspect", skip_all, fields(backend = BACKEND, deployment = %id), err(level = tracing::Level::WARN))]
    async fn inspect(&self, id: &DeploymentId) -> Result<JobDetails> {
        let v = self.not_found_or(id).await?;
        let (_, pods) = self.cached().await?;
        let snap = status::snapshot(&v, &self.pods_of(&v, &pods))
            .ok_or_else(|| Error::not_found(BACKEND, format!("deployment {id}")))?;
        let failure = (snap.state == JobState::Failed || snap.state == JobState::Restarting)
            .then(|| snap.reason.clone())
            .flatten();
        let mut d = JobDetails::new(snap);
        d.failure = failure;
        d.restored_from = v
            .job
            .as_ref()
            .and_then(|j| j.initial_savepoint_path.clone());
        let js = v
            .status
            .as_ref()
            .and_then(|s| s.job_status.clone())
            .unwrap_or_default();
        let mut latest = js
            .savepoint_info
            .as_ref()
            .and_then(|i| i.last_savepoint.as_ref())
            .and_then(|l| Some((l.time_stamp.unwrap_or(0), l.location.clone()?)));
        if self.inner.snapshots {
            let lp = ListParams::default().labels(&format!(
                "{JOB_LABEL}={},{ATTEMPT_LABEL}={}",
                v.labels.get(JOB_LABEL).cloned().unwrap_or_default(),
                v.labels.get(ATTEMPT_LABEL).cloned().unwrap_or_default()
            ));
            match self.api::<FlinkStateSnapshot>().list(&lp).await {
                Ok(list) => {
                    for s in list.items {
                        let created = s
                            .metadata
                            .creation_timestamp
                            .as_ref()
                            .map(|t| t.0.as_millisecond())
                            .unwrap_or(0);
                        let st = s.status.unwrap_or_default();
                        if st.state.as_deref() == Some("COMPLETED")
                            && latest.as_ref().is_none_or(|(t, _)| *t <= created)
                        {
                            latest = st.path.map(|p| (created, p));
                        }
                    }
                }
                Err(kube::Error::Api(s)) if s.is_not_found() => {}
                Err(e) => return Err(kube_err("list FlinkStateSnapshots", e)),
            }
        }
        if latest.is_none() {
            latest = js.upgrade_savepoint_path.map(|p| (0, p));
        }
        d.latest_savepoint = latest.map(|(t, p)| {
            let r = SavepointRef::savepoint(p);
            if t > 0 { r.with_completed_at_ms(t) } else { r }
        });
        Ok(d)
    }

    #[instrument(name = "deployer.savepoint", skip_all, fields(backend = BACKEND, deployment = %id), err(level = tracing::Level::WARN))]
    async fn savepoint(&self, id: &DeploymentId, opts: SavepointOptions) -> Result<SavepointRef> {
        let v = self.not_found_or(id).await?;
        if self.inner.snapshots {
            if let Some(sp) = self.snapshot_savepoint(&v, &opts).await? {
                return Ok(sp);
            }
            tracing::info!(
                backend = BACKEND,
                "FlinkStateSnapshot CRD absent; falling back to savepointTriggerNonce"
            );
        }
        self.nonce_savepoint(&v, &opts).await
    }

    #[instrument(name = "deployer.stop", skip_all, fields(backend = BACKEND, deployment = %id), err(level = tracing::Level::WARN))]
    async fn stop(&self, id: &DeploymentId, opts: StopOptions) -> Result<StopOutcome> {
        let Some(v) = self
            .get_view(id.as_str())
            .await?
            .filter(|v| v.tag().is_some())
        else {
            return Ok(StopOutcome::AlreadyGone);
        };
        let (state, _) = status::resource_state(&v);
        let suspended =
            v.job.as_ref().and_then(|j| j.state) == Some(crate::crd::DesiredState::Suspended);
        if state.is_terminal() || suspended || v.deleting {
            return Ok(StopOutcome::AlreadyGone);
        }
        match &opts.mode {
            StopMode::Cancel => {
                self.patch_fenced(
                    &v.name,
                    json!({"spec": {"job": {"state": "suspended", "upgradeMode": "stateless"}}}),
                )
                .await?;
                // Return once the job is down, so the next attempt is not fenced by this one.
                self.wait_cache(&v.name, opts.timeout, "cancel", |v, _| {
                    status::resource_state(v?).0.is_terminal().then_some(())
                })
                .await?;
                Ok(StopOutcome::Stopped { savepoint: None })
            }
            StopMode::Savepoint { target_dir, .. } => {
                let mut patch =
                    json!({"spec": {"job": {"state": "suspended", "upgradeMode": "savepoint"}}});
                if let Some(dir) = target_dir {
                    patch["spec"]["flinkConfiguration"] = json!({"state.savepoints.dir": dir});
                }
                self.patch_fenced(&v.name, patch).await?;
                let path = self
                    .wait_cache(&v.name, opts.timeout, "stop with savepoint", |v, _| {
                        let v = v?;
                        let st = v.status.as_ref()?;
                        if st.lifecycle_state.as_deref() == Some("FAILED") {
                            return Some(Err(st
                                .error
                                .as_deref()
                                .map(status::error_message)
                                .unwrap_or_else(|| "suspend failed".into())));
                        }
                        if st.lifecycle_state.as_deref() != Some("SUSPENDED") {
                            return None;
                        }
                        st.job_status
                            .as_ref()?
                            .upgrade_savepoint_path
                            .clone()
                            .map(Ok)
                    })
                    .await?
                    .map_err(|message| Error::Rejected {
                        backend: BACKEND,
                        operation: format!("stop {id} with a savepoint"),
                        message,
                        source: None,
                    })?;
                Ok(StopOutcome::Stopped {
                    savepoint: Some(SavepointRef::savepoint(path)),
                })
            }
            _ => Err(Error::Unsupported {
                backend: BACKEND,
                operation: "this stop mode".into(),
            }),
        }
    }

    #[instrument(name = "deployer.logs", skip_all, fields(backend = BACKEND, deployment = %id), err(level = tracing::Level::WARN))]
    async fn logs(&self, id: &DeploymentId, opts: LogOptions) -> Result<Logs> {
        let files = self.log_files(id).await?;
        crate::pod_logs::read(BACKEND, &self.api::<Pod>(), id, &files, &opts, kube_err).await
    }
}

#[cfg(test)]
mod tests {
    //! kube's documented seam: a `tower-test` mock service scripts the API server.
    use super::*;
    use http::{Request, Response};
    use kube::client::Body;

    type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;

    fn reply(code: u16, v: serde_json::Value) -> Response<Body> {
        Response::builder()
            .status(code)
            .body(Body::from(serde_json::to_vec(&v).unwrap()))
            .unwrap()
    }

    fn fd(rv: &str) -> serde_json::Value {
        json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
            "metadata": {"name": "sp-j-a1", "namespace": "ns", "resourceVersion": rv,
                "labels": {"streampark.job": "j", "streampark.attempt": "1"}},
            "spec": {"job": {"jarURI": "local:///x.jar", "state": "running"}},
            "status": {"lifecycleState": "STABLE", "jobStatus": {"state": "RUNNING"}}})
    }

    fn deployer(svc: tower_test::mock::Mock<Request<Body>, Response<Body>>) -> OperatorDeployer {
        OperatorDeployer::builder()
            .with_kube_client(Client::new(svc, "ns"))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn a_patch_that_lost_a_race_is_retried_on_the_new_version() {
        let (svc, mut handle): (_, Handle) = tower_test::mock::pair();
        let d = deployer(svc);
        let server = tokio::spawn(async move {
            let path = "/apis/flink.apache.org/v1beta1/namespaces/ns/flinkdeployments/sp-j-a1";
            for (rv, code) in [("5", 409), ("6", 200)] {
                let (req, send) = handle.next_request().await.unwrap();
                assert_eq!((req.method(), req.uri().path()), (&http::Method::GET, path));
                send.send_response(reply(200, fd(rv)));
                let (req, send) = handle.next_request().await.unwrap();
                assert_eq!(req.method(), http::Method::PATCH);
                assert_eq!(
                    req.headers()["content-type"],
                    "application/merge-patch+json"
                );
                let body: serde_json::Value =
                    serde_json::from_slice(&req.into_body().collect_bytes().await.unwrap())
                        .unwrap();
                assert_eq!(
                    body["metadata"]["resourceVersion"], rv,
                    "precondition on the read version"
                );
                assert_eq!(body["spec"]["job"]["state"], "suspended");
                let answer = if code == 409 {
                    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Conflict", "code": 409, "message": "the object has been modified"})
                } else {
                    fd("7")
                };
                send.send_response(reply(code, answer));
            }
        });
        d.patch_fenced("sp-j-a1", json!({"spec": {"job": {"state": "suspended"}}}))
            .await
            .unwrap();
        server.await.unwrap();
    }

    #[tokio::test]
    async fn stop_of_a_missing_resource_is_already_gone_and_apply_uses_the_field_manager() {
        let (svc, mut handle): (_, Handle) = tower_test::mock::pair();
        let d = deployer(svc);
        let server = tokio::spawn(async move {
            let (_, send) = handle.next_request().await.unwrap();
            send.send_response(reply(404, json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404, "message": "not found"})));
            // apply_rendered: ConfigMap then FlinkDeployment, both server-side apply.
            for kind in ["configmaps", "flinkdeployments"] {
                let (req, send) = handle.next_request().await.unwrap();
                assert_eq!(req.method(), http::Method::PATCH);
                assert!(
                    req.uri().path().starts_with(&"/api".to_string())
                        && req
                            .uri()
                            .path()
                            .contains(&format!("/namespaces/ns/{kind}/sp-j-")),
                    "{}",
                    req.uri()
                );
                let q = req.uri().query().unwrap_or("").to_string();
                assert!(
                    q.contains("fieldManager=streampark-rs") && q.contains("force=true"),
                    "{q}"
                );
                assert_eq!(
                    req.headers()["content-type"],
                    "application/apply-patch+yaml"
                );
                let body: serde_json::Value =
                    serde_json::from_slice(&req.into_body().collect_bytes().await.unwrap())
                        .unwrap();
                send.send_response(reply(200, body));
            }
        });
        let out = d
            .stop(&DeploymentId::new("sp-j-a1"), StopOptions::cancel())
            .await
            .unwrap();
        assert_eq!(out, StopOutcome::AlreadyGone);
        let req = DeployRequest::new(
            streampark_core::JobSpec::sql("j", "INSERT INTO k SELECT 1").unwrap(),
            1,
        );
        let rendered = render(&req, &d.inner.settings).unwrap();
        d.apply_rendered(&rendered).await.unwrap();
        server.await.unwrap();
    }
}
