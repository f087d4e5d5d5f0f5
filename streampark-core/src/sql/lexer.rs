//! Tokenizer for Flink SQL (Calcite's lexical rules with `Lex.JAVA`: back-quoted identifiers,
//! case kept, `--`, `//` and `/* */` comments, `/*+ … */` hints).
//!
//! The lexer never fails: malformed input becomes a [`TokKind::Error`] token the parser
//! reports. Every token carries its byte range and its 1-based line and column (in characters,
//! as Flink counts them), so diagnostics are in script coordinates for free.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokKind {
    /// A bare word (identifier or keyword).
    Word,
    /// A back-quoted identifier.
    Quoted,
    /// A character string literal `'…'` (also `N'…'`, `U&'…'`, `_charset'…'`).
    Str,
    /// A binary string literal `X'…'`.
    HexStr,
    /// A numeric literal.
    Number,
    /// Punctuation or an operator.
    Op,
    /// `/*+`: start of a hint.
    HintStart,
    /// `*/` closing a hint.
    HintEnd,
    /// `?`: a dynamic parameter.
    Param,
    /// Something that is not a token (unterminated string, stray character).
    Error(LexError),
    /// End of input.
    Eof,
}

/// Why a piece of text is not a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LexError {
    /// `'…` without its closing quote.
    UnterminatedString,
    /// `` `… `` without its closing back-quote.
    UnterminatedIdent,
    /// `/* …` without `*/`.
    UnterminatedComment,
    /// A character no token starts with.
    BadChar,
}

/// One token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    /// Kind.
    pub(crate) kind: TokKind,
    /// Byte offset of the first byte.
    pub(crate) start: u32,
    /// Byte offset one past the last byte.
    pub(crate) end: u32,
    /// 1-based line of the first character.
    pub(crate) line: u32,
    /// 1-based column of the first character.
    pub(crate) col: u32,
    /// Whether this is a bare word on Flink's reserved list.
    pub(crate) reserved: bool,
}

impl Token {
    /// Whether the token's text is exactly `s` (cheap byte compare, no `memcmp` call).
    pub(crate) fn is(&self, src: &str, s: &str) -> bool {
        let (a, b) = (self.start as usize, self.end as usize);
        b - a == s.len()
            && src
                .as_bytes()
                .get(a..b)
                .is_some_and(|t| t.iter().zip(s.as_bytes()).all(|(x, y)| x == y))
    }

    /// The token's text.
    pub(crate) fn text<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }
}

/// A position: byte offset plus 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub(crate) offset: u32,
    pub(crate) line: u32,
    pub(crate) col: u32,
}

struct Cursor<'a> {
    src: &'a str,
    bytes: &'a [u8],
    i: usize,
    line: u32,
    col: u32,
}

impl Cursor<'_> {
    fn peek(&self, k: usize) -> u8 {
        self.bytes.get(self.i + k).copied().unwrap_or(0)
    }
    fn at_end(&self) -> bool {
        self.i >= self.bytes.len()
    }
    /// Advances one character (UTF-8 aware), keeping line and column.
    fn bump(&mut self) {
        let Some(&b) = self.bytes.get(self.i) else {
            return;
        };
        if b == b'\n' {
            self.line += 1;
            self.col = 1;
            self.i += 1;
            return;
        }
        let width = match b {
            0x00..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        // A character outside the BMP counts twice in Java's UTF-16 columns.
        self.col += if width == 4 { 2 } else { 1 };
        self.i = (self.i + width).min(self.bytes.len());
        while self.i < self.bytes.len() && !self.src.is_char_boundary(self.i) {
            self.i += 1;
        }
    }
    fn pos(&self) -> Pos {
        Pos {
            offset: self.i as u32,
            line: self.line,
            col: self.col,
        }
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$' || b >= 0x80
}

fn is_ident_part(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Splits `src` into tokens; the last one is always [`TokKind::Eof`].
pub(crate) fn tokenize(src: &str) -> Vec<Token> {
    let mut c = Cursor {
        src,
        bytes: src.as_bytes(),
        i: 0,
        line: 1,
        col: 1,
    };
    let mut out = Vec::with_capacity(src.len() / 4 + 1);
    let mut in_hint = false;
    loop {
        // Whitespace and comments.
        loop {
            let b = c.peek(0);
            if b == b' ' || b == b'\t' || b == b'\n' || b == b'\r' || b == 0x0c {
                c.bump();
            } else if (b == b'-' && c.peek(1) == b'-') || (b == b'/' && c.peek(1) == b'/') {
                while !c.at_end() && c.peek(0) != b'\n' {
                    c.bump();
                }
            } else if b == b'/' && c.peek(1) == b'*' && c.peek(2) != b'+' {
                let start = c.pos();
                c.bump();
                c.bump();
                let mut closed = false;
                while !c.at_end() {
                    if c.peek(0) == b'*' && c.peek(1) == b'/' {
                        c.bump();
                        c.bump();
                        closed = true;
                        break;
                    }
                    c.bump();
                }
                if !closed {
                    out.push(mk(TokKind::Error(LexError::UnterminatedComment), start, &c));
                }
            } else {
                break;
            }
        }
        let start = c.pos();
        if c.at_end() {
            out.push(mk(TokKind::Eof, start, &c));
            return out;
        }
        let b = c.peek(0);
        let kind = if b == b'/' && c.peek(1) == b'*' && c.peek(2) == b'+' {
            c.bump();
            c.bump();
            c.bump();
            in_hint = true;
            TokKind::HintStart
        } else if in_hint && b == b'*' && c.peek(1) == b'/' {
            c.bump();
            c.bump();
            in_hint = false;
            TokKind::HintEnd
        } else if b == b'\'' {
            string_body(&mut c, TokKind::Str)
        } else if (b == b'N' || b == b'n') && c.peek(1) == b'\'' {
            c.bump();
            string_body(&mut c, TokKind::Str)
        } else if (b == b'X' || b == b'x') && c.peek(1) == b'\'' {
            c.bump();
            string_body(&mut c, TokKind::HexStr)
        } else if (b == b'U' || b == b'u') && c.peek(1) == b'&' && c.peek(2) == b'\'' {
            c.bump();
            c.bump();
            string_body(&mut c, TokKind::Str)
        } else if b == b'_' && charset_prefix_len(&c) > 0 {
            let n = charset_prefix_len(&c);
            for _ in 0..n {
                c.bump();
            }
            string_body(&mut c, TokKind::Str)
        } else if is_ident_start(b) {
            while !c.at_end() && is_ident_part(c.peek(0)) {
                c.bump();
            }
            TokKind::Word
        } else if b == b'`' {
            c.bump();
            let mut closed = false;
            while !c.at_end() {
                if c.peek(0) == b'`' {
                    c.bump();
                    if c.peek(0) == b'`' {
                        c.bump();
                        continue;
                    }
                    closed = true;
                    break;
                }
                c.bump();
            }
            if closed {
                TokKind::Quoted
            } else {
                TokKind::Error(LexError::UnterminatedIdent)
            }
        } else if b.is_ascii_digit() || (b == b'.' && c.peek(1).is_ascii_digit()) {
            number(&mut c);
            TokKind::Number
        } else if b == b'?' {
            c.bump();
            TokKind::Param
        } else {
            let two = [b, c.peek(1)];
            let op2 = matches!(
                &two,
                b"<>" | b"<=" | b">=" | b"!=" | b"||" | b"=>" | b"::" | b"->" | b"=="
            );
            if op2 {
                c.bump();
                c.bump();
                TokKind::Op
            } else if b"()[]{},;.=<>+-*/%^|&!~:$@#".contains(&b) {
                c.bump();
                TokKind::Op
            } else {
                c.bump();
                TokKind::Error(LexError::BadChar)
            }
        };
        let mut tok = mk(kind, start, &c);
        if kind == TokKind::Word {
            tok.reserved = super::keywords::is_reserved(tok.text(src));
        }
        out.push(tok);
    }
}

fn mk(kind: TokKind, start: Pos, c: &Cursor<'_>) -> Token {
    Token {
        kind,
        start: start.offset,
        end: c.i as u32,
        line: start.line,
        col: start.col,
        reserved: false,
    }
}

/// `_UTF8'…'`-style charset prefix: length of `_name` when a quote follows.
fn charset_prefix_len(c: &Cursor<'_>) -> usize {
    let mut k = 1;
    while is_ident_part(c.peek(k)) && c.peek(k) < 0x80 {
        k += 1;
    }
    if k > 1 && c.peek(k) == b'\'' { k } else { 0 }
}

fn string_body(c: &mut Cursor<'_>, ok: TokKind) -> TokKind {
    c.bump(); // opening quote
    while !c.at_end() {
        if c.peek(0) == b'\'' {
            c.bump();
            if c.peek(0) == b'\'' {
                c.bump();
                continue;
            }
            return ok;
        }
        c.bump();
    }
    TokKind::Error(LexError::UnterminatedString)
}

fn number(c: &mut Cursor<'_>) {
    while c.peek(0).is_ascii_digit() {
        c.bump();
    }
    if c.peek(0) == b'.' && c.peek(1) != b'.' {
        c.bump();
        while c.peek(0).is_ascii_digit() {
            c.bump();
        }
    }
    if (c.peek(0) == b'e' || c.peek(0) == b'E')
        && (c.peek(1).is_ascii_digit()
            || ((c.peek(1) == b'+' || c.peek(1) == b'-') && c.peek(2).is_ascii_digit()))
    {
        c.bump();
        c.bump();
        while c.peek(0).is_ascii_digit() {
            c.bump();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokKind, String, u32, u32)> {
        tokenize(src)
            .into_iter()
            .map(|t| (t.kind, t.text(src).to_string(), t.line, t.col))
            .collect()
    }

    #[test]
    fn positions_are_one_based_and_skip_comments() {
        let toks = kinds("SELECT a -- x\n  /* c */ FROM `t``x`;");
        assert_eq!(toks[0], (TokKind::Word, "SELECT".into(), 1, 1));
        assert_eq!(toks[1], (TokKind::Word, "a".into(), 1, 8));
        assert_eq!(toks[2], (TokKind::Word, "FROM".into(), 2, 11));
        assert_eq!(toks[3], (TokKind::Quoted, "`t``x`".into(), 2, 16));
        assert_eq!(toks[4].0, TokKind::Op);
        assert_eq!(toks[5].0, TokKind::Eof);
    }

    #[test]
    fn strings_hints_and_errors() {
        let toks = kinds("'it''s' /*+ OPTIONS('a'='b') */ X'0F' 1.5e3 'open");
        assert_eq!(toks[0].0, TokKind::Str);
        assert_eq!(toks[1].0, TokKind::HintStart);
        assert_eq!(toks[8].0, TokKind::HintEnd);
        assert_eq!(toks[9].0, TokKind::HexStr);
        assert_eq!(toks[10], (TokKind::Number, "1.5e3".into(), 1, 39));
        assert_eq!(toks[11].0, TokKind::Error(LexError::UnterminatedString));
    }

    #[test]
    fn non_ascii_counts_characters() {
        let toks = kinds("'é' b");
        assert_eq!(toks[1].3, 5);
    }
}
