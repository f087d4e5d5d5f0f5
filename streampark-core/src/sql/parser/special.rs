//! Special expression forms: literals with a type keyword, `CASE`, `CAST`, `EXTRACT`, `POSITION`,
//! `SUBSTRING`, `TRIM`, `OVERLAY`, `CEIL … TO`, `INTERVAL`, constructors (`ARRAY`, `MAP`, `ROW`),
//! the JSON functions, and reserved words that name built-in functions.

use super::expr::{NILADIC, RESERVED_FUNCTIONS, upper_in};
use super::{PResult, Parser};
use crate::sql::lexer::TokKind;

impl Parser<'_> {
    pub(crate) fn word_primary(&mut self) -> PResult<()> {
        let w = self.upper(0);
        let reserved = self.tok(0).reserved;
        match w.as_str() {
            "TRUE" | "FALSE" | "NULL" | "UNKNOWN" => {
                self.advance();
                Ok(())
            }
            "DATE" | "TIME" | "TIMESTAMP" if self.tok(1).kind == TokKind::Str => {
                self.advance();
                self.advance();
                Ok(())
            }
            "TIMESTAMP" if self.is_kws(&["TIMESTAMP", "WITH", "LOCAL", "TIME", "ZONE"]) => {
                for _ in 0..5 {
                    self.advance();
                }
                self.expect_str().map(|_| ())
            }
            "INTERVAL" => self.interval(),
            "CASE" => self.case_expr(),
            "CAST" | "TRY_CAST" | "SAFE_CAST" => {
                self.advance();
                self.expect_op("(")?;
                self.expr()?;
                self.expect_kw("AS")?;
                if self.eat_kw("INTERVAL") {
                    self.interval_qualifier()?;
                } else {
                    self.data_type()?;
                }
                self.expect_op(")")
            }
            "EXTRACT" => {
                self.advance();
                self.expect_op("(")?;
                self.time_unit()?;
                self.expect_kw("FROM")?;
                self.expr()?;
                self.expect_op(")")
            }
            "POSITION" if self.is_op_at(1, "(") => {
                self.advance();
                self.advance();
                self.additive()?;
                self.expect_kw("IN")?;
                self.additive()?;
                if self.eat_kw("FROM") {
                    self.additive()?;
                }
                self.expect_op(")")
            }
            "SUBSTRING" | "OVERLAY" if self.is_op_at(1, "(") => {
                self.advance();
                self.advance();
                self.expr()?;
                if w == "OVERLAY" {
                    self.expect_kw("PLACING")?;
                    self.expr()?;
                }
                if self.eat_kw("FROM") {
                    self.expr()?;
                    if self.eat_kw("FOR") {
                        self.expr()?;
                    }
                } else if w == "SUBSTRING" {
                    while self.eat_op(",") {
                        self.expr()?;
                    }
                } else {
                    return Err(self.unexpected(&["FROM"]));
                }
                self.expect_op(")")
            }
            "TRIM" if self.is_op_at(1, "(") => {
                self.advance();
                self.advance();
                let flag = self.eat_kw("BOTH") || self.eat_kw("LEADING") || self.eat_kw("TRAILING");
                if self.eat_kw("FROM") {
                    self.expr()?;
                } else {
                    self.expr()?;
                    if self.eat_kw("FROM") {
                        self.expr()?;
                    } else if flag {
                        return Err(self.unexpected(&["FROM"]));
                    } else {
                        while self.eat_op(",") {
                            self.expr()?;
                        }
                    }
                }
                self.expect_op(")")
            }
            "CEIL" | "CEILING" | "FLOOR" if self.is_op_at(1, "(") => {
                self.advance();
                self.advance();
                self.expr()?;
                if self.eat_kw("TO") {
                    self.time_unit()?;
                } else {
                    while self.eat_op(",") {
                        self.expr()?;
                    }
                }
                self.expect_op(")")
            }
            "CONVERT" | "TRANSLATE" if self.is_op_at(1, "(") => {
                self.advance();
                self.advance();
                self.expr()?;
                if self.eat_kw("USING") {
                    self.compound_ident()?;
                } else {
                    while self.eat_op(",") {
                        self.expr()?;
                    }
                }
                self.expect_op(")")
            }
            "TIMESTAMPADD" | "TIMESTAMPDIFF" if self.is_op_at(1, "(") => {
                self.advance();
                self.advance();
                self.time_unit()?;
                self.expect_op(",")?;
                self.expr()?;
                self.expect_op(",")?;
                self.expr()?;
                self.expect_op(")")
            }
            "EXISTS" | "UNIQUE" if self.is_op_at(1, "(") => {
                self.advance();
                self.advance();
                self.query()?;
                self.expect_op(")")
            }
            "ARRAY" | "MAP" | "MULTISET" if self.is_op_at(1, "[") => {
                self.advance();
                self.advance();
                if !self.is_op("]") {
                    self.expr_list()?;
                }
                self.expect_op("]")
            }
            "ARRAY" | "MAP" | "MULTISET" if self.is_op_at(1, "(") => {
                self.advance();
                self.advance();
                if self.paren_starts_query(0) {
                    self.query()?;
                } else if !self.is_op(")") {
                    self.expr_list()?;
                }
                self.expect_op(")")
            }
            "ROW" if self.is_op_at(1, "(") => {
                self.advance();
                self.advance();
                if !self.is_op(")") {
                    self.expr_list()?;
                }
                self.expect_op(")")
            }
            "CURSOR" if self.is_op_at(1, "(") => {
                self.advance();
                self.advance();
                self.query()?;
                self.expect_op(")")
            }
            "JSON_OBJECT" | "JSON_OBJECTAGG" if self.is_op_at(1, "(") => {
                self.advance();
                self.advance();
                self.json_object_args()?;
                self.expect_op(")")?;
                self.after_call()
            }
            "JSON_ARRAY" | "JSON_ARRAYAGG" | "JSON_VALUE" | "JSON_QUERY" | "JSON_EXISTS"
                if self.is_op_at(1, "(") =>
            {
                self.advance();
                self.advance();
                self.json_generic_args()?;
                self.expect_op(")")?;
                self.after_call()
            }
            "DEFAULT" => {
                self.advance();
                Ok(())
            }
            "RUNNING" | "FINAL" if !self.is_op_at(1, "(") && self.tok(1).kind == TokKind::Word => {
                self.advance();
                self.primary()
            }
            _ if reserved => {
                if upper_in(w.as_str(), NILADIC) && !self.is_op_at(1, "(") {
                    self.advance();
                    return Ok(());
                }
                if self.is_op_at(1, "(") && upper_in(w.as_str(), RESERVED_FUNCTIONS) {
                    self.advance();
                    self.call_args()?;
                    return self.after_call();
                }
                Err(self.unexpected(&["an expression"]))
            }
            _ => self.name_or_call(),
        }
    }

    pub(crate) fn interval(&mut self) -> PResult<()> {
        self.advance(); // INTERVAL
        if self.is_op("+") || self.is_op("-") {
            self.advance();
        }
        if self.is_str() {
            self.advance();
        } else {
            self.unary()?;
        }
        self.interval_qualifier()
    }

    /// `YEAR [(p)] [TO MONTH]`, `DAY TO SECOND(3)`, `SECOND(p, s)`, …
    pub(crate) fn interval_qualifier(&mut self) -> PResult<()> {
        self.time_unit()?;
        self.opt_precision()?;
        if self.eat_kw("TO") {
            self.time_unit()?;
            self.opt_precision()?;
        }
        Ok(())
    }

    pub(crate) fn opt_precision(&mut self) -> PResult<()> {
        if self.is_op("(") && self.tok(1).kind == TokKind::Number {
            self.advance();
            self.advance();
            if self.eat_op(",") {
                self.expect_number()?;
            }
            self.expect_op(")")?;
        }
        Ok(())
    }

    pub(crate) fn expect_number(&mut self) -> PResult<()> {
        if self.tok(0).kind == TokKind::Number {
            self.advance();
            Ok(())
        } else {
            Err(self.unexpected(&["a number"]))
        }
    }

    pub(crate) fn case_expr(&mut self) -> PResult<()> {
        self.advance(); // CASE
        if !self.is_kw("WHEN") {
            self.expr()?;
        }
        if !self.is_kw("WHEN") {
            return Err(self.unexpected(&["WHEN"]));
        }
        while self.eat_kw("WHEN") {
            self.expr_list()?;
            self.expect_kw("THEN")?;
            self.expr()?;
        }
        if self.eat_kw("ELSE") {
            self.expr()?;
        }
        self.expect_kw("END")
    }

    pub(crate) fn json_object_args(&mut self) -> PResult<()> {
        if self.is_op(")") {
            return Ok(());
        }
        loop {
            if self.is_kw("NULL") || self.is_kw("ABSENT") {
                self.advance();
                self.expect_kw("ON")?;
                self.expect_kw("NULL")?;
                break;
            }
            self.eat_kw("KEY");
            self.expr()?;
            if !(self.eat_kw("VALUE") || self.eat_op(":") || self.eat_op(",")) {
                return Err(self.unexpected(&["VALUE"]));
            }
            self.expr()?;
            self.json_format_opt()?;
            if !self.eat_op(",") {
                if self.is_kw("NULL") || self.is_kw("ABSENT") {
                    continue;
                }
                break;
            }
        }
        self.json_returning_opt()
    }

    pub(crate) fn json_generic_args(&mut self) -> PResult<()> {
        if self.is_op(")") {
            return Ok(());
        }
        // Loose: expressions, separated by commas, with JSON clause words in between.
        loop {
            if self.is_op(")") || self.at_eof() {
                return Ok(());
            }
            if self.eat_op(",") {
                continue;
            }
            let w = self.upper(0);
            match w.as_str() {
                "NULL" | "ABSENT" | "ERROR" | "EMPTY" | "TRUE" | "FALSE" | "UNKNOWN"
                    if self.is_kw_at(1, "ON") =>
                {
                    self.advance();
                    self.advance();
                    if !(self.eat_kw("NULL") || self.eat_kw("EMPTY") || self.eat_kw("ERROR")) {
                        return Err(self.unexpected(&["NULL", "EMPTY", "ERROR"]));
                    }
                }
                "DEFAULT" => {
                    self.advance();
                    self.expr()?;
                    self.expect_kw("ON")?;
                    if !(self.eat_kw("EMPTY") || self.eat_kw("ERROR")) {
                        return Err(self.unexpected(&["EMPTY", "ERROR"]));
                    }
                }
                "RETURNING" => {
                    self.advance();
                    self.data_type()?;
                }
                "WITHOUT" | "WITH" => {
                    self.advance();
                    self.eat_kw("CONDITIONAL");
                    self.eat_kw("UNCONDITIONAL");
                    self.eat_kw("ARRAY");
                    self.expect_kw("WRAPPER")?;
                }
                "EMPTY" => {
                    self.advance();
                    if !(self.eat_kw("ARRAY") || self.eat_kw("OBJECT")) {
                        return Err(self.unexpected(&["ARRAY", "OBJECT"]));
                    }
                    self.expect_kw("ON")?;
                    if !(self.eat_kw("EMPTY") || self.eat_kw("ERROR")) {
                        return Err(self.unexpected(&["EMPTY", "ERROR"]));
                    }
                }
                "FORMAT" => {
                    self.advance();
                    self.expect_kw("JSON")?;
                }
                "ORDER" => {
                    self.advance();
                    self.expect_kw("BY")?;
                    self.order_items()?;
                }
                _ => {
                    self.expr()?;
                    if self.eat_kw("PASSING") {
                        self.expr()?;
                        self.expect_kw("AS")?;
                        self.ident()?;
                    }
                }
            }
        }
    }

    pub(crate) fn json_format_opt(&mut self) -> PResult<()> {
        if self.eat_kw("FORMAT") {
            self.expect_kw("JSON")?;
        }
        Ok(())
    }

    pub(crate) fn json_returning_opt(&mut self) -> PResult<()> {
        if self.eat_kw("RETURNING") {
            self.data_type()?;
        }
        Ok(())
    }
}
