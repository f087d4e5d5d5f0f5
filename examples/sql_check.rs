//! Checks Flink SQL without a JVM, the way a given Flink release's own parser would (1.14 … 2.3).
//!
//! ```text
//! cargo run --example sql_check -- FILE.sql            # rustc-style diagnostics, exit 1 on errors
//! cargo run --example sql_check -- --json FILE.sql     # one JSON report
//! cargo run --example sql_check -- --jsonl FILE.jsonl  # {"id","sql"} lines in, one verdict a line out
//! cargo run --example sql_check -- --flink-version 1.14 FILE.sql   # check for an older release
//!                                                     # (default: the newest; `--flink` also works)
//! ```
//! Without a file it checks a small built-in script.

use std::io::Write;
use std::process::ExitCode;

use serde_json::json;
use streampark::sql::{Diagnostic, FlinkSqlChecker, Severity, SqlChecker};

const DEMO: &str = "CREATE TABLE orders (\n  id BIGINT,\n  timestamp TIMESTAMP(3),\n  PRIMARY KEY (id)\n) WITH ('connector' = 'datagen');\nSET 'table.exec.mini-batch.enable' = 'true';\nINSERT INTO sink SELECT id FROM orders;\n";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut mode = "text";
    let mut checker = FlinkSqlChecker::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--json" => {
                mode = "json";
                args.remove(i);
            }
            "--jsonl" => {
                mode = "jsonl";
                args.remove(i);
            }
            "--flink-version" | "--flink" if i + 1 < args.len() => {
                let v = args.remove(i + 1);
                args.remove(i);
                let version = match v.parse() {
                    Ok(v) => v,
                    Err(e) => {
                        eprintln!("sql_check: bad --flink-version `{v}`: {e}");
                        return ExitCode::from(2);
                    }
                };
                checker = match FlinkSqlChecker::for_version(&version) {
                    Ok(c) => c,
                    Err(e) => {
                        eprintln!("sql_check: {e}");
                        return ExitCode::from(2);
                    }
                };
            }
            _ => i += 1,
        }
    }
    let (name, text) = match args.first() {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(t) => (path.clone(), t),
            Err(e) => {
                eprintln!("sql_check: cannot read {path}: {e}");
                return ExitCode::from(2);
            }
        },
        None => ("<demo>".to_string(), DEMO.to_string()),
    };
    match mode {
        "jsonl" => jsonl(&checker, &text),
        "json" => {
            let report = checker.check(&text);
            let diagnostics: Vec<_> = report
                .diagnostics
                .iter()
                .map(|d| {
                    json!({
                        "severity": d.severity.to_string(),
                        "code": d.code,
                        "message": d.message,
                        "line": d.span.line,
                        "column": d.span.column,
                        "end_line": d.span.end_line,
                        "end_column": d.span.end_column,
                        "statement": d.statement + 1,
                    })
                })
                .collect();
            let out = json!({
                "valid": report.is_valid(),
                "statements": report.statements.len(),
                "diagnostics": diagnostics,
            });
            println!("{out}");
            exit(report.is_valid())
        }
        _ => {
            let report = checker.check(&text);
            let mut out = std::io::stdout().lock();
            for d in &report.diagnostics {
                let _ = write!(out, "{}", render(&name, &text, d));
            }
            let errors = report.errors().count();
            let warnings = report.warnings().count();
            let _ = writeln!(
                out,
                "{}: {} statement(s), {errors} error(s), {warnings} warning(s)",
                name,
                report.statements.len()
            );
            exit(report.is_valid())
        }
    }
}

fn exit(valid: bool) -> ExitCode {
    if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// rustc-style: header, location, the source line and a caret under the span.
fn render(file: &str, text: &str, d: &Diagnostic) -> String {
    let line_no = d.span.line as usize;
    let src = text.lines().nth(line_no.saturating_sub(1)).unwrap_or("");
    let width = line_no.to_string().len();
    let pad = " ".repeat(width);
    let start = d.span.column.saturating_sub(1) as usize;
    let len = if d.span.end_line == d.span.line {
        (d.span.end_column as usize + 1)
            .saturating_sub(d.span.column as usize)
            .max(1)
    } else {
        src.chars().count().saturating_sub(start).max(1)
    };
    // keep tabs so the caret lines up
    let lead: String = src
        .chars()
        .take(start)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let kind = match d.severity {
        Severity::Error => "error",
        _ => "warning",
    };
    let mut s = format!(
        "{kind}[{}]: {}\n{pad}--> {file}:{}:{}\n{pad} |\n{line_no} | {src}\n{pad} | {lead}{}\n",
        d.code,
        d.message,
        d.span.line,
        d.span.column,
        "^".repeat(len)
    );
    if let Some(h) = &d.hint {
        s.push_str(&format!("{pad} = help: {h}\n"));
    }
    s.push('\n');
    s
}

fn jsonl(checker: &FlinkSqlChecker, text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let mut all_valid = true;
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("sql_check: line {}: not JSON: {e}", n + 1);
                return ExitCode::from(2);
            }
        };
        let id = v.get("id").cloned().unwrap_or(serde_json::Value::Null);
        let sql = v.get("sql").and_then(|s| s.as_str()).unwrap_or("");
        let report = checker.check(sql);
        let first = report.first_error();
        all_valid &= report.is_valid();
        let row = json!({
            "id": id,
            "valid": report.is_valid(),
            "line": first.map(|d| d.span.line),
            "column": first.map(|d| d.span.column),
            "message": first.map(|d| d.message.clone()),
        });
        let _ = writeln!(out, "{row}");
    }
    exit(all_valid)
}
