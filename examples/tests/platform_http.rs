//! The example platform's HTTP API driven end to end over a real socket against the simulator:
//! tokens, roles, team isolation, jobs CRUD, check, deploy, stop, restart, savepoint, logs,
//! events, deploys, versions, diff, rollback, audit.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use streampark::platform::Platform;
use streampark::testkit::SimDeployer;
use streampark_examples::platform_api::{Tokens, router};

const SQL: &str = "CREATE TABLE src (a INT) WITH ('connector' = 'datagen');\nCREATE TABLE snk (a INT) WITH ('connector' = 'blackhole');\nINSERT INTO snk SELECT a FROM src;\n";

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let mut req = match method {
            "GET" => self.http.get(&url),
            "PUT" => self.http.put(&url),
            "DELETE" => self.http.delete(&url),
            _ => self.http.post(&url),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

async fn start() -> Api {
    let sim = SimDeployer::builder()
        .with_startup_delay(Duration::ZERO)
        .build();
    let platform = Platform::builder()
        .with_deployer(Arc::new(sim))
        .with_admin("root")
        .build()
        .await
        .unwrap();
    let tokens = Tokens::parse("t-root=root,t-ann=ann,t-vic=vic,t-bob=bob").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(platform, tokens)).await });
    Api {
        base: format!("http://{addr}"),
        http: streampark::spi::http_client(Duration::from_secs(10)).unwrap(),
    }
}

fn spec(id: &str, team: &str, script: &str) -> Value {
    json!({"id": id, "program": {"type": "sql", "script": script}, "owner": {"team": team}, "config": {"parallelism.default": "2"}})
}

#[tokio::test]
async fn platform_api_end_to_end() {
    let api = start().await;
    let root = Some("t-root");
    let (ann, vic, bob) = (Some("t-ann"), Some("t-vic"), Some("t-bob"));

    // Without or with a wrong token: 401.
    assert_eq!(api.call("GET", "/jobs", None, None).await.0, 401);
    assert_eq!(api.call("GET", "/jobs", Some("nope"), None).await.0, 401);

    // Setup as the administrator: two teams, ann developer and vic viewer of ads, bob of bi.
    for t in ["ads", "bi"] {
        assert_eq!(
            api.call("POST", "/teams", root, Some(json!({"id": t})))
                .await
                .0,
            200
        );
    }
    for (u, team, role) in [
        ("ann", "ads", "developer"),
        ("vic", "ads", "viewer"),
        ("bob", "bi", "developer"),
    ] {
        assert_eq!(
            api.call("POST", "/users", root, Some(json!({"id": u})))
                .await
                .0,
            200
        );
        let path = format!("/teams/{team}/members");
        assert_eq!(
            api.call("POST", &path, root, Some(json!({"user": u, "role": role})))
                .await
                .0,
            200
        );
    }
    // Only administrators create teams.
    assert_eq!(
        api.call("POST", "/teams", ann, Some(json!({"id": "mine"})))
            .await
            .0,
        403
    );

    // Create; a viewer may not; a SQL error is a 400 naming the line.
    let (s, v1) = api
        .call(
            "POST",
            "/jobs",
            ann,
            Some(json!({"spec": spec("orders", "ads", SQL), "message": "first"})),
        )
        .await;
    assert_eq!(s, 200, "{v1}");
    assert_eq!(v1["version"], 1);
    assert_eq!(
        api.call(
            "POST",
            "/jobs",
            vic,
            Some(json!({"spec": spec("x", "ads", SQL)}))
        )
        .await
        .0,
        403
    );
    let (s, e) = api
        .call(
            "POST",
            "/jobs",
            ann,
            Some(json!({"spec": spec("bad", "ads", "INSERT INTO snk SELEC 1")})),
        )
        .await;
    assert_eq!(s, 400);
    assert!(e["message"].as_str().unwrap().contains("line 1"), "{e}");

    // Check a draft script.
    let (s, r) = api
        .call(
            "POST",
            "/jobs/orders/check",
            vic,
            Some(json!({"script": "SELEC 1"})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(r["valid"], false);
    assert_eq!(r["diagnostics"][0]["line"], 1);
    assert_eq!(
        api.call("POST", "/jobs/orders/check", vic, None).await.1["valid"],
        true
    );

    // Team isolation over HTTP: bob sees nothing of ads.
    assert_eq!(api.call("GET", "/jobs", bob, None).await.1, json!([]));
    assert_eq!(api.call("GET", "/jobs/orders", bob, None).await.0, 403);
    assert_eq!(
        api.call("POST", "/jobs/orders/deploy", bob, None).await.0,
        403
    );
    assert_eq!(api.call("GET", "/audit?team=ads", bob, None).await.0, 403);

    // Deploy: the viewer may not, the developer may.
    assert_eq!(
        api.call("POST", "/jobs/orders/deploy", vic, None).await.0,
        403
    );
    let (s, d) = api.call("POST", "/jobs/orders/deploy", ann, None).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(
        (d["version"].as_u64(), d["attempt"].as_u64()),
        (Some(1), Some(1))
    );
    let (_, listed) = api.call("GET", "/jobs", vic, None).await;
    assert_eq!(listed[0]["deployed"]["attempt"], 1);

    // Edit v2, diff, versions.
    let v2 = spec(
        "orders",
        "ads",
        &SQL.replace("SELECT a FROM", "SELECT a * 2 FROM"),
    );
    let (s, r) = api
        .call(
            "PUT",
            "/jobs/orders",
            ann,
            Some(json!({"spec": v2, "message": "double"})),
        )
        .await;
    assert_eq!((s, r["version"].as_u64()), (200, Some(2)));
    let (_, diff) = api
        .call("GET", "/jobs/orders/diff?from=1&to=2", vic, None)
        .await;
    let sql = diff["sql"].as_str().unwrap();
    assert!(
        sql.contains("-INSERT INTO snk SELECT a FROM src;")
            && sql.contains("+INSERT INTO snk SELECT a * 2 FROM src;"),
        "{sql}"
    );
    let (_, versions) = api.call("GET", "/jobs/orders/versions", vic, None).await;
    assert_eq!(
        versions
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["message"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["first", "double"]
    );

    // Rollback to v1 with a redeploy from a savepoint.
    let (s, rb) = api
        .call(
            "POST",
            "/jobs/orders/rollback",
            ann,
            Some(json!({"to": 1, "redeploy": true})),
        )
        .await;
    assert_eq!(s, 200, "{rb}");
    assert_eq!(rb["version"]["version"], 3);
    assert_eq!(rb["deployed"]["attempt"], 2);
    assert!(rb["deployed"]["restored_from"].as_str().is_some(), "{rb}");

    // The endpoints added for restart, savepoint, logs, events and deploys: a token is
    // required, another team's developer is refused, the viewer may only read.
    for (method, path) in [
        ("POST", "/jobs/orders/restart"),
        ("POST", "/jobs/orders/savepoint"),
        ("GET", "/jobs/orders/logs"),
        ("GET", "/jobs/orders/events"),
        ("GET", "/jobs/orders/deploys"),
    ] {
        assert_eq!(api.call(method, path, None, None).await.0, 401, "{path}");
        assert_eq!(api.call(method, path, bob, None).await.0, 403, "{path}");
    }
    assert_eq!(
        api.call("POST", "/jobs/orders/savepoint", vic, None)
            .await
            .0,
        403
    );
    assert_eq!(
        api.call("POST", "/jobs/orders/restart", vic, None).await.0,
        403
    );

    // Savepoint of the running attempt 2: recorded as the job's latest savepoint.
    let (s, sp) = api.call("POST", "/jobs/orders/savepoint", ann, None).await;
    assert_eq!(s, 200, "{sp}");
    let sp_path = sp["path"].as_str().expect("a savepoint path").to_string();
    let (_, job) = api.call("GET", "/jobs/orders", vic, None).await;
    assert_eq!(job["last_savepoint"].as_str(), Some(sp_path.as_str()));

    // Restart: stops attempt 2 with a savepoint and starts attempt 3 of version 3 from it.
    let (s, rs) = api.call("POST", "/jobs/orders/restart", ann, None).await;
    assert_eq!(s, 200, "{rs}");
    assert_eq!(
        (rs["attempt"].as_u64(), rs["version"].as_u64()),
        (Some(3), Some(3))
    );
    let restored = rs["restored_from"]
        .as_str()
        .expect("restored from a savepoint");
    assert_ne!(restored, sp_path, "a fresh savepoint at stop time");
    let (_, job) = api.call("GET", "/jobs/orders", vic, None).await;
    assert_eq!(job["deployed"]["attempt"], 3);
    assert_eq!(job["last_savepoint"].as_str(), Some(restored));

    // Deploys: every attempt the platform had the engine start, oldest first, with its cluster.
    let (s, ds) = api.call("GET", "/jobs/orders/deploys", vic, None).await;
    assert_eq!(s, 200, "{ds}");
    let ds: Vec<(u64, u64, String)> = ds
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["attempt"].as_u64().unwrap(),
                d["version"].as_u64().unwrap(),
                d["cluster"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let local = || "default".to_string();
    assert_eq!(ds, [(1, 1, local()), (2, 3, local()), (3, 3, local())]);

    // Events: the engine's log, oldest first: three starts, two roll-outs between them.
    let (s, ev) = api.call("GET", "/jobs/orders/events", vic, None).await;
    assert_eq!(s, 200, "{ev}");
    let ev: Vec<(u64, String)> = ev
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
    let started: Vec<u64> = ev
        .iter()
        .filter(|e| e.1 == "started")
        .map(|e| e.0)
        .collect();
    assert_eq!(started, [1, 2, 3], "{ev:?}");
    assert_eq!(
        ev.iter().filter(|e| e.1 == "audit.roll_out").count(),
        2,
        "{ev:?}"
    );
    // Status: attempt 3 runs on the default cluster.
    let (s, st) = api.call("GET", "/jobs/orders/status", vic, None).await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["attempt"], 3);
    assert_eq!(st["cluster"], "default");
    assert_eq!(st["desired"], "running");

    // Logs of the current deployment: the file list, the tail, a cut, an unknown file.
    let (s, lg) = api.call("GET", "/jobs/orders/logs", vic, None).await;
    assert_eq!(s, 200, "{lg}");
    let name = lg["name"].as_str().unwrap();
    assert!(
        lg["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == name),
        "{lg}"
    );
    assert!(!lg["content"].as_str().unwrap().is_empty());
    let (_, cut) = api
        .call("GET", "/jobs/orders/logs?max_bytes=16", vic, None)
        .await;
    assert!(cut["content"].as_str().unwrap().len() <= 16, "{cut}");
    assert_eq!(cut["truncated"], true);
    assert_eq!(
        api.call("GET", "/jobs/orders/logs?file=nope.log", vic, None)
            .await
            .0,
        404
    );

    // Stop with a savepoint.
    let (s, st) = api.call("POST", "/jobs/orders/stop", ann, None).await;
    assert_eq!((s, st["stopped"].as_bool()), (200, Some(true)));
    assert!(st["savepoint"].as_str().is_some());

    // Audit: every call above that named the job is there, denials included.
    let (s, audit) = api
        .call("GET", "/audit?job=orders&limit=1000", ann, None)
        .await;
    assert_eq!(s, 200);
    let rows: Vec<(String, String, String)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["user"].as_str().unwrap().into(),
                r["action"].as_str().unwrap().into(),
                r["outcome"]["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    for want in [
        ("ann", "job.create", "ok"),
        ("vic", "job.deploy", "denied"),
        ("bob", "job.deploy", "denied"),
        ("ann", "job.deploy", "ok"),
        ("ann", "job.edit", "ok"),
        ("ann", "job.rollback", "ok"),
        ("ann", "job.stop", "ok"),
        ("ann", "job.savepoint", "ok"),
        ("vic", "job.savepoint", "denied"),
        ("ann", "job.restart", "ok"),
        ("vic", "job.deploys", "ok"),
        ("vic", "job.events", "ok"),
        ("vic", "job.logs", "ok"),
        ("bob", "job.logs", "denied"),
    ] {
        assert!(
            rows.iter()
                .any(|r| (r.0.as_str(), r.1.as_str(), r.2.as_str()) == want),
            "{want:?} missing in {rows:?}"
        );
    }
    // Pagination.
    let (_, p1) = api
        .call("GET", "/audit?job=orders&limit=2", ann, None)
        .await;
    let last = p1[1]["seq"].as_u64().unwrap();
    let (_, p2) = api
        .call(
            "GET",
            &format!("/audit?job=orders&limit=2&after={last}"),
            ann,
            None,
        )
        .await;
    assert!(p2[0]["seq"].as_u64().unwrap() > last);

    // Delete needs job.delete: developers do not have it, administrators do.
    assert_eq!(api.call("DELETE", "/jobs/orders", ann, None).await.0, 403);
    assert_eq!(api.call("DELETE", "/jobs/orders", root, None).await.0, 200);
    assert_eq!(api.call("GET", "/jobs/orders", root, None).await.0, 404);
}

/// Every rejection, the framework's own included, is `{"error","message"}` JSON with a 4xx.
#[tokio::test]
async fn every_error_answer_is_json() {
    let api = start().await;
    let url = |p: &str| format!("{}{p}", api.base);
    let h = &api.http;
    let cases: Vec<(&str, reqwest::RequestBuilder, u16)> = vec![
        (
            "malformed JSON",
            h.post(url("/teams"))
                .bearer_auth("t-root")
                .header("content-type", "application/json")
                .body("{\"id\": "),
            400,
        ),
        (
            "missing field",
            h.post(url("/teams")).bearer_auth("t-root").json(&json!({})),
            422,
        ),
        (
            "wrong content type",
            h.post(url("/teams"))
                .bearer_auth("t-root")
                .header("content-type", "text/plain")
                .body("{\"id\": \"x\"}"),
            415,
        ),
        (
            "body too large",
            h.post(url("/teams"))
                .bearer_auth("t-root")
                .header("content-type", "application/json")
                .body(format!(
                    "{{\"id\": \"{}\"}}",
                    "x".repeat(streampark_examples::platform_api::MAX_BODY + 10)
                )),
            413,
        ),
        ("unknown route", h.get(url("/no/such/route")), 404),
        (
            "wrong method",
            h.delete(url("/teams")).bearer_auth("t-root"),
            405,
        ),
        ("no token", h.get(url("/jobs")), 401),
    ];
    for (what, req, want) in cases {
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let ctype = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = resp.text().await.unwrap();
        assert_eq!(status, want, "{what}: {text}");
        assert!(ctype.starts_with("application/json"), "{what}: {ctype}");
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
        assert!(
            v["error"].as_str().is_some_and(|s| !s.is_empty()),
            "{what}: {v}"
        );
        assert!(
            v["message"].as_str().is_some_and(|s| !s.is_empty()),
            "{what}: {v}"
        );
    }
}

/// On the example's wiring (engine alerts into the API's alert log), a job whose TaskManager
/// dies comes back by itself, and its events, status and alerts are readable over HTTP — by
/// its team only.
#[tokio::test(start_paused = true)]
async fn a_failed_job_comes_back_and_its_alert_is_readable_over_http() {
    use streampark::testkit::FaultPlan;
    use streampark_examples::platform_api::{AlertLog, router_with_alerts};
    let job = streampark::JobId::new("orders").unwrap();
    let sim = SimDeployer::builder()
        .with_checkpoint_interval(Duration::from_secs(5))
        .with_faults(FaultPlan::new().job_fails_at(
            &job,
            Duration::from_secs(30),
            "TaskManager lost",
        ))
        .build();
    let log = AlertLog::new();
    let clock = sim.clock().clone();
    let platform = Platform::builder()
        .with_deployer(Arc::new(sim))
        .with_alert_sink(Arc::new(log.clone()))
        .with_clock(move || clock.now_ms())
        .with_admin("root")
        .build()
        .await
        .unwrap();
    let pf = platform.clone();
    let tokens = Tokens::parse("t-root=root,t-ann=ann,t-bob=bob").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        async move { axum::serve(listener, router_with_alerts(platform, tokens, log)).await },
    );
    let api = Api {
        base: format!("http://{addr}"),
        http: streampark::spi::http_client(Duration::from_secs(10)).unwrap(),
    };
    let root = Some("t-root");
    for t in ["ads", "bi"] {
        api.call("POST", "/teams", root, Some(json!({"id": t})))
            .await;
    }
    for (u, team) in [("ann", "ads"), ("bob", "bi")] {
        api.call("POST", "/users", root, Some(json!({"id": u})))
            .await;
        let path = format!("/teams/{team}/members");
        api.call(
            "POST",
            &path,
            root,
            Some(json!({"user": u, "role": "developer"})),
        )
        .await;
    }
    let ann = Some("t-ann");
    let (s, _) = api
        .call(
            "POST",
            "/jobs",
            ann,
            Some(json!({"spec": spec("orders", "ads", SQL)})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, d) = api.call("POST", "/jobs/orders/deploy", ann, None).await;
    assert_eq!((s, d["attempt"].as_u64()), (200, Some(1)), "{d}");
    // The engine ticks while virtual time passes the injected failure.
    for _ in 0..90 {
        pf.supervisor().tick().await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let (_, st) = api.call("GET", "/jobs/orders/status", ann, None).await;
    assert_eq!(
        (st["attempt"].as_u64(), st["state"].as_str()),
        (Some(2), Some("RUNNING")),
        "{st}"
    );
    let (_, ev) = api.call("GET", "/jobs/orders/events", ann, None).await;
    let kinds: Vec<String> = ev
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}:{}", e["attempt"], e["kind"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&"1:failed".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"2:started".to_string()), "{kinds:?}");
    let (s, alerts) = api.call("GET", "/alerts", ann, None).await;
    assert_eq!(s, 200, "{alerts}");
    let restarted: Vec<&Value> = alerts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["labels"]["event"] == "restarted")
        .collect();
    assert_eq!(restarted.len(), 1, "{alerts}");
    assert_eq!(restarted[0]["severity"], "major");
    assert_eq!(restarted[0]["team"], "ads");
    // Another team's developer sees none of it.
    let (s, none) = api.call("GET", "/alerts", Some("t-bob"), None).await;
    assert_eq!((s, none.as_array().map(Vec::len)), (200, Some(0)), "{none}");
}
