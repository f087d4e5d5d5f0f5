//! Expressions: Calcite's operator precedence, literals, special forms (`CAST`, `CASE`,
//! `EXTRACT`, `INTERVAL`, …), function calls with `FILTER`/`OVER`/`WITHIN GROUP`.

use super::{PResult, Parser};
use crate::sql::lexer::TokKind;

/// Reserved words that still name built-in functions when followed by `(`.
const RESERVED_FUNCTIONS: &[&str] = &[
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
const NILADIC: &[&str] = &[
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

fn upper_in(word: &str, list: &[&str]) -> bool {
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
        let mut k = k;
        while self.is_op_at(k, "(") {
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

    fn or_expr(&mut self) -> PResult<()> {
        self.and_expr()?;
        while self.eat_kw("OR") {
            self.and_expr()?;
        }
        Ok(())
    }

    fn and_expr(&mut self) -> PResult<()> {
        self.not_expr()?;
        while self.eat_kw("AND") {
            self.not_expr()?;
        }
        Ok(())
    }

    fn not_expr(&mut self) -> PResult<()> {
        if self.eat_kw("NOT") {
            self.enter()?;
            let r = self.not_expr();
            self.leave();
            return r;
        }
        self.predicate()
    }

    fn predicate(&mut self) -> PResult<()> {
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

    fn additive(&mut self) -> PResult<()> {
        self.multiplicative()?;
        while self.is_op("+") || self.is_op("-") || self.is_op("||") {
            self.operand_follows()?;
            self.multiplicative()?;
        }
        Ok(())
    }

    fn multiplicative(&mut self) -> PResult<()> {
        self.unary()?;
        while self.is_op("*") || self.is_op("/") || self.is_op("%") {
            self.operand_follows()?;
            self.unary()?;
        }
        Ok(())
    }

    /// Consumes a binary operator; when no operand can follow it, Flink names the operator.
    fn operand_follows(&mut self) -> PResult<()> {
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

    fn unary(&mut self) -> PResult<()> {
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

    fn postfix(&mut self) -> PResult<()> {
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
    fn primary(&mut self) -> PResult<()> {
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

    fn word_primary(&mut self) -> PResult<()> {
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
                self.data_type()?;
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

    /// `name[.name]*[.*]` or `name(args) …`.
    fn name_or_call(&mut self) -> PResult<()> {
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

    fn call_arg(&mut self) -> PResult<()> {
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
    fn after_call(&mut self) -> PResult<()> {
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

    fn window_bound(&mut self) -> PResult<()> {
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

    fn interval(&mut self) -> PResult<()> {
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

    fn opt_precision(&mut self) -> PResult<()> {
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

    fn case_expr(&mut self) -> PResult<()> {
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

    fn json_object_args(&mut self) -> PResult<()> {
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

    fn json_generic_args(&mut self) -> PResult<()> {
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

    fn json_format_opt(&mut self) -> PResult<()> {
        if self.eat_kw("FORMAT") {
            self.expect_kw("JSON")?;
        }
        Ok(())
    }

    fn json_returning_opt(&mut self) -> PResult<()> {
        if self.eat_kw("RETURNING") {
            self.data_type()?;
        }
        Ok(())
    }
}
