//! [`crate::JobSpec::jars`] for backend authors: which entries are local files to ship and
//! which are URIs to pass on, checked before anything starts.

use std::path::PathBuf;

use crate::{Error, Result};

/// One entry of [`crate::JobSpec::jars`], classified.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JarLocation {
    /// A file on this host (a plain path or `file://`): the backend ships its bytes.
    Local(PathBuf),
    /// A URI the cluster resolves itself (`hdfs://`, `s3://`, `https://`, `local://`, …),
    /// passed on as it is.
    Uri(String),
}

impl JarLocation {
    /// Classifies one entry (no file system access).
    pub fn parse(jar: &str) -> JarLocation {
        if let Some(path) = jar.strip_prefix("file://") {
            return JarLocation::Local(PathBuf::from(path));
        }
        if jar.contains("://") {
            return JarLocation::Uri(jar.to_string());
        }
        JarLocation::Local(PathBuf::from(jar))
    }
}

/// Classifies every extra jar and checks that each local one is a readable regular file.
///
/// ```
/// use streampark_core::spi::{JarLocation, check_jars};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let jars = ["hdfs:///flink/udf.jar".to_string()];
/// assert_eq!(check_jars("sim", &jars).await?, [JarLocation::Uri(jars[0].clone())]);
/// let e = check_jars("sim", &["/nope/udf.jar".to_string()]).await.unwrap_err();
/// assert!(e.to_string().contains("/nope/udf.jar"));
/// # Ok::<(), streampark_core::Error>(())
/// # }).unwrap();
/// ```
///
/// # Errors
/// [`Error::NotFound`] naming the first missing jar; [`Error::InvalidInput`] for an empty
/// entry or one that is not a regular file.
pub async fn check_jars(backend: &'static str, jars: &[String]) -> Result<Vec<JarLocation>> {
    let mut out = Vec::with_capacity(jars.len());
    for (i, jar) in jars.iter().enumerate() {
        if jar.trim().is_empty() {
            return Err(Error::invalid_input(
                backend,
                "extra jar",
                format!("jars[{i}]"),
                "empty",
            ));
        }
        let loc = JarLocation::parse(jar);
        if let JarLocation::Local(path) = &loc {
            match tokio::fs::metadata(path).await {
                Ok(m) if m.is_file() => {}
                Ok(_) => {
                    return Err(Error::invalid_input(
                        backend,
                        "extra jar",
                        jar.clone(),
                        "not a regular file",
                    ));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(Error::not_found(
                        backend,
                        format!("extra jar `{jar}` (no such file)"),
                    ));
                }
                Err(e) => {
                    return Err(Error::invalid_input(
                        backend,
                        "extra jar",
                        jar.clone(),
                        format!("cannot read: {e}"),
                    ));
                }
            }
        }
        out.push(loc);
    }
    Ok(out)
}
