//! A [`NativeSubmit`] that does in the simulated API server what Flink's native Kubernetes
//! client does: it creates the JobManager `Deployment` named after the cluster id, its
//! `<cluster-id>-rest` Service and the JobManager/TaskManager pods (labelled
//! `app=<cluster-id>, component=…, type=flink-native-kubernetes` plus the tag labels), and
//! starts a [`SimJobManager`] for the cluster (job state, cancel, stop with savepoint,
//! savepoints, checkpoints, exceptions).
//!
//! A fault injected with [`SimApiServer::inject`] gives the JobManager pod that condition and
//! starts no REST API (the JobManager never comes up).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{Value, json};
use streampark_core::deploy::{DeployRequest, tag};
use streampark_core::testkit::{SimJobManager, SimJobManagerServer};
use streampark_core::{Error, Program, Result};

use super::operator::{append_log, container, fault_pod_status, put_pod, set_previous_log};
use super::{Shared, SimApiServer};
use crate::native_deployer::{NATIVE_BACKEND, NativeSubmit, RestResolver};
use crate::resources::{MANAGED_LABEL, MANAGED_VALUE, labels};

/// Cluster id -> its simulated JobManager's server (stopped when dropped).
pub(super) type Clusters = Arc<Mutex<HashMap<String, SimJobManagerServer>>>;

/// Simulates Flink's native Kubernetes client against a [`SimApiServer`].
#[derive(Clone)]
pub struct SimNativeSubmitter {
    pub(super) shared: Arc<Shared>,
    pub(super) namespace: String,
    pub(super) clusters: Clusters,
}

impl fmt::Debug for SimNativeSubmitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimNativeSubmitter")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// Resolves cluster ids to the simulated JobManagers of a [`SimNativeSubmitter`].
#[derive(Clone)]
struct SimResolver(Clusters);

impl fmt::Debug for SimResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SimResolver")
    }
}

impl RestResolver for SimResolver {
    fn rest_url(&self, _namespace: &str, cluster_id: &str) -> String {
        let c = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Port 9 (discard) refuses connections: a JobManager that never came up.
        c.get(cluster_id)
            .map(|s| s.url().to_string())
            .unwrap_or_else(|| "http://127.0.0.1:9".into())
    }
}

impl SimNativeSubmitter {
    /// A submitter creating clusters in `namespace` of `sim`.
    pub fn new(sim: &SimApiServer, namespace: impl Into<String>) -> Self {
        SimNativeSubmitter {
            shared: sim.shared.clone(),
            namespace: namespace.into(),
            clusters: Arc::default(),
        }
    }

    /// The resolver pointing `NativeDeployer` at the simulated JobManagers.
    pub fn resolver(&self) -> Arc<dyn RestResolver> {
        Arc::new(SimResolver(self.clusters.clone()))
    }

    pub(super) fn put(&self, plural: &str, name: &str, obj: Value) {
        let mut s = self.shared.lock();
        let key = (plural.to_string(), self.namespace.clone(), name.to_string());
        s.commit(&key, obj, "ADDED");
    }

    /// The JobManager `Deployment` (labelled `labels`) and the `<cluster-id>-rest` Service
    /// Flink's native client creates for a cluster.
    pub(super) fn put_cluster(&self, cluster_id: &str, labels: &Value) {
        self.put(
            "deployments",
            cluster_id,
            json!({"metadata": {"labels": labels}, "spec": {"replicas": 1}}),
        );
        self.put(
            "services",
            &format!("{cluster_id}-rest"),
            json!({"metadata": {"labels": {"app": cluster_id, "type": "flink-native-kubernetes"}},
                "spec": {"ports": [{"name": "rest", "port": 8081}]}}),
        );
    }

    /// Serves `jm` as the JobManager of `cluster_id` (a JobManager started before under that
    /// id stops). `what` names it in errors.
    pub(super) async fn serve(
        &self,
        cluster_id: &str,
        jm: &SimJobManager,
        what: &str,
    ) -> Result<()> {
        let server = jm.serve().await.map_err(|e| Error::Unavailable {
            backend: NATIVE_BACKEND,
            what: format!("a local port for the simulated {what}"),
            retry_after: None,
            source: Some(Box::new(e)),
        })?;
        self.clusters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(cluster_id.to_string(), server);
        Ok(())
    }
}

#[async_trait]
impl NativeSubmit for SimNativeSubmitter {
    async fn submit(&self, req: &DeployRequest, cluster_id: &str) -> Result<String> {
        for jar in &req.spec.jars {
            if !jar.contains("://") {
                return Err(Error::invalid_input(
                    NATIVE_BACKEND,
                    "jar",
                    jar.clone(),
                    "native Kubernetes mode cannot ship local jars; bake them into the image (local://) or give a URI",
                ));
            }
        }
        let (image, failure) = match &req.spec.program {
            Program::Sql { script } => (
                "flink:1.20".to_string(),
                script
                    .contains("-- sim: fail")
                    .then(|| "java.lang.ArithmeticException: / by zero".to_string()),
            ),
            Program::Jar { artifact, .. } if artifact.contains("://") => {
                ("flink:1.20".to_string(), None)
            }
            _ => {
                return Err(Error::invalid_input(
                    NATIVE_BACKEND,
                    "jar program",
                    "local path",
                    "native Kubernetes mode runs jars from the image: use local:///path/in/image.jar",
                ));
            }
        };
        {
            let c = self.clusters.lock().unwrap_or_else(|p| p.into_inner());
            if c.contains_key(cluster_id) {
                return Err(Error::Rejected {
                    backend: NATIVE_BACKEND,
                    operation: "flink run-application".into(),
                    message: format!("The Flink cluster {cluster_id} already exists."),
                    source: None,
                });
            }
        }
        let mut l = labels(&req.spec.id, req.attempt);
        l.insert(MANAGED_LABEL.into(), MANAGED_VALUE.into());
        let mut dl = serde_json::to_value(&l).unwrap_or_else(|_| json!({}));
        dl["app"] = cluster_id.into();
        dl["type"] = "flink-native-kubernetes".into();
        self.put_cluster(cluster_id, &dl);
        let mut jm_labels = dl.clone();
        jm_labels["component"] = "jobmanager".into();
        let jm = format!("{cluster_id}-5d8f7c9b4-x2x7q");
        let job = req.spec.id.as_str();
        if let Some(f) = self.shared.fault_for(job) {
            let (status, previous) = fault_pod_status(f, &image);
            put_pod(&self.shared, &self.namespace, &jm, jm_labels, status);
            if let Some(p) = previous {
                set_previous_log(&self.shared, &self.namespace, &jm, p);
            }
            return Ok(cluster_id.to_string());
        }
        let running = json!({"phase": "Running", "containerStatuses": [container(&image, json!({"running": {}}), json!({}), 0, true)]});
        put_pod(
            &self.shared,
            &self.namespace,
            &jm,
            jm_labels,
            running.clone(),
        );
        let mut tm_labels = dl;
        tm_labels["component"] = "taskmanager".into();
        put_pod(
            &self.shared,
            &self.namespace,
            &format!("{cluster_id}-taskmanager-1-1"),
            tm_labels,
            running,
        );
        append_log(
            &self.shared,
            &self.namespace,
            &jm,
            &format!(
                "INFO  StandaloneApplicationClusterEntryPoint - Starting Flink application cluster {cluster_id}"
            ),
        );
        append_log(
            &self.shared,
            &self.namespace,
            &format!("{cluster_id}-taskmanager-1-1"),
            "INFO  TaskManagerRunner - Starting TaskManager",
        );
        let display = if req.spec.name.is_empty() {
            job
        } else {
            req.spec.name.as_str()
        };
        let jid = tag::flink_job_id(&req.spec.id, req.attempt);
        let jm = SimJobManager::builder()
            .with_reject_when_not_running(true)
            .build();
        jm.add_job(
            jid.clone(),
            tag::job_name(&req.spec.id, req.attempt, display),
            req.restore_path.clone(),
        );
        if let Some(f) = failure {
            jm.fail_job(&jid, f);
        }
        self.serve(cluster_id, &jm, "JobManager").await?;
        Ok(cluster_id.to_string())
    }
}
