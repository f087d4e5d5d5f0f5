//! Expressions: Calcite's operator precedence, literals, special forms (`CAST`, `CASE`,
//! `EXTRACT`, `INTERVAL`, …), function calls with `FILTER`/`OVER`/`WITHIN GROUP`.

use super::{PResult, Parser};
use crate::sql::lexer::TokKind;

/// Reserved words that still name built-in functions when followed by `(`.
pub(crate) const RESERVED_FUNCTIONS: &[&str] = &[
    "ABS",
    "ARRAY_AGG",
    "ARRAY_CONCAT_AGG",
    "AVG",
    "CARDINALITY",
    "CEIL",
    "CEILING",
    "CHARACTER_LENGTH",
    "CHAR_LENGTH",
    "CLASSIFIER",
    "COALESCE",
    "COLLECT",
    "CORR",
    "COUNT",
    "COVAR_POP",
    "COVAR_SAMP",
    "CUME_DIST",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "DENSE_RANK",
    "ELEMENT",
    "EVERY",
    "EXP",
    "FIRST_VALUE",
    "FLOOR",
    "FUSION",
    "GROUPING",
    "GROUP_CONCAT",
    "HOUR",
    "INTERSECTION",
    "JSON_ARRAYAGG",
    "JSON_OBJECTAGG",
    "LAG",
    "LAST_VALUE",
    "LEAD",
    "LEFT",
    "LN",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "LOWER",
    "MATCH_NUMBER",
    "MAX",
    "MIN",
    "MINUTE",
    "MOD",
    "MONTH",
    "NTH_VALUE",
    "NTILE",
    "NULLIF",
    "OCTET_LENGTH",
    "PERCENTILE_CONT",
    "PERCENTILE_DISC",
    "PERCENT_RANK",
    "POWER",
    "RANK",
    "REGR_AVGX",
    "REGR_AVGY",
    "REGR_COUNT",
    "REGR_INTERCEPT",
    "REGR_R2",
    "REGR_SLOPE",
    "REGR_SXX",
    "REGR_SXY",
    "REGR_SYY",
    "RIGHT",
    "ROW_NUMBER",
    "SECOND",
    "SOME",
    "SQRT",
    "STDDEV_POP",
    "STDDEV_SAMP",
    "SUM",
    "TRUNCATE",
    "UPPER",
    "USER",
    "VAR_POP",
    "VAR_SAMP",
    "YEAR",
    "HASH",
    "PREV",
    "NEXT",
    "RAW",
    "SEARCH",
    "TRIM_ARRAY",
    "ANY",
    "ALL",
    "VALUE_OF",
    "PERCENT",
    "STRING",
];

/// Reserved words that are values without parentheses.
pub(crate) const NILADIC: &[&str] = &[
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "CURRENT_USER",
    "SESSION_USER",
    "SYSTEM_USER",
    "USER",
    "CURRENT_ROLE",
    "CURRENT_PATH",
    "CURRENT_CATALOG",
    "CURRENT_SCHEMA",
];

/// Units of `INTERVAL`, `EXTRACT`, `TIMESTAMPADD`, `CEIL … TO`.
pub(crate) const TIME_UNITS: &[&str] = &[
    "YEAR",
    "YEARS",
    "QUARTER",
    "QUARTERS",
    "MONTH",
    "MONTHS",
    "WEEK",
    "WEEKS",
    "DAY",
    "DAYS",
    "HOUR",
    "HOURS",
    "MINUTE",
    "MINUTES",
    "SECOND",
    "SECONDS",
    "MILLISECOND",
    "MILLISECONDS",
    "MICROSECOND",
    "MICROSECONDS",
    "NANOSECOND",
    "NANOSECONDS",
    "DOW",
    "DOY",
    "ISODOW",
    "ISOYEAR",
    "EPOCH",
    "DECADE",
    "CENTURY",
    "MILLENNIUM",
    "SQL_TSI_DAY",
];

pub(crate) fn upper_in(word: &str, list: &[&str]) -> bool {
    list.iter().any(|w| w.eq_ignore_ascii_case(word))
}

impl Parser<'_> {
    /// Whether the current token is a time unit word.
    pub(crate) fn is_time_unit(&self) -> bool {
        self.tok(0).kind == TokKind::Word && upper_in(self.text(0), TIME_UNITS)
    }

    pub(crate) fn time_unit(&mut self) -> PResult<()> {
        if self.is_time_unit() {
            self.advance();
            Ok(())
        } else {
            Err(self.unexpected(&["a time unit (`SECOND`, `MINUTE`, `HOUR`, `DAY`, …)"]))
        }
    }

    /// Whether a `(` at `k` opens a sub-query.
    pub(crate) fn paren_starts_query(&self, k: usize) -> bool {
        // Bounded: deeper nesting is refused anyway, and an unbounded scan at every `(` would
        // make long runs of parentheses quadratic.
        let mut k = k;
        let limit = k + super::MAX_DEPTH as usize + 1;
        while k < limit && self.is_op_at(k, "(") {
            k += 1;
        }
        self.is_kw_at(k, "SELECT") || self.is_kw_at(k, "WITH") || self.is_kw_at(k, "VALUES")
    }

    /// A full expression.
    pub(crate) fn expr(&mut self) -> PResult<()> {
        self.enter()?;
        let r = self.or_expr();
        self.leave();
        r
    }

    /// `expr [, expr]*`.
    pub(crate) fn expr_list(&mut self) -> PResult<()> {
        self.expr()?;
        while self.eat_op(",") {
            self.expr()?;
        }
        Ok(())
    }

    pub(crate) fn or_expr(&mut self) -> PResult<()> {
        self.and_expr()?;
        while self.is_kw("OR") {
            self.operand_follows()?;
            self.and_expr()?;
        }
        Ok(())
    }

    pub(crate) fn and_expr(&mut self) -> PResult<()> {
        self.not_expr()?;
        while self.is_kw("AND") {
            self.operand_follows()?;
            self.not_expr()?;
        }
        Ok(())
    }

    pub(crate) fn not_expr(&mut self) -> PResult<()> {
        if self.eat_kw("NOT") {
            self.enter()?;
            let r = self.not_expr();
            self.leave();
            return r;
        }
        self.predicate()
    }

    pub(crate) fn predicate(&mut self) -> PResult<()> {
        self.additive()?;
        loop {
            if self.is_op("!=") {
                return Err(self.custom(
                    self.pos,
                    "syntax-error",
                    "`!=` is not allowed in Flink SQL; use `<>`",
                ));
            }
            if self.is_op("=")
                || self.is_op("<>")
                || self.is_op("<")
                || self.is_op(">")
                || self.is_op("<=")
                || self.is_op(">=")
            {
                if (self.is_kw_at(1, "SOME") || self.is_kw_at(1, "ANY") || self.is_kw_at(1, "ALL"))
                    && self.is_op_at(2, "(")
                {
                    self.advance();
                } else {
                    self.operand_follows()?;
                }
                if (self.is_kw("SOME") || self.is_kw("ANY") || self.is_kw("ALL"))
                    && self.is_op_at(1, "(")
                {
                    self.advance();
                    self.expect_op("(")?;
                    if self.paren_starts_query(0) || self.is_kw("SELECT") {
                        self.query()?;
                    } else {
                        self.expr_list()?;
                    }
                    self.expect_op(")")?;
                } else {
                    self.additive()?;
                }
                continue;
            }
            if self.is_kw("IS") {
                self.advance();
                self.eat_kw("NOT");
                if self.eat_kw("DISTINCT") {
                    self.expect_kw("FROM")?;
                    self.additive()?;
                } else if self.eat_kw("JSON") {
                    if self.is_kw("VALUE")
                        || self.is_kw("OBJECT")
                        || self.is_kw("ARRAY")
                        || self.is_kw("SCALAR")
                    {
                        self.advance();
                    }
                } else if self.is_kw("NULL")
                    || self.is_kw("TRUE")
                    || self.is_kw("FALSE")
                    || self.is_kw("UNKNOWN")
                {
                    self.advance();
                } else {
                    return Err(self.unexpected(&["NULL", "TRUE", "FALSE", "UNKNOWN", "DISTINCT"]));
                }
                continue;
            }
            let negated = self.is_kw("NOT")
                && (self.is_kw_at(1, "BETWEEN")
                    || self.is_kw_at(1, "IN")
                    || self.is_kw_at(1, "LIKE")
                    || self.is_kw_at(1, "ILIKE")
                    || self.is_kw_at(1, "RLIKE")
                    || self.is_kw_at(1, "SIMILAR"));
            let k = usize::from(negated);
            if self.is_kw_at(k, "BETWEEN") {
                for _ in 0..=k {
                    self.advance();
                }
                if !self.eat_kw("SYMMETRIC") {
                    self.eat_kw("ASYMMETRIC");
                }
                self.additive()?;
                self.expect_kw("AND")?;
                self.additive()?;
                continue;
            }
            if self.is_kw_at(k, "IN") {
                for _ in 0..=k {
                    self.advance();
                }
                self.expect_op("(")?;
                if self.paren_starts_query(0) || self.is_kw("SELECT") {
                    self.query()?;
                } else {
                    self.expr_list()?;
                }
                self.expect_op(")")?;
                continue;
            }
            if self.is_kw_at(k, "LIKE") || self.is_kw_at(k, "ILIKE") || self.is_kw_at(k, "RLIKE") {
                for _ in 0..=k {
                    self.advance();
                }
                self.additive()?;
                if self.eat_kw("ESCAPE") {
                    self.additive()?;
                }
                continue;
            }
            if self.is_kw_at(k, "SIMILAR") {
                for _ in 0..=k {
                    self.advance();
                }
                self.expect_kw("TO")?;
                self.additive()?;
                if self.eat_kw("ESCAPE") {
                    self.additive()?;
                }
                continue;
            }
            if self.is_kws(&["MEMBER", "OF"]) || self.is_kws(&["SUBMULTISET", "OF"]) {
                self.advance();
                self.advance();
                self.additive()?;
                continue;
            }
            if self.is_kw("MULTISET")
                && (self.is_kw_at(1, "UNION")
                    || self.is_kw_at(1, "EXCEPT")
                    || self.is_kw_at(1, "INTERSECT"))
            {
                self.advance();
                self.advance();
                if !self.eat_kw("ALL") {
                    self.eat_kw("DISTINCT");
                }
                self.additive()?;
                continue;
            }
            return Ok(());
        }
    }

    pub(crate) fn additive(&mut self) -> PResult<()> {
        self.multiplicative()?;
        while self.is_op("+") || self.is_op("-") || self.is_op("||") {
            self.operand_follows()?;
            self.multiplicative()?;
        }
        Ok(())
    }

    pub(crate) fn multiplicative(&mut self) -> PResult<()> {
        self.unary()?;
        while self.is_op("*") || self.is_op("/") || self.is_op("%") {
            self.operand_follows()?;
            self.unary()?;
        }
        Ok(())
    }

    /// Consumes a binary operator; when no operand can follow it, Flink names the operator.
    pub(crate) fn operand_follows(&mut self) -> PResult<()> {
        let op = self.pos;
        self.advance();
        if self.can_start_expr() {
            Ok(())
        } else {
            let mut e = self.unexpected(&["an expression"]);
            e.tok = op;
            e.message = format!(
                "expected an expression after `{}`",
                self.toks[op].text(self.src)
            );
            if !self.at_eof() {
                e.message.push_str(&format!(
                    ", found {}",
                    super::describe(self.tok(0), self.src)
                ));
            }
            Err(e)
        }
    }

    /// Whether the current token can begin an expression.
    pub(crate) fn can_start_expr(&self) -> bool {
        let t = self.tok(0);
        match t.kind {
            TokKind::Number | TokKind::Str | TokKind::HexStr | TokKind::Param | TokKind::Quoted => {
                true
            }
            TokKind::Op => self.is_op("(") || self.is_op("+") || self.is_op("-") || self.is_op("{"),
            TokKind::Word => {
                if !t.reserved {
                    return true;
                }
                let w = self.text(0);
                const STARTERS: &[&str] = &[
                    "TRUE",
                    "FALSE",
                    "NULL",
                    "UNKNOWN",
                    "DATE",
                    "TIME",
                    "TIMESTAMP",
                    "INTERVAL",
                    "CASE",
                    "CAST",
                    "TRY_CAST",
                    "SAFE_CAST",
                    "EXTRACT",
                    "POSITION",
                    "SUBSTRING",
                    "OVERLAY",
                    "TRIM",
                    "CEIL",
                    "CEILING",
                    "FLOOR",
                    "CONVERT",
                    "TRANSLATE",
                    "EXISTS",
                    "UNIQUE",
                    "ARRAY",
                    "MAP",
                    "MULTISET",
                    "ROW",
                    "CURSOR",
                    "NOT",
                    "JSON_OBJECT",
                    "JSON_OBJECTAGG",
                    "JSON_ARRAY",
                    "JSON_ARRAYAGG",
                    "JSON_VALUE",
                    "JSON_QUERY",
                    "JSON_EXISTS",
                    "DEFAULT",
                    "RUNNING",
                    "FINAL",
                ];
                upper_in(w, STARTERS) || upper_in(w, NILADIC) || upper_in(w, RESERVED_FUNCTIONS)
            }
            _ => false,
        }
    }

    pub(crate) fn unary(&mut self) -> PResult<()> {
        if self.is_op("+") || self.is_op("-") {
            self.advance();
            self.enter()?;
            let r = self.unary();
            self.leave();
            return r;
        }
        self.primary()?;
        self.postfix()
    }

    pub(crate) fn postfix(&mut self) -> PResult<()> {
        loop {
            if self.is_op("[") {
                self.advance();
                self.expr()?;
                self.expect_op("]")?;
            } else if self.is_op(".") {
                if !(self.is_ident_at(1)
                    || (self.tok(1).kind == TokKind::Word && self.is_op_at(2, "(")))
                {
                    return Err(self.unexpected_at(self.pos, &["an identifier after `.`"]));
                }
                self.advance();
                self.advance();
                if self.is_op("(") {
                    self.call_args()?;
                }
            } else {
                return Ok(());
            }
        }
    }

    /// A primary expression.
    pub(crate) fn primary(&mut self) -> PResult<()> {
        let t = self.tok(0);
        match t.kind {
            TokKind::Number | TokKind::HexStr | TokKind::Param => {
                self.advance();
                Ok(())
            }
            TokKind::Str => {
                self.advance();
                // Adjacent literals concatenate ('a' 'b').
                while self.is_str() {
                    self.advance();
                }
                Ok(())
            }
            TokKind::Op if self.is_op("(") => {
                self.advance();
                if self.paren_starts_query(0) {
                    self.query()?;
                    self.expect_op(")")?;
                    return Ok(());
                }
                self.expr_list()?;
                self.expect_op(")")
            }
            TokKind::Op if self.is_op("{") => {
                // JDBC escape: {fn f(...)}, {d '...'}
                self.advance();
                self.eat_kw("fn");
                self.expr()?;
                self.expect_op("}")
            }
            TokKind::Quoted => self.name_or_call(),
            TokKind::Word => self.word_primary(),
            _ => Err(self.unexpected(&["an expression"])),
        }
    }
}
