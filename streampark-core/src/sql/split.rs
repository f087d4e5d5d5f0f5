//! Splits a tokenized script into statements at `;`, keeping
//! `EXECUTE STATEMENT SET BEGIN … END` (and `EXPLAIN`/`COMPILE PLAN … FOR STATEMENT SET`)
//! blocks whole. Quotes, back-quotes, comments and hints are already single tokens, so a `;`
//! inside them never splits.

use super::lexer::{TokKind, Token};
use std::ops::Range;

/// Token ranges of the statements (without their `;`), empty statements skipped.
pub(crate) fn split(src: &str, toks: &[Token]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let n = toks.len().saturating_sub(1); // last is Eof
    let mut start = 0;
    let mut i = 0;
    let mut in_block = false;
    let mut block_checked = false;
    let mut after_semi = false;
    let is_word = |k: usize, w: &str| {
        toks.get(k)
            .is_some_and(|t| t.kind == TokKind::Word && t.text(src).eq_ignore_ascii_case(w))
    };
    while i < n {
        if !block_checked {
            // A statement-set block opens with `STATEMENT SET BEGIN` before the first `;`,
            // unless it is the client's `BEGIN STATEMENT SET`.
            block_checked = true;
            if !is_word(start, "BEGIN") {
                let mut k = start;
                while k + 2 < n + 1 && !(toks[k].kind == TokKind::Op && toks[k].is(src, ";")) {
                    if is_word(k, "STATEMENT") && is_word(k + 1, "SET") && is_word(k + 2, "BEGIN") {
                        in_block = true;
                        break;
                    }
                    k += 1;
                }
            }
        }
        let t = toks[i];
        let semi = t.kind == TokKind::Op && t.is(src, ";");
        if in_block {
            if t.kind == TokKind::Word
                && t.text(src).eq_ignore_ascii_case("END")
                && (after_semi || i > start && is_word(i - 1, "BEGIN"))
            {
                in_block = false;
            }
            after_semi = semi;
            i += 1;
            continue;
        }
        if semi {
            if i > start {
                out.push(start..i);
            }
            start = i + 1;
            block_checked = false;
            after_semi = false;
        }
        i += 1;
    }
    if n > start {
        out.push(start..n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lexer::tokenize;

    fn texts(src: &str) -> Vec<String> {
        let toks = tokenize(src);
        split(src, &toks)
            .into_iter()
            .map(|r| {
                let a = toks[r.start].start as usize;
                let b = toks[r.end - 1].end as usize;
                src[a..b].to_string()
            })
            .collect()
    }

    #[test]
    fn splits_on_semicolons_outside_quotes_and_comments() {
        let s = "SET 'a;b' = 'c';\n-- x; y\nSELECT `x;y` /* ; */ FROM t;;\nSELECT 1";
        assert_eq!(
            texts(s),
            vec!["SET 'a;b' = 'c'", "SELECT `x;y` /* ; */ FROM t", "SELECT 1"]
        );
    }

    #[test]
    fn keeps_statement_set_blocks_whole() {
        let s = "EXECUTE STATEMENT SET BEGIN\nINSERT INTO a SELECT 1;\nINSERT INTO b SELECT 2;\nEND;\nSELECT 3;";
        let parts = texts(s);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].ends_with("END"));
        assert_eq!(parts[1], "SELECT 3");
    }

    #[test]
    fn client_style_statement_set_is_separate_statements() {
        let s = "BEGIN STATEMENT SET;\nINSERT INTO a SELECT 1;\nEND;";
        assert_eq!(
            texts(s),
            vec!["BEGIN STATEMENT SET", "INSERT INTO a SELECT 1", "END"]
        );
    }
}
