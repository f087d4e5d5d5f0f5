//! [`Registry`]: a deployer chosen by URL, for hosts that keep their clusters in configuration.
//!
//! The registry is a value the host owns (no global state). [`Registry::new`] knows the
//! schemes core can build itself; backend crates add theirs (`streampark_yarn::register`,
//! `streampark_k8s::register`) and the facade's `streampark::registry()` has every backend its
//! features enable.
//!
//! | scheme | deployer | options |
//! |---|---|---|
//! | `sim://` (any host) | [`SimDeployer`], real time | `startup-delay`, `checkpoint-interval`, `savepoint-dir` |
//! | `flink+http://host:port[/path]`, `flink+https://…` | [`RemoteDeployer`] | `request-timeout`, `savepoint-dir`, `poll-interval` |
//!
//! Options come from the URL's query (`flink+http://jm:8081?request-timeout=5s`) and from
//! [`DeployerOptions`]; the latter win. Durations use Flink's syntax (`500ms`, `30s`, `2min`).
//! An unknown option is [`Error::UnknownConfigKey`] naming the known ones, so a typo never
//! falls back to a default.
//!
//! ```
//! use streampark_core::registry::{DeployerOptions, Registry};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let reg = Registry::new();
//! let flink = reg
//!     .deployer_from_url("flink+http://127.0.0.1:8081", &DeployerOptions::new().with("request-timeout", "10s"))
//!     .await?;
//! assert_eq!(flink.backend(), "flink");
//!
//! let err = reg.deployer_from_url("mesos://m1:5050", &DeployerOptions::new()).await.unwrap_err();
//! assert!(err.to_string().contains("flink+http"), "{err}");
//! # Ok::<(), streampark_core::Error>(())
//! # }).unwrap();
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use url::Url;

use crate::spi::redact_url;
use crate::testkit::SimDeployer;
use crate::{Deployer, Error, RemoteDeployer, Result};

const BACKEND: &str = "registry";

/// Option keys whose values are never shown (Debug prints `******`).
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["password", "secret", "token", "credential", "private"]
        .iter()
        .any(|s| k.contains(s))
}

/// String options for a [`DeployerFactory`], e.g. from a host's configuration file. Values of
/// keys that look secret (`password`, `token`, `secret`, …) never appear in `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct DeployerOptions {
    values: BTreeMap<String, String>,
}

impl fmt::Debug for DeployerOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in &self.values {
            if is_secret_key(k) {
                m.entry(k, &"******");
            } else {
                m.entry(k, v);
            }
        }
        m.finish()
    }
}

impl DeployerOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` (replacing an earlier value).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.values.insert(key.into(), value.into());
        self
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// The keys set, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// `self` over the URL's query pairs (`self` wins).
    fn over_query(&self, url: &Url) -> DeployerOptions {
        let mut values: BTreeMap<String, String> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        values.extend(self.values.clone());
        DeployerOptions { values }
    }

    /// Every key must be one of `known`.
    ///
    /// # Errors
    /// [`Error::UnknownConfigKey`] naming the first unknown key and listing the known ones.
    pub fn check_keys(&self, backend: &'static str, known: &[&str]) -> Result<()> {
        match self.values.keys().find(|k| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some(k) => Err(Error::UnknownConfigKey {
                backend,
                key: format!("{k} (known: {})", known.join(", ")),
            }),
        }
    }

    /// A duration in Flink's syntax (`30s`, `500ms`, `2min`; a bare number is milliseconds).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the key when the value does not parse or is zero.
    pub fn duration(&self, backend: &'static str, key: &str) -> Result<Option<Duration>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match crate::config::parse_flink_duration(v) {
            Some(d) if !d.is_zero() => Ok(Some(d)),
            Some(_) => Err(Error::invalid_config(
                backend,
                key,
                "must be more than zero",
            )),
            None => Err(Error::invalid_config(
                backend,
                key,
                format!("`{v}` is not a duration (e.g. 500ms, 30s, 2min)"),
            )),
        }
    }

    /// A non-empty string option.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the key when the value is blank.
    pub fn non_empty(&self, backend: &'static str, key: &str) -> Result<Option<&str>> {
        match self.get(key) {
            Some(v) if v.trim().is_empty() => Err(Error::invalid_config(backend, key, "empty")),
            other => Ok(other),
        }
    }
}

/// Builds deployers for some URL schemes. Backend crates implement it; hosts may add their own.
#[async_trait]
pub trait DeployerFactory: Send + Sync + fmt::Debug {
    /// The URL schemes handled (`"yarn"`, `"flink+http"`, …).
    fn schemes(&self) -> Vec<&'static str>;

    /// The option keys understood; any other key is refused before [`build`](Self::build).
    fn option_keys(&self) -> Vec<&'static str>;

    /// Builds a deployer for `url` (options already checked against
    /// [`option_keys`](Self::option_keys), URL query merged in).
    async fn build(&self, url: &Url, options: &DeployerOptions) -> Result<Arc<dyn Deployer>>;
}

/// Deployers by URL scheme. A value the host owns; clone it freely.
#[derive(Clone, Default)]
pub struct Registry {
    factories: BTreeMap<&'static str, Arc<dyn DeployerFactory>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("schemes", &self.schemes())
            .finish()
    }
}

impl Registry {
    /// A registry with core's schemes: `sim://`, `flink+http://` and `flink+https://`.
    pub fn new() -> Self {
        let mut r = Self::empty();
        r.register(Arc::new(SimFactory));
        r.register(Arc::new(RemoteFactory));
        r
    }

    /// A registry that knows no scheme.
    pub fn empty() -> Self {
        Registry::default()
    }

    /// Adds `factory` for each of its schemes (replacing an earlier factory of that scheme).
    pub fn register(&mut self, factory: Arc<dyn DeployerFactory>) -> &mut Self {
        for s in factory.schemes() {
            self.factories.insert(s, Arc::clone(&factory));
        }
        self
    }

    /// The registered schemes, sorted.
    pub fn schemes(&self) -> Vec<&'static str> {
        self.factories.keys().copied().collect()
    }

    /// The option keys of `scheme`'s factory.
    pub fn option_keys(&self, scheme: &str) -> Option<Vec<&'static str>> {
        self.factories.get(scheme).map(|f| f.option_keys())
    }

    /// Builds the deployer for `url`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] (key `url`) for a URL that does not parse or whose scheme is
    /// not registered (the message lists the registered schemes; credentials in the URL are
    /// never shown); [`Error::UnknownConfigKey`] for an option the factory does not know; the
    /// factory's own errors.
    #[tracing::instrument(name = "registry.deployer_from_url", skip_all, fields(url = %redact_url(url)), err(level = tracing::Level::WARN))]
    pub async fn deployer_from_url(
        &self,
        url: &str,
        options: &DeployerOptions,
    ) -> Result<Arc<dyn Deployer>> {
        let parsed = Url::parse(url.trim()).map_err(|e| {
            Error::invalid_config(
                BACKEND,
                "url",
                format!(
                    "`{}` is not a URL ({e}); expected e.g. flink+http://jobmanager:8081",
                    redact_url(url)
                ),
            )
        })?;
        let scheme = parsed.scheme();
        let Some(factory) = self.factories.get(scheme) else {
            return Err(Error::invalid_config(
                BACKEND,
                "url",
                format!(
                    "no deployer for scheme `{scheme}://` in {}; registered: {}",
                    redact_url(url),
                    self.schemes()
                        .iter()
                        .map(|s| format!("{s}://"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let options = options.over_query(&parsed);
        let known = factory.option_keys();
        options.check_keys(BACKEND, &known)?;
        factory.build(&parsed, &options).await
    }
}

/// `sim://`: a [`SimDeployer`] on real (tokio) time.
#[derive(Debug)]
struct SimFactory;

#[async_trait]
impl DeployerFactory for SimFactory {
    fn schemes(&self) -> Vec<&'static str> {
        vec!["sim"]
    }

    fn option_keys(&self) -> Vec<&'static str> {
        vec!["startup-delay", "checkpoint-interval", "savepoint-dir"]
    }

    async fn build(&self, _url: &Url, o: &DeployerOptions) -> Result<Arc<dyn Deployer>> {
        let mut b = SimDeployer::builder();
        if let Some(d) = o.duration("sim", "startup-delay")? {
            b = b.with_startup_delay(d);
        }
        if let Some(d) = o.duration("sim", "checkpoint-interval")? {
            b = b.with_checkpoint_interval(d);
        }
        if let Some(d) = o.non_empty("sim", "savepoint-dir")? {
            b = b.with_savepoint_dir(d);
        }
        Ok(Arc::new(b.build()))
    }
}

/// `flink+http://` and `flink+https://`: a [`RemoteDeployer`].
#[derive(Debug)]
struct RemoteFactory;

#[async_trait]
impl DeployerFactory for RemoteFactory {
    fn schemes(&self) -> Vec<&'static str> {
        vec!["flink+http", "flink+https"]
    }

    fn option_keys(&self) -> Vec<&'static str> {
        vec!["request-timeout", "savepoint-dir", "poll-interval"]
    }

    async fn build(&self, url: &Url, o: &DeployerOptions) -> Result<Arc<dyn Deployer>> {
        let scheme = url.scheme().trim_start_matches("flink+");
        let rest = &url[url::Position::BeforeUsername..url::Position::AfterPath];
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::invalid_config(
                "flink",
                "url",
                format!("`{}` names no host", redact_url(url.as_str())),
            ));
        }
        let mut b = RemoteDeployer::builder().with_url(format!("{scheme}://{rest}"));
        if let Some(d) = o.duration("flink", "request-timeout")? {
            b = b.with_request_timeout(d);
        }
        if let Some(d) = o.duration("flink", "poll-interval")? {
            b = b.with_poll_interval(d);
        }
        if let Some(d) = o.non_empty("flink", "savepoint-dir")? {
            b = b.with_savepoint_dir(d);
        }
        Ok(Arc::new(b.build()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DeployRequest, JobSpec, JobState, Selector};

    fn opts() -> DeployerOptions {
        DeployerOptions::new()
    }

    #[tokio::test]
    async fn unknown_scheme_lists_the_registered_ones_without_credentials() {
        let err = Registry::new()
            .deployer_from_url("mesos://admin:hunter2@m1:5050", &opts())
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::InvalidConfig { ref key, .. } if key == "url"));
        for s in ["sim://", "flink+http://", "flink+https://", "mesos://"] {
            assert!(msg.contains(s), "{msg}");
        }
        assert!(!msg.contains("hunter2"), "{msg}");
    }

    #[tokio::test]
    async fn a_url_that_does_not_parse_is_invalid_config() {
        for bad in ["", "jm:8081 with spaces", "://nohost", "flink+http://"] {
            let err = Registry::new()
                .deployer_from_url(bad, &opts())
                .await
                .unwrap_err();
            assert!(
                matches!(err, Error::InvalidConfig { ref key, .. } if key == "url"),
                "{bad}: {err:?}"
            );
        }
    }

    #[tokio::test]
    async fn an_unknown_option_is_refused_naming_the_known_ones() {
        let err = Registry::new()
            .deployer_from_url(
                "flink+http://127.0.0.1:8081",
                &opts().with("request-timoeut", "5s"),
            )
            .await
            .unwrap_err();
        match err {
            Error::UnknownConfigKey { key, .. } => {
                assert!(key.starts_with("request-timoeut"), "{key}");
                assert!(key.contains("request-timeout"), "{key}");
            }
            other => panic!("{other:?}"),
        }
        // The same through the URL's query.
        let err = Registry::new()
            .deployer_from_url("sim://local?speed=2", &opts())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::UnknownConfigKey { ref key, .. } if key.starts_with("speed")));
    }

    #[tokio::test]
    async fn bad_option_values_name_their_key() {
        for (k, v) in [
            ("request-timeout", "soon"),
            ("request-timeout", "0s"),
            ("poll-interval", "-1s"),
            ("savepoint-dir", "  "),
        ] {
            let err = Registry::new()
                .deployer_from_url("flink+http://127.0.0.1:8081", &opts().with(k, v))
                .await
                .unwrap_err();
            assert!(
                matches!(err, Error::InvalidConfig { ref key, .. } if key == k),
                "{k}={v}: {err:?}"
            );
        }
    }

    #[tokio::test]
    async fn flink_http_targets_the_rest_address_with_its_path() {
        // Nothing listens on port 9 (discard): the error names the plain http address the
        // deployer calls, which proves the `flink+` prefix was taken off and the path kept.
        let d = Registry::new()
            .deployer_from_url(
                "flink+http://127.0.0.1:9/proxy/flink?request-timeout=2s",
                &opts(),
            )
            .await
            .unwrap();
        assert_eq!(d.backend(), "flink");
        let err = d.list(&Selector::All).await.unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("http://127.0.0.1:9/proxy/flink"), "{msg}");
        assert!(!msg.contains("flink+http"), "{msg}");
    }

    #[tokio::test(start_paused = true)]
    async fn sim_runs_a_job_with_its_options() {
        let d = Registry::new()
            .deployer_from_url(
                "sim://local?startup-delay=1s",
                &opts().with("savepoint-dir", "file:///tmp/sp"),
            )
            .await
            .unwrap();
        let spec = JobSpec::sql(
            "reg",
            "CREATE TABLE s (a INT) WITH ('connector'='datagen');\n\
             CREATE TABLE k (a INT) WITH ('connector'='blackhole');\n\
             INSERT INTO k SELECT a FROM s;",
        )
        .unwrap();
        let dep = d.deploy(DeployRequest::new(spec, 1)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let jobs = d.list(&Selector::All).await.unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].deployment, dep.id);
        assert_eq!(jobs[0].state, JobState::Running);
        let sp = d
            .savepoint(&dep.id, crate::SavepointOptions::default())
            .await
            .unwrap();
        assert!(sp.path.starts_with("file:///tmp/sp"), "{}", sp.path);
    }

    #[test]
    fn secret_looking_option_values_never_show_in_debug() {
        let o = opts()
            .with("password", "hunter2")
            .with("api-token", "t0k3n")
            .with("queue", "streaming");
        let dbg = format!("{o:?}");
        assert!(!dbg.contains("hunter2") && !dbg.contains("t0k3n"), "{dbg}");
        assert!(dbg.contains("streaming"), "{dbg}");
    }

    #[derive(Debug)]
    struct Custom;
    #[async_trait]
    impl DeployerFactory for Custom {
        fn schemes(&self) -> Vec<&'static str> {
            vec!["sim"]
        }
        fn option_keys(&self) -> Vec<&'static str> {
            vec!["tenant"]
        }
        async fn build(&self, _url: &Url, o: &DeployerOptions) -> Result<Arc<dyn Deployer>> {
            Err(Error::invalid_config(
                "custom",
                "tenant",
                o.get("tenant").unwrap_or("none").to_string(),
            ))
        }
    }

    #[tokio::test]
    async fn a_host_factory_replaces_a_scheme() {
        let mut reg = Registry::new();
        reg.register(Arc::new(Custom));
        assert_eq!(reg.option_keys("sim"), Some(vec!["tenant"]));
        let err = reg
            .deployer_from_url("sim://x?tenant=acme", &opts())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("acme"), "{err}");
    }
}
