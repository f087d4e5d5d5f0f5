//! CREATE for materialized tables (freshness, refresh and start modes), functions
//! (`LANGUAGE`, `USING JAR`) and models (`INPUT`/`OUTPUT`).

use super::ddl::Owner;
use super::{PResult, Parser};

impl Parser<'_> {
    pub(crate) fn create_materialized_table(&mut self) -> PResult<()> {
        self.if_not_exists()?;
        let at = self.pos;
        let name = self.compound_ident()?;
        self.note_created(&name, at);
        if self.is_op("(") {
            // Flink 1.20 takes only a constraint between the parentheses.
            if !(self.is_kw_at(1, "PRIMARY") || self.is_kw_at(1, "CONSTRAINT")) {
                self.gate(2, 2, "columns of a materialized table", self.pos + 1)?;
            }
            self.table_elements(Owner::Materialized)?;
        }
        self.table_tail(true)?;
        if self.eat_kw("WITH") {
            self.options()?;
        }
        self.mt_properties()?;
        self.expect_kw("AS")?;
        self.query()
    }

    /// `[FRESHNESS = …] [REFRESH_MODE = …] [START_MODE = …]`.
    pub(crate) fn mt_properties(&mut self) -> PResult<()> {
        if self.eat_kw("FRESHNESS") {
            self.expect_op("=")?;
            self.freshness()?;
        }
        if self.eat_kw("REFRESH_MODE") {
            self.expect_op("=")?;
            if !(self.eat_kw("FULL") || self.eat_kw("CONTINUOUS")) {
                return Err(self.unexpected(&["FULL", "CONTINUOUS"]));
            }
        }
        if self.is_kw("START_MODE") {
            self.gate(2, 2, "START_MODE", self.pos)?;
            self.advance();
            self.expect_op("=")?;
            self.start_mode()?;
        }
        Ok(())
    }

    pub(crate) fn freshness(&mut self) -> PResult<()> {
        let at = self.pos;
        self.expect_kw("INTERVAL")?;
        if self.is_str() {
            self.advance();
            self.time_unit()?;
            Ok(())
        } else {
            self.pos = at;
            self.expr()?;
            Err(self.custom(
                self.pos.saturating_sub(1),
                "syntax-error",
                "MATERIALIZED TABLE only supports define interval type FRESHNESS, please refer to the materialized table document",
            ))
        }
    }

    pub(crate) fn start_mode(&mut self) -> PResult<()> {
        let w = self.upper(0);
        match w.as_str() {
            "FROM_BEGINNING" | "RESUME_OR_FROM_BEGINNING" => {
                self.advance();
                Ok(())
            }
            "FROM_NOW" | "RESUME_OR_FROM_NOW" => {
                self.advance();
                if self.eat_op("(") {
                    if !self.is_kw("INTERVAL") {
                        let lit =
                            self.is_kw("TIMESTAMP") || self.is_kw("DATE") || self.is_kw("TIME");
                        let at = self.pos + usize::from(lit);
                        self.expr()?;
                        return Err(self.custom(
                            at,
                            "syntax-error",
                            "START_MODE literal must be an interval for FROM_NOW and RESUME_OR_FROM_NOW modes",
                        ));
                    }
                    self.expr()?;
                    self.expect_op(")")?;
                }
                Ok(())
            }
            "FROM_TIMESTAMP" | "RESUME_OR_FROM_TIMESTAMP" => {
                self.advance();
                self.expect_op("(")?;
                if !self.is_kw("TIMESTAMP") {
                    return Err(self.unexpected(&["TIMESTAMP"]));
                }
                self.expr()?;
                self.expect_op(")")
            }
            _ => Err(self.unexpected(&["FROM_BEGINNING", "FROM_NOW", "FROM_TIMESTAMP"])),
        }
    }

    pub(crate) fn create_function(&mut self, system: bool) -> PResult<()> {
        self.if_not_exists()?;
        if system {
            self.ident()?;
        } else {
            self.compound_ident()?;
        }
        self.expect_kw("AS")?;
        self.expect_str()?;
        let mut language = String::new();
        let mut language_at = self.pos;
        if self.eat_kw("LANGUAGE") {
            language_at = self.pos;
            language = self.text(0).to_ascii_uppercase();
            if !(self.eat_kw("JAVA")
                || self.eat_kw("SCALA")
                || self.eat_kw("PYTHON")
                || self.eat_kw("SQL"))
            {
                return Err(self.unexpected(&["JAVA", "SCALA", "PYTHON", "SQL"]));
            }
        }
        if self.is_kw("USING") {
            let at = language_at;
            self.advance();
            if language == "SQL" || language == "PYTHON" {
                return Err(self.custom(
                    at,
                    "syntax-error",
                    format!("CREATE FUNCTION USING JAR/ARTIFACT syntax is not applicable to {language} language"),
                ));
            }
            loop {
                if !(self.eat_kw("JAR") || self.eat_kw("ARTIFACT")) {
                    return Err(self.unexpected(&["JAR", "ARTIFACT"]));
                }
                self.expect_str()?;
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        if self.eat_kw("WITH") {
            self.options()?;
        }
        Ok(())
    }

    pub(crate) fn create_model(&mut self) -> PResult<()> {
        self.if_not_exists()?;
        let at = self.pos;
        self.compound_ident()?;
        let mut io = false;
        if self.eat_kw("INPUT") {
            self.model_columns()?;
            io = true;
        }
        if self.eat_kw("OUTPUT") {
            self.model_columns()?;
            io = true;
        }
        self.comment_opt()?;
        self.expect_kw("WITH")?;
        self.options()?;
        if self.eat_kw("AS") {
            self.query()?;
            if io {
                self.validate_error(
                    at,
                    "CREATE MODEL AS SELECT syntax does not support to specify explicit input columns",
                );
            }
        }
        Ok(())
    }

    pub(crate) fn model_columns(&mut self) -> PResult<()> {
        self.expect_op("(")?;
        loop {
            self.ident()?;
            self.data_type()?;
            let _nullability = self.eat_kws(&["NOT", "NULL"]) || self.eat_kw("NULL");
            self.comment_opt()?;
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op(")")
    }
}
