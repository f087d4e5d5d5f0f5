//! The configuration center: Flink settings and platform settings kept outside job jars, in
//! files or in Nacos, layered, with variables and secrets, updated live.
//!
//! - [`ConfigSource`]: `get(key)` and `watch(key)` (a stream of versions), held as
//!   `Arc<dyn ConfigSource>`. Implementations: [`FileSource`] (a file or directory, live
//!   through `notify` with a polling fallback) and `NacosSource` (feature `nacos`, the Nacos
//!   Open API over HTTP).
//! - [`ConfigDoc`]: one version of a document (content, [`ConfigFormat`], MD5 version);
//!   [`ConfigDoc::parse`] flattens YAML/JSON/properties into Flink's dotted keys
//!   ([`FlatConfig`]).
//! - [`Layered`]: precedence of layers (defaults < files < Nacos < job overrides, in the
//!   order you add them), `${name}` variables with a team scope, `$${…}` escapes, secrets.
//! - [`ConfigWatcher`]: maps changed documents to the jobs using them and says whether the
//!   change applies live or needs a restart.
//!
//! ```
//! use streampark_core::config::{ConfigDoc, ConfigKey, Layered, Variables};
//! use streampark_core::JobSpec;
//!
//! let doc = ConfigDoc::new(
//!     ConfigKey::new("flink.yaml"),
//!     "execution:\n  checkpointing:\n    interval: 30 s\nstate.checkpoints.dir: ${ckpt_root}/orders\n\
//!      s3.secret-key: ${s3_secret}\n",
//! );
//! let vars = Variables::new()
//!     .with_global("ckpt_root", "s3://ckpt")
//!     .with_team("ads", "s3_secret", "very-secret");
//! let resolved = Layered::resolve_flat(&[doc.parse()?], &vars, Some("ads"), &Default::default())?;
//! assert_eq!(resolved.get_str("state.checkpoints.dir"), Some("s3://ckpt/orders"));
//! assert!(!format!("{resolved:?}").contains("very-secret"));
//!
//! let mut spec = JobSpec::sql("orders", "INSERT INTO k SELECT * FROM s")?;
//! resolved.apply_to_spec(&mut spec)?;
//! assert_eq!(spec.config["execution.checkpointing.interval"], "30 s");
//! # Ok::<(), streampark_core::Error>(())
//! ```

use std::fmt::Debug;
use std::sync::Arc;

use futures::stream::BoxStream;

use crate::Result;

mod doc;
mod file;
mod flat;
mod layered;
mod parse;
mod spec;
mod vars;
mod watcher;

#[cfg(feature = "nacos")]
mod nacos;
#[cfg(all(feature = "testkit", feature = "nacos"))]
pub mod nacos_sim;

pub use doc::{ConfigDoc, ConfigEvent, ConfigFormat, ConfigKey, DEFAULT_GROUP, md5_hex};
pub use file::{FileSource, FileSourceBuilder};
pub(crate) use flat::parse_duration as parse_flink_duration;
pub use flat::{ConfigValue, FlatConfig, SecretPolicy};
pub use layered::{Layered, LayeredBuilder};
pub use spec::LIVE_PREFIXES;
pub use vars::Variables;
pub use watcher::{ApplyMode, ConfigUpdate, ConfigWatcher};

#[cfg(feature = "nacos")]
pub use nacos::{NacosApi, NacosSource, NacosSourceBuilder};

/// A stream of [`ConfigEvent`]s for one key, in order.
pub type ConfigStream = BoxStream<'static, ConfigEvent>;

/// Where configuration documents come from. Hosts hold it as `Arc<dyn ConfigSource>`.
///
/// # Contract
/// - `get` returns the current document, `Ok(None)` when it does not exist.
/// - `watch` yields the current version first ([`ConfigEvent::Changed`], nothing when the
///   document is absent), then one event per distinct version, in order, never twice for the
///   same MD5; a deletion is [`ConfigEvent::Deleted`]; trouble is
///   [`ConfigEvent::Unavailable`] (once per outage) and the watch keeps going until the
///   stream is dropped.
/// - Neither logs nor returns document content in errors.
#[async_trait::async_trait]
pub trait ConfigSource: Debug + Send + Sync + 'static {
    /// Short name for errors and spans (`"file"`, `"nacos"`).
    fn name(&self) -> &'static str;

    /// The current document for `key`, `None` when absent.
    ///
    /// # Errors
    /// When the source cannot be read (and, for Nacos, no snapshot exists either).
    async fn get(&self, key: &ConfigKey) -> Result<Option<ConfigDoc>>;

    /// Versions of `key` as they happen, starting with the current one.
    ///
    /// # Errors
    /// When the watch cannot be set up at all (a bad key); outages later are events.
    async fn watch(&self, key: &ConfigKey) -> Result<ConfigStream>;
}

#[async_trait::async_trait]
impl<T: ConfigSource + ?Sized> ConfigSource for Arc<T> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    async fn get(&self, key: &ConfigKey) -> Result<Option<ConfigDoc>> {
        (**self).get(key).await
    }
    async fn watch(&self, key: &ConfigKey) -> Result<ConfigStream> {
        (**self).watch(key).await
    }
}
