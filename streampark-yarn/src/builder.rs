//! [`YarnDeployerBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use streampark_core::{Error, Result};
use url::Url;

use crate::deployer::{Inner, YarnDeployer};
use crate::hdfs::WebHdfsClient;
use crate::rm::ResourceManagerClient;
use crate::submit::{Submitter, YarnTarget};

const BACKEND: &str = crate::BACKEND;

/// Builder of [`YarnDeployer`]; every check happens in [`build`](Self::build).
///
/// ```
/// # use std::sync::Arc;
/// # fn demo(submitter: Arc<dyn streampark_yarn::Submitter>) -> streampark_core::Result<()> {
/// use streampark_yarn::YarnDeployer;
/// let yarn = YarnDeployer::builder()
///     .with_rm_urls(vec!["http://rm1:8088".parse().unwrap(), "http://rm2:8088".parse().unwrap()])
///     .with_user("flink")
///     .with_queue("streaming")
///     .with_webhdfs_url("http://nn:9870".parse().unwrap())
///     .with_default_fs("hdfs://nn:8020")
///     .with_workspace("/streampark")
///     .with_submitter(submitter)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct YarnDeployerBuilder {
    rm_urls: Vec<Url>,
    user: Option<String>,
    queue: Option<String>,
    webhdfs: Vec<Url>,
    default_fs: Option<String>,
    workspace: Option<String>,
    submitter: Option<Arc<dyn Submitter>>,
    target: Option<YarnTarget>,
    flink_version: Option<String>,
    checkpoint_dir: Option<String>,
    request_timeout: Option<Duration>,
    deploy_timeout: Option<Duration>,
    poll: Option<Duration>,
}

impl fmt::Debug for YarnDeployerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let urls: Vec<String> = self
            .rm_urls
            .iter()
            .map(|u| streampark_core::spi::redact_url(u.as_str()))
            .collect();
        f.debug_struct("YarnDeployerBuilder")
            .field("rm_urls", &urls)
            .field("user", &self.user)
            .field("queue", &self.queue)
            .field("workspace", &self.workspace)
            .field("target", &self.target)
            .finish()
    }
}

impl YarnDeployerBuilder {
    /// Takes the RM web addresses (every HA id), the WebHDFS address and `fs.defaultFS` from a
    /// Hadoop client configuration.
    ///
    /// # Errors
    /// [`Error::Unsupported`] when the configuration enables Kerberos (SPNEGO is not
    /// implemented); [`Error::InvalidConfig`] when it names no ResourceManager.
    pub fn from_hadoop_conf(conf: &crate::conf::HadoopConf) -> Result<Self> {
        if conf.kerberos() {
            return Err(Error::Unsupported {
                backend: BACKEND,
                operation: format!(
                    "Kerberos (hadoop.security.authentication=kerberos in {}): SPNEGO is not implemented",
                    conf.conf_dir().display()
                ),
            });
        }
        let urls = conf.resource_manager_urls();
        if urls.is_empty() {
            return Err(Error::invalid_config(
                BACKEND,
                "yarn.resourcemanager.webapp.address",
                format!(
                    "no ResourceManager address in {}",
                    conf.conf_dir().display()
                ),
            ));
        }
        let mut b = Self::default().with_rm_urls(urls);
        b = b.with_webhdfs_urls(conf.webhdfs_urls());
        if let Some(fs) = conf.default_fs().filter(|f| f.starts_with("hdfs://")) {
            b = b.with_default_fs(fs);
        }
        Ok(b)
    }

    /// The ResourceManager web addresses (one per HA id).
    pub fn with_rm_urls(mut self, urls: Vec<Url>) -> Self {
        self.rm_urls = urls;
        self
    }
    /// The user for simple auth (`user.name`), also the owner of uploaded files.
    pub fn with_user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }
    /// The YARN queue (`yarn.application.queue`).
    pub fn with_queue(mut self, queue: impl Into<String>) -> Self {
        self.queue = Some(queue.into());
        self
    }
    /// The WebHDFS address of the NameNode (`http://nn:9870`); without it nothing is uploaded
    /// and the Flink client ships local files itself.
    pub fn with_webhdfs_url(mut self, url: Url) -> Self {
        self.webhdfs = vec![url];
        self
    }
    /// The WebHDFS addresses of every NameNode of an HA nameservice, tried in order (a standby
    /// or unreachable one is passed over); empty: nothing is uploaded.
    pub fn with_webhdfs_urls(mut self, urls: Vec<Url>) -> Self {
        self.webhdfs = urls;
        self
    }
    /// `fs.defaultFS` (`hdfs://nn:8020`), prefixed to workspace paths handed to Flink.
    pub fn with_default_fs(mut self, fs: impl Into<String>) -> Self {
        self.default_fs = Some(fs.into());
        self
    }
    /// The HDFS workspace root (absolute; default `/streampark`).
    pub fn with_workspace(mut self, path: impl Into<String>) -> Self {
        self.workspace = Some(path.into());
        self
    }
    /// How applications are started (required).
    pub fn with_submitter(mut self, s: Arc<dyn Submitter>) -> Self {
        self.submitter = Some(s);
        self
    }
    /// Application (default) or per-job target (a session target is refused in `build()`:
    /// use a `RemoteDeployer` on the session's JobManager).
    pub fn with_target(mut self, t: YarnTarget) -> Self {
        self.target = Some(t);
        self
    }
    /// The Flink version whose `lib/` and `plugins/` sit under `<workspace>/flink/<version>`
    /// (sets `yarn.provided.lib.dirs`).
    pub fn with_flink_version(mut self, v: impl Into<String>) -> Self {
        self.flink_version = Some(v.into());
        self
    }
    /// The cluster's checkpoint directory (`execution.checkpointing.dir`, formerly
    /// `state.checkpoints.dir`, e.g. `hdfs://nn:8020/flink/checkpoints`). In application and
    /// per-job mode the JobManager ends with the job, so the checkpoints of an ended
    /// application can only be read from there: `inspect` then reports the newest retained
    /// `chk-N` (with its `_metadata`) of the attempt's Flink job id, found through WebHDFS, which
    /// is what a restart after a failure restores from. The registry sets it from the Flink
    /// home's configuration.
    pub fn with_checkpoint_dir(mut self, dir: impl Into<String>) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self
    }
    /// Timeout of each REST call (default 10 s).
    pub fn with_request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = Some(d);
        self
    }
    /// How long a deploy waits for the application to run (default 180 s); past it the
    /// application is killed.
    pub fn with_deploy_timeout(mut self, d: Duration) -> Self {
        self.deploy_timeout = Some(d);
        self
    }
    /// Poll interval while waiting (default 500 ms).
    pub fn with_poll_interval(mut self, d: Duration) -> Self {
        self.poll = Some(d);
        self
    }

    /// Validates and builds.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the setter: no RM URL, no submitter, the per-job target
    /// with a Flink 2 version (per-job mode is gone there), a relative
    /// workspace, a `default_fs` without scheme; errors of the RM / WebHDFS client builders.
    pub fn build(self) -> Result<YarnDeployer> {
        let request_timeout = self.request_timeout.unwrap_or(Duration::from_secs(10));
        let submitter = self.submitter.ok_or_else(|| {
            Error::invalid_config(BACKEND, "with_submitter", "no submitter given")
        })?;
        if let Some(YarnTarget::Session { .. }) = &self.target {
            return Err(Error::invalid_config(
                BACKEND,
                "with_target",
                "a YARN session cluster holds many jobs in one application: use streampark_yarn::session::YarnSession (start_or_adopt, deployer, stop)",
            ));
        }
        if let (Some(YarnTarget::PerJob), Some(v)) = (&self.target, &self.flink_version) {
            let major = v
                .split('.')
                .next()
                .and_then(|m| m.trim().parse::<u32>().ok());
            if major.is_some_and(|m| m >= 2) {
                return Err(Error::invalid_config(
                    BACKEND,
                    "with_target",
                    format!(
                        "Flink {v} has no yarn-per-job mode (removed in 2.0): use the application target"
                    ),
                ));
            }
        }
        let workspace = self.workspace.unwrap_or_else(|| "/streampark".into());
        if !workspace.starts_with('/') || workspace.split('/').any(|s| s == "..") {
            return Err(Error::invalid_config(
                BACKEND,
                "with_workspace",
                format!("`{workspace}` must be an absolute HDFS path"),
            ));
        }
        let workspace = workspace.trim_end_matches('/').to_string();
        let default_fs = self
            .default_fs
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string();
        if !default_fs.is_empty() && !default_fs.contains("://") {
            return Err(Error::invalid_config(
                BACKEND,
                "with_default_fs",
                format!("`{default_fs}` is not a URI (hdfs://nn:8020)"),
            ));
        }
        let rm = ResourceManagerClient::builder()
            .with_urls(self.rm_urls)
            .with_user(self.user.clone())
            .with_timeout(request_timeout)
            .build()?;
        let hdfs = if self.webhdfs.is_empty() {
            None
        } else {
            Some(
                WebHdfsClient::builder()
                    .with_urls(self.webhdfs)
                    .with_user(self.user)
                    .with_timeout(request_timeout.max(Duration::from_secs(60)))
                    .build()?,
            )
        };
        Ok(YarnDeployer {
            inner: Arc::new(Inner {
                rm,
                hdfs,
                default_fs,
                workspace,
                submitter,
                queue: self.queue,
                target: self.target.unwrap_or(YarnTarget::Application),
                flink_version: self.flink_version,
                checkpoint_dir: self.checkpoint_dir.filter(|d| !d.trim().is_empty()),
                request_timeout,
                deploy_timeout: self.deploy_timeout.unwrap_or(Duration::from_secs(180)),
                poll: self.poll.unwrap_or(Duration::from_millis(500)),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::submit::YarnSubmission;

    #[derive(Debug)]
    struct Never;

    #[async_trait::async_trait]
    impl Submitter for Never {
        async fn submit(&self, _: &YarnSubmission) -> Result<String> {
            Err(Error::Unsupported {
                backend: "test",
                operation: "submit".into(),
            })
        }
    }

    fn base() -> YarnDeployerBuilder {
        YarnDeployerBuilder::default()
            .with_rm_urls(vec!["http://rm:8088".parse().unwrap()])
            .with_submitter(Arc::new(Never))
    }

    #[test]
    fn build_names_the_setter_at_fault() {
        assert!(base().build().is_ok());
        let key = |e: Error| match e {
            Error::InvalidConfig { key, .. } => key,
            e => panic!("{e:?}"),
        };
        assert_eq!(
            key(base().with_workspace("relative").build().unwrap_err()),
            "with_workspace"
        );
        assert_eq!(
            key(base().with_default_fs("nn:8020").build().unwrap_err()),
            "with_default_fs"
        );
        assert_eq!(
            key(base()
                .with_target(YarnTarget::Session {
                    application_id: "application_1_1".into()
                })
                .build()
                .unwrap_err()),
            "with_target"
        );
        assert_eq!(
            key(YarnDeployerBuilder::default().build().unwrap_err()),
            "with_submitter"
        );
    }

    #[test]
    fn per_job_is_refused_for_flink_2_and_kept_for_1_x() {
        let per_job = |v: &str| {
            base()
                .with_target(YarnTarget::PerJob)
                .with_flink_version(v)
                .build()
        };
        for v in ["2.0.0", "2.3.0"] {
            match per_job(v) {
                Err(Error::InvalidConfig { key, reason, .. }) => {
                    assert_eq!(key, "with_target");
                    assert!(reason.contains(v) && reason.contains("per-job"), "{reason}");
                }
                other => panic!("{v}: {other:?}"),
            }
        }
        assert!(per_job("1.20.5").is_ok());
        assert!(per_job("1.14.0-csa1.6.0.0").is_ok());
        // Without a version the CLI submitter refuses it at deploy time (by its home's version).
        assert!(base().with_target(YarnTarget::PerJob).build().is_ok());
    }
}
