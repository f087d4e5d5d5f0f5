//! [`CliSubmitter`]: submission through the Flink CLI of a `FlinkHome` (Flink's own client
//! builds the application master).

use std::collections::BTreeMap;

use streampark_core::{Error, FlinkCli, Result};

use crate::submit::{
    Submitter, YarnSubmission, cli_args, parse_application_id, session_start_args, stderr_tail,
};

/// A [`Submitter`] running `<flink home>/bin/flink` (`run-application -t yarn-application`,
/// `run -t yarn-per-job --detached` on Flink < 2, `run -t yarn-session`), and
/// `yarn-session.sh -d` for session clusters. Set `HADOOP_CONF_DIR` on the [`FlinkCli`]
/// (`with_env`) so that the client finds the cluster.
#[derive(Clone, Debug)]
pub struct CliSubmitter {
    cli: FlinkCli,
}

impl CliSubmitter {
    /// A submitter over `cli`.
    pub fn new(cli: FlinkCli) -> Self {
        CliSubmitter { cli }
    }

    fn major(&self) -> u32 {
        self.cli.home().version().major()
    }

    /// Starts a detached YARN session cluster (`yarn-session.sh -d`) and returns its
    /// application id. Stop it with `ResourceManagerClient::kill`.
    ///
    /// # Errors
    /// The CLI's errors (stderr tail); [`Error::Protocol`] when no application id is printed.
    pub async fn start_session(
        &self,
        name: &str,
        queue: Option<&str>,
        tags: &[String],
        extra: &BTreeMap<String, String>,
    ) -> Result<String> {
        let args = session_start_args(name, queue, tags, extra);
        let out = self.cli.run_script("yarn-session.sh", &args).await?;
        app_id(&out.stdout, &out.stderr, "yarn-session.sh -d")
    }
}

fn app_id(stdout: &str, stderr: &str, op: &str) -> Result<String> {
    parse_application_id(stdout)
        .or_else(|| parse_application_id(stderr))
        .ok_or_else(|| Error::Protocol {
            backend: crate::BACKEND,
            endpoint: op.to_string(),
            reason: format!(
                "no YARN application id in the output; last lines: {}",
                stderr_tail(&format!("{stdout}\n{stderr}"), 5)
            ),
            source: None,
        })
}

#[async_trait::async_trait]
impl Submitter for CliSubmitter {
    async fn submit(&self, s: &YarnSubmission) -> Result<String> {
        let args = cli_args(s, self.major())?;
        let out = self.cli.run(&args).await?;
        app_id(&out.stdout, &out.stderr, "flink run")
    }
}
