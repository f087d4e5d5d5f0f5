//! Commands: SHOW, DESCRIBE, USE, LOAD/UNLOAD MODULE, EXPLAIN, EXECUTE, COMPILE PLAN, ANALYZE,
//! ADD/REMOVE JAR, STOP JOB, TRUNCATE, CALL, SET/RESET (quoted and unquoted), HELP/QUIT/CLEAR,
//! and statement sets (`EXECUTE STATEMENT SET BEGIN … END`, client `BEGIN STATEMENT SET` / `END`).

use super::{PResult, Parser};
use crate::sql::lexer::TokKind;
use crate::sql::report::StatementKind;

const EXPLAIN_DETAILS: &[&str] = &[
    "ESTIMATED_COST",
    "CHANGELOG_MODE",
    "JSON_EXECUTION_PLAN",
    "PLAN_ADVICE",
];

impl Parser<'_> {
    pub(crate) fn command(&mut self) -> PResult<()> {
        let w = self.upper(0);
        match w.as_str() {
            "SHOW" => {
                self.set_kind(StatementKind::Command, "SHOW");
                self.advance();
                self.show()
            }
            "DESCRIBE" | "DESC" => {
                self.set_kind(StatementKind::Command, "DESCRIBE");
                self.advance();
                self.describe()
            }
            "USE" => {
                self.set_kind(StatementKind::Command, "USE");
                self.advance();
                if self.eat_kw("CATALOG") {
                    self.ident()?;
                } else if self.eat_kw("MODULES") {
                    self.ident_list()?;
                } else {
                    self.compound_ident()?;
                }
                Ok(())
            }
            "LOAD" => {
                self.set_kind(StatementKind::Command, "LOAD MODULE");
                self.advance();
                self.expect_kw("MODULE")?;
                self.ident()?;
                if self.eat_kw("WITH") {
                    self.options()?;
                }
                Ok(())
            }
            "UNLOAD" => {
                self.set_kind(StatementKind::Command, "UNLOAD MODULE");
                self.advance();
                self.expect_kw("MODULE")?;
                self.ident()?;
                Ok(())
            }
            "EXPLAIN" => {
                self.set_kind(StatementKind::Command, "EXPLAIN");
                self.advance();
                self.explain()
            }
            "EXECUTE" => {
                let query = !(self.is_kw_at(1, "INSERT")
                    || self.is_kw_at(1, "UPSERT")
                    || self.is_kw_at(1, "STATEMENT")
                    || self.is_kw_at(1, "PLAN"));
                if query {
                    self.set_kind(StatementKind::Query, "EXECUTE");
                } else {
                    self.set_kind(StatementKind::Dml, "EXECUTE");
                }
                self.advance();
                self.execute()
            }
            "COMPILE" => {
                self.set_kind(StatementKind::Dml, "COMPILE PLAN");
                self.advance();
                self.eat_kws(&["AND", "EXECUTE"]);
                self.expect_kw("PLAN")?;
                self.expect_str()?;
                if self.eat_kw("IF") {
                    self.expect_kws(&["NOT", "EXISTS"])?;
                }
                self.expect_kw("FOR")?;
                if self.is_kw("STATEMENT") {
                    self.advance();
                    self.expect_kw("SET")?;
                    self.statement_set_block()
                } else if self.is_kw("INSERT") || self.is_kw("UPSERT") {
                    self.insert()
                } else {
                    Err(self.unexpected(&["INSERT", "STATEMENT SET"]))
                }
            }
            "ANALYZE" => {
                self.set_kind(StatementKind::Command, "ANALYZE TABLE");
                self.gate(1, 16, "ANALYZE TABLE", self.pos)?;
                self.advance();
                self.analyze()
            }
            "ADD" | "REMOVE" => {
                self.set_kind(StatementKind::Command, "ADD JAR");
                self.advance();
                self.expect_kw("JAR")?;
                self.expect_str()?;
                Ok(())
            }
            "STOP" => {
                self.set_kind(StatementKind::Command, "STOP JOB");
                self.gate(1, 17, "STOP JOB", self.pos)?;
                self.advance();
                self.expect_kw("JOB")?;
                self.expect_str()?;
                let mut savepoint = false;
                let first_with = self.pos;
                while self.eat_kw("WITH") {
                    if self.eat_kw("SAVEPOINT") {
                        savepoint = true;
                    } else if self.eat_kw("DRAIN") {
                        if !savepoint {
                            return Err(self.custom(
                                first_with,
                                "syntax-error",
                                "WITH DRAIN could only be used after WITH SAVEPOINT",
                            ));
                        }
                    } else {
                        return Err(self.unexpected(&["SAVEPOINT", "DRAIN"]));
                    }
                }
                Ok(())
            }
            "TRUNCATE" => {
                self.set_kind(StatementKind::Dml, "TRUNCATE TABLE");
                self.gate(1, 18, "TRUNCATE TABLE", self.pos)?;
                self.advance();
                self.expect_kw("TABLE")?;
                self.compound_ident()?;
                Ok(())
            }
            "CALL" => {
                self.set_kind(StatementKind::Command, "CALL");
                // CALL parses in every release (1.14 included); only 1.18 runs procedures.
                self.advance();
                self.compound_ident()?;
                self.call_args()
            }
            "SET" => {
                self.set_kind(StatementKind::Command, "SET");
                self.advance();
                self.set_command()
            }
            "RESET" => {
                self.set_kind(StatementKind::Command, "RESET");
                self.advance();
                if self.at_eof() {
                    return Ok(());
                }
                if self.is_str() {
                    let at = self.pos;
                    self.expect_str()?;
                    if self.at_eof() {
                        return Ok(());
                    }
                    self.pos = at;
                }
                // Flink's client parser: `RESET key` with a key free of spaces and quotes.
                let rest = self.rest_text();
                if !rest.is_empty() && !rest.contains(|c: char| c.is_whitespace() || c == '\'') {
                    while !self.at_eof() {
                        self.advance();
                    }
                    return Ok(());
                }
                Err(self.client_form_error("RESET", "RESET 'key'"))
            }
            "HELP" | "QUIT" | "EXIT" | "CLEAR" => {
                self.set_kind(StatementKind::Command, "CLIENT");
                self.advance();
                if self.at_eof() {
                    Ok(())
                } else {
                    Err(self.unexpected(&[]))
                }
            }
            "BEGIN" => {
                self.set_kind(StatementKind::Command, "BEGIN STATEMENT SET");
                self.advance();
                self.expect_kws(&["STATEMENT", "SET"])?;
                self.facts.client_set = Some(true);
                Ok(())
            }
            "END" => {
                self.set_kind(StatementKind::Command, "END");
                self.advance();
                self.facts.client_set = Some(false);
                Ok(())
            }
            _ => {
                self.facts.kind = Some(StatementKind::Other);
                Err(self.unexpected(&["a statement"]))
            }
        }
    }

    /// The source text from the current token to the end of the statement.
    /// (Comments included: Flink's client parser matches the raw text.)
    pub(crate) fn rest_text(&self) -> &str {
        let start = if self.pos > 0 {
            self.toks[self.pos - 1].end as usize
        } else {
            self.tok(0).start as usize
        };
        let end = self.raw_end.max(start);
        self.src.get(start..end).unwrap_or("").trim()
    }

    /// The error for a SET/RESET that fits neither the grammar nor the client's unquoted form.
    fn client_form_error(&self, what: &str, quoted: &str) -> super::ParseError {
        let mut e = self.unexpected(&[]);
        e.message = format!(
            "malformed {what}: unexpected {}; write `{quoted}`, or an unquoted key (and value) of one word each, without comments",
            super::describe(self.tok(0), self.src)
        );
        e
    }

    pub(crate) fn set_command(&mut self) -> PResult<()> {
        if self.at_eof() {
            return Ok(());
        }
        // Grammar form: SET 'key' = 'value' (adjacent literals concatenate).
        if self.is_str() {
            let key_at = self.pos;
            let key = self.expect_str()?;
            if self.eat_op("=") && self.is_str() {
                self.expect_str()?;
                if self.at_eof() {
                    self.facts.set_keys.push((key, key_at));
                    return Ok(());
                }
            }
            self.pos = key_at;
        }
        // Flink's client parser: `SET key = value`, the key free of spaces and quotes, the value
        // a quoted string or a run without spaces.
        let key_at = self.pos;
        let rest = self.rest_text().to_string();
        if let Some(key) = client_set_key(&rest) {
            self.facts.set_keys.push((key, key_at));
            while !self.at_eof() {
                self.advance();
            }
            return Ok(());
        }
        self.pos = key_at;
        if self.is_str() && self.is_op_at(1, "=") {
            self.advance();
            self.advance();
            return Err(self.unexpected(&["a string literal"]));
        }
        if self.is_str() {
            self.advance();
            return Err(self.unexpected(&["="]));
        }
        Err(self.client_form_error("SET", "SET 'key' = 'value'"))
    }

    /// `[NOT] LIKE|ILIKE 'pattern'`.
    pub(crate) fn like_pattern_opt(&mut self) -> PResult<()> {
        let not = self.is_kw("NOT");
        if not {
            self.advance();
        }
        if self.eat_kw("LIKE") || self.eat_kw("ILIKE") {
            self.expect_single_str()?;
        } else if not {
            return Err(self.unexpected(&["LIKE", "ILIKE"]));
        }
        Ok(())
    }

    /// `[(FROM|IN) name] [[NOT] LIKE …]`.
    pub(crate) fn scope_and_like(&mut self, single_part: bool) -> PResult<()> {
        if self.eat_kw("FROM") || self.eat_kw("IN") {
            let at = self.pos;
            let parts = self.compound_ident()?;
            if single_part && parts.len() > 1 {
                return Err(self.custom(
                    at,
                    "syntax-error",
                    format!(
                        "Show databases from/in identifier [ {} ] format error, catalog must be a single part identifier",
                        parts.join(".")
                    ),
                ));
            }
        }
        self.like_pattern_opt()
    }

    pub(crate) fn show(&mut self) -> PResult<()> {
        let w = self.upper(0);
        match w.as_str() {
            "CATALOGS" => {
                self.advance();
                if !self.at_eof() {
                    self.gate(2, 0, "SHOW CATALOGS LIKE", self.pos)?;
                }
                self.like_pattern_opt()
            }
            "CURRENT" => {
                self.advance();
                if self.eat_kw("CATALOG") || self.eat_kw("DATABASE") {
                    Ok(())
                } else {
                    Err(self.unexpected(&["CATALOG", "DATABASE"]))
                }
            }
            "DATABASES" => {
                self.advance();
                self.scope_and_like(true)
            }
            "USER" => {
                self.advance();
                self.expect_kw("FUNCTIONS")?;
                self.scope_and_like(false)
            }
            "FUNCTIONS" | "PROCEDURES" | "TABLES" | "VIEWS" | "MODELS" | "CONNECTIONS" => {
                if w == "CONNECTIONS" {
                    // Older parsers refuse the statement at SHOW.
                    self.gate(2, 3, "SHOW CONNECTIONS", self.pos.saturating_sub(1))?;
                }
                self.advance();
                if w == "VIEWS" && (self.is_kw("FROM") || self.is_kw("IN")) {
                    self.gate(2, 0, "SHOW VIEWS FROM/IN", self.pos)?;
                }
                self.scope_and_like(false)
            }
            "MATERIALIZED" => {
                self.advance();
                self.expect_kw("TABLES")?;
                self.scope_and_like(false)
            }
            "COLUMNS" => {
                self.advance();
                if !(self.eat_kw("FROM") || self.eat_kw("IN")) {
                    return Err(self.unexpected(&["FROM", "IN"]));
                }
                self.compound_ident()?;
                self.like_pattern_opt()
            }
            "CREATE" => {
                self.advance();
                let what = self.upper(0);
                match what.as_str() {
                    "TABLE" | "VIEW" | "MODEL" | "CONNECTION" => {
                        if what == "CONNECTION" {
                            self.gate(2, 2, "connections", self.pos)?;
                        }
                        self.advance();
                        self.compound_ident()?;
                    }
                    "CATALOG" => {
                        self.advance();
                        self.ident()?;
                    }
                    "MATERIALIZED" => {
                        self.gate(2, 2, "SHOW CREATE MATERIALIZED TABLE", self.pos)?;
                        self.advance();
                        self.expect_kw("TABLE")?;
                        self.compound_ident()?;
                    }
                    "OR" => {
                        self.gate(2, 2, "SHOW CREATE MATERIALIZED TABLE", self.pos)?;
                        self.advance();
                        self.expect_kws(&["ALTER", "MATERIALIZED", "TABLE"])?;
                        self.compound_ident()?;
                    }
                    _ => return Err(self.unexpected(&["TABLE", "VIEW", "CATALOG", "MODEL"])),
                }
                Ok(())
            }
            "PARTITIONS" => {
                self.advance();
                self.compound_ident()?;
                if self.eat_kw("PARTITION") {
                    self.partition_spec_body()?;
                }
                Ok(())
            }
            "JOBS" => {
                self.gate(1, 17, "SHOW JOBS", self.pos)?;
                self.advance();
                Ok(())
            }
            "JARS" | "MODULES" => {
                self.advance();
                Ok(())
            }
            "FULL" => {
                self.advance();
                self.expect_kw("MODULES")
            }
            _ => Err(self.unexpected(&["CATALOGS", "DATABASES", "TABLES", "VIEWS", "FUNCTIONS"])),
        }
    }

    pub(crate) fn describe(&mut self) -> PResult<()> {
        let w = self.upper(0);
        match w.as_str() {
            "CATALOG" | "CONNECTION" | "DATABASE" | "FUNCTION" | "MODEL"
                if self.tok(0).reserved
                    || self.is_ident_at(1)
                    || self.is_kw_at(1, "EXTENDED")
                    || self.tok(1).kind == TokKind::Eof =>
            {
                if w == "FUNCTION" {
                    self.gate(2, 0, "DESCRIBE FUNCTION", self.pos)?;
                }
                if w == "CONNECTION" {
                    // Older parsers read CONNECTION as a table name and stop after it.
                    self.gate(2, 2, "connections", self.pos + 1)?;
                }
                self.advance();
                self.eat_kw("EXTENDED");
                if w == "CATALOG" {
                    self.ident()?;
                } else {
                    self.compound_ident()?;
                }
                Ok(())
            }
            "JOB" if self.tok(1).kind == TokKind::Str => {
                self.advance();
                self.advance();
                Ok(())
            }
            _ => {
                self.eat_kw("EXTENDED");
                self.compound_ident()?;
                Ok(())
            }
        }
    }

    pub(crate) fn explain(&mut self) -> PResult<()> {
        if self.eat_kw("PLAN") {
            if self.eat_kw("WITH") || self.eat_kw("WITHOUT") {
                self.expect_kw("IMPLEMENTATION")?;
            }
            if self.eat_kw("AS")
                && !(self.eat_kw("JSON") || self.eat_kw("XML") || self.eat_kw("DOT"))
            {
                return Err(self.unexpected(&["JSON", "XML", "DOT"]));
            }
            self.expect_kw("FOR")?;
            if self.is_ident()
                && !self.is_kw("UPSERT")
                && !self.is_kw("EXECUTE")
                && !self.is_kw("STATEMENT")
            {
                return Err(self.custom(
                    self.pos,
                    "syntax-error",
                    "Non-query expression encountered in illegal context",
                ));
            }
        } else {
            let mut seen: Vec<String> = Vec::new();
            while self.tok(0).kind == TokKind::Word
                && EXPLAIN_DETAILS
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(self.text(0)))
            {
                let d = self.text(0).to_ascii_uppercase();
                if seen.contains(&d) {
                    return Err(self.custom(
                        self.pos,
                        "syntax-error",
                        "Duplicate EXPLAIN DETAIL is not allowed",
                    ));
                }
                seen.push(d);
                self.advance();
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        self.explainable()
    }

    pub(crate) fn explainable(&mut self) -> PResult<()> {
        let w = self.upper(0);
        match w.as_str() {
            "INSERT" | "UPSERT" => self.insert(),
            "EXECUTE" => {
                self.advance();
                self.execute()
            }
            "STATEMENT" => {
                self.advance();
                self.expect_kw("SET")?;
                self.statement_set_block()
            }
            "ALTER" => Err(self.custom(
                self.pos,
                "syntax-error",
                "ALTER statements cannot be explained: only queries, INSERT, statement sets and CREATE/REPLACE TABLE … AS SELECT can",
            )),
            "CREATE" | "REPLACE" => {
                let is_ctas = self.explain_target_is_ctas();
                if w == "CREATE" {
                    self.create()?;
                } else {
                    self.replace_table()?;
                }
                if !is_ctas {
                    let last = self.toks.len().saturating_sub(2);
                    return Err(self.custom(
                        last,
                        "syntax-error",
                        "Unsupported statement for EXPLAIN: only queries, INSERT, statement sets and CREATE/REPLACE TABLE … AS SELECT can be explained",
                    ));
                }
                Ok(())
            }
            _ => self.query(),
        }
    }

    /// Whether an explained CREATE/REPLACE is a CTAS/RTAS (`… TABLE … AS SELECT`).
    pub(crate) fn explain_target_is_ctas(&self) -> bool {
        let mut k = 0;
        let mut table = false;
        while self.tok(k).kind != TokKind::Eof {
            if self.is_kw_at(k, "MATERIALIZED") || self.is_kw_at(k, "ALTER") {
                return false;
            }
            if self.is_kw_at(k, "TABLE") {
                table = true;
            }
            if table
                && self.is_kw_at(k, "AS")
                && (self.is_kw_at(k + 1, "SELECT")
                    || self.is_kw_at(k + 1, "WITH")
                    || self.is_kw_at(k + 1, "VALUES")
                    || self.is_op_at(k + 1, "("))
            {
                return true;
            }
            k += 1;
        }
        false
    }

    pub(crate) fn execute(&mut self) -> PResult<()> {
        if self.is_kws(&["STATEMENT", "SET"]) {
            self.advance();
            self.advance();
            return self.statement_set_block();
        }
        if self.eat_kw("PLAN") {
            self.expect_str()?;
            return Ok(());
        }
        if self.is_kw("INSERT") || self.is_kw("UPSERT") {
            return self.insert();
        }
        self.query()
    }

    /// `BEGIN insert; [insert;]* END`.
    pub(crate) fn statement_set_block(&mut self) -> PResult<()> {
        self.facts.is_statement_set = true;
        self.expect_kw("BEGIN")?;
        let mut n = 0;
        loop {
            if self.is_kw("END") && n > 0 {
                self.advance();
                return Ok(());
            }
            if !(self.is_kw("INSERT") || self.is_kw("UPSERT")) {
                return Err(self.unexpected(&["INSERT"]));
            }
            self.insert()?;
            self.expect_op(";")?;
            n += 1;
        }
    }

    pub(crate) fn analyze(&mut self) -> PResult<()> {
        self.expect_kw("TABLE")?;
        self.compound_ident()?;
        if self.eat_kw("PARTITION") {
            self.expect_op("(")?;
            loop {
                self.ident()?;
                if self.eat_op("=") {
                    self.expr()?;
                }
                if !self.eat_op(",") {
                    break;
                }
            }
            self.expect_op(")")?;
        }
        self.expect_kws(&["COMPUTE", "STATISTICS"])?;
        if self.eat_kw("FOR") {
            if self.eat_kw("ALL") {
                self.expect_kw("COLUMNS")?;
            } else {
                self.expect_kw("COLUMNS")?;
                self.ident_list()?;
            }
        }
        Ok(())
    }
}

/// Flink's SQL client `SET key = value` form; returns the key when `rest` matches it.
fn client_set_key(rest: &str) -> Option<String> {
    let (key, value) = rest.split_once('=')?;
    let key = key.trim_end();
    if key.is_empty() || key.contains(|c: char| c.is_whitespace() || c == '\'') {
        return None;
    }
    let value = value.trim();
    let ok = if let Some(inner) = value.strip_prefix('\'') {
        inner.strip_suffix('\'').is_some_and(|v| !v.contains('\''))
    } else {
        !value.is_empty() && !value.contains(|c: char| c.is_whitespace() || c == '\'')
    };
    ok.then(|| key.to_string())
}
