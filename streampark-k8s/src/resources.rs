//! The resources one attempt of a job becomes: names, labels, the program `ConfigMap` and the
//! `FlinkDeployment` (application mode) or `FlinkSessionJob` (session mode).
//!
//! Pure functions of the request and the deployer's settings: `--dry-run` prints exactly what
//! `deploy` applies.
//!
//! # How the program reaches the pods (application mode)
//! The program `ConfigMap` (`<name>-program`) holds the SQL script (`script.sql`), the SDK's
//! SQL runner jar (5.8 KiB, `binaryData`) and every *local* jar of `JobSpec::jars` and a local
//! jar program. The top-level pod template mounts it at [`PROGRAM_DIR`] in the
//! `flink-main-container` of the JobManager and TaskManager pods, so the job jar is
//! `local:///opt/flink/usrlib/streampark/<jar>` and extra jars go on `pipeline.classpaths`.
//! A `ConfigMap` holds at most 1 MiB: local jars that do not fit are refused before anything is
//! created; put them at a URI instead. URIs (`https://`, `s3://`, `hdfs://`, …) go to Flink's
//! `user.artifacts.artifact-list` (Flink 1.19+ fetches them into the pod); `local://` URIs name
//! files already in the image and go on `pipeline.classpaths`.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sha2::{Digest, Sha256};
use streampark_core::deploy::{DeployRequest, tag_labels};
use streampark_core::runner;
use streampark_core::{Error, JobId, Program};

use crate::BACKEND;
use crate::crd::{
    DesiredState, FlinkDeployment, FlinkDeploymentSpec, FlinkSessionJob, FlinkSessionJobSpec,
    JobSpecCr, ProcessSpec, Resource, UpgradeMode, flink_version_value,
};

/// Where the program `ConfigMap` is mounted in the Flink containers.
pub const PROGRAM_DIR: &str = "/opt/flink/usrlib/streampark";
/// Label key carrying the job id (from [`tag_labels`]).
pub const JOB_LABEL: &str = "streampark.job";
/// Label key carrying the attempt (from [`tag_labels`]).
pub const ATTEMPT_LABEL: &str = "streampark.attempt";
/// Label marking resources managed by streampark-rs (selector of the watcher).
pub const MANAGED_LABEL: &str = "app.kubernetes.io/managed-by";
/// Value of [`MANAGED_LABEL`].
pub const MANAGED_VALUE: &str = "streampark-rs";
/// Most a program `ConfigMap` may hold (Kubernetes refuses objects above 1 MiB).
pub const MAX_PROGRAM_BYTES: usize = 900 * 1024;

/// How the deployer runs jobs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// One `FlinkDeployment` per job attempt.
    Application,
    /// A `FlinkSessionJob` on the named session `FlinkDeployment`.
    Session {
        /// The session `FlinkDeployment`.
        deployment: String,
        /// Where the operator can fetch the SQL runner jar (`https://…`, `s3://…`): a session
        /// job's jar is downloaded by the operator, not mounted.
        runner_jar_uri: Option<String>,
    },
}

/// Settings that shape the generated resources.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Settings {
    /// Namespace.
    pub namespace: String,
    /// Flink image.
    pub image: String,
    /// Service account of the Flink pods.
    pub service_account: String,
    /// Operator `flinkVersion` value (`v1_20`).
    pub flink_version: String,
    /// Application or session mode.
    pub mode: Mode,
    /// JobManager memory (`1024m`) and CPU.
    pub job_manager: (String, f64),
    /// TaskManager memory and CPU.
    pub task_manager: (String, f64),
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            namespace: "default".into(),
            image: "flink:1.20".into(),
            service_account: "flink".into(),
            flink_version: "v1_20".into(),
            mode: Mode::Application,
            job_manager: ("1024m".into(), 1.0),
            task_manager: ("1024m".into(), 1.0),
        }
    }
}

impl Settings {
    /// Default settings in `namespace`.
    pub fn for_namespace(namespace: impl Into<String>) -> Self {
        Settings {
            namespace: namespace.into(),
            ..Settings::default()
        }
    }
}

/// The resource name of attempt `attempt` of `job`: DNS-1123, at most 45 characters (the
/// operator derives longer service names from it), unique per job id through a hash.
pub fn resource_name(job: &JobId, attempt: u64) -> String {
    format!("{}-a{attempt}", job_base_name(job))
}

/// The per-job part of resource names (also the name of the job's fence `ConfigMap`).
pub fn job_base_name(job: &JobId) -> String {
    let mut s: String = job
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(24)
        .collect();
    s = s.trim_matches('-').to_string();
    let digest = Sha256::digest(job.as_str().as_bytes());
    format!("sp-{s}-{}", hex::encode(&digest[..3]))
}

/// The name of the program `ConfigMap` of a resource.
pub fn program_config_map_name(resource: &str) -> String {
    format!("{resource}-program")
}

/// Labels of every resource of one attempt: [`tag_labels`] plus [`MANAGED_LABEL`].
pub fn labels(job: &JobId, attempt: u64) -> BTreeMap<String, String> {
    let mut l = tag_labels(job, attempt);
    l.insert(MANAGED_LABEL.into(), MANAGED_VALUE.into());
    l
}

/// Everything one attempt applies, in order.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Rendered {
    /// Resource name (also the deployment id's name part).
    pub name: String,
    /// The program `ConfigMap`, when the program needs one.
    pub config_map: Option<ConfigMap>,
    /// The job resource.
    pub job: JobResource,
}

/// The custom resource of one attempt.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum JobResource {
    /// Application mode.
    Deployment(Box<FlinkDeployment>),
    /// Session mode.
    SessionJob(Box<FlinkSessionJob>),
}

impl Rendered {
    /// The resources as JSON values, in apply order.
    pub fn to_values(&self) -> Result<Vec<serde_json::Value>, Error> {
        let mut v = Vec::new();
        if let Some(cm) = &self.config_map {
            let mut cm = serde_json::to_value(cm).map_err(ser)?;
            cm["apiVersion"] = "v1".into();
            cm["kind"] = "ConfigMap".into();
            v.push(cm);
        }
        v.push(match &self.job {
            JobResource::Deployment(d) => serde_json::to_value(d).map_err(ser)?,
            JobResource::SessionJob(j) => serde_json::to_value(j).map_err(ser)?,
        });
        Ok(v)
    }

    /// The resources as a YAML stream (`---` separated).
    pub fn to_yaml_stream(&self) -> Result<String, Error> {
        let mut out = String::new();
        for v in self.to_values()? {
            out.push_str("---\n");
            out.push_str(&serde_yaml_ng::to_string(&v).map_err(|e| Error::Other {
                backend: BACKEND,
                message: "rendering a resource as YAML failed".into(),
                source: Some(Box::new(e)),
            })?);
        }
        Ok(out)
    }
}

fn ser(e: serde_json::Error) -> Error {
    Error::Other {
        backend: BACKEND,
        message: "serializing a resource failed".into(),
        source: Some(Box::new(e)),
    }
}

fn invalid(what: &str, at: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::invalid_input(BACKEND, what, at.into(), reason.into())
}

fn is_uri(s: &str) -> bool {
    s.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+')
    })
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "program.jar".into())
}

/// Builds the resources of one attempt. Reads local jars (to put them in the `ConfigMap`);
/// contacts nothing.
///
/// # Errors
/// `InvalidInput` for a missing local jar (naming it), a job id too long for a label value, local
/// jars over [`MAX_PROGRAM_BYTES`], or a local jar in session mode.
pub fn render(req: &DeployRequest, s: &Settings) -> Result<Rendered, Error> {
    let job = &req.spec.id;
    if job.as_str().len() > 63 {
        return Err(invalid(
            "job id",
            job.to_string(),
            "Kubernetes label values hold at most 63 characters",
        ));
    }
    let name = resource_name(job, req.attempt);
    let labels = labels(job, req.attempt);
    let session = matches!(s.mode, Mode::Session { .. });
    let display = if req.spec.name.is_empty() {
        job.as_str()
    } else {
        req.spec.name.as_str()
    };
    let job_name = streampark_core::deploy::tag::job_name(job, req.attempt, display);

    let mut binary: BTreeMap<String, ByteString> = BTreeMap::new();
    let mut data: BTreeMap<String, String> = BTreeMap::new();
    let mut classpaths: Vec<String> = Vec::new();
    let mut artifacts: Vec<String> = Vec::new();
    let mut total = 0usize;
    let mut ship = |path: &str,
                    binary: &mut BTreeMap<String, ByteString>|
     -> Result<String, Error> {
        if session {
            return Err(invalid(
                "jar",
                path,
                "session jobs cannot ship local jars; give a URI the operator can fetch",
            ));
        }
        let bytes = std::fs::read(path)
            .map_err(|e| invalid("jar", path, format!("cannot read local jar: {e}")))?;
        total += bytes.len();
        if total > MAX_PROGRAM_BYTES {
            return Err(invalid(
                "jar",
                path,
                format!(
                    "local jars exceed {MAX_PROGRAM_BYTES} bytes, the most a ConfigMap holds; put them at a URI (https://, s3://) instead"
                ),
            ));
        }
        let key = file_name(path);
        binary.insert(key.clone(), ByteString(bytes));
        Ok(format!("{PROGRAM_DIR}/{key}"))
    };

    for jar in &req.spec.jars {
        if let Some(local) = jar.strip_prefix("local://") {
            classpaths.push(format!("file://{local}"));
        } else if is_uri(jar) {
            artifacts.push(jar.clone());
        } else {
            let mounted = ship(jar, &mut binary)?;
            classpaths.push(format!("file://{mounted}"));
        }
    }

    let (jar_uri, entry_class, args) = match &req.spec.program {
        Program::Sql { script } => match &s.mode {
            Mode::Application => {
                binary.insert(
                    runner::SQL_RUNNER_JAR_NAME.into(),
                    ByteString(runner::SQL_RUNNER_JAR.to_vec()),
                );
                data.insert("script.sql".into(), script.clone());
                let args = vec![
                    "--file".to_string(),
                    format!("{PROGRAM_DIR}/script.sql"),
                    "--name".to_string(),
                    job_name.clone(),
                ];
                (
                    format!("local://{PROGRAM_DIR}/{}", runner::SQL_RUNNER_JAR_NAME),
                    runner::SQL_RUNNER_MAIN_CLASS.to_string(),
                    args,
                )
            }
            Mode::Session { runner_jar_uri, .. } => {
                let Some(uri) = runner_jar_uri else {
                    return Err(Error::InvalidConfig {
                        backend: BACKEND,
                        key: "runner_jar_uri".into(),
                        reason: "session mode runs SQL jobs with the SQL runner jar at a URI the operator can fetch; set OperatorDeployerBuilder::with_runner_jar_uri".into(),
                    });
                };
                (
                    uri.clone(),
                    runner::SQL_RUNNER_MAIN_CLASS.to_string(),
                    runner::program_args(script, Some(&job_name)),
                )
            }
        },
        Program::Jar {
            artifact,
            entry_class,
            args,
        } => {
            let uri = if is_uri(artifact) {
                artifact.clone()
            } else {
                format!("local://{}", ship(artifact, &mut binary)?)
            };
            (uri, entry_class.clone().unwrap_or_default(), args.clone())
        }
        _ => {
            return Err(Error::Unsupported {
                backend: BACKEND,
                operation: "this program kind".into(),
            });
        }
    };

    let mut conf: BTreeMap<String, String> = req.spec.config.clone();
    conf.insert("pipeline.name".into(), job_name.clone());
    conf.insert(
        "$internal.pipeline.job-id".into(),
        streampark_core::deploy::tag::flink_job_id(job, req.attempt),
    );
    if !classpaths.is_empty() {
        conf.insert("pipeline.classpaths".into(), classpaths.join(";"));
    }
    if !artifacts.is_empty() {
        conf.insert("user.artifacts.artifact-list".into(), artifacts.join(";"));
    }

    let meta = |n: &str| ObjectMeta {
        name: Some(n.to_string()),
        namespace: Some(s.namespace.clone()),
        labels: Some(labels.clone()),
        ..Default::default()
    };
    let needs_cm = !binary.is_empty() || !data.is_empty();
    let cm_name = program_config_map_name(&name);
    let config_map = needs_cm.then(|| ConfigMap {
        metadata: meta(&cm_name),
        data: (!data.is_empty()).then(|| data.clone()),
        binary_data: (!binary.is_empty()).then(|| binary.clone()),
        ..Default::default()
    });
    let job_cr = JobSpecCr {
        jar_uri: Some(jar_uri),
        parallelism: req
            .spec
            .parallelism
            .map(|p| i32::try_from(p).unwrap_or(i32::MAX)),
        entry_class: (!entry_class.is_empty()).then_some(entry_class),
        args: Some(args),
        state: Some(DesiredState::Running),
        upgrade_mode: Some(UpgradeMode::Savepoint),
        initial_savepoint_path: req.restore_path.clone(),
        allow_non_restored_state: req.allow_non_restored_state.then_some(true),
        ..Default::default()
    };
    let job = match &s.mode {
        Mode::Application => {
            let mut spec = FlinkDeploymentSpec {
                image: Some(s.image.clone()),
                flink_version: Some(
                    flink_version_value(&s.flink_version)
                        .unwrap_or_else(|| s.flink_version.clone()),
                ),
                flink_configuration: Some(conf),
                service_account: Some(s.service_account.clone()),
                job_manager: Some(process(&s.job_manager)),
                task_manager: Some(process(&s.task_manager)),
                job: Some(job_cr),
                ..Default::default()
            };
            spec.pod_template = Some(pod_template(needs_cm.then_some(cm_name.as_str()), &labels));
            let mut fd = FlinkDeployment::new(&name, spec);
            fd.metadata = meta(&name);
            JobResource::Deployment(Box::new(fd))
        }
        Mode::Session { deployment, .. } => {
            let spec = FlinkSessionJobSpec {
                deployment_name: deployment.clone(),
                flink_configuration: Some(conf),
                job: Some(job_cr),
                restart_nonce: None,
            };
            let mut sj = FlinkSessionJob::new(&name, spec);
            sj.metadata = meta(&name);
            JobResource::SessionJob(Box::new(sj))
        }
    };
    Ok(Rendered {
        name,
        config_map,
        job,
    })
}

fn process((memory, cpu): &(String, f64)) -> ProcessSpec {
    ProcessSpec {
        resource: Some(Resource {
            cpu: Some(*cpu),
            memory: Some(memory.clone()),
            ephemeral_storage: None,
        }),
        replicas: None,
        pod_template: None,
    }
}

/// Pod template: the tag labels on every pod (the pod watcher selects on them) and, when there
/// is one, the program `ConfigMap` mounted at [`PROGRAM_DIR`] in `flink-main-container`.
fn pod_template(config_map: Option<&str>, labels: &BTreeMap<String, String>) -> serde_json::Value {
    let mut t = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"labels": labels},
    });
    if let Some(cm) = config_map {
        t["spec"] = serde_json::json!({
            "containers": [{
                "name": "flink-main-container",
                "volumeMounts": [{"name": "streampark-program", "mountPath": PROGRAM_DIR, "readOnly": true}]
            }],
            "volumes": [{"name": "streampark-program", "configMap": {"name": cm}}]
        });
    }
    t
}

/// The `ConfigMap` data key holding the SQL script (the simulator reads it).
pub const SCRIPT_KEY: &str = "script.sql";

/// Decodes a base64 `--script-b64` argument (session mode), for the simulator and tests.
pub fn decode_script_arg(b64: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use streampark_core::JobSpec;

    fn req(sql: &str) -> DeployRequest {
        DeployRequest::new(JobSpec::sql("Orders.ETL_v2", sql).unwrap(), 3)
    }

    #[test]
    fn names_are_dns_labels_and_unique_per_job() {
        let a = resource_name(&JobId::new("Orders.ETL_v2").unwrap(), 3);
        let b = resource_name(&JobId::new("orders-etl-v2").unwrap(), 3);
        assert_ne!(a, b, "different ids that sanitize alike stay distinct");
        for n in [&a, &b] {
            assert!(n.len() <= 45, "{n}");
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{n}"
            );
            assert!(n.ends_with("-a3"));
        }
        let long = JobId::new("x".repeat(64)).unwrap();
        assert!(resource_name(&long, 123_456).len() <= 45);
    }

    #[test]
    fn sql_job_mounts_runner_and_script() {
        let r = render(&req("INSERT INTO k SELECT 1"), &Settings::default()).unwrap();
        let cm = r.config_map.clone().unwrap();
        assert_eq!(cm.data.unwrap()["script.sql"], "INSERT INTO k SELECT 1");
        assert!(
            cm.binary_data.unwrap()[runner::SQL_RUNNER_JAR_NAME]
                .0
                .starts_with(b"PK")
        );
        let JobResource::Deployment(fd) = &r.job else {
            panic!()
        };
        let job = fd.spec.job.clone().unwrap();
        assert_eq!(
            job.jar_uri.unwrap(),
            format!("local://{PROGRAM_DIR}/streampark-sql-runner.jar")
        );
        assert_eq!(
            job.args.unwrap()[..2],
            ["--file".to_string(), format!("{PROGRAM_DIR}/script.sql")]
        );
        let l = fd.metadata.labels.clone().unwrap();
        assert_eq!(l["streampark.job"], "Orders.ETL_v2");
        assert_eq!(l["streampark.attempt"], "3");
        let tpl = fd.spec.pod_template.clone().unwrap();
        assert_eq!(
            tpl["spec"]["volumes"][0]["configMap"]["name"],
            format!("{}-program", r.name)
        );
    }

    #[test]
    fn jars_split_into_shipped_classpath_and_artifacts() {
        let dir = std::env::temp_dir().join(format!("sp-k8s-res-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let udf = dir.join("udf.jar");
        std::fs::write(&udf, b"PK\x03\x04udf").unwrap();
        let spec = JobSpec::sql("j", "INSERT INTO k SELECT 1")
            .unwrap()
            .with_jar(udf.to_string_lossy())
            .with_jar("s3://bucket/kafka.jar")
            .with_jar("local:///opt/flink/opt/x.jar");
        let r = render(&DeployRequest::new(spec, 1), &Settings::default()).unwrap();
        let JobResource::Deployment(fd) = &r.job else {
            panic!()
        };
        let conf = fd.spec.flink_configuration.clone().unwrap();
        assert_eq!(
            conf["user.artifacts.artifact-list"],
            "s3://bucket/kafka.jar"
        );
        assert_eq!(
            conf["pipeline.classpaths"],
            format!("file://{PROGRAM_DIR}/udf.jar;file:///opt/flink/opt/x.jar"),
            "classpath keeps the order of JobSpec::jars"
        );
        assert!(
            r.config_map
                .unwrap()
                .binary_data
                .unwrap()
                .contains_key("udf.jar")
        );
    }

    #[test]
    fn missing_local_jar_is_named() {
        let spec = JobSpec::sql("j", "x")
            .unwrap()
            .with_jar("/nope/missing.jar");
        let e = render(&DeployRequest::new(spec, 1), &Settings::default()).unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }));
        assert!(e.to_string().contains("/nope/missing.jar"), "{e}");
    }

    #[test]
    fn session_mode_needs_runner_uri_and_passes_script_inline() {
        let mut s = Settings {
            mode: Mode::Session {
                deployment: "sess".into(),
                runner_jar_uri: None,
            },
            ..Default::default()
        };
        assert!(matches!(
            render(&req("x"), &s),
            Err(Error::InvalidConfig { .. })
        ));
        s.mode = Mode::Session {
            deployment: "sess".into(),
            runner_jar_uri: Some("https://repo/r.jar".into()),
        };
        let r = render(&req("SELECT 1"), &s).unwrap();
        assert!(r.config_map.is_none());
        let JobResource::SessionJob(sj) = &r.job else {
            panic!()
        };
        assert_eq!(sj.spec.deployment_name, "sess");
        let args = sj.spec.job.clone().unwrap().args.unwrap();
        assert_eq!(decode_script_arg(&args[1]).as_deref(), Some("SELECT 1"));
    }

    #[test]
    fn restore_path_becomes_initial_savepoint_path() {
        let r = render(
            &req("x").with_restore_path("s3://sp/savepoint-1"),
            &Settings::default(),
        )
        .unwrap();
        let JobResource::Deployment(fd) = &r.job else {
            panic!()
        };
        assert_eq!(
            fd.spec
                .job
                .clone()
                .unwrap()
                .initial_savepoint_path
                .as_deref(),
            Some("s3://sp/savepoint-1")
        );
    }
}
