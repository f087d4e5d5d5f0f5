//! `CliSubmitter` and the `submit::cli_args` argument builder against the REAL Flink CLI.
//!
//! Runs when `STREAMPARK_IT_FLINK_HOME` names a Flink distribution (scripts/ci-yarn-env.sh
//! sets it, with `STREAMPARK_IT_FLINK_URL` of a running local cluster and
//! `STREAMPARK_IT_TEST_JAR`); otherwise prints "skipped" and passes. There is no Hadoop on the
//! machine, so every YARN submission must fail with the CLI's own error, typed and without a
//! process left behind; the argument builder's output is also run for real with `-t remote`
//! against the local cluster.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::time::Duration;

use streampark_core::deploy::tag;
use streampark_core::flink::FlinkClient;
use streampark_core::flink_cli::parse;
use streampark_core::{Error, FlinkCli, FlinkHome, JobId};
use streampark_yarn::session::YarnSessionSpec;
use streampark_yarn::submit::{YarnSubmission, YarnTarget, cli_args};
use streampark_yarn::{CliSubmitter, Submitter};

fn home() -> Option<FlinkHome> {
    let Ok(dir) = std::env::var("STREAMPARK_IT_FLINK_HOME") else {
        eprintln!("skipped: STREAMPARK_IT_FLINK_HOME not set (scripts/ci-yarn-env.sh sets it)");
        return None;
    };
    Some(FlinkHome::detect(&dir).expect("detects the real Flink home"))
}

fn var(name: &str) -> Option<String> {
    let v = std::env::var(name).ok();
    if v.is_none() {
        eprintln!("skipped: {name} not set");
    }
    v
}

/// A marker only this test's processes carry on their command line.
fn marker(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("sp-it-{what}-{}-{nanos}", std::process::id())
}

/// Processes (pid, command line) whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.chars().all(|c| c.is_ascii_digit()) || name == std::process::id().to_string() {
            continue;
        }
        if let Ok(raw) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&raw).replace('\0', " ");
            if cmd.contains(needle) {
                found.push((name, cmd));
            }
        }
    }
    found
}

fn submission(target: YarnTarget, name: &str, jar: &str) -> YarnSubmission {
    // A job id of its own per run: the real cluster remembers ended jobs' ids.
    let job = JobId::new(format!(
        "orders-{}",
        marker("job").replace("sp-it-job-", "")
    ))
    .expect("id");
    let mut s = YarnSubmission::new(job.clone(), 1, target, name, jar);
    s.config = BTreeMap::from([
        ("yarn.application.name".to_string(), name.to_string()),
        (
            "yarn.application.queue".to_string(),
            "streaming".to_string(),
        ),
        (
            "yarn.tags".to_string(),
            format!("streampark,streampark.job={job},streampark.attempt=1"),
        ),
        (
            "yarn.provided.lib.dirs".to_string(),
            "hdfs://nn:8020/streampark/flink/2.3.0/lib".to_string(),
        ),
        (
            "$internal.pipeline.job-id".to_string(),
            tag::flink_job_id(&job, 1),
        ),
    ]);
    s
}

fn cli(home: FlinkHome) -> FlinkCli {
    // No Hadoop here; make sure a stray environment does not point the client at one.
    FlinkCli::new(home)
        .with_timeout(Duration::from_secs(180))
        .with_env("HADOOP_CONF_DIR", "/nonexistent/streampark-it")
}

#[tokio::test]
async fn yarn_application_without_hadoop_is_rejected_with_the_cli_stderr() {
    let Some(home) = home() else { return };
    let mark = marker("yarn-app");
    // yarn-application does not open the jar before looking for a YARN client: any path does.
    let s = submission(
        YarnTarget::Application,
        &mark,
        "/nonexistent/streampark-it/app.jar",
    );
    let err = CliSubmitter::new(cli(home))
        .submit(&s)
        .await
        .expect_err("no Hadoop on this machine");
    let Error::Rejected {
        operation, message, ..
    } = &err
    else {
        panic!("expected Rejected, got {err:?}");
    };
    assert_eq!(operation, "flink run");
    // What Flink 2.3 prints when no YARN cluster client is on the class path.
    assert!(
        message.contains("No ClusterClientFactory found") && message.contains("HADOOP_CLASSPATH"),
        "{message}"
    );
    assert!(
        message.contains("IllegalStateException"),
        "the exception line is kept: {message}"
    );
    let left = processes_with(&mark);
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

#[tokio::test]
async fn yarn_session_start_without_hadoop_is_rejected_with_the_cli_stderr() {
    let Some(home) = home() else { return };
    let mark = marker("yarn-session");
    let spec = YarnSessionSpec::new(&mark)
        .with_queue("streaming")
        .with_tag("streampark.session=it")
        .with_provided_lib_dir("hdfs://nn:8020/streampark/flink/2.3.0/lib");
    let err = CliSubmitter::new(cli(home))
        .start_session(&spec)
        .await
        .expect_err("no Hadoop on this machine");
    let Error::Rejected { message, .. } = &err else {
        panic!("expected Rejected, got {err:?}");
    };
    // yarn-session.sh's main class needs Hadoop's YARN classes to load at all.
    assert!(
        message.contains("FlinkYarnSessionCli") && message.contains("org/apache/hadoop/yarn"),
        "{message}"
    );
    let left = processes_with(&mark);
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

#[tokio::test]
async fn submit_to_a_yarn_session_without_hadoop_is_rejected() {
    let Some(home) = home() else { return };
    let Some(jar) = var("STREAMPARK_IT_TEST_JAR") else {
        return;
    };
    let mark = marker("yarn-session-run");
    let s = submission(
        YarnTarget::Session {
            application_id: "application_1700000000000_0001".into(),
        },
        &mark,
        &jar,
    );
    let err = CliSubmitter::new(cli(home))
        .submit(&s)
        .await
        .expect_err("no Hadoop on this machine");
    let Error::Rejected { message, .. } = &err else {
        panic!("expected Rejected, got {err:?}");
    };
    assert!(
        message.contains("No Executor found") && message.contains("HADOOP_CLASSPATH"),
        "{message}"
    );
    let left = processes_with(&mark);
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

/// The argument builder's output for a session submission, with the target switched to
/// `remote` (`-Dyarn.application.id` replaced by the local cluster's REST address), run by the
/// real CLI: the options (name with spaces and brackets, the fixed job id), `--detached`, the jar
/// and its place in the argument list are accepted, and the job id is parsed from real output.
#[tokio::test]
async fn the_argument_builder_output_runs_on_a_real_cluster_with_target_remote() {
    let Some(home) = home() else { return };
    let (Some(url), Some(jar)) = (
        var("STREAMPARK_IT_FLINK_URL"),
        var("STREAMPARK_IT_TEST_JAR"),
    ) else {
        return;
    };
    let parsed = url::Url::parse(&url).expect("STREAMPARK_IT_FLINK_URL is a URL");
    let host = parsed.host_str().expect("host").to_string();
    let port = parsed.port_or_known_default().expect("port");
    let name = format!("Orders [streampark:orders:1] {}", marker("remote"));
    let mut s = submission(
        YarnTarget::Session {
            application_id: "application_1700000000000_0001".into(),
        },
        &name,
        &jar,
    );
    s.config.insert("pipeline.name".into(), name.clone());
    let major = home.version().major();
    let mut args = cli_args(&s, major).expect("arguments");
    assert_eq!(&args[..3], ["run", "-t", "yarn-session"]);
    args[2] = "remote".into();
    let at = args
        .iter()
        .position(|a| a.starts_with("-Dyarn.application.id="))
        .expect("session id option");
    args[at] = format!("-Drest.address={host}");
    args.insert(at + 1, format!("-Drest.port={port}"));

    let out = cli(home).run(&args).await.expect("flink run -t remote");
    let jid = parse::job_id(&out.combined())
        .unwrap_or_else(|| panic!("no job id in: {}", out.combined()));
    // The fixed job id the YARN deployer passes (`$internal.pipeline.job-id`) is honoured.
    assert_eq!(jid, tag::flink_job_id(&s.job, 1));
    let client = FlinkClient::builder()
        .with_url(&url)
        .with_timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let info = client
        .job(&jid)
        .await
        .expect("the job exists on the cluster");
    assert_eq!(info.name, name);
    client.cancel(&jid).await.expect("cancel");
    let mut state = String::new();
    for _ in 0..100 {
        state = client.job(&jid).await.expect("job").state;
        if state == "CANCELED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(state, "CANCELED");
}

/// The deployment targets `flink-dist`'s `YarnDeploymentTarget` enum knows, read from the
/// class's constant pool (Flink 2.3: `yarn-session`, `yarn-application`; `yarn-per-job` is gone).
fn yarn_targets_in_dist(home: &FlinkHome) -> Vec<String> {
    let file = std::fs::File::open(&home.dist_jar().path).expect("flink-dist jar");
    let mut zip = zip::ZipArchive::new(file).expect("flink-dist is a jar");
    let mut class = Vec::new();
    std::io::Read::read_to_end(
        &mut zip
            .by_name("org/apache/flink/yarn/configuration/YarnDeploymentTarget.class")
            .expect("flink-dist carries the YARN deployment targets"),
        &mut class,
    )
    .expect("read class");
    let text = String::from_utf8_lossy(&class);
    ["yarn-session", "yarn-application", "yarn-per-job"]
        .into_iter()
        .filter(|t| text.contains(t))
        .map(str::to_string)
        .collect()
}

/// Our 2.x action and targets against what the real CLI accepts: the action is one the CLI
/// lists as valid (Flink 2 has no `run-application`), the targets are ones flink-dist defines,
/// and each run of our arguments fails on the missing Hadoop client, not on an unknown action
/// or target (an unknown target fails differently, shown with per-job mode which 2.x dropped).
#[tokio::test]
async fn our_action_and_targets_are_the_ones_the_real_cli_accepts() {
    let Some(home) = home() else { return };
    let Some(jar) = var("STREAMPARK_IT_TEST_JAR") else {
        return;
    };
    let major = home.version().major();
    if major < 2 {
        eprintln!("skipped: Flink {major}.x here; this test checks the 2.x command lines");
        return;
    }
    // The valid actions, as the real CLI lists them for an unknown one.
    let err = cli(home.clone())
        .run(&["no-such-action".to_string()])
        .await
        .expect_err("unknown action");
    let Error::Rejected { message, .. } = &err else {
        panic!("expected Rejected, got {err:?}");
    };
    assert!(message.contains("is not a valid action"), "{message}");
    let valid: Vec<&str> = message
        .split("Valid actions are")
        .nth(1)
        .unwrap_or_else(|| panic!("no action list in: {message}"))
        .split('"')
        .skip(1)
        .step_by(2)
        .collect();
    assert!(valid.contains(&"run"), "{valid:?}");
    assert!(
        !valid.contains(&"run-application"),
        "Flink 2 lists run-application again: {valid:?}"
    );

    let dist_targets = yarn_targets_in_dist(&home);
    assert_eq!(dist_targets, ["yarn-session", "yarn-application"]);

    let app = submission(YarnTarget::Application, &marker("app"), &jar);
    let args = cli_args(&app, major).expect("application arguments");
    assert!(valid.contains(&args[0].as_str()), "{args:?} vs {valid:?}");
    assert_eq!(args[1], "-t");
    assert!(dist_targets.contains(&args[2]), "{args:?}");
    let err = cli(home.clone()).run(&args).await.expect_err("no Hadoop");
    let Error::Rejected { message, .. } = &err else {
        panic!("expected Rejected, got {err:?}");
    };
    // Application mode: the CLI went looking for the YARN cluster client.
    assert!(
        message.contains("No ClusterClientFactory found") && message.contains("HADOOP_CLASSPATH"),
        "{message}"
    );

    let session = submission(
        YarnTarget::Session {
            application_id: "application_1700000000000_0001".into(),
        },
        &marker("session"),
        &jar,
    );
    let args = cli_args(&session, major).expect("session arguments");
    assert!(valid.contains(&args[0].as_str()), "{args:?}");
    assert!(dist_targets.contains(&args[2]), "{args:?}");
    let err = cli(home.clone()).run(&args).await.expect_err("no Hadoop");
    let Error::Rejected { message, .. } = &err else {
        panic!("expected Rejected, got {err:?}");
    };
    // The YARN session executor is known, only its Hadoop classes are missing.
    assert!(
        message.contains("No Executor found") && message.contains("HADOOP_CLASSPATH"),
        "{message}"
    );

    // Per-job: our builder refuses it on 2.x, and the real CLI treats the target as unknown
    // (no executor at all, no Hadoop hint) — the failure an unknown target gets.
    assert!(matches!(
        cli_args(&submission(YarnTarget::PerJob, "x", &jar), major),
        Err(Error::Unsupported { .. })
    ));
    let per_job = [
        "run".to_string(),
        "-t".into(),
        "yarn-per-job".into(),
        "--detached".into(),
        jar.clone(),
    ];
    let err = cli(home).run(&per_job).await.expect_err("unknown target");
    let Error::Rejected { message, .. } = &err else {
        panic!("expected Rejected, got {err:?}");
    };
    assert!(
        message.contains("No ExecutorFactory found") && !message.contains("HADOOP_CLASSPATH"),
        "{message}"
    );
}
