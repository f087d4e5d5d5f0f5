//! Flink data types (`ExtendedDataType` in Flink's grammar): SQL types, `STRING`, `BYTES`,
//! `TIMESTAMP_LTZ`, `ARRAY<…>`, `MAP<…>`, `MULTISET<…>`, `ROW<…>`/`ROW(…)`, `RAW(…)`, user types.

use super::{PResult, Parser};
use crate::sql::lexer::TokKind;

impl Parser<'_> {
    /// A data type with optional trailing `ARRAY`/`MULTISET` and nullability.
    pub(crate) fn data_type(&mut self) -> PResult<()> {
        self.enter()?;
        let r = self.data_type_inner(false);
        self.leave();
        r
    }

    /// A type inside `<…>`: may carry `NOT NULL`/`NULL`.
    pub(crate) fn nested_type(&mut self) -> PResult<()> {
        self.enter()?;
        let r = self.data_type_inner(true);
        self.leave();
        r
    }

    pub(crate) fn data_type_inner(&mut self, nullable_suffix: bool) -> PResult<()> {
        self.base_type()?;
        loop {
            if self.is_kw("ARRAY") || self.is_kw("MULTISET") {
                self.advance();
                continue;
            }
            if self.is_kws(&["NOT", "NULL"])
                && (nullable_suffix || self.is_kw_at(2, "ARRAY") || self.is_kw_at(2, "MULTISET"))
            {
                self.advance();
                self.advance();
                continue;
            }
            if nullable_suffix && self.is_kw("NULL") {
                self.advance();
                continue;
            }
            return Ok(());
        }
    }

    pub(crate) fn paren_len(&mut self) -> PResult<()> {
        if self.eat_op("(") {
            self.expect_number()?;
            self.expect_op(")")?;
        }
        Ok(())
    }

    pub(crate) fn paren_precision_scale(&mut self) -> PResult<()> {
        if self.eat_op("(") {
            self.expect_number()?;
            if self.eat_op(",") {
                self.expect_number()?;
            }
            self.expect_op(")")?;
        }
        Ok(())
    }

    pub(crate) fn base_type(&mut self) -> PResult<()> {
        let t = self.tok(0);
        if t.kind == TokKind::Quoted {
            self.compound_ident()?;
            return Ok(());
        }
        if t.kind != TokKind::Word {
            return Err(self.unexpected(&["a data type"]));
        }
        let w = self.upper(0);
        match w.as_str() {
            "CHAR" | "CHARACTER" => {
                self.advance();
                self.eat_kw("VARYING");
                self.paren_len()?;
                self.charset_opt()
            }
            "VARCHAR" | "BINARY" | "VARBINARY" => {
                self.advance();
                self.paren_len()?;
                self.charset_opt()
            }
            "STRING" | "BYTES" | "BOOLEAN" | "TINYINT" | "SMALLINT" | "INT" | "INTEGER"
            | "BIGINT" | "REAL" | "DATE" | "VARIANT" | "BITMAP" => {
                self.advance();
                Ok(())
            }
            "FLOAT" => {
                self.advance();
                self.paren_len()
            }
            "DOUBLE" => {
                self.advance();
                self.eat_kw("PRECISION");
                Ok(())
            }
            "DECIMAL" | "DEC" | "NUMERIC" => {
                self.advance();
                self.paren_precision_scale()
            }
            "TIME" => {
                self.advance();
                self.paren_len()?;
                if self.eat_kw("WITHOUT") {
                    self.expect_kws(&["TIME", "ZONE"])?;
                } else if self.is_kws(&["WITH", "LOCAL"]) {
                    self.advance();
                    self.advance();
                    self.expect_kws(&["TIME", "ZONE"])?;
                }
                Ok(())
            }
            "TIMESTAMP" => {
                self.advance();
                self.paren_len()?;
                if self.eat_kw("WITHOUT") {
                    self.expect_kws(&["TIME", "ZONE"])?;
                } else if self.is_kws(&["WITH", "LOCAL"]) {
                    self.advance();
                    self.advance();
                    self.expect_kws(&["TIME", "ZONE"])?;
                } else if self.is_kws(&["WITH", "TIME", "ZONE"]) {
                    self.advance();
                    self.advance();
                    self.advance();
                }
                Ok(())
            }
            "TIMESTAMP_LTZ" => {
                self.advance();
                self.paren_len()
            }
            "ARRAY" | "MULTISET" => {
                self.advance();
                self.expect_op("<")?;
                self.nested_type()?;
                self.expect_op(">")
            }
            "MAP" => {
                self.advance();
                self.expect_op("<")?;
                self.nested_type()?;
                self.expect_op(",")?;
                self.nested_type()?;
                self.expect_op(">")
            }
            "ROW" => {
                self.advance();
                if self.eat_op("<>") {
                    Ok(())
                } else if self.eat_op("<") {
                    if !self.is_op(">") {
                        self.row_fields(">")?;
                    }
                    self.expect_op(">")
                } else if self.eat_op("(") {
                    if !self.is_op(")") {
                        self.row_fields(")")?;
                    }
                    self.expect_op(")")
                } else {
                    Err(self.unexpected(&["<", "("]))
                }
            }
            "RAW" => {
                self.advance();
                self.expect_op("(")?;
                self.expect_str()?;
                self.expect_op(",")?;
                self.expect_str()?;
                self.expect_op(")")
            }
            "STRUCTURED" => {
                self.advance();
                self.expect_op("<")?;
                self.expect_str()?;
                while self.eat_op(",") {
                    self.ident()?;
                    self.nested_type()?;
                    if self.is_str() {
                        self.advance();
                    }
                }
                self.expect_op(">")
            }
            _ if t.reserved => Err(self.unexpected(&["a data type"])),
            _ => {
                self.compound_ident()?;
                Ok(())
            }
        }
    }

    pub(crate) fn charset_opt(&mut self) -> PResult<()> {
        if self.is_kws(&["CHARACTER", "SET"]) {
            self.advance();
            self.advance();
            self.ident()?;
        }
        Ok(())
    }

    pub(crate) fn row_fields(&mut self, close: &str) -> PResult<()> {
        loop {
            self.ident()?;
            self.nested_type()?;
            if self.is_str() {
                self.advance();
            }
            if !self.eat_op(",") {
                break;
            }
        }
        if !self.is_op(close) {
            return Err(self.unexpected(&[",", close]));
        }
        Ok(())
    }
}
