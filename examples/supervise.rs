//! Supervise one Flink SQL job on a real cluster until SIGINT or SIGTERM.
//!
//! ```text
//! cargo run --example supervise -- --rest-url http://127.0.0.1:8081 --sql job.sql \
//!     --job-id orders --state sqlite:///var/lib/streampark/state.db [--checkpoint-dir file:///ckpt]
//! ```
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
use streampark::{JobSpec, RemoteDeployer, Restore};

struct Args {
    rest_url: String,
    sql: String,
    job_id: String,
    state: String,
    checkpoint_dir: Option<String>,
}

const USAGE: &str = "usage: supervise --rest-url URL --sql FILE --job-id ID --state sqlite://PATH [--checkpoint-dir file:///DIR]";

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut rest_url, mut sql, mut job_id, mut state, mut checkpoint_dir) =
        (None, None, None, None, None);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--rest-url" => rest_url = Some(value()?),
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
        rest_url: need(rest_url, "--rest-url")?,
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
    let deployer = RemoteDeployer::builder()
        .with_url(&args.rest_url)
        .with_request_timeout(Duration::from_secs(60))
        .build()?;
    let store = SqliteStore::open(path).await?;
    let sup = Supervisor::builder(Arc::new(store))
        .with_id(format!("supervise-{}", args.job_id))
        .with_cluster("flink", Arc::new(deployer))
        .with_tick(Duration::from_secs(2))
        .build()?;
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
