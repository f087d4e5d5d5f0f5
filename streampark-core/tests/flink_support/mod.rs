//! Shared by the tests that run against a scripts/flink-local instance: its TaskManager pids,
//! restarting a TaskManager, and waiting for a condition with a deadline.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::time::Duration;

/// The pids of the instance's TaskManagers (from its pid directory).
pub fn taskmanager_pids(state: &Path) -> Vec<String> {
    let mut pids = Vec::new();
    if let Ok(rd) = std::fs::read_dir(state.join("pids")) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().contains("taskexecutor") {
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                pids.extend(
                    text.lines()
                        .map(|l| l.trim().to_string())
                        .filter(|l| !l.is_empty()),
                );
            }
        }
    }
    pids
}

/// Kills every TaskManager of the instance with SIGKILL; panics when there is none.
pub fn kill_taskmanagers(state: &Path) {
    let pids = taskmanager_pids(state);
    assert!(
        !pids.is_empty(),
        "no TaskManager pid under {}",
        state.display()
    );
    for p in &pids {
        let _ = std::process::Command::new("kill").args(["-9", p]).status();
    }
}

/// Starts one more TaskManager of the instance with the Flink home's script.
pub fn start_taskmanager(home: &Path, state: &Path) {
    let status = std::process::Command::new(home.join("bin/taskmanager.sh"))
        .arg("start")
        .env("FLINK_CONF_DIR", state.join("conf"))
        .env("FLINK_LOG_DIR", state.join("log"))
        .env("FLINK_PID_DIR", state.join("pids"))
        .status()
        .expect("taskmanager.sh");
    assert!(status.success(), "taskmanager.sh start failed");
}

/// Polls `f` every half second until it holds; panics after `limit`.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while !f().await {
        assert!(
            start.elapsed() < limit,
            "gave up waiting for {what} after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!("[{:>5.1}s] {what}", start.elapsed().as_secs_f64());
}
