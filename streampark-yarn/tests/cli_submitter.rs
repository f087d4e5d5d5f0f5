//! `CliSubmitter` runs a Flink home's `bin/flink` (a stand-in script here: no Java) with the
//! arguments of `submit::cli_args`, parses the application id and carries stderr on failure;
//! `YarnDeployer::from_hadoop_conf` and `sync_workspace` on real files.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::time::Duration;

use streampark_core::testkit::FakeFlinkHome;
use streampark_core::{Error, FlinkCli, FlinkHome, JobId};
use streampark_yarn::conf::HadoopConf;
use streampark_yarn::submit::{YarnSubmission, YarnTarget};
use streampark_yarn::testkit::SimYarn;
use streampark_yarn::{CliSubmitter, Submitter, YarnDeployer};

fn submission() -> YarnSubmission {
    let job = JobId::new("orders").unwrap();
    let mut s = YarnSubmission::new(
        job,
        1,
        YarnTarget::Application,
        "Orders [streampark:orders:1]",
        "hdfs://nn/ws/app.jar",
    );
    s.config = BTreeMap::from([(
        "yarn.tags".to_string(),
        "streampark,streampark.attempt=1,streampark.job=orders".to_string(),
    )]);
    s.entry_class = Some("com.example.Main".into());
    s
}

fn home(dir: &std::path::Path, script: &str) -> FlinkHome {
    let root = FakeFlinkHome::new(dir.join("flink"))
        .with_dist("flink-dist-1.18.1.jar")
        .with_conf_file("flink-conf.yaml", "jobmanager.memory.process.size: 1600m\n")
        .with_bin_script("flink", script)
        .with_lib_file("log4j-api-2.17.1.jar", 64)
        .with_plugin_file("s3/flink-s3-fs-hadoop-1.18.1.jar", 32)
        .write()
        .unwrap();
    FlinkHome::detect(root).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submits_and_parses_the_application_id() {
    let dir = tempfile::tempdir().unwrap();
    let args_file = dir.path().join("args");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\necho 'INFO  YarnClusterDescriptor - Submitting application master application_1700000000000_0042'\necho 'INFO  YarnClusterDescriptor - YARN application has been deployed successfully.'\n",
        args_file.display()
    );
    let cli = FlinkCli::new(home(dir.path(), &script)).with_timeout(Duration::from_secs(30));
    let id = CliSubmitter::new(cli).submit(&submission()).await.unwrap();
    assert_eq!(id, "application_1700000000000_0042");
    let args = std::fs::read_to_string(&args_file).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(
        &args[..3],
        ["run-application", "-t", "yarn-application"],
        "Flink 1.18 uses run-application"
    );
    assert!(
        args.contains(&"-Dyarn.tags=streampark,streampark.attempt=1,streampark.job=orders"),
        "{args:?}"
    );
    assert_eq!(
        &args[args.len() - 3..],
        ["-c", "com.example.Main", "hdfs://nn/ws/app.jar"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_carry_the_stderr_tail_and_a_missing_id_is_a_protocol_error() {
    let dir = tempfile::tempdir().unwrap();
    let failing = "#!/bin/sh\necho 'noise' >&2\necho 'org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: boom' >&2\nexit 1\n";
    let cli = FlinkCli::new(home(dir.path(), failing)).with_timeout(Duration::from_secs(30));
    let e = CliSubmitter::new(cli)
        .submit(&submission())
        .await
        .unwrap_err();
    let Error::Rejected { message, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(
        message.contains("The main method caused an error: boom"),
        "{message}"
    );

    let dir2 = tempfile::tempdir().unwrap();
    let silent = "#!/bin/sh\necho 'submitted, somehow'\n";
    let cli = FlinkCli::new(home(dir2.path(), silent)).with_timeout(Duration::from_secs(30));
    let e = CliSubmitter::new(cli)
        .submit(&submission())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Protocol { .. }), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_hadoop_conf_and_workspace_sync_from_a_flink_home() {
    let sim = SimYarn::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("hadoop");
    std::fs::create_dir_all(&conf).unwrap();
    let rms = sim.rm_urls();
    let hostport = |u: &url::Url| format!("{}:{}", u.host_str().unwrap(), u.port().unwrap());
    std::fs::write(
        conf.join("yarn-site.xml"),
        format!(
            "<configuration>\n<property><name>yarn.resourcemanager.ha.enabled</name><value>true</value></property>\n\
             <property><name>yarn.resourcemanager.ha.rm-ids</name><value>rm1,rm2</value></property>\n\
             <property><name>yarn.resourcemanager.webapp.address.rm1</name><value>{}</value></property>\n\
             <property><name>yarn.resourcemanager.webapp.address.rm2</name><value>{}</value></property>\n</configuration>\n",
            hostport(&rms[0]),
            hostport(&rms[1])
        ),
    )
    .unwrap();
    std::fs::write(
        conf.join("core-site.xml"),
        "<configuration><property><name>fs.defaultFS</name><value>hdfs://sim-nn:8020</value></property></configuration>\n",
    )
    .unwrap();
    std::fs::write(
        conf.join("hdfs-site.xml"),
        format!(
            "<configuration><property><name>dfs.namenode.http-address</name><value>{}</value></property></configuration>\n",
            hostport(&sim.webhdfs_url())
        ),
    )
    .unwrap();
    let hc = HadoopConf::load(&conf).unwrap();
    let yarn = YarnDeployer::from_hadoop_conf(&hc)
        .unwrap()
        .with_user("flink")
        .with_workspace("/ws")
        .with_submitter(std::sync::Arc::new(
            streampark_yarn::testkit::SimSubmitter::new(sim.clone()),
        ))
        .build()
        .unwrap();
    assert_eq!(yarn.resource_manager().urls().len(), 2);
    assert_eq!(yarn.resource_manager().active().await.unwrap(), rms[0]);
    let flink = home(dir.path(), "#!/bin/sh\n");
    let r = yarn.sync_workspace(&flink, false).await.unwrap();
    assert_eq!(r.root, "/ws/flink/1.18.1");
    assert!(
        r.uploaded
            .contains(&"lib/flink-dist-1.18.1.jar".to_string()),
        "{r:?}"
    );
    assert!(
        r.uploaded
            .contains(&"plugins/s3/flink-s3-fs-hadoop-1.18.1.jar".to_string()),
        "{r:?}"
    );
    let again = yarn.sync_workspace(&flink, false).await.unwrap();
    assert!(
        again.uploaded.is_empty() && again.differ.is_empty(),
        "{again:?}"
    );
    assert_eq!(again.unchanged, r.uploaded.len());
    // Kerberos in the Hadoop conf is refused up front (SPNEGO is not implemented).
    std::fs::write(
        conf.join("core-site.xml"),
        "<configuration><property><name>hadoop.security.authentication</name><value>kerberos</value></property></configuration>\n",
    )
    .unwrap();
    let e = YarnDeployer::from_hadoop_conf(&HadoopConf::load(&conf).unwrap()).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_a_session_with_yarn_session_sh() {
    let dir = tempfile::tempdir().unwrap();
    let args_file = dir.path().join("session-args");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\necho 'INFO  YarnClusterDescriptor - Submitting application master application_1700000000000_0007'\necho \"JobManager Web Interface: http://nm-3:41234\"\n",
        args_file.display()
    );
    let root = FakeFlinkHome::new(dir.path().join("flink"))
        .with_dist("flink-dist-1.18.1.jar")
        .with_conf_file("flink-conf.yaml", "jobmanager.memory.process.size: 1600m\n")
        .with_bin_script("flink", "#!/bin/sh\nexit 3\n")
        .with_bin_script("yarn-session.sh", &script)
        .write()
        .unwrap();
    let cli = FlinkCli::new(FlinkHome::detect(root).unwrap()).with_timeout(Duration::from_secs(30));
    let spec = streampark_yarn::session::YarnSessionSpec::new("analytics session")
        .with_queue("streaming")
        .with_tag("streampark.session=analytics")
        .with_provided_lib_dir("hdfs://nn:8020/ws/flink/1.18.1/lib")
        .with_config("taskmanager.numberOfTaskSlots", "4");
    let id = CliSubmitter::new(cli).start_session(&spec).await.unwrap();
    assert_eq!(id, "application_1700000000000_0007");
    let args = std::fs::read_to_string(&args_file).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(
        args,
        [
            "-d",
            "-Dyarn.application.name=analytics session",
            "-Dyarn.application.queue=streaming",
            "-Dyarn.tags=streampark,streampark.session=analytics",
            "-Dtaskmanager.numberOfTaskSlots=4",
            "-Dyarn.provided.lib.dirs=hdfs://nn:8020/ws/flink/1.18.1/lib",
        ]
    );
}
