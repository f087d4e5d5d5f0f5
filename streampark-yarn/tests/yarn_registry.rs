//! `streampark_yarn::register`: `yarn://` URLs build a `YarnDeployer` wired to the right
//! ResourceManagers (from the URL or from a Hadoop configuration directory), checked against
//! the simulated YARN cluster by listing an application another handle deployed.
#![cfg(unix)]

use std::sync::Arc;
use std::time::Duration;

use streampark_core::testkit::FakeFlinkHome;
use streampark_core::{
    DeployRequest, Deployer, DeployerExt, DeployerOptions, Error, JobSpec, JobState, Registry,
    Selector,
};
use streampark_yarn::YarnDeployer;
use streampark_yarn::testkit::{SimSubmitter, SimYarn};

fn registry() -> Registry {
    let mut r = Registry::new();
    streampark_yarn::register(&mut r);
    r
}

fn flink_home(dir: &std::path::Path) -> String {
    fake_home(dir, "flink", "flink-dist-1.18.1.jar")
}

/// A Flink home named `name` under `dir` whose `lib/` holds `dist`.
fn fake_home(dir: &std::path::Path, name: &str, dist: &str) -> String {
    FakeFlinkHome::new(dir.join(name))
        .with_dist(dist)
        .with_conf_file("flink-conf.yaml", "jobmanager.memory.process.size: 1600m\n")
        .with_bin_script("flink", "#!/bin/sh\nexit 1\n")
        .write()
        .unwrap()
        .display()
        .to_string()
}

fn hostport(u: &url::Url) -> String {
    format!("{}:{}", u.host_str().unwrap(), u.port().unwrap())
}

/// Deploys one job through the simulator's own submitter and waits until it runs.
async fn running_job(sim: &SimYarn) -> streampark_core::Deployment {
    let yarn = YarnDeployer::builder()
        .with_rm_urls(sim.rm_urls())
        .with_user("flink")
        .with_webhdfs_url(sim.webhdfs_url())
        .with_default_fs("hdfs://sim-nn:8020")
        .with_workspace("/ws")
        .with_flink_version("1.18.1")
        .with_submitter(Arc::new(SimSubmitter::new(sim.clone())))
        .with_poll_interval(Duration::from_millis(50))
        .build()
        .unwrap();
    let spec = JobSpec::sql(
        "orders",
        "CREATE TABLE s (v INT) WITH ('connector'='datagen');\nINSERT INTO k SELECT v FROM s;\n",
    )
    .unwrap();
    let dep = yarn.deploy(DeployRequest::new(spec, 1)).await.unwrap();
    yarn.wait_for(&dep.id, &[JobState::Running], Duration::from_secs(20))
        .await
        .unwrap();
    dep
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_yarn_url_with_the_ha_pair_sees_the_clusters_applications() {
    let sim = SimYarn::start().await.unwrap();
    let dep = running_job(&sim).await;
    let dir = tempfile::tempdir().unwrap();
    let rms = sim.rm_urls();
    // The URL names the standby; the option adds the active one: the HA probe must find it.
    let url = format!("yarn://{}", hostport(&rms[1]));
    let yarn = registry()
        .deployer_from_url(
            &url,
            &DeployerOptions::new()
                .with("resource-managers", rms[0].as_str())
                .with("flink-home", flink_home(dir.path()))
                .with("user", "flink")
                .with("request-timeout", "5s"),
        )
        .await
        .unwrap();
    assert_eq!(yarn.backend(), "yarn");
    let jobs = yarn.list(&Selector::All).await.unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].deployment, dep.id);
    assert_eq!(jobs[0].job.as_str(), "orders");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostless_yarn_url_reads_the_hadoop_conf() {
    let sim = SimYarn::start().await.unwrap();
    let dep = running_job(&sim).await;
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("hadoop");
    std::fs::create_dir_all(&conf).unwrap();
    let rms = sim.rm_urls();
    std::fs::write(
        conf.join("yarn-site.xml"),
        format!(
            "<configuration>\n<property><name>yarn.resourcemanager.ha.enabled</name><value>true</value></property>\n\
             <property><name>yarn.resourcemanager.ha.rm-ids</name><value>rm1,rm2</value></property>\n\
             <property><name>yarn.resourcemanager.webapp.address.rm1</name><value>{}</value></property>\n\
             <property><name>yarn.resourcemanager.webapp.address.rm2</name><value>{}</value></property>\n</configuration>\n",
            hostport(&rms[1]),
            hostport(&rms[0])
        ),
    )
    .unwrap();
    let yarn = registry()
        .deployer_from_url(
            &format!("yarn://?hadoop-conf={}", conf.display()),
            &DeployerOptions::new().with("flink-home", flink_home(dir.path())),
        )
        .await
        .unwrap();
    let jobs = yarn.list(&Selector::All).await.unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].deployment, dep.id);

    // Kerberos in that configuration is refused up front (SPNEGO is not implemented).
    std::fs::write(
        conf.join("core-site.xml"),
        "<configuration><property><name>hadoop.security.authentication</name><value>kerberos</value></property></configuration>\n",
    )
    .unwrap();
    let e = registry()
        .deployer_from_url(
            "yarn://",
            &DeployerOptions::new()
                .with("hadoop-conf", conf.display().to_string())
                .with("flink-home", flink_home(dir.path())),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
}

#[tokio::test]
async fn bad_yarn_options_name_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let home = flink_home(dir.path());
    let cases = [
        (DeployerOptions::new(), "flink-home"),
        (
            DeployerOptions::new()
                .with("flink-home", &home)
                .with("target", "session"),
            "target",
        ),
        (
            DeployerOptions::new()
                .with("flink-home", &home)
                .with("resource-managers", "not a url"),
            "resource-managers",
        ),
        (
            DeployerOptions::new()
                .with("flink-home", &home)
                .with("deploy-timeout", "forever"),
            "deploy-timeout",
        ),
        (
            // The second NameNode of the list is not a URL.
            DeployerOptions::new()
                .with("flink-home", &home)
                .with("webhdfs", "http://nn1.corp:9870, nn2 corp"),
            "webhdfs",
        ),
        (
            DeployerOptions::new()
                .with("flink-home", &home)
                .with("workspace", "relative/ws"),
            "with_workspace",
        ),
    ];
    for (opts, key) in cases {
        let e = registry()
            .deployer_from_url("yarn://rm1.corp:8088", &opts)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::InvalidConfig { key: k, .. } if k == key),
            "{key}: {e:?}"
        );
    }
    // A Flink home that is not one: the error names the directory.
    let e = registry()
        .deployer_from_url(
            "yarn://rm1.corp:8088",
            &DeployerOptions::new()
                .with("flink-home", dir.path().join("nope").display().to_string()),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
    // A typo is refused, never ignored.
    let e = registry()
        .deployer_from_url("yarn://rm1.corp:8088?queeu=x", &DeployerOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UnknownConfigKey { .. }), "{e:?}");
}

/// Several Flink homes in `flink-home`: `flink-version` selects one by requirement (through
/// `FlinkEnvs::select`), the deployer then reports that home's version (which placement uses);
/// a requirement no home satisfies fails when the cluster is built, naming what is there.
#[tokio::test]
async fn several_flink_homes_are_selected_by_version_requirement() {
    let dir = tempfile::tempdir().unwrap();
    let home = |name: &str, dist: &str| fake_home(dir.path(), name, dist);
    let cdp = home("cdp", "flink-dist_2.12-1.14.0-csa1.6.0.0.jar");
    let f120 = home("f120", "flink-dist-1.20.1.jar");
    let f23 = home("f23", "flink-dist-2.3.0.jar");
    let homes = format!("{cdp},{f120}, {f23}");
    let build = |version: Option<&str>| {
        let mut o = DeployerOptions::new()
            .with("flink-home", homes.clone())
            .with("resource-managers", "http://127.0.0.1:1");
        if let Some(v) = version {
            o = o.with("flink-version", v);
        }
        async move { registry().deployer_from_url("yarn://", &o).await }
    };
    let version = |d: Arc<dyn Deployer>| async move {
        d.cluster_flink_version()
            .await
            .unwrap()
            .map(|v| v.to_string())
    };
    // No requirement: the first home.
    assert_eq!(
        version(build(None).await.unwrap()).await.as_deref(),
        Some("1.14.0-csa1.6.0.0")
    );
    assert_eq!(
        version(build(Some("1.14")).await.unwrap()).await.as_deref(),
        Some("1.14.0-csa1.6.0.0")
    );
    // The highest satisfying one.
    assert_eq!(
        version(build(Some(">=1.15")).await.unwrap())
            .await
            .as_deref(),
        Some("2.3.0")
    );
    assert_eq!(
        version(build(Some("1.x")).await.unwrap()).await.as_deref(),
        Some("1.20.1")
    );
    let e = build(Some(">=3.0")).await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    let text = e.to_string();
    assert!(text.contains(">=3.0") && text.contains("2.3.0"), "{text}");
    let e = build(Some("not a version")).await.unwrap_err();
    assert!(matches!(e, Error::InvalidConfig { .. }), "{e:?}");
    assert!(e.to_string().contains("flink-version"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloudera_parcel_without_conf_takes_its_flink_conf_from_the_option() {
    let dir = tempfile::tempdir().unwrap();
    let parcel = dir
        .path()
        .join("opt/cloudera/parcels/FLINK-1.14.0-csa1.6.0.0-cdh7.1.7.0-551-29340707/lib/flink");
    let home = FakeFlinkHome::new(&parcel)
        .with_dist("flink-dist_2.12-1.14.0-csa1.6.0.0.jar")
        .with_bin_script("flink", "#!/bin/sh\nexit 1\n")
        .write()
        .unwrap();
    assert!(!home.join("conf").exists());
    let elsewhere = dir.path().join("etc/flink/conf");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(
        elsewhere.join("flink-conf.yaml"),
        "jobmanager.memory.process.size: 1600m\n",
    )
    .unwrap();
    let opts = |conf: Option<&std::path::Path>| {
        let mut o = DeployerOptions::new()
            .with("flink-home", home.display().to_string())
            .with("resource-managers", "http://127.0.0.1:1");
        if let Some(c) = conf {
            o = o.with("flink-conf", c.display().to_string());
        }
        o
    };
    let e = registry()
        .deployer_from_url("yarn://", &opts(None))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidConfig { key, .. } if key == "flink-home"),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains("configuration directory") && text.contains("conf.dist"),
        "names every place it looked: {text}"
    );
    let d = registry()
        .deployer_from_url("yarn://", &opts(Some(&elsewhere)))
        .await
        .expect("the conf dir given elsewhere");
    assert_eq!(
        d.cluster_flink_version()
            .await
            .unwrap()
            .map(|v| v.to_string())
            .as_deref(),
        Some("1.14.0-csa1.6.0.0")
    );
    // A conf dir that does not exist is named, not ignored.
    let e = registry()
        .deployer_from_url("yarn://", &opts(Some(&dir.path().join("nowhere"))))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("nowhere"), "{e}");
}
