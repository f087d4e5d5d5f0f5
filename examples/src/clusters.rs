//! `--cluster` and `--option` for the examples: clusters named by registry URL, so one example
//! runs on any backend (`sim://local`, `flink+http://jm:8081`, `yarn+…`, `k8s+…`).

use std::sync::Arc;
use std::time::Duration;

use streampark::registry::DeployerOptions;
use streampark::{Deployer, Error, FlinkVersion, RemoteDeployer};

/// One cluster given on the command line.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Its name (`default` when the flag gave only a URL).
    pub name: String,
    /// The registry URL.
    pub url: String,
    /// The deployer the registry built.
    pub deployer: Arc<dyn Deployer>,
    /// The Flink version the cluster reports (REST clusters), when known.
    pub version: Option<FlinkVersion>,
}

/// Splits `NAME=URL` (a name is letters, digits, `-`, `_`); a bare URL is named `default`.
///
/// # Errors
/// An empty URL or name.
pub fn split_cluster_arg(arg: &str) -> Result<(String, String), Error> {
    let (name, url) = match arg.split_once('=') {
        Some((n, u))
            if !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            (n.to_string(), u.to_string())
        }
        _ => ("default".to_string(), arg.to_string()),
    };
    if url.trim().is_empty() {
        return Err(Error::invalid_input(
            "examples",
            "--cluster",
            format!("`{arg}`"),
            "expected URL or NAME=URL",
        ));
    }
    Ok((name, url))
}

/// Parses `key=value` of `--option`.
///
/// # Errors
/// An entry without `=` or with an empty key.
pub fn split_option_arg(arg: &str) -> Result<(String, String), Error> {
    match arg.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(Error::invalid_input(
            "examples",
            "--option",
            format!("`{arg}`"),
            "expected key=value",
        )),
    }
}

/// Builds every cluster through the facade's registry with `options`; asks REST clusters for
/// their Flink version (a cluster that does not answer in 10 s is kept, version unknown).
///
/// # Errors
/// The registry's errors (unknown scheme, unknown option, bad value); duplicate names.
pub async fn build(args: &[String], options: &[(String, String)]) -> Result<Vec<Cluster>, Error> {
    let args: Vec<String> = if args.is_empty() {
        vec!["local=sim://local".to_string()]
    } else {
        args.to_vec()
    };
    let reg = streampark::registry();
    let mut opts = DeployerOptions::new();
    for (k, v) in options {
        opts = opts.with(k, v);
    }
    let mut out: Vec<Cluster> = Vec::new();
    for a in &args {
        let (name, url) = split_cluster_arg(a)?;
        if out.iter().any(|c| c.name == name) {
            return Err(Error::invalid_input(
                "examples",
                "--cluster",
                format!("`{a}`"),
                format!("a cluster named `{name}` was given twice"),
            ));
        }
        let deployer = reg.deployer_from_url(&url, &opts).await?;
        let version = match url.strip_prefix("flink+") {
            Some(rest) => rest_version(rest).await,
            None => None,
        };
        out.push(Cluster {
            name,
            url,
            deployer,
            version,
        });
    }
    Ok(out)
}

async fn rest_version(url: &str) -> Option<FlinkVersion> {
    let base = url.split('?').next().unwrap_or(url);
    let d = RemoteDeployer::builder()
        .with_url(base)
        .with_request_timeout(Duration::from_secs(10))
        .build()
        .ok()?;
    match d.flink_version().await {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(url = base, error = %e, "cannot read the cluster's Flink version");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_args_name_or_default() {
        assert_eq!(
            split_cluster_arg("cdp=flink+http://jm:8081").unwrap(),
            ("cdp".into(), "flink+http://jm:8081".into())
        );
        // A `=` inside the URL's query is not a name.
        assert_eq!(
            split_cluster_arg("flink+http://jm:8081?request-timeout=5s").unwrap(),
            (
                "default".into(),
                "flink+http://jm:8081?request-timeout=5s".into()
            )
        );
        assert!(split_cluster_arg("a=").is_err());
        assert!(split_option_arg("novalue").is_err());
        assert_eq!(
            split_option_arg("savepoint-dir=file:///sp").unwrap(),
            ("savepoint-dir".into(), "file:///sp".into())
        );
    }

    #[tokio::test]
    async fn unknown_schemes_and_duplicates_are_errors() {
        let e = build(&["mesos://m:5050".into()], &[]).await.unwrap_err();
        assert!(e.to_string().contains("flink+http"), "{e}");
        let e = build(&["a=sim://x".into(), "a=sim://y".into()], &[])
            .await
            .unwrap_err();
        assert!(e.to_string().contains("given twice"), "{e}");
        let ok = build(&[], &[]).await.unwrap();
        assert_eq!(
            (ok[0].name.as_str(), ok[0].version.is_none()),
            ("local", true)
        );
    }
}
