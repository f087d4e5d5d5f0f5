//! DML: `INSERT INTO|OVERWRITE` (hints, extended columns, `PARTITION`, column list,
//! `ON CONFLICT`), `UPSERT`, `DELETE`, `UPDATE`.

use super::{PResult, Parser};
use crate::sql::lexer::TokKind;

impl Parser<'_> {
    /// `INSERT INTO|OVERWRITE t [PARTITION (…)] [(cols)] query`.
    pub(crate) fn insert(&mut self) -> PResult<()> {
        let upsert = self.is_kw("UPSERT");
        let start = self.pos;
        self.advance();
        if self.is_kw("OVERWRITE") {
            if upsert {
                return Err(self.custom(
                    self.pos,
                    "syntax-error",
                    "OVERWRITE expression is only used with INSERT statement",
                ));
            }
            self.advance();
        } else {
            self.expect_kw("INTO")?;
        }
        let _ = start;
        let name_at = self.pos;
        let name = self.compound_ident()?;
        self.facts.inserted.push((
            name.last()
                .cloned()
                .unwrap_or_default()
                .to_ascii_lowercase(),
            name_at,
        ));
        if self.tok(0).kind == TokKind::HintStart {
            self.hints()?;
        }
        if self.is_op("(")
            && !self.paren_starts_query(0)
            && self.is_ident_at(1)
            && !self.is_op_at(2, ",")
            && !self.is_op_at(2, ")")
            && !self.is_op_at(2, ".")
        {
            // extended columns `t (name TYPE, …)`
            self.advance();
            loop {
                self.compound_ident()?;
                self.data_type()?;
                if !self.eat_op(",") {
                    break;
                }
            }
            self.expect_op(")")?;
        }
        if self.eat_kw("PARTITION") {
            self.partition_spec_body()?;
        }
        if self.is_op("(") && !self.paren_starts_query(0) {
            self.advance();
            loop {
                self.compound_ident()?;
                if !self.is_op(",") && !self.is_op(")") {
                    return Err(self.custom(
                        self.pos,
                        "syntax-error",
                        "Extended columns not allowed under the current SQL conformance level",
                    ));
                }
                if !self.eat_op(",") {
                    break;
                }
            }
            self.expect_op(")")?;
        }
        self.query()?;
        if self.is_kw("ON") && self.is_kw_at(1, "CONFLICT") {
            self.advance();
            self.advance();
            self.expect_kw("DO")?;
            if self.eat_kw("NOTHING") || self.eat_kw("ERROR") {
                return Ok(());
            }
            self.expect_kw("DEDUPLICATE")?;
        }
        Ok(())
    }

    /// `( key = literal, … )` after `PARTITION`.
    pub(crate) fn partition_spec_body(&mut self) -> PResult<()> {
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
        self.expect_op(")")
    }

    pub(crate) fn delete(&mut self) -> PResult<()> {
        // DELETE parses in every release (Calcite grammar); 1.17 added the planner support.
        self.advance();
        self.expect_kw("FROM")?;
        self.compound_ident()?;
        self.opt_alias(false)?;
        if self.eat_kw("WHERE") {
            self.expr()?;
        }
        Ok(())
    }

    pub(crate) fn update(&mut self) -> PResult<()> {
        // UPDATE parses in every release (Calcite grammar); 1.17 added the planner support.
        self.advance();
        self.compound_ident()?;
        self.opt_alias(false)?;
        self.expect_kw("SET")?;
        loop {
            self.compound_ident()?;
            self.expect_op("=")?;
            self.expr()?;
            if !self.eat_op(",") {
                break;
            }
        }
        if self.eat_kw("WHERE") {
            self.expr()?;
        }
        Ok(())
    }
}
