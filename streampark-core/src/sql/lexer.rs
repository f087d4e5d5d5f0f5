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
    /// `X'…'` with a character that is not a hex digit.
    BadBinary,
    /// `U&'…'` with an escape that is not four hex digits.
    BadUnicodeEscape,
    /// `_name'…'` with a character set Flink does not know.
    UnknownCharset,
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

    /// Whether Flink's lexer itself fails here (`Lexical error at line X, column Y`), as
    /// opposed to a token the parser then rejects.
    pub(crate) fn is_lex_error(&self) -> bool {
        matches!(
            self.kind,
            TokKind::Error(
                LexError::BadChar | LexError::UnterminatedIdent | LexError::UnterminatedComment
            )
        )
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
    /// The previous character was a `\r` (JavaCC counts `\r\n` as one line break).
    after_cr: bool,
}

impl Cursor<'_> {
    fn peek(&self, k: usize) -> u8 {
        self.bytes.get(self.i + k).copied().unwrap_or(0)
    }
    fn at_end(&self) -> bool {
        self.i >= self.bytes.len()
    }
    /// Advances one character (UTF-8 aware), keeping line and column as JavaCC counts them:
    /// `\n`, `\r` and `\r\n` end a line, a tab is one column, a character outside the BMP is
    /// two (Java's UTF-16 units).
    fn bump(&mut self) {
        let Some(&b) = self.bytes.get(self.i) else {
            return;
        };
        if b == b'\n' || b == b'\r' {
            if b == b'\n' && self.after_cr {
                // second half of `\r\n`: the line already advanced
            } else {
                self.line += 1;
                self.col = 1;
            }
            self.after_cr = b == b'\r';
            self.i += 1;
            return;
        }
        self.after_cr = false;
        let width = utf8_width(b);
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
    /// The character at the cursor, decoded (`'\0'` at the end).
    fn ch(&self) -> char {
        self.src
            .get(self.i..)
            .and_then(|s| s.chars().next())
            .unwrap_or('\0')
    }
    /// Where JavaCC reports a lexical error whose last character read is the one at `at`
    /// (`None`: the input ended inside the token). When that character is the last of the
    /// input, JavaCC peeks past it, finds EOF and reports one column further (or column 0 of
    /// the next line after a line break).
    fn lex_error_pos(&self, at: Option<Pos>) -> (u32, u32) {
        if let Some(p) = at {
            let b = self.bytes.get(p.offset as usize).copied().unwrap_or(0);
            if (p.offset as usize) + utf8_width(b) < self.bytes.len() {
                return (p.line, p.col);
            }
        }
        let Some(p) = last_char_pos(self.src) else {
            return (1, 1);
        };
        let b = self.bytes.get(p.offset as usize).copied().unwrap_or(0);
        if b == b'\n' || b == b'\r' {
            (p.line + 1, 0)
        } else {
            (p.line, p.col + 1)
        }
    }
}

fn utf8_width(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// Position of the last character of `src` as JavaCC reports it (where Flink reports `<EOF>`):
/// a line break belongs to the line it ends (`\r\n` both halves); the low half of a
/// surrogate pair is one column after the high half.
pub(crate) fn last_char_pos(src: &str) -> Option<Pos> {
    let (last_off, _) = src.char_indices().next_back()?;
    // JavaCC's SimpleCharStream.UpdateLineColumn, per UTF-16 unit.
    let (mut line, mut col, mut prev_cr, mut prev_lf) = (1u32, 0u32, false, false);
    for (off, ch) in src.char_indices() {
        for _ in 0..ch.len_utf16() {
            col += 1;
            if prev_lf {
                prev_lf = false;
                line += 1;
                col = 1;
            } else if prev_cr {
                prev_cr = false;
                if ch == '\n' {
                    prev_lf = true;
                } else {
                    line += 1;
                    col = 1;
                }
            }
            match ch {
                '\r' => prev_cr = true,
                '\n' => prev_lf = true,
                _ => {}
            }
        }
        if off == last_off {
            return Some(Pos {
                offset: off as u32,
                line,
                col,
            });
        }
    }
    None
}

/// Calcite's identifier letters beyond ASCII (the same in Flink 1.14 … 2.3, measured).
fn is_unicode_letter(c: char) -> bool {
    matches!(c as u32,
        0xc0..=0xd6
            | 0xd8..=0xf6
            | 0xf8..=0x1fff
            | 0x2d00..=0x2d25
            | 0x3040..=0x318f
            | 0x3300..=0x337f
            | 0x3400..=0x3d2d
            | 0x4e00..=0x9fff
            | 0xf900..=0xfaff)
}

fn is_ident_start_at(c: &Cursor<'_>, k: usize) -> bool {
    let b = c.peek(k);
    if b < 0x80 {
        return b.is_ascii_alphabetic() || b == b'_';
    }
    c.src
        .get(c.i + k..)
        .and_then(|s| s.chars().next())
        .is_some_and(is_unicode_letter)
}

fn is_ident_part_here(c: &Cursor<'_>) -> bool {
    let b = c.peek(0);
    if b < 0x80 {
        return b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    }
    is_unicode_letter(c.ch())
}

/// Lexical options that differ between Flink releases.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Dialect {
    /// `E'…'` strings with backslash escapes (Flink 2.0's Calcite and later).
    pub(crate) c_style_strings: bool,
    /// The release whose reserved words apply (index into `keywords::RELEASES`).
    pub(crate) release: u8,
}

/// Splits `src` into tokens (newest dialect); the last one is always [`TokKind::Eof`].
#[cfg(test)]
pub(crate) fn tokenize(src: &str) -> Vec<Token> {
    tokenize_with(
        src,
        Dialect {
            c_style_strings: true,
            release: super::keywords::release_index((2, 3)),
        },
    )
}

/// Splits `src` into tokens the way Flink's JavaCC token manager does; the last one is always
/// [`TokKind::Eof`], placed where Flink reports `<EOF>` (the last character of the input).
///
/// Tokens that Flink's lexer rejects ([`LexError::BadChar`], [`LexError::UnterminatedIdent`],
/// [`LexError::UnterminatedComment`]) carry the line and column Flink's `Lexical error at line
/// X, column Y` names, not their first character's.
pub(crate) fn tokenize_with(src: &str, dialect: Dialect) -> Vec<Token> {
    let mut c = Cursor {
        src,
        bytes: src.as_bytes(),
        i: 0,
        line: 1,
        col: 1,
        after_cr: false,
    };
    let mut out = Vec::with_capacity(src.len() / 4 + 1);
    loop {
        // Whitespace and comments.
        loop {
            let b = c.peek(0);
            if b == b' ' || b == b'\t' || b == b'\n' || b == b'\r' || b == 0x0c {
                c.bump();
            } else if (b == b'-' && c.peek(1) == b'-') || (b == b'/' && c.peek(1) == b'/') {
                while !c.at_end() && c.peek(0) != b'\n' && c.peek(0) != b'\r' {
                    c.bump();
                }
            } else if b == b'/' && c.peek(1) == b'*' && c.peek(2) != b'+' {
                let start = c.pos();
                c.bump();
                c.bump();
                // Calcite reads `/**` plus one more character (unless `/`) before it looks for
                // `*/`, so `/***/` is not closed while `/**/` is.
                if c.peek(0) == b'*' && c.peek(1) != b'/' && c.peek(1) != 0 {
                    c.bump();
                    c.bump();
                }
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
                    let mut t = mk(TokKind::Error(LexError::UnterminatedComment), start, &c);
                    (t.line, t.col) = c.lex_error_pos(None);
                    out.push(t);
                }
            } else {
                break;
            }
        }
        let start = c.pos();
        if c.at_end() {
            let mut eof = mk(TokKind::Eof, start, &c);
            if let Some(p) = last_char_pos(src) {
                (eof.line, eof.col) = (p.line, p.col);
            }
            out.push(eof);
            return out;
        }
        let b = c.peek(0);
        let mut err_pos: Option<(u32, u32)> = None;
        let kind = if b == b'/' && c.peek(1) == b'*' && c.peek(2) == b'+' {
            c.bump();
            c.bump();
            c.bump();
            TokKind::HintStart
        } else if b == b'*' && c.peek(1) == b'/' {
            c.bump();
            c.bump();
            TokKind::HintEnd
        } else if b == b'\'' {
            string_body(&mut c, TokKind::Str)
        } else if let Some(prefix) = string_prefix(&c, dialect) {
            // `N'…'`, `X'…'`, `U&'…'`, `_charset'…'`, `E'…'`: when the string is not closed,
            // Flink falls back to the longest token it did match (the word before the quote).
            let save = (c.i, c.line, c.col, c.after_cr);
            for _ in 0..prefix.len {
                c.bump();
            }
            let body_start = c.i;
            let k = if prefix.escapes {
                escaped_string_body(&mut c)
            } else {
                string_body(&mut c, TokKind::Str)
            };
            if k == TokKind::Str {
                let body = &src[body_start..c.i];
                if prefix.unicode {
                    unicode_string_tail(&mut c, body)
                } else {
                    prefix.check(&src[save.0..body_start], body)
                }
            } else {
                (c.i, c.line, c.col, c.after_cr) = save;
                if prefix.unicode {
                    // `U` then `&`, which is no token: a lexical error at the `&`.
                    c.bump();
                    let t = mk(TokKind::Word, start, &c);
                    push_word(&mut out, t, src, dialect.release);
                    let amp = c.pos();
                    c.bump();
                    let mut t = mk(TokKind::Error(LexError::BadChar), amp, &c);
                    (t.line, t.col) = c.lex_error_pos(Some(amp));
                    out.push(t);
                    continue;
                }
                for _ in 0..prefix.len {
                    c.bump();
                }
                TokKind::Word
            }
        } else if b == b'$' && !is_ident_part_at(&c, 1) {
            c.bump();
            TokKind::Op
        } else if is_ident_start_at(&c, 0) || b == b'$' {
            c.bump();
            while !c.at_end() && is_ident_part_here(&c) {
                c.bump();
            }
            TokKind::Word
        } else if b == b'`' {
            match quoted_ident(&mut c) {
                Ok(()) => TokKind::Quoted,
                Err(at) => {
                    err_pos = Some(c.lex_error_pos(at));
                    TokKind::Error(LexError::UnterminatedIdent)
                }
            }
        } else if b.is_ascii_digit() || (b == b'.' && c.peek(1).is_ascii_digit()) {
            number(&mut c);
            TokKind::Number
        } else if b == b'?' {
            c.bump();
            TokKind::Param
        } else {
            let two = [b, c.peek(1)];
            let op2 = matches!(&two, b"<>" | b"<=" | b">=" | b"!=" | b"||" | b"=>");
            if op2 {
                c.bump();
                c.bump();
                TokKind::Op
            } else if b"()[]{},;.=<>+-*/%^|:\"\x07".contains(&b) {
                c.bump();
                TokKind::Op
            } else if b == b'!' {
                // A prefix of `!=`: JavaCC fails on the character after it.
                c.bump();
                let next = (!c.at_end()).then(|| c.pos());
                err_pos = Some(c.lex_error_pos(next));
                TokKind::Error(LexError::BadChar)
            } else {
                c.bump();
                err_pos = Some(c.lex_error_pos(Some(start)));
                TokKind::Error(LexError::BadChar)
            }
        };
        let mut tok = mk(kind, start, &c);
        if let Some((l, col)) = err_pos {
            tok.line = l;
            tok.col = col;
        }
        if kind == TokKind::Word {
            push_word(&mut out, tok, src, dialect.release);
        } else {
            out.push(tok);
        }
    }
}

fn push_word(out: &mut Vec<Token>, mut tok: Token, src: &str, release: u8) {
    tok.reserved = super::keywords::is_reserved_in(tok.text(src), release);
    out.push(tok);
}

fn is_ident_part_at(c: &Cursor<'_>, k: usize) -> bool {
    let b = c.peek(k);
    if b < 0x80 {
        return b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    }
    c.src
        .get(c.i + k..)
        .and_then(|s| s.chars().next())
        .is_some_and(is_unicode_letter)
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

/// A string-literal prefix at the cursor.
struct Prefix {
    /// Bytes before the opening quote.
    len: usize,
    /// `X'…'`: hex digits only.
    binary: bool,
    /// `U&'…'`: Unicode escapes.
    unicode: bool,
    /// `E'…'`: backslash escapes.
    escapes: bool,
    /// `_charset'…'`.
    charset: bool,
}

impl Prefix {
    /// Flink's checks on the literal's text, done when the parser reads it.
    fn check(&self, prefix: &str, body: &str) -> TokKind {
        let inner = &body[1..body.len() - 1];
        if self.binary {
            let ok = inner.bytes().all(
                |b| b.is_ascii_hexdigit() || b == b'\'', /* '' cannot occur validly */
            ) && !inner.contains('\'');
            if !ok {
                return TokKind::Error(LexError::BadBinary);
            }
            return TokKind::HexStr;
        }
        if self.charset {
            let name = &prefix[1..];
            const KNOWN: &[&str] = &[
                "UTF8",
                "UTF-8",
                "UTF16",
                "UTF-16",
                "UTF-16LE",
                "UTF-16BE",
                "LATIN1",
                "ISO-8859-1",
                "GBK",
                "GB2312",
            ];
            if !KNOWN.iter().any(|k| k.eq_ignore_ascii_case(name)) {
                return TokKind::Error(LexError::UnknownCharset);
            }
        }
        TokKind::Str
    }
}

fn string_prefix(c: &Cursor<'_>, dialect: Dialect) -> Option<Prefix> {
    let b = c.peek(0);
    let none = Prefix {
        len: 1,
        binary: false,
        unicode: false,
        escapes: false,
        charset: false,
    };
    match b {
        b'N' | b'n' if c.peek(1) == b'\'' => Some(none),
        b'X' | b'x' if c.peek(1) == b'\'' => Some(Prefix {
            binary: true,
            ..none
        }),
        b'E' | b'e' if c.peek(1) == b'\'' && dialect.c_style_strings => Some(Prefix {
            escapes: true,
            ..none
        }),
        b'U' | b'u' if c.peek(1) == b'&' && c.peek(2) == b'\'' => Some(Prefix {
            len: 2,
            unicode: true,
            ..none
        }),
        b'_' => {
            // `_` [a-zA-Z0-9] [a-zA-Z0-9:.\-_]* then a quote.
            if !c.peek(1).is_ascii_alphanumeric() {
                return None;
            }
            let mut k = 2;
            while matches!(c.peek(k), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b':' | b'.' | b'-' | b'_')
            {
                k += 1;
            }
            (c.peek(k) == b'\'').then_some(Prefix {
                len: k,
                charset: true,
                ..none
            })
        }
        _ => None,
    }
}

/// A quoted string. When it is not closed, Flink's longest match is the lone quote (a token
/// of its own that the parser then rejects): the token is that quote and lexing goes on after it.
fn string_body(c: &mut Cursor<'_>, ok: TokKind) -> TokKind {
    let save = (c.i, c.line, c.col, c.after_cr);
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
    (c.i, c.line, c.col, c.after_cr) = save;
    c.bump();
    TokKind::Error(LexError::UnterminatedString)
}

/// `E'…'`: like a string, but a backslash escapes the next character.
fn escaped_string_body(c: &mut Cursor<'_>) -> TokKind {
    c.bump();
    while !c.at_end() {
        match c.peek(0) {
            b'\\' => {
                c.bump();
                c.bump();
            }
            b'\'' => {
                c.bump();
                if c.peek(0) == b'\'' {
                    c.bump();
                    continue;
                }
                return TokKind::Str;
            }
            _ => c.bump(),
        }
    }
    TokKind::Error(LexError::UnterminatedString)
}

/// After `U&'…'`: an optional `UESCAPE 'c'` (taken into the token) and the escape check.
fn unicode_string_tail(c: &mut Cursor<'_>, body: &str) -> TokKind {
    let save = (c.i, c.line, c.col, c.after_cr);
    let mut escape = '\\';
    while matches!(c.peek(0), b' ' | b'\t' | b'\n' | b'\r') {
        c.bump();
    }
    let word_start = c.i;
    while c.peek(0).is_ascii_alphabetic() {
        c.bump();
    }
    let word = &c.src[word_start..c.i];
    let mut took = false;
    if word.eq_ignore_ascii_case("UESCAPE") {
        while matches!(c.peek(0), b' ' | b'\t' | b'\n' | b'\r') {
            c.bump();
        }
        let s = c.i;
        if c.peek(0) == b'\'' && string_body(c, TokKind::Str) == TokKind::Str {
            let lit = &c.src[s..c.i];
            let mut chars = lit[1..lit.len() - 1].chars();
            if let (Some(e), None) = (chars.next(), chars.next()) {
                escape = e;
                took = true;
            }
        }
    }
    if !took {
        (c.i, c.line, c.col, c.after_cr) = save;
    }
    let inner = &body[1..body.len() - 1];
    let mut it = inner.chars().peekable();
    while let Some(ch) = it.next() {
        if ch == escape {
            if it.peek() == Some(&escape) {
                it.next();
                continue;
            }
            for _ in 0..4 {
                if !it.next().is_some_and(|h| h.is_ascii_hexdigit()) {
                    return TokKind::Error(LexError::BadUnicodeEscape);
                }
            }
        }
    }
    TokKind::Str
}

/// A back-quoted identifier, Calcite's `` "`" ( ~["`","\n","\r"] | "``" )+ "`" ``. On failure,
/// the position of the character JavaCC stopped at (`None`: the input ended). When a complete
/// identifier was read before the failure (`` `a`` ``), the token is that identifier, as
/// JavaCC's longest-match rule gives it.
fn quoted_ident(c: &mut Cursor<'_>) -> Result<(), Option<Pos>> {
    c.bump(); // opening back-quote
    let mut content = false;
    let mut accepted: Option<(usize, u32, u32, bool)> = None;
    loop {
        if c.at_end() {
            break;
        }
        let b = c.peek(0);
        if b == b'\n' || b == b'\r' {
            let at = c.pos();
            if let Some(s) = accepted {
                (c.i, c.line, c.col, c.after_cr) = s;
                return Ok(());
            }
            return Err(Some(at));
        }
        if b == b'`' {
            c.bump();
            if c.peek(0) == b'`' {
                // An escaped back-quote, or the end followed by one more: longest match wins,
                // remember the end in case the rest fails.
                if content {
                    accepted = Some((c.i, c.line, c.col, c.after_cr));
                }
                c.bump();
                content = true;
                continue;
            }
            if content {
                return Ok(());
            }
            // "``" then something else: the doubled quote needs its second half.
            if c.at_end() {
                break;
            }
            return Err(Some(c.pos()));
        }
        c.bump();
        content = true;
    }
    if let Some(s) = accepted {
        (c.i, c.line, c.col, c.after_cr) = s;
        return Ok(());
    }
    Err(None)
}

fn number(c: &mut Cursor<'_>) {
    while c.peek(0).is_ascii_digit() {
        c.bump();
    }
    if c.peek(0) == b'.' {
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
