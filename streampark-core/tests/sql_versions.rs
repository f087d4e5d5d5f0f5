//! The versioned checker against each release's own parser, case by case.
//!
//! `data/sql/regressions.jsonl` holds statements written to probe how Flink reads text
//! character by character (quoted identifiers, prefixed and continued strings, numbers,
//! comments at the end of input, odd whitespace, lexical errors and where Flink reports them)
//! and statements whose grammar differs between releases. Each row carries the release it was
//! labelled with (`flink_version`) and that release's verdict and error position, as Flink's
//! own parser gave them. No Flink is needed here: only the stored labels.

use std::collections::HashMap;

use streampark_core::sql::{FlinkSqlChecker, SqlChecker};

fn rows() -> Vec<serde_json::Value> {
    let path = format!(
        "{}/tests/data/sql/regressions.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .expect("regressions.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON row"))
        .collect()
}

fn checker(version: &str) -> FlinkSqlChecker {
    FlinkSqlChecker::for_version(&version.parse().expect("a version"))
        .expect("a supported release")
        .with_lints(false)
}

/// What the checker says: `None` when valid, else the first error's line and column.
fn verdict(c: &FlinkSqlChecker, sql: &str) -> Option<(u64, u64)> {
    c.check(sql)
        .first_error()
        .map(|d| (u64::from(d.span.line), u64::from(d.span.column)))
}

#[test]
fn every_regression_matches_its_release() {
    let mut checkers: HashMap<String, FlinkSqlChecker> = HashMap::new();
    let mut failures = Vec::new();
    let all = rows();
    assert!(all.len() > 400, "regressions.jsonl lost rows");
    for row in &all {
        let version = row["flink_version"].as_str().expect("flink_version");
        let c = checkers
            .entry(version.to_string())
            .or_insert_with(|| checker(version));
        let sql = row["sql"].as_str().expect("sql");
        let got = verdict(c, sql);
        let want = match row["expect"].as_str() {
            Some("valid") => None,
            _ => Some((
                row["error_line"].as_u64().expect("error_line"),
                row["error_column"].as_u64().expect("error_column"),
            )),
        };
        if got != want {
            failures.push(format!(
                "{} (Flink {version}): {sql:?}: Flink {want:?}, checker {got:?}",
                row["id"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} disagree:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

/// Statements one release accepts and another rejects, with both labels stored.
#[test]
fn releases_disagree_where_their_parsers_do() {
    let mut by_sql: HashMap<&str, Vec<(&str, bool)>> = HashMap::new();
    let all = rows();
    for row in &all {
        by_sql
            .entry(row["sql"].as_str().unwrap())
            .or_default()
            .push((
                row["flink_version"].as_str().unwrap(),
                row["expect"] == "valid",
            ));
    }
    let newer_only = by_sql
        .values()
        .filter(|v| v.contains(&("2.3.0", true)) && v.contains(&("1.14.6", false)))
        .count();
    let older_only = by_sql
        .values()
        .filter(|v| v.contains(&("2.3.0", false)) && v.contains(&("1.14.6", true)))
        .count();
    assert!(
        newer_only >= 10,
        "only {newer_only} statements 2.3 accepts and 1.14 rejects"
    );
    assert!(older_only >= 1, "no statement 1.14 accepts and 2.3 rejects");
    assert_eq!(verdict(&checker("1.14.6"), "SELECT a FROM buckets"), None);
    assert_eq!(
        verdict(&checker("2.3.0"), "SELECT a FROM buckets"),
        Some((1, 15))
    );
    // Spot checks, labelled by each release's parser.
    let v114 = checker("1.14.6");
    let v23 = checker("2.3.0");
    let ctas = "create table t with ('a'='b') as select 1 as x";
    assert_eq!(verdict(&v114, ctas), Some((1, 31)));
    assert_eq!(verdict(&v23, ctas), None);
    assert_eq!(verdict(&v114, "alter table t modify c int"), Some((1, 15)));
    assert_eq!(verdict(&v114, "truncate table t"), Some((1, 1)));
    assert_eq!(verdict(&v114, "SELECT E'x' FROM t"), Some((1, 9)));
    assert_eq!(verdict(&v23, "SELECT E'x' FROM t"), None);
}

#[test]
fn supported_releases_are_named() {
    for ok in [
        "1.14.0", "1.14.6", "1.17.2", "1.20.5", "2.0.0", "2.3.0", "2.9.1",
    ] {
        assert!(
            FlinkSqlChecker::for_version(&ok.parse().unwrap()).is_ok(),
            "{ok}"
        );
    }
    for bad in ["1.13.6", "1.9.0", "3.0.0"] {
        let e = FlinkSqlChecker::for_version(&bad.parse().unwrap()).unwrap_err();
        assert!(
            e.to_string().contains(bad) || format!("{e:?}").contains("1.14"),
            "{e}"
        );
    }
}
