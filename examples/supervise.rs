//! Supervise one Flink SQL job on any backend until SIGINT or SIGTERM.
//!
//! ```text
//! cargo run --example supervise -- --cluster flink+http://127.0.0.1:8081 --sql job.sql \
//!     --job-id orders --state sqlite:///var/lib/streampark/state.db [--checkpoint-dir file:///ckpt]
//! cargo run --example supervise -- --cluster cdp=yarn:// --option hadoop-conf=/etc/hadoop/conf \
//!     --option flink-home=/opt/flink-1.14 --cluster k8s=k8s://flink --sql job.sql ...
//! ```
//!
//! Clusters are registry URLs (`--cluster [NAME=]URL`, repeatable; default `sim://local`) with
//! the registry's options (`--option key=value`); the job goes to the first cluster, or the
//! first whose Flink version satisfies `--flink-version REQ`.
//!
//! Prints one JSON line per event:
//! `{"job_id", "attempt", "state", "flink_job_id", "restored_from", "ts", "event"}`.
//! A signal stops the supervisor, not the job; started again with the same `--state`, it adopts
//! the running job and submits nothing. Restarts use exponential backoff (10 s doubling, at most
//! 10 restarts) and restore from the latest checkpoint or savepoint.

use std::sync::Arc;
use std::time::Duration;

use streampark::store::SqliteStore;
use streampark::supervisor::Supervisor;
use streampark::{JobSpec, Restore};

struct Args {
    clusters: Vec<String>,
    options: Vec<(String, String)>,
    flink_version: Option<String>,
    sql: String,
    job_id: String,
    state: String,
    checkpoint_dir: Option<String>,
}

const USAGE: &str = "usage: supervise [--cluster [NAME=]URL]... [--option key=value]... [--flink-version REQ] --sql FILE --job-id ID --state sqlite://PATH [--checkpoint-dir file:///DIR]";

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut sql, mut job_id, mut state, mut checkpoint_dir) = (None, None, None, None);
    let (mut clusters, mut options, mut flink_version) = (Vec::new(), Vec::new(), None);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--cluster" => clusters.push(value()?),
            "--option" => options.push(
                streampark_examples::clusters::split_option_arg(&value()?)
                    .map_err(|e| format!("{e}\n{USAGE}"))?,
            ),
            "--flink-version" => flink_version = Some(value()?),
            "--sql" => sql = Some(value()?),
            "--job-id" => job_id = Some(value()?),
            "--state" => state = Some(value()?),
            "--checkpoint-dir" => checkpoint_dir = Some(value()?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let need =
        |v: Option<String>, name: &str| v.ok_or_else(|| format!("{name} is required\n{USAGE}"));
    Ok(Args {
        clusters,
        options,
        flink_version,
        sql: need(sql, "--sql")?,
        job_id: need(job_id, "--job-id")?,
        state: need(state, "--state")?,
        checkpoint_dir,
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = match parse() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let Some(path) = args.state.strip_prefix("sqlite://") else {
        eprintln!("--state must be sqlite://PATH\n{USAGE}");
        std::process::exit(2);
    };
    let script =
        std::fs::read_to_string(&args.sql).map_err(|e| format!("cannot read {}: {e}", args.sql))?;
    let mut spec = JobSpec::sql(&args.job_id, script)?.with_restore(Restore::Latest);
    if let Some(dir) = &args.checkpoint_dir {
        spec = spec.with_config("execution.checkpointing.dir", dir);
    }
    if let Some(req) = &args.flink_version {
        spec = spec.with_flink_version(req)?;
    }
    let store = SqliteStore::open(path).await?;
    let mut b = Supervisor::builder(Arc::new(store))
        .with_id(format!("supervise-{}", args.job_id))
        .with_tick(Duration::from_secs(2));
    for c in streampark_examples::clusters::build(&args.clusters, &args.options).await? {
        b = match c.version {
            Some(v) => b.with_cluster_version(c.name, c.deployer, v),
            None => b.with_cluster(c.name, c.deployer),
        };
    }
    let sup = b.build()?;
    let mut events = sup.subscribe();
    let printer = tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(e) => {
                    let line = serde_json::json!({
                        "job_id": e.job,
                        "attempt": e.attempt,
                        "state": e.state,
                        "flink_job_id": e.deployment,
                        "restored_from": e.restored_from,
                        "ts": e.ts_ms,
                        "event": serde_json::to_value(&e.kind).ok().and_then(|k| k.get("kind").cloned()),
                    });
                    println!("{line}");
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    eprintln!("supervise: {n} events dropped (slow output)");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    sup.manage(spec).await?;
    sup.run(shutdown_signal()).await?;
    drop(sup);
    // Give the printer the last events, then leave; the job keeps running.
    let _ = tokio::time::timeout(Duration::from_secs(1), printer).await;
    eprintln!("supervise: stopped (the job keeps running)");
    Ok(())
}
