//! `yarn://` and `yarn+https://` for core's [`Registry`]: a [`YarnDeployer`] submitting
//! through the Flink CLI of a Flink home.
//!
//! | URL | ResourceManagers |
//! |---|---|
//! | `yarn://rm1:8088` | `http://rm1:8088` (port 8088 when omitted), plus `resource-managers` |
//! | `yarn+https://rm1:8090` | `https://rm1:8090` (port 8090 when omitted) |
//! | `yarn://` (no host) | from the Hadoop configuration (`hadoop-conf`, else discovered) |
//!
//! Options: `flink-home` (required: the CLI that submits; several homes separated by `,` are
//! read as one [`FlinkEnvs`], and `flink-version`, a requirement such as `1.14` or `>=2.0`,
//! selects among them with [`FlinkEnvs::select`]: the highest version satisfying it, the first
//! home when it is not given), `flink-conf` (the Flink configuration directory to use instead
//! of the home's own, e.g. `/etc/flink/conf` beside a Cloudera parcel that has no `conf/`),
//! `hadoop-conf` (a directory; also
//! given to the CLI as `HADOOP_CONF_DIR`), `resource-managers` (comma-separated URLs, e.g. the
//! HA pair), `user`, `queue`, `workspace`, `webhdfs` (comma-separated NameNode web URLs),
//! `default-fs`, `target`
//! (`application` | `per-job`), `request-timeout`, `deploy-timeout`, `cli-timeout`.
//!
//! ```no_run
//! use streampark_core::{DeployerOptions, Registry};
//!
//! # async fn demo() -> streampark_core::Result<()> {
//! let mut reg = Registry::new();
//! streampark_yarn::register(&mut reg);
//! let yarn = reg
//!     .deployer_from_url(
//!         "yarn://",
//!         &DeployerOptions::new()
//!             .with("hadoop-conf", "/etc/hadoop/conf")
//!             .with("flink-home", "/opt/flink-1.18.1")
//!             .with("queue", "streaming"),
//!     )
//!     .await?;
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use streampark_core::flink_home::DetectOptions;
use streampark_core::{
    Deployer, DeployerFactory, DeployerOptions, Error, FlinkCli, FlinkEnvs, FlinkHome,
    FlinkVersionReq, Registry, Result,
};
use url::Url;

use crate::conf::HadoopConf;
use crate::{BACKEND, CliSubmitter, YarnDeployer, YarnTarget};

/// Adds `yarn://` and `yarn+https://` to `registry`.
pub fn register(registry: &mut Registry) {
    registry.register(Arc::new(YarnFactory));
}

#[derive(Debug)]
struct YarnFactory;

/// The Flink home to submit with: the only one given, or among several (`,`-separated) the one
/// [`FlinkEnvs::select`] picks for `version` (the first home without a requirement).
fn select_home(homes: &str, version: Option<&str>, conf: Option<&str>) -> Result<FlinkHome> {
    let mut envs = FlinkEnvs::new();
    let mut first = None;
    let mut opts = DetectOptions::from_env();
    if let Some(c) = conf {
        opts = opts.with_conf_dir(c);
    }
    for dir in homes.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let home = FlinkHome::detect_with(dir, &opts)
            .map_err(|e| Error::invalid_config(BACKEND, "flink-home", format!("`{dir}`: {e}")))?;
        first.get_or_insert_with(|| home.home().to_path_buf());
        envs.insert(home);
    }
    let Some(first) = first else {
        return Err(Error::invalid_config(
            BACKEND,
            "flink-home",
            "no Flink home given",
        ));
    };
    envs.set_default(&first)?;
    let req = match version {
        None => FlinkVersionReq::any(),
        Some(v) => v
            .parse::<FlinkVersionReq>()
            .map_err(|e| Error::invalid_config(BACKEND, "flink-version", format!("`{v}`: {e}")))?,
    };
    Ok(envs.select(&req)?.clone())
}

fn url_opt(key: &str, raw: &str) -> Result<Url> {
    Url::parse(raw.trim()).map_err(|e| {
        Error::invalid_config(
            BACKEND,
            key,
            format!(
                "`{}` is not a URL ({e})",
                streampark_core::spi::redact_url(raw)
            ),
        )
    })
}

/// The URLs of a comma-separated option value, each once, in order.
fn url_list(key: &str, list: &str) -> Result<Vec<Url>> {
    let mut urls: Vec<Url> = Vec::new();
    for raw in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let u = url_opt(key, raw)?;
        if !urls.contains(&u) {
            urls.push(u);
        }
    }
    Ok(urls)
}

#[async_trait]
impl DeployerFactory for YarnFactory {
    fn schemes(&self) -> Vec<&'static str> {
        vec!["yarn", "yarn+https"]
    }

    fn option_keys(&self) -> Vec<&'static str> {
        vec![
            "flink-home",
            "flink-version",
            "flink-conf",
            "hadoop-conf",
            "resource-managers",
            "user",
            "queue",
            "workspace",
            "webhdfs",
            "default-fs",
            "target",
            "request-timeout",
            "deploy-timeout",
            "cli-timeout",
        ]
    }

    async fn build(&self, url: &Url, o: &DeployerOptions) -> Result<Arc<dyn Deployer>> {
        let host = url.host_str().filter(|h| !h.is_empty());
        let mut rms = Vec::new();
        if let Some(h) = host {
            let (scheme, default_port) = if url.scheme() == "yarn+https" {
                ("https", 8090)
            } else {
                ("http", 8088)
            };
            let port = url.port().unwrap_or(default_port);
            rms.push(url_opt("url", &format!("{scheme}://{h}:{port}"))?);
        }
        if let Some(list) = o.non_empty(BACKEND, "resource-managers")? {
            for u in url_list("resource-managers", list)? {
                if !rms.contains(&u) {
                    rms.push(u);
                }
            }
        }
        let conf = match o.non_empty(BACKEND, "hadoop-conf")? {
            Some(dir) => Some(HadoopConf::load(dir)?),
            None if rms.is_empty() => Some(HadoopConf::discover()?),
            None => None,
        };
        let mut b = match &conf {
            Some(c) => YarnDeployer::from_hadoop_conf(c)?,
            None => YarnDeployer::builder(),
        };
        if !rms.is_empty() {
            b = b.with_rm_urls(rms);
        }
        if let Some(v) = o.non_empty(BACKEND, "user")? {
            b = b.with_user(v);
        }
        if let Some(v) = o.non_empty(BACKEND, "queue")? {
            b = b.with_queue(v);
        }
        if let Some(v) = o.non_empty(BACKEND, "workspace")? {
            b = b.with_workspace(v);
        }
        if let Some(list) = o.non_empty(BACKEND, "webhdfs")? {
            b = b.with_webhdfs_urls(url_list("webhdfs", list)?);
        }
        if let Some(v) = o.non_empty(BACKEND, "default-fs")? {
            b = b.with_default_fs(v);
        }
        match o.get("target").map(str::trim) {
            None | Some("application") => {}
            Some("per-job") => b = b.with_target(YarnTarget::PerJob),
            Some(other) => {
                return Err(Error::invalid_config(
                    BACKEND,
                    "target",
                    format!(
                        "`{other}`: expected `application` or `per-job` (sessions: streampark_yarn::session::YarnSession)"
                    ),
                ));
            }
        }
        if let Some(d) = o.duration(BACKEND, "request-timeout")? {
            b = b.with_request_timeout(d);
        }
        if let Some(d) = o.duration(BACKEND, "deploy-timeout")? {
            b = b.with_deploy_timeout(d);
        }
        let Some(dir) = o.non_empty(BACKEND, "flink-home")? else {
            return Err(Error::invalid_config(
                BACKEND,
                "flink-home",
                "required: the Flink home whose CLI submits to YARN",
            ));
        };
        let home = select_home(
            dir,
            o.non_empty(BACKEND, "flink-version")?,
            o.non_empty(BACKEND, "flink-conf")?,
        )?;
        let mut cli = FlinkCli::new(home.clone()).with_timeout(
            o.duration(BACKEND, "cli-timeout")?
                .unwrap_or(Duration::from_secs(300)),
        );
        if let Some(c) = &conf {
            cli = cli.with_env("HADOOP_CONF_DIR", c.conf_dir().display().to_string());
        }
        // Where the cluster's checkpoints go, so that those of an ended application can be
        // found (see YarnDeployerBuilder::with_checkpoint_dir).
        let flink_conf = home.read_config().unwrap_or_default();
        if let Some(d) = ["execution.checkpointing.dir", "state.checkpoints.dir"]
            .iter()
            .find_map(|k| flink_conf.get(*k).filter(|v| !v.trim().is_empty()))
        {
            b = b.with_checkpoint_dir(d.clone());
        }
        b = b
            .with_flink_version(home.version().to_string())
            .with_submitter(Arc::new(CliSubmitter::new(cli)));
        Ok(Arc::new(b.build()?))
    }
}
