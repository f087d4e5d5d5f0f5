//! Flink configuration keys by release and `flink-conf.yaml` <-> `config.yaml` conversion,
//! checked against what Flink itself reads (see `tests/data/flink-conf/README.md`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use streampark_core::FlinkVersion;
use streampark_core::flink_home::keys::{self, ConvertOptions, FlinkConfError, KeyChange};

fn data(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/flink-conf")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A flat map as Flink printed it.
fn flink_flat(name: &str) -> BTreeMap<String, String> {
    data(name)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, v)| (k.to_string(), unescape(v)))
        .collect()
}

fn v(s: &str) -> FlinkVersion {
    s.parse().unwrap()
}

const LEGACY: &[&str] = &[
    "flink-conf-1.14.6",
    "flink-conf-1.17.2",
    "tricky-flink-conf",
];

#[test]
fn legacy_files_read_as_flink_reads_them() {
    for name in LEGACY {
        let ours = keys::read_flat(&data(&format!("{name}.yaml")), "flink-conf.yaml").unwrap();
        assert_eq!(
            ours,
            flink_flat(&format!("{name}.flink-1.20.5.tsv")),
            "{name}"
        );
    }
}

#[test]
fn legacy_to_config_yaml_keeps_every_setting() {
    for name in LEGACY {
        let yaml = keys::convert_flink_conf_to_config_yaml(&data(&format!("{name}.yaml"))).unwrap();
        let back = keys::read_flat(&yaml, "config.yaml").unwrap();
        assert_eq!(
            back,
            flink_flat(&format!("{name}.flink-1.20.5.tsv")),
            "{name}:\n{yaml}"
        );
        // And back to the legacy format: the same settings again.
        let legacy = keys::convert_config_yaml_to_flink_conf(&yaml).unwrap();
        let again = keys::read_flat(&legacy, "flink-conf.yaml").unwrap();
        assert_eq!(again, back, "{name}:\n{legacy}");
    }
}

#[test]
fn config_yaml_to_legacy_keeps_every_setting() {
    let text = data("config-2.3.0.yaml");
    let flink = flink_flat("config-2.3.0.flink-2.3.0.tsv");
    assert_eq!(keys::read_flat(&text, "config.yaml").unwrap(), flink);
    let legacy = keys::convert_config_yaml_to_flink_conf(&text).unwrap();
    assert_eq!(
        keys::read_flat(&legacy, "flink-conf.yaml").unwrap(),
        flink,
        "{legacy}"
    );
    // The licence header and the commented examples survive.
    assert!(legacy.starts_with("####"), "{legacy}");
    assert!(legacy.contains("#  Licensed to the Apache Software Foundation"));
    let yaml = keys::convert_flink_conf_to_config_yaml(&legacy).unwrap();
    assert_eq!(
        keys::read_flat(&yaml, "config.yaml").unwrap(),
        flink,
        "{yaml}"
    );
}

#[test]
fn comments_and_order_are_kept() {
    let text = data("flink-conf-1.14.6.yaml");
    let yaml = keys::convert_flink_conf_to_config_yaml(&text).unwrap();
    let comments = |s: &str| {
        s.lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
    };
    assert_eq!(comments(&yaml), comments(&text));
    // First-seen order: jobmanager before taskmanager, as in the shipped file.
    let jm = yaml
        .find("\njobmanager:")
        .or(yaml.find("jobmanager:"))
        .unwrap();
    let tm = yaml.find("\ntaskmanager:").unwrap();
    assert!(jm < tm);
    // Stable: converting twice gives the same text.
    assert_eq!(
        yaml,
        keys::convert_flink_conf_to_config_yaml(&text).unwrap()
    );
}

/// Flink 1.20's own migration tool drops `restart-strategy.fixed-delay.attempts` when
/// `restart-strategy` is set too; Flink reads both keys from a `config.yaml` that writes the
/// deeper one as a flat dotted key.
#[test]
fn a_key_that_is_also_a_prefix_stays_flat() {
    let yaml = keys::convert_flink_conf_to_config_yaml(
        "restart-strategy: fixed-delay\nrestart-strategy.fixed-delay.attempts: 3\n",
    )
    .unwrap();
    assert!(
        yaml.contains("restart-strategy.fixed-delay.attempts: 3"),
        "{yaml}"
    );
    let m = keys::read_flat(&yaml, "config.yaml").unwrap();
    assert_eq!(m["restart-strategy"], "fixed-delay");
    assert_eq!(m["restart-strategy.fixed-delay.attempts"], "3");
    // Either order.
    let yaml = keys::convert_flink_conf_to_config_yaml("a.b.c: 2\na.b: 1\n").unwrap();
    let m = keys::read_flat(&yaml, "config.yaml").unwrap();
    assert_eq!(
        (m["a.b"].as_str(), m["a.b.c"].as_str()),
        ("1", "2"),
        "{yaml}"
    );
}

#[test]
fn every_deprecated_key_of_flink_2_3_is_flagged_with_its_new_key() {
    let (from, to) = (v("1.14"), v("2.3"));
    let mut by_old: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in data("deprecated-keys-2.3.0.tsv").lines() {
        let (old, new) = line.split_once('\t').unwrap();
        by_old.entry(old.into()).or_default().push(new.into());
    }
    assert!(by_old.len() > 150);
    for (old, news) in &by_old {
        let f = keys::check_key(old, &from, &to).unwrap_or_else(|| panic!("no finding for {old}"));
        assert_eq!(f.change, KeyChange::Deprecated, "{old}: 2.3 still reads it");
        assert!(!f.is_ignored_by_target());
        let r = f
            .replacement
            .as_deref()
            .unwrap_or_else(|| panic!("{old}: no replacement"));
        assert!(news.iter().any(|n| n == r), "{old}: {r} not in {news:?}");
        assert_eq!(f.code(), "FLINK_KEY_DEPRECATED");
    }
}

#[test]
fn keys_removed_by_the_2_0_release_notes_are_flagged() {
    let (from, to) = (v("1.20"), v("2.0"));
    let deprecated: Vec<String> = data("deprecated-keys-2.3.0.tsv")
        .lines()
        .filter_map(|l| l.split_once('\t').map(|(o, _)| o.to_string()))
        .collect();
    let mut checked = 0;
    for key in data("removed-in-2.0-release-notes.txt").split_whitespace() {
        let Some(f) = keys::check_key(key, &from, &to) else {
            // Listed, yet the option still exists with that key in 2.3 (state.backend.type), or it
            // belongs to a jar outside the checked ones (sql-client, ForSt, connectors).
            continue;
        };
        checked += 1;
        if deprecated.iter().any(|d| d == key) {
            assert_eq!(
                f.change,
                KeyChange::Deprecated,
                "{key}: Flink 2.3 still reads it"
            );
        } else {
            assert!(f.is_ignored_by_target(), "{key}: {f}");
            assert_eq!(f.since, "2.0", "{key}");
        }
    }
    assert!(checked > 90, "{checked}");
}

#[test]
fn typical_keys_and_their_fate() {
    let (v114, v117, v23) = (v("1.14.6"), v("1.17"), v("2.3"));
    let want = [
        (
            "state.backend",
            KeyChange::Deprecated,
            Some("state.backend.type"),
        ),
        (
            "state.checkpoints.dir",
            KeyChange::Deprecated,
            Some("execution.checkpointing.dir"),
        ),
        (
            "state.savepoints.dir",
            KeyChange::Deprecated,
            Some("execution.checkpointing.savepoint-dir"),
        ),
        (
            "restart-strategy",
            KeyChange::Deprecated,
            Some("restart-strategy.type"),
        ),
        (
            "high-availability",
            KeyChange::Deprecated,
            Some("high-availability.type"),
        ),
        (
            "env.java.opts",
            KeyChange::Deprecated,
            Some("env.java.opts.all"),
        ),
        (
            "security.keytab",
            KeyChange::Deprecated,
            Some("security.kerberos.login.keytab"),
        ),
        (
            "jobmanager.heap.size",
            KeyChange::Renamed,
            Some("jobmanager.memory.heap.size"),
        ),
        (
            "taskmanager.heap.size",
            KeyChange::Renamed,
            Some("taskmanager.memory.flink.size"),
        ),
        ("web.ssl.enabled", KeyChange::Removed, None),
        ("state.backend.async", KeyChange::Removed, None),
    ];
    for (key, change, repl) in want {
        let f = keys::check_key(key, &v114, &v23).unwrap();
        assert_eq!(
            (f.change, f.replacement.as_deref()),
            (change, repl),
            "{key}"
        );
    }
    // Not deprecated yet in 1.17: no finding.
    assert!(keys::check_key("state.checkpoints.dir", &v114, &v117).is_none());
    assert!(keys::check_key("parallelism.default", &v114, &v23).is_none());
    // Each key once, in input order.
    let f = keys::check(
        ["web.ssl.enabled", "state.backend", "web.ssl.enabled"],
        &v114,
        &v23,
    );
    assert_eq!(
        f.iter().map(|f| f.key.as_str()).collect::<Vec<_>>(),
        ["web.ssl.enabled", "state.backend"]
    );
}

#[test]
fn rewriting_keys_for_2_3_and_back_for_1_14() {
    let legacy = "state.backend: rocksdb\nstate.checkpoints.dir: hdfs:///ckpt\nrestart-strategy: fixed-delay\nrestart-strategy.fixed-delay.attempts: 3\nenv.java.opts: -Xss2m\nweb.ssl.enabled: false\n";
    let yaml = keys::convert_flink_conf_to_config_yaml_with(
        legacy,
        &ConvertOptions::new().rewrite_keys_for(v("2.3")),
    )
    .unwrap();
    let m = keys::read_flat(&yaml, "config.yaml").unwrap();
    assert_eq!(m["state.backend.type"], "rocksdb");
    assert_eq!(m["execution.checkpointing.dir"], "hdfs:///ckpt");
    assert_eq!(m["restart-strategy.type"], "fixed-delay");
    assert_eq!(m["env.java.opts.all"], "-Xss2m");
    assert!(!m.contains_key("state.backend"));
    assert!(yaml.contains("# renamed from `state.backend`"), "{yaml}");
    // Removed keys are not renamed (nothing to rename to).
    assert_eq!(m["web.ssl.enabled"], "false");
    // No renamed key is left that 2.3 flags.
    let left = keys::check(m.keys().map(String::as_str), &v("1.14"), &v("2.3"));
    assert!(left.iter().all(|f| f.key == "web.ssl.enabled"), "{left:?}");
    // Back for 1.14: the old names again.
    let old = keys::convert_config_yaml_to_flink_conf_with(
        &yaml,
        &ConvertOptions::new().rewrite_keys_for(v("1.14")),
    )
    .unwrap();
    let m = keys::read_flat(&old, "flink-conf.yaml").unwrap();
    assert_eq!(m["state.checkpoints.dir"], "hdfs:///ckpt", "{old}");
    assert_eq!(m["env.java.opts"], "-Xss2m");
    // An old key whose new key is set too is dropped: Flink prefers the new key.
    let y = keys::convert_flink_conf_to_config_yaml_with(
        "state.backend: hashmap\nstate.backend.type: rocksdb\n",
        &ConvertOptions::new().rewrite_keys_for(v("2.3")),
    )
    .unwrap();
    let m = keys::read_flat(&y, "config.yaml").unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m["state.backend.type"], "rocksdb");
}

#[test]
fn malformed_input_names_the_line_and_never_the_secret() {
    let text = "# ok\nrest.port: 8081\nsecurity.ssl.keystore-password=hunter2\n";
    let e = keys::convert_flink_conf_to_config_yaml(text).unwrap_err();
    assert!(
        matches!(e, FlinkConfError::Malformed { line: 3, .. }),
        "{e:?}"
    );
    assert_eq!(e.code(), "FLINK_CONF_MALFORMED");
    for shown in [e.to_string(), format!("{e:?}")] {
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains('3'), "{shown}");
    }
    // Lenient: the line becomes a comment, without its content.
    let y =
        keys::convert_flink_conf_to_config_yaml_with(text, &ConvertOptions::new().lenient(true))
            .unwrap();
    assert!(!y.contains("hunter2") && y.contains("line 3"), "{y}");
    assert!(matches!(
        keys::convert_flink_conf_to_config_yaml("a:b\n").unwrap_err(),
        FlinkConfError::Malformed { line: 1, .. }
    ));
    assert!(matches!(
        keys::convert_flink_conf_to_config_yaml("ok: 1\n: value\n").unwrap_err(),
        FlinkConfError::Malformed { line: 2, .. }
    ));
    // YAML errors: line and column, no content.
    let e = keys::convert_config_yaml_to_flink_conf(
        "a: 1\nsecurity.kerberos.login.keytab: [\"s3cr3t\"\n",
    )
    .unwrap_err();
    assert!(
        matches!(e, FlinkConfError::Yaml { line, .. } if line >= 2),
        "{e:?}"
    );
    assert!(!format!("{e} {e:?}").contains("s3cr3t"));
    assert_eq!(
        keys::convert_config_yaml_to_flink_conf("just text\n").unwrap_err(),
        FlinkConfError::NotAMapping
    );
    // A value the line format cannot hold: named by key, value hidden.
    let e = keys::convert_config_yaml_to_flink_conf("security.ssl.key-password: 'pa#ss'\n")
        .unwrap_err();
    assert!(matches!(e, FlinkConfError::Unrepresentable { .. }), "{e:?}");
    assert!(!format!("{e} {e:?}").contains("pa#ss"));
    let big = "a: b\n".repeat(keys::MAX_CONF_BYTES / 5 + 1);
    assert!(matches!(
        keys::convert_flink_conf_to_config_yaml(&big).unwrap_err(),
        FlinkConfError::TooLarge { .. }
    ));
}

/// Odd input, seeded: never a panic, and whatever converts keeps its settings.
#[test]
fn fuzzed_input_never_panics() {
    let seeds = [
        data("flink-conf-1.14.6.yaml"),
        data("tricky-flink-conf.yaml"),
        data("config-2.3.0.yaml"),
    ];
    let alphabet: Vec<char> = ":#- \n\t'\"[]{},.&*!|>%@`?~;=\\xé\u{feff}\u{2028}0a"
        .chars()
        .collect();
    let mut state: u64 = 0x5eed_f11e;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let opts = ConvertOptions::new()
        .rewrite_keys_for(v("2.3"))
        .lenient(true);
    for round in 0..600 {
        let mut s: Vec<char> = seeds[round % seeds.len()].chars().collect();
        for _ in 0..(1 + next() % 8) {
            let at = (next() as usize) % (s.len() + 1);
            match next() % 3 {
                0 => s.insert(at, alphabet[(next() as usize) % alphabet.len()]),
                1 if at < s.len() => {
                    s.remove(at);
                }
                _ => s.truncate(at.max(1)),
            }
        }
        let text: String = s.into_iter().collect();
        if let Ok(y) = keys::convert_flink_conf_to_config_yaml_with(&text, &opts) {
            // The converted text must itself be valid input.
            if let Err(e) = keys::read_flat(&y, "config.yaml") {
                panic!("{e}\n--- input:\n{text}\n--- output:\n{y}");
            }
        }
        if let Ok(l) = keys::convert_config_yaml_to_flink_conf_with(&text, &opts) {
            let _ = keys::convert_flink_conf_to_config_yaml(&l);
        }
        let _ = keys::read_flat(&text, "flink-conf.yaml");
    }
    // Legacy text converts losslessly whenever it converts.
    for round in 0..300 {
        let mut s: Vec<char> = seeds[round % 2].chars().collect();
        let at = (next() as usize) % s.len();
        s.insert(at, alphabet[(next() as usize) % alphabet.len()]);
        let text: String = s.into_iter().collect();
        if let Ok(y) = keys::convert_flink_conf_to_config_yaml(&text) {
            let want = keys::read_flat(&text, "flink-conf.yaml").unwrap();
            assert_eq!(
                keys::read_flat(&y, "config.yaml").unwrap(),
                want,
                "{text}\n---\n{y}"
            );
        }
    }
}

/// The installed distributions (when present) ship the files committed here.
#[test]
fn installed_flink_homes_match_the_committed_copies() {
    let Some(home) = std::env::var_os("HOME") else {
        return;
    };
    for (version, file, copy) in [
        ("1.14.6", "flink-conf.yaml", "flink-conf-1.14.6.yaml"),
        ("1.17.2", "flink-conf.yaml", "flink-conf-1.17.2.yaml"),
        ("2.3.0", "config.yaml", "config-2.3.0.yaml"),
    ] {
        let p = PathBuf::from(&home)
            .join(format!(".cache/streampark-dev/flink-venv-{version}/lib/python3.11/site-packages/pyflink/conf"))
            .join(file);
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let ours = keys::read_flat(&text, file).unwrap();
        assert_eq!(
            ours,
            keys::read_flat(&data(copy), file).unwrap(),
            "{}",
            p.display()
        );
        let other = if file == "config.yaml" {
            keys::convert_config_yaml_to_flink_conf(&text)
                .map(|t| keys::read_flat(&t, "flink-conf.yaml"))
        } else {
            keys::convert_flink_conf_to_config_yaml(&text)
                .map(|t| keys::read_flat(&t, "config.yaml"))
        };
        assert_eq!(other.unwrap().unwrap(), ours, "{}", p.display());
    }
}
