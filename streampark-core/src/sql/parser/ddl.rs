//! DDL: CREATE / ALTER / DROP for catalogs, databases, tables (computed and metadata columns,
//! watermarks, constraints, distribution, partitioning, `LIKE`, CTAS/RTAS), views, functions,
//! materialized tables, models and connections.

use super::{PResult, Parser};
use crate::sql::lexer::TokKind;
use crate::sql::report::StatementKind;

const ENFORCED_MSG: &str = "Flink doesn't support ENFORCED mode for PRIMARY KEY constraint. \
     ENFORCED/NOT ENFORCED controls if the constraint checks are performed on the \
     incoming/outgoing data. Flink does not own the data therefore the only supported mode is \
     the NOT ENFORCED mode";

/// Which statement the table elements belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    Table,
    Materialized,
    Alter,
}

#[derive(Debug, Default)]
pub(crate) struct Elements {
    /// Token index where the last element started.
    last_start: usize,
    watermarks: usize,
    primary_keys: usize,
    bare_columns: Option<usize>,
    any: bool,
}

impl Parser<'_> {
    pub(crate) fn create(&mut self) -> PResult<()> {
        self.set_kind(StatementKind::Ddl, "CREATE");
        self.advance(); // CREATE
        let mut or_replace = false;
        let mut or_alter = false;
        if self.eat_kws(&["OR", "REPLACE"]) {
            or_replace = true;
        } else if self.is_kw("OR") && self.is_kw_at(1, "ALTER") {
            self.advance();
            // Before CREATE OR ALTER (materialized tables), the parser stops at ALTER.
            self.gate(2, 2, "CREATE OR ALTER", self.pos)?;
            self.advance();
            or_alter = true;
        }
        let temporary_at = self.pos;
        let temporary = self.eat_kw("TEMPORARY");
        let system_at = self.pos;
        let system = self.eat_kw("SYSTEM");
        let what = self.upper(0);
        match what.as_str() {
            "TABLE" if !or_alter && !system => {
                self.facts.label = "CREATE TABLE";
                self.advance();
                self.create_table(temporary, or_replace, false)
            }
            "MATERIALIZED" if !system => {
                self.facts.label = "CREATE MATERIALIZED TABLE";
                self.gate(1, 20, "materialized tables", self.pos)?;
                if temporary {
                    return Err(self.custom(
                        self.pos,
                        "unsupported",
                        "CREATE TEMPORARY MATERIALIZED TABLE is not supported",
                    ));
                }
                if or_replace {
                    return Err(self.custom(
                        temporary_at,
                        "unsupported",
                        "REPLACE MATERIALIZED TABLE is not supported",
                    ));
                }
                self.advance();
                self.expect_kw("TABLE")?;
                self.create_materialized_table()
            }
            "VIEW" if !or_alter => {
                self.facts.label = "CREATE VIEW";
                self.advance();
                self.if_not_exists()?;
                let at = self.pos;
                let name = self.compound_ident()?;
                self.note_created(&name, at);
                if self.is_op("(") {
                    self.paren_ident_list()?;
                }
                self.comment_opt()?;
                self.expect_kw("AS")?;
                self.query()
            }
            "FUNCTION" if !or_alter && !or_replace => {
                self.facts.label = "CREATE FUNCTION";
                if system && !temporary {
                    return Err(self.custom(
                        system_at,
                        "unsupported",
                        "CREATE SYSTEM FUNCTION is not supported, system functions can only be \
                         registered as temporary functions, you can use CREATE TEMPORARY SYSTEM \
                         FUNCTION instead",
                    ));
                }
                self.advance();
                self.create_function(system)
            }
            "CATALOG" if !temporary && !system && !or_alter && !or_replace => {
                self.facts.label = "CREATE CATALOG";
                self.advance();
                self.if_not_exists()?;
                self.ident()?;
                self.comment_opt()?;
                self.expect_kw("WITH")?;
                self.options()?;
                Ok(())
            }
            "DATABASE" if !temporary && !system && !or_alter && !or_replace => {
                self.facts.label = "CREATE DATABASE";
                self.advance();
                self.if_not_exists()?;
                self.compound_ident()?;
                self.comment_opt()?;
                if self.eat_kw("WITH") {
                    self.options()?;
                }
                Ok(())
            }
            "MODEL" if !system && !or_alter => {
                self.facts.label = "CREATE MODEL";
                self.gate(1, 20, "models", self.pos)?;
                self.advance();
                self.create_model()
            }
            "CONNECTION" if !or_alter && !or_replace => {
                self.facts.label = "CREATE CONNECTION";
                self.gate(2, 2, "connections", self.pos)?;
                if system && !temporary {
                    return Err(self.custom(
                        system_at,
                        "unsupported",
                        "CREATE SYSTEM CONNECTION is not supported, system connections can only \
                         be registered as temporary connections, you can use CREATE TEMPORARY \
                         SYSTEM CONNECTION instead",
                    ));
                }
                self.advance();
                self.if_not_exists()?;
                if system {
                    self.ident()?;
                } else {
                    self.compound_ident()?;
                }
                self.comment_opt()?;
                self.expect_kw("WITH")?;
                self.options().map(|_| ())
            }
            _ => Err(self.unexpected(&[
                "TABLE",
                "VIEW",
                "FUNCTION",
                "CATALOG",
                "DATABASE",
                "MATERIALIZED TABLE",
                "MODEL",
            ])),
        }
    }

    pub(crate) fn replace_table(&mut self) -> PResult<()> {
        self.set_kind(StatementKind::Ddl, "REPLACE TABLE");
        self.advance(); // REPLACE
        let temporary = self.eat_kw("TEMPORARY");
        self.expect_kw("TABLE")?;
        self.create_table(temporary, true, true)
    }

    pub(crate) fn if_not_exists(&mut self) -> PResult<()> {
        if self.eat_kw("IF") {
            self.expect_kws(&["NOT", "EXISTS"])?;
        }
        Ok(())
    }

    pub(crate) fn if_exists(&mut self) -> PResult<()> {
        if self.eat_kw("IF") {
            self.expect_kw("EXISTS")?;
        }
        Ok(())
    }

    pub(crate) fn comment_opt(&mut self) -> PResult<()> {
        if self.eat_kw("COMMENT") {
            self.expect_single_str()?;
        }
        Ok(())
    }

    pub(crate) fn note_created(&mut self, name: &[String], at: usize) {
        if let Some(last) = name.last() {
            self.facts.created.push((last.to_ascii_lowercase(), at));
        }
    }

    /// `( 'key' = 'value', … )`; returns the keys.
    pub(crate) fn options(&mut self) -> PResult<Vec<String>> {
        self.expect_op("(")?;
        let mut keys = Vec::new();
        if self.eat_op(")") {
            return Ok(keys);
        }
        loop {
            if !self.is_str() {
                let mut e = self.unexpected(&["a string literal"]);
                if self.is_ident() {
                    e.message = format!(
                        "option keys are string literals: found {}",
                        super::describe(self.tok(0), self.src)
                    );
                    e.hint = Some(format!("write it as `'{}'`", self.text(0)));
                } else if self.is_op(")") {
                    e.message = "trailing `,` before `)` in the options".into();
                    e.hint = Some("remove the last `,`".into());
                }
                return Err(e);
            }
            let key = self.expect_str()?;
            self.expect_op("=")?;
            if !self.is_str() {
                let mut e = self.unexpected(&["a string literal"]);
                e.message = format!(
                    "the value of option `{key}` must be a string literal, found {}",
                    super::describe(self.tok(0), self.src)
                );
                return Err(e);
            }
            self.expect_str()?;
            keys.push(key);
            if !self.eat_op(",") {
                break;
            }
        }
        if !self.is_op(")") {
            let mut e = self.unexpected(&[",", ")"]);
            if let Some(k) = keys.last() {
                e.message = format!(
                    "expected `,` or `)` after option `'{k}'`, found {}",
                    super::describe(self.tok(0), self.src)
                );
            }
            return Err(e);
        }
        self.advance();
        Ok(keys)
    }

    /// `( 'key', … )` of RESET.
    pub(crate) fn option_keys(&mut self) -> PResult<()> {
        self.expect_op("(")?;
        if self.eat_op(")") {
            return Ok(());
        }
        loop {
            self.expect_str()?;
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op(")")
    }

    pub(crate) fn create_table(
        &mut self,
        temporary: bool,
        or_replace: bool,
        replace: bool,
    ) -> PResult<()> {
        self.if_not_exists()?;
        let name_at = self.pos;
        let name = self.compound_ident()?;
        self.note_created(&name, name_at);
        let mut els = Elements::default();
        let paren_at = self.pos;
        if self.is_op("(") {
            els = self.table_elements(Owner::Table)?;
        }
        self.table_tail(true)?;
        let mut has_connector = false;
        if self.eat_kw("WITH") {
            let keys = self.options()?;
            has_connector = keys.iter().any(|k| k.eq_ignore_ascii_case("connector"));
        }
        if self.is_kw("LIKE") {
            self.advance();
            self.compound_ident()?;
            if self.is_op("(") {
                self.like_options()?;
            }
            if els.bare_columns.is_some() {
                return Err(self.custom(
                    paren_at,
                    "syntax-error",
                    "Columns identifiers without types in the schema are supported on CTAS/RTAS statements only",
                ));
            }
            return Ok(());
        }
        if self.is_kw("AS") {
            self.gate(1, 16, "CREATE TABLE … AS SELECT", self.pos)?;
            if replace || or_replace {
                self.gate(1, 18, "REPLACE TABLE … AS SELECT", self.pos)?;
            }
            self.advance();
            self.query()?;
            if temporary {
                let msg = if replace {
                    "REPLACE TABLE AS SELECT syntax does not support temporary table yet"
                } else if or_replace {
                    "CREATE OR REPLACE TABLE AS SELECT syntax does not support temporary table yet"
                } else {
                    "CREATE TABLE AS SELECT syntax does not support to create temporary table yet"
                };
                self.validate_error(name_at, msg);
            }
            return Ok(());
        }
        if replace {
            return Err(self.unexpected(&["AS"]));
        }
        if els.bare_columns.is_some() {
            return Err(self.custom(
                paren_at,
                "syntax-error",
                "Columns identifiers without types in the schema are supported on CTAS/RTAS statements only",
            ));
        }
        if !has_connector {
            self.facts.created_without_connector = Some(name_at);
        }
        Ok(())
    }

    /// `[COMMENT …] [DISTRIBUTED …] [PARTITIONED BY (…)]`.
    pub(crate) fn table_tail(&mut self, comment: bool) -> PResult<()> {
        if comment {
            self.comment_opt()?;
        }
        if self.is_kw("DISTRIBUTED") {
            self.gate(2, 0, "DISTRIBUTED BY", self.pos)?;
            self.advance();
            self.distribution_body()?;
        }
        if self.eat_kw("PARTITIONED") {
            self.expect_kw("BY")?;
            self.paren_ident_list()?;
        }
        Ok(())
    }

    /// After `DISTRIBUTED` / `DISTRIBUTION`: `BY [HASH|RANGE] (cols) [INTO n BUCKETS]` or
    /// `INTO n BUCKETS`.
    pub(crate) fn distribution_body(&mut self) -> PResult<()> {
        if self.eat_kw("BY") {
            if !self.eat_kw("HASH") {
                self.eat_kw("RANGE");
            }
            self.paren_ident_list()?;
            if self.eat_kw("INTO") {
                self.bucket_count()?;
            }
            Ok(())
        } else if self.eat_kw("INTO") {
            self.bucket_count()
        } else {
            Err(self.unexpected(&["BY", "INTO"]))
        }
    }

    pub(crate) fn bucket_count(&mut self) -> PResult<()> {
        if self.tok(0).kind != TokKind::Number {
            return Err(self.unexpected(&["a number"]));
        }
        let text = self.text(0);
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.custom(
                self.pos,
                "syntax-error",
                "Bucket count must be a positive integer",
            ));
        }
        self.advance();
        self.expect_kw("BUCKETS")
    }

    /// `( element, … )` of CREATE TABLE / ALTER TABLE ADD|MODIFY.
    pub(crate) fn table_elements(&mut self, owner: Owner) -> PResult<Elements> {
        self.expect_op("(")?;
        let mut els = Elements::default();
        // Columns without types (CTAS/RTAS only): `(a, b)`.
        if owner != Owner::Alter
            && self.is_ident()
            && (self.is_op_at(1, ",") || self.is_op_at(1, ")"))
        {
            els.bare_columns = Some(self.pos);
            self.ident_list()?;
            self.expect_op(")")?;
            return Ok(els);
        }
        loop {
            let start = self.pos;
            els.last_start = start;
            self.table_element(owner, &mut els)?;
            els.any = true;
            if !self.eat_op(",") {
                break;
            }
            if self.is_op(")") {
                let mut e = self.unexpected(&["a column, WATERMARK or constraint"]);
                e.message =
                    "trailing `,` before `)`: expected another column, WATERMARK or constraint"
                        .into();
                e.hint = Some("remove the last `,`".into());
                return Err(e);
            }
            let _ = start;
        }
        if !self.is_op(")") {
            let mut e = self.unexpected(&[",", ")"]);
            let what = self.element_name(self.last_element_start(&els));
            e.message = format!(
                "expected `,` or `)` after {what}, found {}",
                super::describe(self.tok(0), self.src)
            );
            return Err(e);
        }
        self.advance();
        Ok(els)
    }

    fn last_element_start(&self, els: &Elements) -> usize {
        els.last_start
    }

    /// "column `name`", "the WATERMARK", "the constraint" for messages.
    fn element_name(&self, at: usize) -> String {
        let t = self.toks[at.min(self.toks.len() - 1)];
        let text = t.text(self.src);
        if t.kind == TokKind::Word && (text.eq_ignore_ascii_case("WATERMARK")) {
            "the WATERMARK".into()
        } else if t.kind == TokKind::Word
            && ["CONSTRAINT", "PRIMARY", "UNIQUE"]
                .iter()
                .any(|w| w.eq_ignore_ascii_case(text))
        {
            "the constraint".into()
        } else {
            format!("column `{}`", super::ident_text(text))
        }
    }

    pub(crate) fn table_element(&mut self, owner: Owner, els: &mut Elements) -> PResult<()> {
        if self.is_kw("WATERMARK") {
            let at = self.pos;
            self.advance();
            self.watermark_body()?;
            els.watermarks += 1;
            if els.watermarks > 1 {
                return Err(self.custom(
                    at,
                    "duplicate-watermark",
                    "Multiple WATERMARK declarations are not supported yet",
                ));
            }
            return Ok(());
        }
        if self.is_kw("CONSTRAINT") || self.is_kw("PRIMARY") || self.is_kw("UNIQUE") {
            return self.table_constraint(els);
        }
        self.column(owner, els)
    }

    pub(crate) fn watermark_body(&mut self) -> PResult<()> {
        self.expect_kw("FOR")?;
        self.compound_ident()?;
        self.expect_kw("AS")?;
        self.no_query_expr()
    }

    /// An expression where a sub-query is not allowed (computed column, watermark).
    pub(crate) fn no_query_expr(&mut self) -> PResult<()> {
        if self.is_op("(") && self.paren_starts_query(0) {
            return Err(self.custom(
                self.pos,
                "syntax-error",
                "Query expression encountered in illegal context",
            ));
        }
        self.expr()
    }

    pub(crate) fn table_constraint(&mut self, els: &mut Elements) -> PResult<()> {
        let at = self.pos;
        if self.eat_kw("CONSTRAINT") {
            self.ident()?;
        }
        if self.eat_kw("PRIMARY") {
            self.expect_kw("KEY")?;
            self.paren_ident_list()?;
            els.primary_keys += 1;
            if els.primary_keys > 1 {
                self.validate_error(at, "Duplicate primary key definition");
            }
            self.enforcement(at, true)
        } else if self.eat_kw("UNIQUE") {
            self.paren_ident_list()?;
            self.enforcement(at, false)?;
            self.validate_error(at, "UNIQUE constraint is not supported yet");
            Ok(())
        } else {
            Err(self.unexpected(&["PRIMARY KEY", "UNIQUE"]))
        }
    }

    /// `[NOT] ENFORCED` after a constraint.
    pub(crate) fn enforcement(&mut self, at: usize, primary: bool) -> PResult<()> {
        if self.eat_kws(&["NOT", "ENFORCED"]) {
            return Ok(());
        }
        self.eat_kw("ENFORCED");
        if primary {
            self.validate_error(at, ENFORCED_MSG);
        }
        Ok(())
    }

    pub(crate) fn column(&mut self, owner: Owner, els: &mut Elements) -> PResult<()> {
        if owner == Owner::Alter {
            self.compound_ident()?;
        } else {
            self.ident()?;
        }
        if self.eat_kw("AS") {
            // computed column
            self.no_query_expr()?;
            self.comment_opt()?;
            return self.column_position(owner);
        }
        self.data_type()?;
        // Flink's order: type [NOT NULL | NULL], then METADATA [FROM 'key'] [VIRTUAL] or a
        // column constraint, then COMMENT.
        if !self.eat_kws(&["NOT", "NULL"]) {
            self.eat_kw("NULL");
        }
        if self.is_kw("METADATA") {
            self.advance();
            if self.eat_kw("FROM") {
                self.expect_single_str()?;
            }
            self.eat_kw("VIRTUAL");
        } else if self.is_kw("CONSTRAINT") || self.is_kw("PRIMARY") || self.is_kw("UNIQUE") {
            let at = self.pos;
            if self.eat_kw("CONSTRAINT") {
                self.ident()?;
            }
            if self.eat_kw("PRIMARY") {
                self.expect_kw("KEY")?;
                els.primary_keys += 1;
                if els.primary_keys > 1 {
                    self.validate_error(at, "Duplicate primary key definition");
                }
                self.enforcement(at, true)?;
            } else if self.eat_kw("UNIQUE") {
                self.enforcement(at, false)?;
                self.validate_error(at, "UNIQUE constraint is not supported yet");
            } else {
                return Err(self.unexpected(&["PRIMARY KEY", "UNIQUE"]));
            }
        }
        if self.eat_kw("COMMENT") {
            self.expect_single_str()?;
        }
        self.column_position(owner)
    }

    pub(crate) fn column_position(&mut self, owner: Owner) -> PResult<()> {
        if owner == Owner::Alter {
            if self.eat_kw("FIRST") {
                return Ok(());
            }
            if self.eat_kw("AFTER") {
                self.compound_ident()?;
            }
        }
        Ok(())
    }

    pub(crate) fn like_options(&mut self) -> PResult<()> {
        self.expect_op("(")?;
        let mut seen: Vec<String> = Vec::new();
        let mut first = true;
        loop {
            let at = self.pos;
            let strategy = self.text(0).to_ascii_uppercase();
            if !(self.eat_kw("INCLUDING") || self.eat_kw("EXCLUDING") || self.eat_kw("OVERWRITING"))
            {
                if first {
                    return Err(self.unexpected(&["INCLUDING", "EXCLUDING", "OVERWRITING"]));
                }
                break;
            }
            first = false;
            let feature = self.text(0).to_ascii_uppercase();
            if !matches!(
                feature.as_str(),
                "ALL"
                    | "CONSTRAINTS"
                    | "PARTITIONS"
                    | "DISTRIBUTION"
                    | "GENERATED"
                    | "METADATA"
                    | "OPTIONS"
                    | "WATERMARKS"
            ) {
                return Err(self.unexpected(&["ALL", "CONSTRAINTS", "OPTIONS", "WATERMARKS"]));
            }
            self.advance();
            if seen.contains(&feature) {
                self.validate_error(at, "Each like option feature can be declared only once");
            }
            if strategy == "OVERWRITING"
                && matches!(
                    feature.as_str(),
                    "ALL" | "CONSTRAINTS" | "PARTITIONS" | "DISTRIBUTION"
                )
            {
                self.validate_error(
                    at,
                    format!("Illegal merging strategy 'OVERWRITING' for '{feature}' option"),
                );
            }
            seen.push(feature);
            if self.is_op(")") {
                break;
            }
            self.eat_op(",");
        }
        self.expect_op(")")
    }
}
