//! Function calls (`DISTINCT`, named and table arguments, `DESCRIPTOR`, `MODEL`), `WITHIN GROUP`,
//! `FILTER`, `OVER` windows and `ORDER BY` items.

use super::{PResult, Parser};
use crate::sql::lexer::TokKind;

impl Parser<'_> {
    /// `name[.name]*[.*]` or `name(args) …`.
    pub(crate) fn name_or_call(&mut self) -> PResult<()> {
        self.ident()?;
        loop {
            if self.is_op(".") {
                if self.is_op_at(1, "*") {
                    self.advance();
                    self.advance();
                    return Ok(());
                }
                if !(self.is_ident_at(1)
                    || (self.tok(1).kind == TokKind::Word && self.is_op_at(2, "(")))
                {
                    return Err(self.unexpected_at(self.pos, &["an identifier after `.`"]));
                }
                self.advance();
                self.advance();
                continue;
            }
            break;
        }
        if self.is_op("(") {
            self.call_args()?;
            self.after_call()?;
        }
        Ok(())
    }

    /// `( [DISTINCT|ALL] arg, … )` of a function call.
    pub(crate) fn call_args(&mut self) -> PResult<()> {
        self.expect_op("(")?;
        if self.eat_op(")") {
            return Ok(());
        }
        if self.is_op("*") && self.is_op_at(1, ")") {
            self.advance();
            self.advance();
            return Ok(());
        }
        if !self.eat_kw("DISTINCT") {
            self.eat_kw("ALL");
        }
        loop {
            self.call_arg()?;
            if !self.eat_op(",") {
                break;
            }
        }
        if self.eat_kw("RESPECT") || self.eat_kw("IGNORE") {
            self.expect_kw("NULLS")?;
        }
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            self.order_items()?;
        }
        if self.eat_kw("SEPARATOR") {
            self.expect_str()?;
        }
        self.expect_op(")")
    }

    pub(crate) fn call_arg(&mut self) -> PResult<()> {
        // named argument `name => value`
        if self.is_ident() && self.is_op_at(1, "=>") {
            self.advance();
            self.advance();
        }
        if self.is_kw("TABLE") {
            self.advance();
            if self.is_op("(") {
                self.advance();
                self.query()?;
                self.expect_op(")")?;
            } else {
                self.compound_ident()?;
            }
            if self.eat_kws(&["PARTITION", "BY"]) {
                if self.eat_op("(") {
                    self.expr_list()?;
                    self.expect_op(")")?;
                } else {
                    self.expr()?;
                }
            }
            if self.eat_kws(&["ORDER", "BY"]) {
                if self.eat_op("(") {
                    self.order_items()?;
                    self.expect_op(")")?;
                } else {
                    self.expr()?;
                    if !self.eat_kw("ASC") {
                        self.eat_kw("DESC");
                    }
                    if self.eat_kw("NULLS") && !(self.eat_kw("FIRST") || self.eat_kw("LAST")) {
                        return Err(self.unexpected(&["FIRST", "LAST"]));
                    }
                }
            }
            return Ok(());
        }
        if self.is_kw("DESCRIPTOR") && self.is_op_at(1, "(") {
            self.advance();
            self.advance();
            self.compound_ident()?;
            while self.eat_op(",") {
                self.compound_ident()?;
            }
            return self.expect_op(")");
        }
        if self.is_kw("MODEL") && (self.is_ident_at(1)) {
            self.advance();
            self.compound_ident()?;
            return Ok(());
        }
        if self.paren_starts_query(0) && !self.is_op("(") {
            return self.query();
        }
        if self.is_kw("SELECT") || self.is_kw("WITH") || self.is_kw("VALUES") {
            return self.query();
        }
        self.expr()?;
        if self.eat_kw("AS") {
            // CAST-like args in some functions, e.g. JSON RETURNING forms handled elsewhere.
            self.data_type()?;
        }
        Ok(())
    }

    /// `RESPECT NULLS`, `WITHIN GROUP (…)`, `FILTER (WHERE …)`, `OVER …` after a call.
    pub(crate) fn after_call(&mut self) -> PResult<()> {
        if (self.is_kw("RESPECT") || self.is_kw("IGNORE")) && self.is_kw_at(1, "NULLS") {
            self.advance();
            self.advance();
        }
        if self.is_kws(&["WITHIN", "GROUP"]) {
            self.advance();
            self.advance();
            self.expect_op("(")?;
            self.expect_kws(&["ORDER", "BY"])?;
            self.order_items()?;
            self.expect_op(")")?;
        } else if self.is_kws(&["WITHIN", "DISTINCT"]) {
            self.advance();
            self.advance();
            self.expect_op("(")?;
            self.expr_list()?;
            self.expect_op(")")?;
        }
        if self.is_kw("FILTER") && self.is_op_at(1, "(") {
            self.advance();
            self.advance();
            self.expect_kw("WHERE")?;
            self.expr()?;
            self.expect_op(")")?;
        }
        if self.eat_kw("OVER") {
            if self.is_op("(") {
                self.window_spec()?;
            } else {
                self.ident()?;
            }
        }
        Ok(())
    }

    /// `( [name] [PARTITION BY …] [ORDER BY …] [ROWS|RANGE …] )`.
    pub(crate) fn window_spec(&mut self) -> PResult<()> {
        self.expect_op("(")?;
        if self.is_ident() {
            self.advance();
        }
        if self.eat_kw("PARTITION") {
            self.expect_kw("BY")?;
            self.expr_list()?;
        }
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            self.order_items()?;
        }
        if self.eat_kw("ROWS") || self.eat_kw("RANGE") {
            if self.eat_kw("BETWEEN") {
                self.window_bound()?;
                self.expect_kw("AND")?;
                self.window_bound()?;
            } else {
                self.window_bound()?;
            }
            if self.eat_kw("EXCLUDE")
                && !(self.eat_kws(&["CURRENT", "ROW"])
                    || self.eat_kw("GROUP")
                    || self.eat_kw("TIES")
                    || self.eat_kws(&["NO", "OTHERS"]))
            {
                return Err(self.unexpected(&["CURRENT ROW", "GROUP", "TIES", "NO OTHERS"]));
            }
        }
        if self.eat_kw("ALLOW") || self.eat_kw("DISALLOW") {
            self.expect_kw("PARTIAL")?;
        }
        self.expect_op(")")
    }

    pub(crate) fn window_bound(&mut self) -> PResult<()> {
        if self.eat_kw("UNBOUNDED") {
            if !(self.eat_kw("PRECEDING") || self.eat_kw("FOLLOWING")) {
                return Err(self.unexpected(&["PRECEDING", "FOLLOWING"]));
            }
            return Ok(());
        }
        if self.eat_kws(&["CURRENT", "ROW"]) {
            return Ok(());
        }
        self.additive()?;
        if !(self.eat_kw("PRECEDING") || self.eat_kw("FOLLOWING")) {
            return Err(self.unexpected(&["PRECEDING", "FOLLOWING"]));
        }
        Ok(())
    }

    /// `expr [ASC|DESC] [NULLS FIRST|LAST], …`.
    pub(crate) fn order_items(&mut self) -> PResult<()> {
        loop {
            self.expr()?;
            if !self.eat_kw("ASC") {
                self.eat_kw("DESC");
            }
            if self.eat_kw("NULLS") && !(self.eat_kw("FIRST") || self.eat_kw("LAST")) {
                return Err(self.unexpected(&["FIRST", "LAST"]));
            }
            if !self.eat_op(",") {
                return Ok(());
            }
        }
    }
}
