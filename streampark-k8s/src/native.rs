//! Native Kubernetes mode (no operator): submission through the Flink CLI of a `FlinkHome`.
//!
//! [`NativeSubmitter::submit`] runs `flink run-application -t kubernetes-application` (Flink 1.x;
//! `flink run -t kubernetes-application` on Flink 2.x, which dropped `run-application`) with the
//! attempt's cluster id, labels and program; [`NativeSubmitter::start_session`] runs
//! `kubernetes-session.sh`. Flink's own client builds the JobManager `Deployment` and its
//! `ConfigMap`s. The jar must already be in the image (`local://`): the CLI ships nothing into
//! the pod, so SQL jobs need the SQL runner jar baked into the image (default
//! [`DEFAULT_RUNNER_JAR`]) and pass the script inline (`--script-b64`).
//!
//! [`NativeDeployer`](crate::NativeDeployer) builds the `Deployer` on top: state from the
//! JobManager `Deployment`, its pods and the JobManager REST API; savepoint and stop through
//! that REST API.

use streampark_core::deploy::{DeployRequest, tag};
use streampark_core::flink_cli::{FlinkCli, parse};
use streampark_core::{Error, Program, runner};

use crate::BACKEND;
use crate::resources::{ATTEMPT_LABEL, JOB_LABEL, MANAGED_LABEL, MANAGED_VALUE, resource_name};

/// Where the SQL runner jar is expected in the image in native mode.
pub const DEFAULT_RUNNER_JAR: &str = "local:///opt/flink/usrlib/streampark-sql-runner.jar";

/// Submits job attempts as native Kubernetes application clusters through the Flink CLI.
#[derive(Clone, Debug)]
pub struct NativeSubmitter {
    cli: FlinkCli,
    namespace: String,
    image: String,
    service_account: String,
    runner_jar: String,
}

impl NativeSubmitter {
    /// A submitter using `cli` (its `FlinkHome`'s `bin/flink`), deploying into `namespace` with
    /// `image`.
    pub fn new(cli: FlinkCli, namespace: impl Into<String>, image: impl Into<String>) -> Self {
        NativeSubmitter {
            cli,
            namespace: namespace.into(),
            image: image.into(),
            service_account: "flink".into(),
            runner_jar: DEFAULT_RUNNER_JAR.into(),
        }
    }

    /// Service account of the Flink pods (default `flink`).
    #[must_use]
    pub fn with_service_account(mut self, sa: impl Into<String>) -> Self {
        self.service_account = sa.into();
        self
    }

    /// Where the SQL runner jar is in the image (default [`DEFAULT_RUNNER_JAR`]).
    #[must_use]
    pub fn with_runner_jar(mut self, uri: impl Into<String>) -> Self {
        self.runner_jar = uri.into();
        self
    }

    /// The cluster id of an attempt (also the JobManager `Deployment`'s name).
    pub fn cluster_id(req: &DeployRequest) -> String {
        resource_name(&req.spec.id, req.attempt)
    }

    /// The `flink` arguments that submit `req`.
    ///
    /// # Errors
    /// `InvalidInput` for a jar program that is not a URI the image can resolve (`local://`,
    /// or a remote URI Flink 1.19+ fetches) and for local extra jars (the CLI cannot ship them
    /// into the pod).
    pub fn application_args(&self, req: &DeployRequest) -> Result<Vec<String>, Error> {
        let job = &req.spec.id;
        let cluster = Self::cluster_id(req);
        let display = if req.spec.name.is_empty() {
            job.as_str()
        } else {
            req.spec.name.as_str()
        };
        let job_name = tag::job_name(job, req.attempt, display);
        let labels = format!(
            "{JOB_LABEL}:{job},{ATTEMPT_LABEL}:{},{MANAGED_LABEL}:{MANAGED_VALUE}",
            req.attempt
        );
        // Flink 2.x removed the `run-application` action: application mode is `run -t
        // kubernetes-application` there (found by running the 2.x CLI).
        let action = if self.cli.home().version().major() >= 2 {
            "run"
        } else {
            "run-application"
        };
        let mut args: Vec<String> =
            vec![action.into(), "-t".into(), "kubernetes-application".into()];
        let mut d = |k: &str, v: &str| {
            args.push(format!("-D{k}={v}"));
        };
        d("kubernetes.cluster-id", &cluster);
        d("kubernetes.namespace", &self.namespace);
        d("kubernetes.container.image.ref", &self.image);
        d("kubernetes.service-account", &self.service_account);
        d("kubernetes.jobmanager.labels", &labels);
        d("kubernetes.taskmanager.labels", &labels);
        d("pipeline.name", &job_name);
        // Keep the JobManager after the job ends (as the operator does) so its final state
        // stays readable; `NativeDeployer` deletes the cluster on the next attempt, on
        // `delete`, or at once with `with_delete_on_stop(true)`.
        d("execution.shutdown-on-application-finish", "false");
        d(
            "$internal.pipeline.job-id",
            &tag::flink_job_id(job, req.attempt),
        );
        let mut remote = Vec::new();
        for jar in &req.spec.jars {
            if !jar.contains("://") {
                return Err(Error::invalid_input(
                    BACKEND,
                    "jar",
                    jar.clone(),
                    "native Kubernetes mode cannot ship local jars; bake them into the image (local://) or give a URI",
                ));
            }
            remote.push(jar.clone());
        }
        if !remote.is_empty() {
            d("user.artifacts.artifact-list", &remote.join(";"));
        }
        for (k, v) in &req.spec.config {
            d(k, v);
        }
        if let Some(p) = &req.restore_path {
            args.push("--fromSavepoint".into());
            args.push(p.clone());
            if req.allow_non_restored_state {
                args.push("--allowNonRestoredState".into());
            }
        }
        if let Some(p) = req.spec.parallelism {
            args.push("--parallelism".into());
            args.push(p.to_string());
        }
        match &req.spec.program {
            Program::Sql { script } => {
                args.push("--class".into());
                args.push(runner::SQL_RUNNER_MAIN_CLASS.into());
                args.push(self.runner_jar.clone());
                args.extend(runner::program_args(script, Some(&job_name)));
            }
            Program::Jar {
                artifact,
                entry_class,
                args: program_args,
            } => {
                if !artifact.contains("://") {
                    return Err(Error::invalid_input(
                        BACKEND,
                        "jar program",
                        artifact.clone(),
                        "native Kubernetes mode runs jars from the image: use local:///path/in/image.jar or a remote URI",
                    ));
                }
                if let Some(c) = entry_class {
                    args.push("--class".into());
                    args.push(c.clone());
                }
                args.push(artifact.clone());
                args.extend(program_args.iter().cloned());
            }
            _ => {
                return Err(Error::Unsupported {
                    backend: BACKEND,
                    operation: "this program kind".into(),
                });
            }
        }
        Ok(args)
    }

    /// The `kubernetes-session.sh` arguments that start a detached session cluster.
    pub fn session_args(&self, cluster_id: &str) -> Vec<String> {
        vec![
            format!("-Dkubernetes.cluster-id={cluster_id}"),
            format!("-Dkubernetes.namespace={}", self.namespace),
            format!("-Dkubernetes.container.image.ref={}", self.image),
            format!("-Dkubernetes.service-account={}", self.service_account),
            "-Dexecution.attached=false".into(),
            format!(
                "-Dkubernetes.jobmanager.labels={}:{},{}:{cluster_id}",
                crate::resources::MANAGED_LABEL,
                crate::resources::MANAGED_VALUE,
                crate::native_session::SESSION_LABEL
            ),
        ]
    }

    /// Submits `req`; returns the cluster id Flink reported (or the one requested).
    ///
    /// # Errors
    /// As [`application_args`](Self::application_args); `Rejected` with the CLI's stderr tail
    /// when `flink` fails; `Timeout` from the CLI.
    pub async fn submit(&self, req: &DeployRequest) -> Result<String, Error> {
        let args = self.application_args(req)?;
        let out = self.cli.run(&args).await?;
        Ok(cluster_id_from(&out.combined()).unwrap_or_else(|| Self::cluster_id(req)))
    }

    /// Starts a session cluster named `cluster_id`.
    ///
    /// # Errors
    /// As [`submit`](Self::submit).
    pub async fn start_session(&self, cluster_id: &str) -> Result<String, Error> {
        let out = self
            .cli
            .run_script("kubernetes-session.sh", &self.session_args(cluster_id))
            .await?;
        Ok(cluster_id_from(&out.combined()).unwrap_or_else(|| cluster_id.to_string()))
    }
}

/// The cluster id in the CLI's output (`Create flink application cluster <id> successfully`).
pub fn cluster_id_from(output: &str) -> Option<String> {
    parse::k8s_cluster_id(output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use streampark_core::JobSpec;
    use streampark_core::testkit::FakeFlinkHome;

    fn submitter() -> NativeSubmitter {
        let dir = std::env::temp_dir().join(format!("sp-k8s-native-{}", std::process::id()));
        let home = FakeFlinkHome::new(dir.join("flink-1.20.1"))
            .with_dist("flink-dist-1.20.1.jar")
            .with_conf_file("config.yaml", "rest.port: 8081\n")
            .write()
            .unwrap();
        let opts =
            streampark_core::flink_home::DetectOptions::default().with_vendor_conf_dirs(vec![]);
        let home = streampark_core::FlinkHome::detect_with(&home, &opts).unwrap();
        NativeSubmitter::new(FlinkCli::new(home), "flink", "flink:1.20")
    }

    #[test]
    fn sql_application_args() {
        let spec = JobSpec::sql("orders", "INSERT INTO k SELECT 1")
            .unwrap()
            .with_jar("s3://b/kafka.jar");
        let req = DeployRequest::new(spec, 3).with_restore_path("s3://sp/savepoint-1");
        let args = submitter().application_args(&req).unwrap();
        assert_eq!(
            args[..3],
            ["run-application", "-t", "kubernetes-application"]
        );
        let cluster = NativeSubmitter::cluster_id(&req);
        assert!(args.contains(&format!("-Dkubernetes.cluster-id={cluster}")));
        assert!(args.contains(&"-Dkubernetes.namespace=flink".to_string()));
        assert!(args.contains(&"-Dkubernetes.jobmanager.labels=streampark.job:orders,streampark.attempt:3,app.kubernetes.io/managed-by:streampark-rs".to_string()));
        assert!(args.contains(&"-Duser.artifacts.artifact-list=s3://b/kafka.jar".to_string()));
        assert!(args.contains(&"-Dkubernetes.container.image.ref=flink:1.20".to_string()));
        assert!(args.contains(&format!(
            "-D$internal.pipeline.job-id={}",
            tag::flink_job_id(&req.spec.id, 3)
        )));
        assert!(args.contains(&"-Dexecution.shutdown-on-application-finish=false".to_string()));
        // Deterministic per (job, attempt): a retry names the same cluster.
        assert_eq!(
            cluster,
            NativeSubmitter::cluster_id(&DeployRequest::new(req.spec.clone(), 3))
        );
        assert_ne!(
            cluster,
            NativeSubmitter::cluster_id(&DeployRequest::new(req.spec.clone(), 4))
        );
        let sp = args.iter().position(|a| a == "--fromSavepoint").unwrap();
        assert_eq!(args[sp + 1], "s3://sp/savepoint-1");
        let jar = args.iter().position(|a| a == DEFAULT_RUNNER_JAR).unwrap();
        assert_eq!(
            args[jar - 2..jar],
            [
                "--class".to_string(),
                runner::SQL_RUNNER_MAIN_CLASS.to_string()
            ]
        );
        assert_eq!(args[jar + 1], "--script-b64");
    }

    #[test]
    fn flink_2_uses_run_with_the_application_target() {
        let dir = std::env::temp_dir().join(format!("sp-k8s-native2-{}", std::process::id()));
        let home = FakeFlinkHome::new(dir.join("flink-2.1.0"))
            .with_dist("flink-dist-2.1.0.jar")
            .with_conf_file("config.yaml", "rest.port: 8081\n")
            .write()
            .unwrap();
        let opts =
            streampark_core::flink_home::DetectOptions::default().with_vendor_conf_dirs(vec![]);
        let home = streampark_core::FlinkHome::detect_with(&home, &opts).unwrap();
        let s = NativeSubmitter::new(FlinkCli::new(home), "flink", "flink:2.1");
        let spec = JobSpec::sql("orders", "INSERT INTO k SELECT 1").unwrap();
        let args = s.application_args(&DeployRequest::new(spec, 1)).unwrap();
        assert_eq!(args[..3], ["run", "-t", "kubernetes-application"]);
    }

    #[test]
    fn local_jars_are_refused_naming_them() {
        let spec = JobSpec::sql("j", "x").unwrap().with_jar("/tmp/udf.jar");
        let e = submitter()
            .application_args(&DeployRequest::new(spec, 1))
            .unwrap_err();
        assert!(e.to_string().contains("/tmp/udf.jar"), "{e}");
        let spec = JobSpec::jar("j", "/tmp/app.jar", None, vec![]).unwrap();
        assert!(
            submitter()
                .application_args(&DeployRequest::new(spec, 1))
                .is_err()
        );
    }

    #[test]
    fn cluster_id_is_parsed_from_cli_output() {
        let out = "2026-11-24 08:00:01,123 INFO  org.apache.flink.kubernetes.KubernetesClusterDescriptor [] - Create flink application cluster sp-orders-1c168a-a3 successfully, JobManager Web Interface: http://10.0.0.1:8081\n";
        assert_eq!(cluster_id_from(out).as_deref(), Some("sp-orders-1c168a-a3"));
        assert_eq!(cluster_id_from("Exception in thread main"), None);
        let s = submitter().session_args("shared");
        assert!(s.contains(&"-Dexecution.attached=false".to_string()));
        // The labels `NativeSession` adopts by.
        assert!(s.contains(&"-Dkubernetes.jobmanager.labels=app.kubernetes.io/managed-by:streampark-rs,streampark.session:shared".to_string()));
    }
}
