//! Doctor on Cloudera-style, Apache 1.x and Flink 2.x layouts built in temp dirs, HA configs,
//! Kerberos, and live checks against a small in-test RM + WebHDFS server.

use std::path::{Path, PathBuf};

use streampark_core::testkit::FakeFlinkHome;

use super::*;

fn site(props: &[(&str, &str)]) -> String {
    let mut s = String::from("<configuration>\n");
    for (k, v) in props {
        s.push_str(&format!(
            "<property><name>{k}</name><value>{v}</value></property>\n"
        ));
    }
    s + "</configuration>\n"
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(file), text).unwrap();
}

fn ha_hadoop(dir: &Path, extra_core: &[(&str, &str)]) {
    let mut core = vec![("fs.defaultFS", "hdfs://nameservice1")];
    core.extend_from_slice(extra_core);
    write(dir, "core-site.xml", &site(&core));
    write(
        dir,
        "hdfs-site.xml",
        &site(&[
            ("dfs.nameservices", "nameservice1"),
            ("dfs.ha.namenodes.nameservice1", "namenode1,namenode2"),
            (
                "dfs.namenode.http-address.nameservice1.namenode1",
                "nn1.corp:9870",
            ),
            (
                "dfs.namenode.http-address.nameservice1.namenode2",
                "nn2.corp:9870",
            ),
        ]),
    );
    write(
        dir,
        "yarn-site.xml",
        &site(&[
            ("yarn.resourcemanager.ha.enabled", "true"),
            ("yarn.resourcemanager.ha.rm-ids", "rm61,rm75"),
            ("yarn.resourcemanager.webapp.address.rm61", "rm-a.corp:8088"),
            ("yarn.resourcemanager.hostname.rm75", "rm-b.corp"),
        ]),
    );
}

const FLINK_SH: &str = "#!/bin/sh\nexit 0\n";

fn env_opts(root: &Path) -> HadoopConfOptions {
    HadoopConfOptions::default()
        .with_default_dirs(vec![
            root.join("etc/hadoop/conf"),
            root.join("etc/hadoop/conf.cloudera.yarn"),
        ])
        .with_env("HADOOP_CLASSPATH", "/opt/hadoop/share/*")
        .with_system_property("user.name", "flink")
}

fn doctor(root: &Path) -> Doctor {
    Doctor::new()
        .with_flink_detect_options(
            DetectOptions::default().with_vendor_conf_dirs(vec![root.join("etc/flink/conf")]),
        )
        .with_hadoop_options(env_opts(root))
        .with_klist(None)
}

fn codes(r: &Report) -> Vec<&'static str> {
    r.problems().iter().map(|p| p.code).collect()
}

fn cloudera_parcel(root: &Path, dist: &str, manifest: Option<&str>) -> PathBuf {
    let mut f =
        FakeFlinkHome::new(root.join("opt/cloudera/parcels/FLINK-1.14.0-csa1.6.0.0/lib/flink"))
            .with_dist(dist)
            .with_bin_script("flink", FLINK_SH)
            .with_lib_file("flink-table_2.12-1.14.0-csa1.6.0.0.jar", 100)
            .with_plugin_file("metrics-jmx/flink-metrics-jmx-1.14.0-csa1.6.0.0.jar", 10);
    if let Some(m) = manifest {
        f = f.with_manifest_version(m);
    }
    f.write().unwrap()
}

#[test]
fn cloudera_layout_vendor_version_and_etc_conf() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let home = cloudera_parcel(root, "flink-dist_2.12-1.14.0-csa1.6.0.0.jar", None);
    write(
        &root.join("etc/flink/conf"),
        "flink-conf.yaml",
        "jobmanager.memory.process.size: 2g\n",
    );
    ha_hadoop(&root.join("etc/hadoop/conf.cloudera.yarn"), &[]);
    let r = doctor(root).with_flink_home(&home).diagnose_static();
    assert!(r.problems().is_empty(), "{:?}", r.problems());
    let j = r.to_json();
    assert_eq!(j["flink"]["home"], home.display().to_string());
    assert_eq!(j["flink"]["version"], "1.14.0");
    assert_eq!(j["flink"]["vendor"], "csa1.6.0.0");
    assert_eq!(j["flink"]["scala"], "2.12");
    assert_eq!(
        j["flink"]["conf_dir"],
        root.join("etc/flink/conf").display().to_string()
    );
    assert_eq!(
        j["hadoop"]["conf_dir"],
        root.join("etc/hadoop/conf.cloudera.yarn")
            .display()
            .to_string()
    );
    assert_eq!(
        j["hadoop"]["resource_managers"],
        serde_json::json!(["http://rm-a.corp:8088", "http://rm-b.corp:8088"])
    );
    assert_eq!(j["hadoop"]["default_fs"], "hdfs://nameservice1");
    assert_eq!(j["problems"], serde_json::json!([]));
}

#[test]
fn cloudera_manifest_only_version_and_missing_conf() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let home = cloudera_parcel(root, "flink-dist.jar", Some("1.14.0-csa1.6.0.0"));
    ha_hadoop(&root.join("etc/hadoop/conf"), &[]);
    // No /etc/flink/conf and no parcel conf.dist: the parcel's lib/flink has no conf/.
    let r = doctor(root).with_flink_home(&home).diagnose_static();
    assert_eq!(codes(&r), ["FLINK_CONF_DIR_MISSING"]);
    let p = &r.problems()[0];
    assert_eq!(p.severity, Severity::Error);
    assert!(
        p.message.contains("etc/flink/conf (vendor): missing"),
        "{}",
        p.message
    );
    assert!(p.fix.contains("FLINK_CONF_DIR"), "{}", p.fix);
    assert!(r.has_errors());
    // With the config in place, the version comes from the manifest.
    write(&root.join("etc/flink/conf"), "flink-conf.yaml", "a: b\n");
    let r = doctor(root).with_flink_home(&home).diagnose_static();
    assert!(!r.has_errors(), "{:?}", r.problems());
    assert_eq!(r.to_json()["flink"]["version"], "1.14.0");
    assert_eq!(r.to_json()["flink"]["vendor"], "csa1.6.0.0");
    assert_eq!(r.to_json()["flink"]["scala"], serde_json::Value::Null);
}

/// The first CDP problem: a parcel's `lib/flink` without `conf/` and no `/etc/flink/conf`. The
/// doctor names the missing configuration with its fix and still reports what the dist jar
/// told: version, vendor and Scala version.
#[test]
fn a_cloudera_home_without_conf_keeps_the_facts_read_from_its_jar() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let home = cloudera_parcel(root, "flink-dist_2.12-1.14.0-csa1.6.0.0.jar", None);
    ha_hadoop(&root.join("etc/hadoop/conf"), &[]);
    let r = doctor(root).with_flink_home(&home).diagnose_static();
    assert_eq!(codes(&r), ["FLINK_CONF_DIR_MISSING"]);
    assert!(r.problems()[0].fix.contains("FLINK_CONF_DIR"));
    let j = r.to_json();
    assert_eq!(j["flink"]["home"], home.display().to_string());
    assert_eq!(j["flink"]["version"], "1.14.0");
    assert_eq!(j["flink"]["vendor"], "csa1.6.0.0");
    assert_eq!(j["flink"]["scala"], "2.12");
    assert_eq!(j["flink"]["conf_dir"], serde_json::Value::Null);
    assert_eq!(j["flink_homes"][0]["version"], "1.14.0");
    // The Hadoop side is reported all the same.
    assert_eq!(
        j["hadoop"]["conf_dir"],
        root.join("etc/hadoop/conf").display().to_string()
    );
}

#[test]
fn apache_1x_layout_and_wrong_config_file_name() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let home = FakeFlinkHome::new(root.join("flink-1.17.2"))
        .with_dist("flink-dist_2.12-1.17.2.jar")
        .with_conf_file("flink-conf.yaml", "rest.port: 8081\n")
        .with_bin_script("flink", FLINK_SH)
        .write()
        .unwrap();
    ha_hadoop(&root.join("etc/hadoop/conf"), &[]);
    let r = doctor(root).with_flink_home(&home).diagnose_static();
    assert!(r.problems().is_empty(), "{:?}", r.problems());
    let j = r.to_json();
    assert_eq!(
        (
            j["flink"]["version"].as_str(),
            j["flink"]["vendor"].as_str()
        ),
        (Some("1.17.2"), None)
    );
    assert_eq!(
        j["flink"]["conf_dir"],
        home.join("conf").display().to_string()
    );

    std::fs::rename(
        home.join("conf/flink-conf.yaml"),
        home.join("conf/config.yaml"),
    )
    .unwrap();
    let r = doctor(root).with_flink_home(&home).diagnose_static();
    assert_eq!(codes(&r), ["FLINK_CONF_YAML_UNSUPPORTED"]);
}

#[test]
fn flink_2x_layout_and_legacy_config_file() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let home = FakeFlinkHome::new(root.join("flink-2.3.0"))
        .with_dist("flink-dist-2.3.0.jar")
        .with_conf_file("config.yaml", "rest:\n  port: 8081\n")
        .with_bin_script("flink", FLINK_SH)
        .write()
        .unwrap();
    ha_hadoop(&root.join("etc/hadoop/conf"), &[]);
    let r = doctor(root).with_flink_home(&home).diagnose_static();
    assert!(r.problems().is_empty(), "{:?}", r.problems());
    assert_eq!(r.to_json()["flink"]["version"], "2.3.0");
    assert_eq!(r.to_json()["flink"]["scala"], serde_json::Value::Null);

    std::fs::rename(
        home.join("conf/config.yaml"),
        home.join("conf/flink-conf.yaml"),
    )
    .unwrap();
    std::fs::remove_file(home.join("bin/flink")).unwrap();
    let r = doctor(root).with_flink_home(&home).diagnose_static();
    assert_eq!(codes(&r), ["FLINK_CONF_LEGACY_FILE", "FLINK_BIN_MISSING"]);
}

#[test]
fn nothing_configured_lists_every_place_tried() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let r = doctor(root)
        .with_hadoop_options(
            env_opts(root).with_env("HADOOP_CONF_DIR", root.join("nope").to_string_lossy()),
        )
        .diagnose_static();
    assert_eq!(codes(&r), ["FLINK_HOME_UNSET", "HADOOP_CONF_DIR_UNSET"]);
    let msg = &r.problems()[1].message;
    for needle in [
        "nope (HADOOP_CONF_DIR): missing",
        "YARN_CONF_DIR: unset",
        "HADOOP_HOME: unset",
        "conf.cloudera.yarn (default): missing",
    ] {
        assert!(msg.contains(needle), "{needle} not in {msg}");
    }
    let j = r.to_json();
    assert_eq!(j["flink"], serde_json::Value::Null);
    assert_eq!(j["hadoop"], serde_json::Value::Null);
}

/// The static report for a 2.x Flink home and a Hadoop conf dir holding `core` and `yarn`
/// properties; also the conf dir.
fn static_report(root: &Path, core: &[(&str, &str)], yarn: &[(&str, &str)]) -> (Report, PathBuf) {
    let home = FakeFlinkHome::new(root.join("f"))
        .with_conf_file("config.yaml", "")
        .with_bin_script("flink", FLINK_SH)
        .write()
        .unwrap();
    let conf = root.join("etc/hadoop/conf");
    write(&conf, "core-site.xml", &site(core));
    write(&conf, "yarn-site.xml", &site(yarn));
    let r = doctor(root)
        .with_hadoop_options(HadoopConfOptions::default().with_default_dirs(vec![conf.clone()]))
        .with_flink_home(&home)
        .diagnose_static();
    (r, conf)
}

#[test]
fn hadoop_static_problems() {
    let d = tempfile::tempdir().unwrap();
    let (r, _) = static_report(
        d.path(),
        &[("x", "${y}"), ("y", "${x}")],
        &[
            ("yarn.resourcemanager.ha.enabled", "true"),
            ("yarn.resourcemanager.ha.rm-ids", "rm1,rm2"),
            ("yarn.resourcemanager.webapp.address.rm1", "rm1:8088"),
        ],
    );
    let c = codes(&r);
    for code in [
        "HADOOP_CONF_SUBSTITUTION",
        "RM_ADDRESS_INVALID",
        "HDFS_DEFAULT_FS_UNSET",
        "HADOOP_CLASSPATH_UNSET",
    ] {
        assert!(c.contains(&code), "{code} not in {c:?}");
    }
    let rm = r
        .problems()
        .iter()
        .find(|p| p.code == "RM_ADDRESS_INVALID")
        .unwrap();
    assert_eq!(rm.severity, Severity::Warning, "rm1 is still usable");
    assert!(rm.message.contains("`rm2`"), "{}", rm.message);
    // Errors sort first.
    assert_eq!(r.problems()[0].severity, Severity::Error);
}

#[test]
fn two_rm_ids_at_one_address_are_reported_and_probed_once() {
    let d = tempfile::tempdir().unwrap();
    let (r, conf) = static_report(
        d.path(),
        &[("fs.defaultFS", "hdfs://nn:8020")],
        &[
            ("yarn.resourcemanager.ha.enabled", "true"),
            ("yarn.resourcemanager.ha.rm-ids", "rm1,rm2,rm3"),
            ("yarn.resourcemanager.webapp.address.rm1", "rm-a.corp:8088"),
            ("yarn.resourcemanager.webapp.address.rm2", "rm-b.corp:8088"),
            // Copy-pasted from rm1.
            ("yarn.resourcemanager.webapp.address.rm3", "rm-a.corp:8088"),
        ],
    );
    let dup: Vec<&Problem> = r
        .problems()
        .iter()
        .filter(|p| p.code == "RM_ADDRESS_DUPLICATE")
        .collect();
    assert_eq!(dup.len(), 1, "{:?}", r.problems());
    assert_eq!(dup[0].severity, Severity::Warning);
    assert!(
        dup[0].message.contains("`rm1`") && dup[0].message.contains("`rm3`"),
        "{}",
        dup[0].message
    );
    let c = HadoopConf::load_with(&conf, &HadoopConfOptions::default()).unwrap();
    let urls: Vec<String> = c
        .resource_manager_urls()
        .iter()
        .map(|u| u.host_str().unwrap().to_string())
        .collect();
    assert_eq!(urls, ["rm-a.corp", "rm-b.corp"]);
}

#[test]
fn several_homes_first_is_flink_all_in_flink_homes() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    ha_hadoop(&root.join("etc/hadoop/conf"), &[]);
    let a = FakeFlinkHome::new(root.join("a"))
        .with_dist("flink-dist-2.3.0.jar")
        .with_conf_file("config.yaml", "")
        .with_bin_script("flink", FLINK_SH)
        .write()
        .unwrap();
    let b = root.join("missing-home");
    let r = doctor(root)
        .with_flink_home(&a)
        .with_flink_home(&b)
        .diagnose_static();
    let j = r.to_json();
    assert_eq!(j["flink"]["version"], "2.3.0");
    assert_eq!(j["flink_homes"].as_array().unwrap().len(), 2);
    assert_eq!(j["flink_homes"][1]["home"], b.display().to_string());
    assert_eq!(j["flink_homes"][1]["version"], serde_json::Value::Null);
    assert_eq!(codes(&r), ["FLINK_HOME_MISSING"]);
}

fn kerberos_env(root: &Path) -> (PathBuf, Doctor) {
    let conf = root.join("etc/hadoop/conf");
    ha_hadoop(&conf, &[("hadoop.security.authentication", "kerberos")]);
    let home = FakeFlinkHome::new(root.join("f"))
        .with_conf_file("config.yaml", "")
        .with_bin_script("flink", FLINK_SH)
        .write()
        .unwrap();
    (home.clone(), doctor(root).with_flink_home(home))
}

#[test]
fn kerberos_ticket_cache_and_klist() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let (_, doc) = kerberos_env(root);
    let cache = root.join("krb5cc_test");
    let opts = env_opts(root).with_env("KRB5CCNAME", format!("FILE:{}", cache.display()));
    let r = doc
        .clone()
        .with_hadoop_options(opts.clone())
        .diagnose_static();
    assert_eq!(codes(&r), ["KERBEROS_NO_TICKET"]);
    std::fs::write(&cache, b"\x05\x04ticket").unwrap();
    let r = doc
        .clone()
        .with_hadoop_options(opts.clone())
        .diagnose_static();
    assert!(r.problems().is_empty(), "{:?}", r.problems());
    // klist -s decides when it can run: an expired ticket in the cache file.
    let klist = root.join("klist");
    std::fs::write(&klist, "#!/bin/sh\nexit 1\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&klist, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let r = doc
        .with_hadoop_options(opts)
        .with_klist(Some(klist))
        .diagnose_static();
    assert_eq!(codes(&r), ["KERBEROS_NO_TICKET"]);
}

#[test]
fn kerberos_keytab_from_flink_config() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let (home, doc) = kerberos_env(root);
    let kt = root.join("flink.keytab");
    std::fs::write(
        home.join("conf/config.yaml"),
        format!(
            "security:\n  kerberos:\n    login:\n      keytab: {}\n",
            kt.display()
        ),
    )
    .unwrap();
    let r = doc.clone().diagnose_static();
    assert_eq!(codes(&r), ["KERBEROS_NO_KEYTAB", "KERBEROS_NO_PRINCIPAL"]);
    assert!(r.problems()[0].message.contains("flink.keytab"));
    std::fs::write(&kt, b"keytab").unwrap();
    std::fs::write(
        home.join("conf/config.yaml"),
        format!(
            "security.kerberos.login.keytab: {}\nsecurity.kerberos.login.principal: flink/h@CORP\n",
            kt.display()
        ),
    )
    .unwrap();
    let r = doc.diagnose_static();
    assert!(r.problems().is_empty(), "{:?}", r.problems());
}

// ------------------------------------------------------------------ live checks

mod fake {
    //! A tiny RM (`/ws/v1/cluster/info`) and WebHDFS (GETFILESTATUS, LISTSTATUS) for the
    //! doctor's live checks; shapes per Hadoop's REST docs.
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use axum::extract::{Request, State};
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};

    #[derive(Clone, Default)]
    pub(super) struct Server {
        pub(super) ha_state: Arc<Mutex<String>>,
        /// HDFS path -> (is_dir, length)
        pub(super) files: Arc<Mutex<BTreeMap<String, (bool, u64)>>>,
    }

    async fn handle(State(s): State<Server>, req: Request) -> Response {
        let path = req.uri().path().to_string();
        let query = req.uri().query().unwrap_or("").to_string();
        if path == "/ws/v1/cluster/info" {
            let st = s.ha_state.lock().unwrap().clone();
            return axum::Json(serde_json::json!({"clusterInfo": {"id": 1, "startedOn": 1, "state": "STARTED", "haState": st, "hadoopVersion": "3.3.6", "resourceManagerVersion": "3.3.6"}})).into_response();
        }
        if path == "/ws/v1/cluster/scheduler" {
            // The Capacity Scheduler's shape (ResourceManagerRest.md): a parent queue `team`
            // holding a stopped leaf, and a single child rendered as an object.
            return axum::Json(serde_json::json!({"scheduler": {"schedulerInfo": {
                "type": "capacityScheduler", "queueName": "root", "capacity": 100.0,
                "queues": {"queue": [
                    {"type": "capacitySchedulerLeafQueueInfo", "queueName": "default", "state": "RUNNING"},
                    {"type": "capacitySchedulerLeafQueueInfo", "queueName": "streaming", "state": "RUNNING"},
                    {"queueName": "team", "state": "RUNNING", "queues": {"queue":
                        {"type": "capacitySchedulerLeafQueueInfo", "queueName": "etl", "state": "STOPPED"}}}
                ]}}}})).into_response();
        }
        let Some(p) = path.strip_prefix("/webhdfs/v1") else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let p = if p.is_empty() {
            "/".to_string()
        } else {
            p.trim_end_matches('/').to_string()
        };
        let files = s.files.lock().unwrap().clone();
        let not_found = || {
            (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({"RemoteException": {"exception": "FileNotFoundException", "javaClassName": "java.io.FileNotFoundException", "message": format!("File does not exist: {p}")}}))).into_response()
        };
        let status = |suffix: &str, dir: bool, len: u64| serde_json::json!({"pathSuffix": suffix, "type": if dir {"DIRECTORY"} else {"FILE"}, "length": len, "modificationTime": 1_700_000_000_000i64, "accessTime": 0, "blockSize": 134217728, "replication": 3, "owner": "flink", "group": "supergroup", "permission": "755", "fileId": 1, "childrenNum": 0, "storagePolicy": 0});
        if query.contains("op=GETFILESTATUS") {
            return match files.get(&p) {
                Some((dir, len)) => {
                    axum::Json(serde_json::json!({"FileStatus": status("", *dir, *len)}))
                        .into_response()
                }
                None => not_found(),
            };
        }
        if query.contains("op=LISTSTATUS") {
            if !matches!(files.get(&p), Some((true, _))) {
                return not_found();
            }
            let prefix = format!("{p}/");
            let children: Vec<_> = files
                .iter()
                .filter_map(|(k, (dir, len))| {
                    let rest = k.strip_prefix(&prefix)?;
                    (!rest.contains('/')).then(|| status(rest, *dir, *len))
                })
                .collect();
            return axum::Json(serde_json::json!({"FileStatuses": {"FileStatus": children}}))
                .into_response();
        }
        StatusCode::BAD_REQUEST.into_response()
    }

    pub(super) async fn start(s: Server) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = axum::Router::new().fallback(handle).with_state(s);
        tokio::spawn(async move { axum::serve(listener, app).await });
        port
    }

    pub(super) async fn closed_port() -> u16 {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_rm_probes_and_hdfs_workspace() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let server = fake::Server::default();
    *server.ha_state.lock().unwrap() = "STANDBY".into();
    let port = fake::start(server.clone()).await;
    let dead = fake::closed_port().await;
    let conf = root.join("etc/hadoop/conf");
    write(
        &conf,
        "core-site.xml",
        &site(&[("fs.defaultFS", "hdfs://ns1")]),
    );
    // An HA nameservice whose first NameNode is down: the workspace is read from the second.
    write(
        &conf,
        "hdfs-site.xml",
        &site(&[
            ("dfs.nameservices", "ns1"),
            ("dfs.ha.namenodes.ns1", "nn1,nn2"),
            (
                "dfs.namenode.http-address.ns1.nn1",
                &format!("127.0.0.1:{dead}"),
            ),
            (
                "dfs.namenode.http-address.ns1.nn2",
                &format!("127.0.0.1:{port}"),
            ),
        ]),
    );
    write(
        &conf,
        "yarn-site.xml",
        &site(&[
            ("yarn.resourcemanager.ha.enabled", "true"),
            ("yarn.resourcemanager.ha.rm-ids", "rm1,rm2"),
            (
                "yarn.resourcemanager.webapp.address.rm1",
                &format!("127.0.0.1:{port}"),
            ),
            (
                "yarn.resourcemanager.webapp.address.rm2",
                &format!("127.0.0.1:{dead}"),
            ),
        ]),
    );
    let home = FakeFlinkHome::new(root.join("flink-2.3.0"))
        .with_conf_file("config.yaml", "")
        .with_bin_script("flink", FLINK_SH)
        .with_lib_file("flink-table-runtime-2.3.0.jar", 300)
        .with_lib_file("log4j-core-2.25.3.jar", 50)
        .with_plugin_file("metrics-jmx/flink-metrics-jmx-2.3.0.jar", 20)
        .write()
        .unwrap();
    let dist_size = std::fs::metadata(home.join("lib/flink-dist-2.3.0.jar"))
        .unwrap()
        .len();
    {
        let mut f = server.files.lock().unwrap();
        for dir in ["/sp", "/sp/flink", "/sp/flink/2.3.0", "/sp/flink/2.3.0/lib"] {
            f.insert(dir.into(), (true, 0));
        }
        f.insert(
            "/sp/flink/2.3.0/lib/flink-dist-2.3.0.jar".into(),
            (false, dist_size),
        );
        f.insert(
            "/sp/flink/2.3.0/lib/flink-table-runtime-2.3.0.jar".into(),
            (false, 299),
        );
        // log4j-core missing; plugins/ missing entirely.
    }
    let doc = doctor(root)
        .with_hadoop_conf_dir(&conf)
        .with_flink_home(&home)
        .with_workspace("hdfs:///sp")
        .with_user("flink")
        .with_timeout(std::time::Duration::from_secs(3));
    let r = doc.diagnose().await;
    let c = codes(&r);
    assert_eq!(
        c.iter().filter(|x| **x == "RM_UNREACHABLE").count(),
        1,
        "{c:?}"
    );
    let unreachable = r
        .problems()
        .iter()
        .find(|p| p.code == "RM_UNREACHABLE")
        .unwrap();
    assert_eq!(unreachable.severity, Severity::Warning);
    assert!(unreachable.message.contains(&dead.to_string()));
    assert!(c.contains(&"NO_ACTIVE_RM"), "{c:?}");
    let ws: Vec<&Problem> = r
        .problems()
        .iter()
        .filter(|p| p.code == "HDFS_WORKSPACE_INCOMPLETE")
        .collect();
    assert_eq!(ws.len(), 2, "{ws:?}");
    let lib = ws
        .iter()
        .find(|p| p.message.contains("/sp/flink/2.3.0/lib "))
        .unwrap();
    assert!(
        lib.message.contains("1 missing: log4j-core-2.25.3.jar"),
        "{}",
        lib.message
    );
    assert!(
        lib.message
            .contains("flink-table-runtime-2.3.0.jar (local 300 B, HDFS 299 B)"),
        "{}",
        lib.message
    );
    assert!(!lib.message.contains("flink-dist"), "{}", lib.message);
    assert!(
        ws.iter()
            .any(|p| p.message.contains("/sp/flink/2.3.0/plugins does not exist"))
    );

    // Fix everything: the reachable RM turns ACTIVE, the workspace matches.
    *server.ha_state.lock().unwrap() = "ACTIVE".into();
    {
        let mut f = server.files.lock().unwrap();
        f.insert(
            "/sp/flink/2.3.0/lib/flink-table-runtime-2.3.0.jar".into(),
            (false, 300),
        );
        f.insert(
            "/sp/flink/2.3.0/lib/log4j-core-2.25.3.jar".into(),
            (false, 50),
        );
        f.insert("/sp/flink/2.3.0/plugins".into(), (true, 0));
        f.insert("/sp/flink/2.3.0/plugins/metrics-jmx".into(), (true, 0));
        f.insert(
            "/sp/flink/2.3.0/plugins/metrics-jmx/flink-metrics-jmx-2.3.0.jar".into(),
            (false, 20),
        );
    }
    let r = doc.diagnose().await;
    assert_eq!(codes(&r), ["RM_UNREACHABLE"], "{:?}", r.problems());
    assert!(!r.has_errors());
}

/// A Hadoop conf dir with one ResourceManager at `127.0.0.1:port` and a minimal Flink home,
/// under `root`.
fn one_rm_setup(root: &std::path::Path, port: u16) -> (std::path::PathBuf, std::path::PathBuf) {
    let conf = root.join("etc/hadoop/conf");
    write(
        &conf,
        "core-site.xml",
        &site(&[("fs.defaultFS", "hdfs://nn:8020")]),
    );
    write(
        &conf,
        "yarn-site.xml",
        &site(&[(
            "yarn.resourcemanager.webapp.address",
            &format!("127.0.0.1:{port}"),
        )]),
    );
    let home = FakeFlinkHome::new(root.join("f"))
        .with_conf_file("config.yaml", "")
        .with_bin_script("flink", FLINK_SH)
        .write()
        .unwrap();
    (conf, home)
}

#[tokio::test]
async fn live_checks_all_rms_down_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let dead = fake::closed_port().await;
    let (conf, home) = one_rm_setup(root, dead);
    let r = doctor(root)
        .with_hadoop_conf_dir(&conf)
        .with_flink_home(&home)
        .with_timeout(std::time::Duration::from_secs(2))
        .diagnose()
        .await;
    let p = r
        .problems()
        .iter()
        .find(|p| p.code == "RM_UNREACHABLE")
        .unwrap();
    assert_eq!(p.severity, Severity::Error);
    assert!(!r.has("NO_ACTIVE_RM"), "unreachable is not reported twice");
}

#[tokio::test]
async fn live_queue_check_names_unknown_parent_and_stopped_queues() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let server = fake::Server::default();
    *server.ha_state.lock().unwrap() = "ACTIVE".into();
    let port = fake::start(server).await;
    let (conf, home) = one_rm_setup(root, port);
    let run = |queue: &'static str| {
        let doc = doctor(root)
            .with_hadoop_conf_dir(&conf)
            .with_flink_home(&home)
            .with_queue(queue);
        async move { doc.diagnose().await }
    };
    let queue_codes = |r: &Report| -> Vec<&'static str> {
        codes(r)
            .into_iter()
            .filter(|c| c.starts_with("YARN_QUEUE"))
            .collect()
    };
    for ok in ["streaming", "root.streaming", "default"] {
        let r = run(ok).await;
        assert!(queue_codes(&r).is_empty(), "{ok}: {:?}", r.problems());
    }
    let r = run("batch").await;
    assert_eq!(queue_codes(&r), ["YARN_QUEUE_UNKNOWN"]);
    let p = r
        .problems()
        .iter()
        .find(|p| p.code == "YARN_QUEUE_UNKNOWN")
        .unwrap();
    assert_eq!(p.severity, Severity::Error);
    assert!(
        p.message.contains("`batch`")
            && p.message.contains("root.streaming")
            && p.message.contains("root.team.etl"),
        "names the queue and the leaves there are: {}",
        p.message
    );
    assert_eq!(queue_codes(&run("team").await), ["YARN_QUEUE_NOT_LEAF"]);
    assert_eq!(queue_codes(&run("etl").await), ["YARN_QUEUE_STOPPED"]);
}
