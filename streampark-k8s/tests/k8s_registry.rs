//! `streampark_k8s::register`: `k8s://` URLs build an `OperatorDeployer` from a kubeconfig
//! file (server, credentials, context, namespace), checked by running a job on the simulated
//! API server; `k8s+native://` option errors.
#![cfg(feature = "testkit")]

use std::time::Duration;

use streampark_core::{
    DeployRequest, Deployer, DeployerExt, DeployerOptions, Error, JobSpec, JobState, Registry,
};
use streampark_k8s::testkit::SimApiServer;

const SQL: &str = "CREATE TABLE s (v INT) WITH ('connector' = 'datagen');\nCREATE TABLE k (v INT) WITH ('connector' = 'blackhole');\nINSERT INTO k SELECT v FROM s;\n";
const TOKEN: &str = "s3cr3t-bearer-token";

fn registry() -> Registry {
    let mut r = Registry::new();
    streampark_k8s::register(&mut r);
    r
}

fn kubeconfig(dir: &std::path::Path, server: &str) -> String {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: {server}\n\
             contexts:\n- name: sim\n  context:\n    cluster: sim\n    namespace: jobs\n    user: sim\n\
             - name: other\n  context:\n    cluster: sim\n    namespace: other-team\n    user: sim\n\
             current-context: sim\nusers:\n- name: sim\n  user:\n    token: {TOKEN}\n"
        ),
    )
    .unwrap();
    path.display().to_string()
}

async fn run_job(d: &dyn Deployer, job: &str) {
    let dep = d
        .deploy(DeployRequest::new(JobSpec::sql(job, SQL).unwrap(), 1))
        .await
        .unwrap();
    d.wait_for(&dep.id, &[JobState::Running], Duration::from_secs(20))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_k8s_url_runs_jobs_in_the_kubeconfig_namespace_or_the_urls() {
    let sim = SimApiServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(dir.path(), sim.url());
    let opts = DeployerOptions::new()
        .with("kubeconfig", &kc)
        .with("request-timeout", "10s")
        .with("submit-timeout", "10s");

    // No namespace in the URL: the current context's (`jobs`).
    let d = registry().deployer_from_url("k8s://", &opts).await.unwrap();
    assert_eq!(d.backend(), "k8s-operator");
    assert!(!format!("{d:?}").contains(TOKEN));
    run_job(&*d, "from-context").await;
    assert_eq!(sim.objects("flinkdeployments", "jobs").len(), 1);

    // The URL's namespace wins.
    let d = registry()
        .deployer_from_url("k8s://analytics", &opts)
        .await
        .unwrap();
    run_job(&*d, "from-url").await;
    assert_eq!(sim.objects("flinkdeployments", "analytics").len(), 1);

    // Another context of the same file.
    let d = registry()
        .deployer_from_url("k8s://", &opts.clone().with("context", "other"))
        .await
        .unwrap();
    run_job(&*d, "from-other-context").await;
    assert_eq!(sim.objects("flinkdeployments", "other-team").len(), 1);
    assert_eq!(sim.objects("flinkdeployments", "jobs").len(), 1);
}

#[tokio::test]
async fn bad_k8s_options_name_their_key_and_never_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(dir.path(), "http://127.0.0.1:9");
    let base = DeployerOptions::new().with("kubeconfig", &kc);
    let cases = [
        (
            "k8s://jobs",
            base.clone().with("state-snapshots", "yes"),
            "state-snapshots",
        ),
        (
            "k8s://jobs",
            base.clone().with("context", "nope"),
            "kubeconfig",
        ),
        ("k8s://Not_A_Label", base.clone(), "namespace"),
        (
            "k8s://jobs",
            base.clone().with("flink-version", "banana"),
            "flink_version",
        ),
        (
            "k8s://jobs",
            DeployerOptions::new().with(
                "kubeconfig",
                dir.path().join("missing").display().to_string(),
            ),
            "kubeconfig",
        ),
        (
            "k8s+native://jobs",
            base.clone().with("image", "flink:2.0"),
            "flink-home",
        ),
        (
            "k8s+native://jobs",
            base.clone().with("flink-home", "/opt/flink"),
            "image",
        ),
    ];
    for (url, opts, key) in cases {
        let e = registry().deployer_from_url(url, &opts).await.unwrap_err();
        assert!(
            matches!(&e, Error::InvalidConfig { key: k, .. } if k == key),
            "{url} {opts:?}: expected key {key}, got {e:?}"
        );
        assert!(!format!("{e} {e:?}").contains(TOKEN), "{e:?}");
    }
    // Options of the operator are not options of native mode (and the reverse).
    let e = registry()
        .deployer_from_url("k8s://jobs", &base.clone().with("flink-home", "/opt/flink"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UnknownConfigKey { .. }), "{e:?}");
}
