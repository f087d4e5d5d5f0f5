//! Flink SQL checking without a JVM: [`SqlChecker`] and [`FlinkSqlChecker`].
//!
//! [`FlinkSqlChecker`] splits a script into statements (quotes, back-quoted identifiers,
//! comments, hints and statement-set blocks understood), parses each with a hand-written
//! recursive-descent parser for Flink's grammar and Flink's reserved words, runs Flink's
//! catalog-free static checks, and adds lints. Every diagnostic is in script coordinates
//! (1-based line and column, as Flink reports them). After a statement fails, the next ones
//! are still checked.
//!
//! ```
//! use streampark_core::sql::{FlinkSqlChecker, Severity, SqlChecker};
//!
//! let checker = FlinkSqlChecker::new();
//! let report = checker.check(
//!     "CREATE TABLE src (id INT, ts TIMESTAMP(3),\n  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND\n) WITH ('connector' = 'datagen');\n\
//!      CREATE TABLE snk (id INT) WITH ('connector' = 'blackhole');\n\
//!      INSERT INTO snk SELECT id FROM src;",
//! );
//! assert!(report.is_valid());
//! assert_eq!(report.statements.len(), 3);
//!
//! let bad = checker.check("SELECT a,\n  timestamp FROM t");
//! let err = bad.first_error().unwrap();
//! assert_eq!((err.span.line, err.span.column), (2, 3));
//! assert_eq!(err.severity, Severity::Error);
//! ```

mod keywords;
mod lexer;
pub(crate) mod lints;
mod parser;
mod report;
mod split;

pub use report::{Diagnostic, Severity, Span, SqlReport, Statement, StatementKind};

use crate::{Error, FlinkVersion, Result};
use lexer::{TokKind, Token};
use parser::{ParseError, Parser};

/// Checks Flink SQL scripts. Hosts hold it as `Arc<dyn SqlChecker>`.
///
/// # Contract
/// - `check` never panics and never fails: problems are diagnostics in the report.
/// - Diagnostics are in script coordinates; errors come first, each group in script order.
/// - A statement that fails does not stop the check of the following ones.
pub trait SqlChecker: std::fmt::Debug + Send + Sync {
    /// Checks a whole script (one or more statements separated by `;`).
    fn check(&self, script: &str) -> SqlReport;
}

impl<T: SqlChecker + ?Sized> SqlChecker for std::sync::Arc<T> {
    fn check(&self, script: &str) -> SqlReport {
        (**self).check(script)
    }
}

impl<T: SqlChecker + ?Sized> SqlChecker for Box<T> {
    fn check(&self, script: &str) -> SqlReport {
        (**self).check(script)
    }
}

/// The oldest Flink release whose syntax is modelled.
const OLDEST: (u32, u32) = (1, 14);
/// The newest major release modelled (any 2.x minor is checked as the newest 2.x known).
const NEWEST_MAJOR: u32 = 2;

/// Flink's own SQL syntax, versioned by release (1.14 … 2.x), plus lints.
#[derive(Debug, Clone)]
pub struct FlinkSqlChecker {
    version: (u32, u32),
    lints: bool,
}

impl Default for FlinkSqlChecker {
    fn default() -> Self {
        Self::new()
    }
}

impl FlinkSqlChecker {
    /// A checker for the newest Flink release modelled (2.3), with lints on.
    pub fn new() -> Self {
        FlinkSqlChecker {
            version: (2, 3),
            lints: true,
        }
    }

    /// A checker for `version`: syntax newer than it is reported as an error.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `version` is older than Flink 1.14 or of a major release
    /// after 2 (the message names the supported range).
    pub fn for_version(version: &FlinkVersion) -> Result<Self> {
        let v = version.minor_version();
        if v < OLDEST || v.0 > NEWEST_MAJOR {
            return Err(Error::InvalidInput {
                backend: "sql",
                what: "Flink version".into(),
                at: version.to_string(),
                reason: "the SQL checker models Flink 1.14 … 2.x".into(),
            });
        }
        Ok(FlinkSqlChecker {
            version: v,
            lints: true,
        })
    }

    /// Turns the lints (warnings beyond Flink's parser) on or off.
    #[must_use]
    pub fn with_lints(mut self, on: bool) -> Self {
        self.lints = on;
        self
    }

    /// The Flink `(major, minor)` this checker targets.
    pub fn version(&self) -> (u32, u32) {
        self.version
    }
}

impl SqlChecker for FlinkSqlChecker {
    fn check(&self, script: &str) -> SqlReport {
        let dialect = lexer::Dialect {
            c_style_strings: self.version >= (2, 0),
            release: keywords::release_index(self.version),
        };
        let toks = lexer::tokenize_with(script, dialect);
        let script_eof = toks.last().copied();
        let ranges = split::split(script, &toks);
        let mut report = SqlReport::default();
        let mut facts = Vec::with_capacity(ranges.len());
        let mut buf: Vec<Token> = Vec::new();
        for (index, range) in ranges.into_iter().enumerate() {
            // Flink names the `;` that ends a statement too early.
            let terminator = toks
                .get(range.end)
                .filter(|t| t.kind == TokKind::Op && t.is(script, ";"))
                .copied();
            let slice = &toks[range];
            let (Some(first), Some(last)) = (slice.first(), slice.last()) else {
                continue;
            };
            buf.clear();
            buf.extend_from_slice(slice);
            buf.push(match terminator {
                Some(t) => Token {
                    kind: TokKind::Eof,
                    ..t
                },
                None => script_eof.unwrap_or_else(|| eof_after(script, last)),
            });
            let span = Span::from_range(
                script,
                first.start as usize,
                last.end as usize,
                first.line,
                first.col,
            );
            let mut p = Parser::new(script, &buf);
            p.version = self.version;
            p.raw_end = terminator.map_or(script.len(), |t| t.start as usize);
            let result = p
                .parse_statement()
                .map_err(|e| lazy_lexing(&buf, e, p.peeked.get()));
            let kind = p.facts.kind.unwrap_or(StatementKind::Other);
            let label = if p.facts.label.is_empty() {
                "statement"
            } else {
                p.facts.label
            };
            report.statements.push(Statement { kind, label, span });
            match result {
                Err(e) => report
                    .diagnostics
                    .push(parse_diagnostic(script, &buf, &e, index)),
                Ok(()) => {
                    for (message, at) in &p.facts.validate {
                        report.diagnostics.push(Diagnostic {
                            severity: Severity::Error,
                            code: "flink-static-check",
                            message: message.clone(),
                            span: token_span(script, &buf, *at, *at),
                            hint: None,
                            statement: index,
                        });
                    }
                    for ((major, minor), feature, at) in &p.facts.gated {
                        if self.version < (*major, *minor) {
                            report.diagnostics.push(Diagnostic {
                                severity: Severity::Error,
                                code: "needs-newer-flink",
                                message: format!(
                                    "{feature} need Flink {major}.{minor} or later; this script is checked for Flink {}.{}",
                                    self.version.0, self.version.1
                                ),
                                span: token_span(script, &buf, *at, *at),
                                hint: None,
                                statement: index,
                            });
                        }
                    }
                }
            }
            facts.push((index, p.facts, buf.clone()));
        }
        if self.lints {
            lints::run(script, &report.statements, &facts, &mut report.diagnostics);
        }
        // Errors first, then warnings; each in script order (stable sort keeps ties).
        report
            .diagnostics
            .sort_by_key(|d| (d.severity, d.span.start));
        report
    }
}

/// Flink's parser asks its lexer for tokens one at a time, so a lexical error only shows when
/// the parser reaches that token: a syntax error before it wins, and a lexical error at or
/// before the syntax error's token wins. The parser also peeks one token past an operator
/// before it names the operator, so there the token after counts too.
fn lazy_lexing(toks: &[Token], e: ParseError, peeked: usize) -> ParseError {
    let Some(k) = toks.iter().position(Token::is_lex_error) else {
        return e;
    };
    // Flink's statement rule looks past the first word before it names it.
    let reach = if e.tok == 0 { 1 } else { peeked.max(e.tok) };
    if k == e.tok || k > reach {
        return e;
    }
    let t = toks[k];
    let TokKind::Error(le) = t.kind else {
        return e;
    };
    ParseError {
        tok: k,
        end_tok: k,
        message: parser::lex_message(le).to_string(),
        code: "lexical-error",
        hint: None,
    }
}

/// The end-of-statement token Flink reports: at the last character of the last token.
fn eof_after(script: &str, last: &Token) -> Token {
    let span = Span::from_range(
        script,
        last.start as usize,
        last.end as usize,
        last.line,
        last.col,
    );
    Token {
        kind: TokKind::Eof,
        start: last.end,
        end: last.end,
        line: span.end_line,
        col: span.end_column,
        reserved: false,
    }
}

fn token_span(script: &str, toks: &[Token], a: usize, b: usize) -> Span {
    let n = toks.len().saturating_sub(1);
    let ta = toks[a.min(n)];
    let tb = toks[b.min(n)];
    if ta.kind == TokKind::Eof {
        return Span {
            start: ta.start as usize,
            end: ta.end as usize,
            line: ta.line,
            column: ta.col,
            end_line: ta.line,
            end_column: ta.col,
        };
    }
    Span::from_range(script, ta.start as usize, tb.end as usize, ta.line, ta.col)
}

fn parse_diagnostic(script: &str, toks: &[Token], e: &ParseError, statement: usize) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        code: e.code,
        message: e.message.clone(),
        span: token_span(script, toks, e.tok, e.end_tok),
        hint: e.hint.clone(),
        statement,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_error(sql: &str) -> Option<(u32, u32, String)> {
        FlinkSqlChecker::new()
            .check(sql)
            .first_error()
            .map(|d| (d.span.line, d.span.column, d.message.clone()))
    }

    #[test]
    fn checker_is_object_safe_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<FlinkSqlChecker>();
        let c: std::sync::Arc<dyn SqlChecker> = std::sync::Arc::new(FlinkSqlChecker::new());
        assert!(c.check("SELECT 1").is_valid());
    }

    #[test]
    fn reserved_word_as_column_points_at_it() {
        let e = first_error("CREATE TABLE t (\n  id INT,\n  timestamp TIMESTAMP(3)\n)");
        let (line, col, msg) = e.unwrap();
        assert_eq!((line, col), (3, 3));
        assert!(msg.contains("timestamp"), "{msg}");
    }

    #[test]
    fn later_statements_are_still_checked() {
        let r = FlinkSqlChecker::new()
            .with_lints(false)
            .check("SELECT FROM;\nSELECT 1;\nSELEC 2");
        assert_eq!(r.statements.len(), 3);
        let errs: Vec<_> = r.errors().map(|d| (d.statement, d.span.line)).collect();
        assert_eq!(errs, vec![(0, 1), (2, 3)]);
    }

    #[test]
    fn version_gates_newer_syntax() {
        let old = FlinkSqlChecker::for_version(&"1.17.2".parse().unwrap()).unwrap();
        let r =
            old.check("CREATE MATERIALIZED TABLE m FRESHNESS = INTERVAL '1' MINUTE AS SELECT 1");
        assert_eq!(r.first_error().map(|d| d.code), Some("needs-newer-flink"));
        assert!(FlinkSqlChecker::for_version(&"1.13.6".parse().unwrap()).is_err());
        assert!(FlinkSqlChecker::for_version(&"3.0.0".parse().unwrap()).is_err());
        assert!(FlinkSqlChecker::for_version(&"1.14.0".parse().unwrap()).is_ok());
        let v116 = FlinkSqlChecker::for_version(&"1.16.3".parse().unwrap()).unwrap();
        let v117 = FlinkSqlChecker::for_version(&"1.17.0".parse().unwrap()).unwrap();
        assert!(!v116.check("STOP JOB 'abc' WITH SAVEPOINT").is_valid());
        assert!(v117.check("STOP JOB 'abc' WITH SAVEPOINT").is_valid());
        let v115 = FlinkSqlChecker::for_version(&"1.15.4".parse().unwrap()).unwrap();
        let ctas = "CREATE TABLE t WITH ('connector' = 'x') AS SELECT 1 AS a";
        assert!(!v115.check(ctas).is_valid());
        assert!(v116.check(ctas).is_valid());
    }

    #[test]
    fn messages_speak_the_users_terms() {
        let (l, c, m) =
            first_error("CREATE TABLE t (\n  id INT,\n  name STRING\n  age INT\n)").unwrap();
        assert_eq!((l, c), (4, 3));
        assert_eq!(m, "expected `,` or `)` after column `name`, found `age`");
        let r = FlinkSqlChecker::new().check("CREATE TABLE t (id INT) WITH (connector = 'x')");
        let d = r.first_error().unwrap();
        assert_eq!(d.hint.as_deref(), Some("write it as `'connector'`"));
        let (_, _, m) = first_error("SELECT a FROM t WHERE a = = 1").unwrap();
        assert!(m.starts_with("expected an expression after `=`"), "{m}");
    }

    #[test]
    fn statements_carry_kind_label_and_span() {
        let r = FlinkSqlChecker::new().with_lints(false).check(
            "SET 'a.b' = 'c';\nCREATE TABLE t (a INT) WITH ('connector' = 'x');\n\
             EXECUTE STATEMENT SET BEGIN\n  INSERT INTO t SELECT 1;\n  INSERT INTO t SELECT 2;\nEND;\n\
             SELECT * FROM t",
        );
        assert!(r.is_valid(), "{:?}", r.diagnostics);
        let kinds: Vec<_> = r.statements.iter().map(|s| (s.kind, s.label)).collect();
        assert_eq!(
            kinds,
            vec![
                (StatementKind::Command, "SET"),
                (StatementKind::Ddl, "CREATE TABLE"),
                (StatementKind::Dml, "EXECUTE"),
                (StatementKind::Query, "SELECT"),
            ]
        );
        let set = &r.statements[2].span;
        assert_eq!(
            (set.line, set.column, set.end_line, set.end_column),
            (3, 1, 6, 3)
        );
    }

    #[test]
    fn flink_static_checks_are_errors() {
        let r = FlinkSqlChecker::new()
            .check("CREATE TABLE t (id INT, PRIMARY KEY (id)) WITH ('connector' = 'x')");
        assert_eq!(r.first_error().map(|d| d.code), Some("flink-static-check"));
        let r = FlinkSqlChecker::new().check(
            "CREATE TABLE t (id INT, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'x')",
        );
        assert!(r.is_valid());
    }
}
