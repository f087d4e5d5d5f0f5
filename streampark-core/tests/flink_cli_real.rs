//! `FlinkHome` + `FlinkCli` against the real Flink CLI (`bin/flink`) and a real cluster.
//!
//! Runs when `STREAMPARK_IT_FLINK_HOME` (a Flink distribution), `STREAMPARK_IT_FLINK_URL` (the
//! REST URL of a running cluster) and `STREAMPARK_IT_TEST_JAR` (scripts/build-test-jar) are set,
//! as `scripts/ci-yarn-env.sh` does; otherwise prints "skipped" and passes.

use std::time::Duration;

use streampark_core::flink::FlinkClient;
use streampark_core::flink_cli::parse;
use streampark_core::{Error, FlinkCli, FlinkHome};

struct Env {
    home: FlinkHome,
    url: String,
    host: String,
    port: u16,
    jar: String,
}

fn env() -> Option<Env> {
    let (Ok(home), Ok(url), Ok(jar)) = (
        std::env::var("STREAMPARK_IT_FLINK_HOME"),
        std::env::var("STREAMPARK_IT_FLINK_URL"),
        std::env::var("STREAMPARK_IT_TEST_JAR"),
    ) else {
        eprintln!(
            "skipped: STREAMPARK_IT_FLINK_HOME, STREAMPARK_IT_FLINK_URL or STREAMPARK_IT_TEST_JAR not set"
        );
        return None;
    };
    let parsed = url::Url::parse(&url).expect("STREAMPARK_IT_FLINK_URL is a URL");
    Some(Env {
        home: FlinkHome::detect(&home).expect("detects the real Flink home"),
        host: parsed.host_str().expect("host").to_string(),
        port: parsed.port_or_known_default().expect("port"),
        url,
        jar,
    })
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[test]
fn detects_the_real_home() {
    let Some(e) = env() else { return };
    let h = &e.home;
    // The PyPI distribution scripts/flink-local installs: Flink 2.x, config.yaml, a dist jar
    // whose name carries the version.
    assert!(h.version().major() >= 2, "{:?}", h.version());
    assert_eq!(
        h.dist_jar().relative,
        format!("flink-dist-{}.jar", h.version())
    );
    assert!(h.dist_jar().size > 10_000_000, "{}", h.dist_jar().size);
    assert_eq!(
        h.config_file()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str()),
        Some("config.yaml")
    );
    assert!(h.flink_bin().is_file());
    assert!(
        h.lib()
            .iter()
            .any(|f| f.relative.starts_with("flink-table-runtime"))
    );
    assert!(
        h.plugins().iter().any(|f| f.relative.contains('/')),
        "plugins are in sub-directories"
    );
}

#[tokio::test]
async fn run_detached_parse_job_id_and_cancel() {
    let Some(e) = env() else { return };
    let cli = FlinkCli::new(e.home.clone()).with_timeout(Duration::from_secs(180));
    let rest_address = format!("-Drest.address={}", e.host);
    let rest_port = format!("-Drest.port={}", e.port);
    let out = cli
        .run(&args(&[
            "run",
            "-t",
            "remote",
            &rest_address,
            &rest_port,
            "-Dpipeline.name=sp-it-flink-cli",
            "-Dsecurity.ssl.rest.keystore-password=not-used-but-secret",
            "--detached",
            &e.jar,
        ]))
        .await
        .expect("flink run succeeds");
    assert_eq!(out.exit_code, 0);
    let job = parse::job_id(&out.combined())
        .unwrap_or_else(|| panic!("no job id in: {}", out.combined()));
    let client = FlinkClient::builder()
        .with_url(&e.url)
        .with_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let info = client
        .job(&job)
        .await
        .expect("the job exists on the cluster");
    assert_eq!(info.jid, job);
    assert_eq!(info.name, "sp-it-flink-cli");

    // Cancel through the CLI too, then confirm on the cluster.
    let cancel = cli
        .run(&args(&[
            "cancel",
            "-t",
            "remote",
            &rest_address,
            &rest_port,
            &job,
        ]))
        .await;
    if let Err(err) = &cancel {
        eprintln!("flink cancel failed ({err}); cancelling over REST");
        client.cancel(&job).await.unwrap();
    }
    let mut state = String::new();
    for _ in 0..100 {
        state = client.job(&job).await.unwrap().state;
        if state == "CANCELED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(state, "CANCELED");
    assert!(cancel.is_ok(), "flink cancel: {cancel:?}");
}

#[tokio::test]
async fn missing_main_class_is_rejected_with_the_cli_stderr() {
    let Some(e) = env() else { return };
    let cli = FlinkCli::new(e.home.clone()).with_timeout(Duration::from_secs(180));
    let err = cli
        .run(&args(&[
            "run",
            "-t",
            "remote",
            &format!("-Drest.address={}", e.host),
            &format!("-Drest.port={}", e.port),
            "-Dfs.s3a.secret.key=AKIASECRET42",
            "--detached",
            "-c",
            "com.example.DoesNotExist",
            &e.jar,
        ]))
        .await
        .unwrap_err();
    let Error::Rejected {
        operation, message, ..
    } = &err
    else {
        panic!("expected Rejected, got {err:?}");
    };
    assert_eq!(operation, "flink run");
    assert!(message.contains("com.example.DoesNotExist"), "{message}");
    assert!(!format!("{err} {err:?}").contains("AKIASECRET42"));
}

#[tokio::test]
async fn unknown_option_is_rejected() {
    let Some(e) = env() else { return };
    let cli = FlinkCli::new(e.home.clone()).with_timeout(Duration::from_secs(180));
    let err = cli
        .run(&args(&["run", "--no-such-option", &e.jar]))
        .await
        .unwrap_err();
    let Error::Rejected { message, .. } = &err else {
        panic!("expected Rejected, got {err:?}");
    };
    assert!(message.contains("no-such-option"), "{message}");
}

#[tokio::test]
async fn timeout_kills_the_cli_jvm() {
    let Some(e) = env() else { return };
    let marker = format!("sp-it-marker-{}", std::process::id());
    let cli = FlinkCli::new(e.home.clone()).with_timeout(Duration::from_secs(3));
    let err = cli
        .run(&args(&[
            "run",
            "-t",
            "remote",
            // Unroutable (TEST-NET-style blackhole): the client hangs connecting.
            "-Drest.address=10.255.255.1",
            "-Drest.port=8081",
            &format!("-Dpipeline.name={marker}"),
            "--detached",
            &e.jar,
        ]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // No process with our marker on its command line survives (the JVM included).
    let mut survivors = Vec::new();
    for _ in 0..30 {
        survivors = processes_with(&marker);
        if survivors.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(survivors.is_empty(), "still running: {survivors:?}");
}

/// Live (non-zombie) processes whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    let me = std::process::id().to_string();
    for entry in dir.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) || pid == me {
            continue;
        }
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        if !String::from_utf8_lossy(&cmd).contains(needle) {
            continue;
        }
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .map(|(_, r)| r.trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        if !zombie {
            out.push(pid);
        }
    }
    out
}
