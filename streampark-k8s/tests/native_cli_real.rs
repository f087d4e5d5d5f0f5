//! The real Flink CLI's `run-application -t kubernetes-application` against an API server that
//! is not there (a kubeconfig pointing at a closed loopback port): `NativeSubmitter::submit`
//! must end with a typed error carrying the CLI's stderr tail and leave no process behind.
//!
//! Runs when `STREAMPARK_IT_FLINK_HOME` names a Flink distribution (as
//! `scripts/ci-k8s-native.sh` sets it); otherwise prints "skipped" and passes.

use std::time::Duration;

use streampark_core::deploy::DeployRequest;
use streampark_core::{Error, FlinkCli, FlinkHome, JobSpec};
use streampark_k8s::native::NativeSubmitter;

fn closed_port() -> u16 {
    // Bind, read the port, drop the listener: nothing listens there afterwards.
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in dir.flatten() {
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(needle) {
                found.push(format!("{}: {cmd}", e.file_name().to_string_lossy()));
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_application_against_an_unreachable_api_server_is_a_typed_error() {
    let Ok(home) = std::env::var("STREAMPARK_IT_FLINK_HOME") else {
        eprintln!("skipped: STREAMPARK_IT_FLINK_HOME not set (scripts/ci-k8s-native.sh sets it)");
        return;
    };
    let home = FlinkHome::detect(&home).expect("detects the real Flink home");
    let dir = std::env::temp_dir().join(format!("sp-k8s-native-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let kubeconfig = dir.join("kubeconfig");
    let port = closed_port();
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: https://127.0.0.1:{port}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: not-a-real-token\ncontexts:\n- name: c\n  context:\n    cluster: gone\n    user: u\ncurrent-context: c\n"
        ),
    )
    .expect("kubeconfig");
    let cli = FlinkCli::new(home)
        .with_timeout(Duration::from_secs(120))
        .with_env("KUBECONFIG", kubeconfig.to_string_lossy().into_owned());
    let job = format!("native-cli-{}", std::process::id());
    let spec = JobSpec::sql(job.as_str(), "INSERT INTO k SELECT 1")
        .expect("spec")
        .with_config("kubernetes.config.file", kubeconfig.to_string_lossy())
        .with_config("kubernetes.transactional-operation.max-retries", "1");
    let req = DeployRequest::new(spec, 1);
    let cluster = NativeSubmitter::cluster_id(&req);
    let submitter = NativeSubmitter::new(cli, "default", "flink:2.1");
    let e = submitter
        .submit(&req)
        .await
        .expect_err("no API server: the CLI must fail");
    match &e {
        Error::Rejected {
            operation, message, ..
        } => {
            assert!(operation.starts_with("flink run"), "{operation}");
            assert!(!message.trim().is_empty(), "stderr tail expected: {e:?}");
            assert!(
                !message.contains("not a valid action"),
                "the CLI did not accept the action: {message}"
            );
            eprintln!("CLI said: {message}");
        }
        Error::Timeout { .. } => eprintln!("CLI timed out (process group killed): {e}"),
        other => panic!("expected Rejected or Timeout, got {other:?}"),
    }
    assert!(
        !e.to_string().contains("not-a-real-token"),
        "the token leaked into the error: {e}"
    );
    let left = processes_mentioning(&cluster);
    assert!(left.is_empty(), "processes left behind: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
