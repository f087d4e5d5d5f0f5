//! ALTER and DROP for tables (columns, constraints, watermarks, distribution, partitions, options),
//! materialized tables, views, functions, catalogs, databases, models and connections.

use super::ddl::{Elements, Owner};
use super::{PResult, Parser};
use crate::sql::report::StatementKind;

impl Parser<'_> {
    pub(crate) fn alter(&mut self) -> PResult<()> {
        self.set_kind(StatementKind::Ddl, "ALTER");
        self.advance(); // ALTER
        let temporary = self.eat_kw("TEMPORARY");
        let system = temporary && self.eat_kw("SYSTEM");
        let what = self.upper(0);
        match what.as_str() {
            "TABLE" if !temporary => {
                self.advance();
                self.alter_table(Owner::Alter)
            }
            "MATERIALIZED" if !temporary => {
                self.advance();
                self.expect_kw("TABLE")?;
                self.alter_materialized_table()
            }
            "VIEW" if !temporary => {
                self.advance();
                self.compound_ident()?;
                if self.eat_kw("RENAME") {
                    self.expect_kw("TO")?;
                    self.compound_ident()?;
                    Ok(())
                } else if self.eat_kw("AS") {
                    self.query()
                } else {
                    Err(self.unexpected(&["RENAME TO", "AS"]))
                }
            }
            "FUNCTION" => {
                self.advance();
                self.if_exists()?;
                if system {
                    self.ident()?;
                } else {
                    self.compound_ident()?;
                }
                self.expect_kw("AS")?;
                self.expect_str()?;
                if self.eat_kw("LANGUAGE")
                    && !(self.eat_kw("JAVA")
                        || self.eat_kw("SCALA")
                        || self.eat_kw("PYTHON")
                        || self.eat_kw("SQL"))
                {
                    return Err(self.unexpected(&["JAVA", "SCALA", "PYTHON"]));
                }
                Ok(())
            }
            "CATALOG" if !temporary => {
                self.advance();
                self.ident()?;
                if self.eat_kw("SET") {
                    self.options()?;
                    Ok(())
                } else if self.eat_kw("RESET") {
                    self.option_keys()
                } else if self.eat_kw("COMMENT") {
                    self.expect_str().map(|_| ())
                } else {
                    Err(self.unexpected(&["SET", "RESET", "COMMENT"]))
                }
            }
            "DATABASE" if !temporary => {
                self.advance();
                self.compound_ident()?;
                self.expect_kw("SET")?;
                self.options()?;
                Ok(())
            }
            "MODEL" | "CONNECTION" if !temporary || what == "CONNECTION" => {
                if what == "CONNECTION" {
                    self.gate(2, 2, "connections", self.pos)?;
                }
                self.advance();
                self.if_exists()?;
                self.compound_ident()?;
                if self.eat_kw("SET") {
                    self.options()?;
                    Ok(())
                } else if self.eat_kw("RESET") {
                    self.option_keys()
                } else if self.eat_kw("RENAME") {
                    self.expect_kw("TO")?;
                    self.compound_ident()?;
                    Ok(())
                } else if self.eat_kw("COMMENT") {
                    self.expect_str().map(|_| ())
                } else {
                    Err(self.unexpected(&["SET", "RESET", "RENAME TO"]))
                }
            }
            _ => Err(self.unexpected(&["TABLE", "VIEW", "FUNCTION", "CATALOG", "DATABASE"])),
        }
    }

    pub(crate) fn alter_table(&mut self, owner: Owner) -> PResult<()> {
        self.if_exists()?;
        self.compound_ident()?;
        if self.eat_kw("RENAME") {
            if self.eat_kw("TO") {
                self.compound_ident()?;
                return Ok(());
            }
            self.compound_ident()?;
            self.expect_kw("TO")?;
            self.compound_ident()?;
            return Ok(());
        }
        if self.eat_kw("SET") {
            self.options()?;
            return Ok(());
        }
        if self.eat_kw("RESET") {
            return self.option_keys();
        }
        if self.is_kw("ADD") || self.is_kw("DROP") {
            let add = self.is_kw("ADD");
            let mut k = 1;
            if self.is_kw_at(1, "IF") {
                k = if add { 4 } else { 3 };
            }
            if self.is_kw_at(k, "PARTITION") {
                self.advance();
                if self.eat_kw("IF") {
                    if add {
                        self.expect_kw("NOT")?;
                    }
                    self.expect_kw("EXISTS")?;
                }
                loop {
                    self.expect_kw("PARTITION")?;
                    self.partition_spec_body()?;
                    if add && self.eat_kw("WITH") {
                        self.options()?;
                    }
                    if !add && !self.eat_op(",") {
                        break;
                    }
                    if add && !self.is_kw("PARTITION") {
                        break;
                    }
                }
                return Ok(());
            }
        }
        if self.is_kw("ADD") || self.is_kw("MODIFY") {
            self.gate(1, 16, "ALTER TABLE ADD/MODIFY", self.pos)?;
            self.advance();
            return self.add_or_modify(owner);
        }
        if self.is_kw("DROP") {
            self.gate(1, 17, "ALTER TABLE DROP", self.pos)?;
            self.advance();
            return self.alter_drop();
        }
        Err(self.unexpected(&["RENAME", "SET", "RESET", "ADD", "MODIFY", "DROP"]))
    }

    pub(crate) fn add_or_modify(&mut self, owner: Owner) -> PResult<()> {
        if self.is_kw("DISTRIBUTION") {
            self.advance();
            return self.distribution_body();
        }
        let mut els = Elements::default();
        if self.is_op("(") {
            self.table_elements(Owner::Alter)?;
            return Ok(());
        }
        let _ = owner;
        self.table_element(Owner::Alter, &mut els)
    }

    pub(crate) fn alter_drop(&mut self) -> PResult<()> {
        if self.eat_kws(&["PRIMARY", "KEY"])
            || self.eat_kw("WATERMARK")
            || self.eat_kw("DISTRIBUTION")
        {
            return Ok(());
        }
        if self.eat_kw("CONSTRAINT") {
            self.ident()?;
            return Ok(());
        }
        if self.eat_op("(") {
            loop {
                self.compound_ident()?;
                if !self.eat_op(",") {
                    break;
                }
            }
            return self.expect_op(")");
        }
        self.compound_ident()?;
        Ok(())
    }

    pub(crate) fn alter_materialized_table(&mut self) -> PResult<()> {
        self.compound_ident()?;
        if self.eat_kw("SUSPEND") {
            return Ok(());
        }
        if self.eat_kw("RESUME") {
            if self.eat_kw("WITH") {
                self.options()?;
            }
            return Ok(());
        }
        if self.eat_kw("REFRESH") {
            if self.eat_kw("PARTITION") {
                self.partition_spec_body()?;
            }
            return Ok(());
        }
        if self.eat_kw("SET") {
            if self.eat_kw("FRESHNESS") {
                self.expect_op("=")?;
                return self.freshness();
            }
            if self.eat_kw("REFRESH_MODE") {
                self.expect_op("=")?;
                if !(self.eat_kw("FULL") || self.eat_kw("CONTINUOUS")) {
                    return Err(self.unexpected(&["FULL", "CONTINUOUS"]));
                }
                return Ok(());
            }
            if self.is_op("(") {
                self.options()?;
                return Ok(());
            }
            return Err(self.unexpected(&["FRESHNESS", "REFRESH_MODE", "("]));
        }
        if self.eat_kw("RESET") {
            return self.option_keys();
        }
        // Flink 1.20 knows SUSPEND, RESUME, REFRESH, SET and RESET only.
        if self.is_kw("AS") {
            self.gate(2, 1, "ALTER MATERIALIZED TABLE … AS", self.pos)?;
            self.advance();
            return self.query();
        }
        if self.is_kw("ADD") || self.is_kw("MODIFY") {
            self.gate(2, 2, "ALTER MATERIALIZED TABLE ADD/MODIFY", self.pos)?;
            self.advance();
            return self.add_or_modify(Owner::Materialized);
        }
        if self.is_kw("DROP") {
            self.gate(2, 2, "ALTER MATERIALIZED TABLE DROP", self.pos)?;
            self.advance();
            return self.alter_drop();
        }
        if self.is_kw("RENAME") {
            self.gate(2, 2, "ALTER MATERIALIZED TABLE RENAME", self.pos)?;
            self.advance();
            if self.eat_kw("TO") {
                self.compound_ident()?;
                return Ok(());
            }
            self.compound_ident()?;
            self.expect_kw("TO")?;
            self.compound_ident()?;
            return Ok(());
        }
        Err(self.unexpected(&[
            "SUSPEND", "RESUME", "REFRESH", "SET", "RESET", "AS", "ADD", "MODIFY", "DROP",
        ]))
    }

    // ------------------------------------------------------------ DROP

    pub(crate) fn drop_stmt(&mut self) -> PResult<()> {
        self.set_kind(StatementKind::Ddl, "DROP");
        self.advance(); // DROP
        let temporary = self.eat_kw("TEMPORARY");
        let system_at = self.pos;
        let system = self.eat_kw("SYSTEM");
        let what = self.upper(0);
        match what.as_str() {
            "TABLE" | "VIEW" | "MODEL" if !system => self.advance(),
            "FUNCTION" => self.advance(),
            "CONNECTION" => {
                self.gate(2, 2, "connections", self.pos)?;
                if system && !temporary {
                    return Err(self.custom(
                        system_at,
                        "unsupported",
                        "DROP SYSTEM CONNECTION is not supported, system connections can only be \
                         dropped as temporary connections, you can use DROP TEMPORARY SYSTEM \
                         CONNECTION instead",
                    ));
                }
                self.advance();
            }
            "CATALOG" | "DATABASE" if !temporary && !system => self.advance(),
            "MATERIALIZED" if !system => {
                if temporary {
                    return Err(self.custom(
                        self.pos,
                        "unsupported",
                        "DROP TEMPORARY MATERIALIZED TABLE is not supported",
                    ));
                }
                self.advance();
                self.expect_kw("TABLE")?;
            }
            _ => {
                return Err(self.unexpected(&["TABLE", "VIEW", "FUNCTION", "CATALOG", "DATABASE"]));
            }
        }
        self.if_exists()?;
        if what == "CATALOG" || (system && what == "CONNECTION") {
            self.ident()?;
        } else {
            self.compound_ident()?;
        }
        if what == "DATABASE" && !self.eat_kw("RESTRICT") {
            self.eat_kw("CASCADE");
        }
        Ok(())
    }
}
