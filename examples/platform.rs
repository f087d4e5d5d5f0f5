//! A small in-house platform on the SDK: an HTTP JSON API (axum) over [`Platform`] with bearer
//! tokens mapped to users — jobs CRUD, check, deploy, stop, restart, savepoint, logs, events,
//! deploys, versions, diff, rollback, audit, users, teams, members, variables. The router is `streampark_examples::platform_api`.
//!
//! ```text
//! STREAMPARK_PLATFORM_TOKENS='root-token=root,ann-token=ann' \
//!   cargo run -p streampark-examples --example platform          # serve on 127.0.0.1:8080
//! cargo run -p streampark-examples --example platform -- --demo  # self-contained walkthrough
//! ```
//!
//! Environment: `STREAMPARK_PLATFORM_TOKENS` (`token=user,…`, required unless `--demo`; tokens
//! are never logged), `STREAMPARK_PLATFORM_ADDR` (default `127.0.0.1:8080`),
//! `STREAMPARK_PLATFORM_ADMIN` (the bootstrap administrator, default `root`),
//! `STREAMPARK_PLATFORM_DB` (a SQLite file; default in memory). The backend is the simulator
//! (`SimDeployer`), so it runs anywhere; a real host passes its own `Deployer`.

use std::sync::Arc;

use serde_json::{Value, json};
use streampark::platform::{MemoryPlatformStore, Platform, PlatformStore, SqlitePlatformStore};
use streampark::testkit::SimDeployer;
use streampark_examples::platform_api::{Tokens, router};

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> BoxResult<()> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let demo = std::env::args().any(|a| a == "--demo");
    let admin = std::env::var("STREAMPARK_PLATFORM_ADMIN").unwrap_or_else(|_| "root".into());
    let store: Arc<dyn PlatformStore> = match std::env::var("STREAMPARK_PLATFORM_DB") {
        Ok(path) => Arc::new(SqlitePlatformStore::open(path).await?),
        Err(_) => Arc::new(MemoryPlatformStore::new()),
    };
    let platform = Platform::builder()
        .with_deployer(Arc::new(
            SimDeployer::builder()
                .with_startup_delay(std::time::Duration::ZERO)
                .build(),
        ))
        .with_store(store)
        .with_admin(&admin)
        .build()
        .await?;
    let tokens = match std::env::var("STREAMPARK_PLATFORM_TOKENS") {
        Ok(s) => Tokens::parse(&s)?,
        Err(_) if demo => Tokens::default()
            .with("root-token", &admin)
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
    let server = tokio::spawn(async move { axum::serve(listener, router(platform, tokens)).await });
    if !demo {
        server.await??;
        return Ok(());
    }
    walkthrough(&format!("http://{local}")).await?;
    server.abort();
    Ok(())
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
            BoxResult::Ok((status, v))
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
        println!("  cluster: attempt {} {}", e["attempt"], e["state"]);
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
