//! [`NativeSessionStart`] for [`SimNativeSubmitter`]: what `kubernetes-session.sh` does in the
//! simulated API server (JobManager `Deployment` named after the cluster id with the labels
//! Flink and this crate put on it, the `<cluster-id>-rest` Service, a JobManager pod) plus a
//! session [`SimJobManager`] that accepts several jobs through `POST /jars/upload` and
//! `POST /jars/:id/run` and serves `/jobs/overview` and the per-job endpoints (state, cancel,
//! savepoints, checkpoints, exceptions).
//!
//! Starting a session again under the same cluster id (after a stop) gives a fresh JobManager
//! without jobs.

use async_trait::async_trait;
use serde_json::json;
use streampark_core::Result;
use streampark_core::testkit::SimJobManager;

use super::native::SimNativeSubmitter;
use super::operator::{append_log, container, put_pod};
use crate::native_session::{NativeSessionStart, SESSION_LABEL};
use crate::resources::{MANAGED_LABEL, MANAGED_VALUE};

#[async_trait]
impl NativeSessionStart for SimNativeSubmitter {
    async fn start_session(&self, cluster_id: &str) -> Result<String> {
        let labels = json!({"app": cluster_id, "type": "flink-native-kubernetes",
            MANAGED_LABEL: MANAGED_VALUE, SESSION_LABEL: cluster_id});
        self.put_cluster(cluster_id, &labels);
        let mut jm_labels = labels.clone();
        jm_labels["component"] = "jobmanager".into();
        let jm = format!("{cluster_id}-7c5b9d8f6-s3s5n");
        let running = json!({"phase": "Running", "containerStatuses": [container("flink:sim", json!({"running": {}}), json!({}), 0, true)]});
        put_pod(&self.shared, &self.namespace, &jm, jm_labels, running);
        append_log(
            &self.shared,
            &self.namespace,
            &jm,
            &format!(
                "INFO  KubernetesSessionClusterEntrypoint - Starting session cluster {cluster_id}"
            ),
        );
        let jm = SimJobManager::builder()
            .with_session(true)
            .with_reject_when_not_running(true)
            .build();
        self.serve(cluster_id, &jm, "session JobManager").await?;
        Ok(cluster_id.to_string())
    }
}
