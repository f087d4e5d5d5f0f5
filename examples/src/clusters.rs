//! `--cluster` and `--option` for the examples: clusters named by registry URL, so one example
//! runs on any backend (`sim://local`, `flink+http://jm:8081`, `yarn+…`, `k8s+…`).

use std::sync::Arc;
use std::time::Duration;

use streampark::registry::DeployerOptions;
use streampark::{Deployer, Error, FlinkVersion};

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

/// Builds every cluster through the facade's registry with `options`; asks each for its Flink
/// version (`Deployer::cluster_flink_version`: a REST cluster's report, a CLI backend's Flink
/// home; a cluster that does not answer in 10 s is kept, version unknown).
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
        let version = cluster_version(&url, &*deployer).await;
        out.push(Cluster {
            name,
            url,
            deployer,
            version,
        });
    }
    Ok(out)
}

/// The Flink version the cluster reports (a REST cluster asked with a 10 s timeout, a CLI
/// backend its Flink home's); unknown when it cannot say.
async fn cluster_version(url: &str, d: &dyn streampark::Deployer) -> Option<FlinkVersion> {
    match tokio::time::timeout(Duration::from_secs(10), d.cluster_flink_version()).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            tracing::warn!(url, error = %e, "cannot read the cluster's Flink version");
            None
        }
        Err(_) => {
            tracing::warn!(url, "the cluster did not say its Flink version within 10 s");
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

    #[tokio::test]
    async fn a_yarn_cluster_carries_the_version_of_the_flink_home_selected() {
        let dir = std::env::temp_dir().join(format!("sp-clusters-{}", std::process::id()));
        let home = |name: &str, dist: &str| {
            streampark::testkit::FakeFlinkHome::new(dir.join(name))
                .with_dist(dist)
                .with_conf_file("flink-conf.yaml", "jobmanager.memory.process.size: 1600m\n")
                .with_bin_script("flink", "#!/bin/sh\nexit 1\n")
                .write()
                .unwrap()
                .display()
                .to_string()
        };
        let homes = format!(
            "{},{}",
            home("cdp", "flink-dist_2.12-1.14.0-csa1.6.0.0.jar"),
            home("f23", "flink-dist-2.3.0.jar")
        );
        let opts = |v: &str| {
            vec![
                ("flink-home".to_string(), homes.clone()),
                ("flink-version".to_string(), v.to_string()),
                (
                    "resource-managers".to_string(),
                    "http://127.0.0.1:1".to_string(),
                ),
            ]
        };
        let old = build(&["cdp=yarn://".into()], &opts("1.x")).await.unwrap();
        let new = build(&["k=yarn://".into()], &opts(">=2.0")).await.unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(
            old[0].version.as_ref().map(ToString::to_string).as_deref(),
            Some("1.14.0-csa1.6.0.0")
        );
        assert_eq!(
            new[0].version.as_ref().map(ToString::to_string).as_deref(),
            Some("2.3.0")
        );
    }
}
