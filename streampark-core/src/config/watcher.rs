//! Live configuration updates for running jobs.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use futures::stream::BoxStream;

use super::{ConfigEvent, ConfigKey, ConfigSource, FlatConfig, LIVE_PREFIXES, SecretPolicy};
use crate::{Error, JobId, Result};

/// Whether running jobs can take a change as they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApplyMode {
    /// Every changed key is a live setting (alert routes, restart policy): apply it now.
    Live,
    /// Some changed key is Flink configuration: the job must be restarted (with a savepoint)
    /// for it to take effect.
    Restart,
}

/// What a [`ConfigWatcher`] tells the engine.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ConfigUpdate {
    /// A document changed (or was deleted: `md5` is `None` and `config` empty).
    Changed {
        /// The document.
        key: ConfigKey,
        /// Jobs that use it.
        jobs: Vec<JobId>,
        /// The new version.
        md5: Option<String>,
        /// Keys added, removed or modified (names only, never values).
        changed_keys: Vec<String>,
        /// Live or restart.
        apply: ApplyMode,
        /// The new flat configuration of the document (secrets marked).
        config: FlatConfig,
    },
    /// A new version is malformed: it is ignored and the last good version stays in force.
    Rejected {
        /// The document.
        key: ConfigKey,
        /// Jobs that use it.
        jobs: Vec<JobId>,
        /// The parse error (names data id, line, column).
        error: Arc<Error>,
    },
    /// The source is down; the last good version stays in force.
    Unavailable {
        /// The document.
        key: ConfigKey,
        /// Jobs that use it.
        jobs: Vec<JobId>,
        /// What went wrong.
        error: Arc<Error>,
    },
}

/// Maps changed documents to the jobs that use them and classifies each change as
/// [`ApplyMode::Live`] or [`ApplyMode::Restart`].
///
/// The first version of each document is the baseline and yields no update; a new version
/// whose flattened keys are all equal (a comment edit) yields none either.
///
/// ```no_run
/// use std::sync::Arc;
/// use futures::StreamExt;
/// use streampark_core::config::{ConfigKey, ConfigUpdate, ConfigWatcher, FileSource};
/// use streampark_core::JobId;
/// # async fn f() -> streampark_core::Result<()> {
/// let mut watcher = ConfigWatcher::new(Arc::new(FileSource::new("/etc/streampark")?));
/// watcher.bind(JobId::new("orders")?, ConfigKey::new("orders.yaml"));
/// let mut updates = watcher.start().await?;
/// while let Some(u) = updates.next().await {
///     if let ConfigUpdate::Changed { jobs, apply, .. } = u {
///         println!("{jobs:?}: {apply:?}");
///     }
/// }
/// # Ok(()) }
/// ```
pub struct ConfigWatcher {
    source: Arc<dyn ConfigSource>,
    bindings: BTreeMap<ConfigKey, BTreeSet<JobId>>,
    live_prefixes: Vec<String>,
    secrets: SecretPolicy,
    current: Arc<Mutex<HashMap<ConfigKey, FlatConfig>>>,
}

impl fmt::Debug for ConfigWatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigWatcher")
            .field("source", &self.source)
            .field("bindings", &self.bindings)
            .field("live_prefixes", &self.live_prefixes)
            .finish_non_exhaustive()
    }
}

impl ConfigWatcher {
    /// A watcher over `source`, with [`LIVE_PREFIXES`] as the live settings.
    pub fn new(source: Arc<dyn ConfigSource>) -> Self {
        ConfigWatcher {
            source,
            bindings: BTreeMap::new(),
            live_prefixes: LIVE_PREFIXES.iter().map(|s| s.to_string()).collect(),
            secrets: SecretPolicy::default(),
            current: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Replaces the key prefixes whose changes apply live.
    #[must_use]
    pub fn with_live_prefixes<S: Into<String>>(
        mut self,
        prefixes: impl IntoIterator<Item = S>,
    ) -> Self {
        self.live_prefixes = prefixes.into_iter().map(Into::into).collect();
        self
    }

    /// Which keys are secret in the configurations handed out.
    #[must_use]
    pub fn with_secret_policy(mut self, policy: SecretPolicy) -> Self {
        self.secrets = policy;
        self
    }

    /// Says that `job` uses the document `key`.
    pub fn bind(&mut self, job: JobId, key: ConfigKey) {
        self.bindings.entry(key).or_default().insert(job);
    }

    /// The last good flat configuration of `key` seen by a started watcher.
    pub fn current(&self, key: &ConfigKey) -> Option<FlatConfig> {
        self.current.lock().ok()?.get(key).cloned()
    }

    /// Starts watching every bound document; updates of one document come in order.
    ///
    /// # Errors
    /// When the source refuses to watch a key.
    pub async fn start(&self) -> Result<BoxStream<'static, ConfigUpdate>> {
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        for (key, jobs) in &self.bindings {
            let mut events = self.source.watch(key).await?;
            let ctx = Ctx {
                jobs: jobs.iter().cloned().collect(),
                live: self.live_prefixes.clone(),
                secrets: self.secrets.clone(),
                current: self.current.clone(),
            };
            let tx = tx.clone();
            // One task per document: its events are processed in order, and the baseline is
            // taken even before anyone polls the returned stream.
            tokio::spawn(async move {
                loop {
                    let event = tokio::select! {
                        _ = tx.closed() => return,
                        e = events.next() => e,
                    };
                    let Some(event) = event else { return };
                    if let Some(update) = ctx.process(event)
                        && tx.send(update).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
        Ok(
            futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|u| (u, rx)) })
                .boxed(),
        )
    }
}

struct Ctx {
    jobs: Vec<JobId>,
    live: Vec<String>,
    secrets: SecretPolicy,
    current: Arc<Mutex<HashMap<ConfigKey, FlatConfig>>>,
}

impl Ctx {
    fn mode(&self, keys: &[String]) -> ApplyMode {
        if keys
            .iter()
            .all(|k| self.live.iter().any(|p| k.starts_with(p.as_str())))
        {
            ApplyMode::Live
        } else {
            ApplyMode::Restart
        }
    }

    fn process(&self, event: ConfigEvent) -> Option<ConfigUpdate> {
        let mut current = self.current.lock().ok()?;
        match event {
            ConfigEvent::Changed(doc) => {
                let key = doc.key().clone();
                let mut flat = match doc.parse() {
                    Ok(f) => f,
                    Err(e) => {
                        tracing::warn!(key = %key, error = %e, "config version rejected, last good version stays");
                        return Some(ConfigUpdate::Rejected {
                            key,
                            jobs: self.jobs.clone(),
                            error: Arc::new(e),
                        });
                    }
                };
                flat.mark_secrets(&self.secrets);
                let prev = current.insert(key.clone(), flat.clone())?;
                let changed = prev.changed_keys(&flat);
                if changed.is_empty() {
                    return None;
                }
                Some(ConfigUpdate::Changed {
                    apply: self.mode(&changed),
                    key,
                    jobs: self.jobs.clone(),
                    md5: Some(doc.md5().to_string()),
                    changed_keys: changed,
                    config: flat,
                })
            }
            ConfigEvent::Deleted(key) => {
                let prev = current.remove(&key)?;
                let changed: Vec<String> = prev.iter().map(|(k, _)| k.to_string()).collect();
                Some(ConfigUpdate::Changed {
                    apply: self.mode(&changed),
                    key,
                    jobs: self.jobs.clone(),
                    md5: None,
                    changed_keys: changed,
                    config: FlatConfig::new(),
                })
            }
            ConfigEvent::Unavailable { key, error } => Some(ConfigUpdate::Unavailable {
                key,
                jobs: self.jobs.clone(),
                error,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigDoc;

    fn ctx() -> Ctx {
        Ctx {
            jobs: vec![JobId::new("j1").unwrap()],
            live: LIVE_PREFIXES.iter().map(|s| s.to_string()).collect(),
            secrets: SecretPolicy::default(),
            current: Arc::default(),
        }
    }

    fn doc(text: &str) -> ConfigEvent {
        ConfigEvent::Changed(ConfigDoc::new(ConfigKey::new("j.yaml"), text))
    }

    #[test]
    fn classifies_live_restart_rejected_and_deleted() {
        let c = ctx();
        assert!(
            c.process(doc("a: 1\nstreampark.alert.route: ops\n"))
                .is_none()
        );
        // comment-only edit: same keys, no update
        assert!(
            c.process(doc("# hi\na: 1\nstreampark.alert.route: ops\n"))
                .is_none()
        );
        match c.process(doc("a: 1\nstreampark.alert.route: oncall\n")) {
            Some(ConfigUpdate::Changed {
                apply,
                changed_keys,
                jobs,
                ..
            }) => {
                assert_eq!(apply, ApplyMode::Live);
                assert_eq!(changed_keys, vec!["streampark.alert.route"]);
                assert_eq!(jobs[0].as_str(), "j1");
            }
            other => panic!("{other:?}"),
        }
        match c.process(doc("a: 2\nstreampark.alert.route: oncall\n")) {
            Some(ConfigUpdate::Changed {
                apply,
                changed_keys,
                ..
            }) => {
                assert_eq!(apply, ApplyMode::Restart);
                assert_eq!(changed_keys, vec!["a"]);
            }
            other => panic!("{other:?}"),
        }
        match c.process(doc("a: [2\n")) {
            Some(ConfigUpdate::Rejected { error, .. }) => {
                assert!(error.to_string().contains("j.yaml"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        // the last good version stayed in force
        let key = ConfigKey::new("j.yaml");
        assert_eq!(c.current.lock().unwrap()[&key].get_str("a"), Some("2"));
        match c.process(ConfigEvent::Deleted(key)) {
            Some(ConfigUpdate::Changed { md5, apply, .. }) => {
                assert_eq!(md5, None);
                assert_eq!(apply, ApplyMode::Restart);
            }
            other => panic!("{other:?}"),
        }
    }
}
