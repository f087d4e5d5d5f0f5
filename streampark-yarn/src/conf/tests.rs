use std::path::{Path, PathBuf};

use super::*;

fn site(props: &[(&str, &str)]) -> String {
    let mut s = String::from("<?xml version=\"1.0\"?>\n<configuration>\n");
    for (k, v) in props {
        s.push_str(&format!(
            "  <property>\n    <name>{k}</name>\n    <value>{v}</value>\n  </property>\n"
        ));
    }
    s.push_str("</configuration>\n");
    s
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(file), text).unwrap();
}

fn opts() -> HadoopConfOptions {
    HadoopConfOptions::default()
        .with_default_dirs(vec![])
        .with_system_property("user.name", "alice")
}

fn load(dir: &Path) -> HadoopConf {
    HadoopConf::load_with(dir, &opts()).unwrap()
}

fn urls(c: &HadoopConf) -> Vec<String> {
    c.resource_manager_urls()
        .iter()
        .map(|u| u.as_str().trim_end_matches('/').to_string())
        .collect()
}

#[test]
fn ha_two_rms_over_http() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "yarn-site.xml",
        &site(&[
            ("yarn.resourcemanager.ha.enabled", "true"),
            ("yarn.resourcemanager.ha.rm-ids", "rm1, rm2"),
            ("yarn.resourcemanager.webapp.address.rm1", "rm1.corp:8088"),
            ("yarn.resourcemanager.webapp.address.rm2", "rm2.corp:18088"),
            (
                "yarn.resourcemanager.webapp.https.address.rm1",
                "rm1.corp:8090",
            ),
        ]),
    );
    let c = load(d.path());
    assert!(c.rm_ha_enabled());
    assert_eq!(urls(&c), ["http://rm1.corp:8088", "http://rm2.corp:18088"]);
    let rms = c.resource_managers();
    assert_eq!(rms[1].id.as_deref(), Some("rm2"));
    assert_eq!(rms[1].from, "yarn.resourcemanager.webapp.address.rm2");
}

#[test]
fn ha_https_policy_and_hostname_fallback() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "yarn-site.xml",
        &site(&[
            ("yarn.http.policy", "HTTPS_ONLY"),
            ("yarn.resourcemanager.ha.enabled", "true"),
            ("yarn.resourcemanager.ha.rm-ids", "rm1,rm2,rm3"),
            ("yarn.resourcemanager.webapp.address.rm1", "rm1.corp:8088"),
            (
                "yarn.resourcemanager.webapp.https.address.rm1",
                "rm1.corp:8443",
            ),
            ("yarn.resourcemanager.hostname.rm2", "rm2.corp"),
        ]),
    );
    let c = load(d.path());
    // rm1 from its https key, rm2 from its hostname + 8090, rm3 has nothing.
    assert_eq!(urls(&c), ["https://rm1.corp:8443", "https://rm2.corp:8090"]);
    let rms = c.resource_managers();
    assert_eq!(rms[1].from, "yarn.resourcemanager.hostname.rm2 + :8090");
    let err = rms[2].url.as_ref().unwrap_err();
    assert!(
        err.contains("yarn.resourcemanager.webapp.https.address.rm3")
            && err.contains("hostname.rm3"),
        "{err}"
    );

    // Same over http: the hostname fallback takes 8088.
    write(
        d.path(),
        "yarn-site.xml",
        &site(&[
            ("yarn.resourcemanager.ha.enabled", "true"),
            ("yarn.resourcemanager.ha.rm-ids", "a,b"),
            ("yarn.resourcemanager.hostname.a", "ha-a"),
            ("yarn.resourcemanager.hostname.b", "ha-b"),
        ]),
    );
    assert_eq!(
        urls(&load(d.path())),
        ["http://ha-a:8088", "http://ha-b:8088"]
    );
}

#[test]
fn ha_enabled_without_ids_is_reported() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "yarn-site.xml",
        &site(&[("yarn.resourcemanager.ha.enabled", "true")]),
    );
    let c = load(d.path());
    assert!(c.resource_manager_urls().is_empty());
    assert!(
        c.resource_managers()[0]
            .url
            .as_ref()
            .unwrap_err()
            .contains("rm-ids")
    );
}

#[test]
fn non_ha_address_from_hostname_variable_and_wildcards() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "yarn-site.xml",
        &site(&[
            ("yarn.resourcemanager.hostname", "rm.corp"),
            (
                "yarn.resourcemanager.webapp.address",
                "${yarn.resourcemanager.hostname}:8088",
            ),
        ]),
    );
    assert_eq!(urls(&load(d.path())), ["http://rm.corp:8088"]);
    write(
        d.path(),
        "yarn-site.xml",
        &site(&[("yarn.resourcemanager.hostname", "only-host")]),
    );
    assert_eq!(urls(&load(d.path())), ["http://only-host:8088"]);
    write(
        d.path(),
        "yarn-site.xml",
        &site(&[("yarn.resourcemanager.webapp.address", "0.0.0.0:8088")]),
    );
    let c = load(d.path());
    assert!(c.resource_manager_urls().is_empty());
    assert!(
        c.resource_managers()[0]
            .url
            .as_ref()
            .unwrap_err()
            .contains("wildcard")
    );
    write(
        d.path(),
        "yarn-site.xml",
        &site(&[("yarn.nodemanager.aux-services", "mapreduce_shuffle")]),
    );
    let c = load(d.path());
    assert!(
        c.resource_managers()[0]
            .url
            .as_ref()
            .unwrap_err()
            .contains("neither")
    );
}

#[test]
fn final_values_survive_later_files() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "core-site.xml",
        "<configuration>\n<property><name>fs.defaultFS</name><value>hdfs://prod</value><final>true</final></property>\n<property><name>io.file.buffer.size</name><value>4096</value></property>\n</configuration>\n",
    );
    write(
        d.path(),
        "hdfs-site.xml",
        &site(&[
            ("fs.defaultFS", "hdfs://other"),
            ("io.file.buffer.size", "131072"),
        ]),
    );
    let c = load(d.path());
    assert_eq!(c.default_fs(), Some("hdfs://prod"));
    assert!(c.is_final("fs.defaultFS"));
    assert_eq!(
        c.get("io.file.buffer.size"),
        Some("131072"),
        "non-final values are overridden"
    );
    assert_eq!(
        c.source_of("io.file.buffer.size"),
        Some(d.path().join("hdfs-site.xml").as_path())
    );
    assert_eq!(
        c.final_overrides(),
        [("fs.defaultFS".to_string(), d.path().join("hdfs-site.xml"))]
    );
}

#[test]
fn substitution_across_files_env_and_cycles() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "core-site.xml",
        &site(&[
            ("hadoop.tmp.dir", "/data/tmp/${user.name}"),
            ("base.host", "nn.corp"),
            ("a", "${b}"),
            ("b", "${a}"),
        ]),
    );
    write(
        d.path(),
        "hdfs-site.xml",
        &site(&[
            ("dfs.namenode.http-address", "${base.host}:9870"),
            ("from.env", "${env.SP_TEST_DIR:-/fallback}/x"),
        ]),
    );
    let c = HadoopConf::load_with(d.path(), &opts().with_env("SP_TEST_DIR", "/from/env")).unwrap();
    assert_eq!(c.get("hadoop.tmp.dir"), Some("/data/tmp/alice"));
    assert_eq!(c.get("from.env"), Some("/from/env/x"));
    assert_eq!(c.webhdfs_url().unwrap().as_str(), "http://nn.corp:9870/");
    assert_eq!(c.get("a"), None, "a cycle reads as unset");
    let e = c.try_get("a").unwrap_err();
    assert_eq!(e.code(), "HADOOP_CONF_SUBSTITUTION");
    assert!(e.to_string().contains("a -> b -> a"), "{e}");
    assert!(e.to_string().contains("core-site.xml"), "{e}");
    assert_eq!(c.problems().len(), 2);
    let core: Error = e.into();
    assert!(matches!(core, Error::InvalidConfig { .. }));
}

#[test]
fn webhdfs_ha_nameservice_and_https() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "core-site.xml",
        &site(&[("fs.defaultFS", "hdfs://prodns")]),
    );
    write(
        d.path(),
        "hdfs-site.xml",
        &site(&[
            ("dfs.nameservices", "prodns,backupns"),
            ("dfs.ha.namenodes.prodns", "nn1,nn2"),
            ("dfs.namenode.http-address.prodns.nn1", "nn1.corp:9870"),
            ("dfs.namenode.http-address.prodns.nn2", "nn2.corp:9870"),
            ("dfs.namenode.https-address.prodns.nn1", "nn1.corp:9871"),
            ("dfs.namenode.https-address.prodns.nn2", "nn2.corp:9871"),
        ]),
    );
    let c = load(d.path());
    let w: Vec<String> = c.webhdfs_urls().iter().map(|u| u.to_string()).collect();
    assert_eq!(w, ["http://nn1.corp:9870/", "http://nn2.corp:9870/"]);
    let mut https = site(&[("dfs.http.policy", "HTTPS_ONLY")]);
    https = https.replace("</configuration>", "");
    let hdfs = std::fs::read_to_string(d.path().join("hdfs-site.xml"))
        .unwrap()
        .replace(
            "<configuration>",
            &format!(
                "<configuration>{}",
                &https[https.find("<property>").unwrap()..]
            ),
        );
    std::fs::write(d.path().join("hdfs-site.xml"), hdfs).unwrap();
    let c = load(d.path());
    assert_eq!(c.webhdfs_url().unwrap().as_str(), "https://nn1.corp:9871/");
}

#[test]
fn webhdfs_without_ha_falls_back_to_default_fs_host() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "core-site.xml",
        &site(&[
            ("fs.defaultFS", "hdfs://nn.corp:8020"),
            ("hadoop.security.authentication", "Kerberos"),
        ]),
    );
    let c = load(d.path());
    assert_eq!(c.webhdfs_url().unwrap().as_str(), "http://nn.corp:9870/");
    assert!(c.kerberos());
    write(
        d.path(),
        "core-site.xml",
        &site(&[("fs.defaultFS", "file:///")]),
    );
    let c = load(d.path());
    assert_eq!(c.webhdfs_url(), None);
    assert!(!c.kerberos());
}

#[test]
fn discovery_order_and_every_place_tried() {
    let d = tempfile::tempdir().unwrap();
    let yarn_dir = d.path().join("yarn-conf");
    write(
        &yarn_dir,
        "yarn-site.xml",
        &site(&[("yarn.resourcemanager.hostname", "y")]),
    );
    let empty = d.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = opts()
        .with_env("HADOOP_CONF_DIR", empty.to_string_lossy())
        .with_env("YARN_CONF_DIR", yarn_dir.to_string_lossy());
    let c = HadoopConf::discover_with(&o).unwrap();
    assert_eq!(c.conf_dir(), yarn_dir);
    let tried: Vec<_> = c.tried().iter().map(|t| (t.origin, t.outcome)).collect();
    assert_eq!(
        tried,
        [
            ("HADOOP_CONF_DIR", "no site files"),
            ("YARN_CONF_DIR", "used")
        ]
    );

    // HADOOP_HOME/etc/hadoop, then the default dirs (Cloudera's among them).
    let home = d.path().join("hadoop-3.3.6");
    write(
        &home.join("etc/hadoop"),
        "core-site.xml",
        &site(&[("fs.defaultFS", "hdfs://h")]),
    );
    let c =
        HadoopConf::discover_with(&opts().with_env("HADOOP_HOME", home.to_string_lossy())).unwrap();
    assert_eq!(c.conf_dir(), home.join("etc/hadoop"));
    let cloudera = d.path().join("etc/hadoop/conf.cloudera.yarn");
    write(&cloudera, "yarn-site.xml", &site(&[]));
    let o = opts().with_default_dirs(vec![d.path().join("etc/hadoop/conf"), cloudera.clone()]);
    assert_eq!(HadoopConf::discover_with(&o).unwrap().conf_dir(), cloudera);

    let o = opts()
        .with_env("HADOOP_CONF_DIR", "/nope/conf")
        .with_default_dirs(vec![PathBuf::from("/nope/etc/hadoop/conf")]);
    let e = HadoopConf::discover_with(&o).unwrap_err();
    assert_eq!(e.code(), "HADOOP_CONF_DIR_UNSET");
    let msg = e.to_string();
    for needle in [
        "/nope/conf (HADOOP_CONF_DIR): missing",
        "YARN_CONF_DIR: unset",
        "HADOOP_HOME: unset",
        "/nope/etc/hadoop/conf (default): missing",
    ] {
        assert!(msg.contains(needle), "{needle} not in {msg}");
    }
}

#[test]
fn malformed_site_file_fails_the_load_with_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "core-site.xml", &site(&[("a", "1")]));
    write(
        d.path(),
        "yarn-site.xml",
        "<configuration>\n<property>\n<name>x</name>\n<value>1</value>\n</propert>\n</configuration>\n",
    );
    let e = HadoopConf::load_with(d.path(), &opts()).unwrap_err();
    assert_eq!(e.code(), "HADOOP_XML_MALFORMED");
    assert!(e.to_string().contains("yarn-site.xml:5:"), "{e}");
    let core: Error = e.into();
    assert!(
        matches!(core, Error::InvalidInput { ref at, .. } if at.ends_with(":5:1")),
        "{core:?}"
    );
}

#[test]
fn site_file_bytes_are_checked_before_parsing() {
    // Latin-1 declared in the XML declaration is read as Hadoop reads it.
    let d = tempfile::tempdir().unwrap();
    let mut latin = b"<?xml version='1.0' encoding='ISO-8859-1'?>\n<configuration>\n<property><name>owner</name><value>Jos".to_vec();
    latin.push(0xe9); // é in ISO-8859-1
    latin.extend_from_slice(b"</value></property>\n</configuration>\n");
    std::fs::write(d.path().join("core-site.xml"), &latin).unwrap();
    assert_eq!(load(d.path()).get("owner"), Some("Jos\u{e9}"));

    // The same byte without that declaration: the file, line and column of the bad byte.
    let d = tempfile::tempdir().unwrap();
    let mut bad = b"<configuration>\n<property><name>owner</name>\n<value>Jos".to_vec();
    bad.push(0xe9);
    bad.extend_from_slice(b"</value></property>\n</configuration>\n");
    std::fs::write(d.path().join("yarn-site.xml"), &bad).unwrap();
    let e = HadoopConf::load_with(d.path(), &opts()).unwrap_err();
    assert_eq!(e.code(), "HADOOP_XML_MALFORMED", "{e}");
    let msg = e.to_string();
    assert!(msg.contains("yarn-site.xml:3:11"), "{msg}");
    assert!(msg.contains("0xe9") && msg.contains("UTF-8"), "{msg}");

    // A UTF-8 byte-order mark is not content.
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "core-site.xml",
        &format!("\u{feff}{}", site(&[("a", "1")])),
    );
    assert_eq!(load(d.path()).get("a"), Some("1"));

    // Over the size limit: refused without reading it all, naming the file.
    let d = tempfile::tempdir().unwrap();
    let f = std::fs::File::create(d.path().join("hdfs-site.xml")).unwrap();
    f.set_len(xml::MAX_SITE_FILE_BYTES + 1).unwrap();
    let e = HadoopConf::load_with(d.path(), &opts()).unwrap_err();
    assert_eq!(e.code(), "HADOOP_CONF_TOO_LARGE");
    assert!(e.to_string().contains("hdfs-site.xml"), "{e}");
    assert!(matches!(Error::from(e), Error::InvalidInput { .. }));
}

#[test]
fn several_clusters_side_by_side_and_debug_hides_values() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    write(
        &a,
        "yarn-site.xml",
        &site(&[("yarn.resourcemanager.hostname", "rm-a")]),
    );
    write(
        &b,
        "yarn-site.xml",
        &site(&[("yarn.resourcemanager.hostname", "rm-b")]),
    );
    write(
        &b,
        "core-site.xml",
        &site(&[("fs.s3a.secret.key", "SECRETVALUE")]),
    );
    let (ca, cb) = (load(&a), load(&b));
    assert_eq!(urls(&ca), ["http://rm-a:8088"]);
    assert_eq!(urls(&cb), ["http://rm-b:8088"]);
    assert!(!format!("{cb:?}").contains("SECRETVALUE"));
    assert!(matches!(
        HadoopConf::load_with(&d.path().join("none"), &opts()),
        Err(HadoopConfError::Empty { .. })
    ));
}
