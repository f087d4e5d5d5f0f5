use std::path::{Path, PathBuf};

use super::*;
use crate::testkit::FakeFlinkHome;

fn opts() -> DetectOptions {
    DetectOptions::default().with_vendor_conf_dirs(vec![])
}

#[test]
fn apache_1x_layout() {
    let dir = tempfile::tempdir().unwrap();
    let home = FakeFlinkHome::new(dir.path().join("flink-1.17.2"))
        .with_dist("flink-dist_2.12-1.17.2.jar")
        .with_lib_file("flink-table-runtime-1.17.2.jar", 1234)
        .with_plugin_file("metrics-jmx/flink-metrics-jmx-1.17.2.jar", 77)
        .with_conf_file("flink-conf.yaml", "rest.port: 8081\n")
        .write()
        .unwrap();
    let h = FlinkHome::detect_with(&home, &opts()).unwrap();
    assert_eq!(h.version().to_string(), "1.17.2");
    assert_eq!(h.version().vendor(), None);
    assert_eq!(h.version_source(), VersionSource::FileName);
    assert_eq!(h.scala_version(), Some("2.12"));
    assert_eq!(h.conf_dir(), home.join("conf"));
    assert_eq!(
        h.config_file(),
        Some(home.join("conf/flink-conf.yaml").as_path())
    );
    assert_eq!(h.flink_bin(), home.join("bin/flink"));
    assert_eq!(h.dist_jar().relative, "flink-dist_2.12-1.17.2.jar");
    let rt = h
        .lib()
        .iter()
        .find(|f| f.relative == "flink-table-runtime-1.17.2.jar")
        .unwrap();
    assert_eq!(rt.size, 1234);
    assert_eq!(h.lib().len(), 2);
    assert_eq!(h.plugins().len(), 1);
    assert_eq!(
        h.plugins()[0].relative,
        "metrics-jmx/flink-metrics-jmx-1.17.2.jar"
    );
    assert_eq!(h.plugins()[0].size, 77);
    assert_eq!(h.read_config().unwrap()["rest.port"], "8081");
    assert!(!h.is_stale());
}

#[test]
fn flink_2x_layout_prefers_config_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let home = FakeFlinkHome::new(dir.path().join("flink-2.3.0"))
        .with_dist("flink-dist-2.3.0.jar")
        .with_conf_file("config.yaml", "rest:\n  port: 18081\n")
        .with_conf_file("flink-conf.yaml", "rest.port: 1\n")
        .write()
        .unwrap();
    let h = FlinkHome::detect_with(&home, &opts()).unwrap();
    assert_eq!(h.version().to_string(), "2.3.0");
    assert_eq!(
        h.scala_version(),
        None,
        "scala-free dist and no flink-scala jar"
    );
    assert_eq!(
        h.config_file(),
        Some(home.join("conf/config.yaml").as_path())
    );
    assert_eq!(h.read_config().unwrap()["rest.port"], "18081");
}

#[test]
fn scala_free_dist_takes_scala_from_flink_scala_jar() {
    let dir = tempfile::tempdir().unwrap();
    let home = FakeFlinkHome::new(dir.path().join("f"))
        .with_dist("flink-dist-1.18.1.jar")
        .with_lib_file("flink-scala_2.12-1.18.1.jar", 3)
        .with_conf_file("flink-conf.yaml", "")
        .write()
        .unwrap();
    let h = FlinkHome::detect_with(&home, &opts()).unwrap();
    assert_eq!(h.scala_version(), Some("2.12"));
}

fn cloudera(root: &Path, dist: &str, manifest: Option<&str>) -> PathBuf {
    let parcel = root.join("opt/cloudera/parcels/FLINK-1.14.0-csa1.6.0.0");
    let mut fake = FakeFlinkHome::new(parcel.join("lib/flink")).with_dist(dist);
    if let Some(m) = manifest {
        fake = fake.with_manifest_version(m);
    }
    fake.write().unwrap()
}

#[test]
fn cloudera_parcel_with_vendor_name_and_etc_conf() {
    let dir = tempfile::tempdir().unwrap();
    let home = cloudera(dir.path(), "flink-dist_2.12-1.14.0-csa1.6.0.0.jar", None);
    let etc = dir.path().join("etc/flink/conf");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(
        etc.join("flink-conf.yaml"),
        "jobmanager.memory.process.size: 1g\n",
    )
    .unwrap();
    let h =
        FlinkHome::detect_with(&home, &opts().with_vendor_conf_dirs(vec![etc.clone()])).unwrap();
    assert_eq!(h.version().base().to_string(), "1.14.0");
    assert_eq!(h.version().vendor(), Some("csa1.6.0.0"));
    assert_eq!(h.scala_version(), Some("2.12"));
    assert_eq!(h.conf_dir(), etc);
    let tried: Vec<_> = h
        .conf_tried()
        .iter()
        .map(|c| (c.origin, c.outcome))
        .collect();
    assert_eq!(tried[0], ("<home>/conf", "missing"));
    assert_eq!(tried[1], ("vendor", "flink-conf.yaml"));
}

#[test]
fn cloudera_manifest_only_version_and_parcel_conf_dist() {
    let dir = tempfile::tempdir().unwrap();
    let home = cloudera(dir.path(), "flink-dist.jar", Some("1.14.0-csa1.6.0.0"));
    let dist = dir
        .path()
        .join("opt/cloudera/parcels/FLINK-1.14.0-csa1.6.0.0/etc/flink/conf.dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("flink-conf.yaml"), "a: b\n").unwrap();
    let missing_etc = dir.path().join("etc/flink/conf");
    let h =
        FlinkHome::detect_with(&home, &opts().with_vendor_conf_dirs(vec![missing_etc])).unwrap();
    assert_eq!(h.version().to_string(), "1.14.0-csa1.6.0.0");
    assert_eq!(h.version_source(), VersionSource::Manifest);
    assert_eq!(h.conf_dir(), dist);
    assert_eq!(h.conf_tried().last().unwrap().origin, "parcel");
}

#[test]
fn version_properties_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let home = FakeFlinkHome::new(dir.path().join("f"))
        .with_dist("flink-dist.jar")
        .with_version_properties("# x\nproject.version=1.20.1\nscala.binary.version=2.12\n")
        .with_conf_file("config.yaml", "")
        .write()
        .unwrap();
    let h = FlinkHome::detect_with(&home, &opts()).unwrap();
    assert_eq!(h.version().to_string(), "1.20.1");
    assert_eq!(h.version_source(), VersionSource::VersionProperties);
    assert_eq!(h.scala_version(), Some("2.12"));
}

#[test]
fn flink_conf_dir_env_wins_over_home_conf() {
    let dir = tempfile::tempdir().unwrap();
    let home = FakeFlinkHome::new(dir.path().join("f"))
        .with_conf_file("config.yaml", "")
        .write()
        .unwrap();
    let other = dir.path().join("other-conf");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("config.yaml"), "x: 1\n").unwrap();
    let o = opts().with_env("FLINK_CONF_DIR", other.to_string_lossy());
    let h = FlinkHome::detect_with(&home, &o).unwrap();
    assert_eq!(h.conf_dir(), other);
    // A FLINK_CONF_DIR that does not exist falls through to <home>/conf and is recorded.
    let o = opts().with_env("FLINK_CONF_DIR", "/nonexistent/conf");
    let h = FlinkHome::detect_with(&home, &o).unwrap();
    assert_eq!(h.conf_dir(), home.join("conf"));
    assert_eq!(h.conf_tried()[0].origin, "FLINK_CONF_DIR");
    assert_eq!(h.conf_tried()[0].outcome, "missing");
}

#[test]
fn no_conf_dir_lists_every_place_tried() {
    let dir = tempfile::tempdir().unwrap();
    let home = cloudera(dir.path(), "flink-dist_2.12-1.14.0-csa1.6.0.0.jar", None);
    let o = opts()
        .with_env("FLINK_CONF_DIR", "/nope/a")
        .with_vendor_conf_dirs(vec![PathBuf::from("/nope/etc/flink/conf")]);
    let e = FlinkHome::detect_with(&home, &o).unwrap_err();
    assert_eq!(e.code(), "FLINK_CONF_DIR_MISSING");
    let msg = e.to_string();
    for needle in [
        "/nope/a (FLINK_CONF_DIR)",
        "lib/flink/conf (<home>/conf)",
        "/nope/etc/flink/conf (vendor)",
        "conf.dist (parcel)",
    ] {
        assert!(msg.contains(needle), "{needle} missing from {msg}");
    }
    let core: crate::Error = e.into();
    assert!(matches!(core, crate::Error::InvalidConfig { ref key, .. } if key == "FLINK_CONF_DIR"));
}

#[test]
fn unreadable_versions_say_what_was_tried() {
    let dir = tempfile::tempdir().unwrap();
    let home = FakeFlinkHome::new(dir.path().join("f"))
        .with_dist("flink-dist-custom.jar")
        .with_conf_file("config.yaml", "")
        .write()
        .unwrap();
    let e = FlinkHome::detect_with(&home, &opts()).unwrap_err();
    assert_eq!(e.code(), "FLINK_VERSION_UNPARSED");
    let msg = e.to_string();
    assert!(
        msg.contains("file name version `custom` does not parse"),
        "{msg}"
    );
    assert!(msg.contains("no Implementation-Version"), "{msg}");
    assert!(
        msg.contains(".flink-runtime.version.properties: not in the jar"),
        "{msg}"
    );

    // Not a zip at all.
    std::fs::write(home.join("lib/flink-dist-custom.jar"), b"not a zip").unwrap();
    let e = FlinkHome::detect_with(&home, &opts()).unwrap_err();
    assert!(e.to_string().contains("not a readable zip archive"), "{e}");
}

#[test]
fn missing_and_ambiguous_dist() {
    let dir = tempfile::tempdir().unwrap();
    let e = FlinkHome::detect_with(dir.path().join("absent"), &opts()).unwrap_err();
    assert_eq!(e.code(), "FLINK_HOME_MISSING");
    std::fs::create_dir_all(dir.path().join("h/lib")).unwrap();
    let e = FlinkHome::detect_with(dir.path().join("h"), &opts()).unwrap_err();
    assert_eq!(e.code(), "FLINK_DIST_MISSING");
    let home = FakeFlinkHome::new(dir.path().join("h2"))
        .with_lib_file("flink-dist-1.17.2.jar", 1)
        .write()
        .unwrap();
    let e = FlinkHome::detect_with(&home, &opts()).unwrap_err();
    assert_eq!(e.code(), "FLINK_DIST_AMBIGUOUS");
    assert!(e.to_string().contains("flink-dist-1.17.2.jar"), "{e}");
}

fn home_at(dir: &Path, name: &str, dist: &str) -> FlinkHome {
    let home = FakeFlinkHome::new(dir.join(name))
        .with_dist(dist)
        .with_conf_file("config.yaml", "")
        .write()
        .unwrap();
    FlinkHome::detect_with(&home, &opts()).unwrap()
}

#[test]
fn envs_select_highest_match_and_default() {
    let dir = tempfile::tempdir().unwrap();
    let mut envs = FlinkEnvs::new();
    envs.insert(home_at(dir.path(), "a", "flink-dist-1.17.2.jar"));
    envs.insert(home_at(dir.path(), "b", "flink-dist-1.20.1.jar"));
    envs.insert(home_at(dir.path(), "c", "flink-dist-2.3.0.jar"));
    envs.insert(home_at(
        dir.path(),
        "d",
        "flink-dist_2.12-1.14.0-csa1.6.0.0.jar",
    ));
    let pick = |r: &str| {
        envs.select(&r.parse().unwrap())
            .map(|h| h.version().to_string())
    };
    assert_eq!(pick("<2").unwrap(), "1.20.1");
    assert_eq!(pick("1.14").unwrap(), "1.14.0-csa1.6.0.0");
    assert_eq!(pick("2.x").unwrap(), "2.3.0");
    assert_eq!(
        pick("*").unwrap(),
        "1.17.2",
        "first inserted is the default"
    );
    let e = pick("1.19").unwrap_err();
    assert!(e.is_not_found());
    assert!(
        e.to_string().contains("2.3.0"),
        "lists what is available: {e}"
    );
    envs.set_default(dir.path().join("c")).unwrap();
    assert_eq!(envs.default_home().unwrap().version().to_string(), "2.3.0");
    assert!(envs.set_default(dir.path().join("zzz")).is_err());
    assert!(envs.remove(dir.path().join("c")).is_some());
    assert_eq!(envs.default_home().unwrap().version().to_string(), "1.17.2");
}

#[test]
fn envs_refresh_redetects_changed_homes() {
    let dir = tempfile::tempdir().unwrap();
    let mut envs = FlinkEnvs::new();
    envs.insert(home_at(dir.path(), "a", "flink-dist-1.17.2.jar"));
    envs.insert(home_at(dir.path(), "b", "flink-dist-2.2.0.jar"));
    let r = envs.refresh();
    assert!(
        r.iter().all(|(_, x)| matches!(x, Refresh::Unchanged)),
        "{r:?}"
    );
    // Upgrade b in place.
    let lib = dir.path().join("b/lib");
    std::fs::remove_file(lib.join("flink-dist-2.2.0.jar")).unwrap();
    crate::testkit::write_jar(
        &lib.join("flink-dist-2.3.0.jar"),
        &[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n\r\n")],
    )
    .unwrap();
    // Break a: no dist jar any more.
    std::fs::remove_file(dir.path().join("a/lib/flink-dist-1.17.2.jar")).unwrap();
    let r = envs.refresh();
    assert!(
        matches!(&r[0].1, Refresh::Failed(e) if e.code() == "FLINK_DIST_MISSING"),
        "{r:?}"
    );
    assert!(
        matches!(&r[1].1, Refresh::Redetected { before, after } if before.to_string() == "2.2.0" && after.to_string() == "2.3.0"),
        "{r:?}"
    );
    assert_eq!(
        envs.homes()[0].version().to_string(),
        "1.17.2",
        "failed refresh keeps the old detection"
    );
    assert_eq!(
        envs.select(&"2".parse().unwrap())
            .unwrap()
            .version()
            .to_string(),
        "2.3.0"
    );
}
