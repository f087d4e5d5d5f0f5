//! Watch one Nacos config and print one JSON line per distinct version.
//!
//! ```text
//! nacos_watch --server http://HOST:PORT [--server …] --data-id ID --group G
//!             [--namespace NS] [--username U --password P] [--cache-dir DIR]
//! nacos_watch --demo      # against the built-in Nacos simulator, exits after 3 versions
//! ```
//!
//! Each line is `{"data_id","group","namespace","md5","len"}` (`md5` = hex MD5 of the
//! content), starting with the current version. It keeps running when the servers go away
//! (serving the snapshot in `--cache-dir` if there is one) and picks up again when one is
//! back. Bad arguments or a failed login exit non-zero with a clear message.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use streampark::config::nacos_sim::NacosSim;
use streampark::config::{ConfigEvent, ConfigKey, ConfigSource, NacosSource};

#[derive(Debug, Default)]
struct Args {
    servers: Vec<String>,
    data_id: Option<String>,
    group: Option<String>,
    namespace: Option<String>,
    username: Option<String>,
    password: Option<String>,
    cache_dir: Option<String>,
    demo: bool,
    max_versions: Option<usize>,
}

const USAGE: &str = "usage: nacos_watch --server http://HOST:PORT [--server …] --data-id ID --group G \
[--namespace NS] [--username U --password P] [--cache-dir DIR] | --demo";

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args::default();
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .filter(|v| !v.starts_with("--"))
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--server" => a.servers.push(value("--server")?),
            "--data-id" => a.data_id = Some(value("--data-id")?),
            "--group" => a.group = Some(value("--group")?),
            "--namespace" => a.namespace = Some(value("--namespace")?),
            "--username" => a.username = Some(value("--username")?),
            "--password" => a.password = Some(value("--password")?),
            "--cache-dir" => a.cache_dir = Some(value("--cache-dir")?),
            "--demo" => a.demo = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if a.demo {
        return Ok(a);
    }
    if a.servers.is_empty() {
        return Err("at least one --server is required".into());
    }
    if a.data_id.is_none() || a.group.is_none() {
        return Err("--data-id and --group are required".into());
    }
    if a.username.is_some() != a.password.is_some() {
        return Err("--username and --password go together".into());
    }
    Ok(a)
}

fn line(key: &ConfigKey, md5: &str, len: usize) -> String {
    serde_json::json!({
        "data_id": key.data_id(),
        "group": key.group(),
        "namespace": key.namespace(),
        "md5": md5,
        "len": len,
    })
    .to_string()
}

async fn watch(args: Args) -> Result<(), (u8, String)> {
    let mut b = NacosSource::builder();
    for s in &args.servers {
        b = b.with_server(s.clone());
    }
    if let (Some(u), Some(p)) = (&args.username, &args.password) {
        b = b.with_credentials(u.clone(), p.clone());
    }
    if let Some(dir) = &args.cache_dir {
        b = b.with_cache_dir(dir);
    }
    let nacos: Arc<dyn ConfigSource> = Arc::new(b.build().map_err(|e| (2, e.to_string()))?);
    let mut key = ConfigKey::new(args.data_id.clone().unwrap_or_default())
        .with_group(args.group.clone().unwrap_or_default());
    if let Some(ns) = &args.namespace {
        key = key.with_namespace(ns.clone());
    }
    key.validate().map_err(|e| (2, e.to_string()))?;

    // One call first, so a refused login is an error, not a retry loop.
    match nacos.get(&key).await {
        Err(e @ streampark::Error::PermissionDenied { .. }) => return Err((3, e.to_string())),
        Err(e) if !e.is_retryable() => return Err((1, e.to_string())),
        Err(e) => eprintln!("nacos_watch: {e}; waiting for a server"),
        Ok(_) => {}
    }
    let mut events = nacos.watch(&key).await.map_err(|e| (1, e.to_string()))?;
    let mut versions = 0;
    while let Some(event) = events.next().await {
        match event {
            ConfigEvent::Changed(doc) => {
                println!("{}", line(doc.key(), doc.md5(), doc.content().len()));
                versions += 1;
                if args.max_versions.is_some_and(|m| versions >= m) {
                    return Ok(());
                }
            }
            ConfigEvent::Deleted(k) => eprintln!("nacos_watch: {k} deleted"),
            ConfigEvent::Unavailable { error, .. } => {
                eprintln!("nacos_watch: {error}; retrying (last version stays in force)")
            }
            _ => {}
        }
    }
    Ok(())
}

/// Runs the watch against an in-process simulator: 3 versions, an outage in between.
async fn demo() -> Result<(), (u8, String)> {
    let err = |e: streampark::Error| (1, e.to_string());
    let mut sim = NacosSim::builder()
        .with_user("nacos", "nacos")
        .start()
        .await
        .map_err(err)?;
    let cache = std::env::temp_dir().join(format!("nacos_watch_demo_{}", std::process::id()));
    let args = Args {
        servers: vec![sim.url()],
        data_id: Some("flink.yaml".into()),
        group: Some("DEFAULT_GROUP".into()),
        username: Some("nacos".into()),
        password: Some("nacos".into()),
        cache_dir: Some(cache.display().to_string()),
        max_versions: Some(3),
        ..Args::default()
    };
    sim.publish(
        "",
        "DEFAULT_GROUP",
        "flink.yaml",
        "parallelism.default: 1\n",
    );
    let watcher = tokio::spawn(watch(args));
    tokio::time::sleep(Duration::from_millis(300)).await;
    sim.publish(
        "",
        "DEFAULT_GROUP",
        "flink.yaml",
        "parallelism.default: 2\n",
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    eprintln!("nacos_watch demo: stopping the server");
    sim.stop().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.publish(
        "",
        "DEFAULT_GROUP",
        "flink.yaml",
        "parallelism.default: 3\n",
    );
    eprintln!("nacos_watch demo: server back");
    sim.restart().await.map_err(err)?;
    let result = tokio::time::timeout(Duration::from_secs(30), watcher).await;
    let _ = std::fs::remove_dir_all(&cache);
    match result {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => Err((1, e.to_string())),
        Err(_) => Err((1, "demo did not see 3 versions in 30 s".into())),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("nacos_watch: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = if args.demo {
        demo().await
    } else {
        watch(args).await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, msg)) => {
            eprintln!("nacos_watch: {msg}");
            ExitCode::from(code)
        }
    }
}
