//! Extra jars on a real Flink session cluster: a SQL job calls a scalar UDF whose class exists
//! only in an extra jar (resolved by the `ArtifactStore`, shipped by `RemoteDeployer`).
//!
//! Runs when `STREAMPARK_IT_FLINK_URL` points at a cluster and `STREAMPARK_IT_UDF_JAR` at the
//! jar `scripts/build-udf-jar` builds (`scripts/ci-artifacts.sh` sets both); otherwise every
//! test prints "skipped" and passes.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use streampark_core::artifact::{ArtifactRef, ArtifactStore};
use streampark_core::{
    DeployRequest, Deployer, DeployerExt, Error, JobSpec, JobState, RemoteDeployer, Selector,
    StopOptions,
};

struct Env {
    flink: RemoteDeployer,
    udf_jar: String,
}

fn env(test: &str) -> Option<Env> {
    let (Ok(url), Ok(udf_jar)) = (
        std::env::var("STREAMPARK_IT_FLINK_URL"),
        std::env::var("STREAMPARK_IT_UDF_JAR"),
    ) else {
        eprintln!(
            "{test}: skipped (set STREAMPARK_IT_FLINK_URL and STREAMPARK_IT_UDF_JAR, see scripts/ci-artifacts.sh)"
        );
        return None;
    };
    let flink = RemoteDeployer::builder()
        .with_url(url)
        .with_request_timeout(Duration::from_secs(60))
        .build()
        .expect("valid URL");
    Some(Env { flink, udf_jar })
}

/// A job id no earlier run used (Flink refuses a job id it has seen).
fn unique(prefix: &str) -> String {
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{:x}", n % (1 << 48))
}

fn script(out_dir: &Path) -> String {
    format!(
        "CREATE TEMPORARY FUNCTION shout AS 'io.streampark.it.udf.Shout';\n\
         CREATE TABLE src (s STRING) WITH ('connector'='datagen', 'rows-per-second'='5', 'fields.s.length'='4');\n\
         CREATE TABLE snk (s STRING) WITH ('connector'='filesystem', 'path'='file://{}', 'format'='csv');\n\
         INSERT INTO snk SELECT shout(s) FROM src;",
        out_dir.display()
    )
}

/// Committed rows of the filesystem sink (files whose name does not start with a dot).
fn committed_rows(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(e.path()) {
            rows.extend(text.lines().map(str::to_string));
        }
    }
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn a_udf_from_an_extra_jar_runs_on_the_cluster() {
    let Some(env) = env("a_udf_from_an_extra_jar_runs_on_the_cluster") else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let store = ArtifactStore::builder()
        .with_cache_dir(cache.path())
        .build()
        .unwrap();
    let udf = store
        .resolve(&ArtifactRef::local(&env.udf_jar))
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let spec = JobSpec::sql(&unique("udf"), script(out.path()))
        .unwrap()
        .with_jar(udf.path.display().to_string());
    let dep = env.flink.deploy(DeployRequest::new(spec, 1)).await.unwrap();

    let mut state = JobState::Unknown;
    let mut rows = Vec::new();
    for _ in 0..180 {
        if let Some(s) = env.flink.status(&dep.id).await.unwrap() {
            state = s.state;
        }
        rows = committed_rows(out.path());
        if state == JobState::Running && !rows.is_empty() || state.is_terminal() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = env
        .flink
        .stop(
            &dep.id,
            StopOptions::cancel().with_timeout(Duration::from_secs(60)),
        )
        .await;
    assert_eq!(state, JobState::Running, "job did not run");
    assert!(
        !rows.is_empty(),
        "no committed output in {}",
        out.path().display()
    );
    // The UDF's own output: "shout:" + the upper-cased random string.
    for r in &rows {
        let v = r
            .strip_prefix("shout:")
            .unwrap_or_else(|| panic!("row {r:?}"));
        assert_eq!(v, v.to_uppercase(), "row {r:?}");
    }
    eprintln!(
        "udf job {} ran: {} rows, e.g. {:?}",
        dep.id,
        rows.len(),
        rows[0]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_extra_jar_the_job_is_rejected_naming_the_class() {
    let Some(env) = env("without_the_extra_jar_the_job_is_rejected_naming_the_class") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let job = unique("noudf");
    let spec = JobSpec::sql(&job, script(out.path())).unwrap();
    let e = env
        .flink
        .deploy(DeployRequest::new(spec, 1))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Rejected { .. }), "{e}");
    let shown = e.to_string();
    assert!(shown.contains("io.streampark.it.udf.Shout"), "{shown}");
    let jobs = env
        .flink
        .list(&Selector::Job(job.parse().unwrap()))
        .await
        .unwrap();
    assert!(jobs.iter().all(|j| !j.state.is_live()), "{jobs:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_extra_jar_fails_before_anything_starts() {
    let Some(env) = env("a_missing_extra_jar_fails_before_anything_starts") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let job = unique("missing");
    let spec = JobSpec::sql(&job, script(out.path()))
        .unwrap()
        .with_jar("/nowhere/shout-udf.jar");
    let e = env
        .flink
        .deploy(DeployRequest::new(spec, 1))
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert!(e.to_string().contains("/nowhere/shout-udf.jar"), "{e}");
    let jobs = env
        .flink
        .list(&Selector::Job(job.parse().unwrap()))
        .await
        .unwrap();
    assert!(jobs.is_empty(), "{jobs:?}");
}

/// A jar program (here the SQL runner itself, run as a plain jar, so nothing calls ADD JAR)
/// gets the extra jar through the program jar's `lib/` folder.
#[tokio::test(flavor = "multi_thread")]
async fn a_jar_program_gets_the_extra_jar_on_its_class_path() {
    let Some(env) = env("a_jar_program_gets_the_extra_jar_on_its_class_path") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("runner-as-program.jar");
    std::fs::write(&program, streampark_core::runner::SQL_RUNNER_JAR).unwrap();
    let out = tempfile::tempdir().unwrap();
    let job = unique("jarudf");
    let name = streampark_core::deploy::tag::job_name(&job.parse().unwrap(), 1, &job);
    let spec = JobSpec::jar(
        &job,
        program.display().to_string(),
        Some(streampark_core::runner::SQL_RUNNER_MAIN_CLASS),
        streampark_core::runner::program_args(&script(out.path()), Some(&name)),
    )
    .unwrap()
    .with_jar(&env.udf_jar);
    let dep = env.flink.deploy(DeployRequest::new(spec, 1)).await.unwrap();
    let mut state = JobState::Unknown;
    let mut rows = Vec::new();
    for _ in 0..180 {
        if let Some(s) = env.flink.status(&dep.id).await.unwrap() {
            state = s.state;
        }
        rows = committed_rows(out.path());
        if state == JobState::Running && !rows.is_empty() || state.is_terminal() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = env
        .flink
        .stop(
            &dep.id,
            StopOptions::cancel().with_timeout(Duration::from_secs(60)),
        )
        .await;
    assert_eq!(state, JobState::Running, "job did not run");
    assert!(
        rows.iter().all(|r| r.starts_with("shout:")) && !rows.is_empty(),
        "{rows:?}"
    );
    eprintln!(
        "jar program {} ran with lib/ udf: {} rows",
        dep.id,
        rows.len()
    );
}
