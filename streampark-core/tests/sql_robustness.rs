//! The checker never panics, never overflows the stack and stays linear on hostile input.

use streampark_core::sql::{FlinkSqlChecker, SqlChecker};

fn check(sql: &str) -> streampark_core::SqlReport {
    FlinkSqlChecker::new().check(sql)
}

/// Runs on a thread with Rust's default 2 MiB stack for spawned threads (tokio workers too).
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("checker must not panic or overflow the stack");
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_stack_overflow() {
    on_small_stack(|| {
        let n = 100_000;
        let cases = [
            format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n)),
            format!("SELECT {}1", "NOT ".repeat(n)),
            format!("SELECT {}1", "- ".repeat(n)),
            format!("SELECT * FROM {}t{}", "(".repeat(n), ")".repeat(n)),
            format!(
                "SELECT * FROM {}SELECT 1{}",
                "(SELECT * FROM (".repeat(n / 4),
                "))".repeat(n / 4)
            ),
            format!(
                "CREATE TABLE t (a {}INT{})",
                "ARRAY<".repeat(n),
                ">".repeat(n)
            ),
            format!(
                "SELECT {}1{}",
                "CASE WHEN a THEN ".repeat(n / 4),
                " END".repeat(n / 4)
            ),
            format!("SELECT f({}1{})", "g(".repeat(n), ")".repeat(n)),
        ];
        for sql in cases {
            let r = check(&sql);
            assert!(!r.is_valid());
            let e = r.first_error().expect("an error");
            assert_eq!(e.code, "nesting-too-deep", "{}", e.message);
        }
    });
}

#[test]
fn moderate_nesting_is_fine() {
    on_small_stack(|| {
        let sql = format!("SELECT {}1{} FROM t", "(".repeat(50), ")".repeat(50));
        assert!(check(&sql).is_valid());
        let sql = format!(
            "CREATE TABLE t (a {}INT{}) WITH ('connector' = 'x')",
            "ARRAY<".repeat(30),
            ">".repeat(30)
        );
        assert!(check(&sql).is_valid());
    });
}

#[test]
fn garbage_never_panics() {
    // A deterministic pseudo-random byte soup over SQL-ish and non-ASCII characters.
    let alphabet: Vec<char> = "SELECT FROM WHERE ( ) , ; ' ` \" /* */ -- /*+ */ . = < > + - * \n\t 0 1 é 漢 🙂 \\ $ _ a b"
        .chars()
        .collect();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..2_000 {
        let len = (state % 200) as usize;
        let mut s = String::new();
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            s.push(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        let r = check(&s);
        for d in &r.diagnostics {
            assert!(d.span.start <= d.span.end && d.span.end <= s.len());
            assert!(d.span.line >= 1 && d.span.column >= 1);
        }
    }
}

#[test]
fn unterminated_things_are_reported_where_flink_reports_them() {
    // Labels from Flink's parser: an open string is the lone quote token, rejected where it
    // stands; an open back-quote or comment is a lexical error at the end of the input.
    let r = check("SELECT 'abc FROM t");
    let e = r.first_error().unwrap();
    assert_eq!((e.span.line, e.span.column, e.code), (1, 8, "syntax-error"));
    let r = check("SELECT a FROM t;\nSELECT `x FROM t");
    let e = r.first_error().unwrap();
    assert_eq!(
        (e.span.line, e.span.column, e.code),
        (2, 17, "lexical-error")
    );
    let r = check("SELECT 1 /* open");
    assert_eq!(r.first_error().map(|e| e.span.column), Some(17));
}

#[test]
fn long_scripts_are_checked_whole() {
    let mut script = String::new();
    for i in 0..5_000 {
        script.push_str(&format!(
            "CREATE TABLE t{i} (id BIGINT, name STRING) WITH ('connector' = 'datagen');\n\
             INSERT INTO t{i} SELECT id, name FROM t{i};\n"
        ));
    }
    script.push_str("SELECT FROM;\n");
    let r = check(&script);
    assert_eq!(r.statements.len(), 10_001);
    let errors: Vec<_> = r.errors().collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].span.line, 10_001);
    // one very long statement
    let cols: Vec<String> = (0..20_000).map(|i| format!("c{i} INT")).collect();
    let sql = format!(
        "CREATE TABLE wide ({}) WITH ('connector' = 'x')",
        cols.join(", ")
    );
    assert!(check(&sql).is_valid());
}
