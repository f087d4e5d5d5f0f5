//! The YARN backends against a real ResourceManager pair (HA), NodeManager and HDFS: Hadoop's
//! own daemons started by `scripts/yarn-local`, with the real Flink CLI
//! (`scripts/ci-yarn-real.sh` sets everything up). Without `STREAMPARK_IT_YARN_RM_URLS` every
//! test is skipped.
//!
//! - the root module: `YarnDeployer`'s whole conformance suite in application mode (Flink 2.3);
//! - `session`: the same suite on a real `yarn-session` cluster (started by
//!   `YarnSession::start_or_adopt` through `yarn-session.sh`, jobs through its `SessionDeployer`);
//! - `per_job`: per-job mode on Flink 1.20 (`STREAMPARK_IT_FLINK_LEGACY_HOME`) and its refusal
//!   on Flink 2;
//! - `failover`: the active RM made standby while a job runs (list, inspect, savepoint, stop keep
//!   working, nothing is submitted twice), then the ended application's AM container log.
#![cfg(unix)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use streampark_core::testkit::conformance::{JarFixture, TestEnv};
use streampark_core::{FlinkCli, FlinkHome};
use streampark_yarn::rm::ResourceManagerClient;
use streampark_yarn::{CliSubmitter, YarnDeployer, YarnTarget};

fn var(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

/// Where the mini cluster is, from `scripts/yarn-local env`.
#[derive(Clone)]
struct Cluster {
    rms: Vec<url::Url>,
    hadoop_conf: String,
    webhdfs: url::Url,
    default_fs: String,
    user: String,
}

fn cluster() -> Option<Cluster> {
    let Some(rms) = var("STREAMPARK_IT_YARN_RM_URLS") else {
        eprintln!("skipped: STREAMPARK_IT_YARN_RM_URLS is not set");
        return None;
    };
    Some(Cluster {
        rms: rms.split(',').map(|u| u.parse().unwrap()).collect(),
        hadoop_conf: var("HADOOP_CONF_DIR").expect("HADOOP_CONF_DIR with the RM"),
        webhdfs: var("WEBHDFS_URL").expect("WEBHDFS_URL").parse().unwrap(),
        default_fs: var("DEFAULT_FS").expect("DEFAULT_FS"),
        user: var("USER").unwrap_or_else(|| "root".into()),
    })
}

impl Cluster {
    fn rm(&self) -> ResourceManagerClient {
        ResourceManagerClient::builder()
            .with_urls(self.rms.clone())
            .with_user(Some(self.user.clone()))
            .with_timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    /// The cluster's Flink configuration for `home`, as an operator would keep it: the home's
    /// files plus state directories on HDFS and a checkpoint interval (the conformance suite's
    /// jobs set none). Flink 2 reads `config.yaml`, 1.x `flink-conf.yaml` (flat keys in both).
    fn flink_conf(&self, home: &FlinkHome) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "yarn-real-conf-{}-{}",
            home.version(),
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(home.conf_dir()).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
            }
        }
        let fs = &self.default_fs;
        let extra = format!(
            "\nstate.savepoints.dir: {fs}/streampark/savepoints\n\
             state.checkpoints.dir: {fs}/streampark/checkpoints\n\
             execution.checkpointing.interval: 2s\n\
             jobmanager.memory.process.size: 1024m\n\
             taskmanager.memory.process.size: 1024m\n"
        );
        let file = ["config.yaml", "flink-conf.yaml"]
            .into_iter()
            .map(|f| dir.join(f))
            .find(|p| p.exists())
            .unwrap_or_else(|| dir.join("config.yaml"));
        let mut text = std::fs::read_to_string(&file).unwrap_or_default();
        text.push_str(&extra);
        std::fs::write(&file, text).unwrap();
        dir
    }

    fn submitter(&self, home: &FlinkHome) -> Arc<CliSubmitter> {
        let cli = FlinkCli::new(home.clone())
            .with_conf_dir(self.flink_conf(home))
            .with_env("HADOOP_CONF_DIR", &self.hadoop_conf)
            .with_timeout(Duration::from_secs(300));
        Arc::new(CliSubmitter::new(cli))
    }

    fn deployer(
        &self,
        home: &FlinkHome,
        submitter: Arc<CliSubmitter>,
        target: YarnTarget,
    ) -> YarnDeployer {
        YarnDeployer::builder()
            .with_rm_urls(self.rms.clone())
            .with_user(self.user.clone())
            .with_queue("streaming")
            .with_webhdfs_url(self.webhdfs.clone())
            .with_default_fs(self.default_fs.clone())
            .with_workspace("/streampark")
            .with_flink_version(home.version().to_string())
            .with_checkpoint_dir(format!("{}/streampark/checkpoints", self.default_fs))
            .with_submitter(submitter)
            .with_target(target)
            .with_poll_interval(Duration::from_millis(500))
            .build()
            .expect("valid builder")
    }

    /// The HDFS workspace holds the Flink home's lib/ and plugins/ (yarn.provided.lib.dirs):
    /// uploaded through WebHDFS the first time, compared by name and size afterwards.
    async fn sync(&self, home: &FlinkHome) {
        let d = self.deployer(home, self.submitter(home), YarnTarget::Application);
        let report = d.sync_workspace(home, false).await.expect("workspace sync");
        assert!(report.in_step(false), "{report:?}");
    }
}

fn flink_home() -> FlinkHome {
    FlinkHome::detect(var("STREAMPARK_IT_FLINK_HOME").expect("a Flink home")).unwrap()
}

fn tick_job(jar: Option<String>) -> Option<JarFixture> {
    jar.map(|artifact| JarFixture {
        artifact,
        entry_class: "io.streampark.it.TickJob".into(),
        args: vec![],
    })
}

async fn env() -> Option<TestEnv> {
    let c = cluster()?;
    let home = flink_home();
    c.sync(&home).await;
    let submitter = c.submitter(&home);
    let make = || c.deployer(&home, submitter.clone(), YarnTarget::Application);
    let mut env = TestEnv::new(make(), make()).with_wait(Duration::from_secs(180));
    if let Some(jar) = tick_job(var("STREAMPARK_IT_TEST_JAR")) {
        env = env.with_jar(jar);
    }
    Some(env)
}

streampark_core::conformance_tests!(env());

/// The whole suite on a real YARN session cluster.
mod session {
    use super::*;
    use streampark_yarn::session::{YarnSession, YarnSessionSpec};

    async fn session_env() -> Option<TestEnv> {
        let c = cluster()?;
        let home = flink_home();
        c.sync(&home).await;
        let base = format!("{}/streampark/flink/{}", c.default_fs, home.version());
        let spec = YarnSessionSpec::new("sp-conformance-session")
            .with_queue("streaming")
            .with_tag("streampark.session=conformance")
            .with_provided_lib_dir(format!("{base}/lib"))
            .with_provided_lib_dir(format!("{base}/plugins"))
            .with_config("taskmanager.numberOfTaskSlots", "2");
        // Started by the first test, adopted (found by its tags) by every later one.
        let session = YarnSession::start_or_adopt(c.rm(), c.submitter(&home), &spec)
            .await
            .expect("a YARN session cluster")
            .with_request_timeout(Duration::from_secs(30));
        let deadline = std::time::Instant::now() + Duration::from_secs(180);
        while let Err(e) = session.jobs().await {
            assert!(
                std::time::Instant::now() < deadline,
                "the session's JobManager never answered: {e}"
            );
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let savepoints = format!("{}/streampark/savepoints", c.default_fs);
        let make = || {
            session
                .deployer()
                .with_savepoint_dir(savepoints.clone())
                .with_poll_interval(Duration::from_millis(500))
        };
        let mut env = TestEnv::new(make(), make()).with_wait(Duration::from_secs(180));
        if let Some(jar) = tick_job(var("STREAMPARK_IT_TEST_JAR")) {
            env = env.with_jar(jar);
        }
        Some(env)
    }

    streampark_core::conformance_tests!(session_env());
}

/// Per-job mode: runs on Flink 1.x, refused on Flink 2 before anything reaches YARN.
mod per_job {
    use super::*;
    use streampark_core::{
        DeployRequest, Deployer, DeployerExt, Error, JobSpec, JobState, SavepointOptions, Selector,
        StopOptions, StopOutcome,
    };
    use streampark_yarn::rm::AppQuery;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn per_job_runs_on_flink_1_x_and_stops_with_a_savepoint() {
        let Some(c) = cluster() else { return };
        let Some(legacy) = var("STREAMPARK_IT_FLINK_LEGACY_HOME") else {
            eprintln!("skipped: STREAMPARK_IT_FLINK_LEGACY_HOME is not set");
            return;
        };
        let home = FlinkHome::detect(legacy).unwrap();
        assert_eq!(home.version().major(), 1, "a Flink 1.x home");
        let jar = var("STREAMPARK_IT_LEGACY_TEST_JAR").expect("a test jar built for that home");
        c.sync(&home).await;
        let d = c.deployer(&home, c.submitter(&home), YarnTarget::PerJob);
        let spec = JobSpec::jar(
            &format!("per-job-tick-{}", std::process::id()),
            &jar,
            Some("io.streampark.it.TickJob"),
            vec![],
        )
        .unwrap();
        let job = spec.id.clone();
        let dep = d
            .deploy(DeployRequest::new(spec, 1))
            .await
            .expect("per-job deploy");
        let snap = d
            .wait_for(&dep.id, &[JobState::Running], Duration::from_secs(240))
            .await
            .expect("the per-job application runs");
        assert_eq!(snap.job, job);
        // Per-job mode: the application's YARN tags carry the job and attempt, and the RM
        // lists exactly one application for the job.
        let apps = c
            .rm()
            .apps(&AppQuery::new().with_tag(format!("streampark.job={job}")))
            .await
            .unwrap();
        assert_eq!(apps.len(), 1, "{apps:?}");
        assert!(
            apps[0].tags().contains(&"streampark.attempt=1"),
            "{:?}",
            apps[0]
        );
        let listed = d.list(&Selector::Job(job.clone())).await.unwrap();
        assert_eq!(listed.len(), 1);
        let sp = d
            .savepoint(&dep.id, SavepointOptions::default())
            .await
            .expect("a savepoint of a per-job application");
        assert!(sp.path.contains("/streampark/savepoints"), "{sp:?}");
        let out = d
            .stop(&dep.id, StopOptions::savepoint_default_dir())
            .await
            .expect("stop with a savepoint");
        assert!(
            matches!(&out, StopOutcome::Stopped { savepoint: Some(_) }),
            "{out:?}"
        );
        let end = d
            .wait_for(
                &dep.id,
                &[JobState::Finished, JobState::Canceled],
                Duration::from_secs(120),
            )
            .await
            .unwrap();
        assert!(end.state.is_terminal(), "{end:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn per_job_on_flink_2_is_refused_before_anything_is_submitted() {
        let Some(c) = cluster() else { return };
        let home = flink_home();
        assert!(home.version().major() >= 2);
        // With the version known, the builder refuses it…
        let err = YarnDeployer::builder()
            .with_rm_urls(c.rms.clone())
            .with_flink_version(home.version().to_string())
            .with_submitter(c.submitter(&home))
            .with_target(YarnTarget::PerJob)
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidConfig { key, .. } if key == "with_target"),
            "{err:?}"
        );
        // …and without it the CLI submitter does, by its home's version.
        let d = YarnDeployer::builder()
            .with_rm_urls(c.rms.clone())
            .with_user(c.user.clone())
            .with_submitter(c.submitter(&home))
            .with_target(YarnTarget::PerJob)
            .build()
            .unwrap();
        let jar = std::env::temp_dir().join("per-job-refused.jar");
        std::fs::write(&jar, b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0").unwrap();
        let spec = JobSpec::jar(
            "per-job-refused",
            jar.to_str().unwrap(),
            Some("io.streampark.it.TickJob"),
            vec![],
        )
        .unwrap();
        let job = spec.id.clone();
        let err = d.deploy(DeployRequest::new(spec, 1)).await.unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
        let apps = c
            .rm()
            .apps(&AppQuery::new().with_tag(format!("streampark.job={job}")))
            .await
            .unwrap();
        assert!(apps.is_empty(), "nothing reaches YARN: {apps:?}");
    }
}

/// The active ResourceManager made standby mid-run.
mod failover {
    use super::*;
    use streampark_core::{
        DeployRequest, Deployer, DeployerExt, JobSpec, JobState, LogOptions, SavepointOptions,
        Selector, StopOptions, StopOutcome,
    };
    use streampark_yarn::rm::{AppQuery, HaState};

    fn yarn_local(cmd: &str) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/yarn-local");
        let out = std::process::Command::new(script)
            .arg(cmd)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "yarn-local {cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    async fn active(rm: &ResourceManagerClient) -> url::Url {
        let infos = rm.cluster_infos().await;
        let act: Vec<url::Url> = infos
            .iter()
            .filter(|(_, i)| {
                i.as_ref()
                    .is_ok_and(|i| i.ha_state == Some(HaState::Active))
            })
            .map(|(u, _)| u.clone())
            .collect();
        assert_eq!(act.len(), 1, "exactly one active RM: {infos:?}");
        act[0].clone()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn list_inspect_savepoint_and_stop_work_across_a_failover() {
        let Some(c) = cluster() else { return };
        let Some(jar) = var("STREAMPARK_IT_TEST_JAR") else {
            eprintln!("skipped: STREAMPARK_IT_TEST_JAR is not set");
            return;
        };
        let home = flink_home();
        c.sync(&home).await;
        let d = c.deployer(&home, c.submitter(&home), YarnTarget::Application);
        let rm = c.rm();
        // Start from rm0 active, whatever an interrupted earlier run left.
        if active(&rm).await != c.rms[0] {
            yarn_local("failover");
        }
        let spec = JobSpec::jar(
            &format!("failover-tick-{}", std::process::id()),
            &jar,
            Some("io.streampark.it.TickJob"),
            vec![],
        )
        .unwrap();
        let job = spec.id.clone();
        let dep = d.deploy(DeployRequest::new(spec, 1)).await.expect("deploy");
        d.wait_for(&dep.id, &[JobState::Running], Duration::from_secs(180))
            .await
            .expect("running");
        // Its tasks run (a checkpoint completed) before the RM changes.
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while d
            .inspect(&dep.id)
            .await
            .expect("inspect")
            .checkpoints_completed
            == 0
        {
            assert!(
                std::time::Instant::now() < deadline,
                "no checkpoint completed"
            );
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let before = active(&rm).await;
        yarn_local("failover");
        let after = active(&rm).await;
        assert_ne!(before, after, "the other RM is active now");

        let by_tag = AppQuery::new().with_tag(format!("streampark.job={job}"));
        let listed = d.list(&Selector::Job(job.clone())).await.expect("list");
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0].deployment, dep.id);
        // The application master re-registers with the new RM; until then the proxy may refuse.
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        let details = loop {
            match d.inspect(&dep.id).await {
                Ok(x) if x.snapshot.state == JobState::Running => break x,
                other => {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "inspect after the failover: {other:?}"
                    );
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        assert_eq!(details.snapshot.job, job);
        let sp = d
            .savepoint(&dep.id, SavepointOptions::default())
            .await
            .expect("savepoint after the failover");
        assert!(!sp.path.is_empty());
        let out = d
            .stop(&dep.id, StopOptions::savepoint_default_dir())
            .await
            .expect("stop after the failover");
        assert!(
            matches!(&out, StopOutcome::Stopped { savepoint: Some(_) }),
            "{out:?}"
        );
        d.wait_for(
            &dep.id,
            &[JobState::Finished, JobState::Canceled],
            Duration::from_secs(120),
        )
        .await
        .unwrap();
        let apps = rm.apps(&by_tag).await.unwrap();
        assert_eq!(apps.len(), 1, "submitted once: {apps:?}");

        // The ended application's AM container log, from the NodeManager.
        let logs = d
            .logs(&dep.id, LogOptions::default().with_max_bytes(8 << 20))
            .await
            .expect("the AM container log of an ended application");
        assert_eq!(logs.name, "jobmanager.log");
        assert!(
            logs.content.contains("YarnApplicationClusterEntryPoint"),
            "{}",
            &logs.content[logs.content.len().saturating_sub(2000)..]
        );
        yarn_local("failover");
        assert_eq!(active(&rm).await, before);
    }
}

/// Calls per tick, measured from outside: a counting HTTP proxy in front of the real RM.
mod calls_per_tick {
    use super::*;
    use std::sync::Mutex;

    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    use axum::response::{IntoResponse, Response};
    use streampark_core::store::MemoryStore;
    use streampark_core::supervisor::Supervisor;
    use streampark_core::{Deployer, JobSpec, JobState, Selector, StopOptions};

    #[derive(Clone)]
    struct Proxy {
        upstream: url::Url,
        http: reqwest::Client,
        seen: Arc<Mutex<Vec<String>>>,
    }

    /// Forwards every request to the active RM as it is (no redirect followed), recording
    /// `METHOD path`.
    async fn forward(
        State(p): State<Proxy>,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        p.seen
            .lock()
            .unwrap()
            .push(format!("{method} {}", uri.path()));
        let target = p
            .upstream
            .join(
                uri.path_and_query()
                    .map_or("/", |x| x.as_str())
                    .trim_start_matches('/'),
            )
            .unwrap();
        let mut req = p.http.request(method, target).body(body);
        for (k, v) in &headers {
            if k != "host" {
                req = req.header(k, v);
            }
        }
        match req.send().await {
            Ok(r) => {
                let status = r.status();
                let mut h = HeaderMap::new();
                for (k, v) in r.headers() {
                    if k != "transfer-encoding" && k != "content-length" {
                        h.insert(k.clone(), v.clone());
                    }
                }
                let bytes = r.bytes().await.unwrap_or_default();
                (status, h, bytes).into_response()
            }
            Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_rm_call_per_tick_with_five_jobs_running() {
        let Some(c) = cluster() else { return };
        let home = flink_home();
        c.sync(&home).await;
        let upstream = {
            let rm = c.rm();
            let infos = rm.cluster_infos().await;
            infos
                .into_iter()
                .find(|(_, i)| {
                    i.as_ref()
                        .is_ok_and(|i| i.ha_state == Some(streampark_yarn::rm::HaState::Active))
                })
                .map(|(u, _)| u)
                .expect("an active RM")
        };
        let proxy = Proxy {
            upstream,
            http: streampark_core::spi::http_client_builder()
                .unwrap()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            seen: Arc::new(Mutex::new(Vec::new())),
        };
        let seen = proxy.seen.clone();
        let app = axum::Router::new().fallback(forward).with_state(proxy);
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_url: url::Url = format!("http://{}", l.local_addr().unwrap())
            .parse()
            .unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(l, app).await;
        });

        let through_proxy = Cluster {
            rms: vec![proxy_url],
            ..c.clone()
        };
        let yarn: Arc<dyn Deployer> =
            Arc::new(through_proxy.deployer(&home, c.submitter(&home), YarnTarget::Application));
        let sup = Supervisor::builder(Arc::new(MemoryStore::new()))
            .with_cluster("yarn", yarn.clone())
            .with_parallelism(5)
            .with_deploy_timeout(Duration::from_secs(300))
            .build()
            .unwrap();
        let pid = std::process::id();
        let mut jobs = Vec::new();
        for i in 0..5 {
            let spec = JobSpec::sql(
                &format!("tick-count-{pid}-{i}"),
                "CREATE TABLE s (v INT) WITH ('connector' = 'datagen', 'rows-per-second' = '1');\n\
                 CREATE TABLE k (v INT) WITH ('connector' = 'blackhole');\n\
                 INSERT INTO k SELECT v FROM s;\n",
            )
            .unwrap();
            jobs.push(spec.id.clone());
            sup.manage(spec).await.unwrap();
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(600);
        loop {
            sup.tick().await.expect("tick");
            let views = sup.jobs().await;
            let running = views
                .iter()
                .filter(|v| v.state == Some(JobState::Running))
                .count();
            if running == 5 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "not all five jobs ran: {views:?}"
            );
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        // Steady state: every tick asks the RM once, for the cluster's whole list.
        sup.tick().await.unwrap();
        seen.lock().unwrap().clear();
        let ticks = 5;
        for _ in 0..ticks {
            sup.tick().await.unwrap();
        }
        let calls = seen.lock().unwrap().clone();
        assert_eq!(calls.len(), ticks, "one RM call per tick: {calls:#?}");
        assert!(
            calls.iter().all(|c| c == "GET /ws/v1/cluster/apps"),
            "only the list of applications: {calls:#?}"
        );
        let views = sup.jobs().await;
        assert!(
            views
                .iter()
                .all(|v| v.state == Some(JobState::Running) && v.attempt == 1),
            "{views:?}"
        );
        drop(sup);
        for snap in yarn.list(&Selector::All).await.unwrap() {
            if jobs.contains(&snap.job) {
                let _ = yarn.stop(&snap.deployment, StopOptions::cancel()).await;
            }
        }
    }
}

/// Applications that end between two looks: the exact terminal state and YARN's reason, never
/// Unknown or Lost.
mod ended_between_ticks {
    use super::*;
    use streampark_core::{
        DeployRequest, Deployer, DeployerExt, JobSnapshot, JobSpec, JobState, Selector,
    };

    /// Polls `list` (what a supervisor tick reads) every 5 s until the job's application is
    /// terminal.
    async fn terminal(d: &YarnDeployer, spec: &JobSpec) -> JobSnapshot {
        let deadline = std::time::Instant::now() + Duration::from_secs(240);
        loop {
            let listed = d.list(&Selector::Job(spec.id.clone())).await.unwrap();
            assert!(listed.len() <= 1, "{listed:?}");
            if let Some(s) = listed.into_iter().next()
                && s.state.is_terminal()
            {
                return s;
            }
            assert!(std::time::Instant::now() < deadline, "never ended");
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_bounded_job_finishes_and_a_killed_one_is_canceled_with_yarns_reason() {
        let Some(c) = cluster() else { return };
        let home = flink_home();
        c.sync(&home).await;
        let d = c.deployer(&home, c.submitter(&home), YarnTarget::Application);
        let pid = std::process::id();

        // A bounded job ends by itself between two looks.
        let bounded = JobSpec::sql(
            &format!("bounded-{pid}"),
            "CREATE TABLE s (v INT) WITH ('connector' = 'datagen', 'number-of-rows' = '50');\n\
             CREATE TABLE k (v INT) WITH ('connector' = 'blackhole');\n\
             INSERT INTO k SELECT v FROM s;\n",
        )
        .unwrap();
        d.deploy(DeployRequest::new(bounded.clone(), 1))
            .await
            .unwrap();
        let s = terminal(&d, &bounded).await;
        assert_eq!(s.state, JobState::Finished, "{s:?}");
        assert!(s.end_time_ms.is_some(), "{s:?}");
        let details = d.inspect(&s.deployment).await.unwrap();
        assert_eq!(details.snapshot.state, JobState::Finished);

        // A job killed from outside the SDK (`yarn application -kill`): Canceled, with YARN's words.
        let killed = JobSpec::sql(
            &format!("killed-{pid}"),
            "CREATE TABLE s (v INT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');\n\
             CREATE TABLE k (v INT) WITH ('connector' = 'blackhole');\n\
             INSERT INTO k SELECT v FROM s;\n",
        )
        .unwrap();
        let dep = d
            .deploy(DeployRequest::new(killed.clone(), 1))
            .await
            .unwrap();
        d.wait_for(&dep.id, &[JobState::Running], Duration::from_secs(180))
            .await
            .unwrap();
        c.rm()
            .kill(dep.id.as_str())
            .await
            .expect("killed through the RM");
        let s = terminal(&d, &killed).await;
        assert_eq!(s.state, JobState::Canceled, "{s:?}");
        let reason = s.reason.clone().unwrap_or_default();
        assert!(
            reason.contains("killed by user"),
            "YARN's diagnostics: {s:?}"
        );
        let details = d.inspect(&dep.id).await.unwrap();
        assert_eq!(details.snapshot.state, JobState::Canceled);
        assert!(
            details
                .snapshot
                .reason
                .is_some_and(|r| r.contains("killed by user"))
        );
    }
}
