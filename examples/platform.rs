//! A small in-house platform on the SDK: an HTTP JSON API (axum) over [`Platform`] with bearer
//! tokens mapped to users — jobs CRUD, check, deploy, stop, restart, savepoint, logs, events,
//! deploys, versions, diff, rollback, audit, users, teams, members, variables. The router is `streampark_examples::platform_api`.
//!
//! ```text
//! STREAMPARK_PLATFORM_TOKENS='root-token=root,ann-token=ann' \
//!   cargo run -p streampark-examples --example platform          # serve on 127.0.0.1:8080
//! cargo run -p streampark-examples --example platform -- --demo  # self-contained walkthrough
//! cargo run -p streampark-examples --example platform -- \
//!   --cluster cdp=flink+http://jm-a:8081 --cluster k8s=flink+http://jm-b:8081 \
//!   --option request-timeout=30s
//! ```
//!
//! Clusters are registry URLs (`--cluster URL` or `--cluster NAME=URL`, repeatable; default
//! `sim://local`, the simulator) with the registry's options (`--option key=value`: Hadoop
//! conf, Flink home, kubeconfig, timeouts, …). REST clusters are asked for their Flink version,
//! so jobs are placed by their version requirement. The platform's engine runs in the
//! background: a job whose TaskManager dies is restarted by itself (from its latest
//! checkpoint), `GET /jobs/{id}/events` and `/status` show it and `GET /alerts` has its alerts.
//!
//! Environment: `STREAMPARK_PLATFORM_TOKENS` (`token=user,…`, required unless `--demo`; tokens
//! are never logged), `STREAMPARK_PLATFORM_ADDR` (default `127.0.0.1:8080`),
//! `STREAMPARK_PLATFORM_ADMIN` (the bootstrap administrator, default `root`),
//! `STREAMPARK_PLATFORM_DB` (a SQLite file holding governance and engine records; default in
//! memory), `STREAMPARK_PLATFORM_ENGINE_ID` (the engine's lease holder id; keep it across
//! restarts of one host), `STREAMPARK_PLATFORM_TICK` (seconds between engine ticks, default 2).
//! Once listening it prints `listening on http://ADDR` on stdout.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use streampark::platform::Platform;
use streampark::store::{MemoryStore, SqliteStore, Store};
use streampark_examples::clusters;
use streampark_examples::platform_api::{AlertLog, Tokens, router_with_alerts};

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const USAGE: &str = "usage: platform [--demo] [--cluster [NAME=]URL]... [--option key=value]...";

struct Args {
    demo: bool,
    clusters: Vec<String>,
    options: Vec<(String, String)>,
}

fn parse() -> BoxResult<Args> {
    let mut a = Args {
        demo: false,
        clusters: Vec::new(),
        options: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--demo" => a.demo = true,
            "--cluster" => a.clusters.push(value()?),
            "--option" => a.options.push(clusters::split_option_arg(&value()?)?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}").into()),
        }
    }
    Ok(a)
}

#[tokio::main]
async fn main() -> BoxResult<()> {
    tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_writer(std::io::stderr)
        .init();
    let args = parse()?;
    let demo = args.demo;
    let admin = std::env::var("STREAMPARK_PLATFORM_ADMIN").unwrap_or_else(|_| "root".into());
    // One store for the governance records and the engine's.
    let store: Arc<dyn Store> = match std::env::var("STREAMPARK_PLATFORM_DB") {
        Ok(path) => Arc::new(SqliteStore::open(&path).await?),
        Err(_) => Arc::new(MemoryStore::new()),
    };
    let (mut clusters, mut options) = (args.clusters, args.options);
    if clusters.is_empty() {
        // The simulator, starting jobs at once so the walkthrough needs no waiting.
        clusters.push("local=sim://local".into());
        if !options.iter().any(|(k, _)| k == "startup-delay") {
            options.push(("startup-delay".into(), "10ms".into()));
        }
    }
    serve(demo, &admin, store, clusters, options).await
}

async fn serve(
    demo: bool,
    admin: &str,
    store: Arc<dyn Store>,
    cluster_args: Vec<String>,
    options: Vec<(String, String)>,
) -> BoxResult<()> {
    let tick: u64 = std::env::var("STREAMPARK_PLATFORM_TICK")
        .ok()
        .map(|t| t.parse())
        .transpose()
        .map_err(|_| "STREAMPARK_PLATFORM_TICK: a number of seconds")?
        .unwrap_or(2);
    let alert_log = AlertLog::new();
    let mut b = Platform::builder()
        .with_alert_sink(Arc::new(alert_log.clone()))
        .with_store(store)
        .with_tick(Duration::from_secs(tick.max(1)))
        .with_admin(admin);
    if let Ok(id) = std::env::var("STREAMPARK_PLATFORM_ENGINE_ID") {
        b = b.with_engine_id(id);
    }
    for c in clusters::build(&cluster_args, &options).await? {
        tracing::info!(cluster = %c.name, url = %c.url, version = ?c.version.as_ref().map(|v| v.to_string()), "cluster");
        b = match c.version {
            Some(v) => b.with_cluster_version(c.name, c.deployer, v),
            None => b.with_cluster(c.name, c.deployer),
        };
    }
    let platform = b.build().await?;
    let tokens = match std::env::var("STREAMPARK_PLATFORM_TOKENS") {
        Ok(s) => Tokens::parse(&s)?,
        Err(_) if demo => Tokens::default()
            .with("root-token", admin)
            .with("ann-token", "ann")
            .with("vic-token", "vic"),
        Err(_) => {
            return Err(
                "set STREAMPARK_PLATFORM_TOKENS=token=user,... (or run with --demo)".into(),
            );
        }
    };
    let addr = if demo {
        "127.0.0.1:0".to_string()
    } else {
        std::env::var("STREAMPARK_PLATFORM_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into())
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let local = listener.local_addr()?;
    tracing::info!(%local, "platform API listening");
    println!("listening on http://{local}");
    // The engine: restarts, adoption, checkpoint health, alerts.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let engine = {
        let p = platform.clone();
        tokio::spawn(async move {
            p.run(async {
                let _ = stop_rx.await;
            })
            .await
        })
    };
    let server = tokio::spawn(async move {
        axum::serve(listener, router_with_alerts(platform, tokens, alert_log)).await
    });
    if !demo {
        tokio::select! {
            r = server => { r??; }
            _ = shutdown_signal() => tracing::info!("stopping (the jobs keep running)"),
        }
        let _ = stop_tx.send(());
        engine.await??;
        return Ok(());
    }
    walkthrough(&format!("http://{local}")).await?;
    server.abort();
    let _ = stop_tx.send(());
    engine.await??;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// The `--demo` walkthrough: the curl calls of docs/platform.md, made with reqwest.
async fn walkthrough(base: &str) -> BoxResult<()> {
    let http = streampark::spi::http_client(std::time::Duration::from_secs(10))?;
    let call = |method: &'static str, path: String, token: &'static str, body: Option<Value>| {
        let http = http.clone();
        let url = format!("{base}{path}");
        async move {
            let mut req = match method {
                "GET" => http.get(&url),
                "PUT" => http.put(&url),
                _ => http.post(&url),
            }
            .bearer_auth(token);
            if let Some(b) = body {
                req = req.json(&b);
            }
            let resp = req.send().await?;
            let status = resp.status().as_u16();
            let v: Value = resp.json().await?;
            println!("{method} {path} -> {status}");
            // The walkthrough stops at the first answer it did not expect (a viewer's deploy
            // is the one refusal it asks for).
            let refused_on_purpose = status == 403 && token == "vic-token";
            if status >= 400 && !refused_on_purpose {
                return Err(format!("{method} {path}: {status} {v}").into());
            }
            BoxResult::Ok((status, v))
        }
    };
    // Waits (at most 30 s) until the engine sees the job's current attempt RUNNING.
    let running = |token: &'static str| {
        let http = http.clone();
        let url = format!("{base}/jobs/orders/status");
        async move {
            let start = std::time::Instant::now();
            loop {
                let v: Value = http
                    .get(&url)
                    .bearer_auth(token)
                    .send()
                    .await?
                    .json()
                    .await?;
                if v["state"] == "RUNNING" {
                    println!(
                        "  attempt {} is RUNNING on `{}`",
                        v["attempt"], v["cluster"]
                    );
                    return BoxResult::Ok(());
                }
                if start.elapsed() > Duration::from_secs(30) {
                    return Err(format!("job not RUNNING after 30 s: {v}").into());
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    let sql = "CREATE TABLE src (a INT) WITH ('connector' = 'datagen');\nCREATE TABLE snk (a INT) WITH ('connector' = 'blackhole');\nINSERT INTO snk SELECT a FROM src;\n";
    call(
        "POST",
        "/teams".into(),
        "root-token",
        Some(json!({"id": "ads"})),
    )
    .await?;
    for (user, role) in [("ann", "developer"), ("vic", "viewer")] {
        call(
            "POST",
            "/users".into(),
            "root-token",
            Some(json!({"id": user})),
        )
        .await?;
        call(
            "POST",
            "/teams/ads/members".into(),
            "root-token",
            Some(json!({"user": user, "role": role})),
        )
        .await?;
    }
    let spec = json!({"id": "orders", "program": {"type": "sql", "script": sql}, "owner": {"team": "ads"}});
    call(
        "POST",
        "/jobs".into(),
        "ann-token",
        Some(json!({"spec": spec, "message": "first"})),
    )
    .await?;
    let (status, _) = call("POST", "/jobs/orders/deploy".into(), "vic-token", None).await?;
    println!("  a viewer may not deploy: {status}");
    let (_, d) = call("POST", "/jobs/orders/deploy".into(), "ann-token", None).await?;
    println!(
        "  deployed version {} as attempt {}",
        d["version"], d["attempt"]
    );
    running("ann-token").await?;
    let mut v2 = spec.clone();
    v2["program"]["script"] = json!(sql.replace("SELECT a FROM", "SELECT a * 2 FROM"));
    call(
        "PUT",
        "/jobs/orders".into(),
        "ann-token",
        Some(json!({"spec": v2, "message": "double"})),
    )
    .await?;
    let (_, diff) = call(
        "GET",
        "/jobs/orders/diff?from=1&to=2".into(),
        "ann-token",
        None,
    )
    .await?;
    println!("{}", diff["sql"].as_str().unwrap_or(""));
    let (_, rb) = call(
        "POST",
        "/jobs/orders/rollback".into(),
        "ann-token",
        Some(json!({"to": 1, "redeploy": true})),
    )
    .await?;
    println!(
        "  rolled back: version {} running as attempt {}",
        rb["version"]["version"], rb["deployed"]["attempt"]
    );
    running("ann-token").await?;
    let (_, sp) = call("POST", "/jobs/orders/savepoint".into(), "ann-token", None).await?;
    println!("  savepoint at {}", sp["path"]);
    let (_, rs) = call("POST", "/jobs/orders/restart".into(), "ann-token", None).await?;
    println!(
        "  restarted as attempt {} from {}",
        rs["attempt"], rs["restored_from"]
    );
    let (_, deploys) = call("GET", "/jobs/orders/deploys".into(), "vic-token", None).await?;
    for d in deploys.as_array().into_iter().flatten() {
        println!(
            "  deploy attempt {} of version {}",
            d["attempt"], d["version"]
        );
    }
    let (_, events) = call("GET", "/jobs/orders/events".into(), "vic-token", None).await?;
    for e in events.as_array().into_iter().flatten() {
        println!("  engine: attempt {} {}", e["attempt"], e["kind"]);
    }
    let (_, logs) = call(
        "GET",
        "/jobs/orders/logs?max_bytes=200".into(),
        "vic-token",
        None,
    )
    .await?;
    println!(
        "  {} (tail):\n{}",
        logs["name"],
        logs["content"].as_str().unwrap_or("")
    );
    let (_, audit) = call("GET", "/audit?team=ads".into(), "ann-token", None).await?;
    for r in audit.as_array().into_iter().flatten() {
        println!(
            "  audit #{} {} {} {}",
            r["seq"], r["user"], r["action"], r["outcome"]["status"]
        );
    }
    Ok(())
}
