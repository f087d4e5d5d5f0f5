//! The example platform on a real Flink cluster, through its HTTP API: a checkpointing SQL job
//! (its own checkpoint interval, on a stock cluster) is deployed over HTTP; its TaskManager is
//! killed (Flink's own restart strategy is off); once a TaskManager is back there is exactly one
//! new Flink job, restored from the first job's latest checkpoint, and the HTTP events and
//! status show it. A platform restarted on the same database adopts the job and submits
//! nothing.
//!
//! Runs when `STREAMPARK_IT_FLINK_URL`, `STREAMPARK_IT_FLINK_STATE` (the scripts/flink-local
//! instance directory) and `FLINK_HOME` are set, as `scripts/ci-engine.sh` does; otherwise
//! prints "skipped" and passes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use streampark::platform::Platform;
use streampark::store::{SqliteStore, StateStore};
use streampark::{Deployer, JobId, RemoteDeployer, Selector};
use streampark_examples::platform_api::{Tokens, router};

const SQL: &str = "CREATE TABLE src (v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20');\n\
CREATE TABLE snk (v BIGINT) WITH ('connector' = 'blackhole');\n\
INSERT INTO snk SELECT v FROM src;\n";

#[path = "../../streampark-core/tests/flink_support/mod.rs"]
mod flink_support;
use flink_support::{kill_taskmanagers, start_taskmanager, wait_until};

/// A platform process: the platform on the database, its engine running, its API served.
struct Host {
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    engine: tokio::task::JoinHandle<streampark::Result<()>>,
    server: tokio::task::JoinHandle<()>,
}

impl Host {
    async fn start(url: &str, db: &Path) -> Host {
        let flink = RemoteDeployer::builder()
            .with_url(url)
            .with_request_timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let version = flink.flink_version().await.unwrap();
        // Beside the real cluster, a simulated older one: jobs are placed by their requirement.
        let legacy = streampark::testkit::SimDeployer::builder()
            .with_startup_delay(Duration::from_millis(10))
            .build();
        let platform = Platform::builder()
            .with_cluster_version("legacy", Arc::new(legacy), "1.17.2".parse().unwrap())
            .with_cluster_version("flink", Arc::new(flink), version)
            .with_store(Arc::new(SqliteStore::open(db).await.unwrap()))
            .with_engine_id("host-a")
            .with_tick(Duration::from_secs(1))
            .with_start_wait(Duration::from_secs(120))
            .with_admin("root")
            .build()
            .await
            .unwrap();
        let tokens = Tokens::parse("t-root=root,t-ann=ann").unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let engine = {
            let p = platform.clone();
            tokio::spawn(async move {
                p.run(async {
                    let _ = rx.await;
                })
                .await
            })
        };
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router(platform, tokens)).await;
        });
        Host {
            base: format!("http://{addr}"),
            stop,
            engine,
            server,
        }
    }

    /// Stops the process: the engine and the API, not the jobs.
    async fn stop(self) {
        let _ = self.stop.send(());
        self.engine.await.unwrap().unwrap();
        self.server.abort();
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.try_call(method, path, body).await;
        assert!(status < 400, "{method} {path}: {status} {v}");
        v
    }

    async fn try_call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let http = streampark::spi::http_client(Duration::from_secs(180)).unwrap();
        let url = format!("{}{path}", self.base);
        let token = if path.starts_with("/teams") || path.starts_with("/users") {
            "t-root"
        } else {
            "t-ann"
        };
        let mut req = match method {
            "GET" => http.get(&url),
            _ => http.post(&url),
        }
        .bearer_auth(token)
        .timeout(Duration::from_secs(180));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        (status, v)
    }

    async fn status(&self, job: &str) -> Value {
        self.call("GET", &format!("/jobs/{job}/status"), None).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taskmanager_killed_under_a_governed_job_restarts_it_once_from_its_checkpoint() {
    let (Ok(url), Ok(state), Ok(home)) = (
        std::env::var("STREAMPARK_IT_FLINK_URL"),
        std::env::var("STREAMPARK_IT_FLINK_STATE"),
        std::env::var("FLINK_HOME"),
    ) else {
        eprintln!(
            "skipped: STREAMPARK_IT_FLINK_URL, STREAMPARK_IT_FLINK_STATE or FLINK_HOME not set"
        );
        return;
    };
    let state = PathBuf::from(state);
    let dir = std::env::temp_dir().join(format!("sp-pf-flink-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("platform.db");
    let job = format!("pf-tm-{}", std::process::id());
    let id = JobId::new(&job).unwrap();
    let flink = RemoteDeployer::builder().with_url(&url).build().unwrap();

    let a = Host::start(&url, &db).await;
    a.call("POST", "/teams", Some(json!({"id": "ads"}))).await;
    a.call("POST", "/users", Some(json!({"id": "ann"}))).await;
    a.call(
        "POST",
        "/teams/ads/members",
        Some(json!({"user": "ann", "role": "developer"})),
    )
    .await;
    // The job asks for its own checkpoints: the cluster's configuration enables none.
    let spec = json!({
        "id": job,
        "program": {"type": "sql", "script": SQL},
        "owner": {"team": "ads"},
        "config": {"execution.checkpointing.interval": "2s"},
        "flink_version": ">=2.0",
    });
    a.call(
        "POST",
        "/jobs",
        Some(json!({"spec": spec, "message": "v1"})),
    )
    .await;
    // A 1.x job lands on the older cluster; SQL only 2.x accepts is refused for it.
    let legacy = format!("{job}-legacy");
    let old = json!({"id": legacy, "program": {"type": "sql", "script": SQL},
                     "owner": {"team": "ads"}, "flink_version": "1.x"});
    a.call("POST", "/jobs", Some(json!({"spec": old, "message": "v1"})))
        .await;
    let dl = a
        .call("POST", &format!("/jobs/{legacy}/deploy"), None)
        .await;
    assert_eq!(dl["cluster"], "legacy", "{dl}");
    a.call(
        "POST",
        &format!("/jobs/{legacy}/stop"),
        Some(json!({"cancel": true})),
    )
    .await;
    let newer = format!(
        "{SQL}CREATE MATERIALIZED TABLE m FRESHNESS = INTERVAL '1' MINUTE AS SELECT v FROM src;\n"
    );
    let bad = json!({"id": format!("{job}-mt"), "program": {"type": "sql", "script": newer},
                     "owner": {"team": "ads"}, "flink_version": "1.x"});
    let (st, e) = a
        .try_call("POST", "/jobs", Some(json!({"spec": bad, "message": "v1"})))
        .await;
    assert_eq!(st, 400, "{e}");
    assert!(
        e["message"].as_str().unwrap_or("").contains("Flink 1.17"),
        "{e}"
    );
    let d1 = a.call("POST", &format!("/jobs/{job}/deploy"), None).await;
    assert_eq!(d1["attempt"], 1, "{d1}");
    assert_eq!(
        d1["cluster"], "flink",
        "the >=2.0 job lands on the real 2.x cluster: {d1}"
    );
    let dep1 = streampark::DeploymentId::new(d1["deployment"].as_str().unwrap());
    wait_until("attempt 1 running", Duration::from_secs(120), || async {
        let s = a.status(&job).await;
        s["attempt"] == 1 && s["state"] == "RUNNING"
    })
    .await;
    wait_until(
        "two completed checkpoints",
        Duration::from_secs(90),
        || async {
            flink
                .inspect(&dep1)
                .await
                .is_ok_and(|d| d.checkpoints_completed >= 2)
        },
    )
    .await;

    kill_taskmanagers(&state);
    let store = SqliteStore::open(&db).await.unwrap();
    wait_until("attempt 1 ended", Duration::from_secs(240), || async {
        store
            .attempts(&id)
            .await
            .unwrap()
            .first()
            .is_some_and(|x| x.status == streampark::store::AttemptStatus::Ended)
    })
    .await;
    let latest = flink.inspect(&dep1).await.unwrap().latest_checkpoint;
    start_taskmanager(Path::new(&home), &state);

    wait_until("attempt 2 running", Duration::from_secs(300), || async {
        let s = a.status(&job).await;
        s["attempt"] == 2 && s["state"] == "RUNNING"
    })
    .await;
    // Exactly one new Flink job, restored from the first one's latest checkpoint.
    let on_flink = flink.list(&Selector::Job(id.clone())).await.unwrap();
    assert_eq!(on_flink.len(), 2, "{on_flink:?}");
    assert_eq!(on_flink.iter().filter(|s| s.state.is_live()).count(), 1);
    let attempts = store.attempts(&id).await.unwrap();
    assert_eq!(attempts.len(), 2, "exactly one resubmission: {attempts:?}");
    let restored = attempts[1].restore_from.clone().expect("restored");
    assert!(
        restored.contains(dep1.as_str()) && restored.contains("chk-"),
        "{restored}"
    );
    if let Some(cp) = latest {
        assert_eq!(
            restored.trim_start_matches("file:").trim_start_matches('/'),
            cp.path.trim_start_matches("file:").trim_start_matches('/'),
        );
    }
    let dep2 = attempts[1].deployment.clone().unwrap();
    wait_until(
        "Flink reports the restore",
        Duration::from_secs(60),
        || async {
            flink
                .inspect(&dep2)
                .await
                .is_ok_and(|d| d.restored_from.is_some())
        },
    )
    .await;
    // The HTTP event log shows the failure and the restart.
    let events = a.call("GET", &format!("/jobs/{job}/events"), None).await;
    let kinds: Vec<(u64, String)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["attempt"].as_u64().unwrap(),
                e["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(kinds.contains(&(1, "failed".into())), "{kinds:?}");
    assert!(kinds.contains(&(2, "started".into())), "{kinds:?}");

    // The platform process restarts on the same database: it adopts, submits nothing.
    a.stop().await;
    let b = Host::start(&url, &db).await;
    tokio::time::sleep(Duration::from_secs(15)).await;
    let s = b.status(&job).await;
    assert_eq!(
        (s["attempt"].as_u64(), s["state"].as_str()),
        (Some(2), Some("RUNNING"))
    );
    assert_eq!(
        store.attempts(&id).await.unwrap().len(),
        2,
        "nothing new submitted"
    );
    let on_flink = flink.list(&Selector::Job(id.clone())).await.unwrap();
    assert_eq!(on_flink.len(), 2, "{on_flink:?}");
    b.call(
        "POST",
        &format!("/jobs/{job}/stop"),
        Some(json!({"cancel": true})),
    )
    .await;
    b.stop().await;
    std::fs::remove_dir_all(&dir).ok();
}
