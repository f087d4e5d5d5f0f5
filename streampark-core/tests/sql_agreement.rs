//! Agreement of the SQL checker with Flink's own parser, per Flink release.
//!
//! The data (tests/data/sql/README.md):
//! - `flink-sql-corpus.jsonl`: 1,747 statements from Apache Flink's parser tests, SQL client and
//!   gateway scripts and SQL docs;
//! - `heldout.jsonl`, `heldout-fresh.jsonl`: corpus statements re-cased, re-laid-out, commented
//!   and damaged, hand-written statements, multi-statement scripts (scripts/gen-sql-heldout.py);
//! - `probe.jsonl`: statements written to probe corners of the grammar.
//!
//! Each file carries Flink 2.3.0's label; `labels/<version>/<file>` holds the cases where
//! that release's parser says something else (made by `scripts/sql-oracle --relabel`, the
//! project's own oracle run against each release's jars). A release's labels are the file's
//! labels with its own rows laid over them. No Flink is needed here: only the stored labels.
//!
//! Per release, `FlinkSqlChecker::for_version` must agree with Flink's verdict (valid or
//! invalid) on at least [`AGREEMENT_GOAL`] % of the cases of every file, and put parse errors at
//! Flink's exact line and column for at least [`POSITION_GOAL`] % (issue #15). A release below
//! the goal has its test marked `#[ignore = "below goal: …"]` until the checker gets there.
//!
//! `cargo test -p streampark-core --all-features --test sql_agreement -- --nocapture --include-ignored`
//! prints the table for every release; `SQL_CORPUS_VERBOSE=1` also lists every disagreement
//! (`SQL_CORPUS_VERBOSE=1.14.6` only that release's).

use std::collections::{BTreeMap, HashMap, HashSet};
use streampark_core::FlinkVersion;
use streampark_core::sql::{FlinkSqlChecker, SqlChecker};

/// Agreement with the release's parser on valid/invalid, per file and overall (%): issue #15.
const AGREEMENT_GOAL: f64 = 99.5;
/// Parse errors reported at Flink's exact line and column, per file and overall (%): issue #15.
const POSITION_GOAL: f64 = 95.0;

/// Floors for the Flink 2.3 checker per statement kind / held-out variant (%), which must hold
/// whatever the per-release goals say.
const KIND_FLOOR: f64 = 98.0;
/// Floor for the Flink 2.3 checker on a whole file (%).
const OVERALL_FLOOR: f64 = 99.0;
/// Floor for exact error positions of the Flink 2.3 checker (%).
const POSITION_FLOOR: f64 = 90.0;

/// The labelled files, in `tests/data/sql/`.
const FILES: [&str; 4] = [
    "flink-sql-corpus.jsonl",
    "heldout.jsonl",
    "heldout-fresh.jsonl",
    "probe.jsonl",
];
/// The releases with labels under `tests/data/sql/labels/`.
const VERSIONS: [&str; 4] = ["1.14.6", "1.17.2", "1.20.5", "2.3.0"];
/// The release whose labels the data files carry.
const NEWEST: &str = "2.3.0";

fn data_dir() -> String {
    format!("{}/tests/data/sql", env!("CARGO_MANIFEST_DIR"))
}

/// One labelled case as a release's parser sees it.
#[derive(Debug, Clone)]
struct Case {
    id: String,
    sql: String,
    /// `kind` (corpus) or `variant` (held-out sets).
    group: String,
    valid: bool,
    phase: Option<String>,
    line: Option<u64>,
    column: Option<u64>,
    message: Option<String>,
}

fn field<'a>(v: &'a serde_json::Value, k: &str) -> &'a serde_json::Value {
    v.get(k).unwrap_or(&serde_json::Value::Null)
}

fn read_jsonl(path: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path} is part of the repository: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}:{}: {e}", n + 1)))
        .collect()
}

/// Sets the label fields of `case` from a label row.
fn apply_label(case: &mut Case, row: &serde_json::Value) {
    case.valid = field(row, "expect").as_str() == Some("valid");
    case.phase = field(row, "phase").as_str().map(str::to_string);
    case.line = field(row, "error_line").as_u64();
    case.column = field(row, "error_column").as_u64();
    case.message = field(row, "flink_message").as_str().map(str::to_string);
}

/// The cases of `file` with the labels of Flink `version`.
fn cases(version: &str, file: &str) -> Vec<Case> {
    let mut out: Vec<Case> = read_jsonl(&format!("{}/{file}", data_dir()))
        .iter()
        .map(|v| {
            let mut c = Case {
                id: field(v, "id").as_str().unwrap_or_default().to_string(),
                sql: field(v, "sql").as_str().unwrap_or_default().to_string(),
                group: field(v, "kind")
                    .as_str()
                    .or_else(|| field(v, "variant").as_str())
                    .unwrap_or("other")
                    .to_string(),
                valid: false,
                phase: None,
                line: None,
                column: None,
                message: None,
            };
            apply_label(&mut c, v);
            c
        })
        .collect();
    let index: HashMap<String, usize> = out
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.clone(), i))
        .collect();
    let path = format!("{}/labels/{version}/{file}", data_dir());
    for row in read_jsonl(&path) {
        let id = field(&row, "id").as_str().unwrap_or_default();
        let i = *index
            .get(id)
            .unwrap_or_else(|| panic!("{path}: id {id} is not in {file}"));
        apply_label(&mut out[i], &row);
    }
    out
}

#[derive(Default, Debug, Clone, Copy)]
struct Tally {
    total: usize,
    agree: usize,
}

impl Tally {
    fn add(&mut self, ok: bool) {
        self.total += 1;
        self.agree += usize::from(ok);
    }

    fn pct(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            100.0 * self.agree as f64 / self.total as f64
        }
    }

    fn merge(&mut self, o: Tally) {
        self.total += o.total;
        self.agree += o.agree;
    }

    fn cell(&self) -> String {
        format!("{}/{} {:.2}%", self.agree, self.total, self.pct())
    }
}

/// The checker against one file's labels.
#[derive(Default, Debug, Clone)]
struct Figures {
    /// valid/invalid agreement
    verdict: Tally,
    /// exact line+column of parse errors
    position: Tally,
    /// agreement on the cases whose verdict differs between the labelled releases
    sensitive: Tally,
    /// agreement per `kind` / `variant`
    groups: BTreeMap<String, Tally>,
}

fn evaluate(
    checker: &FlinkSqlChecker,
    version: &str,
    cases: &[Case],
    sensitive: &HashSet<String>,
    verbose: bool,
) -> Figures {
    let mut f = Figures::default();
    for c in cases {
        let report = checker.check(&c.sql);
        let ok = report.is_valid() == c.valid;
        f.verdict.add(ok);
        f.groups.entry(c.group.clone()).or_default().add(ok);
        if sensitive.contains(&c.id) {
            f.sensitive.add(ok);
        }
        let first = report.first_error();
        let got = first.map(|d| format!("{}:{} {}", d.span.line, d.span.column, d.message));
        if verbose && !ok {
            println!(
                "MISMATCH {version} {}: Flink says {} ({}) ; checker says {got:?}\n    {}",
                c.id,
                if c.valid { "valid" } else { "invalid" },
                c.message.as_deref().unwrap_or(""),
                c.sql.replace('\n', "\n    ")
            );
        }
        let (Some(line), Some(column)) = (c.line, c.column) else {
            continue;
        };
        if c.phase.as_deref() != Some("parse") {
            continue;
        }
        let at = first.map(|d| (u64::from(d.span.line), u64::from(d.span.column)));
        f.position.add(at == Some((line, column)));
        if verbose && ok && at != Some((line, column)) {
            println!(
                "POSITION {version} {}: Flink says {line}:{column} ({}) ; checker says {got:?}\n    {}",
                c.id,
                c.message.as_deref().unwrap_or(""),
                c.sql.replace('\n', "\n    ")
            );
        }
    }
    f
}

/// Ids of the cases whose verdict is not the same for every labelled release, per file.
fn version_sensitive() -> HashMap<&'static str, HashSet<String>> {
    FILES
        .iter()
        .map(|&file| {
            let per: Vec<Vec<Case>> = VERSIONS.iter().map(|v| cases(v, file)).collect();
            let ids = (0..per[0].len())
                .filter(|&i| per.iter().any(|cs| cs[i].valid != per[0][i].valid))
                .map(|i| per[0][i].id.clone())
                .collect();
            (file, ids)
        })
        .collect()
}

fn verbose_for(version: &str) -> bool {
    match std::env::var("SQL_CORPUS_VERBOSE") {
        Ok(v) => v == "1" || v == version,
        Err(_) => false,
    }
}

/// Runs `for_version(version)` over every file, prints the table and returns the figures.
fn release_figures(version: &str) -> Vec<(&'static str, Figures)> {
    let v: FlinkVersion = version.parse().expect("a Flink version");
    let checker = FlinkSqlChecker::for_version(&v)
        .unwrap_or_else(|e| panic!("FlinkSqlChecker::for_version({version}) failed: {e}"))
        .with_lints(false);
    let sensitive = version_sensitive();
    let verbose = verbose_for(version);
    let rows: Vec<(&str, Figures)> = FILES
        .iter()
        .map(|&file| {
            let cs = cases(version, file);
            (
                file,
                evaluate(&checker, version, &cs, &sensitive[file], verbose),
            )
        })
        .collect();
    let mut all = Figures::default();
    println!(
        "Flink {version}: FlinkSqlChecker::for_version({version}) vs Flink {version}'s parser"
    );
    println!(
        "  {:<24} {:>24} {:>24} {:>24}",
        "file", "agreement", "exact error position", "version-sensitive cases"
    );
    for (file, f) in &rows {
        println!(
            "  {file:<24} {:>24} {:>24} {:>24}",
            f.verdict.cell(),
            f.position.cell(),
            f.sensitive.cell()
        );
        all.verdict.merge(f.verdict);
        all.position.merge(f.position);
        all.sensitive.merge(f.sensitive);
    }
    println!(
        "  {:<24} {:>24} {:>24} {:>24}",
        "all",
        all.verdict.cell(),
        all.position.cell(),
        all.sensitive.cell()
    );
    let mut out = rows;
    out.push(("all", all));
    out
}

/// The per-release test: every file and the whole set at the goals.
fn release_meets_goals(version: &str) {
    let rows = release_figures(version);
    let mut misses = Vec::new();
    for (file, f) in &rows {
        if f.verdict.pct() < AGREEMENT_GOAL {
            misses.push(format!(
                "{file}: agreement {:.2}% < {AGREEMENT_GOAL}%",
                f.verdict.pct()
            ));
        }
        if f.position.pct() < POSITION_GOAL {
            misses.push(format!(
                "{file}: exact positions {:.2}% < {POSITION_GOAL}%",
                f.position.pct()
            ));
        }
    }
    assert!(misses.is_empty(), "Flink {version}: {}", misses.join("; "));
}

#[test]
#[ignore = "below goal: 83.62% agreement, 53.98% exact positions"]
fn checker_agrees_with_flink_1_14_6() {
    release_meets_goals("1.14.6");
}

#[test]
#[ignore = "below goal: 89.28% agreement, 63.18% exact positions"]
fn checker_agrees_with_flink_1_17_2() {
    release_meets_goals("1.17.2");
}

#[test]
#[ignore = "below goal: 97.63% agreement, 89.21% exact positions"]
fn checker_agrees_with_flink_1_20_5() {
    release_meets_goals("1.20.5");
}

#[test]
#[ignore = "below goal: 94.90% exact positions (heldout-fresh 93.40%)"]
fn checker_agrees_with_flink_2_3_0() {
    release_meets_goals("2.3.0");
}

/// The stored labels are whole: one directory per release in [`VERSIONS`], one file per data
/// file, every row naming a case of that file once, with a consistent verdict.
#[test]
fn per_release_labels_are_well_formed() {
    let dir = format!("{}/labels", data_dir());
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .expect("labels directory")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut want: Vec<String> = VERSIONS.iter().map(|v| v.to_string()).collect();
    want.sort();
    assert_eq!(
        found, want,
        "labels/ holds exactly the releases in VERSIONS"
    );
    for version in VERSIONS {
        for file in FILES {
            let ids: HashSet<String> = read_jsonl(&format!("{}/{file}", data_dir()))
                .iter()
                .map(|v| field(v, "id").as_str().unwrap_or_default().to_string())
                .collect();
            let path = format!("{dir}/{version}/{file}");
            let mut seen = HashSet::new();
            for row in read_jsonl(&path) {
                let id = field(&row, "id").as_str().unwrap_or_default().to_string();
                assert!(ids.contains(&id), "{path}: unknown id {id}");
                assert!(seen.insert(id.clone()), "{path}: id {id} twice");
                let expect = field(&row, "expect").as_str();
                let phase = field(&row, "phase").as_str();
                match expect {
                    Some("valid") => assert!(
                        phase.is_none() && field(&row, "flink_message").is_null(),
                        "{path}: {id} valid with an error"
                    ),
                    Some("invalid") => assert!(
                        matches!(phase, Some("parse" | "validate"))
                            && field(&row, "flink_message").is_string(),
                        "{path}: {id} invalid without phase or message"
                    ),
                    other => panic!("{path}: {id} has expect {other:?}"),
                }
                assert_eq!(
                    field(&row, "error_line").is_null(),
                    field(&row, "error_column").is_null(),
                    "{path}: {id} has a line without a column or the other way round"
                );
            }
        }
    }
}

/// The Flink 2.3 checker per statement kind (corpus) and per variant (held-out sets), at floors
/// that hold whatever the per-release goals say.
fn check_newest_by_group(file: &str, expected_total: Option<usize>) {
    let checker = FlinkSqlChecker::new().with_lints(false);
    let cs = cases(NEWEST, file);
    let f = evaluate(&checker, NEWEST, &cs, &HashSet::new(), verbose_for(NEWEST));
    println!("{file} (Flink {NEWEST}): {}", f.verdict.cell());
    for (k, t) in &f.groups {
        println!("  {k}: {}", t.cell());
    }
    println!("  parse-error positions exact: {}", f.position.cell());
    if let Some(n) = expected_total {
        assert_eq!(f.verdict.total, n, "{file} has {n} cases");
    } else {
        assert!(f.verdict.total > 200, "{file} is present");
    }
    assert!(
        f.verdict.pct() >= OVERALL_FLOOR,
        "{file}: agreement {:.2}% < {OVERALL_FLOOR}%",
        f.verdict.pct()
    );
    for (k, t) in &f.groups {
        assert!(
            t.pct() >= KIND_FLOOR,
            "{file}: {k} agreement {:.2}% < {KIND_FLOOR}%",
            t.pct()
        );
    }
    assert!(
        f.position.pct() >= POSITION_FLOOR,
        "{file}: position accuracy {:.2}% < {POSITION_FLOOR}%",
        f.position.pct()
    );
}

#[test]
fn corpus_agrees_with_flink() {
    check_newest_by_group("flink-sql-corpus.jsonl", Some(1747));
}

/// The held-out set used while tuning error positions.
#[test]
fn heldout_cases_agree_with_flink() {
    check_newest_by_group("heldout.jsonl", None);
}

/// A second held-out set, generated once with another seed and never used to change the parser.
#[test]
fn fresh_heldout_cases_agree_with_flink() {
    check_newest_by_group("heldout-fresh.jsonl", None);
}

/// 345 statements written to probe corners of the grammar (valid and broken), labelled by Flink.
#[test]
fn probe_statements_agree_with_flink() {
    check_newest_by_group("probe.jsonl", None);
}

/// The statement kind in the report matches the corpus label (ddl, dml, query, command) for the
/// statements Flink accepts.
#[test]
fn statement_kinds_match_the_corpus() {
    let checker = FlinkSqlChecker::new().with_lints(false);
    let (mut total, mut same) = (0, 0);
    for c in cases(NEWEST, "flink-sql-corpus.jsonl") {
        if !c.valid {
            continue;
        }
        let report = checker.check(&c.sql);
        let Some(stmt) = report.statements.first() else {
            continue;
        };
        total += 1;
        if stmt.kind.as_str() == c.group {
            same += 1;
        } else if verbose_for(NEWEST) {
            println!("KIND {}: {} vs {}", c.id, stmt.kind, c.group);
        }
    }
    println!("statement kinds: {same}/{total}");
    assert!(same * 100 >= total * 98, "kinds agree for {same}/{total}");
}
