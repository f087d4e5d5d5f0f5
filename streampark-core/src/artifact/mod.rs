//! Per-job artifacts: connector, CDC and UDF jars a job needs on its classpath.
//!
//! An [`ArtifactRef`] says where a jar comes from: a local path, an HTTP(S) URL with its
//! SHA-256, or Maven coordinates in a configured repository. An [`ArtifactStore`] resolves
//! references into [`ResolvedArtifact`]s: verified jar files in a content-addressed cache
//! directory, ready to go into [`crate::JobSpec::jars`].
//!
//! ```no_run
//! use streampark_core::artifact::{ArtifactRef, ArtifactStore};
//! # async fn demo() -> streampark_core::Result<()> {
//! let store = ArtifactStore::builder()
//!     .with_cache_dir("/var/cache/streampark/artifacts")
//!     .with_maven_repository(url::Url::parse("https://repo1.maven.org/maven2/").unwrap())
//!     .build()?;
//! let kafka = ArtifactRef::maven("org.apache.flink:flink-sql-connector-kafka:4.0.1-2.0")?;
//! let resolved = store.resolve(&kafka).await?;
//! let spec = streampark_core::JobSpec::sql("orders", "…")?
//!     .with_jar(resolved.path.display().to_string());
//! # let _ = spec; Ok(()) }
//! ```
//!
//! # Maven
//! Coordinates resolve to exactly one file in the Maven 2 repository layout,
//! `<repo>/<group as path>/<artifact>/<version>/<artifact>-<version>[-<classifier>].jar`,
//! verified against the repository's `.sha256` sidecar, else its `.sha1` sidecar, when the
//! repository has one, and against the reference's own `sha256` when it is set.
//! **Dependencies are not resolved** (no POM is read): reference a shaded "fat" jar
//! (`flink-sql-connector-*`), or list every jar the job needs.
//!
//! # The cache
//! Files live at `<cache>/sha256/<hex>.jar`. A download goes to a temporary file in the cache
//! directory, is hashed while it streams, checked (size cap, checksums, zip structure) and then
//! renamed into place, so a reader never sees a partial file, and two resolves of the same
//! artifact (in one process or several) at worst download it twice. A reference whose checksum
//! is known is a cache hit without any request; a Maven release version (not `-SNAPSHOT`)
//! without a checksum is remembered under `<cache>/refs/`.

mod compat;
mod fetch;
mod jar;
mod reference;
mod store;

#[cfg(test)]
pub(crate) use jar::check_file as check_jar_file;
pub use reference::ArtifactRef;
pub use store::{ArtifactStore, ArtifactStoreBuilder};

use std::path::PathBuf;

/// A verified jar file in the store's cache.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolvedArtifact {
    /// The reference it was resolved from.
    pub reference: ArtifactRef,
    /// The jar in the cache (`<cache>/sha256/<hex>.jar`); never changes once written.
    pub path: PathBuf,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

const BACKEND: &str = "artifact";
