//! Generated resources validate against the operator's published CRD schemas
//! (`tests/data/crds/`, copied from the operator's Helm chart).

use std::path::PathBuf;

use streampark_core::JobSpec;
use streampark_core::deploy::DeployRequest;
use streampark_k8s::crd::{
    FlinkStateSnapshot, FlinkStateSnapshotSpec, JobReference, SavepointSpec,
};
use streampark_k8s::resources::{Mode, Settings, render};

/// The `openAPIV3Schema` of the CRD for `kind`.
fn schema(kind: &str) -> serde_json::Value {
    let file = match kind {
        "FlinkDeployment" => "flinkdeployments.flink.apache.org-v1.yml",
        "FlinkSessionJob" => "flinksessionjobs.flink.apache.org-v1.yml",
        "FlinkStateSnapshot" => "flinkstatesnapshots.flink.apache.org-v1.yml",
        other => panic!("no CRD for {other}"),
    };
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/crds")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let crd: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
    let v = &crd["spec"]["versions"][0];
    assert_eq!(v["name"], "v1beta1");
    v["schema"]["openAPIV3Schema"].clone()
}

/// Validates one resource against its CRD; panics listing every violation.
pub fn validate(resource: &serde_json::Value) {
    let kind = resource["kind"].as_str().expect("kind");
    if kind == "ConfigMap" {
        return;
    }
    let schema = schema(kind);
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .expect("CRD schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(resource)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{kind} violates its CRD: {errors:#?}\n{resource:#}"
    );
}

#[test]
fn application_mode_resources_validate() {
    let spec = JobSpec::sql("orders", "INSERT INTO k SELECT 1")
        .unwrap()
        .with_jar("s3://b/connector.jar");
    let req = DeployRequest::new(spec, 2).with_restore_path("s3://sp/savepoint-x");
    let r = render(&req, &Settings::default()).unwrap();
    let values = r.to_values().unwrap();
    assert_eq!(values.len(), 2);
    for v in &values {
        validate(v);
    }
}

#[test]
fn session_mode_resources_validate() {
    let mut s = Settings::default();
    s.mode = Mode::Session {
        deployment: "session".into(),
        runner_jar_uri: Some("https://repo.example/runner.jar".into()),
    };
    let r = render(
        &DeployRequest::new(JobSpec::sql("j", "INSERT INTO k SELECT 1").unwrap(), 1),
        &s,
    )
    .unwrap();
    for v in r.to_values().unwrap() {
        validate(&v);
    }
}

#[test]
fn state_snapshot_validates() {
    let snap = FlinkStateSnapshot::new(
        "sp-x-1",
        FlinkStateSnapshotSpec {
            job_reference: Some(JobReference {
                kind: "FlinkDeployment".into(),
                name: "x".into(),
            }),
            savepoint: Some(SavepointSpec {
                path: Some("s3://sp".into()),
                format_type: Some("CANONICAL".into()),
                dispose_on_delete: Some(false),
                already_exists: Some(false),
            }),
            checkpoint: None,
            backoff_limit: Some(1),
        },
    );
    validate(&serde_json::to_value(&snap).unwrap());
}

#[test]
fn the_schema_catches_a_bad_resource() {
    // The check is real: a wrong enum value and a wrong type are reported.
    let mut v = render(
        &DeployRequest::new(JobSpec::sql("j", "x").unwrap(), 1),
        &Settings::default(),
    )
    .unwrap()
    .to_values()
    .unwrap()
    .pop()
    .unwrap();
    v["spec"]["job"]["upgradeMode"] = "sometimes".into();
    v["spec"]["job"]["parallelism"] = "two".into();
    let result = std::panic::catch_unwind(|| validate(&v));
    let msg = *result
        .expect_err("invalid resource must fail")
        .downcast::<String>()
        .unwrap();
    assert!(msg.contains("sometimes") && msg.contains("two"), "{msg}");
}

#[test]
fn dry_run_yaml_stream_parses_and_validates() {
    // What `k8s_deploy --dry-run` prints: `OperatorDeployerBuilder::dry_run(..).to_yaml_stream()`.
    let spec = JobSpec::sql(
        "orders",
        "CREATE TABLE s (v INT) WITH ('connector'='datagen');\nINSERT INTO k SELECT v FROM s;\n",
    )
    .unwrap()
    .with_name("orders");
    let stream = streampark_k8s::OperatorDeployer::builder()
        .with_namespace("flink")
        .with_flink_version("1.19")
        .with_image("registry.example/flink:1.19-sp")
        .dry_run(&DeployRequest::new(spec, 1))
        .unwrap()
        .to_yaml_stream()
        .unwrap();
    assert!(stream.starts_with("---\n"));
    let docs: Vec<serde_json::Value> = serde_yaml_ng::Deserializer::from_str(&stream)
        .map(|d| <serde_json::Value as serde::Deserialize>::deserialize(d).unwrap())
        .collect();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ConfigMap", "FlinkDeployment"]);
    for d in &docs {
        validate(d);
        assert_eq!(d["metadata"]["namespace"], "flink");
        assert_eq!(d["metadata"]["labels"]["streampark.job"], "orders");
    }
    assert_eq!(docs[1]["spec"]["flinkVersion"], "v1_19");
    assert_eq!(docs[1]["spec"]["image"], "registry.example/flink:1.19-sp");
    // The ConfigMap carries the script the job runs.
    assert!(
        docs[0]["data"]["script.sql"]
            .as_str()
            .unwrap()
            .contains("INSERT INTO k")
    );
    // A bad setting is refused before anything is printed.
    let e = streampark_k8s::OperatorDeployer::builder()
        .with_namespace("Bad_NS")
        .dry_run(&DeployRequest::new(JobSpec::sql("j", "x").unwrap(), 1))
        .unwrap_err();
    assert!(e.to_string().contains("namespace"), "{e}");
}
