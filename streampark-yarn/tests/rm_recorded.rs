//! Answers of a real Hadoop 3.4.2 (two ResourceManagers in HA, a NodeManager, a NameNode and a
//! DataNode started by `scripts/yarn-local`, Flink 2.3 applications submitted with the real
//! CLI), recorded by `scripts/record-yarn-fixtures` into `tests/fixtures/real-hadoop-3.4.2`.
//! No server has to run:
//!
//! - each recorded answer is served as recorded (status, Content-Type, `Location`, body) and
//!   the SDK's clients must read it into the right typed values;
//! - the simulator (`streampark_yarn::testkit`, feature `testkit`) is put into the states of
//!   the recording and must answer each request with the same status, the same kind of
//!   content and the same JSON shape (same keys, same value types, recursively), but for the
//!   short list of `ALLOWED` differences.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use streampark_core::{Deployer, Error, JobState, LogOptions, Selector};
use streampark_yarn::hdfs::{FileKind, WebHdfsClient};
use streampark_yarn::rm::{AppQuery, AppState, FinalStatus, HaState, ResourceManagerClient};
use streampark_yarn::{Submitter, YarnDeployer, YarnSubmission};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/real-hadoop-3.4.2"
);

// ---------------------------------------------------------------------------------------------
// The recorded answers

/// One recorded answer and the request that got it (`index.json`).
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "testkit"), allow(dead_code))]
struct Fixture {
    name: String,
    /// `rm-active`, `rm-standby`, `nodemanager`, `namenode` or `datanode`.
    server: String,
    method: Method,
    /// Path template (`/ws/v1/cluster/apps/{app}`).
    path: String,
    query: String,
    accept: String,
    request_body: Option<Value>,
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    body: String,
}

impl Fixture {
    #[cfg_attr(not(feature = "testkit"), allow(dead_code))]
    fn is_json(&self) -> bool {
        self.content_type
            .as_deref()
            .is_some_and(|c| c.contains("json"))
            && serde_json::from_str::<Value>(&self.body).is_ok()
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("fixture {}: not JSON: {e}", self.name))
    }
    /// The `op` WebHDFS parameter of the request, if any.
    fn op(&self) -> Option<String> {
        query_param(&self.query, "op")
    }
}

fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| v.to_string())
    })
}

fn fixtures() -> &'static BTreeMap<String, Fixture> {
    static ALL: OnceLock<BTreeMap<String, Fixture>> = OnceLock::new();
    ALL.get_or_init(|| {
        let index = std::fs::read_to_string(format!("{DIR}/index.json")).expect("index.json");
        let index: Value = serde_json::from_str(&index).expect("index.json is JSON");
        assert_eq!(
            index["hadoop_version"], "3.4.2",
            "recorded from Hadoop 3.4.2"
        );
        let answers = index["answers"].as_object().expect("index.json: answers");
        let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        answers
            .iter()
            .map(|(name, e)| {
                let file = s(e, "file").expect("file");
                let body = std::fs::read_to_string(format!("{DIR}/{file}"))
                    .unwrap_or_else(|err| panic!("{file}: {err}"));
                let f = Fixture {
                    name: name.clone(),
                    server: s(e, "server").expect("server"),
                    method: s(e, "method").expect("method").parse().expect("a method"),
                    path: s(e, "path").expect("path"),
                    query: s(e, "query").unwrap_or_default(),
                    accept: s(e, "request_accept").unwrap_or_else(|| "application/json".into()),
                    request_body: e.get("request_body").cloned(),
                    status: e["status"].as_u64().expect("status") as u16,
                    content_type: s(e, "content_type"),
                    location: s(e, "location"),
                    body,
                };
                (name.clone(), f)
            })
            .collect()
    })
}

fn fixture(name: &str) -> &'static Fixture {
    fixtures()
        .get(name)
        .unwrap_or_else(|| panic!("no fixture {name} in {DIR}/index.json"))
}

/// The values of the path templates' variables in the recording (`{app}` …).
fn recorded_ids() -> BTreeMap<&'static str, String> {
    let id = |name: &str| {
        fixture(name).json()["app"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let at = &fixture("appattempts_running").json()["appAttempts"]["appAttempt"][0];
    BTreeMap::from([
        ("app", id("app_running")),
        ("app2", id("app_failed")),
        ("app3", id("app_killed_no_user")),
        ("attempt", at["appAttemptId"].as_str().unwrap().to_string()),
        ("container", at["containerId"].as_str().unwrap().to_string()),
    ])
}

fn fill(template: &str, ids: &BTreeMap<&str, String>) -> String {
    let mut s = template.to_string();
    for (k, v) in ids {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

// ---------------------------------------------------------------------------------------------
// (a) The recorded answers, served as recorded

/// A server answering requests with recorded answers, chosen by method, path and WebHDFS `op`.
/// Placeholder addresses (`NM_HOST:PORT` …) can be replaced by the address of another replay
/// server, so that the links the clients follow lead somewhere.
#[derive(Default)]
struct Replay {
    routes: Mutex<Vec<Route>>,
    subst: Mutex<Vec<(String, String)>>,
    /// Every request: method, path and query, body.
    seen: Mutex<Vec<(Method, String, Vec<u8>)>>,
}

struct Route {
    method: Method,
    path: String,
    op: Option<String>,
    /// Answered in turn; the last one again and again.
    answers: Vec<&'static Fixture>,
    served: usize,
}

impl Replay {
    /// Serves the fixtures at their recorded method, path and op (a later route for the same
    /// request replaces an earlier one).
    fn set(&self, names: &[&str]) {
        let ids = recorded_ids();
        let mut routes = self.routes.lock().unwrap();
        for name in names {
            let f = fixture(name);
            let path = fill(&f.path, &ids);
            routes.retain(|r| !(r.method == f.method && r.path == path && r.op == f.op()));
            routes.push(Route {
                method: f.method.clone(),
                path,
                op: f.op(),
                answers: vec![f],
                served: 0,
            });
        }
    }
    /// Serves `names` in turn for the request of the first one.
    fn sequence(&self, names: &[&str]) {
        self.set(&names[..1]);
        let mut routes = self.routes.lock().unwrap();
        if let Some(r) = routes.last_mut() {
            r.answers = names.iter().map(|n| fixture(n)).collect();
        }
    }
    /// Serves `name` for another path.
    fn set_at(&self, name: &str, path: &str) {
        let f = fixture(name);
        self.routes.lock().unwrap().push(Route {
            method: f.method.clone(),
            path: path.to_string(),
            op: f.op(),
            answers: vec![f],
            served: 0,
        });
    }
    fn substitute(&self, placeholder: &str, addr: &str) {
        self.subst
            .lock()
            .unwrap()
            .push((placeholder.to_string(), addr.to_string()));
    }
    fn seen(&self) -> Vec<(Method, String, Vec<u8>)> {
        self.seen.lock().unwrap().clone()
    }
}

async fn replay_handler(
    State(r): State<Arc<Replay>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    r.seen
        .lock()
        .unwrap()
        .push((method.clone(), pq.to_string(), body.to_vec()));
    let op = uri.query().and_then(|q| query_param(q, "op"));
    let f = {
        let mut routes = r.routes.lock().unwrap();
        let Some(route) = routes.iter_mut().rev().find(|rt| {
            rt.method == method && rt.path == uri.path() && (rt.op.is_none() || rt.op == op)
        }) else {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("no recorded answer for {method} {pq}"),
            )
                .into_response();
        };
        let f = route.answers[route.served.min(route.answers.len() - 1)];
        route.served += 1;
        f
    };
    let subst = r.subst.lock().unwrap().clone();
    let put = |s: &str| {
        subst
            .iter()
            .fold(fill(s, &recorded_ids()), |s, (from, to)| {
                s.replace(from, to)
            })
    };
    let mut resp = (StatusCode::from_u16(f.status).unwrap(), put(&f.body)).into_response();
    let h = resp.headers_mut();
    h.remove(header::CONTENT_TYPE);
    if let Some(ct) = &f.content_type {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
    }
    if let Some(loc) = &f.location {
        h.insert(header::LOCATION, HeaderValue::from_str(&put(loc)).unwrap());
    }
    resp
}

/// A replay server on a free port: its state and its base URL.
async fn replay() -> (Arc<Replay>, url::Url) {
    let r = Arc::new(Replay::default());
    let app = Router::new().fallback(replay_handler).with_state(r.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (r, format!("http://{addr}").parse().unwrap())
}

fn host_port(u: &url::Url) -> String {
    format!("{}:{}", u.host_str().unwrap(), u.port().unwrap())
}

fn rm_client(urls: Vec<url::Url>, user: Option<&str>) -> ResourceManagerClient {
    ResourceManagerClient::builder()
        .with_urls(urls)
        .with_user(user.map(str::to_string))
        .with_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

const APP_FIXTURES_RUNNING: &[&str] = &[
    "cluster_info_active",
    "apps_running",
    "app_running",
    "app_state_running",
    "appattempts_running",
    "containers_running",
];

#[tokio::test]
async fn cluster_info_of_the_active_and_the_standby_rm() {
    let (active, a_url) = replay().await;
    let (standby, s_url) = replay().await;
    active.set(&["cluster_info_active"]);
    standby.set(&["cluster_info_standby"]);
    let c = rm_client(vec![s_url.clone(), a_url.clone()], Some("flink"));
    let infos = c.cluster_infos().await;
    let standby_info = infos[0].1.as_ref().unwrap();
    let active_info = infos[1].1.as_ref().unwrap();
    assert_eq!(standby_info.ha_state, Some(HaState::Standby));
    assert_eq!(active_info.ha_state, Some(HaState::Active));
    assert_eq!(
        (
            active_info.hadoop_version.as_str(),
            active_info.resource_manager_version.as_str(),
            active_info.state.as_str()
        ),
        ("3.4.2", "3.4.2", "STARTED")
    );
    assert!(active_info.started_on > 0 && active_info.id > 0);
    assert_eq!(c.active().await.unwrap(), a_url);
}

#[tokio::test]
async fn a_standby_redirect_makes_the_client_find_the_active_rm() {
    let (first, f_url) = replay().await;
    let (second, s_url) = replay().await;
    first.set(&["cluster_info_active", "apps_running"]);
    second.set(&["cluster_info_standby", "apps_standby_redirect"]);
    let c = rm_client(vec![f_url.clone(), s_url.clone()], Some("flink"));
    let q = AppQuery::new()
        .with_tag("streampark")
        .with_type("Apache Flink");
    assert_eq!(c.apps(&q).await.unwrap().len(), 1);
    // Failover: the first RM is a standby now and redirects; the client probes and retries.
    first.set(&["cluster_info_standby", "apps_standby_redirect"]);
    second.set(&["cluster_info_active", "apps_running"]);
    let apps = c.apps(&q).await.unwrap();
    assert_eq!(apps[0].state, AppState::Running);
    assert_eq!(c.active().await.unwrap(), s_url);
    let redirected = first
        .seen()
        .iter()
        .filter(|(m, p, _)| m == Method::GET && p.starts_with("/ws/v1/cluster/apps?"))
        .count();
    assert_eq!(redirected, 2, "one answered, one redirected");
    // A client that knows only the standby does not follow the redirect blindly.
    let only_standby = rm_client(vec![f_url], Some("flink"));
    let e = only_standby.apps(&q).await.unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
}

#[tokio::test]
async fn applications_running_killed_failed_and_unknown() {
    let ids = recorded_ids();
    let (rm, url) = replay().await;
    rm.set(APP_FIXTURES_RUNNING);
    let c = rm_client(vec![url], Some("flink"));
    let q = AppQuery::new()
        .with_tag("streampark")
        .with_type("Apache Flink");

    let apps = c.apps(&q).await.unwrap();
    assert_eq!(apps.len(), 1);
    let a = &apps[0];
    assert_eq!(a.id, ids["app"]);
    assert_eq!(
        (a.state, a.final_status),
        (AppState::Running, FinalStatus::Undefined)
    );
    assert_eq!(
        a.tags(),
        [
            "streampark",
            "streampark.attempt=1",
            "streampark.job=recorded"
        ]
    );
    assert_eq!(a.name, "Recorded [streampark:recorded:1]");
    assert_eq!(
        a.queue, "root.streaming",
        "the RM names the queue by its path"
    );
    assert_eq!(a.application_type, "Apache Flink");
    assert_eq!(
        a.tracking_url.as_deref(),
        Some(format!("http://RM_HOST:PORT/proxy/{}/", a.id).as_str())
    );
    assert_eq!(a.am_rpc_address.as_deref(), Some("AM_HOST:PORT"));
    assert_eq!(a.am_host_http_address.as_deref(), Some("NM_HOST:PORT"));
    assert!(a.started_time > 0 && a.finished_time == 0);
    assert_eq!(&c.app(&ids["app"]).await.unwrap(), a);
    assert_eq!(c.app_state(&ids["app"]).await.unwrap(), AppState::Running);

    rm.set(&["apps_killed", "app_killed", "app_state_killed"]);
    let k = c.app(&ids["app"]).await.unwrap();
    assert_eq!(
        (k.state, k.final_status),
        (AppState::Killed, FinalStatus::Killed)
    );
    assert_eq!(
        k.am_rpc_address, None,
        "an ended application has no AM address"
    );
    assert_eq!(
        k.tracking_url.as_deref(),
        Some(format!("http://RM_HOST:PORT/cluster/app/{}", k.id).as_str()),
        "an ended application's tracking URL is the RM's page of it"
    );
    assert!(
        k.diagnostics.contains("was killed by user"),
        "{}",
        k.diagnostics
    );
    assert!(k.finished_time > k.started_time);
    assert_eq!(c.app_state(&ids["app"]).await.unwrap(), AppState::Killed);
    assert_eq!(c.apps(&q).await.unwrap()[0].state, AppState::Killed);

    rm.set(&["apps_killed_states"]);
    let none = c
        .apps(
            &AppQuery::new()
                .with_tag("streampark")
                .with_state(AppState::Running),
        )
        .await
        .unwrap();
    assert!(none.is_empty(), "{{\"apps\":{{}}}} is an empty list");
    rm.set(&["apps_empty"]);
    assert!(c.apps(&q).await.unwrap().is_empty());

    rm.set(&["app_failed", "app_state_failed", "apps_all_ended"]);
    let f = c.app(&ids["app2"]).await.unwrap();
    assert_eq!(
        (f.state, f.final_status),
        (AppState::Failed, FinalStatus::Failed)
    );
    assert!(f.diagnostics.contains("exitCode: 1"), "{}", f.diagnostics);
    assert_eq!(c.app_state(&ids["app2"]).await.unwrap(), AppState::Failed);
    let all = c.apps(&q).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|a| a.state.is_terminal()), "{all:?}");

    rm.set(&["app_unknown", "app_state_unknown", "app_malformed_id"]);
    let e = c.app("application_1_0001").await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    let e = c.app_state("application_1_0001").await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    let e = c.app("application_x").await.unwrap_err();
    assert!(
        matches!(&e, Error::InvalidInput { reason, .. } if reason.contains("Invalid ApplicationId")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_kill_is_accepted_then_done() {
    let ids = recorded_ids();
    let (rm, url) = replay().await;
    rm.set(&["cluster_info_active"]);
    rm.sequence(&["kill_accepted", "kill_again"]);
    let c = rm_client(vec![url], Some("flink"));
    assert_eq!(c.kill(&ids["app"]).await.unwrap(), AppState::Killed);
    let puts: Vec<String> = rm
        .seen()
        .iter()
        .filter(|(m, _, _)| m == Method::PUT)
        .map(|(_, _, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert_eq!(puts.len(), 2, "202 (KILLING), then 200 (KILLED)");
    assert!(puts.iter().all(|b| b.contains("\"KILLED\"")), "{puts:?}");
    // The 202's body names a state this SDK does not list: read as Unknown, not an error.
    let body: Value = fixture("kill_accepted").json();
    assert_eq!(
        serde_json::from_value::<AppState>(body["state"].clone()).unwrap(),
        AppState::Unknown,
        "{body}"
    );
    rm.set(&["kill_unknown"]);
    let e = c.kill("application_1_0001").await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
}

#[tokio::test]
async fn attempts_and_containers() {
    let ids = recorded_ids();
    let (rm, url) = replay().await;
    rm.set(&["appattempts_running", "containers_running"]);
    let c = rm_client(vec![url], Some("flink"));
    let at = c.attempts(&ids["app"]).await.unwrap();
    assert_eq!(at.len(), 1);
    assert_eq!(at[0].id, 1);
    assert_eq!(at[0].container_id, ids["container"]);
    assert_eq!(
        at[0].app_attempt_id.as_deref(),
        Some(ids["attempt"].as_str())
    );
    assert_eq!(at[0].app_attempt_state.as_deref(), Some("RUNNING"));
    assert_eq!(at[0].node_http_address, "NM_HOST:PORT");
    for name in ["containers_running", "containers_am_only"] {
        rm.set(&[name]);
        let cs = c.containers(&ids["app"], &ids["attempt"]).await.unwrap();
        let am = cs
            .iter()
            .find(|c| c.container_id == ids["container"])
            .unwrap_or_else(|| panic!("{name}: no AM container in {cs:?}"));
        // Hadoop 3.4 sends the numbers as strings ("1024").
        assert!(
            am.allocated_mb > 0 && am.allocated_v_cores > 0,
            "{name}: {cs:?}"
        );
        assert_eq!(am.container_state, "RUNNING", "{name}");
        assert_eq!(am.node_http_address, "http://NM_HOST:PORT", "{name}");
    }
    assert_eq!(
        fixture("containers_running").json()["container"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "the AM's and the TaskManager's"
    );
    rm.set(&["containers_killed"]);
    assert!(
        c.containers(&ids["app"], &ids["attempt"])
            .await
            .unwrap()
            .is_empty(),
        "an ended attempt has no container: {{}}"
    );
    rm.set(&["appattempts_killed"]);
    let at = c.attempts(&ids["app"]).await.unwrap();
    assert_eq!(at[0].app_attempt_state.as_deref(), Some("KILLED"));
    assert!(at[0].finished_time > at[0].start_time);
    rm.set(&["appattempts_failed"]);
    assert_eq!(
        c.attempts(&ids["app2"]).await.unwrap()[0]
            .app_attempt_state
            .as_deref(),
        Some("FAILED")
    );
}

/// The deployer needs a submitter; nothing is submitted here.
#[derive(Debug)]
struct NoSubmitter;

#[async_trait::async_trait]
impl Submitter for NoSubmitter {
    async fn submit(&self, _: &YarnSubmission) -> streampark_core::Result<String> {
        Err(Error::Unsupported {
            backend: "yarn",
            operation: "submitting (recorded answers only)".into(),
        })
    }
}

#[tokio::test]
async fn the_deployer_reads_recorded_applications_and_container_logs() {
    let ids = recorded_ids();
    let (rm, url) = replay().await;
    let (nm, nm_url) = replay().await;
    rm.substitute("NM_HOST:PORT", &host_port(&nm_url));
    nm.set(&["containerlogs_killed_text"]);
    rm.set(&["cluster_info_active", "apps_running"]);
    let yarn = YarnDeployer::builder()
        .with_rm_urls(vec![url])
        .with_user("flink")
        .with_submitter(Arc::new(NoSubmitter))
        .build()
        .unwrap();
    let listed = yarn.list(&Selector::All).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].job.as_str(), listed[0].attempt, listed[0].state),
        ("recorded", 1, JobState::Running)
    );
    assert!(
        listed[0]
            .web_url
            .as_deref()
            .is_some_and(|u| u.ends_with(&format!("/proxy/{}/", ids["app"]))),
        "{listed:?}"
    );

    rm.set(&["app_killed", "appattempts_killed"]);
    let id = streampark_core::DeploymentId::new(ids["app"].clone());
    let d = yarn.inspect(&id).await.unwrap();
    assert_eq!(d.snapshot.state, JobState::Canceled);
    // An ended application's logs come from its AM container on the NodeManager, as text.
    let logs = yarn
        .logs(&id, LogOptions::file("jobmanager.log"))
        .await
        .unwrap();
    assert!(logs.content.starts_with("Container: "), "{}", logs.content);
    assert!(logs.content.contains("LogContents:"), "{}", logs.content);
    assert!(
        logs.content.contains("YarnApplicationClusterEntryPoint"),
        "{}",
        logs.content
    );
    let asked: Vec<String> = nm.seen().into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(
        asked,
        [format!(
            "/ws/v1/node/containerlogs/{}/jobmanager.log",
            ids["container"]
        )]
    );

    // A failed application's failure is YARN's diagnostics when no log names a cause.
    rm.set(&["app_failed", "appattempts_failed"]);
    let d = yarn
        .inspect(&streampark_core::DeploymentId::new(ids["app2"].clone()))
        .await
        .unwrap();
    assert_eq!(d.snapshot.state, JobState::Failed);
    assert!(
        d.failure
            .as_deref()
            .is_some_and(|f| f.contains("exitCode: 1")),
        "{:?}",
        d.failure
    );
}

#[tokio::test]
async fn nodes_and_queues() {
    // The SDK has no reader of /nodes: the recorded shape, for whoever checks readiness.
    let nodes = fixture("nodes").json();
    let list = nodes["nodes"]["node"]
        .as_array()
        .expect("nodes.node is a list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["state"], "RUNNING");
    assert_eq!(list[0]["nodeHTTPAddress"], "NM_HOST:PORT");

    let (rm, url) = replay().await;
    rm.set(&["cluster_info_active", "scheduler"]);
    let c = rm_client(vec![url], Some("flink"));
    let queues = c.queues().await.unwrap();
    let leaves: Vec<(&str, &str, Option<&str>)> = queues
        .iter()
        .filter(|q| q.leaf)
        .map(|q| (q.name.as_str(), q.path.as_str(), q.state.as_deref()))
        .collect();
    assert_eq!(
        leaves,
        [
            ("streaming", "root.streaming", Some("RUNNING")),
            ("default", "root.default", Some("RUNNING"))
        ]
    );
    assert!(queues.iter().any(|q| q.path == "root" && !q.leaf));
}

#[tokio::test]
async fn webhdfs_statuses_errors_and_the_two_step_create() {
    let (nn, nn_url) = replay().await;
    let (dn, dn_url) = replay().await;
    nn.substitute("DN_HOST:PORT", &host_port(&dn_url));
    nn.set(&[
        "webhdfs_mkdirs",
        "webhdfs_create_noredirect",
        "webhdfs_create_redirect",
        "webhdfs_liststatus",
        "webhdfs_liststatus_parent",
        "webhdfs_getfilestatus_dir",
        "webhdfs_getfilestatus_file",
        "webhdfs_getfilestatus_missing",
        "webhdfs_liststatus_missing",
        "webhdfs_mkdirs_over_file",
        "webhdfs_delete_nonempty",
    ]);
    dn.set(&["webhdfs_datanode_create"]);
    dn.set_at(
        "webhdfs_datanode_create",
        "/webhdfs/v1/streampark-recorded/dir/other.txt",
    );
    let h = WebHdfsClient::builder()
        .with_url(nn_url)
        .with_user(Some("flink".into()))
        .build()
        .unwrap();
    let d = "/streampark-recorded";
    h.mkdirs(&format!("{d}/dir")).await.unwrap();
    // The NameNode gets no bytes; the DataNode it names gets them.
    h.create(&format!("{d}/dir/file.txt"), b"recorded\n".to_vec(), true)
        .await
        .unwrap();
    // A NameNode asked without noredirect answers 307: the client follows the Location too.
    h.create(&format!("{d}/dir/other.txt"), b"other\n".to_vec(), true)
        .await
        .unwrap();
    assert!(
        nn.seen().iter().all(|(_, _, b)| b.is_empty()),
        "no body to the NameNode"
    );
    let written: Vec<Vec<u8>> = dn.seen().into_iter().map(|(_, _, b)| b).collect();
    assert_eq!(written, [b"recorded\n".to_vec(), b"other\n".to_vec()]);

    let ls = h.list_status(&format!("{d}/dir")).await.unwrap();
    assert_eq!(ls.len(), 1);
    assert_eq!(
        (ls[0].path_suffix.as_str(), ls[0].kind, ls[0].length),
        ("file.txt", FileKind::File, 9)
    );
    assert!(ls[0].modification_time > 0);
    let parent = h.list_status(d).await.unwrap();
    assert_eq!(
        (parent[0].path_suffix.as_str(), parent[0].kind),
        ("dir", FileKind::Directory)
    );
    let st = h.file_status(&format!("{d}/dir")).await.unwrap().unwrap();
    assert_eq!(
        (st.kind, st.path_suffix.as_str()),
        (FileKind::Directory, "")
    );
    let st = h
        .file_status(&format!("{d}/dir/file.txt"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((st.kind, st.length), (FileKind::File, 9));
    // The missing path: `None` for a status, NotFound for a listing.
    assert_eq!(h.file_status(&format!("{d}/missing")).await.unwrap(), None);
    let e = h.list_status(&format!("{d}/missing")).await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    let e = h.mkdirs(&format!("{d}/dir/file.txt")).await.unwrap_err();
    assert!(e.to_string().contains("Path is not a directory"), "{e}");
    let e = h.delete(d, false).await.unwrap_err();
    assert!(e.to_string().contains("is non empty"), "{e}");
    nn.set(&["webhdfs_delete"]);
    assert!(h.delete(d, true).await.unwrap());
    nn.set(&["webhdfs_delete_missing"]);
    assert!(!h.delete(d, true).await.unwrap());
}

// ---------------------------------------------------------------------------------------------
// (b) The simulator against the recorded answers

/// A difference the comparison accepts, with its reason.
#[cfg(feature = "testkit")]
struct Allowed {
    /// Fixture names it applies to: one name, or a prefix ending in `*`.
    fixtures: &'static str,
    what: Allowance,
    reason: &'static str,
}

#[cfg(feature = "testkit")]
enum Allowance {
    /// The simulator omits this key (at any depth).
    MissingKey(&'static str),
    /// The simulator omits keys whose recorded value is an object (details it does not model).
    MissingObjectKeys,
    /// Under this key, an object and a list of such objects are the same list.
    OneOrMany(&'static str),
    /// Not compared at all.
    NotCompared,
}

/// Every accepted difference between the simulator and the recorded answers.
#[cfg(feature = "testkit")]
const ALLOWED: &[Allowed] = &[
    Allowed {
        fixtures: "app*",
        what: Allowance::MissingKey("resourceInfo"),
        reason: "a running application's per-partition resource usage: the SDK never reads it and the simulator does not model partitions",
    },
    Allowed {
        fixtures: "scheduler",
        what: Allowance::MissingObjectKeys,
        reason: "the simulator's scheduler has the queue tree and each queue's scalar facts, not their resource, ACL and template objects (which the SDK never reads)",
    },
    Allowed {
        fixtures: "containers_*",
        what: Allowance::OneOrMany("container"),
        reason: "Jersey renders a one-element list as the element itself: the simulator runs one container per attempt, the recording may list two",
    },
    Allowed {
        fixtures: "kill_no_user",
        what: Allowance::NotCompared,
        reason: "the simulator refuses a kill without user.name (401), as a cluster that refuses anonymous simple auth does (tests/yarn_faults.rs relies on it); the recorded cluster has Hadoop's default, anonymous allowed, and dr.who kills",
    },
    Allowed {
        fixtures: "app_killed_no_user",
        what: Allowance::NotCompared,
        reason: "the application killed anonymously: same request and shape as app_killed, which is compared",
    },
    Allowed {
        fixtures: "proxy_jobs_overview",
        what: Allowance::NotCompared,
        reason: "Flink's own REST answer through the RM proxy (unversioned /jobs/overview): the JobManager behind the simulated proxy is streampark-core's, which serves the /v1 paths the SDK calls only",
    },
];

#[cfg(feature = "testkit")]
mod sim {
    use super::*;
    use streampark_core::JobId;
    use streampark_yarn::YarnTarget;
    use streampark_yarn::testkit::{SimSubmitter, SimYarn};

    /// The user of the simulator's applications and of its requests here.
    const SIM_USER: &str = "flink";

    fn allowed(fixture: &str) -> impl Iterator<Item = &'static Allowed> + '_ {
        ALLOWED
            .iter()
            .filter(move |a| match a.fixtures.strip_suffix('*') {
                Some(prefix) => fixture.starts_with(prefix),
                None => fixture == a.fixtures,
            })
    }

    fn kind(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_f64() => "float",
            Value::Number(_) => "integer",
            Value::String(_) => "string",
            Value::Array(_) => "list",
            Value::Object(_) => "object",
        }
    }

    /// Compares the shape of `sim` with that of `real` (keys, value types, element shapes),
    /// pushing one message per difference.
    pub(super) fn shape(fixture: &str, at: &str, real: &Value, sim: &Value, out: &mut Vec<String>) {
        let one_or_many = |key: &str| {
            allowed(fixture).any(
                |a| matches!(a.what, Allowance::OneOrMany(k) if key.ends_with(&format!(".{k}"))),
            )
        };
        let (real, sim) = match (real, sim) {
            (Value::Array(_), Value::Object(_)) if one_or_many(at) => {
                (real.clone(), Value::Array(vec![sim.clone()]))
            }
            (Value::Object(_), Value::Array(_)) if one_or_many(at) => {
                (Value::Array(vec![real.clone()]), sim.clone())
            }
            _ => (real.clone(), sim.clone()),
        };
        if kind(&real) != kind(&sim) {
            out.push(format!(
                "{fixture}: {at}: the real server sent {} ({}), the simulator {} ({})",
                kind(&real),
                short(&real),
                kind(&sim),
                short(&sim)
            ));
            return;
        }
        match (&real, &sim) {
            (Value::Object(r), Value::Object(s)) => {
                for (k, rv) in r {
                    let path = format!("{at}.{k}");
                    match s.get(k) {
                        Some(sv) => shape(fixture, &path, rv, sv, out),
                        None => {
                            let ok = allowed(fixture).any(|a| match a.what {
                                Allowance::MissingKey(key) => key == k,
                                Allowance::MissingObjectKeys => rv.is_object(),
                                _ => false,
                            });
                            if !ok {
                                out.push(format!(
                                    "{fixture}: {path}: the real server sent it ({}), the simulator does not",
                                    short(rv)
                                ));
                            }
                        }
                    }
                }
                for k in s.keys().filter(|k| !r.contains_key(*k)) {
                    out.push(format!(
                        "{fixture}: {at}.{k}: the simulator sends it, the real server does not"
                    ));
                }
            }
            (Value::Array(r), Value::Array(s)) if !r.is_empty() => {
                for (i, sv) in s.iter().enumerate() {
                    let rv = &r[i.min(r.len() - 1)];
                    shape(fixture, &format!("{at}[{i}]"), rv, sv, out);
                }
            }
            _ => {}
        }
    }

    fn short(v: &Value) -> String {
        let s = v.to_string();
        if s.chars().count() > 60 {
            format!("{}…", s.chars().take(60).collect::<String>())
        } else {
            s
        }
    }

    /// `text/plain;charset=utf-8` -> `text/plain`.
    fn family(ct: Option<&str>) -> Option<String> {
        ct.map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// A URL's scheme, path and the names of its query parameters, in order (hosts differ).
    fn url_shape(u: &str, ids: &BTreeMap<&str, String>) -> String {
        let mut u = u.to_string();
        for (k, v) in ids {
            u = u.replace(v, &format!("{{{k}}}"));
        }
        let (scheme, rest) = u.split_once("://").unwrap_or(("", &u));
        let path_q = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
        let (path, q) = path_q.split_once('?').unwrap_or((path_q, ""));
        let keys: Vec<&str> = q
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| kv.split('=').next().unwrap_or(""))
            .collect();
        format!("{scheme}://…{path}?{}", keys.join("&"))
    }

    /// The fixed part of a text answer: up to its first id, placeholder or number.
    fn text_prefix(body: &str) -> &str {
        let cut = ["container_", "application_", "_HOST", "USER", "{"]
            .iter()
            .filter_map(|m| body.find(m))
            .chain(body.find(|c: char| c.is_ascii_digit()))
            .min()
            .unwrap_or(body.len());
        &body[..cut]
    }

    /// The `Key:` line prefixes of a text answer (`LogType:`, `LogLength:` …).
    fn text_keys(body: &str) -> Vec<String> {
        let mut keys: Vec<String> = body
            .lines()
            .filter_map(|l| {
                let (k, _) = l.split_once(':')?;
                (!k.is_empty()
                    && k.len() <= 30
                    && k.chars().all(|c| c.is_ascii_alphabetic() || c == ' '))
                .then(|| format!("{k}:"))
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// What the simulator answered.
    struct Answer {
        status: u16,
        content_type: Option<String>,
        location: Option<String>,
        body: String,
    }

    struct Check {
        http: reqwest::Client,
        ids: BTreeMap<&'static str, String>,
        servers: BTreeMap<&'static str, url::Url>,
        compared: Vec<String>,
        diffs: Vec<String>,
    }

    impl Check {
        /// Asks the simulator what the recording asked the real server and compares.
        async fn compare(&mut self, name: &str) -> Answer {
            let f = fixture(name);
            let base = self
                .servers
                .get(f.server.as_str())
                .unwrap_or_else(|| panic!("{name}: no simulated {}", f.server))
                .clone();
            let query = fill(&f.query, &self.ids)
                .replace("user.name=USER", &format!("user.name={SIM_USER}"));
            let pq = if query.is_empty() {
                fill(&f.path, &self.ids)
            } else {
                format!("{}?{query}", fill(&f.path, &self.ids))
            };
            self.compare_at(
                name,
                &format!("{}{}", base.as_str().trim_end_matches('/'), pq),
            )
            .await
        }

        async fn compare_at(&mut self, name: &str, url: &str) -> Answer {
            let f = fixture(name);
            let mut req = self
                .http
                .request(f.method.clone(), url)
                .header(header::ACCEPT, f.accept.as_str());
            if let Some(b) = &f.request_body {
                req = req.json(b);
            } else if f.server == "datanode" {
                req = req
                    .header(header::CONTENT_TYPE, "application/octet-stream")
                    .body(b"recorded\n".to_vec());
            }
            let resp = req.send().await.unwrap_or_else(|e| panic!("{name}: {e}"));
            let h = |k| {
                resp.headers()
                    .get(k)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let a = Answer {
                status: resp.status().as_u16(),
                content_type: h(header::CONTENT_TYPE),
                location: h(header::LOCATION),
                body: String::new(),
            };
            let a = Answer {
                body: resp.text().await.unwrap_or_default(),
                ..a
            };
            self.judge(f, &a);
            self.compared.push(name.to_string());
            a
        }

        fn judge(&mut self, f: &Fixture, a: &Answer) {
            let name = f.name.as_str();
            let d = &mut self.diffs;
            if a.status != f.status {
                d.push(format!(
                    "{name}: status {} from the real server, {} from the simulator ({})",
                    f.status,
                    a.status,
                    a.body.chars().take(200).collect::<String>()
                ));
                return;
            }
            if family(f.content_type.as_deref()) != family(a.content_type.as_deref()) {
                d.push(format!(
                    "{name}: Content-Type {:?} from the real server, {:?} from the simulator",
                    f.content_type, a.content_type
                ));
            }
            let all_ids: BTreeMap<&str, String> =
                self.ids.iter().map(|(k, v)| (*k, v.clone())).collect();
            match (&f.location, &a.location) {
                (Some(r), Some(s)) => {
                    let (r, s) = (url_shape(r, &BTreeMap::new()), url_shape(s, &all_ids));
                    if r != s {
                        d.push(format!(
                            "{name}: Location {r} from the real server, {s} from the simulator"
                        ));
                    }
                }
                (None, None) => {}
                (r, s) => d.push(format!(
                    "{name}: Location {r:?} from the real server, {s:?} from the simulator"
                )),
            }
            if f.is_json() {
                match serde_json::from_str::<Value>(&a.body) {
                    Ok(sim) => shape(name, "$", &f.json(), &sim, d),
                    Err(e) => d.push(format!("{name}: the simulator's answer is not JSON: {e}")),
                }
            } else {
                let real = f.body.as_str();
                let prefix = text_prefix(real);
                let sim_body = a.body.replace(SIM_USER, "USER");
                if !sim_body.starts_with(prefix) {
                    d.push(format!(
                        "{name}: the real text starts {prefix:?}, the simulator's {:?}",
                        sim_body.chars().take(prefix.len() + 20).collect::<String>()
                    ));
                }
                let (rk, sk) = (text_keys(real), text_keys(&sim_body));
                let missing: Vec<&String> = rk.iter().filter(|k| !sk.contains(k)).collect();
                if !missing.is_empty() {
                    d.push(format!(
                        "{name}: the real text has the lines {missing:?}, the simulator's not"
                    ));
                }
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_simulator_answers_like_the_real_cluster() {
        let sim = SimYarn::start().await.unwrap();
        let rms = sim.rm_urls();
        let http = streampark_core::spi::http_client_builder()
            .unwrap()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let mut c = Check {
            http,
            ids: BTreeMap::new(),
            servers: BTreeMap::from([
                ("rm-active", rms[0].clone()),
                ("rm-standby", rms[1].clone()),
                ("namenode", sim.webhdfs_url()),
            ]),
            compared: Vec::new(),
            diffs: Vec::new(),
        };

        // A cluster with no application.
        for name in [
            "cluster_info_active",
            "cluster_info_standby",
            "apps_empty",
            "apps_standby_redirect",
            "nodes",
            "scheduler",
            "app_unknown",
            "app_malformed_id",
            "app_state_unknown",
            "kill_unknown",
        ] {
            c.compare(name).await;
        }

        // WebHDFS: a directory, a file written in two steps, a missing path.
        c.compare("webhdfs_mkdirs").await;
        let create = c.compare("webhdfs_create_noredirect").await;
        let dn = serde_json::from_str::<Value>(&create.body).unwrap()["Location"]
            .as_str()
            .unwrap()
            .to_string();
        c.compare("webhdfs_create_redirect").await;
        c.compare_at("webhdfs_datanode_create", &dn).await;
        for name in [
            "webhdfs_liststatus",
            "webhdfs_liststatus_parent",
            "webhdfs_getfilestatus_dir",
            "webhdfs_getfilestatus_file",
            "webhdfs_getfilestatus_missing",
            "webhdfs_liststatus_missing",
            "webhdfs_mkdirs_over_file",
            "webhdfs_delete_nonempty",
            "webhdfs_delete",
            "webhdfs_delete_missing",
        ] {
            c.compare(name).await;
        }

        // An application cluster as the Flink CLI submits it, running.
        let submitter = SimSubmitter::new(sim.clone());
        let mut s = YarnSubmission::new(
            JobId::new("recorded").unwrap(),
            1,
            YarnTarget::Application,
            "Recorded [streampark:recorded:1]",
            "/tmp/tick-job.jar",
        );
        for (k, v) in [
            ("yarn.application.name", "Recorded [streampark:recorded:1]"),
            ("yarn.application.queue", "streaming"),
            (
                "yarn.tags",
                "streampark,streampark.job=recorded,streampark.attempt=1",
            ),
        ] {
            s.config.insert(k.into(), v.into());
        }
        let app = submitter.submit(&s).await.unwrap();
        let rest = app.trim_start_matches("application_").to_string();
        c.ids.insert("app", app.clone());
        c.ids.insert("attempt", format!("appattempt_{rest}_000001"));
        c.ids
            .insert("container", format!("container_{rest}_01_000001"));
        let running = c.compare("app_running").await;
        let nm = serde_json::from_str::<Value>(&running.body).unwrap()["app"]["amHostHttpAddress"]
            .as_str()
            .unwrap()
            .to_string();
        c.servers
            .insert("nodemanager", format!("http://{nm}").parse().unwrap());
        for name in [
            "apps_running",
            "apps_running_by_job_tag",
            "apps_running_states",
            "app_running_standby_redirect",
            "app_state_running",
            "appattempts_running",
            "containers_am_only",
            "containers_running",
            "containerlogs_text",
            "containerlogs_json",
            "containerlogs_missing_file",
            "kill_same_state",
            "kill_wrong_target",
            "kill_standby_redirect",
            "kill_accepted",
        ] {
            c.compare(name).await;
        }
        // Killed.
        assert_eq!(sim.app_state(&app), Some(AppState::Killed));
        for name in [
            "kill_again",
            "app_killed",
            "app_state_killed",
            "appattempts_killed",
            "containers_killed",
            "apps_killed",
            "apps_killed_states",
            "proxy_killed",
            "containerlogs_killed_text",
            "containerlogs_unknown_container",
        ] {
            c.compare(name).await;
        }

        // An application that fails.
        let mut s = YarnSubmission::new(
            JobId::new("failing").unwrap(),
            1,
            YarnTarget::Application,
            "Recorded [streampark:failing:1]",
            "/tmp/runner.jar",
        );
        s.sql = Some("-- sim: fail-after 0s\nINSERT INTO k SELECT 1;\n".into());
        for (k, v) in [
            ("yarn.application.name", "Recorded [streampark:failing:1]"),
            ("yarn.application.queue", "streaming"),
            (
                "yarn.tags",
                "streampark,streampark.job=failing,streampark.attempt=1",
            ),
        ] {
            s.config.insert(k.into(), v.into());
        }
        let app2 = submitter.submit(&s).await.unwrap();
        c.ids.insert("app2", app2.clone());
        for name in [
            "app_failed",
            "app_state_failed",
            "appattempts_failed",
            "apps_all_ended",
        ] {
            c.compare(name).await;
        }
        assert!(sim.app_state(&app2).is_some_and(|s| s.is_terminal()));

        // Every recorded answer is compared or listed as an accepted difference.
        let skipped: Vec<&String> = fixtures()
            .keys()
            .filter(|n| !c.compared.contains(n))
            .filter(|n| !allowed(n).any(|a| matches!(a.what, Allowance::NotCompared)))
            .collect();
        assert!(
            skipped.is_empty(),
            "recorded answers neither compared nor listed in ALLOWED: {skipped:?}"
        );
        let accepted: Vec<String> = ALLOWED
            .iter()
            .map(|a| format!("{}: {}", a.fixtures, a.reason))
            .collect();
        assert!(
            c.diffs.is_empty(),
            "the simulator differs from the real Hadoop 3.4.2 (tests/fixtures/real-hadoop-3.4.2):\n  {}\n(accepted differences, not counted above:\n  {})",
            c.diffs.join("\n  "),
            accepted.join("\n  ")
        );
    }

    #[test]
    fn the_shape_comparison_names_the_fixture_and_the_path() {
        let mut out = Vec::new();
        let real =
            serde_json::json!({"apps": {"app": [{"id": "a", "n": 1, "f": 1.0, "o": {"x": 1}}]}});
        let sim = serde_json::json!({"apps": {"app": [{"id": 1, "f": 1.0, "o": {"x": 1}, "extra": true}]}});
        shape("apps_x", "$", &real, &sim, &mut out);
        assert_eq!(
            out,
            [
                "apps_x: $.apps.app[0].id: the real server sent string (\"a\"), the simulator integer (1)",
                "apps_x: $.apps.app[0].n: the real server sent it (1), the simulator does not",
                "apps_x: $.apps.app[0].extra: the simulator sends it, the real server does not",
            ]
        );
        let mut out = Vec::new();
        shape(
            "apps_empty",
            "$",
            &serde_json::json!({"apps": {}}),
            &serde_json::json!({"apps": null}),
            &mut out,
        );
        assert_eq!(
            out,
            ["apps_empty: $.apps: the real server sent object ({}), the simulator null (null)"]
        );
        let mut out = Vec::new();
        shape(
            "app_running",
            "$",
            &serde_json::json!({"app": {"id": "a", "resourceInfo": {}, "f": 0.0}}),
            &serde_json::json!({"app": {"id": "b", "f": 1}}),
            &mut out,
        );
        assert_eq!(
            out,
            ["app_running: $.app.f: the real server sent float (0.0), the simulator integer (1)"],
            "resourceInfo is an accepted difference, an integer for a float is not"
        );
    }
}
