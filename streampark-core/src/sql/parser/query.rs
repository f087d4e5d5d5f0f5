//! Queries (`SELECT`, `VALUES`, `WITH`, set operations, joins, window TVFs, temporal joins,
//! `MATCH_RECOGNIZE`, hints) and DML (`INSERT`/`UPSERT`, `DELETE`, `UPDATE`).

use super::{PResult, Parser};
use crate::sql::lexer::TokKind;

impl Parser<'_> {
    /// A query as a whole statement.
    pub(crate) fn query_stmt(&mut self) -> PResult<()> {
        self.query()
    }

    /// `[WITH …] body [ORDER BY …] [LIMIT …] [OFFSET …] [FETCH …]`.
    pub(crate) fn query(&mut self) -> PResult<()> {
        self.enter()?;
        let r = self.query_inner();
        self.leave();
        r
    }

    pub(crate) fn query_inner(&mut self) -> PResult<()> {
        if self.eat_kw("WITH") {
            self.eat_kw("RECURSIVE");
            loop {
                let name = self.ident()?;
                self.facts.local_names.push(name.to_ascii_lowercase());
                if self.is_op("(") {
                    self.paren_ident_list()?;
                }
                self.expect_kw("AS")?;
                self.expect_op("(")?;
                self.query()?;
                self.expect_op(")")?;
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        self.set_body()?;
        self.order_limit()
    }

    pub(crate) fn order_limit(&mut self) -> PResult<()> {
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            self.order_items()?;
        }
        if self.is_kw("LIMIT") {
            let at = self.pos;
            self.advance();
            if !self.eat_kw("ALL") {
                self.limit_value()?;
            }
            if self.is_op(",") {
                return Err(self.custom(
                    at,
                    "syntax-error",
                    "`LIMIT start, count` is not allowed in Flink SQL; use `LIMIT count OFFSET start`",
                ));
            }
        }
        if self.eat_kw("OFFSET") {
            self.limit_value()?;
            if !self.eat_kw("ROW") {
                self.eat_kw("ROWS");
            }
        }
        if self.eat_kw("FETCH") {
            if !(self.eat_kw("FIRST") || self.eat_kw("NEXT")) {
                return Err(self.unexpected(&["FIRST", "NEXT"]));
            }
            if !self.is_kw("ROW") && !self.is_kw("ROWS") {
                self.limit_value()?;
            }
            if !(self.eat_kw("ROW") || self.eat_kw("ROWS")) {
                return Err(self.unexpected(&["ROW", "ROWS"]));
            }
            self.expect_kw("ONLY")?;
        }
        Ok(())
    }

    pub(crate) fn limit_value(&mut self) -> PResult<()> {
        if self.tok(0).kind == TokKind::Number || self.tok(0).kind == TokKind::Param {
            self.advance();
            Ok(())
        } else {
            Err(self.unexpected(&["a number"]))
        }
    }

    pub(crate) fn set_body(&mut self) -> PResult<()> {
        self.query_term()?;
        while self.is_kw("UNION")
            || self.is_kw("EXCEPT")
            || self.is_kw("MINUS")
            || self.is_kw("INTERSECT")
        {
            self.advance();
            if !self.eat_kw("ALL") {
                self.eat_kw("DISTINCT");
            }
            self.query_term()?;
        }
        Ok(())
    }

    pub(crate) fn query_term(&mut self) -> PResult<()> {
        if self.is_op("(") {
            self.advance();
            self.query()?;
            return self.expect_op(")");
        }
        if self.is_kw("SELECT") {
            return self.select();
        }
        if self.eat_kw("VALUES") {
            return self.values_rows();
        }
        if self.is_kw("TABLE") {
            self.advance();
            let name = self.compound_ident()?;
            self.note_read(&name);
            return Ok(());
        }
        Err(self.unexpected(&["SELECT", "VALUES", "WITH", "("]))
    }

    /// `(a, b), (c, d)` after `VALUES`.
    pub(crate) fn values_rows(&mut self) -> PResult<()> {
        loop {
            if self.is_kw("ROW") {
                self.advance();
            }
            if self.is_op("(") {
                self.advance();
                self.expr_list()?;
                self.expect_op(")")?;
            } else {
                self.expr()?;
            }
            if !self.eat_op(",") {
                return Ok(());
            }
        }
    }

    pub(crate) fn select(&mut self) -> PResult<()> {
        self.advance(); // SELECT
        if self.tok(0).kind == TokKind::HintStart {
            self.hints()?;
        }
        self.eat_kw("STREAM");
        if !self.eat_kw("DISTINCT") {
            self.eat_kw("ALL");
        }
        self.select_items()?;
        if !self.eat_kw("FROM") {
            // Without FROM, Flink's grammar ends the SELECT after its list.
            return Ok(());
        }
        self.table_refs()?;
        if self.eat_kw("WHERE") {
            self.expr()?;
        }
        if self.eat_kw("GROUP") {
            self.expect_kw("BY")?;
            if !self.eat_kw("ALL") {
                self.eat_kw("DISTINCT");
            }
            self.group_items()?;
        }
        if self.eat_kw("HAVING") {
            self.expr()?;
        }
        if self.eat_kw("WINDOW") {
            loop {
                self.ident()?;
                self.expect_kw("AS")?;
                self.window_spec()?;
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        if self.eat_kw("QUALIFY") {
            self.expr()?;
        }
        Ok(())
    }

    pub(crate) fn select_items(&mut self) -> PResult<()> {
        loop {
            if self.is_op("*") {
                self.advance();
                self.opt_alias(false)?;
            } else {
                self.expr()?;
                self.opt_alias(true)?;
            }
            if !self.eat_op(",") {
                return Ok(());
            }
        }
    }

    /// `[AS] alias`; returns whether one was present.
    pub(crate) fn opt_alias(&mut self, allow_columns: bool) -> PResult<bool> {
        if self.eat_kw("AS") {
            if self.is_str() {
                self.advance();
            } else {
                let a = self.ident()?;
                self.facts.local_names.push(a.to_ascii_lowercase());
            }
        } else if self.is_ident() {
            let a = self.ident()?;
            self.facts.local_names.push(a.to_ascii_lowercase());
        } else {
            return Ok(false);
        }
        if allow_columns && self.is_op("(") && self.is_ident_at(1) {
            // column aliases only follow table aliases; the select list never has them
        }
        Ok(true)
    }

    pub(crate) fn group_items(&mut self) -> PResult<()> {
        loop {
            self.group_item()?;
            if !self.eat_op(",") {
                return Ok(());
            }
        }
    }

    pub(crate) fn group_item(&mut self) -> PResult<()> {
        if self.is_op("(") && self.is_op_at(1, ")") {
            self.advance();
            self.advance();
            return Ok(());
        }
        if (self.is_kw("ROLLUP") || self.is_kw("CUBE")) && self.is_op_at(1, "(") {
            self.advance();
            self.advance();
            self.group_items()?;
            return self.expect_op(")");
        }
        if self.is_kws(&["GROUPING", "SETS"]) {
            self.advance();
            self.advance();
            self.expect_op("(")?;
            self.group_items()?;
            return self.expect_op(")");
        }
        self.expr()
    }

    pub(crate) fn table_refs(&mut self) -> PResult<()> {
        loop {
            self.table_ref()?;
            if !self.eat_op(",") {
                return Ok(());
            }
        }
    }

    /// A table reference with its joins.
    pub(crate) fn table_ref(&mut self) -> PResult<()> {
        self.enter()?;
        let r = self.table_ref_inner();
        self.leave();
        r
    }

    pub(crate) fn table_ref_inner(&mut self) -> PResult<()> {
        self.table_primary()?;
        loop {
            let natural = self.eat_kw("NATURAL");
            if self.eat_kw("JOIN")
                || self.eat_kws(&["INNER", "JOIN"])
                || self.eat_kws(&["LEFT", "JOIN"])
                || self.eat_kws(&["LEFT", "OUTER", "JOIN"])
                || self.eat_kws(&["RIGHT", "JOIN"])
                || self.eat_kws(&["RIGHT", "OUTER", "JOIN"])
                || self.eat_kws(&["FULL", "JOIN"])
                || self.eat_kws(&["FULL", "OUTER", "JOIN"])
            {
                self.table_primary()?;
                if !natural {
                    if self.eat_kw("ON") {
                        self.expr()?;
                    } else if self.eat_kw("USING") {
                        self.paren_ident_list()?;
                    }
                }
                continue;
            }
            if natural {
                return Err(self.unexpected(&["JOIN"]));
            }
            if self.eat_kws(&["CROSS", "JOIN"]) {
                self.table_primary()?;
                continue;
            }
            if self.is_kws(&["CROSS", "APPLY"]) || self.is_kws(&["OUTER", "APPLY"]) {
                return Err(self.unexpected(&[]));
            }
            return Ok(());
        }
    }

    pub(crate) fn table_primary(&mut self) -> PResult<()> {
        if self.is_op("(") {
            self.advance();
            if self.paren_starts_query(0) {
                self.query()?;
            } else {
                self.table_ref()?;
            }
            self.expect_op(")")?;
        } else if self.eat_kw("LATERAL") {
            if self.is_kw("UNNEST") {
                return self.table_primary();
            }
            if self.eat_kw("TABLE") {
                self.expect_op("(")?;
                self.table_function_call()?;
                self.expect_op(")")?;
            } else {
                self.expect_op("(")?;
                self.query()?;
                self.expect_op(")")?;
            }
        } else if self.is_kw("TABLE") && self.is_op_at(1, "(") {
            self.advance();
            self.advance();
            self.table_function_call()?;
            self.expect_op(")")?;
        } else if self.is_kw("UNNEST") && self.is_op_at(1, "(") {
            self.advance();
            self.advance();
            self.expr_list()?;
            self.expect_op(")")?;
            if self.eat_kw("WITH") {
                self.expect_kw("ORDINALITY")?;
            }
        } else if self.is_ident() {
            let start = self.pos;
            let name = self.compound_ident()?;
            if self.is_op("(") {
                // A table function called directly: `FROM TUMBLE(TABLE t, …)`, `FROM f(x)`.
                self.gate_direct_table_args()?;
                return self.call_args().and_then(|()| self.table_suffix());
            }
            self.note_read_at(&name, start);
            if self.tok(0).kind == TokKind::HintStart {
                self.hints()?;
            }
            if self.is_kw("FOR") {
                self.advance();
                self.expect_kw("SYSTEM_TIME")?;
                self.expect_kws(&["AS", "OF"])?;
                self.expr()?;
            }
        } else {
            return Err(self.unexpected(&["a table name", "(", "LATERAL", "TABLE", "UNNEST"]));
        }
        self.table_suffix()
    }

    /// `MATCH_RECOGNIZE (…)`, `TABLESAMPLE …`, `[AS] alias [(columns)]` after a table primary.
    pub(crate) fn table_suffix(&mut self) -> PResult<()> {
        if self.is_kw("MATCH_RECOGNIZE") {
            self.match_recognize()?;
        }
        if self.eat_kw("TABLESAMPLE") {
            if !(self.eat_kw("BERNOULLI") || self.eat_kw("SYSTEM")) {
                return Err(self.unexpected(&["BERNOULLI", "SYSTEM"]));
            }
            self.expect_op("(")?;
            self.expect_number()?;
            self.expect_op(")")?;
        }
        if self.opt_alias(false)? && self.is_op("(") {
            self.paren_ident_list()?;
        }
        Ok(())
    }

    pub(crate) fn table_function_call(&mut self) -> PResult<()> {
        // name(args): the window TVFs (TUMBLE/HOP/CUMULATE/SESSION) and user functions.
        let t = self.tok(0);
        if t.kind == TokKind::Word && t.reserved && !self.is_op_at(1, "(") {
            return Err(self.unexpected(&["a table function call"]));
        }
        if t.kind == TokKind::Word && t.reserved {
            self.advance();
        } else {
            self.compound_ident()?;
        }
        self.call_args()
    }

    pub(crate) fn match_recognize(&mut self) -> PResult<()> {
        self.advance(); // MATCH_RECOGNIZE
        self.expect_op("(")?;
        if self.eat_kw("PARTITION") {
            self.expect_kw("BY")?;
            self.expr_list()?;
        }
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            self.order_items()?;
        }
        if self.eat_kw("MEASURES") {
            loop {
                self.expr()?;
                self.expect_kw("AS")?;
                self.ident()?;
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        if self.eat_kws(&["ONE", "ROW", "PER", "MATCH"]) {
        } else if self.eat_kws(&["ALL", "ROWS", "PER", "MATCH"]) {
            if self.eat_kw("SHOW") || self.eat_kw("OMIT") {
                self.expect_kws(&["EMPTY", "MATCHES"])?;
            } else if self.eat_kw("WITH") {
                self.expect_kws(&["UNMATCHED", "ROWS"])?;
            }
        }
        if self.eat_kws(&["AFTER", "MATCH", "SKIP"]) {
            if self.eat_kws(&["TO", "NEXT", "ROW"]) || self.eat_kws(&["PAST", "LAST", "ROW"]) {
            } else if self.eat_kw("TO") {
                if !self.eat_kw("FIRST") {
                    self.eat_kw("LAST");
                }
                self.ident()?;
            } else {
                return Err(self.unexpected(&["TO", "PAST"]));
            }
        }
        self.expect_kw("PATTERN")?;
        self.expect_op("(")?;
        let mut depth = 1u32;
        while depth > 0 {
            if self.at_eof() {
                return Err(self.unexpected(&[")"]));
            }
            if self.is_op("(") {
                depth += 1;
            } else if self.is_op(")") {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            self.advance();
        }
        self.expect_op(")")?;
        if self.eat_kw("WITHIN") {
            self.expr()?;
        }
        if self.eat_kw("SUBSET") {
            loop {
                self.ident()?;
                self.expect_op("=")?;
                self.paren_ident_list()?;
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        self.expect_kw("DEFINE")?;
        loop {
            self.ident()?;
            self.expect_kw("AS")?;
            self.expr()?;
            if !self.eat_op(",") {
                break;
            }
        }
        self.expect_op(")")
    }

    /// `/*+ name[(options)] [, …] */`.
    pub(crate) fn hints(&mut self) -> PResult<()> {
        self.advance(); // /*+
        loop {
            if !self.is_ident() && self.tok(0).kind != TokKind::Word {
                return Err(self.unexpected(&["a hint name"]));
            }
            self.advance();
            if self.eat_op("(") {
                if !self.is_op(")") {
                    self.hint_options()?;
                }
                self.expect_op(")")?;
            }
            if !self.eat_op(",") {
                break;
            }
        }
        if self.tok(0).kind == TokKind::HintEnd {
            self.advance();
            Ok(())
        } else {
            Err(self.unexpected(&[",", "*/"]))
        }
    }

    pub(crate) fn hint_options(&mut self) -> PResult<()> {
        // `key = 'value'` pairs (key an identifier or string), or a list of simple identifiers,
        // string literals or numbers.
        let kv = (self.is_str() || self.tok(0).kind == TokKind::Word || self.is_ident())
            && self.is_op_at(1, "=");
        loop {
            if kv {
                let at = self.pos;
                if self.is_str() || self.tok(0).kind == TokKind::Word || self.is_ident() {
                    self.advance();
                } else {
                    return Err(self.unexpected(&["a hint option key"]));
                }
                self.expect_op("=")?;
                if !self.is_str() {
                    // Flink names the start of the option.
                    return Err(self.unexpected_at(at, &["'key' = 'value'"]));
                }
                self.advance();
            } else if self.is_str() || self.tok(0).kind == TokKind::Number {
                self.advance();
            } else {
                self.ident()?;
                if self.is_op(".") {
                    return Err(self.unexpected_at(self.pos - 1, &[",", ")"]));
                }
            }
            if !self.eat_op(",") {
                return Ok(());
            }
        }
    }

    pub(crate) fn note_read(&mut self, name: &[String]) {
        let at = self.pos.saturating_sub(1);
        self.note_read_at(name, at);
    }

    pub(crate) fn note_read_at(&mut self, name: &[String], at: usize) {
        if let Some(last) = name.last() {
            self.facts.read.push((last.to_ascii_lowercase(), at));
        }
    }

    /// Before Flink 2.0, a table function called directly in FROM takes plain expressions only:
    /// the parser stops at the first `TABLE` or `MODEL` argument or `=>` of its argument list.
    fn gate_direct_table_args(&mut self) -> PResult<()> {
        if self.version >= (2, 0) {
            return Ok(());
        }
        let mut depth = 0usize;
        let mut k = 0usize;
        loop {
            let t = self.tok(k);
            if t.kind == TokKind::Eof {
                return Ok(());
            }
            if self.is_op_at(k, "(") {
                depth += 1;
            } else if self.is_op_at(k, ")") {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(());
                }
            } else if depth == 1 {
                let arg_start = self.is_op_at(k - 1, "(") || self.is_op_at(k - 1, ",");
                if self.is_op_at(k, "=>")
                    || (arg_start && (self.is_kw_at(k, "TABLE") || self.is_kw_at(k, "MODEL")))
                {
                    return self.gate(2, 0, "table arguments in FROM f(…)", self.pos + k);
                }
            }
            k += 1;
        }
    }
}
