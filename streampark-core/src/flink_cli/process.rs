//! One child process in its own process group, with capped output capture and a timeout that
//! kills the whole group.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use super::CliOutput;

/// How long to wait for the pipes to drain after the group was killed.
const DRAIN_AFTER_KILL: Duration = Duration::from_secs(2);

pub(super) struct Run {
    pub(super) program: PathBuf,
    pub(super) args: Vec<String>,
    pub(super) env: Vec<(String, String)>,
    pub(super) timeout: Duration,
    pub(super) limit: usize,
}

pub(super) enum Finished {
    Exited(CliOutput),
    TimedOut(CliOutput),
}

/// Kills the process group when dropped unless disarmed: a caller that drops the future (or a
/// panic) never leaves the JVM behind.
struct GroupGuard {
    pgid: Option<i32>,
}

impl GroupGuard {
    fn kill(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            kill_group(pgid);
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(unix)]
fn kill_group(pgid: i32) {
    if let Some(pid) = rustix::process::Pid::from_raw(pgid) {
        // ESRCH (already gone) is fine.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_pgid: i32) {}

impl Run {
    pub(super) async fn execute(self) -> std::io::Result<Finished> {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        #[cfg(unix)]
        cmd.process_group(0);
        let mut child = cmd.spawn()?;
        let mut guard = GroupGuard {
            pgid: child.id().and_then(|id| i32::try_from(id).ok()),
        };
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let limit = self.limit;
        let out_task = tokio::spawn(capture(stdout, limit));
        let err_task = tokio::spawn(capture(stderr, limit));

        let status = tokio::time::timeout(self.timeout, child.wait()).await;
        let timed_out = match status {
            Ok(Ok(status)) => {
                // The script is done. Whatever it started in the background on purpose (a
                // daemon) stays; `drain` bounds the wait should it hold the pipes open.
                let code = exit_code(&status);
                guard.pgid = None;
                let (stdout, stderr) = drain(out_task, err_task).await;
                return Ok(Finished::Exited(CliOutput {
                    exit_code: code,
                    stdout,
                    stderr,
                }));
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => true,
        };
        debug_assert!(timed_out);
        guard.kill();
        let code = match tokio::time::timeout(DRAIN_AFTER_KILL, child.wait()).await {
            Ok(Ok(status)) => exit_code(&status),
            _ => -1,
        };
        let (stdout, stderr) = drain(out_task, err_task).await;
        Ok(Finished::TimedOut(CliOutput {
            exit_code: code,
            stdout,
            stderr,
        }))
    }
}

fn exit_code(status: &std::process::ExitStatus) -> i32 {
    status.code().unwrap_or(-1)
}

async fn drain(
    out: tokio::task::JoinHandle<String>,
    err: tokio::task::JoinHandle<String>,
) -> (String, String) {
    let get = |h: tokio::task::JoinHandle<String>| async move {
        match tokio::time::timeout(DRAIN_AFTER_KILL, h).await {
            Ok(Ok(s)) => s,
            _ => String::new(),
        }
    };
    (get(out).await, get(err).await)
}

/// Reads a stream to its end keeping at most `limit` bytes: the first half and the last half,
/// with a marker for what was dropped between.
async fn capture<R: AsyncRead + Unpin>(stream: Option<R>, limit: usize) -> String {
    let Some(mut stream) = stream else {
        return String::new();
    };
    let half = limit / 2;
    let mut head: Vec<u8> = Vec::new();
    let mut tail: VecDeque<u8> = VecDeque::new();
    let mut dropped: u64 = 0;
    let mut buf = [0u8; 8192];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut chunk = &buf[..n];
        if head.len() < half {
            let take = (half - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
        }
        tail.extend(chunk);
        while tail.len() > half {
            tail.pop_front();
            dropped += 1;
        }
    }
    let mut text = String::from_utf8_lossy(&head).into_owned();
    if dropped > 0 {
        text.push_str(&format!("\n[... {dropped} bytes dropped ...]\n"));
    }
    let (a, b) = tail.as_slices();
    let mut rest = a.to_vec();
    rest.extend_from_slice(b);
    text.push_str(&String::from_utf8_lossy(&rest));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn capture_keeps_head_and_tail() {
        let data: Vec<u8> = (0..10_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let text = capture(Some(&data[..]), 1000).await;
        assert!(text.starts_with(std::str::from_utf8(&data[..500]).unwrap()));
        assert!(text.ends_with(std::str::from_utf8(&data[9_500..]).unwrap()));
        assert!(text.contains("[... 9000 bytes dropped ...]"), "{text}");
        let small = capture(Some(&b"short"[..]), 1000).await;
        assert_eq!(small, "short");
    }
}
