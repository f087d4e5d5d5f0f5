//! The Flink CDC pipeline definition lint (`streampark_core::cdc`): each finding at its line
//! and column with its fix; options by Flink CDC release; hostile input.

use streampark_core::FlinkVersion;
use streampark_core::cdc::{CdcVersion, LintLevel, LintOptions, PipelineDiagnostic, lint_pipeline};

/// A valid MySQL -> Doris pipeline (the shape of Flink CDC's quickstart), secrets as variables.
const VALID: &str = "\
source:
  type: mysql
  name: MySQL Source
  hostname: 127.0.0.1
  port: 3306
  username: flink
  password: ${mysql_password}
  tables: app_db.\\.*
  server-id: 5400-5404
  server-time-zone: UTC
  jdbc.properties.useSSL: false

sink:
  type: doris
  fenodes: 127.0.0.1:8030
  username: root
  password: ${doris_password}
  table.create.properties.replication_num: 1

transform:
  - source-table: app_db.orders
    projection: id, price * 2 AS doubled
    filter: id > 10

route:
  - source-table: app_db.orders
    sink-table: ods_db.ods_orders
  - source-table: app_db.shipments
    sink-table: ods_db.ods_shipments

pipeline:
  name: Sync MySQL Database to Doris
  parallelism: 2
  schema.change.behavior: evolve
";

fn lint(yaml: &str) -> Vec<PipelineDiagnostic> {
    lint_pipeline(yaml, &LintOptions::new()).diagnostics
}

fn only_error(yaml: &str, code: &str) -> PipelineDiagnostic {
    let d: Vec<_> = lint(yaml)
        .into_iter()
        .filter(|d| d.level == LintLevel::Error)
        .collect();
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].code, code, "{d:#?}");
    d[0].clone()
}

#[test]
fn a_valid_pipeline_has_no_finding_and_is_read() {
    let report = lint_pipeline(VALID, &LintOptions::new());
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    let p = report.into_result().unwrap();
    assert_eq!(p.source.kind, "mysql");
    assert_eq!(p.source.name.as_deref(), Some("MySQL Source"));
    assert_eq!(p.source.options["port"], "3306");
    assert_eq!(p.sink.kind, "doris");
    assert_eq!(p.routes.len(), 2);
    assert_eq!(p.routes[1].sink_table, "ods_db.ods_shipments");
    assert_eq!(p.transforms[0].source_table, "app_db.orders");
    assert_eq!(p.pipeline["parallelism"], "2");
}

#[test]
fn a_typo_in_an_option_names_its_line_and_the_right_key() {
    let yaml = VALID.replace("  server-time-zone: UTC", "  server-time-zon: UTC");
    let d = only_error(&yaml, "unknown-option");
    assert_eq!((d.line, d.column), (10, 3));
    assert_eq!(d.fix.as_deref(), Some("write `server-time-zone`"));
    assert!(d.message.contains("`server-time-zon`"), "{d}");
}

#[test]
fn a_typo_in_a_section_or_a_rule_key() {
    let yaml = VALID.replace("pipeline:\n", "pipelin:\n");
    let d = only_error(&yaml, "unknown-section");
    assert_eq!((d.line, d.column), (31, 1));
    assert_eq!(d.fix.as_deref(), Some("write `pipeline`"));

    let yaml = VALID.replace(
        "    sink-table: ods_db.ods_orders",
        "    sinktable: ods_db.ods_orders",
    );
    let errors: Vec<_> = lint(&yaml)
        .into_iter()
        .filter(|d| d.level == LintLevel::Error)
        .collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert_eq!(errors[0].code, "missing-option");
    assert_eq!((errors[0].line, errors[0].column), (26, 3));
    assert_eq!(errors[1].code, "unknown-key");
    assert_eq!((errors[1].line, errors[1].column), (27, 5));
    assert_eq!(errors[1].fix.as_deref(), Some("write `sink-table`"));
}

#[test]
fn an_unknown_source_type_suggests_the_nearest() {
    let yaml = VALID.replace("  type: mysql", "  type: mysq");
    let d = only_error(&yaml, "unknown-type");
    assert_eq!((d.line, d.column), (2, 3));
    assert_eq!(d.fix.as_deref(), Some("write `mysql`"));
    let yaml = VALID.replace("  type: mysql", "  type: mongodb");
    let d = only_error(&yaml, "unknown-type");
    assert!(d.fix.as_deref().unwrap().contains("postgres"), "{d}");
}

#[test]
fn a_route_to_a_table_the_source_does_not_capture() {
    let yaml = VALID.replace(
        "  tables: app_db.\\.*",
        "  tables: app_db.orders, app_db.shipments",
    );
    assert!(lint(&yaml).is_empty(), "{:#?}", lint(&yaml));
    let yaml = yaml.replace(
        "  - source-table: app_db.shipments",
        "  - source-table: app_db.shipment",
    );
    let d = only_error(&yaml, "route-undefined-table");
    assert_eq!((d.line, d.column), (28, 5));
    assert!(d.message.contains("`app_db.shipment`"), "{d}");
    // A transform rule is checked the same way; a selector that is itself a pattern is not
    // guessed at.
    let yaml = VALID
        .replace("  tables: app_db.\\.*", "  tables: app_db.orders")
        .replace(
            "  - source-table: app_db.shipments",
            "  - source-table: app_db.ship.*",
        );
    assert!(lint(&yaml).is_empty(), "{:#?}", lint(&yaml));
    let yaml = VALID.replace("  tables: app_db.\\.*", "  tables: other.orders");
    let d: Vec<_> = lint(&yaml)
        .into_iter()
        .filter(|d| d.code == "route-undefined-table")
        .map(|d| d.line)
        .collect();
    assert_eq!(d, vec![21, 26, 28]);
}

#[test]
fn a_bad_schema_change_behavior_lists_the_values() {
    let yaml = VALID.replace(
        "schema.change.behavior: evolve",
        "schema.change.behavior: evolv",
    );
    let d = only_error(&yaml, "bad-value");
    assert_eq!((d.line, d.column), (34, 3));
    assert_eq!(d.fix.as_deref(), Some("write `EVOLVE`"));
    let yaml = VALID.replace(
        "schema.change.behavior: evolve",
        "schema.change.behavior: whatever",
    );
    let d = only_error(&yaml, "bad-value");
    assert!(d.fix.as_deref().unwrap().contains("TRY_EVOLVE"), "{d}");
    for ok in ["IGNORE", "lenient", "try_evolve", "EXCEPTION"] {
        let yaml = VALID.replace(
            "schema.change.behavior: evolve",
            &format!("schema.change.behavior: {ok}"),
        );
        assert!(lint(&yaml).is_empty(), "{ok}");
    }
}

#[test]
fn pipeline_values_are_checked() {
    let yaml = VALID.replace("  parallelism: 2", "  parallelism: 0");
    assert_eq!(only_error(&yaml, "bad-value").line, 33);
    let yaml = VALID.replace("  parallelism: 2", "  execution.runtime-mode: STREEMING");
    assert_eq!(only_error(&yaml, "bad-value").line, 33);
    let yaml = VALID.replace("  parallelism: 2", "  schema-operator.rpc-timeout: soon");
    assert_eq!(only_error(&yaml, "bad-value").line, 33);
    let yaml = VALID.replace("  parallelism: 2", "  paralelism: 2");
    assert_eq!(
        only_error(&yaml, "unknown-key").fix.as_deref(),
        Some("write `parallelism`")
    );
    // Flink's own options in `pipeline` are Flink's business.
    let yaml = VALID.replace(
        "  parallelism: 2",
        "  execution.checkpointing.interval: 30s",
    );
    assert!(lint(&yaml).is_empty());
}

#[test]
fn missing_sections_types_and_required_options() {
    let d = lint(
        "source:\n  type: mysql\n  hostname: h\n  username: u\n  password: ${p}\n  tables: a.b\n",
    );
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].code, "missing-section");
    assert!(d[0].message.contains("`sink`"));
    let d = lint("source:\n  type: mysql\n  hostname: h\nsink:\n  name: x\n");
    let codes: Vec<_> = d.iter().map(|d| (d.code, d.line)).collect();
    assert!(codes.contains(&("missing-option", 1)), "{codes:?}");
    assert!(codes.contains(&("missing-type", 4)), "{codes:?}");
    let msgs: Vec<_> = d.iter().map(|d| d.message.clone()).collect();
    for k in ["`username`", "`password`", "`tables`"] {
        assert!(msgs.iter().any(|m| m.contains(k)), "{k}: {msgs:?}");
    }
}

#[test]
fn options_and_types_by_flink_cdc_release() {
    // The postgres source arrived in 3.5, Oracle in 3.6.
    let pg = VALID
        .replace("  type: mysql", "  type: postgres")
        .replace("  server-id: 5400-5404\n", "")
        .replace("  server-time-zone: UTC\n", "")
        .replace("  tables: app_db.\\.*", "  tables: app_db.public.orders")
        .replace("app_db.orders", "app_db.public.orders")
        .replace(
            "  - source-table: app_db.shipments\n    sink-table: ods_db.ods_shipments\n",
            "",
        )
        .replace("  port: 3306\n", "  port: 5432\n  slot.name: flink\n");
    let on = |v: CdcVersion| lint_pipeline(&pg, &LintOptions::new().with_cdc_version(v));
    let r = on(CdcVersion::new(3, 5));
    assert!(r.is_ok(), "{:#?}", r.diagnostics);
    let r = on(CdcVersion::new(3, 4));
    let d: Vec<_> = r.errors().collect();
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].code, "needs-newer-cdc");
    assert!(d[0].message.contains("3.5"), "{}", d[0]);
    // A pipeline key of a later release.
    let yaml = VALID.replace("  parallelism: 2", "  route-mode: FIRST_MATCH");
    assert!(lint(&yaml).is_empty());
    let r = lint_pipeline(
        &yaml,
        &LintOptions::new().with_cdc_version("3.5.1".parse().unwrap()),
    );
    let d: Vec<_> = r.errors().collect();
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!((d[0].code, d[0].line), ("needs-newer-cdc", 33));
    // A release newer than the table is read with the newest known options.
    assert!(
        lint_pipeline(
            VALID,
            &LintOptions::new().with_cdc_version(CdcVersion::new(3, 9))
        )
        .is_ok()
    );
    for bad in ["", "3", "three.five", "3.5.x", "3.5.0.1"] {
        assert!(bad.parse::<CdcVersion>().is_err(), "{bad}");
    }
}

#[test]
fn the_flink_cdc_release_must_support_the_flink_release() {
    let with = |cdc: &str, flink: &str| {
        lint_pipeline(
            VALID,
            &LintOptions::new()
                .with_cdc_version(cdc.parse().unwrap())
                .with_flink_version(flink.parse::<FlinkVersion>().unwrap()),
        )
    };
    assert!(with("3.5.0", "1.20.5").is_ok());
    assert!(with("3.6.0", "2.2.0").is_ok());
    let r = with("3.5.0", "2.3.0");
    let d: Vec<_> = r.errors().collect();
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].code, "flink-version");
    assert!(
        d[0].fix.as_deref().unwrap().contains("1.19, 1.20"),
        "{}",
        d[0]
    );
    // Cloudera's Flink 1.14 has no Flink CDC 3.x pipeline support after 3.0.
    assert!(!with("3.2.0", "1.14.0-csa1.6.0.0").is_ok());
}

#[test]
fn passwords_in_the_file_are_flagged_and_never_quoted() {
    let yaml = VALID.replace("${mysql_password}", "Very-Secret-1");
    let d: Vec<_> = lint(&yaml);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(
        (d[0].level, d[0].code, d[0].line),
        (LintLevel::Warning, "literal-secret", 7)
    );
    assert!(d[0].fix.as_deref().unwrap().contains("${name}"));
    // No finding ever quotes a value that may be a secret.
    let noisy = yaml
        .replace("  port: 3306", "  port: Very-Secret-2")
        .replace(
            "schema.change.behavior: evolve",
            "schema.change.behavior: Very-Secret-3",
        );
    for d in lint(&noisy) {
        assert!(!d.to_string().contains("Very-Secret-1"), "{d}");
    }
}

#[test]
fn broken_and_hostile_input_is_a_finding_not_a_panic() {
    let d = lint("source:\n  type: mysql\n   hostname: [unclosed\n");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].code, "yaml-syntax");
    assert_eq!(d[0].line, 3);
    for text in [
        "",
        "just a string",
        "- a\n- b\n",
        "source: 3\nsink: [1, 2]\n",
        "route: {a: 1}\nsource: {type: values}\nsink: {type: values}\n",
        "source:\n  type: [a, b]\n",
        "\u{0}\u{1}",
        "? [complex, key]\n: 1\n",
    ] {
        let r = lint_pipeline(text, &LintOptions::new());
        assert!(!r.is_ok(), "{text:?}: {:#?}", r.diagnostics);
    }
    // Deep nesting and a large document end in findings, not a stack overflow.
    let deep = format!("source: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    assert!(!lint_pipeline(&deep, &LintOptions::new()).is_ok());
    let mut big = VALID.to_string();
    let many = (0..20_000)
        .map(|i| format!("  - source-table: app_db.t{i}\n    sink-table: x.t{i}\n"))
        .collect::<String>();
    big = big.replace(
        "route:\n  - source-table: app_db.orders",
        &format!("route:\n{many}  - source-table: app_db.orders"),
    );
    let r = lint_pipeline(&big, &LintOptions::new());
    assert!(
        r.diagnostics.iter().all(|d| d.code != "yaml-syntax"),
        "{:?}",
        r.diagnostics.first()
    );
}

#[test]
fn values_source_and_sink_with_flow_style() {
    let yaml =
        "source: {type: values, name: V}\nsink: {type: values}\npipeline: {parallelism: 1}\n";
    let r = lint_pipeline(yaml, &LintOptions::new());
    assert!(r.is_ok(), "{:#?}", r.diagnostics);
    let yaml = "source: {type: values, nme: V}\nsink: {type: values}\n";
    let d = only_error(yaml, "unknown-option");
    // Inside a flow mapping the finding is placed at its section.
    assert_eq!((d.line, d.column), (1, 1));
}
