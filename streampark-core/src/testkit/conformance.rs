//! The [`Deployer`] conformance suite: one function per behaviour of the trait's contract.
//!
//! Every implementation runs it: `SimDeployer` in `cargo test`, `RemoteDeployer` against a real
//! Flink from `.ci/run`. [`crate::conformance_tests!`] expands to one `#[tokio::test]` per
//! behaviour, so a failure names its behaviour. Behaviours a backend does not declare in its
//! [`Capabilities`] are skipped. Each run uses a random job-id prefix and cancels what it
//! started. **Not semver-stable.**
//!
//! ```ignore
//! // tests/conformance.rs of a backend crate (needs tokio's `test-util` for `paused`):
//! use streampark_core::testkit::{SimDeployer, conformance::TestEnv};
//! async fn env() -> Option<TestEnv> {
//!     let sim = SimDeployer::new();
//!     Some(TestEnv::new(sim.clone(), sim.new_handle()))
//! }
//! streampark_core::conformance_tests!(paused, env());
//! ```

use std::sync::Arc;
use std::time::Duration;

use crate::deploy::*;
use crate::{Error, JobId, JobSpec, JobState};

/// A jar program the suite may deploy.
#[derive(Clone, Debug)]
pub struct JarFixture {
    /// Local path of a jar with an endless streaming job.
    pub artifact: String,
    /// Its main class.
    pub entry_class: String,
    /// Its arguments.
    pub args: Vec<String>,
}

/// What a conformance run needs: the deployer under test, a second handle on the same backend,
/// and fixtures.
#[derive(Clone, Debug)]
pub struct TestEnv {
    /// The deployer under test.
    pub deployer: Arc<dyn Deployer>,
    /// An independent handle on the same backend (another process, for `list`).
    pub other_handle: Arc<dyn Deployer>,
    /// Random job-id prefix of this run.
    pub prefix: String,
    /// How long to wait for a state.
    pub wait: Duration,
    /// Savepoint directory, when the backend needs one.
    pub savepoint_dir: Option<String>,
    /// A jar program, when the backend can run local jars.
    pub jar: Option<JarFixture>,
}

impl TestEnv {
    /// An environment with a random prefix, a 120 s wait and no jar fixture.
    pub fn new(deployer: impl Deployer, other_handle: impl Deployer) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mix = nanos ^ (u128::from(std::process::id()) << 64) ^ u128::from(seq) << 32;
        let digest = <sha2::Sha256 as sha2::Digest>::digest(mix.to_le_bytes());
        TestEnv {
            deployer: Arc::new(deployer),
            other_handle: Arc::new(other_handle),
            prefix: format!("ct{}", hex::encode(&digest[..4])),
            wait: Duration::from_secs(120),
            savepoint_dir: None,
            jar: None,
        }
    }

    /// Adds a jar fixture.
    #[must_use]
    pub fn with_jar(mut self, jar: JarFixture) -> Self {
        self.jar = Some(jar);
        self
    }

    /// Sets the savepoint directory.
    #[must_use]
    pub fn with_savepoint_dir(mut self, dir: impl Into<String>) -> Self {
        self.savepoint_dir = Some(dir.into());
        self
    }

    /// Sets the wait limit.
    #[must_use]
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// A job id under this run's prefix.
    pub fn job_id(&self, name: &str) -> JobId {
        JobId::new(format!("{}-{name}", self.prefix)).expect("prefix and names are valid ids")
    }

    /// An endless SQL job: datagen into blackhole.
    pub fn sql_spec(&self, name: &str) -> JobSpec {
        JobSpec::sql(self.job_id(name).as_str(), RUNNING_SQL)
            .expect("valid spec")
            .with_name(format!("conformance {name}"))
    }

    /// Cancels every live deployment of this run.
    pub async fn cleanup(&self) {
        let Ok(list) = self
            .deployer
            .list(&Selector::Prefix(self.prefix.clone()))
            .await
        else {
            return;
        };
        for s in list.into_iter().filter(|s| s.state.is_live()) {
            let _ = self
                .deployer
                .stop(&s.deployment, StopOptions::cancel())
                .await;
        }
    }
}

/// The endless SQL program the suite deploys.
pub const RUNNING_SQL: &str = "CREATE TABLE src (id BIGINT, v INT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');\n\
CREATE TABLE snk (id BIGINT, v INT) WITH ('connector' = 'blackhole');\n\
INSERT INTO snk SELECT id, v FROM src;\n";

/// A SQL program that fails at run time (division by zero); the sim honours its directive.
pub const FAILING_SQL: &str = "-- sim: fail-after 3s\n\
SET 'restart-strategy.type' = 'none';\n\
CREATE TABLE src (v INT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');\n\
CREATE TABLE snk (v INT) WITH ('connector' = 'blackhole');\n\
INSERT INTO snk SELECT 10 / (v - v) FROM src;\n";

/// A SQL program the runner rejects (a misspelled keyword on line 2).
pub const REJECTED_SQL: &str = "CREATE TABLE src (v INT) WITH ('connector' = 'datagen');\n\
SELEC v FROM src;\n";

async fn deploy(env: &TestEnv, spec: JobSpec, attempt: u64) -> Deployment {
    let job = spec.id.clone();
    match env.deployer.deploy(DeployRequest::new(spec, attempt)).await {
        Ok(d) => d,
        Err(e) => panic!("deploy of {job} attempt {attempt} failed: {e} ({e:?})"),
    }
}

async fn wait_state(env: &TestEnv, id: &DeploymentId, states: &[JobState]) -> JobSnapshot {
    match env.deployer.wait_for(id, states, env.wait).await {
        Ok(s) => s,
        Err(e) => panic!("{id} did not reach {states:?}: {e}"),
    }
}

/// Waits until the deployment runs and, where checkpoints are reported, completed one, so that
/// every task is up (stop-with-savepoint needs running tasks).
async fn wait_ready(env: &TestEnv, id: &DeploymentId) {
    wait_state(env, id, &[JobState::Running]).await;
    if !env.deployer.capabilities().checkpoints() {
        return;
    }
    let start = tokio::time::Instant::now();
    loop {
        let d = env
            .deployer
            .inspect(id)
            .await
            .expect("inspect a running deployment");
        if d.checkpoints_completed > 0 {
            return;
        }
        assert!(
            start.elapsed() < env.wait,
            "{id}: no checkpoint completed within {:?}",
            env.wait
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// `file:/x/`, `file:///x` and `/x` name the same place.
fn same_path(p: &str) -> &str {
    let p = p
        .strip_prefix("file://")
        .or_else(|| p.strip_prefix("file:"))
        .unwrap_or(p);
    p.trim_end_matches('/')
}

fn unknown_id() -> DeploymentId {
    DeploymentId::new("0000000000000000000000000000abcd")
}

/// `deploy` tags the deployment: `list` reports its job id and attempt.
pub async fn deploy_tags_job_and_attempt(env: &TestEnv) {
    let spec = env.sql_spec("tags");
    let job = spec.id.clone();
    let dep = deploy(env, spec, 7).await;
    assert_eq!(dep.job, job);
    assert_eq!(dep.attempt, 7);
    let list = env
        .deployer
        .list(&Selector::Job(job.clone()))
        .await
        .expect("list");
    let s = list
        .iter()
        .find(|s| s.deployment == dep.id)
        .expect("deployment listed");
    assert_eq!((s.job.clone(), s.attempt), (job, 7));
}

/// A deployed SQL job reaches `RUNNING`.
pub async fn deploy_reaches_running(env: &TestEnv) {
    let dep = deploy(env, env.sql_spec("running"), 1).await;
    let s = wait_state(env, &dep.id, &[JobState::Running]).await;
    assert_eq!(s.state, JobState::Running);
}

/// `list` from another handle sees deployments this handle started.
pub async fn list_sees_other_handles(env: &TestEnv) {
    let dep = deploy(env, env.sql_spec("other"), 1).await;
    let list = env
        .other_handle
        .list(&Selector::Prefix(env.prefix.clone()))
        .await
        .expect("list");
    assert!(
        list.iter().any(|s| s.deployment == dep.id),
        "other handle does not see {}",
        dep.id
    );
}

/// Selectors filter: by job, by prefix; other jobs are not returned.
pub async fn list_filters_by_selector(env: &TestEnv) {
    let a = deploy(env, env.sql_spec("sel-a"), 1).await;
    let b = deploy(env, env.sql_spec("sel-b"), 1).await;
    let only_a = env
        .deployer
        .list(&Selector::Job(a.job.clone()))
        .await
        .expect("list");
    assert!(only_a.iter().all(|s| s.job == a.job), "{only_a:?}");
    assert!(only_a.iter().any(|s| s.deployment == a.id));
    let both = env
        .deployer
        .list(&Selector::Prefix(format!("{}-sel-", env.prefix)))
        .await
        .expect("list");
    assert!(both.iter().any(|s| s.deployment == a.id) && both.iter().any(|s| s.deployment == b.id));
    let none = env
        .deployer
        .list(&Selector::Prefix(format!("{}-nothing-", env.prefix)))
        .await
        .expect("list");
    assert!(none.is_empty(), "{none:?}");
}

/// Deploying an attempt that was already deployed is fenced and starts nothing.
pub async fn redeploy_of_same_attempt_is_fenced(env: &TestEnv) {
    let spec = env.sql_spec("fence-same");
    let job = spec.id.clone();
    deploy(env, spec.clone(), 1).await;
    let e = env
        .deployer
        .deploy(DeployRequest::new(spec, 1))
        .await
        .expect_err("second deploy must fail");
    assert!(
        matches!(
            e,
            Error::Fenced {
                attempt: 1,
                live_attempt: 1,
                ..
            }
        ),
        "{e:?}"
    );
    let list = env.deployer.list(&Selector::Job(job)).await.expect("list");
    assert_eq!(list.len(), 1, "{list:?}");
}

/// A new attempt while another is live is fenced, naming the live attempt.
pub async fn new_attempt_while_live_is_fenced(env: &TestEnv) {
    let spec = env.sql_spec("fence-live");
    let job = spec.id.clone();
    deploy(env, spec.clone(), 1).await;
    let e = env
        .deployer
        .deploy(DeployRequest::new(spec, 2))
        .await
        .expect_err("must be fenced");
    assert!(
        matches!(
            e,
            Error::Fenced {
                attempt: 2,
                live_attempt: 1,
                ..
            }
        ),
        "{e:?}"
    );
    let list = env.deployer.list(&Selector::Job(job)).await.expect("list");
    assert!(list.iter().all(|s| s.attempt == 1), "{list:?}");
}

/// After a stop, the next attempt deploys.
pub async fn next_attempt_after_stop_runs(env: &TestEnv) {
    let spec = env.sql_spec("next");
    let d1 = deploy(env, spec.clone(), 1).await;
    wait_state(env, &d1.id, &[JobState::Running]).await;
    env.deployer
        .stop(&d1.id, StopOptions::cancel())
        .await
        .expect("stop");
    let d2 = deploy(env, spec, 2).await;
    assert_ne!(d1.id, d2.id);
    wait_state(env, &d2.id, &[JobState::Running]).await;
}

/// Cancel ends `CANCELED`.
pub async fn stop_cancel_ends_canceled(env: &TestEnv) {
    let dep = deploy(env, env.sql_spec("cancel"), 1).await;
    wait_state(env, &dep.id, &[JobState::Running]).await;
    let out = env
        .deployer
        .stop(&dep.id, StopOptions::cancel())
        .await
        .expect("stop");
    assert_eq!(out, StopOutcome::Stopped { savepoint: None });
    let s = wait_state(env, &dep.id, &[JobState::Canceled]).await;
    assert_eq!(s.state, JobState::Canceled);
}

/// Stopping twice: the second call is `AlreadyGone`.
pub async fn stop_is_idempotent(env: &TestEnv) {
    let dep = deploy(env, env.sql_spec("idem"), 1).await;
    wait_state(env, &dep.id, &[JobState::Running]).await;
    env.deployer
        .stop(&dep.id, StopOptions::cancel())
        .await
        .expect("first stop");
    wait_state(env, &dep.id, &[JobState::Canceled]).await;
    let again = env
        .deployer
        .stop(&dep.id, StopOptions::cancel())
        .await
        .expect("second stop");
    assert_eq!(again, StopOutcome::AlreadyGone);
}

/// Stopping a deployment the backend never had is `AlreadyGone`, not an error.
pub async fn stop_unknown_is_already_gone(env: &TestEnv) {
    let out = env
        .deployer
        .stop(&unknown_id(), StopOptions::cancel())
        .await
        .expect("stop unknown");
    assert_eq!(out, StopOutcome::AlreadyGone);
}

/// A savepoint waits for completion and returns its path.
pub async fn savepoint_returns_path(env: &TestEnv) {
    if !env.deployer.capabilities().savepoint() {
        return;
    }
    let dep = deploy(env, env.sql_spec("sp"), 1).await;
    wait_ready(env, &dep.id).await;
    let opts = match &env.savepoint_dir {
        Some(d) => SavepointOptions::into_dir(d.clone()),
        None => SavepointOptions::default(),
    };
    let sp = env
        .deployer
        .savepoint(&dep.id, opts)
        .await
        .expect("savepoint");
    assert_eq!(sp.kind, SnapshotKind::Savepoint);
    assert!(sp.path.contains("savepoint-"), "{}", sp.path);
    // Flink caches checkpoint statistics for a few seconds: poll.
    let start = tokio::time::Instant::now();
    loop {
        let d = env.deployer.inspect(&dep.id).await.expect("inspect");
        if let Some(latest) = d.latest_savepoint {
            assert_eq!(
                same_path(&latest.path),
                same_path(&sp.path),
                "inspect reports the savepoint"
            );
            break;
        }
        assert!(
            start.elapsed() < env.wait,
            "inspect never reported the savepoint"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let s = env
        .deployer
        .status(&dep.id)
        .await
        .expect("status")
        .expect("listed");
    assert_eq!(
        s.state,
        JobState::Running,
        "a savepoint does not stop the job"
    );
}

/// A savepoint of an unknown deployment is `NotFound`.
pub async fn savepoint_unknown_is_not_found(env: &TestEnv) {
    if !env.deployer.capabilities().savepoint() {
        return;
    }
    let e = env
        .deployer
        .savepoint(&unknown_id(), SavepointOptions::default())
        .await
        .expect_err("unknown");
    assert!(e.is_not_found(), "{e:?}");
}

/// Stop with savepoint returns the savepoint and ends `FINISHED`.
pub async fn stop_with_savepoint_finishes(env: &TestEnv) {
    if !env.deployer.capabilities().stop_with_savepoint() {
        return;
    }
    let dep = deploy(env, env.sql_spec("stop-sp"), 1).await;
    wait_ready(env, &dep.id).await;
    let opts = match &env.savepoint_dir {
        Some(d) => StopOptions::savepoint(d.clone()),
        None => StopOptions::savepoint_default_dir(),
    };
    let out = env
        .deployer
        .stop(&dep.id, opts)
        .await
        .expect("stop with savepoint");
    let StopOutcome::Stopped {
        savepoint: Some(sp),
    } = out
    else {
        panic!("expected a savepoint, got {out:?}");
    };
    assert!(sp.path.contains("savepoint-"), "{}", sp.path);
    let s = wait_state(env, &dep.id, &[JobState::Finished]).await;
    assert_eq!(s.state, JobState::Finished);
}

/// A new attempt restored from a savepoint reports where it restored from.
pub async fn restore_from_savepoint_is_reported(env: &TestEnv) {
    let caps = env.deployer.capabilities();
    if !(caps.restore() && caps.stop_with_savepoint() && caps.checkpoints()) {
        return;
    }
    let spec = env.sql_spec("restore");
    let d1 = deploy(env, spec.clone(), 1).await;
    wait_ready(env, &d1.id).await;
    let opts = match &env.savepoint_dir {
        Some(d) => StopOptions::savepoint(d.clone()),
        None => StopOptions::savepoint_default_dir(),
    };
    let StopOutcome::Stopped {
        savepoint: Some(sp),
    } = env.deployer.stop(&d1.id, opts).await.expect("stop")
    else {
        panic!("no savepoint");
    };
    let d2 = env
        .deployer
        .deploy(DeployRequest::new(spec, 2).with_restore_path(sp.path.clone()))
        .await
        .expect("deploy from savepoint");
    wait_state(env, &d2.id, &[JobState::Running]).await;
    let start = tokio::time::Instant::now();
    loop {
        let d = env.deployer.inspect(&d2.id).await.expect("inspect");
        if let Some(from) = d.restored_from {
            assert_eq!(same_path(&from), same_path(&sp.path));
            return;
        }
        assert!(start.elapsed() < env.wait, "restore source never reported");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Completed checkpoints are reported with a path.
pub async fn checkpoints_are_reported(env: &TestEnv) {
    if !env.deployer.capabilities().checkpoints() {
        return;
    }
    let dep = deploy(env, env.sql_spec("cp"), 1).await;
    wait_ready(env, &dep.id).await;
    let d = env.deployer.inspect(&dep.id).await.expect("inspect");
    assert!(d.checkpoints_completed >= 1);
    let cp = d.latest_checkpoint.expect("latest checkpoint");
    assert_eq!(cp.kind, SnapshotKind::Checkpoint);
    assert!(cp.path.contains("chk-"), "{}", cp.path);
}

/// A job that fails at run time ends `FAILED`, and `inspect` carries the cause.
pub async fn failing_job_reports_failed_with_cause(env: &TestEnv) {
    let spec = JobSpec::sql(env.job_id("fails").as_str(), FAILING_SQL).expect("spec");
    let dep = deploy(env, spec, 1).await;
    let s = wait_state(env, &dep.id, &[JobState::Failed]).await;
    assert_eq!(s.state, JobState::Failed);
    let d = env.deployer.inspect(&dep.id).await.expect("inspect");
    let cause = d.failure.expect("failure cause");
    assert!(
        cause.contains("ArithmeticException") || cause.contains("by zero"),
        "{cause}"
    );
}

/// A SQL script the runner rejects is `Rejected`, with the cluster's text naming the statement.
pub async fn rejected_sql_carries_cluster_text(env: &TestEnv) {
    let spec = JobSpec::sql(env.job_id("rejected").as_str(), REJECTED_SQL).expect("spec");
    let job = spec.id.clone();
    let e = env
        .deployer
        .deploy(DeployRequest::new(spec, 1))
        .await
        .expect_err("must be rejected");
    let Error::Rejected { message, .. } = &e else {
        panic!("expected Rejected, got {e:?}");
    };
    assert!(
        message.contains("statement 2 (line 2)"),
        "runner names the statement: {message}"
    );
    assert!(
        message.contains("SQL parse failed"),
        "Flink's own text reaches the caller: {message}"
    );
    // Nothing runs. In YARN application mode the script runs inside the cluster, so the
    // application it was refused in stays listed as ended (`FAILED`), never live.
    let list = env.deployer.list(&Selector::Job(job)).await.expect("list");
    assert!(
        list.iter().all(|s| !s.state.is_live()),
        "a rejected script started {list:?}"
    );
}

/// `inspect` of an unknown deployment is `NotFound`.
pub async fn inspect_unknown_is_not_found(env: &TestEnv) {
    let e = env
        .deployer
        .inspect(&unknown_id())
        .await
        .expect_err("unknown");
    assert!(e.is_not_found(), "{e:?}");
}

/// `logs` lists files and returns the tail of one, bounded by `max_bytes`.
pub async fn logs_list_and_tail(env: &TestEnv) {
    if !env.deployer.capabilities().logs() {
        return;
    }
    let dep = deploy(env, env.sql_spec("logs"), 1).await;
    wait_state(env, &dep.id, &[JobState::Running]).await;
    let logs = env
        .deployer
        .logs(&dep.id, LogOptions::default())
        .await
        .expect("logs");
    assert!(!logs.files.is_empty());
    assert!(logs.files.iter().any(|f| f.name == logs.name));
    assert!(!logs.content.is_empty());
    let small = env
        .deployer
        .logs(&dep.id, LogOptions::default().with_max_bytes(16))
        .await
        .expect("logs");
    assert!(small.content.len() <= 16 && small.truncated, "{small:?}");
    let e = env
        .deployer
        .logs(&dep.id, LogOptions::file("no-such-file.log"))
        .await
        .expect_err("unknown file");
    assert!(e.is_not_found(), "{e:?}");
    let e = env
        .deployer
        .logs(&unknown_id(), LogOptions::default())
        .await
        .expect_err("unknown deployment");
    assert!(e.is_not_found(), "{e:?}");
}

/// A jar program runs.
pub async fn jar_program_runs(env: &TestEnv) {
    let Some(jar) = &env.jar else { return };
    if !env.deployer.capabilities().jar_programs() {
        return;
    }
    let spec = JobSpec::jar(
        env.job_id("jar").as_str(),
        &jar.artifact,
        Some(&jar.entry_class),
        jar.args.clone(),
    )
    .expect("spec");
    let dep = deploy(env, spec, 1).await;
    wait_state(env, &dep.id, &[JobState::Running]).await;
}

/// A jar whose entry class does not exist is `Rejected` with the cluster's text.
pub async fn jar_with_missing_class_is_rejected(env: &TestEnv) {
    let Some(jar) = &env.jar else { return };
    if !env.deployer.capabilities().jar_programs() {
        return;
    }
    let spec = JobSpec::jar(
        env.job_id("jar-bad").as_str(),
        &jar.artifact,
        Some("io.streampark.NoSuchMain"),
        vec![],
    )
    .expect("spec");
    let e = env
        .deployer
        .deploy(DeployRequest::new(spec, 1))
        .await
        .expect_err("must fail");
    let Error::Rejected { message, .. } = &e else {
        panic!("expected Rejected, got {e:?}");
    };
    assert!(message.contains("NoSuchMain"), "{message}");
}

/// A jar artifact that does not exist is `InvalidInput` naming the path.
pub async fn missing_jar_is_invalid_input(env: &TestEnv) {
    if !env.deployer.capabilities().jar_programs() {
        return;
    }
    let path = format!("/nonexistent/{}/program.jar", env.prefix);
    let spec = JobSpec::jar(env.job_id("jar-missing").as_str(), &path, None, vec![]).expect("spec");
    let e = env
        .deployer
        .deploy(DeployRequest::new(spec, 1))
        .await
        .expect_err("must fail");
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    assert!(e.to_string().contains(&path), "{e}");
}

#[doc(hidden)]
pub use futures::FutureExt as __FutureExt;

/// Expands to one `#[tokio::test]` per conformance behaviour.
///
/// `conformance_tests!(env_fn())` runs on a multi-threaded runtime in real time;
/// `conformance_tests!(paused, env_fn())` runs on a paused runtime (virtual time; needs tokio's
/// `test-util` feature), for simulators. `env_fn()` is an async expression returning
/// `Option<TestEnv>`; `None` skips the test (for backends whose server is not configured).
#[macro_export]
macro_rules! conformance_tests {
    (paused, $env:expr) => {
        $crate::conformance_tests!(@all tokio::test(start_paused = true), $env);
    };
    ($env:expr) => {
        $crate::conformance_tests!(@all tokio::test(flavor = "multi_thread", worker_threads = 2), $env);
    };
    (@all $attr:meta, $env:expr) => {
        $crate::conformance_tests!(@each $attr, $env;
            deploy_tags_job_and_attempt, deploy_reaches_running, list_sees_other_handles,
            list_filters_by_selector, redeploy_of_same_attempt_is_fenced,
            new_attempt_while_live_is_fenced, next_attempt_after_stop_runs,
            stop_cancel_ends_canceled, stop_is_idempotent, stop_unknown_is_already_gone,
            savepoint_returns_path, savepoint_unknown_is_not_found, stop_with_savepoint_finishes,
            restore_from_savepoint_is_reported, checkpoints_are_reported,
            failing_job_reports_failed_with_cause, rejected_sql_carries_cluster_text,
            inspect_unknown_is_not_found, logs_list_and_tail, jar_program_runs,
            jar_with_missing_class_is_rejected, missing_jar_is_invalid_input);
    };
    (@each $attr:meta, $env:expr; $($name:ident),* $(,)?) => {
        $(
            #[$attr]
            async fn $name() {
                use $crate::testkit::conformance::__FutureExt as _;
                let Some(env) = $env.await else {
                    eprintln!("skipped {}: backend not configured", stringify!($name));
                    return;
                };
                let outcome = ::std::panic::AssertUnwindSafe(
                    $crate::testkit::conformance::$name(&env),
                )
                .catch_unwind()
                .await;
                env.cleanup().await;
                if let Err(panic) = outcome {
                    ::std::panic::resume_unwind(panic);
                }
            }
        )*
    };
}
