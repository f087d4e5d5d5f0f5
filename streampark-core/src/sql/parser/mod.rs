//! Recursive-descent parser for Flink's SQL grammar (Flink 2.3, with version gates back to 1.14).
//!
//! One [`Parser`] checks one statement's tokens. It builds no tree: it records what the lints
//! need ([`Facts`]) and stops at the first syntax error, reporting the token Flink would name.

mod alter;
mod call;
mod command;
mod ddl;
mod dml;
mod expr;
mod objects;
mod query;
mod special;
mod types;

use super::lexer::{LexError, TokKind, Token};
use super::report::StatementKind;

/// How deep expressions, queries and types may nest before the statement is refused.
pub(crate) const MAX_DEPTH: u32 = 100;

/// How much stack the parser may use below its first nesting level (bytes). Whichever of this
/// and [`MAX_DEPTH`] is reached first ends the check of the statement with a diagnostic, so a
/// hostile statement never overflows a thread's stack (Rust's spawned threads have 2 MiB; debug
/// builds use several times more stack per level than release builds).
pub(crate) const STACK_BUDGET: usize = 1024 * 1024;

/// A syntax error at token `tok`.
#[derive(Debug, Clone)]
pub(crate) struct ParseError {
    /// Index of the offending token in the parser's token slice.
    pub(crate) tok: usize,
    /// Index of the last token the error spans (same as `tok` for most errors).
    pub(crate) end_tok: usize,
    /// Message in the user's terms.
    pub(crate) message: String,
    /// Diagnostic code.
    pub(crate) code: &'static str,
    /// A hint, where one helps.
    pub(crate) hint: Option<String>,
}

pub(crate) type PResult<T> = Result<T, ParseError>;

/// What a statement did, for the lints.
#[derive(Debug, Default, Clone)]
pub(crate) struct Facts {
    /// Statement kind.
    pub(crate) kind: Option<StatementKind>,
    /// Short label, e.g. `CREATE TABLE`.
    pub(crate) label: &'static str,
    /// Tables/views created (name, token index), lower-cased last name part.
    pub(crate) created: Vec<(String, usize)>,
    /// Whether a created table is temporary-free of a `connector` option (token of the name).
    pub(crate) created_without_connector: Option<usize>,
    /// Tables written to (INSERT targets).
    pub(crate) inserted: Vec<(String, usize)>,
    /// Tables read in FROM clauses.
    pub(crate) read: Vec<(String, usize)>,
    /// CTE and alias names visible in this statement (not real tables).
    pub(crate) local_names: Vec<String>,
    /// `SET 'key' = …` keys (key, token index).
    pub(crate) set_keys: Vec<(String, usize)>,
    /// Statements inside a statement set.
    pub(crate) is_statement_set: bool,
    /// Version-gated features used: (minimum major, minimum minor, feature name, token).
    pub(crate) gated: Vec<((u32, u32), &'static str, usize)>,
    /// Flink's static (catalog-free) check failures: (message, token).
    pub(crate) validate: Vec<(String, usize)>,
    /// A `BEGIN STATEMENT SET` (client style) opened or `END` closed one.
    pub(crate) client_set: Option<bool>,
}

/// The parser over one statement's tokens (the last token is `Eof`).
#[derive(Debug)]
pub(crate) struct Parser<'a> {
    pub(crate) src: &'a str,
    pub(crate) toks: &'a [Token],
    pub(crate) pos: usize,
    pub(crate) depth: u32,
    pub(crate) facts: Facts,
    /// Byte offset where the statement's raw text ends (its `;`, or the end of the script);
    /// Flink's client parser matches raw text, trailing comments included.
    pub(crate) raw_end: usize,
    /// The Flink `(major, minor)` whose grammar applies.
    pub(crate) version: (u32, u32),
    /// The furthest token index looked at so far (Flink's lexer has read that far too).
    pub(crate) peeked: std::cell::Cell<usize>,
    /// Address of a local in the first `enter` (the stack's high-water base), 0 before.
    stack_base: usize,
}

impl<'a> Parser<'a> {
    /// A parser over `toks`, which must end with an `Eof` token.
    pub(crate) fn new(src: &'a str, toks: &'a [Token]) -> Self {
        Parser {
            src,
            toks,
            pos: 0,
            depth: 0,
            facts: Facts::default(),
            stack_base: 0,
            peeked: std::cell::Cell::new(0),
            version: (2, 3),
            raw_end: src.len(),
        }
    }

    // ------------------------------------------------------------ token access

    pub(crate) fn tok(&self, k: usize) -> Token {
        let i = (self.pos + k).min(self.toks.len().saturating_sub(1));
        if i > self.peeked.get() {
            self.peeked.set(i);
        }
        self.toks[i]
    }

    pub(crate) fn text(&self, k: usize) -> &'a str {
        self.tok(k).text(self.src)
    }

    /// Token `k` ahead in upper case, without allocating ("" when not a word of ≤ 32 bytes).
    pub(crate) fn upper(&self, k: usize) -> Upper {
        let t = self.tok(k);
        let mut u = Upper {
            buf: [0; 32],
            len: 0,
        };
        let text = t.text(self.src).as_bytes();
        if t.kind == TokKind::Word && text.len() <= 32 {
            for (d, s) in u.buf.iter_mut().zip(text) {
                *d = s.to_ascii_uppercase();
            }
            u.len = text.len();
        }
        u
    }

    pub(crate) fn at_eof(&self) -> bool {
        self.tok(0).kind == TokKind::Eof
    }

    pub(crate) fn advance(&mut self) {
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
    }

    /// Whether token `k` ahead is the bare word `kw` (any case).
    pub(crate) fn is_kw_at(&self, k: usize, kw: &str) -> bool {
        let t = self.tok(k);
        t.kind == TokKind::Word && t.text(self.src).eq_ignore_ascii_case(kw)
    }

    pub(crate) fn is_kw(&self, kw: &str) -> bool {
        self.is_kw_at(0, kw)
    }

    /// Whether the next tokens are the words `kws`.
    pub(crate) fn is_kws(&self, kws: &[&str]) -> bool {
        kws.iter().enumerate().all(|(k, kw)| self.is_kw_at(k, kw))
    }

    pub(crate) fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.advance();
            true
        } else {
            false
        }
    }

    pub(crate) fn eat_kws(&mut self, kws: &[&str]) -> bool {
        if self.is_kws(kws) {
            for _ in kws {
                self.advance();
            }
            true
        } else {
            false
        }
    }

    pub(crate) fn expect_kw(&mut self, kw: &str) -> PResult<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.unexpected(&[kw]))
        }
    }

    pub(crate) fn expect_kws(&mut self, kws: &[&str]) -> PResult<()> {
        for kw in kws {
            self.expect_kw(kw)?;
        }
        Ok(())
    }

    pub(crate) fn is_op_at(&self, k: usize, op: &str) -> bool {
        let t = self.tok(k);
        t.kind == TokKind::Op && t.is(self.src, op)
    }

    pub(crate) fn is_op(&self, op: &str) -> bool {
        self.is_op_at(0, op)
    }

    pub(crate) fn eat_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.advance();
            true
        } else {
            false
        }
    }

    pub(crate) fn expect_op(&mut self, op: &str) -> PResult<()> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(self.unexpected(&[op]))
        }
    }

    pub(crate) fn is_str(&self) -> bool {
        self.tok(0).kind == TokKind::Str
    }

    pub(crate) fn expect_str(&mut self) -> PResult<String> {
        if self.is_str() {
            let mut s = unquote_str(self.text(0));
            self.advance();
            // Adjacent literals concatenate: 'a' 'b' is 'ab'.
            while self.is_str() {
                s.push_str(&unquote_str(self.text(0)));
                self.advance();
            }
            Ok(s)
        } else {
            Err(self.unexpected(&["a string literal"]))
        }
    }

    /// One string literal, without the concatenation of adjacent ones (COMMENT, LIKE patterns).
    pub(crate) fn expect_single_str(&mut self) -> PResult<String> {
        if self.is_str() {
            let s = unquote_str(self.text(0));
            self.advance();
            Ok(s)
        } else {
            Err(self.unexpected(&["a string literal"]))
        }
    }

    /// Whether the next token can be an identifier (non-reserved word or back-quoted).
    pub(crate) fn is_ident_at(&self, k: usize) -> bool {
        let t = self.tok(k);
        (t.kind == TokKind::Word && !t.reserved) || t.kind == TokKind::Quoted
    }

    pub(crate) fn is_ident(&self) -> bool {
        self.is_ident_at(0)
    }

    /// A simple identifier; returns its normalised text.
    pub(crate) fn ident(&mut self) -> PResult<String> {
        if self.is_ident() {
            let name = ident_text(self.text(0));
            self.advance();
            Ok(name)
        } else {
            Err(self.unexpected(&["an identifier"]))
        }
    }

    /// `a.b.c`; returns the parts.
    pub(crate) fn compound_ident(&mut self) -> PResult<Vec<String>> {
        let mut parts = vec![self.ident()?];
        while self.is_op(".") {
            if !self.is_ident_at(1) {
                // Flink names the `.` when no identifier follows it.
                return Err(self.unexpected_at(self.pos, &["an identifier after `.`"]));
            }
            self.advance();
            parts.push(self.ident()?);
        }
        Ok(parts)
    }

    /// `ident [, ident]*`.
    pub(crate) fn ident_list(&mut self) -> PResult<Vec<String>> {
        let mut v = vec![self.ident()?];
        while self.eat_op(",") {
            v.push(self.ident()?);
        }
        Ok(v)
    }

    /// `( ident [, ident]* )`.
    pub(crate) fn paren_ident_list(&mut self) -> PResult<Vec<String>> {
        self.expect_op("(")?;
        let v = self.ident_list()?;
        self.expect_op(")")?;
        Ok(v)
    }

    pub(crate) fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        let probe = 0u8;
        let here = std::ptr::addr_of!(probe) as usize;
        if self.stack_base == 0 {
            self.stack_base = here;
        }
        let used = self.stack_base.abs_diff(here);
        if self.depth > MAX_DEPTH || used > STACK_BUDGET {
            return Err(ParseError {
                tok: self.pos,
                end_tok: self.pos,
                message: format!(
                    "statement nested too deeply (more than {MAX_DEPTH} levels, or 1 MiB of parser stack)"
                ),
                code: "nesting-too-deep",
                hint: Some("split the expression or query into views".into()),
            });
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ------------------------------------------------------------ errors

    /// "unexpected X; expected …" at the current token.
    pub(crate) fn unexpected(&self, expected: &[&str]) -> ParseError {
        self.unexpected_at(self.pos, expected)
    }

    pub(crate) fn unexpected_at(&self, at: usize, expected: &[&str]) -> ParseError {
        let at = at.min(self.toks.len().saturating_sub(1));
        let t = self.toks[at];
        let found = describe(t, self.src);
        let exp = expected
            .iter()
            .map(|e| {
                if e.starts_with("a ") || e.starts_with("an ") || e.contains(' ') {
                    (*e).to_string()
                } else {
                    format!("`{e}`")
                }
            })
            .collect::<Vec<_>>();
        let mut message = match t.kind {
            TokKind::Error(e) => lex_message(e).to_string(),
            _ => format!("unexpected {found}"),
        };
        if !exp.is_empty() && !matches!(t.kind, TokKind::Error(_)) {
            message.push_str("; expected ");
            message.push_str(&join_or(&exp));
        }
        let mut hint = None;
        // Structural keywords (FROM, WHERE, …) are rarely meant as names: no quoting hint there.
        const STRUCTURAL: &[&str] = &[
            "ALL",
            "AND",
            "AS",
            "BETWEEN",
            "BY",
            "CASE",
            "CREATE",
            "CROSS",
            "DELETE",
            "DISTINCT",
            "DROP",
            "ELSE",
            "END",
            "EXCEPT",
            "EXISTS",
            "FETCH",
            "FOR",
            "FROM",
            "FULL",
            "GROUP",
            "HAVING",
            "IN",
            "INNER",
            "INSERT",
            "INTERSECT",
            "INTO",
            "IS",
            "JOIN",
            "LEFT",
            "LIKE",
            "LIMIT",
            "NATURAL",
            "NOT",
            "NULL",
            "OFFSET",
            "ON",
            "OR",
            "ORDER",
            "OUTER",
            "OVER",
            "PARTITION",
            "RIGHT",
            "SELECT",
            "SET",
            "THEN",
            "UNION",
            "UPDATE",
            "USING",
            "VALUES",
            "WHEN",
            "WHERE",
            "WINDOW",
            "WITH",
        ];
        let word = t.text(self.src);
        let structural = t.reserved && STRUCTURAL.iter().any(|k| k.eq_ignore_ascii_case(word));
        let name_like = t.reserved && !structural;
        if name_like {
            hint = Some(format!(
                "`{word}` is a reserved word in Flink SQL; quote it as `` `{word}` `` to use it as a name"
            ));
        }
        let after_comma = at > 0 && {
            let p = self.toks[at - 1];
            p.kind == TokKind::Op && p.is(self.src, ",")
        };
        if after_comma
            && (structural
                || t.kind == TokKind::Eof
                || (t.kind == TokKind::Op && t.is(self.src, ")")))
        {
            hint = Some(if t.kind == TokKind::Eof {
                "remove the trailing `,`".to_string()
            } else {
                format!("remove the `,` before `{word}`")
            });
        }
        ParseError {
            tok: at,
            end_tok: at,
            message,
            code: if t.is_lex_error() {
                "lexical-error"
            } else if name_like {
                "reserved-word"
            } else {
                "syntax-error"
            },
            hint,
        }
    }

    /// An error raised by the grammar for a non-syntax reason (Flink raises these inside its
    /// parser too, e.g. "Multiple WATERMARK declarations").
    pub(crate) fn custom(
        &self,
        at: usize,
        code: &'static str,
        message: impl Into<String>,
    ) -> ParseError {
        ParseError {
            tok: at,
            end_tok: at,
            message: message.into(),
            code,
            hint: None,
        }
    }

    /// Records a static-check failure (Flink's `validate()` phase).
    pub(crate) fn validate_error(&mut self, at: usize, message: impl Into<String>) {
        self.facts.validate.push((message.into(), at));
    }

    /// The statement needs at least Flink `major.minor`: an older release's parser stops at
    /// token `at` (where its grammar ends), so the check stops there too.
    pub(crate) fn gate(
        &mut self,
        major: u32,
        minor: u32,
        feature: &'static str,
        at: usize,
    ) -> PResult<()> {
        if self.version < (major, minor) {
            return Err(ParseError {
                tok: at,
                end_tok: at,
                message: format!(
                    "{feature} need Flink {major}.{minor} or later; this script is checked for Flink {}.{}",
                    self.version.0, self.version.1
                ),
                code: "needs-newer-flink",
                hint: None,
            });
        }
        self.facts.gated.push(((major, minor), feature, at));
        Ok(())
    }

    // ------------------------------------------------------------ entry

    /// Parses one whole statement.
    pub(crate) fn parse_statement(&mut self) -> PResult<()> {
        self.statement()?;
        if !self.at_eof() {
            return Err(self.unexpected(&[]));
        }
        Ok(())
    }

    pub(crate) fn set_kind(&mut self, kind: StatementKind, label: &'static str) {
        if self.facts.kind.is_none() {
            self.facts.kind = Some(kind);
            self.facts.label = label;
        }
    }

    fn statement(&mut self) -> PResult<()> {
        let t = self.tok(0);
        if t.kind != TokKind::Word {
            if self.is_op("(") {
                self.set_kind(StatementKind::Query, "SELECT");
                return self.query_stmt();
            }
            return Err(self.unexpected(&["a statement"]));
        }
        let w = self.upper(0);
        match w.as_str() {
            "SELECT" | "WITH" | "VALUES" | "TABLE" => {
                self.set_kind(StatementKind::Query, "SELECT");
                self.query_stmt()
            }
            "INSERT" | "UPSERT" => {
                self.set_kind(StatementKind::Dml, "INSERT");
                self.insert()
            }
            "DELETE" => {
                self.set_kind(StatementKind::Dml, "DELETE");
                self.delete()
            }
            "UPDATE" => {
                self.set_kind(StatementKind::Dml, "UPDATE");
                self.update()
            }
            "CREATE" => self.create(),
            "ALTER" => self.alter(),
            "DROP" => self.drop_stmt(),
            "REPLACE" => self.replace_table(),
            _ => {
                let r = self.command();
                match r {
                    // Flink decides between command forms on their first two tokens: a wrong
                    // second token is reported at the first.
                    Err(mut e)
                        if e.tok == 1
                            && !matches!(w.as_str(), "SET" | "RESET" | "DESCRIBE" | "DESC") =>
                    {
                        e.tok = 0;
                        Err(e)
                    }
                    other => other,
                }
            }
        }
    }
}

/// An upper-cased word on the stack.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Upper {
    buf: [u8; 32],
    len: usize,
}

impl PartialEq<&str> for Upper {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Upper {
    /// The word, or "" when it was not ASCII.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// The value of a string literal token (quotes removed, `''` unescaped).
pub(crate) fn unquote_str(text: &str) -> String {
    let body = match text.find('\'') {
        Some(i) => &text[i..],
        None => text,
    };
    let inner = body
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or(body);
    inner.replace("''", "'")
}

/// An identifier's name: back-quotes removed (case kept, as `Lex.JAVA` does).
pub(crate) fn ident_text(text: &str) -> String {
    match text.strip_prefix('`').and_then(|s| s.strip_suffix('`')) {
        Some(inner) => inner.replace("``", "`"),
        None => text.to_string(),
    }
}

pub(crate) fn describe(t: Token, src: &str) -> String {
    match t.kind {
        TokKind::Eof => "end of statement".to_string(),
        TokKind::Str | TokKind::HexStr => {
            let s = t.text(src);
            if s.chars().count() > 30 {
                let short: String = s.chars().take(27).collect();
                format!("string {short}…")
            } else {
                format!("string {s}")
            }
        }
        TokKind::Number => format!("number `{}`", t.text(src)),
        TokKind::HintStart => "hint `/*+`".to_string(),
        TokKind::HintEnd => "`*/`".to_string(),
        _ => {
            let s = t.text(src);
            if t.reserved {
                format!("reserved word `{s}`")
            } else if s.chars().count() > 40 {
                let short: String = s.chars().take(37).collect();
                format!("`{short}…`")
            } else {
                format!("`{s}`")
            }
        }
    }
}

pub(crate) fn lex_message(e: LexError) -> &'static str {
    match e {
        LexError::UnterminatedString => "string literal is not closed: missing `'`",
        LexError::UnterminatedIdent => "quoted identifier is not closed: missing `` ` ``",
        LexError::UnterminatedComment => "comment is not closed: missing `*/`",
        LexError::BadChar => "character not allowed here: Flink's lexer stops at it",
        LexError::BadBinary => "binary literal may hold only hex digits `0`-`9`, `A`-`F`",
        LexError::BadUnicodeEscape => "Unicode escape is not exactly four hex digits",
        LexError::UnknownCharset => "unknown character set in string prefix",
    }
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}
