//! [`NativeSession`]: a Flink session cluster in native Kubernetes mode.
//!
//! Started once with `kubernetes-session.sh` (through [`NativeSessionStart`], the Flink CLI in
//! production) under a caller-given cluster id, or adopted when its JobManager `Deployment`
//! already exists with this crate's managed-by label; jobs run on it through a
//! [`RemoteDeployer`] at the session's REST address; stopping deletes the `Deployment`
//! (Kubernetes garbage-collects the rest of the cluster through owner references).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::apps::v1::Deployment as K8sDeployment;
use kube::Api;
use kube::api::DeleteParams;
use streampark_core::deploy::remote::RemoteDeployer;
use streampark_core::{Error, Result};
use tracing::instrument;

use crate::native::NativeSubmitter;
use crate::native_deployer::{NATIVE_BACKEND, RestResolver, ServiceDnsResolver};
use crate::resources::{MANAGED_LABEL, MANAGED_VALUE};

/// The label this crate puts on a session cluster's JobManager `Deployment` (value: the
/// cluster id).
pub const SESSION_LABEL: &str = "streampark.session";

/// Starts a native session cluster.
#[async_trait]
pub trait NativeSessionStart: fmt::Debug + Send + Sync {
    /// Starts the session cluster `cluster_id`; returns the cluster id the client reported.
    async fn start_session(&self, cluster_id: &str) -> Result<String>;
}

#[async_trait]
impl NativeSessionStart for NativeSubmitter {
    async fn start_session(&self, cluster_id: &str) -> Result<String> {
        NativeSubmitter::start_session(self, cluster_id).await
    }
}

/// Whether [`NativeSession::start_or_adopt`] started the cluster or found it running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionStart {
    /// `kubernetes-session.sh` started it.
    Started,
    /// Its `Deployment` already existed.
    Adopted,
}

/// A native Kubernetes session cluster named by the caller.
#[derive(Clone)]
pub struct NativeSession {
    client: kube::Client,
    namespace: String,
    cluster_id: String,
    resolver: Arc<dyn RestResolver>,
    timeout: Duration,
}

impl fmt::Debug for NativeSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NativeSession")
            .field("namespace", &self.namespace)
            .field("cluster_id", &self.cluster_id)
            .field("resolver", &self.resolver)
            .finish_non_exhaustive()
    }
}

fn valid_cluster_id(id: &str) -> bool {
    // Flink's rule for `kubernetes.cluster-id`: a DNS-1035 label of at most 45 characters.
    !id.is_empty()
        && id.len() <= 45
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl NativeSession {
    /// The session cluster `cluster_id` in `namespace`, reached through `client`; its REST API
    /// is found through [`ServiceDnsResolver`] unless [`with_rest_resolver`](Self::with_rest_resolver).
    ///
    /// # Errors
    /// `InvalidInput` when `cluster_id` is not a DNS-1035 label of at most 45 characters.
    pub fn new(
        client: kube::Client,
        namespace: impl Into<String>,
        cluster_id: impl Into<String>,
    ) -> Result<Self> {
        let cluster_id = cluster_id.into();
        if !valid_cluster_id(&cluster_id) {
            return Err(Error::invalid_input(
                NATIVE_BACKEND,
                "cluster id",
                cluster_id,
                "must be lowercase letters, digits and '-', start with a letter, at most 45 characters",
            ));
        }
        Ok(NativeSession {
            client,
            namespace: namespace.into(),
            cluster_id,
            resolver: Arc::new(ServiceDnsResolver::default()),
            timeout: Duration::from_secs(10),
        })
    }

    /// How to reach the session's JobManager REST API.
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

    /// The session's cluster id (the name of its JobManager `Deployment`).
    pub fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    /// The base URL of the session's JobManager REST API.
    pub fn rest_url(&self) -> String {
        self.resolver.rest_url(&self.namespace, &self.cluster_id)
    }

    fn deployments(&self) -> Api<K8sDeployment> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    fn timeout_err(&self, what: &str) -> Error {
        Error::Timeout {
            backend: NATIVE_BACKEND,
            operation: format!("{what} {} in namespace {}", self.cluster_id, self.namespace),
            after: self.timeout,
        }
    }

    fn unavailable(&self, what: &str, e: kube::Error) -> Error {
        Error::Unavailable {
            backend: NATIVE_BACKEND,
            what: format!(
                "Kubernetes API ({what} {} in namespace {})",
                self.cluster_id, self.namespace
            ),
            retry_after: None,
            source: Some(Box::new(e)),
        }
    }

    /// Whether the session's JobManager `Deployment` exists (and is not being deleted).
    ///
    /// # Errors
    /// `Rejected` when a `Deployment` of that name exists but is not a native session managed
    /// by this crate; `Unavailable`/`Timeout` from the API server.
    pub async fn exists(&self) -> Result<bool> {
        let got = tokio::time::timeout(self.timeout, self.deployments().get_opt(&self.cluster_id))
            .await
            .map_err(|_| self.timeout_err("get Deployment"))?
            .map_err(|e| self.unavailable("get Deployment", e))?;
        let Some(d) = got else { return Ok(false) };
        if d.metadata.deletion_timestamp.is_some() {
            return Ok(false);
        }
        let labels = d.metadata.labels.unwrap_or_default();
        let ours = labels.get(MANAGED_LABEL).map(String::as_str) == Some(MANAGED_VALUE)
            && labels.get(SESSION_LABEL) == Some(&self.cluster_id);
        if !ours {
            return Err(Error::Rejected {
                backend: NATIVE_BACKEND,
                operation: format!("adopt session {}", self.cluster_id),
                message: format!(
                    "Deployment {} in namespace {} exists but is not a session cluster managed by \
                     {MANAGED_VALUE} (labels {MANAGED_LABEL}, {SESSION_LABEL})",
                    self.cluster_id, self.namespace
                ),
                source: None,
            });
        }
        Ok(true)
    }

    /// Adopts the session when its `Deployment` exists, else starts it with `starter`.
    ///
    /// # Errors
    /// As [`exists`](Self::exists); `Rejected` from the CLI when the start fails.
    #[instrument(name = "native_session.start_or_adopt", skip_all, fields(backend = NATIVE_BACKEND, cluster = %self.cluster_id), err(level = tracing::Level::WARN))]
    pub async fn start_or_adopt(&self, starter: &dyn NativeSessionStart) -> Result<SessionStart> {
        if self.exists().await? {
            return Ok(SessionStart::Adopted);
        }
        starter.start_session(&self.cluster_id).await?;
        Ok(SessionStart::Started)
    }

    /// A deployer for jobs on this session (a [`RemoteDeployer`] at [`rest_url`](Self::rest_url)).
    ///
    /// # Errors
    /// `InvalidConfig` when the resolved REST URL is not a valid URL.
    pub fn deployer(&self) -> Result<RemoteDeployer> {
        RemoteDeployer::builder()
            .with_url(self.rest_url())
            .with_request_timeout(self.timeout)
            .build()
    }

    /// Stops the session: deletes its JobManager `Deployment` (its jobs end with it). Missing
    /// is fine.
    ///
    /// # Errors
    /// `Unavailable`/`Timeout` from the API server.
    #[instrument(name = "native_session.stop", skip_all, fields(backend = NATIVE_BACKEND, cluster = %self.cluster_id), err(level = tracing::Level::WARN))]
    pub async fn stop(&self) -> Result<()> {
        match tokio::time::timeout(
            self.timeout,
            self.deployments()
                .delete(&self.cluster_id, &DeleteParams::background()),
        )
        .await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(kube::Error::Api(s))) if s.code == 404 => Ok(()),
            Ok(Err(e)) => Err(self.unavailable("delete Deployment", e)),
            Err(_) => Err(self.timeout_err("delete Deployment")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::valid_cluster_id;

    #[test]
    fn cluster_ids_follow_flinks_rule() {
        assert!(valid_cluster_id("shared-1"));
        for bad in ["", "1abc", "Abc", "a_b", "abc-", &"a".repeat(46)] {
            assert!(!valid_cluster_id(bad), "{bad}");
        }
    }
}
