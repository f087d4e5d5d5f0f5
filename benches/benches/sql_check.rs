//! Flink SQL checking speed: statements/s and MB/s on the corpus of Flink's own statements and
//! on generated job scripts of 1,000 and 10,000 lines.
//!
//! Flink's parser on the same input: `flink-sql-verdict --bench N` (see docs/sql.md). Set
//! `SQL_BENCH_DUMP=DIR` to write the generated scripts there as `.sql` and `.jsonl` for it.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
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

fn dump(name: &str, script: &str) {
    if let Some(dir) = std::env::var_os("SQL_BENCH_DUMP") {
        let dir = std::path::PathBuf::from(dir);
        let _ = std::fs::write(dir.join(format!("{name}.sql")), script);
        let line = serde_json::json!({"id": name, "sql": script}).to_string();
        let _ = std::fs::write(dir.join(format!("{name}.jsonl")), line + "\n");
    }
}

fn bench(c: &mut Criterion) {
    let checker = FlinkSqlChecker::new();
    let statements = corpus();
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
