//! `<xi:include>` in Hadoop site files, on temporary directories.

use std::path::Path;

use super::*;

const XI: &str = "xmlns:xi=\"http://www.w3.org/2001/XInclude\"";

fn write(dir: &Path, file: &str, text: &str) {
    let path = dir.join(file);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn props(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("  <property><name>{k}</name><value>{v}</value></property>\n"))
        .collect()
}

fn conf(body: &str) -> String {
    format!("<?xml version=\"1.0\"?>\n<configuration {XI}>\n{body}</configuration>\n")
}

fn load(dir: &Path) -> Result<HadoopConf, HadoopConfError> {
    HadoopConf::load_with(dir, &HadoopConfOptions::default().with_default_dirs(vec![]))
}

#[test]
fn relative_includes_resolve_against_the_including_file_and_nest() {
    let d = tempfile::tempdir().unwrap();
    let abs = d.path().join("elsewhere/abs.xml");
    write(
        d.path(),
        "core-site.xml",
        &conf(&format!(
            "{}  <xi:include href=\"parts/rm.xml\"/>\n  <xi:include href=\"{}\"/>\n{}",
            props(&[("fs.defaultFS", "hdfs://nn:8020"), ("a", "site")]),
            abs.display(),
            props(&[("b", "site")]),
        )),
    );
    // parts/rm.xml includes nested/more.xml: relative to parts/, not to the site directory.
    write(
        d.path(),
        "parts/rm.xml",
        &conf(&format!(
            "{}  <xi:include href=\"nested/more.xml\"></xi:include>\n",
            props(&[
                ("yarn.resourcemanager.webapp.address", "rm1:8088"),
                ("a", "part"),
                ("b", "part")
            ]),
        )),
    );
    write(
        d.path(),
        "parts/nested/more.xml",
        &conf(&props(&[("c", "nested")])),
    );
    write(
        d.path(),
        "elsewhere/abs.xml",
        &conf(&props(&[("e", "absolute")])),
    );
    let c = load(d.path()).unwrap();
    assert_eq!(
        c.get("yarn.resourcemanager.webapp.address"),
        Some("rm1:8088")
    );
    assert_eq!(c.get("c"), Some("nested"));
    assert_eq!(c.get("e"), Some("absolute"));
    // The include takes its place in document order: after `a`, before `b`.
    assert_eq!(c.get("a"), Some("part"));
    assert_eq!(c.get("b"), Some("site"));
    assert_eq!(
        c.source_of("c"),
        Some(d.path().join("parts/nested/more.xml").as_path())
    );
    assert_eq!(
        c.source_of("b"),
        Some(d.path().join("core-site.xml").as_path())
    );
    assert_eq!(c.resource_manager_urls().len(), 1);
}

#[test]
fn fallback_stands_in_only_for_an_unreadable_file() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "yarn-site.xml",
        &conf(&format!(
            "  <xi:include href=\"missing.xml\">\n    <xi:fallback>\n{}    </xi:fallback>\n  </xi:include>\n  <xi:include href=\"gone.xml\"><xi:fallback/></xi:include>\n  <xi:include href=\"present.xml\">\n    <xi:fallback>\n{}    </xi:fallback>\n  </xi:include>\n",
            props(&[("from.fallback", "yes")]),
            props(&[("present.fallback", "must not apply")]),
        )),
    );
    write(d.path(), "present.xml", &conf(&props(&[("present", "1")])));
    let c = load(d.path()).unwrap();
    assert_eq!(c.get("from.fallback"), Some("yes"));
    assert_eq!(c.get("present"), Some("1"));
    assert_eq!(c.get("present.fallback"), None);
}

#[test]
fn a_missing_file_without_fallback_fails_with_file_and_line() {
    for body in [
        "  <property><name>x</name><value>1</value></property>\n  <xi:include href=\"nope.xml\"/>\n",
        "  <property><name>x</name><value>1</value></property>\n  <xi:include href=\"nope.xml\">\n  </xi:include>\n",
    ] {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "core-site.xml", &conf(body));
        let e = load(d.path()).unwrap_err();
        let HadoopConfError::Include {
            file,
            line,
            href,
            source,
            ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(file, &d.path().join("core-site.xml"));
        assert_eq!(*line, 4, "{e}");
        assert_eq!(href, "nope.xml");
        assert_eq!(
            source.as_ref().map(std::io::Error::kind),
            Some(std::io::ErrorKind::NotFound)
        );
        assert_eq!(e.code(), "HADOOP_XML_INCLUDE");
        assert!(e.to_string().contains("core-site.xml:4"), "{e}");
        assert!(e.to_string().contains("no <xi:fallback>"), "{e}");
        let core: streampark_core::Error = e.into();
        assert!(core.to_string().contains("core-site.xml:4"), "{core}");
    }
}

#[test]
fn cycles_are_refused_with_the_chain() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "core-site.xml",
        &conf("  <xi:include href=\"a.xml\"/>\n"),
    );
    write(
        d.path(),
        "a.xml",
        &conf("  <xi:include href=\"sub/b.xml\"/>\n"),
    );
    write(
        d.path(),
        "sub/b.xml",
        &conf("\n  <xi:include href=\"../a.xml\"/>\n"),
    );
    let e = load(d.path()).unwrap_err();
    let HadoopConfError::Include {
        file, line, reason, ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(file, &d.path().join("sub/b.xml"));
    assert_eq!(*line, 4);
    assert!(reason.starts_with("include cycle:"), "{reason}");
    assert_eq!(reason.matches("a.xml").count(), 2, "{reason}");

    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "core-site.xml",
        &conf("  <xi:include href=\"core-site.xml\"/>\n"),
    );
    assert!(matches!(
        load(d.path()),
        Err(HadoopConfError::Include { .. })
    ));
}

/// A conf dir whose core-site.xml starts a chain of `n` included files, the last setting `deep`.
fn include_chain(n: usize) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "core-site.xml",
        &conf("  <xi:include href=\"f1.xml\"/>\n"),
    );
    for i in 1..n {
        write(
            d.path(),
            &format!("f{i}.xml"),
            &conf(&format!("  <xi:include href=\"f{}.xml\"/>\n", i + 1)),
        );
    }
    write(
        d.path(),
        &format!("f{n}.xml"),
        &conf(&props(&[("deep", "1")])),
    );
    d
}

#[test]
fn nesting_deeper_than_the_limit_is_refused() {
    let d = include_chain(xml::MAX_INCLUDE_DEPTH + 2);
    let e = load(d.path()).unwrap_err();
    assert!(
        e.to_string().contains(&format!(
            "more than {} nested includes",
            xml::MAX_INCLUDE_DEPTH
        )),
        "{e}"
    );

    // Exactly at the limit it loads.
    let d = include_chain(xml::MAX_INCLUDE_DEPTH);
    assert_eq!(load(d.path()).unwrap().get("deep"), Some("1"));
}

#[test]
fn a_malformed_included_file_is_named_with_its_own_line() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "hdfs-site.xml",
        &conf("  <xi:include href=\"bad.xml\"/>\n"),
    );
    write(
        d.path(),
        "bad.xml",
        "<configuration>\n  <property>\n    <name>a</nme>\n  </property>\n</configuration>\n",
    );
    let e = load(d.path()).unwrap_err();
    let HadoopConfError::Xml { file, line, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(file, &d.path().join("bad.xml"));
    assert_eq!(*line, 3);

    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "core-site.xml",
        &conf("  <xi:include href=\"http://example/x.xml\"/>\n"),
    );
    let e = load(d.path()).unwrap_err();
    assert!(e.to_string().contains("only local files"), "{e}");
}

#[test]
fn a_final_value_from_an_included_file_holds() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "core-site.xml",
        &conf("  <xi:include href=\"locked.xml\"/>\n"),
    );
    write(
        d.path(),
        "locked.xml",
        &conf("  <property><name>k</name><value>locked</value><final>true</final></property>\n"),
    );
    write(d.path(), "yarn-site.xml", &conf(&props(&[("k", "later")])));
    let c = load(d.path()).unwrap();
    assert_eq!(c.get("k"), Some("locked"));
    assert!(c.is_final("k"));
    assert_eq!(
        c.source_of("k"),
        Some(d.path().join("locked.xml").as_path())
    );
    assert_eq!(
        c.final_overrides(),
        [("k".to_string(), d.path().join("yarn-site.xml"))]
    );
}
