//! What a check returns: statements with kind and span, diagnostics with position and hint.

use std::fmt;

/// A range of the script, in bytes and in 1-based lines and columns (columns count characters
/// as Flink does; the end is inclusive: the column of the last character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// 1-based line of the first character.
    pub line: u32,
    /// 1-based column of the first character.
    pub column: u32,
    /// 1-based line of the last character.
    pub end_line: u32,
    /// 1-based column of the last character.
    pub end_column: u32,
}

impl Span {
    /// Computes a span from a byte range of `script`.
    pub(crate) fn from_range(script: &str, start: usize, end: usize, line: u32, col: u32) -> Span {
        let end = end.max(start).min(script.len());
        let (mut end_line, mut end_column) = (line, col);
        if end > start {
            // Walk the span to find the position of its last character.
            let text = script.get(start..end).unwrap_or("");
            let (mut l, mut c) = (line, col);
            let mut chars = text.chars().peekable();
            while let Some(ch) = chars.next() {
                if chars.peek().is_none() {
                    end_line = l;
                    end_column = c;
                    break;
                }
                if ch == '\n' {
                    l += 1;
                    c = 1;
                } else {
                    c += ch.len_utf16() as u32;
                }
            }
        }
        Span {
            start,
            end,
            line,
            column: col,
            end_line,
            end_column,
        }
    }
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// Flink would reject the statement.
    Error,
    /// Flink accepts it, but it is probably not what you meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// What a statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatementKind {
    /// CREATE / ALTER / DROP.
    Ddl,
    /// INSERT, statement sets, DELETE, UPDATE, TRUNCATE, EXECUTE, COMPILE PLAN.
    Dml,
    /// SELECT, VALUES, WITH (also `EXECUTE SELECT …`).
    Query,
    /// SET, RESET, SHOW, DESCRIBE, USE, EXPLAIN, LOAD MODULE, ADD JAR, …
    Command,
    /// Not recognised.
    Other,
}

impl StatementKind {
    /// `ddl`, `dml`, `query`, `command` or `other`.
    pub fn as_str(&self) -> &'static str {
        match self {
            StatementKind::Ddl => "ddl",
            StatementKind::Dml => "dml",
            StatementKind::Query => "query",
            StatementKind::Command => "command",
            StatementKind::Other => "other",
        }
    }
}

impl fmt::Display for StatementKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One statement of the script.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Statement {
    /// What it is.
    pub kind: StatementKind,
    /// A short label such as `CREATE TABLE` or `INSERT`.
    pub label: &'static str,
    /// Where it is (without its `;`).
    pub span: Span,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable code, e.g. `syntax-error`, `reserved-word`, `primary-key-enforced`,
    /// `no-sink`, `unknown-table`, `unknown-set-key`.
    pub code: &'static str,
    /// The message, in the user's terms.
    pub message: String,
    /// Where, in script coordinates.
    pub span: Span,
    /// What to do about it, where that helps.
    pub hint: Option<String>,
    /// Index of the statement in [`SqlReport::statements`].
    pub statement: usize,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}] at line {}, column {}: {}",
            self.severity, self.code, self.span.line, self.span.column, self.message
        )
    }
}

/// The result of checking a script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqlReport {
    /// The statements, in script order.
    pub statements: Vec<Statement>,
    /// Errors first (in script order), then warnings (in script order).
    pub diagnostics: Vec<Diagnostic>,
}

impl SqlReport {
    /// Whether no diagnostic is an error (warnings allowed).
    pub fn is_valid(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    /// The first error in script order, if any.
    pub fn first_error(&self) -> Option<&Diagnostic> {
        self.errors().next()
    }
}
