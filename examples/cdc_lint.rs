//! Checks a Flink CDC 3.x pipeline definition (YAML) without a JVM.
//!
//! ```text
//! cargo run --example cdc_lint -- PIPELINE.yaml                 # findings, exit 1 on errors
//! cargo run --example cdc_lint -- --cdc-version 3.4 --flink-version 1.20.1 PIPELINE.yaml
//! cargo run --example cdc_lint -- --json PIPELINE.yaml          # one JSON object a finding
//! ```
//! Without a file it checks a small built-in pipeline with two mistakes.

use std::process::ExitCode;

use streampark::cdc::{CdcVersion, LintLevel, LintOptions, lint_pipeline};

const DEMO: &str = "source:\n  type: mysql\n  hostname: db\n  username: flink\n  password: ${mysql_password}\n  tables: app.orders\n  server-time-zon: UTC\nsink:\n  type: doris\n  fenodes: doris:8030\n  username: root\n  password: ${doris_password}\npipeline:\n  schema.change.behavior: evolv\n";

fn main() -> ExitCode {
    let mut opts = LintOptions::new();
    let mut json = false;
    let mut file = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => json = true,
            "--cdc-version" => match args.next().map(|v| v.parse::<CdcVersion>()) {
                Some(Ok(v)) => opts = opts.with_cdc_version(v),
                Some(Err(e)) => return usage(&e.to_string()),
                None => return usage("--cdc-version needs a value"),
            },
            "--flink-version" => match args.next().map(|v| v.parse()) {
                Some(Ok(v)) => opts = opts.with_flink_version(v),
                Some(Err(e)) => return usage(&format!("{e}")),
                None => return usage("--flink-version needs a value"),
            },
            f if !f.starts_with("--") && file.is_none() => file = Some(f.to_string()),
            other => return usage(&format!("unknown argument `{other}`")),
        }
    }
    let (name, text) = match &file {
        Some(f) => match std::fs::read_to_string(f) {
            Ok(t) => (f.clone(), t),
            Err(e) => {
                eprintln!("cdc_lint: cannot read {f}: {e}");
                return ExitCode::from(2);
            }
        },
        None => ("demo.yaml".to_string(), DEMO.to_string()),
    };
    let report = lint_pipeline(&text, &opts);
    for d in &report.diagnostics {
        if json {
            let level = if d.level == LintLevel::Error {
                "error"
            } else {
                "warning"
            };
            println!(
                "{}",
                serde_json::json!({
                    "file": name, "line": d.line, "column": d.column, "level": level,
                    "code": d.code, "message": d.message, "fix": d.fix,
                })
            );
        } else {
            println!("{name}:{d}");
        }
    }
    if report.is_ok() {
        if !json {
            println!("{name}: ok ({} warning(s))", report.diagnostics.len());
        }
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!(
        "cdc_lint: {msg}\nusage: cdc_lint [--cdc-version V] [--flink-version V] [--json] [PIPELINE.yaml]"
    );
    ExitCode::from(2)
}
