//! [`OperatorDeployerBuilder`].

use std::fmt;
use std::time::Duration;

use kube::Client;
use streampark_core::Error;

use crate::BACKEND;
use crate::crd::flink_version_value;
use crate::deployer::OperatorDeployer;
use crate::resources::{Mode, Settings};

/// Builds an [`OperatorDeployer`]; every check happens in [`build`](Self::build).
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use streampark_k8s::OperatorDeployer;
/// let client = kube::Client::try_default().await?; // the current kubeconfig
/// let deployer = OperatorDeployer::builder()
///     .with_kube_client(client)
///     .with_namespace("flink-jobs")
///     .with_image("flink:1.20")
///     .with_flink_version("1.20")
///     .with_service_account("flink")
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct OperatorDeployerBuilder {
    client: Option<Client>,
    namespace: Option<String>,
    image: Option<String>,
    service_account: Option<String>,
    flink_version: Option<String>,
    session: Option<String>,
    runner_jar_uri: Option<String>,
    job_manager: Option<(String, f64)>,
    task_manager: Option<(String, f64)>,
    submit_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    snapshots: Option<bool>,
}

impl fmt::Debug for OperatorDeployerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client holds credentials: never print it.
        f.debug_struct("OperatorDeployerBuilder")
            .field("client", &self.client.as_ref().map(|_| "******"))
            .field("namespace", &self.namespace)
            .field("image", &self.image)
            .field("flink_version", &self.flink_version)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl OperatorDeployerBuilder {
    /// The Kubernetes client (required): `kube::Client::try_default()` for the current
    /// kubeconfig, or a client over a test service.
    pub fn with_kube_client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }
    /// Namespace of the resources (default: the client's default namespace).
    pub fn with_namespace(mut self, ns: impl Into<String>) -> Self {
        self.namespace = Some(ns.into());
        self
    }
    /// Flink image (default `flink:<flink version>`).
    pub fn with_image(mut self, image: impl Into<String>) -> Self {
        self.image = Some(image.into());
        self
    }
    /// Service account of the Flink pods (default `flink`, as the operator's Helm chart creates).
    pub fn with_service_account(mut self, sa: impl Into<String>) -> Self {
        self.service_account = Some(sa.into());
        self
    }
    /// Flink version, `1.20` or `v1_20` (default `1.20`).
    pub fn with_flink_version(mut self, v: impl Into<String>) -> Self {
        self.flink_version = Some(v.into());
        self
    }
    /// Session mode: jobs become `FlinkSessionJob`s on this session `FlinkDeployment`.
    pub fn with_session_deployment(mut self, name: impl Into<String>) -> Self {
        self.session = Some(name.into());
        self
    }
    /// Where the operator can fetch the SQL runner jar in session mode (`https://`, `s3://`).
    pub fn with_runner_jar_uri(mut self, uri: impl Into<String>) -> Self {
        self.runner_jar_uri = Some(uri.into());
        self
    }
    /// JobManager memory (`2048m`) and CPU.
    pub fn with_job_manager_resources(mut self, memory: impl Into<String>, cpu: f64) -> Self {
        self.job_manager = Some((memory.into(), cpu));
        self
    }
    /// TaskManager memory and CPU.
    pub fn with_task_manager_resources(mut self, memory: impl Into<String>, cpu: f64) -> Self {
        self.task_manager = Some((memory.into(), cpu));
        self
    }
    /// How long `deploy` waits for the operator's verdict on a submission (default 120 s);
    /// without one, `deploy` returns and `list` reports what follows.
    pub fn with_submit_timeout(mut self, d: Duration) -> Self {
        self.submit_timeout = Some(d);
        self
    }
    /// Bound of single API calls and of the first list of the watch caches (default 30 s).
    pub fn with_request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = Some(d);
        self
    }
    /// Use `FlinkStateSnapshot` resources for savepoints (default `true`; falls back to the
    /// trigger nonce when the CRD is absent). `false` always uses the nonce.
    pub fn with_state_snapshots(mut self, yes: bool) -> Self {
        self.snapshots = Some(yes);
        self
    }

    /// The resources `deploy` would apply for `req`, validated like [`build`](Self::build)
    /// but without a client: contacts nothing (`--dry-run`).
    ///
    /// # Errors
    /// As [`build`](Self::build) (except for the missing client), and as `deploy` for the
    /// request (missing local jars, …).
    pub fn dry_run(
        &self,
        req: &streampark_core::deploy::DeployRequest,
    ) -> Result<crate::resources::Rendered, Error> {
        let settings = self.settings(self.namespace.clone().unwrap_or_else(|| "default".into()))?;
        crate::resources::render(req, &settings)
    }

    /// Validates and builds.
    ///
    /// # Errors
    /// `InvalidConfig` naming the setting: no client, a namespace or session name that is not a
    /// DNS-1123 label, an unknown Flink version, non-positive resources or timeouts.
    pub fn build(self) -> Result<OperatorDeployer, Error> {
        let client = self.client.clone().ok_or_else(|| Error::InvalidConfig {
            backend: BACKEND,
            key: "kube_client".into(),
            reason: "a kube::Client is required".into(),
        })?;
        let namespace = self
            .namespace
            .clone()
            .unwrap_or_else(|| client.default_namespace().to_string());
        let settings = self.settings(namespace)?;
        let submit = self.submit_timeout.unwrap_or(Duration::from_secs(120));
        let request = self.request_timeout.unwrap_or(Duration::from_secs(30));
        if submit.is_zero() || request.is_zero() {
            return Err(Error::InvalidConfig {
                backend: BACKEND,
                key: "timeout".into(),
                reason: "timeouts must be positive".into(),
            });
        }
        Ok(OperatorDeployer::from_parts(
            client,
            settings,
            submit,
            request,
            self.snapshots.unwrap_or(true),
        ))
    }

    fn settings(&self, namespace: String) -> Result<Settings, Error> {
        let bad = |key: &str, reason: String| Error::InvalidConfig {
            backend: BACKEND,
            key: key.into(),
            reason,
        };
        check_dns_label(&namespace).map_err(|r| bad("namespace", r))?;
        let version = self.flink_version.clone().unwrap_or_else(|| "1.20".into());
        let op_version = flink_version_value(&version).ok_or_else(|| {
            bad(
                "flink_version",
                format!("`{version}` is not a Flink version like 1.20 or v1_20"),
            )
        })?;
        let image = self.image.clone().unwrap_or_else(|| {
            format!(
                "flink:{}",
                op_version.trim_start_matches('v').replace('_', ".")
            )
        });
        if image.trim().is_empty() {
            return Err(bad("image", "must not be empty".into()));
        }
        let mode = match &self.session {
            Some(s) => {
                check_dns_label(s).map_err(|r| bad("session_deployment", r))?;
                Mode::Session {
                    deployment: s.clone(),
                    runner_jar_uri: self.runner_jar_uri.clone(),
                }
            }
            None => Mode::Application,
        };
        for (key, r) in [
            ("job_manager_resources", &self.job_manager),
            ("task_manager_resources", &self.task_manager),
        ] {
            if let Some((mem, cpu)) = r
                && (*cpu <= 0.0 || !cpu.is_finite() || mem.trim().is_empty())
            {
                return Err(bad(
                    key,
                    format!("memory `{mem}` and cpu {cpu} must be positive"),
                ));
            }
        }
        let defaults = Settings::default();
        Ok(Settings {
            namespace,
            image,
            service_account: self
                .service_account
                .clone()
                .unwrap_or(defaults.service_account),
            flink_version: op_version,
            mode,
            job_manager: self.job_manager.clone().unwrap_or(defaults.job_manager),
            task_manager: self.task_manager.clone().unwrap_or(defaults.task_manager),
        })
    }
}

/// Checks a DNS-1123 label (namespace, resource name).
pub(crate) fn check_dns_label(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not a DNS-1123 label (lowercase letters, digits, `-`, at most 63)"
        ))
    }
}
