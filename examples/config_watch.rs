//! Live configuration updates for running jobs from a directory of config files.
//!
//! ```text
//! config_watch --dir DIR --job JOB=DATA_ID [--job …]   # e.g. --job orders=orders.yaml
//! config_watch --demo                                  # temp dir, three edits, then exits
//! ```
//!
//! Prints one JSON line per update: which jobs, which keys changed (names only, never
//! values), and whether the change applies live (`streampark.alert.*`,
//! `streampark.restart.*`) or needs a restart (Flink configuration). A malformed version is
//! reported and ignored; the last good version stays in force.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use streampark::JobId;
use streampark::config::{ApplyMode, ConfigKey, ConfigUpdate, ConfigWatcher, FileSource};

fn json(update: &ConfigUpdate) -> String {
    let v = match update {
        ConfigUpdate::Changed {
            key,
            jobs,
            md5,
            changed_keys,
            apply,
            ..
        } => serde_json::json!({
            "data_id": key.data_id(),
            "jobs": jobs.iter().map(JobId::as_str).collect::<Vec<_>>(),
            "md5": md5,
            "changed_keys": changed_keys,
            "apply": if *apply == ApplyMode::Live { "live" } else { "restart" },
        }),
        ConfigUpdate::Rejected { key, jobs, error } => serde_json::json!({
            "data_id": key.data_id(),
            "jobs": jobs.iter().map(JobId::as_str).collect::<Vec<_>>(),
            "rejected": error.to_string(),
        }),
        ConfigUpdate::Unavailable { key, error, .. } => serde_json::json!({
            "data_id": key.data_id(),
            "unavailable": error.to_string(),
        }),
        _ => serde_json::json!({}),
    };
    v.to_string()
}

async fn run(dir: String, jobs: Vec<(String, String)>, max: Option<usize>) -> Result<(), String> {
    let files = FileSource::new(&dir).map_err(|e| e.to_string())?;
    let mut watcher = ConfigWatcher::new(Arc::new(files));
    for (job, data_id) in jobs {
        watcher.bind(
            JobId::new(job).map_err(|e| e.to_string())?,
            ConfigKey::new(data_id),
        );
    }
    let mut updates = watcher.start().await.map_err(|e| e.to_string())?;
    let mut n = 0;
    while let Some(u) = updates.next().await {
        println!("{}", json(&u));
        n += 1;
        if max.is_some_and(|m| n >= m) {
            break;
        }
    }
    Ok(())
}

async fn demo() -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("config_watch_demo_{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("orders.yaml");
    let write = |text: &str| {
        // An editor's save: write a temp file, rename it over the original.
        let tmp = dir.join(".orders.yaml.swp");
        std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, &path))
    };
    write("parallelism.default: 2\nstreampark:\n  alert:\n    route: ops\n")
        .map_err(|e| e.to_string())?;
    let task = tokio::spawn(run(
        dir.display().to_string(),
        vec![("orders".into(), "orders.yaml".into())],
        Some(3),
    ));
    let pause = || tokio::time::sleep(Duration::from_millis(400));
    pause().await;
    write("parallelism.default: 2\nstreampark:\n  alert:\n    route: oncall\n")
        .map_err(|e| e.to_string())?;
    pause().await;
    write("parallelism.default: [4\n").map_err(|e| e.to_string())?;
    pause().await;
    write("parallelism.default: 4\nstreampark:\n  alert:\n    route: oncall\n")
        .map_err(|e| e.to_string())?;
    let r = tokio::time::timeout(Duration::from_secs(30), task).await;
    let _ = std::fs::remove_dir_all(&dir);
    match r {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("demo did not see 3 updates in 30 s".into()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.iter().any(|a| a == "--demo") {
        demo().await
    } else {
        let mut dir = None;
        let mut jobs = Vec::new();
        let mut it = args.into_iter();
        let mut bad = None;
        while let Some(a) = it.next() {
            match (a.as_str(), it.next()) {
                ("--dir", Some(d)) => dir = Some(d),
                ("--job", Some(j)) => match j.split_once('=') {
                    Some((job, id)) => jobs.push((job.to_string(), id.to_string())),
                    None => bad = Some(format!("--job wants JOB=DATA_ID, got `{j}`")),
                },
                (other, _) => bad = Some(format!("unknown or incomplete argument `{other}`")),
            }
        }
        match (bad, dir) {
            (Some(msg), _) => Err(msg),
            (None, None) => Err("--dir is required".into()),
            (None, Some(_)) if jobs.is_empty() => Err("at least one --job JOB=DATA_ID".into()),
            (None, Some(dir)) => run(dir, jobs, None).await,
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!(
                "config_watch: {msg}\nusage: config_watch --dir DIR --job JOB=DATA_ID [--job …] | --demo"
            );
            ExitCode::from(2)
        }
    }
}
