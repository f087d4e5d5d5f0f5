//! The HDFS workspace: `<workspace>/flink/<version>/{lib,plugins}` kept in step with a local
//! Flink home (names and sizes), so that `yarn.provided.lib.dirs` can point at it and YARN
//! localizes Flink's jars from HDFS instead of uploading them with every application.

use std::collections::BTreeMap;
use std::path::PathBuf;

use streampark_core::{Error, Result};

use crate::hdfs::{FileKind, WebHdfsClient};

/// One local file of a Flink home (`relative` is `/`-separated, below `lib/` or `plugins/`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalEntry {
    /// Path below `lib/` or `plugins/`, `/`-separated.
    pub relative: String,
    /// The file on disk.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
}

impl LocalEntry {
    /// An entry.
    pub fn new(relative: impl Into<String>, path: impl Into<PathBuf>, size: u64) -> Self {
        LocalEntry {
            relative: relative.into(),
            path: path.into(),
            size,
        }
    }
}

/// What [`sync_flink_dist`] found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkspaceReport {
    /// The HDFS directory of this Flink version.
    pub root: String,
    /// Files that were missing and have been uploaded (`lib/x.jar`, `plugins/p/y.jar`).
    pub uploaded: Vec<String>,
    /// Files present with another size: `(file, local size, HDFS size)`. With `overwrite` they
    /// were uploaded again (and are listed in `uploaded` too).
    pub differ: Vec<(String, u64, u64)>,
    /// Files on HDFS that the local home does not have (left alone).
    pub extra: Vec<String>,
    /// Files already in step.
    pub unchanged: usize,
}

impl WorkspaceReport {
    /// Whether HDFS now matches the local home (nothing differs that was not fixed).
    pub fn in_step(&self, overwrite: bool) -> bool {
        overwrite || self.differ.is_empty()
    }
}

/// Lists every file below `dir` (recursively) as `relative -> size`; a missing directory is empty.
async fn remote_files(hdfs: &WebHdfsClient, dir: &str) -> Result<BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![String::new()];
    while let Some(rel) = stack.pop() {
        let path = if rel.is_empty() {
            dir.to_string()
        } else {
            format!("{dir}/{rel}")
        };
        let entries = match hdfs.list_status(&path).await {
            Ok(e) => e,
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e),
        };
        for e in entries {
            let r = if rel.is_empty() {
                e.path_suffix.clone()
            } else {
                format!("{rel}/{}", e.path_suffix)
            };
            match e.kind {
                FileKind::Directory => stack.push(r),
                _ => {
                    out.insert(r, e.length);
                }
            }
        }
    }
    Ok(out)
}

/// Makes `<workspace>/flink/<version>/{lib,plugins}` match `lib` and `plugins` (names and
/// sizes): uploads what is missing, reports what differs (uploading it again when `overwrite`)
/// and what HDFS has in addition.
///
/// # Errors
/// WebHDFS errors; [`Error::InvalidInput`] naming a local file that cannot be read.
pub async fn sync_flink_dist(
    hdfs: &WebHdfsClient,
    workspace: &str,
    version: &str,
    lib: &[LocalEntry],
    plugins: &[LocalEntry],
    overwrite: bool,
) -> Result<WorkspaceReport> {
    if version.is_empty() || version.contains('/') || version == ".." {
        return Err(Error::invalid_input(
            crate::BACKEND,
            "Flink version",
            version,
            "not a directory name",
        ));
    }
    let root = format!("{}/flink/{version}", workspace.trim_end_matches('/'));
    let mut report = WorkspaceReport {
        root: root.clone(),
        ..Default::default()
    };
    for (kind, files) in [("lib", lib), ("plugins", plugins)] {
        let dir = format!("{root}/{kind}");
        let remote = remote_files(hdfs, &dir).await?;
        hdfs.mkdirs(&dir).await?;
        for f in files {
            let name = format!("{kind}/{}", f.relative);
            let upload = match remote.get(&f.relative) {
                None => true,
                Some(&len) if len == f.size => {
                    report.unchanged += 1;
                    false
                }
                Some(&len) => {
                    report.differ.push((name.clone(), f.size, len));
                    overwrite
                }
            };
            if upload {
                let bytes = tokio::fs::read(&f.path).await.map_err(|e| {
                    Error::invalid_input(
                        crate::BACKEND,
                        "Flink home file",
                        f.path.display().to_string(),
                        format!("cannot read: {e}"),
                    )
                })?;
                hdfs.create(&format!("{dir}/{}", f.relative), bytes, true)
                    .await?;
                report.uploaded.push(name);
            }
        }
        let local: std::collections::BTreeSet<&str> =
            files.iter().map(|f| f.relative.as_str()).collect();
        report.extra.extend(
            remote
                .keys()
                .filter(|r| !local.contains(r.as_str()))
                .map(|r| format!("{kind}/{r}")),
        );
    }
    Ok(report)
}

/// [`sync_flink_dist`] for a detected Flink home, under its version (`1.14.0-csa1.6.0.0`).
///
/// # Errors
/// As [`sync_flink_dist`].
pub async fn sync_home(
    hdfs: &WebHdfsClient,
    workspace: &str,
    home: &streampark_core::FlinkHome,
    overwrite: bool,
) -> Result<WorkspaceReport> {
    let conv = |v: &[streampark_core::flink_home::LocalFile]| -> Vec<LocalEntry> {
        v.iter()
            .map(|f| LocalEntry::new(f.relative.clone(), f.path.clone(), f.size))
            .collect()
    };
    sync_flink_dist(
        hdfs,
        workspace,
        &home.version().to_string(),
        &conv(home.lib()),
        &conv(home.plugins()),
        overwrite,
    )
    .await
}

/// `<workspace>/jobs/<job>`: the per-job upload directory (user jar, SQL runner) whose
/// subdirectories are attempts.
pub(crate) fn job_upload_dir(workspace: &str, job: &streampark_core::JobId) -> String {
    format!("{}/jobs/{job}", workspace.trim_end_matches('/'))
}

/// The attempts that have an upload directory below `<workspace>/jobs/<job>` (names that are not
/// attempt numbers are not ours and are left alone).
pub(crate) async fn uploaded_attempts(
    hdfs: &WebHdfsClient,
    workspace: &str,
    job: &streampark_core::JobId,
) -> Result<Vec<u64>> {
    let entries = match hdfs.list_status(&job_upload_dir(workspace, job)).await {
        Ok(e) => e,
        Err(e) if e.is_not_found() => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out: Vec<u64> = entries
        .iter()
        .filter(|e| e.kind == FileKind::Directory)
        .filter_map(|e| e.path_suffix.parse().ok())
        .collect();
    out.sort_unstable();
    Ok(out)
}

/// Removes `<workspace>/jobs/<job>/<attempt>` (recursively), then the job's directory when it
/// is left empty. Returns whether the attempt's directory existed.
pub(crate) async fn remove_attempt_uploads(
    hdfs: &WebHdfsClient,
    workspace: &str,
    job: &streampark_core::JobId,
    attempt: u64,
) -> Result<bool> {
    let dir = job_upload_dir(workspace, job);
    let existed = hdfs.delete(&format!("{dir}/{attempt}"), true).await?;
    if uploaded_attempts(hdfs, workspace, job).await?.is_empty() {
        // Non-recursive: a concurrent upload of another attempt makes this fail, and stay.
        match hdfs.delete(&dir, false).await {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                tracing::debug!(dir = %dir, error = %e, "job upload directory kept");
            }
        }
    }
    Ok(existed)
}
