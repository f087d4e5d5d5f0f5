//! `YarnDeployer` against a real ResourceManager pair (HA), NodeManager and HDFS: Hadoop's own
//! daemons started by `scripts/yarn-local`, with the real Flink CLI submitting
//! `yarn-application`s (`scripts/ci-yarn-real.sh` sets everything up). The whole Deployer
//! conformance suite runs; without `STREAMPARK_IT_YARN_RM_URLS` every test is skipped.
#![cfg(unix)]

use std::sync::Arc;
use std::time::Duration;

use streampark_core::testkit::conformance::{JarFixture, TestEnv};
use streampark_core::{FlinkCli, FlinkHome};
use streampark_yarn::{CliSubmitter, YarnDeployer};

fn var(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

async fn env() -> Option<TestEnv> {
    let Some(rms) = var("STREAMPARK_IT_YARN_RM_URLS") else {
        eprintln!("skipped: STREAMPARK_IT_YARN_RM_URLS is not set");
        return None;
    };
    let conf = var("HADOOP_CONF_DIR").expect("HADOOP_CONF_DIR with the RM");
    let home = FlinkHome::detect(var("STREAMPARK_IT_FLINK_HOME").expect("a Flink home")).unwrap();
    let version = home.version().to_string();
    // The cluster's Flink configuration, as an operator would keep it: the home's files plus
    // state directories on HDFS and a checkpoint interval (the conformance suite's jobs set none).
    let default_fs = var("DEFAULT_FS").expect("DEFAULT_FS");
    let flink_conf = std::env::temp_dir().join(format!("yarn-real-conf-{}", std::process::id()));
    std::fs::create_dir_all(&flink_conf).unwrap();
    for entry in std::fs::read_dir(home.conf_dir()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), flink_conf.join(entry.file_name())).unwrap();
        }
    }
    let extra = format!(
        "\nstate.savepoints.dir: {default_fs}/streampark/savepoints\n\
         state.checkpoints.dir: {default_fs}/streampark/checkpoints\n\
         execution.checkpointing.interval: 2s\n"
    );
    let cfg = flink_conf.join("config.yaml");
    let mut text = std::fs::read_to_string(&cfg).unwrap_or_default();
    text.push_str(&extra);
    std::fs::write(&cfg, text).unwrap();
    let cli = FlinkCli::new(home.clone())
        .with_conf_dir(flink_conf)
        .with_env("HADOOP_CONF_DIR", conf)
        .with_timeout(Duration::from_secs(300));
    let submitter = Arc::new(CliSubmitter::new(cli));
    let urls: Vec<url::Url> = rms.split(',').map(|u| u.parse().unwrap()).collect();
    let webhdfs = var("WEBHDFS_URL").expect("WEBHDFS_URL");
    let make = || {
        YarnDeployer::builder()
            .with_rm_urls(urls.clone())
            .with_user(var("USER").unwrap_or_else(|| "root".into()))
            .with_queue("streaming")
            .with_webhdfs_url(webhdfs.parse::<url::Url>().unwrap())
            .with_default_fs(default_fs.clone())
            .with_workspace("/streampark")
            .with_flink_version(version.clone())
            .with_submitter(submitter.clone())
            .with_poll_interval(Duration::from_millis(500))
            .build()
            .expect("valid builder")
    };
    // The HDFS workspace holds the Flink home's lib/ and plugins/ (yarn.provided.lib.dirs):
    // uploaded through WebHDFS the first time, compared by name and size afterwards.
    let first = make();
    let report = first
        .sync_workspace(&home, false)
        .await
        .expect("workspace sync");
    assert!(report.in_step(false), "{report:?}");
    let mut env = TestEnv::new(first, make()).with_wait(Duration::from_secs(180));
    if let Some(jar) = var("STREAMPARK_IT_TEST_JAR") {
        env = env.with_jar(JarFixture {
            artifact: jar,
            entry_class: "io.streampark.it.TickJob".into(),
            args: vec![],
        });
    }
    Some(env)
}

streampark_core::conformance_tests!(env());
