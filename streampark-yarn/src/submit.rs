//! How an application reaches YARN: the [`Submitter`] seam, the description of one submission
//! ([`YarnSubmission`]) and the pure Flink CLI argument construction and output parsing a CLI
//! submitter uses.

use std::collections::BTreeMap;
use std::fmt;

use streampark_core::{Error, JobId, Result};

/// Flink's deployment target on YARN.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum YarnTarget {
    /// `run-application -t yarn-application`: one application per job, `main()` on the cluster.
    Application,
    /// `run -t yarn-per-job --detached` (Flink < 2 only).
    PerJob,
    /// `run -t yarn-session -Dyarn.application.id=<id>`: submit to a running session cluster.
    Session {
        /// The session cluster's application id.
        application_id: String,
    },
}

/// Everything a [`Submitter`] needs to start one attempt of one job on YARN.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct YarnSubmission {
    /// The job.
    pub job: JobId,
    /// The attempt.
    pub attempt: u64,
    /// Application, per-job or session.
    pub target: YarnTarget,
    /// `yarn.application.name` (carries the job id and attempt, see `deploy::tag`).
    pub name: String,
    /// Tags (already lower-case, as YARN stores them).
    pub tags: Vec<String>,
    /// The user jar: a local path or a URI (`hdfs://…`, `local://…`).
    pub user_jar: String,
    /// Main class.
    pub entry_class: Option<String>,
    /// Program arguments.
    pub args: Vec<String>,
    /// The SQL script when the program is the SQL runner (informational; the runner gets it
    /// through `args`).
    pub sql: Option<String>,
    /// Every Flink option passed as `-Dkey=value` (name, queue, tags, lib dirs, restore, …).
    pub config: BTreeMap<String, String>,
}

impl YarnSubmission {
    /// A submission with no options, arguments or entry class.
    pub fn new(
        job: JobId,
        attempt: u64,
        target: YarnTarget,
        name: impl Into<String>,
        user_jar: impl Into<String>,
    ) -> Self {
        YarnSubmission {
            job,
            attempt,
            target,
            name: name.into(),
            tags: Vec::new(),
            user_jar: user_jar.into(),
            entry_class: None,
            args: Vec::new(),
            sql: None,
            config: BTreeMap::new(),
        }
    }
}

/// Starts an application on YARN and answers its application id. Hosts hold it as
/// `Arc<dyn Submitter>`; `CliSubmitter` (Flink CLI) and the testkit's `SimSubmitter` implement it.
///
/// # Contract
/// - Returns the application id of the started application.
/// - A refused program is [`Error::Rejected`] with the tail of the client's error output.
/// - On [`Error::Timeout`] the application may still have been started: the deployer looks for
///   it by its tags and adopts or kills it.
#[async_trait::async_trait]
pub trait Submitter: fmt::Debug + Send + Sync + 'static {
    /// Submits and returns the YARN application id.
    async fn submit(&self, submission: &YarnSubmission) -> Result<String>;

    /// Starts a detached YARN session cluster and returns its application id. The default
    /// answers [`Error::Unsupported`].
    async fn start_session(&self, spec: &crate::session::YarnSessionSpec) -> Result<String> {
        let _ = spec;
        Err(Error::Unsupported {
            backend: crate::BACKEND,
            operation: "session clusters with this submitter".into(),
        })
    }
}

/// The Flink CLI arguments for a submission (without the `flink` binary itself).
///
/// `flink_major` selects the action: Flink 2 has no per-job mode and runs applications with
/// `run -t yarn-application`; Flink 1.x uses `run-application -t yarn-application`.
///
/// # Errors
/// [`Error::Unsupported`] for per-job mode on Flink 2 or later.
///
/// ```
/// use std::collections::BTreeMap;
/// use streampark_core::JobId;
/// use streampark_yarn::submit::{YarnSubmission, YarnTarget, cli_args};
/// # fn demo(s: YarnSubmission) -> streampark_core::Result<()> {
/// let args = cli_args(&s, 1)?;
/// assert_eq!(&args[..3], ["run-application", "-t", "yarn-application"]);
/// # Ok(()) }
/// ```
pub fn cli_args(s: &YarnSubmission, flink_major: u32) -> Result<Vec<String>> {
    let mut args: Vec<String> = match (&s.target, flink_major >= 2) {
        (YarnTarget::Application, false) => vec![
            "run-application".into(),
            "-t".into(),
            "yarn-application".into(),
        ],
        (YarnTarget::Application, true) => {
            vec!["run".into(), "-t".into(), "yarn-application".into()]
        }
        (YarnTarget::PerJob, false) => vec![
            "run".into(),
            "-t".into(),
            "yarn-per-job".into(),
            "--detached".into(),
        ],
        (YarnTarget::PerJob, true) => {
            return Err(Error::Unsupported {
                backend: crate::BACKEND,
                operation: "yarn-per-job mode on Flink 2 (removed there; use application mode)"
                    .into(),
            });
        }
        (YarnTarget::Session { application_id }, _) => vec![
            "run".into(),
            "-t".into(),
            "yarn-session".into(),
            "--detached".into(),
            format!("-Dyarn.application.id={application_id}"),
        ],
    };
    for (k, v) in &s.config {
        args.push(format!("-D{k}={v}"));
    }
    if let Some(c) = &s.entry_class {
        args.push("-c".into());
        args.push(c.clone());
    }
    args.push(s.user_jar.clone());
    args.extend(s.args.iter().cloned());
    Ok(args)
}

/// The arguments of `yarn-session.sh` starting a detached session cluster.
pub fn session_start_args(
    name: &str,
    queue: Option<&str>,
    tags: &[String],
    extra: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut args = vec!["-d".to_string(), format!("-Dyarn.application.name={name}")];
    if let Some(q) = queue {
        args.push(format!("-Dyarn.application.queue={q}"));
    }
    if !tags.is_empty() {
        args.push(format!("-Dyarn.tags={}", tags.join(",")));
    }
    for (k, v) in extra {
        args.push(format!("-D{k}={v}"));
    }
    args
}

/// The first YARN application id (`application_<cluster ts>_<n>`) in the CLI's output.
///
/// ```
/// use streampark_yarn::submit::parse_application_id;
/// let out = "2026-01-01 INFO  YarnClusterDescriptor - Submitted application application_1700000000000_0042\n";
/// assert_eq!(parse_application_id(out).as_deref(), Some("application_1700000000000_0042"));
/// assert_eq!(parse_application_id("application_x_1"), None);
/// ```
pub fn parse_application_id(out: &str) -> Option<String> {
    let mut rest = out;
    while let Some(i) = rest.find("application_") {
        let tail = &rest[i + "application_".len()..];
        let ts: String = tail.chars().take_while(char::is_ascii_digit).collect();
        let after = &tail[ts.len()..];
        if !ts.is_empty()
            && let Some(n) = after.strip_prefix('_')
        {
            let seq: String = n.chars().take_while(char::is_ascii_digit).collect();
            if !seq.is_empty() {
                return Some(format!("application_{ts}_{seq}"));
            }
        }
        rest = tail;
    }
    None
}

/// The last `n` lines of a process's error output, for error messages.
pub fn stderr_tail(stderr: &str, n: usize) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(target: YarnTarget) -> YarnSubmission {
        let mut config = BTreeMap::new();
        config.insert(
            "yarn.application.name".into(),
            "Orders [streampark:orders:2]".into(),
        );
        config.insert(
            "yarn.tags".into(),
            "streampark,streampark.job=orders,streampark.attempt=2".into(),
        );
        config.insert("yarn.application.queue".into(), "streaming".into());
        YarnSubmission {
            job: JobId::new("orders").unwrap(),
            attempt: 2,
            target,
            name: "Orders [streampark:orders:2]".into(),
            tags: vec!["streampark".into()],
            user_jar: "hdfs://nn:8020/ws/jobs/orders/2/app.jar".into(),
            entry_class: Some("com.example.Main".into()),
            args: vec!["--in".into(), "x".into()],
            sql: None,
            config,
        }
    }

    #[test]
    fn application_mode_arguments() {
        let a = cli_args(&sub(YarnTarget::Application), 1).unwrap();
        assert_eq!(
            a,
            [
                "run-application",
                "-t",
                "yarn-application",
                "-Dyarn.application.name=Orders [streampark:orders:2]",
                "-Dyarn.application.queue=streaming",
                "-Dyarn.tags=streampark,streampark.job=orders,streampark.attempt=2",
                "-c",
                "com.example.Main",
                "hdfs://nn:8020/ws/jobs/orders/2/app.jar",
                "--in",
                "x"
            ]
        );
        let a2 = cli_args(&sub(YarnTarget::Application), 2).unwrap();
        assert_eq!(&a2[..3], ["run", "-t", "yarn-application"]);
    }

    #[test]
    fn per_job_and_session_arguments() {
        let a = cli_args(&sub(YarnTarget::PerJob), 1).unwrap();
        assert_eq!(&a[..4], ["run", "-t", "yarn-per-job", "--detached"]);
        assert!(matches!(
            cli_args(&sub(YarnTarget::PerJob), 2),
            Err(Error::Unsupported { .. })
        ));
        let s = cli_args(
            &sub(YarnTarget::Session {
                application_id: "application_1_7".into(),
            }),
            2,
        )
        .unwrap();
        assert_eq!(
            &s[..5],
            [
                "run",
                "-t",
                "yarn-session",
                "--detached",
                "-Dyarn.application.id=application_1_7"
            ]
        );
        let st = session_start_args("sess", Some("q"), &["streampark".into()], &BTreeMap::new());
        assert_eq!(
            st,
            [
                "-d",
                "-Dyarn.application.name=sess",
                "-Dyarn.application.queue=q",
                "-Dyarn.tags=streampark"
            ]
        );
    }

    #[test]
    fn application_id_is_found_in_cli_output() {
        // Shapes of Flink's YarnClusterDescriptor / CliFrontend output.
        let out =
            "Found Web Interface host:8081 of application 'application_1476912658570_0002'.\n";
        assert_eq!(
            parse_application_id(out).as_deref(),
            Some("application_1476912658570_0002")
        );
        let out = "x application_ y application_12 application_12_ application_34_5";
        assert_eq!(
            parse_application_id(out).as_deref(),
            Some("application_34_5")
        );
        // Flink 2.3's conf/log4j-cli.properties sends org.apache.flink.yarn at INFO to the
        // console with `%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n`; the message texts are
        // YarnClusterDescriptor's ("Submitting application master " + id, "Found Web Interface
        // {}:{} of application '{}'.", the detached session's `yarn-session.sh -id {}`), read
        // from flink-dist-2.3.0.jar. The whole lines are assembled here, not captured from YARN.
        let out = "2026-11-24 13:04:07,123 INFO  org.apache.flink.yarn.YarnClusterDescriptor                - Submitting application master application_1700000000000_0007\n\
                   2026-11-24 13:04:09,456 INFO  org.apache.flink.yarn.YarnClusterDescriptor                - Found Web Interface nm-3:40111 of application 'application_1700000000000_0007'.\n";
        assert_eq!(
            parse_application_id(out).as_deref(),
            Some("application_1700000000000_0007")
        );
        let out = "$ echo \"stop\" | ./bin/yarn-session.sh -id application_1700000000000_0012\n";
        assert_eq!(
            parse_application_id(out).as_deref(),
            Some("application_1700000000000_0012")
        );
        assert_eq!(parse_application_id("nothing here"), None);
        assert_eq!(stderr_tail("a\n\nb\nc\n", 2), "b\nc");
    }
}
