//! [`SimSubmitter`]: "submits" to the simulated RM what the Flink CLI would, so the conformance
//! suite runs end to end without Java.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use streampark_core::deploy::tag;
use streampark_core::{Error, Result};

use streampark_core::testkit::SimJobManager;

use super::jobmanager::{CHECKPOINT_DIR, SAVEPOINT_DIR, jm_log};
use super::{SimApp, SimAttempt, SimYarn, bind, container_id, serve};
use crate::rm::{AppState, FinalStatus};
use crate::session::YarnSessionSpec;
use crate::submit::{Submitter, YarnSubmission, YarnTarget};

/// A [`Submitter`] that creates the application in a [`SimYarn`]: name, queue and tags from the
/// submission's `-D` options (tags lower-cased as YARN does), one JobManager per attempt.
///
/// SQL scripts are checked like the runner would (a statement that is not DDL/DML/SET is
/// rejected with `SQL parse failed`); `-- sim: fail-after <n>s` makes the job fail after `n`
/// seconds; a local user jar that does not contain its entry class name is rejected.
#[derive(Clone, Debug)]
pub struct SimSubmitter {
    sim: SimYarn,
    timeouts: Arc<AtomicU32>,
    delay_ms: u64,
}

impl SimSubmitter {
    /// A submitter for `sim`.
    pub fn new(sim: SimYarn) -> Self {
        SimSubmitter {
            sim,
            timeouts: Arc::new(AtomicU32::new(0)),
            delay_ms: 0,
        }
    }

    /// The next `n` submissions start the application but answer [`Error::Timeout`], as a CLI
    /// killed on timeout after YARN accepted the application.
    pub fn time_out_after_submitting(&self, n: u32) {
        self.timeouts.store(n, Ordering::SeqCst);
    }
}

fn check_sql(script: &str) -> std::result::Result<(), String> {
    const KEYWORDS: [&str; 10] = [
        "CREATE", "INSERT", "SET", "RESET", "USE", "ALTER", "DROP", "EXECUTE", "BEGIN", "END",
    ];
    let mut line = 1;
    let mut n = 0;
    for stmt in script.split(';') {
        let body: String = stmt
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        let lead = stmt.len() - stmt.trim_start().len();
        let start_line = line + stmt[..lead].matches('\n').count();
        line += stmt.matches('\n').count();
        let t = body.trim();
        if t.is_empty() {
            continue;
        }
        n += 1;
        let first = t.split_whitespace().next().unwrap_or("").to_uppercase();
        if !KEYWORDS.contains(&first.as_str()) {
            return Err(format!(
                "SQL statement {n} (line {start_line}): SQL parse failed. Encountered \"{}\" at line 1, column 1.",
                t.split_whitespace().next().unwrap_or("")
            ));
        }
    }
    Ok(())
}

fn fail_after(script: &str) -> Option<Duration> {
    script.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("-- sim: fail-after")?.trim();
        let secs: u64 = rest.strip_suffix('s')?.trim().parse().ok()?;
        Some(Duration::from_secs(secs))
    })
}

#[async_trait::async_trait]
impl Submitter for SimSubmitter {
    async fn start_session(&self, spec: &YarnSessionSpec) -> Result<String> {
        self.start_session_app(spec).await
    }

    async fn submit(&self, s: &YarnSubmission) -> Result<String> {
        if self.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.delay_ms)).await;
        }
        if let YarnTarget::Session { application_id } = &s.target {
            return self.submit_to_session(application_id, s);
        }
        if let Some(sql) = &s.sql
            && let Err(msg) = check_sql(sql)
        {
            return Err(Error::Rejected {
                backend: crate::BACKEND,
                operation: "flink run-application".into(),
                message: format!(
                    "org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: {msg}"
                ),
                source: None,
            });
        }
        if s.sql.is_none()
            && let Some(class) = &s.entry_class
        {
            // The CLI reads the jar: from the local disk, or from the simulated HDFS.
            let bytes = match s.user_jar.split_once("://") {
                Some((_, rest)) => {
                    let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("/");
                    self.sim
                        .lock()
                        .files
                        .get(path)
                        .map(|f| f.data.clone())
                        .unwrap_or_default()
                }
                None => tokio::fs::read(&s.user_jar).await.unwrap_or_default(),
            };
            let needle = class.replace('.', "/");
            if !bytes
                .windows(needle.len().max(1))
                .any(|w| w == needle.as_bytes())
            {
                return Err(Error::Rejected {
                    backend: crate::BACKEND,
                    operation: "flink run-application".into(),
                    message: format!("java.lang.ClassNotFoundException: {class}"),
                    source: None,
                });
            }
        }
        let now = self.sim.now();
        let cfg = |k: &str| s.config.get(k).cloned();
        let tags: Vec<String> = cfg("yarn.tags")
            .unwrap_or_default()
            .split(',')
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        let name = cfg("yarn.application.name").unwrap_or_else(|| s.name.clone());
        let jid = cfg("$internal.pipeline.job-id")
            .unwrap_or_else(|| tag::flink_job_id(&s.job, s.attempt));
        let jm = self.sim.job_manager(
            false,
            &cfg("state.checkpoints.dir").unwrap_or_else(|| CHECKPOINT_DIR.into()),
            &cfg("state.savepoints.dir").unwrap_or_else(|| SAVEPOINT_DIR.into()),
        );
        jm.add_job(
            jid.clone(),
            cfg("pipeline.name").unwrap_or_else(|| name.clone()),
            cfg("execution.savepoint.path"),
        );
        let id = self
            .start_app(NewApp {
                name,
                queue: cfg("yarn.application.queue").unwrap_or_else(|| "default".into()),
                tags,
                jm,
                session: false,
                jid,
                fail_at: s
                    .sql
                    .as_deref()
                    .and_then(fail_after)
                    .map(|d| now + i64::try_from(d.as_millis()).unwrap_or(0)),
                entry: "YarnApplicationClusterEntryPoint",
            })
            .await?;
        let left = self.timeouts.load(Ordering::SeqCst);
        if left > 0 {
            self.timeouts.store(left - 1, Ordering::SeqCst);
            return Err(Error::Timeout {
                backend: crate::BACKEND,
                operation: "flink run-application".into(),
                after: Duration::from_secs(120),
            });
        }
        Ok(id)
    }
}

impl SimSubmitter {
    /// `flink run -t yarn-session -Dyarn.application.id=<id>`: a new job in the session's
    /// JobManager (job id from `$internal.pipeline.job-id` or the job's tag, name from
    /// `pipeline.name`).
    fn submit_to_session(&self, app_id: &str, s: &YarnSubmission) -> Result<String> {
        let mut g = self.sim.lock();
        let Some(app) = g
            .apps
            .get_mut(app_id)
            .filter(|a| a.session && !a.state.is_terminal())
        else {
            return Err(Error::Rejected {
                backend: crate::BACKEND,
                operation: "flink run -t yarn-session".into(),
                message: format!(
                    "org.apache.flink.client.deployment.ClusterRetrieveException: Couldn't retrieve Yarn cluster {app_id}"
                ),
                source: None,
            });
        };
        let jid = s
            .config
            .get("$internal.pipeline.job-id")
            .cloned()
            .unwrap_or_else(|| tag::flink_job_id(&s.job, s.attempt));
        if app.jm.job(&jid).is_some() {
            return Err(Error::Rejected {
                backend: crate::BACKEND,
                operation: "flink run -t yarn-session".into(),
                message: format!(
                    "org.apache.flink.runtime.client.DuplicateJobSubmissionException: Job has already been submitted. JobID {jid}"
                ),
                source: None,
            });
        }
        let name = s
            .config
            .get("pipeline.name")
            .cloned()
            .unwrap_or_else(|| s.name.clone());
        let restored = s.config.get("execution.savepoint.path").cloned();
        app.jm.add_job(jid, name, restored);
        Ok(app_id.to_string())
    }

    async fn start_session_app(&self, spec: &YarnSessionSpec) -> Result<String> {
        self.start_app(NewApp {
            name: spec.name().to_string(),
            queue: spec.queue().unwrap_or("default").to_string(),
            tags: spec.tags().iter().map(|t| t.to_lowercase()).collect(),
            jm: self.sim.job_manager(true, CHECKPOINT_DIR, SAVEPOINT_DIR),
            session: true,
            jid: String::new(),
            fail_at: None,
            entry: "YarnSessionClusterEntrypoint",
        })
        .await
    }

    /// Registers a new running application whose first attempt serves `new.jm`.
    async fn start_app(&self, new: NewApp) -> Result<String> {
        let listener = bind().await?;
        let addr = listener.local_addr().map_err(|e| Error::Unavailable {
            backend: "yarn-sim",
            what: "local address".into(),
            retry_after: None,
            source: Some(Box::new(e)),
        })?;
        let now = self.sim.now();
        let mut g = self.sim.lock();
        g.next_app += 1;
        let cluster = self.sim.clock().at_ms(Duration::ZERO);
        let id = format!("application_{cluster}_{:04}", g.next_app);
        let server = serve(listener, new.jm.router());
        let container = container_id(&id, 1);
        g.container_logs.insert(
            container.clone(),
            format!("{now} INFO  {} started for {id}\n", new.entry),
        );
        let app = SimApp {
            id: id.clone(),
            name: new.name,
            queue: new.queue,
            user: "flink".into(),
            tags: new.tags,
            state: AppState::Running,
            final_status: FinalStatus::Undefined,
            diagnostics: String::new(),
            started: now,
            finished: 0,
            attempts: vec![SimAttempt {
                n: 1,
                jm_addr: addr,
                server,
                container,
                start: now,
            }],
            jm: new.jm,
            jid: new.jid,
            fail_at: new.fail_at,
            ends_at: None,
            kill_requested: false,
            finish_on_kill: false,
            session: new.session,
        };
        app.jm.set_log(jm_log(&app, 1));
        g.apps.insert(id.clone(), app);
        Ok(id)
    }
}

/// What differs between a new application cluster and a new session cluster.
struct NewApp {
    name: String,
    queue: String,
    tags: Vec<String>,
    jm: SimJobManager,
    session: bool,
    /// The application's job id (empty for a session).
    jid: String,
    fail_at: Option<i64>,
    /// The entry point named in the container log.
    entry: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_is_checked_like_the_runner() {
        assert!(check_sql("CREATE TABLE a (v INT);\nINSERT INTO b SELECT * FROM a;\n").is_ok());
        let e = check_sql(
            "CREATE TABLE src (v INT) WITH ('connector' = 'datagen');\nSELEC v FROM src;\n",
        )
        .unwrap_err();
        assert!(
            e.contains("statement 2 (line 2)") && e.contains("SQL parse failed"),
            "{e}"
        );
        assert_eq!(
            fail_after("-- sim: fail-after 3s\nINSERT"),
            Some(Duration::from_secs(3))
        );
    }
}
