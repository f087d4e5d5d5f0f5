//! [`SimJobManager`]: one simulated Flink JobManager REST API (v1) for the backend simulators
//! (YARN, native Kubernetes), answering in the shapes Flink 2.3 uses (see `crate::flink`).
//!
//! It holds jobs (one for an application cluster, several for a session cluster started
//! through `POST /jars/upload` + `POST /jars/:id/run`), their savepoints and checkpoints, and
//! serves `/overview`, `/jobs`, `/jobs/overview`, `/jobs/:id` (GET, PATCH `?mode=cancel`),
//! `/jobs/:id/yarn-cancel`, `/jobs/:id/checkpoints`, `/jobs/:id/exceptions`,
//! `/jobs/:id/savepoints`, `/jobs/:id/stop`, `/jobs/:id/savepoints/:trigger` and
//! `/jobmanager/logs[/:name]`. The simulator owning it changes jobs with
//! [`SimJobManager::add_job`], [`SimJobManager::fail_job`] and [`SimJobManager::end_job`] and
//! learns of ends caused through REST with [`SimJobManagerBuilder::with_on_job_end`].
//!
//! ```
//! # tokio_test_block_on(async {
//! use streampark_core::testkit::SimJobManager;
//! let jm = SimJobManager::builder().with_default_savepoint_dir("s3://sp").build();
//! jm.add_job("00000000000000000000000000000001", "etl", None);
//! let server = jm.serve().await?;
//! let v: serde_json::Value = streampark_core::spi::http_client(std::time::Duration::from_secs(5))?
//!     .get(format!("{}/v1/jobs/overview", server.url())).send().await?.json().await?;
//! assert_eq!(v["jobs"][0]["state"], "RUNNING");
//! # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

use super::VirtualClock;

/// Called with a job's id and terminal state when a REST call (cancel, stop, savepoint with
/// `cancel-job`) ends it.
pub type OnJobEnd = Arc<dyn Fn(&str, &'static str) + Send + Sync>;

/// Called before each REST request is answered (a simulator moves its own time-driven state
/// forward there).
pub type OnRequest = Arc<dyn Fn() + Send + Sync>;

/// How many checkpoints a running job has completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimCheckpoints {
    /// One completed checkpoint per interval (ms) of clock time since the job started.
    Every(i64),
    /// Always this many completed checkpoints.
    Fixed(u64),
}

/// What one simulated job looks like from outside (a copy).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimJobView {
    /// Flink job id (32 hex characters).
    pub jid: String,
    /// Job name.
    pub name: String,
    /// Flink `JobStatus` (`RUNNING`, `FAILED`, `CANCELED`, `FINISHED`, ...).
    pub state: &'static str,
    /// Start time (ms since the epoch).
    pub start: i64,
    /// End time (ms since the epoch), -1 while the job runs.
    pub end: i64,
    /// The savepoint or checkpoint the job was restored from.
    pub restored_from: Option<String>,
    /// The failure text of a failed job.
    pub failure: Option<String>,
    /// Paths of the savepoints taken, oldest first.
    pub savepoints: Vec<String>,
}

struct Job {
    view: SimJobView,
    /// Savepoints taken: (time, path).
    taken: Vec<(i64, String)>,
    /// Trigger id -> savepoint path or failure cause.
    triggers: HashMap<String, Result<String, Value>>,
    /// Savepoints still to be refused because the job's tasks are "not all running".
    tasks_starting: u32,
}

#[derive(Default)]
struct State {
    jobs: Vec<Job>,
    jars: Vec<String>,
    log: String,
}

struct Config {
    clock: Option<VirtualClock>,
    session: bool,
    default_savepoint_dir: Option<String>,
    checkpoint_dir: String,
    checkpoints: SimCheckpoints,
    reject_when_not_running: bool,
    flink_version: String,
    on_job_end: Option<OnJobEnd>,
    on_request: Option<OnRequest>,
}

struct Inner {
    cfg: Config,
    st: Mutex<State>,
}

/// A simulated Flink JobManager. Cheap to clone (shared state).
#[derive(Clone)]
pub struct SimJobManager {
    inner: Arc<Inner>,
}

impl fmt::Debug for SimJobManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimJobManager")
            .field("session", &self.inner.cfg.session)
            .field("jobs", &self.lock().jobs.len())
            .finish_non_exhaustive()
    }
}

/// Builds a [`SimJobManager`].
#[must_use]
pub struct SimJobManagerBuilder {
    cfg: Config,
}

impl fmt::Debug for SimJobManagerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimJobManagerBuilder")
            .field("session", &self.cfg.session)
            .finish_non_exhaustive()
    }
}

impl SimJobManagerBuilder {
    /// The Flink release the JobManager reports (`GET /config`, default `2.3.0`) and whose
    /// REST shapes it follows: before 1.17, `POST /jars/:id/run` refuses a
    /// `flinkConfiguration` field with Flink 1.14's answer, and a job takes its name from the
    /// program's own arguments (the SQL runner's `--name`, the jar launcher's configuration).
    pub fn with_flink_version(mut self, version: impl Into<String>) -> Self {
        self.cfg.flink_version = version.into();
        self
    }

    /// Time from `clock` (default: the system clock).
    pub fn with_clock(mut self, clock: VirtualClock) -> Self {
        self.cfg.clock = Some(clock);
        self
    }

    /// A session cluster: jobs come through `POST /jars/upload` and `POST /jars/:id/run`
    /// (default: an application cluster, whose `/jars` endpoints answer 404).
    pub fn with_session(mut self, session: bool) -> Self {
        self.cfg.session = session;
        self
    }

    /// The cluster's `execution.checkpointing.savepoint-dir` (default: none, so a savepoint
    /// without a target directory fails as in Flink).
    pub fn with_default_savepoint_dir(mut self, dir: impl Into<String>) -> Self {
        self.cfg.default_savepoint_dir = Some(dir.into());
        self
    }

    /// Where checkpoints go (`<dir>/<jid>/chk-<n>`) and how many there are (default
    /// `s3://sim/checkpoints`, [`SimCheckpoints::Fixed`]`(3)`).
    pub fn with_checkpoints(mut self, dir: impl Into<String>, model: SimCheckpoints) -> Self {
        self.cfg.checkpoint_dir = dir.into();
        self.cfg.checkpoints = model;
        self
    }

    /// Fault knob: a savepoint or stop of a job that is not running answers `409` at once
    /// (default: `202` and a failed operation when polled, as Flink's dispatcher does).
    pub fn with_reject_when_not_running(mut self, reject: bool) -> Self {
        self.cfg.reject_when_not_running = reject;
        self
    }

    /// Called when a REST call ends a job (cancel, stop, savepoint with `cancel-job`).
    pub fn with_on_job_end(
        mut self,
        f: impl Fn(&str, &'static str) + Send + Sync + 'static,
    ) -> Self {
        self.cfg.on_job_end = Some(Arc::new(f));
        self
    }

    /// Called before each REST request is answered, with no lock of the JobManager held (a
    /// simulator advances its own clock-driven state there, e.g. fails a job that is due to).
    pub fn with_on_request(mut self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.cfg.on_request = Some(Arc::new(f));
        self
    }

    /// The JobManager.
    pub fn build(self) -> SimJobManager {
        SimJobManager {
            inner: Arc::new(Inner {
                cfg: self.cfg,
                st: Mutex::default(),
            }),
        }
    }
}

fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2))
        .unwrap_or(0)
}

/// The exception class at the head of a failure text (`java.lang.X: message`).
fn exception_name(failure: &str) -> &str {
    failure.split([':', '\n']).next().unwrap_or(failure).trim()
}

impl SimJobManager {
    /// A builder with the defaults (application cluster, system clock, no savepoint dir).
    pub fn builder() -> SimJobManagerBuilder {
        SimJobManagerBuilder {
            cfg: Config {
                clock: None,
                session: false,
                default_savepoint_dir: None,
                checkpoint_dir: "s3://sim/checkpoints".into(),
                checkpoints: SimCheckpoints::Fixed(3),
                reject_when_not_running: false,
                flink_version: "2.3.0".into(),
                on_job_end: None,
                on_request: None,
            },
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.st.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current time (ms since the epoch) of this JobManager's clock.
    pub fn now(&self) -> i64 {
        self.inner
            .cfg
            .clock
            .as_ref()
            .map_or_else(wall_ms, VirtualClock::now_ms)
    }

    /// Starts a job now, `RUNNING`. A job with the same id is replaced.
    pub fn add_job(
        &self,
        jid: impl Into<String>,
        name: impl Into<String>,
        restored_from: Option<String>,
    ) {
        let (jid, now) = (jid.into(), self.now());
        let job = Job {
            view: SimJobView {
                jid: jid.clone(),
                name: name.into(),
                state: "RUNNING",
                start: now,
                end: -1,
                restored_from,
                failure: None,
                savepoints: Vec::new(),
            },
            taken: Vec::new(),
            triggers: HashMap::new(),
            tasks_starting: 0,
        };
        let mut st = self.lock();
        st.jobs.retain(|j| j.view.jid != jid);
        st.jobs.push(job);
    }

    /// Fails a running job now with `failure` (`java.lang.X: message`). False when it is
    /// unknown or not running.
    pub fn fail_job(&self, jid: &str, failure: impl Into<String>) -> bool {
        self.finish(jid, "FAILED", Some(failure.into()))
    }

    /// Ends a running job now in `state` (`FINISHED`, `CANCELED`, ...) without calling the
    /// end hook. False when it is unknown or not running.
    pub fn end_job(&self, jid: &str, state: &'static str) -> bool {
        self.finish(jid, state, None)
    }

    fn finish(&self, jid: &str, state: &'static str, failure: Option<String>) -> bool {
        let now = self.now();
        let mut st = self.lock();
        let running = st
            .jobs
            .iter_mut()
            .find(|j| j.view.jid == jid && j.view.state == "RUNNING");
        let Some(j) = running else {
            return false;
        };
        j.view.state = state;
        j.view.end = now;
        if failure.is_some() {
            j.view.failure = failure;
        }
        true
    }

    /// The job's tasks are still being scheduled (as just after a deploy, a restart or a
    /// TaskManager loss, while the job itself is `RUNNING`): its next `savepoints` savepoint
    /// or stop triggers fail the way Flink fails them ("Not all required tasks are currently
    /// running"). False when the job is unknown.
    pub fn set_tasks_starting(&self, jid: &str, savepoints: u32) -> bool {
        let mut st = self.lock();
        match st.jobs.iter_mut().find(|j| j.view.jid == jid) {
            Some(j) => {
                j.tasks_starting = savepoints;
                true
            }
            None => false,
        }
    }

    /// A running job starts restarting (`RESTARTING`, as while Flink's restart strategy waits)
    /// or, with `false`, runs again. False when the job is unknown or in neither state.
    pub fn set_restarting(&self, jid: &str, restarting: bool) -> bool {
        let (from, to) = if restarting {
            ("RUNNING", "RESTARTING")
        } else {
            ("RESTARTING", "RUNNING")
        };
        let mut st = self.lock();
        match st
            .jobs
            .iter_mut()
            .find(|j| j.view.jid == jid && j.view.state == from)
        {
            Some(j) => {
                j.view.state = to;
                true
            }
            None => false,
        }
    }

    /// A JobManager failover (new attempt): the job keeps its state and is now restored from
    /// its latest completed checkpoint (none: no restore). Returns that checkpoint.
    pub fn failover(&self, jid: &str) -> Option<String> {
        let latest = self.latest_checkpoint(jid);
        let mut st = self.lock();
        if let Some(j) = st.jobs.iter_mut().find(|j| j.view.jid == jid) {
            j.view.restored_from.clone_from(&latest);
        }
        latest
    }

    /// A copy of one job.
    pub fn job(&self, jid: &str) -> Option<SimJobView> {
        self.lock()
            .jobs
            .iter()
            .find(|j| j.view.jid == jid)
            .map(|j| j.view.clone())
    }

    /// Copies of all jobs, in submission order.
    pub fn jobs(&self) -> Vec<SimJobView> {
        self.lock().jobs.iter().map(|j| j.view.clone()).collect()
    }

    /// The text of `jobmanager.log` (default empty).
    pub fn set_log(&self, text: impl Into<String>) {
        self.lock().log = text.into();
    }

    /// How many checkpoints `job` has completed now.
    fn completed(&self, job: &SimJobView, now: i64) -> u64 {
        if job.state != "RUNNING" && job.state != "FINISHED" {
            return 0;
        }
        match self.inner.cfg.checkpoints {
            SimCheckpoints::Fixed(n) => n,
            SimCheckpoints::Every(ms) if ms > 0 => {
                let until = if job.end > 0 { job.end.min(now) } else { now };
                u64::try_from((until - job.start) / ms).unwrap_or(0)
            }
            SimCheckpoints::Every(_) => 0,
        }
    }

    /// The path of the latest completed checkpoint of a job, if any.
    pub fn latest_checkpoint(&self, jid: &str) -> Option<String> {
        let now = self.now();
        let job = self.job(jid)?;
        let n = self.completed(&job, now);
        (n > 0).then(|| self.checkpoint_path(jid, n))
    }

    fn checkpoint_path(&self, jid: &str, n: u64) -> String {
        format!(
            "{}/{jid}/chk-{n}",
            self.inner.cfg.checkpoint_dir.trim_end_matches('/')
        )
    }
}

mod http;

pub use http::SimJobManagerServer;

#[cfg(test)]
mod tests {
    use serde_json::json;
    use std::sync::Mutex as StdMutex;
    use std::time::Duration;

    use super::*;

    const JID: &str = "0123456789abcdef0123456789abcdef";

    async fn get(url: &str) -> (u16, Value) {
        let r = crate::spi::http_client(Duration::from_secs(5))
            .unwrap()
            .get(url)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn send(method: reqwest::Method, url: &str, body: Value) -> (u16, Value) {
        let r = crate::spi::http_client(Duration::from_secs(5))
            .unwrap()
            .request(method, url)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn stop_with_savepoint_finishes_the_job_and_tells_the_owner() {
        let seen = Arc::new(StdMutex::new(Vec::new()));
        let s2 = seen.clone();
        let jm = SimJobManager::builder()
            .with_on_job_end(move |j, s| s2.lock().unwrap().push((j.to_string(), s)))
            .build();
        jm.add_job(JID, "etl", None);
        let srv = jm.serve().await.unwrap();
        let base = format!("{}/v1/jobs/{JID}", srv.url());
        let (code, v) = send(
            reqwest::Method::POST,
            &format!("{base}/stop"),
            json!({"targetDirectory": "s3://b/sp/"}),
        )
        .await;
        assert_eq!(code, 202);
        let tid = v["request-id"].as_str().unwrap().to_string();
        assert_eq!(tid.len(), 32);
        let (_, st) = get(&format!("{base}/savepoints/{tid}")).await;
        assert_eq!(st["status"]["id"], "COMPLETED");
        let loc = st["operation"]["location"].as_str().unwrap();
        assert!(loc.starts_with("s3://b/sp/savepoint-012345-"), "{loc}");
        let (_, d) = get(&base).await;
        assert_eq!(d["state"], "FINISHED");
        assert!(d["end-time"].as_i64().unwrap() > 0);
        assert_eq!(*seen.lock().unwrap(), vec![(JID.to_string(), "FINISHED")]);
        assert_eq!(jm.job(JID).unwrap().savepoints, vec![loc.to_string()]);
    }

    #[tokio::test]
    async fn savepoints_refused_while_tasks_start_are_triggered_again() {
        use crate::flink::FlinkClient;
        let jm = SimJobManager::builder()
            .with_default_savepoint_dir("hdfs:///sp")
            .build();
        jm.add_job(JID, "etl", None);
        let srv = jm.serve().await.unwrap();
        let client = FlinkClient::builder()
            .with_url(srv.url())
            .with_timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        // Two refusals, then the savepoint is taken; the job keeps running.
        assert!(jm.set_tasks_starting(JID, 2));
        let path = client
            .savepoint_and_wait(JID, None, Duration::from_secs(30))
            .await
            .unwrap();
        assert!(path.starts_with("hdfs:///sp/savepoint-"), "{path}");
        assert_eq!(jm.job(JID).unwrap().state, "RUNNING");
        assert_eq!(jm.job(JID).unwrap().savepoints, vec![path]);
        // The same for stop-with-savepoint, which then ends the job.
        assert!(jm.set_tasks_starting(JID, 1));
        client
            .stop_with_savepoint_and_wait(JID, None, false, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(jm.job(JID).unwrap().state, "FINISHED");
        // Tasks that never all run: a timeout naming Flink's reason, not an endless retry.
        jm.add_job(JID, "etl", None);
        assert!(jm.set_tasks_starting(JID, u32::MAX));
        let e = client
            .savepoint_and_wait(JID, None, Duration::from_millis(2500))
            .await
            .unwrap_err();
        assert!(matches!(e, crate::Error::Timeout { .. }), "{e:?}");
        assert!(e.to_string().contains("Not all required tasks"), "{e}");
        // Any other failure is not retried.
        let jm2 = SimJobManager::builder().build();
        jm2.add_job(JID, "etl", None);
        let srv2 = jm2.serve().await.unwrap();
        let c2 = FlinkClient::builder().with_url(srv2.url()).build().unwrap();
        let e = c2
            .savepoint_and_wait(JID, None, Duration::from_secs(30))
            .await
            .unwrap_err();
        assert!(matches!(e, crate::Error::Rejected { .. }), "{e:?}");
    }

    #[tokio::test]
    async fn savepoint_without_directory_fails_and_job_keeps_running() {
        let jm = SimJobManager::builder().build();
        jm.add_job(JID, "etl", None);
        let srv = jm.serve().await.unwrap();
        let base = format!("{}/v1/jobs/{JID}", srv.url());
        let (code, v) = send(
            reqwest::Method::POST,
            &format!("{base}/savepoints"),
            json!({"cancel-job": true}),
        )
        .await;
        assert_eq!(code, 202);
        let (_, st) = get(&format!(
            "{base}/savepoints/{}",
            v["request-id"].as_str().unwrap()
        ))
        .await;
        let cause = st["operation"]["failure-cause"]["stack-trace"]
            .as_str()
            .unwrap();
        assert!(
            cause.contains("No savepoint directory configured"),
            "{cause}"
        );
        assert_eq!(jm.job(JID).unwrap().state, "RUNNING");
    }

    #[tokio::test]
    async fn ended_job_savepoint_fails_or_is_rejected_by_knob() {
        for reject in [false, true] {
            let jm = SimJobManager::builder()
                .with_default_savepoint_dir("file:///sp")
                .with_reject_when_not_running(reject)
                .build();
            jm.add_job(JID, "etl", None);
            assert!(jm.fail_job(JID, "java.lang.ArithmeticException: / by zero"));
            let srv = jm.serve().await.unwrap();
            let base = format!("{}/v1/jobs/{JID}", srv.url());
            let (code, v) = send(
                reqwest::Method::POST,
                &format!("{base}/savepoints"),
                json!({}),
            )
            .await;
            if reject {
                assert_eq!(code, 409, "{v}");
                assert!(v["errors"][0].as_str().unwrap().contains("not running"));
            } else {
                assert_eq!(code, 202);
                let (_, st) = get(&format!(
                    "{base}/savepoints/{}",
                    v["request-id"].as_str().unwrap()
                ))
                .await;
                assert!(st["operation"]["failure-cause"].is_object(), "{st}");
            }
            let (_, ex) = get(&format!("{base}/exceptions")).await;
            assert_eq!(
                ex["exceptionHistory"]["entries"][0]["exceptionName"],
                "java.lang.ArithmeticException"
            );
        }
    }

    #[tokio::test]
    async fn checkpoints_follow_the_virtual_clock() {
        let clock = VirtualClock::manual();
        let jm = SimJobManager::builder()
            .with_clock(clock.clone())
            .with_checkpoints("hdfs://nn/chk/", SimCheckpoints::Every(1_000))
            .build();
        jm.add_job(JID, "etl", Some("hdfs://nn/sp/savepoint-012345-1".into()));
        assert_eq!(jm.latest_checkpoint(JID), None);
        clock.advance(Duration::from_millis(2_500));
        assert_eq!(
            jm.latest_checkpoint(JID).as_deref(),
            Some(format!("hdfs://nn/chk/{JID}/chk-2").as_str())
        );
        let srv = jm.serve().await.unwrap();
        let (_, v) = get(&format!("{}/v1/jobs/{JID}/checkpoints", srv.url())).await;
        assert_eq!(v["counts"]["completed"], 2);
        assert_eq!(v["latest"]["restored"]["is_savepoint"], true);
        assert_eq!(
            v["latest"]["completed"]["external_path"],
            format!("hdfs://nn/chk/{JID}/chk-2")
        );
    }

    #[tokio::test]
    async fn session_runs_uploaded_jars_and_refuses_duplicates() {
        let jm = SimJobManager::builder().with_session(true).build();
        let srv = jm.serve().await.unwrap();
        let c = crate::spi::http_client(Duration::from_secs(5)).unwrap();
        let part = reqwest::multipart::Part::bytes(b"PK".to_vec()).file_name("job.jar");
        let up: Value = c
            .post(format!("{}/v1/jars/upload", srv.url()))
            .multipart(reqwest::multipart::Form::new().part("jarfile", part))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = up["filename"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        assert!(id.ends_with("_job.jar"), "{id}");
        let run = format!("{}/v1/jars/{id}/run", srv.url());
        let body = json!({"jobId": JID, "flinkConfiguration": {"pipeline.name": "a"}});
        let (code, v) = send(reqwest::Method::POST, &run, body.clone()).await;
        assert_eq!((code, v["jobid"].as_str()), (200, Some(JID)));
        let (code, _) = send(reqwest::Method::POST, &run, body).await;
        assert_eq!(code, 400);
        let (_, o) = get(&format!("{}/v1/jobs/overview", srv.url())).await;
        assert_eq!(o["jobs"][0]["name"], "a");
        let (code, _) = send(
            reqwest::Method::PATCH,
            &format!("{}/v1/jobs/{JID}?mode=cancel", srv.url()),
            json!({}),
        )
        .await;
        assert_eq!(code, 202);
        assert_eq!(jm.job(JID).unwrap().state, "CANCELED");
        let (code, _) = get(&format!(
            "{}/v1/jobs/ffffffffffffffffffffffffffffffff",
            srv.url()
        ))
        .await;
        assert_eq!(code, 404);
    }
}
