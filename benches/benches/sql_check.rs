//! Flink SQL checking speed: statements/s and MB/s on the corpus of Flink's own statements and
//! on generated job scripts of 1,000 and 10,000 lines.
//!
//! Flink's own parser on the same input, side by side (docs/sql.md, "Speed"):
//!
//! ```text
//! SQL_BENCH_DUMP=/tmp/sqlbench cargo bench -p streampark-benches --bench sql_check -- --quick
//! scripts/sql-oracle --flink-version 2.3.0 --bench 100 /tmp/sqlbench/corpus.jsonl
//! scripts/sql-oracle --flink-version 1.14.6 --bench 100 /tmp/sqlbench/job-10k.jsonl
//! ```
//!
//! `SQL_BENCH_DUMP=DIR` writes the inputs there (`corpus.jsonl`, `job-1k.{sql,jsonl}`,
//! `job-10k.{sql,jsonl}`); `scripts/sql-oracle --bench N` parses its input N more times in a warm
//! JVM and prints the best and median run in statements/s on stderr (a job script counts its
//! statements). `SQL_BENCH_FLINK_VERSION=V` measures `FlinkSqlChecker::for_version(V)` instead
//! of the newest release's checker.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use streampark::FlinkVersion;
use streampark::sql::{FlinkSqlChecker, SqlChecker};

fn corpus() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../streampark-core/tests/data/sql/flink-sql-corpus.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("corpus in the repository");
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("sql").and_then(|s| s.as_str()).map(str::to_string))
        .collect()
}

/// A job script of at least `lines` lines: sources with watermarks and metadata, sinks, views,
/// window aggregations, joins, a statement set. Returns (script, statements).
fn job_script(lines: usize) -> (String, usize) {
    let mut s = String::new();
    let mut statements = 0;
    let mut i = 0;
    while s.lines().count() < lines {
        s.push_str(&format!(
            "-- block {i}\n\
             CREATE TABLE orders_{i} (\n\
             \x20 order_id BIGINT,\n\
             \x20 user_id STRING,\n\
             \x20 amount DECIMAL(12, 2),\n\
             \x20 ts TIMESTAMP(3),\n\
             \x20 kafka_ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,\n\
             \x20 WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,\n\
             \x20 PRIMARY KEY (order_id) NOT ENFORCED\n\
             ) WITH (\n\
             \x20 'connector' = 'kafka',\n\
             \x20 'topic' = 'orders_{i}',\n\
             \x20 'properties.bootstrap.servers' = 'kafka:9092',\n\
             \x20 'format' = 'json'\n\
             );\n\
             CREATE TABLE totals_{i} (user_id STRING, window_start TIMESTAMP(3), total DECIMAL(20, 2))\n\
             WITH ('connector' = 'jdbc', 'url' = 'jdbc:mysql://db/x', 'table-name' = 'totals_{i}');\n\
             CREATE TEMPORARY VIEW big_{i} AS\n\
             SELECT order_id, user_id, amount, ts FROM orders_{i} WHERE amount > 100 AND user_id IS NOT NULL;\n\
             INSERT INTO totals_{i}\n\
             SELECT user_id, window_start, SUM(amount)\n\
             FROM TABLE(TUMBLE(TABLE orders_{i}, DESCRIPTOR(ts), INTERVAL '1' MINUTE))\n\
             GROUP BY user_id, window_start, window_end;\n\
             INSERT INTO totals_{i}\n\
             SELECT b.user_id, CAST(b.ts AS TIMESTAMP(3)), CASE WHEN b.amount > 1000 THEN b.amount ELSE 0 END\n\
             FROM big_{i} AS b JOIN orders_{i} AS o ON b.order_id = o.order_id AND o.ts BETWEEN b.ts - INTERVAL '1' HOUR AND b.ts;\n\n"
        ));
        statements += 5;
        i += 1;
    }
    (s, statements)
}

fn dump_dir() -> Option<std::path::PathBuf> {
    let dir = std::path::PathBuf::from(std::env::var_os("SQL_BENCH_DUMP")?);
    std::fs::create_dir_all(&dir).expect("SQL_BENCH_DUMP names a directory that can be created");
    Some(dir)
}

fn dump(name: &str, script: &str) {
    if let Some(dir) = dump_dir() {
        let _ = std::fs::write(dir.join(format!("{name}.sql")), script);
        let line = serde_json::json!({"id": name, "sql": script}).to_string();
        let _ = std::fs::write(dir.join(format!("{name}.jsonl")), line + "\n");
    }
}

/// The corpus statements as `{"id", "sql"}` lines, the oracle's input format.
fn dump_corpus(statements: &[String]) {
    if let Some(dir) = dump_dir() {
        let text: String = statements
            .iter()
            .enumerate()
            .map(|(i, s)| serde_json::json!({"id": i, "sql": s}).to_string() + "\n")
            .collect();
        let _ = std::fs::write(dir.join("corpus.jsonl"), text);
    }
}

/// The checker measured: the newest release's, or `SQL_BENCH_FLINK_VERSION`'s.
fn checker() -> FlinkSqlChecker {
    match std::env::var("SQL_BENCH_FLINK_VERSION") {
        Ok(v) => {
            let version: FlinkVersion = v
                .parse()
                .unwrap_or_else(|e| panic!("SQL_BENCH_FLINK_VERSION={v}: {e}"));
            FlinkSqlChecker::for_version(&version)
                .unwrap_or_else(|e| panic!("SQL_BENCH_FLINK_VERSION={v}: {e}"))
        }
        Err(_) => FlinkSqlChecker::new(),
    }
}

fn bench(c: &mut Criterion) {
    let checker = checker();
    let statements = corpus();
    dump_corpus(&statements);
    let corpus_bytes: usize = statements.iter().map(String::len).sum();
    let (script_1k, n_1k) = job_script(1_000);
    let (script_10k, n_10k) = job_script(10_000);
    dump("job-1k", &script_1k);
    dump("job-10k", &script_10k);
    assert!(
        checker.check(&script_10k).is_valid(),
        "generated script is valid Flink SQL"
    );

    let mut g = c.benchmark_group("sql_check_statements");
    g.throughput(Throughput::Elements(statements.len() as u64));
    g.bench_function("corpus_1747_statements", |b| {
        b.iter(|| {
            for s in &statements {
                black_box(checker.check(black_box(s)));
            }
        })
    });
    g.throughput(Throughput::Elements(n_1k as u64));
    g.bench_function("job_script_1k_lines", |b| {
        b.iter(|| black_box(checker.check(black_box(&script_1k))))
    });
    g.throughput(Throughput::Elements(n_10k as u64));
    g.bench_function("job_script_10k_lines", |b| {
        b.iter(|| black_box(checker.check(black_box(&script_10k))))
    });
    g.finish();

    let mut g = c.benchmark_group("sql_check_bytes");
    g.throughput(Throughput::Bytes(corpus_bytes as u64));
    g.bench_function("corpus_1747_statements", |b| {
        b.iter(|| {
            for s in &statements {
                black_box(checker.check(black_box(s)));
            }
        })
    });
    g.throughput(Throughput::Bytes(script_10k.len() as u64));
    g.bench_function("job_script_10k_lines", |b| {
        b.iter(|| black_box(checker.check(black_box(&script_10k))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
