//! Fuzzes the Flink SQL checker: any input, no panic, no hang, diagnostics inside the input.
//!
//! `cargo +nightly fuzz run sql_check -- -max_total_time=60 -max_len=65536` from
//! `streampark-core/` (seeds: any `.sql` file, e.g. the statements in tests/data/sql).
#![no_main]

use libfuzzer_sys::fuzz_target;
use streampark_core::sql::{FlinkSqlChecker, SqlChecker};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let report = FlinkSqlChecker::new().check(&text);
    for d in &report.diagnostics {
        assert!(d.span.start <= d.span.end && d.span.end <= text.len());
        assert!(d.span.line >= 1 && d.span.column >= 1);
        assert!(d.statement < report.statements.len().max(1));
    }
});
