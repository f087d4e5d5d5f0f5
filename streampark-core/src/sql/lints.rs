//! Lints: warnings about scripts Flink's parser accepts but that will not do what was meant.
//!
//! - `no-sink`: a script with tables or queries but no INSERT (a job needs a sink);
//! - `select-in-job`: a SELECT next to INSERTs (it is not part of the job);
//! - `unknown-table`: INSERT into / SELECT from a table the (self-contained) script never creates;
//! - `duplicate-table`: a table created twice;
//! - `missing-connector`: CREATE TABLE without `'connector'` in `WITH`;
//! - `unknown-set-key`: SET of a key Flink does not know, with the closest known key.

use std::collections::HashMap;

use super::lexer::Token;
use super::parser::Facts;
use super::report::{Diagnostic, Severity, Span, Statement, StatementKind};

/// Configuration keys Flink knows under the prefixes we check (`table.`, `execution.`,
/// `pipeline.`, `state.`, `sql-client.`, …): the common ones from Flink's configuration docs.
const KNOWN_KEYS: &[&str] = &[
    "execution.runtime-mode",
    "execution.checkpointing.interval",
    "execution.checkpointing.mode",
    "execution.checkpointing.timeout",
    "execution.checkpointing.min-pause",
    "execution.checkpointing.max-concurrent-checkpoints",
    "execution.checkpointing.externalized-checkpoint-retention",
    "execution.checkpointing.tolerable-failed-checkpoints",
    "execution.checkpointing.unaligned.enabled",
    "execution.checkpointing.incremental",
    "execution.checkpointing.dir",
    "execution.checkpointing.savepoint-dir",
    "execution.savepoint.path",
    "execution.savepoint.ignore-unclaimed-state",
    "execution.savepoint-restore-mode",
    "execution.state-recovery.path",
    "execution.state-recovery.claim-mode",
    "execution.state-recovery.ignore-unclaimed-state",
    "execution.target",
    "execution.attached",
    "execution.shutdown-on-attached-exit",
    "execution.buffer-timeout",
    "execution.batch-shuffle-mode",
    "parallelism.default",
    "pipeline.name",
    "pipeline.jars",
    "pipeline.classpaths",
    "pipeline.max-parallelism",
    "pipeline.object-reuse",
    "pipeline.operator-chaining.enabled",
    "pipeline.auto-watermark-interval",
    "pipeline.time-characteristic",
    "pipeline.global-job-parameters",
    "pipeline.generic-types",
    "pipeline.closure-cleaner-level",
    "state.backend.type",
    "state.backend.incremental",
    "state.checkpoints.dir",
    "state.savepoints.dir",
    "state.checkpoints.num-retained",
    "state.backend.rocksdb.memory.managed",
    "restart-strategy.type",
    "restart-strategy.fixed-delay.attempts",
    "restart-strategy.fixed-delay.delay",
    "restart-strategy.failure-rate.max-failures-per-interval",
    "restart-strategy.failure-rate.failure-rate-interval",
    "restart-strategy.failure-rate.delay",
    "restart-strategy.exponential-delay.initial-backoff",
    "restart-strategy.exponential-delay.max-backoff",
    "table.sql-dialect",
    "table.local-time-zone",
    "table.dml-sync",
    "table.plan.compile.catalog-objects",
    "table.plan.force-recompile",
    "table.plan.restore.catalog-objects",
    "table.resources.download-dir",
    "table.builtin-catalog-name",
    "table.builtin-database-name",
    "table.display.max-column-width",
    "table.dynamic-table-options.enabled",
    "table.generated-code.max-length",
    "table.exec.state.ttl",
    "table.exec.source.idle-timeout",
    "table.exec.source.cdc-events-duplicate",
    "table.exec.sink.not-null-enforcer",
    "table.exec.sink.upsert-materialize",
    "table.exec.sink.keyed-shuffle",
    "table.exec.sink.type-length-enforcer",
    "table.exec.mini-batch.enabled",
    "table.exec.mini-batch.allow-latency",
    "table.exec.mini-batch.size",
    "table.exec.resource.default-parallelism",
    "table.exec.async-lookup.buffer-capacity",
    "table.exec.async-lookup.timeout",
    "table.exec.async-lookup.output-mode",
    "table.exec.window-agg.buffer-size-limit",
    "table.exec.disabled-operators",
    "table.exec.legacy-cast-behaviour",
    "table.exec.emit.early-fire.enabled",
    "table.exec.emit.early-fire.delay",
    "table.exec.emit.late-fire.enabled",
    "table.exec.emit.late-fire.delay",
    "table.exec.emit.allow-lateness",
    "table.exec.spill-compression.enabled",
    "table.exec.spill-compression.block-size",
    "table.exec.sort.default-limit",
    "table.exec.uid.generation",
    "table.exec.uid.format",
    "table.exec.interval-join.min-cleanup-interval",
    "table.exec.deduplicate.insert-update-after-sensitive-enabled",
    "table.exec.deduplicate.mini-batch.compact-changes-enabled",
    "table.exec.delta-join.cache-enabled",
    "table.optimizer.agg-phase-strategy",
    "table.optimizer.distinct-agg.split.enabled",
    "table.optimizer.distinct-agg.split.bucket-num",
    "table.optimizer.join-reorder-enabled",
    "table.optimizer.multiple-input-enabled",
    "table.optimizer.multi-join.enabled",
    "table.optimizer.delta-join.strategy",
    "table.optimizer.reuse-source-enabled",
    "table.optimizer.reuse-sub-plan-enabled",
    "table.optimizer.source.report-statistics-enabled",
    "table.optimizer.dynamic-filtering.enabled",
    "table.optimizer.runtime-filter.enabled",
    "table.optimizer.non-deterministic-update.strategy",
    "table.optimizer.sql2rel.project-merge.enabled",
    "table.optimizer.incremental-agg-enabled",
    "table.optimizer.bushy-join-reorder-threshold",
    "sql-client.execution.result-mode",
    "sql-client.execution.max-table-result.rows",
    "sql-client.display.max-column-width",
    "sql-client.display.print-time-cost",
    "sql-client.display.show-line-numbers",
    "sql-client.verbose",
    "sql-gateway.session.idle-timeout",
    "jobmanager.memory.process.size",
    "taskmanager.memory.process.size",
    "taskmanager.numberOfTaskSlots",
    "kubernetes.cluster-id",
    "yarn.application.name",
    "yarn.application.queue",
];

const CHECKED_PREFIXES: &[&str] = &[
    "table.",
    "execution.",
    "pipeline.",
    "state.",
    "sql-client.",
    "parallelism.",
    "restart-strategy.",
];

type StmtFacts = (usize, Facts, Vec<Token>);

fn span_of(script: &str, toks: &[Token], at: usize) -> Span {
    let n = toks.len().saturating_sub(1);
    let t = toks[at.min(n)];
    Span::from_range(script, t.start as usize, t.end as usize, t.line, t.col)
}

fn warn(
    code: &'static str,
    message: String,
    span: Span,
    hint: Option<String>,
    statement: usize,
) -> Diagnostic {
    Diagnostic {
        severity: Severity::Warning,
        code,
        message,
        span,
        hint,
        statement,
    }
}

/// Adds the lints' warnings for a whole script.
pub(crate) fn run(
    script: &str,
    stmts: &[Statement],
    facts: &[StmtFacts],
    out: &mut Vec<Diagnostic>,
) {
    let has_insert = facts
        .iter()
        .any(|(_, f, _)| !f.inserted.is_empty() || f.is_statement_set);
    let creates_tables = facts.iter().any(|(_, f, _)| !f.created.is_empty());
    let has_query = stmts.iter().any(|s| s.kind == StatementKind::Query);
    // Catalog switches make table names resolve elsewhere: then the script is not self-contained.
    let self_contained = creates_tables
        && !stmts
            .iter()
            .any(|s| s.label == "USE" || s.label == "CREATE CATALOG");

    if !has_insert
        && (creates_tables || has_query)
        && stmts.len() > 1
        && let Some(first) = stmts.first()
    {
        out.push(warn(
            "no-sink",
            "the script has no INSERT: a Flink job needs at least one sink".into(),
            first.span,
            Some("add `INSERT INTO <sink table> SELECT …`".into()),
            0,
        ));
    }
    if has_insert {
        for (i, s) in stmts.iter().enumerate() {
            if s.kind == StatementKind::Query {
                out.push(warn(
                    "select-in-job",
                    "a SELECT in a job script is not part of the job: its rows go nowhere".into(),
                    s.span,
                    Some("write it as `INSERT INTO <sink> SELECT …`, or remove it".into()),
                    i,
                ));
            }
        }
    }

    // name -> index of the first statement that creates it
    let mut created: HashMap<String, usize> = HashMap::new();
    for (i, f, toks) in facts {
        for (name, at) in &f.created {
            if created.contains_key(name) {
                out.push(warn(
                    "duplicate-table",
                    format!("`{name}` is created twice in this script"),
                    span_of(script, toks, *at),
                    Some("drop one of the definitions or rename it".into()),
                    *i,
                ));
            } else {
                created.insert(name.clone(), *i);
            }
        }
        if let Some(at) = f.created_without_connector {
            out.push(warn(
                "missing-connector",
                "CREATE TABLE without a `'connector'` option: Flink cannot read or write it".into(),
                span_of(script, toks, at),
                Some("add `WITH ('connector' = '…', …)`".into()),
                *i,
            ));
        }
        for (key, at) in &f.set_keys {
            if let Some(d) = unknown_key(key) {
                out.push(warn(
                    "unknown-set-key",
                    format!("`{key}` is not a Flink configuration key"),
                    span_of(script, toks, *at),
                    d.map(|k| format!("did you mean `{k}`?")),
                    *i,
                ));
            }
        }
    }
    if self_contained {
        for (i, f, toks) in facts {
            let local = |n: &String| {
                f.local_names.contains(n) || created.get(n).is_some_and(|at| *at <= *i)
            };
            for (name, at) in f.inserted.iter().chain(f.read.iter()) {
                if !local(name) {
                    out.push(warn(
                        "unknown-table",
                        format!("table `{name}` is not created in this script"),
                        span_of(script, toks, *at),
                        Some("create it with CREATE TABLE before this statement".into()),
                        *i,
                    ));
                }
            }
        }
    }
}

/// `None` when the key is known or not checked; `Some(suggestion)` when it is unknown.
fn unknown_key(key: &str) -> Option<Option<&'static str>> {
    let lower = key.to_ascii_lowercase();
    if !CHECKED_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return None;
    }
    if KNOWN_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) {
        return None;
    }
    let best = KNOWN_KEYS
        .iter()
        .map(|k| (edit_distance(&lower, k), *k))
        .min_by_key(|(d, _)| *d);
    Some(best.and_then(|(d, k)| (d <= lower.len() / 3 + 1).then_some(k)))
}

/// Levenshtein distance (bytes), bounded input so it stays cheap.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a = &a.as_bytes()[..a.len().min(128)];
    let b = &b.as_bytes()[..b.len().min(128)];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use crate::sql::{FlinkSqlChecker, SqlChecker};

    fn codes(sql: &str) -> Vec<&'static str> {
        FlinkSqlChecker::new()
            .check(sql)
            .warnings()
            .map(|d| d.code)
            .collect()
    }

    #[test]
    fn unknown_set_key_suggests_closest() {
        let r = FlinkSqlChecker::new().check("SET 'table.exec.mini-batch.enable' = 'true'");
        let w = r.warnings().next().unwrap();
        assert_eq!(w.code, "unknown-set-key");
        assert_eq!(
            w.hint.as_deref(),
            Some("did you mean `table.exec.mini-batch.enabled`?")
        );
        assert!(codes("SET 'table.exec.mini-batch.enabled' = 'true'").is_empty());
        assert!(codes("SET 'my.own.key' = 'x'").is_empty());
    }

    #[test]
    fn job_script_lints() {
        let sql = "CREATE TABLE a (x INT) WITH ('connector' = 'datagen');\n\
                   CREATE TABLE a (x INT) WITH ('format' = 'json');\n\
                   SELECT x FROM a;\n\
                   INSERT INTO b SELECT x FROM c;";
        let c = codes(sql);
        assert!(c.contains(&"duplicate-table"), "{c:?}");
        assert!(c.contains(&"missing-connector"), "{c:?}");
        assert!(c.contains(&"select-in-job"), "{c:?}");
        assert_eq!(
            c.iter().filter(|x| **x == "unknown-table").count(),
            2,
            "{c:?}"
        );
        let c = codes("CREATE TABLE a (x INT) WITH ('connector' = 'datagen');\nSELECT x FROM a;");
        assert!(c.contains(&"no-sink"), "{c:?}");
    }
}
