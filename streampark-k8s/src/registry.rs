//! `k8s://` and `k8s+native://` for core's [`Registry`].
//!
//! | URL | deployer |
//! |---|---|
//! | `k8s://<namespace>` | [`OperatorDeployer`](crate::OperatorDeployer): Flink Kubernetes Operator resources |
//! | `k8s+native://<namespace>` | [`NativeDeployer`](crate::NativeDeployer): the Flink CLI of `flink-home` |
//!
//! Without a namespace, the kubeconfig context's namespace is used. The API server and
//! credentials come from `kubeconfig` (a file) and `context`, else from the usual places
//! (`KUBECONFIG`, `~/.kube/config`, the in-cluster service account).
//!
//! Options for `k8s://`: `kubeconfig`, `context`, `image`, `flink-version`, `service-account`,
//! `session` (a session FlinkDeployment: jobs become FlinkSessionJobs), `runner-jar-uri`,
//! `state-snapshots` (`true` | `false`), `request-timeout`, `submit-timeout`.
//!
//! Options for `k8s+native://`: `flink-home` and `image` (required), `kubeconfig` (also given
//! to the CLI as `KUBECONFIG`), `service-account`, `runner-jar`, `delete-on-stop`,
//! `request-timeout`, `cli-timeout`.
//!
//! ```no_run
//! use streampark_core::{DeployerOptions, Registry};
//!
//! # async fn demo() -> streampark_core::Result<()> {
//! let mut reg = Registry::new();
//! streampark_k8s::register(&mut reg);
//! let k8s = reg
//!     .deployer_from_url("k8s://flink-jobs", &DeployerOptions::new().with("flink-version", "1.20"))
//!     .await?;
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use kube::config::{KubeConfigOptions, Kubeconfig};
use streampark_core::{
    Deployer, DeployerFactory, DeployerOptions, Error, FlinkCli, FlinkHome, Registry, Result,
};
use url::Url;

use crate::native::NativeSubmitter;
use crate::native_deployer::NATIVE_BACKEND;
use crate::{BACKEND, NativeDeployer, OperatorDeployer};

/// Adds `k8s://` (operator) and `k8s+native://` (native mode) to `registry`.
pub fn register(registry: &mut Registry) {
    registry.register(Arc::new(OperatorFactory));
    registry.register(Arc::new(NativeFactory));
}

fn namespace(url: &Url) -> Option<String> {
    url.host_str().filter(|h| !h.is_empty()).map(str::to_string)
}

fn flag(backend: &'static str, o: &DeployerOptions, key: &str) -> Result<Option<bool>> {
    match o.get(key).map(str::trim) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(Error::invalid_config(
            backend,
            key,
            format!("`{other}`: expected true or false"),
        )),
    }
}

/// A kube client from the `kubeconfig` / `context` options, else inferred.
async fn client(backend: &'static str, o: &DeployerOptions) -> Result<kube::Client> {
    let bad =
        |key: &str, e: &dyn std::fmt::Display| Error::invalid_config(backend, key, e.to_string());
    let context = o.non_empty(backend, "context")?.map(str::to_string);
    let config = match o.non_empty(backend, "kubeconfig")? {
        Some(path) => {
            let kc = Kubeconfig::read_from(path).map_err(|e| bad("kubeconfig", &e))?;
            let opts = KubeConfigOptions {
                context,
                ..KubeConfigOptions::default()
            };
            kube::Config::from_custom_kubeconfig(kc, &opts)
                .await
                .map_err(|e| bad("kubeconfig", &format!("{path}: {e}")))?
        }
        None if context.is_some() => {
            let opts = KubeConfigOptions {
                context,
                ..KubeConfigOptions::default()
            };
            kube::Config::from_kubeconfig(&opts)
                .await
                .map_err(|e| bad("context", &e))?
        }
        None => kube::Config::infer()
            .await
            .map_err(|e| bad("kubeconfig", &format!("no kubeconfig found: {e}")))?,
    };
    kube::Client::try_from(config).map_err(|e| bad("kubeconfig", &e))
}

#[derive(Debug)]
struct OperatorFactory;

#[async_trait]
impl DeployerFactory for OperatorFactory {
    fn schemes(&self) -> Vec<&'static str> {
        vec!["k8s"]
    }

    fn option_keys(&self) -> Vec<&'static str> {
        vec![
            "kubeconfig",
            "context",
            "image",
            "flink-version",
            "service-account",
            "session",
            "runner-jar-uri",
            "state-snapshots",
            "request-timeout",
            "submit-timeout",
        ]
    }

    async fn build(&self, url: &Url, o: &DeployerOptions) -> Result<Arc<dyn Deployer>> {
        let mut b = OperatorDeployer::builder().with_kube_client(client(BACKEND, o).await?);
        if let Some(ns) = namespace(url) {
            b = b.with_namespace(ns);
        }
        if let Some(v) = o.non_empty(BACKEND, "image")? {
            b = b.with_image(v);
        }
        if let Some(v) = o.non_empty(BACKEND, "flink-version")? {
            b = b.with_flink_version(v);
        }
        if let Some(v) = o.non_empty(BACKEND, "service-account")? {
            b = b.with_service_account(v);
        }
        if let Some(v) = o.non_empty(BACKEND, "session")? {
            b = b.with_session_deployment(v);
        }
        if let Some(v) = o.non_empty(BACKEND, "runner-jar-uri")? {
            b = b.with_runner_jar_uri(v);
        }
        if let Some(v) = flag(BACKEND, o, "state-snapshots")? {
            b = b.with_state_snapshots(v);
        }
        if let Some(d) = o.duration(BACKEND, "request-timeout")? {
            b = b.with_request_timeout(d);
        }
        if let Some(d) = o.duration(BACKEND, "submit-timeout")? {
            b = b.with_submit_timeout(d);
        }
        Ok(Arc::new(b.build()?))
    }
}

#[derive(Debug)]
struct NativeFactory;

#[async_trait]
impl DeployerFactory for NativeFactory {
    fn schemes(&self) -> Vec<&'static str> {
        vec!["k8s+native"]
    }

    fn option_keys(&self) -> Vec<&'static str> {
        vec![
            "flink-home",
            "image",
            "kubeconfig",
            "service-account",
            "runner-jar",
            "delete-on-stop",
            "request-timeout",
            "cli-timeout",
        ]
    }

    async fn build(&self, url: &Url, o: &DeployerOptions) -> Result<Arc<dyn Deployer>> {
        let required = |key: &str, why: &str| {
            Error::invalid_config(NATIVE_BACKEND, key, format!("required: {why}"))
        };
        let home = o.non_empty(NATIVE_BACKEND, "flink-home")?.ok_or_else(|| {
            required("flink-home", "the Flink home whose CLI starts the clusters")
        })?;
        let image = o.non_empty(NATIVE_BACKEND, "image")?.ok_or_else(|| {
            required(
                "image",
                "the Flink image of the JobManager and TaskManagers",
            )
        })?;
        let home = FlinkHome::detect(home)?;
        let client = client(NATIVE_BACKEND, o).await?;
        let ns = namespace(url).unwrap_or_else(|| client.default_namespace().to_string());
        crate::builder::check_dns_label(&ns)
            .map_err(|r| Error::invalid_config(NATIVE_BACKEND, "namespace", r))?;
        let mut cli = FlinkCli::new(home).with_timeout(
            o.duration(NATIVE_BACKEND, "cli-timeout")?
                .unwrap_or(Duration::from_secs(300)),
        );
        if let Some(path) = o.non_empty(NATIVE_BACKEND, "kubeconfig")? {
            cli = cli.with_env("KUBECONFIG", path);
        }
        let mut submitter = NativeSubmitter::new(cli, ns.clone(), image);
        if let Some(v) = o.non_empty(NATIVE_BACKEND, "service-account")? {
            submitter = submitter.with_service_account(v);
        }
        if let Some(v) = o.non_empty(NATIVE_BACKEND, "runner-jar")? {
            submitter = submitter.with_runner_jar(v);
        }
        let mut d = NativeDeployer::new(client, ns, Arc::new(submitter));
        if let Some(t) = o.duration(NATIVE_BACKEND, "request-timeout")? {
            d = d.with_request_timeout(t);
        }
        if let Some(v) = flag(NATIVE_BACKEND, o, "delete-on-stop")? {
            d = d.with_delete_on_stop(v);
        }
        Ok(Arc::new(d))
    }
}
