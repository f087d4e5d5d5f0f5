//! [`CliSubmitter`]: submission through the Flink CLI of a `FlinkHome` (Flink's own client
//! builds the application master).

use streampark_core::{Error, FlinkCli, Result};

use crate::session::YarnSessionSpec;
use crate::submit::{
    Submitter, YarnSubmission, cli_args, parse_application_id, session_start_args, stderr_tail,
};

/// A [`Submitter`] running `<flink home>/bin/flink` — application mode as
/// `run -t yarn-application` on Flink 2 (which has no `run-application` action; checked against
/// the real 2.3 CLI) and `run-application -t yarn-application` on Flink 1.x, per-job mode as
/// `run -t yarn-per-job --detached` on Flink < 2 only, `run -t yarn-session --detached` for a
/// session — and `yarn-session.sh -d` for session clusters ([`Submitter::start_session`]).
/// Set `HADOOP_CONF_DIR` on the [`FlinkCli`] (`with_env`) so that the client finds the cluster.
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

    /// `yarn-session.sh -d` with the spec's name, queue, tags and options (e.g.
    /// `yarn.provided.lib.dirs`); the application id is parsed from its output.
    async fn start_session(&self, spec: &YarnSessionSpec) -> Result<String> {
        let args = session_start_args(spec.name(), spec.queue(), spec.tags(), spec.config());
        let out = self.cli.run_script("yarn-session.sh", &args).await?;
        app_id(&out.stdout, &out.stderr, "yarn-session.sh -d")
    }
}
