//! Running the Flink CLI (`bin/flink`, `bin/yarn-session.sh`, …) of a [`FlinkHome`].
//!
//! - every run is its own process group; on timeout (or when the caller drops the future) the
//!   whole group is killed, so the JVM the shell script started never outlives the call;
//! - stdout and stderr are captured, each up to a size cap (the head and the tail are kept);
//! - a non-zero exit is [`Error::Rejected`] carrying the redacted tail of stderr, a timeout is
//!   [`Error::Timeout`] with the stderr tail in its operation text;
//! - secrets in arguments and output (`-D…password=…`, tokens, URL credentials) are masked in
//!   errors and logs ([`redact`]); one `tracing` span per run (`flink_cli.run`).
//!
//! ```no_run
//! use streampark_core::{FlinkCli, FlinkHome};
//! use streampark_core::flink_cli::parse;
//! # async fn f() -> Result<(), streampark_core::Error> {
//! let cli = FlinkCli::new(FlinkHome::detect("/opt/flink")?)
//!     .with_timeout(std::time::Duration::from_secs(60))
//!     .with_env("HADOOP_CONF_DIR", "/etc/hadoop/conf");
//! let args: Vec<String> = ["run", "-t", "remote", "--detached", "/jobs/app.jar"].map(String::from).into();
//! let out = cli.run(&args).await?;
//! let job = parse::job_id(&out.combined());
//! # Ok(()) }
//! ```

pub mod parse;
mod process;
mod redact;

use std::path::PathBuf;
use std::time::Duration;

pub use redact::redact;

use crate::{Error, FlinkHome};

/// Default limit for one CLI run.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Default cap on captured bytes per stream.
pub const DEFAULT_OUTPUT_LIMIT: usize = 4 * 1024 * 1024;
/// Characters of stderr kept in error messages.
const TAIL_CHARS: usize = 2000;

/// Runs the CLI scripts of one Flink home. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct FlinkCli {
    home: FlinkHome,
    timeout: Duration,
    env: Vec<(String, String)>,
    conf_dir: Option<PathBuf>,
    output_limit: usize,
}

impl std::fmt::Debug for FlinkCli {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Environment values may hold secrets: print the keys only.
        f.debug_struct("FlinkCli")
            .field("home", &self.home.home())
            .field("timeout", &self.timeout)
            .field(
                "env",
                &self.env.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            )
            .field("conf_dir", &self.conf_dir)
            .field("output_limit", &self.output_limit)
            .finish()
    }
}

/// What a finished CLI run printed. Plain fields (contract C1), so other crates' tests can
/// build one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliOutput {
    /// The process's exit code (`-1` when killed by a signal).
    pub exit_code: i32,
    /// Captured stdout (capped; lossy UTF-8).
    pub stdout: String,
    /// Captured stderr (capped; lossy UTF-8).
    pub stderr: String,
}

impl CliOutput {
    /// stdout followed by stderr, for the [`parse`] functions.
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl FlinkCli {
    /// A CLI for `home`, timeout [`DEFAULT_TIMEOUT`], `FLINK_CONF_DIR` = the home's conf dir.
    pub fn new(home: FlinkHome) -> FlinkCli {
        FlinkCli {
            home,
            timeout: DEFAULT_TIMEOUT,
            env: Vec::new(),
            conf_dir: None,
            output_limit: DEFAULT_OUTPUT_LIMIT,
        }
    }

    /// Limit for each run; the process group is killed when it is reached.
    #[must_use]
    pub fn with_timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// An environment variable for the CLI (e.g. `HADOOP_CONF_DIR`); later values win.
    #[must_use]
    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        self.env.retain(|(k, _)| *k != key);
        self.env.push((key, value.into()));
        self
    }

    /// `FLINK_CONF_DIR` for the CLI (default: [`FlinkHome::conf_dir`]).
    #[must_use]
    pub fn with_conf_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.conf_dir = Some(dir.into());
        self
    }

    /// Cap on captured bytes per stream (default [`DEFAULT_OUTPUT_LIMIT`]); beyond it the
    /// middle is dropped, the head and the tail are kept.
    #[must_use]
    pub fn with_output_limit(mut self, bytes: usize) -> Self {
        self.output_limit = bytes.max(1024);
        self
    }

    /// The Flink home.
    pub fn home(&self) -> &FlinkHome {
        &self.home
    }

    /// Runs `<home>/bin/flink <args>`.
    ///
    /// # Errors
    /// - [`Error::Timeout`] when the run exceeds the timeout (the process group was killed; the
    ///   operation text carries the stderr tail);
    /// - [`Error::Rejected`] `{ operation: "flink <action>", message: <redacted stderr tail> }`
    ///   on a non-zero exit;
    /// - [`Error::Other`] when the script cannot be started.
    pub async fn run(&self, args: &[String]) -> Result<CliOutput, Error> {
        let action = args
            .iter()
            .find(|a| !a.starts_with('-'))
            .map_or("", String::as_str);
        let operation = if action.is_empty() {
            "flink".to_string()
        } else {
            format!("flink {action}")
        };
        self.exec("flink", operation, args).await
    }

    /// Runs another script in `<home>/bin/` (e.g. `yarn-session.sh`, `kubernetes-session.sh`).
    ///
    /// # Errors
    /// As [`FlinkCli::run`]; [`Error::InvalidInput`] when `script` is not a plain file name.
    pub async fn run_script(&self, script: &str, args: &[String]) -> Result<CliOutput, Error> {
        if script.is_empty() || script.contains(['/', '\\']) || script == "." || script == ".." {
            return Err(Error::invalid_input(
                "flink",
                "Flink CLI script",
                format!("`{script}`"),
                "expected a file name in the home's bin/ directory",
            ));
        }
        self.exec(script, script.to_string(), args).await
    }

    async fn exec(
        &self,
        script: &str,
        operation: String,
        args: &[String],
    ) -> Result<CliOutput, Error> {
        let program = self.home.home().join("bin").join(script);
        let conf_dir = self
            .conf_dir
            .clone()
            .unwrap_or_else(|| self.home.conf_dir().to_path_buf());
        let mut env: Vec<(String, String)> = vec![
            (
                "FLINK_HOME".into(),
                self.home.home().to_string_lossy().into_owned(),
            ),
            (
                "FLINK_CONF_DIR".into(),
                conf_dir.to_string_lossy().into_owned(),
            ),
        ];
        env.extend(self.env.iter().cloned());
        let shown_args = redact(&args.join(" "));
        let span = tracing::info_span!(
            "flink_cli.run",
            backend = "flink",
            operation = %operation,
            home = %self.home.home().display(),
            args = %shown_args,
            exit_code = tracing::field::Empty,
        );
        let run = process::Run {
            program,
            args: args.to_vec(),
            env,
            timeout: self.timeout,
            limit: self.output_limit,
        };
        let result = tracing::Instrument::instrument(run.execute(), span.clone()).await;
        let _enter = span.enter();
        match result {
            Ok(process::Finished::Exited(out)) => {
                span.record("exit_code", out.exit_code);
                if out.exit_code == 0 {
                    tracing::debug!("flink CLI finished");
                    Ok(out)
                } else {
                    let tail = tail(&out.stderr, &out.stdout);
                    tracing::warn!(exit_code = out.exit_code, stderr_tail = %tail, "flink CLI failed");
                    Err(Error::Rejected {
                        backend: "flink",
                        operation,
                        message: format!("exit code {}: {tail}", out.exit_code),
                        source: None,
                    })
                }
            }
            Ok(process::Finished::TimedOut(out)) => {
                let tail = tail(&out.stderr, &out.stdout);
                tracing::warn!(after = ?self.timeout, stderr_tail = %tail, "flink CLI timed out; process group killed");
                let operation = if tail.is_empty() {
                    operation
                } else {
                    format!("{operation} (stderr tail: {tail})")
                };
                Err(Error::Timeout {
                    backend: "flink",
                    operation,
                    after: self.timeout,
                })
            }
            Err(e) => {
                tracing::warn!(error = %e, "flink CLI could not start");
                Err(Error::Other {
                    backend: "flink",
                    message: format!(
                        "cannot start `{}`",
                        self.home.home().join("bin").join(script).display()
                    ),
                    source: Some(Box::new(e)),
                })
            }
        }
    }
}

/// The redacted last [`TAIL_CHARS`] characters of stderr (stdout when stderr is empty; the
/// Flink CLI prints its errors to stdout in some versions). Java stack frames (`\tat …`,
/// `... N more`) and blank lines are left out so exception messages and `Caused by:` fit.
fn tail(stderr: &str, stdout: &str) -> String {
    let text = if stderr.trim().is_empty() {
        stdout
    } else {
        stderr
    };
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            let frame = l.starts_with(char::is_whitespace)
                && (t.starts_with("at ") || (t.starts_with("... ") && t.ends_with(" more")));
            !frame && !t.is_empty()
        })
        .collect();
    let joined = kept.join("\n");
    let text = joined.trim_end();
    let start = text
        .char_indices()
        .rev()
        .nth(TAIL_CHARS.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    redact(&text[start..])
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tail_tests {
    #[test]
    fn tail_keeps_exception_lines_not_stack_frames() {
        let mut err = String::from(
            "\n------\n The program finished with the following exception:\n\norg.apache.flink.client.program.ProgramInvocationException: entry point class 'x.Y' was not found\n",
        );
        for i in 0..200 {
            err.push_str(&format!(
                "\tat org.apache.flink.Frame{i}.call(Frame.java:{i})\n"
            ));
        }
        err.push_str("Caused by: java.lang.ClassNotFoundException: x.Y\n\t... 12 more\n");
        let t = super::tail(&err, "");
        assert!(t.contains("entry point class 'x.Y' was not found"), "{t}");
        assert!(
            t.contains("Caused by: java.lang.ClassNotFoundException: x.Y"),
            "{t}"
        );
        assert!(!t.contains("Frame1"), "{t}");
        assert_eq!(super::tail("", "only stdout\n"), "only stdout");
    }
}
