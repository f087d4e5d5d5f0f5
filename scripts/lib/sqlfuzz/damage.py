"""Character-level damage of a statement: how people's SQL goes wrong, or merely looks odd.

Each damage takes (rnd, sql) and returns the damaged text (or the same text when it does not
apply). `damage(rnd, sql)` applies one to three of them.
"""

from . import lex

RESERVED = ["user", "value", "timestamp", "year", "table", "select", "from", "order", "group", "date", "time",
            "result", "end", "values", "current", "language", "system", "function", "partition", "window",
            "match", "rows", "range", "interval", "position", "count", "min", "default", "comment", "key",
            "watermark", "metadata", "virtual", "like", "in", "at", "row", "array", "map", "cast", "json"]
UNICODE_NAMES = ["ユーザー", "données", "имя", "名前", "ß", "Ω", "ǅ", "ｆｕｌｌ", "a\u0301", "x\u00b2", "é_é",
                 "\U0001d4b3", "𝔘", "ℌ", "µ", "ı", "ſ", "ĳ", "ὈΔΥΣΣΕΎΣ"]
ODD_IDENTS = ["`a b`", "`a``b`", "````", "``", "`select`", "`1abc`", "1abc", "_x", "$x", "x$y", "a__b", "`ä`",
              "`\u00a0`", "`a\nb`", "`tab\there`", "`-`", "`.`", "`'`", "`\"`", "\"dq\"", "`a`.`b`.`c`",
              "a.`b`", "`a`.b", "`a`.``", "`unterminated"]
ODD_LITERALS = ["'it''s'", "'a\\nb'", "'\\'", "'''", "''''", "'a''", "U&'\\0041'", "U&'\\+01F600'",
                "U&'!0041' UESCAPE '!'", "U&'\\zz'", "X''", "X'0'", "X'0F'", "x'zz'", "X'0F' '10'", "N'nchar'",
                "_UTF8'u'", "_latin1'x'", "E'\\t'", "e'\\''", "E'\\u0041'", "'a'\n'b'", "'a' 'b'", "'a'--x\n'b'",
                "1e10", "1E-3", "1e", "1e+", ".5", "5.", "1.2.3", "0x1F", "1_000", "00012", "1.e5", "1.5e-", "2147483648",
                "99999999999999999999999999999999999999", "-0.0", "+1", "--1", "- -1", "1..2", "DATE '2024-13-45'",
                "TIMESTAMP '2024-01-01 25:00:00'", "TIME '24:00:00'", "DATE 'x'", "INTERVAL '1' WEEK",
                "INTERVAL '99999999999' DAY", "INTERVAL '1:2:3' HOUR TO SECOND", "INTERVAL 'x' MINUTE",
                "INTERVAL '1' DAY(5)", "TRUE", "UNKNOWN", "NULL", "'\u00e9'", "'\U0001f600'", "'\t'", "'\r\n'"]
PUNCT_SWAPS = [("(", "\uff08"), (")", "\uff09"), (",", "\uff0c"), (";", "\uff1b"), ("'", "\u2019"),
               ("'", "\u2018"), ("`", "\u2018"), ("=", "\uff1d"), ("-", "\u2013"), ("*", "\u00d7"),
               (".", "\u3002"), (" ", "\u00a0"), (" ", "\u3000"), (" ", "\u2003"), ('"', "\u201c"),
               ("<", "\uff1c"), (":", "\uff1a"), ("[", "\u3010")]
INVISIBLE = ["\u200b", "\ufeff", "\u200d", "\u2060", "\u00ad", "\u202e", "\x00", "\x0b", "\x0c", "\x1a", "\u2028"]
COMMENTS = ["--", "-- note", "--x", "/* c */", "/**/", "/***/", "/* a; b */", "/* 'q' */", "/*+ */",
            "/*+ OPTIONS('a' = 'b') */", "/* /* nested */ */", "/*", "/* unterminated", "*/", "-- ;", "--\r",
            "//", "#", "/*-- */", "-- /*", "/*\n*/", "/*+ BROADCAST(x) */"]


def _pick(rnd, seq):
    return seq[rnd.randrange(len(seq))]


def _solid(toks):
    return [i for i, (k, _) in enumerate(toks) if k not in lex.SKIP]


def odd_identifier(rnd, sql):
    toks = lex.tokens(sql)
    words = [i for i, (k, _) in enumerate(toks) if k in ("word", "qid")]
    if not words:
        return sql
    i = _pick(rnd, words)
    x = rnd.random()
    if x < 0.3:
        new = _pick(rnd, RESERVED)
        if rnd.random() < 0.3:
            new = "`" + new + "`"
    elif x < 0.55:
        new = _pick(rnd, UNICODE_NAMES)
        if rnd.random() < 0.3:
            new = "`" + new + "`"
    elif x < 0.92:
        new = _pick(rnd, ODD_IDENTS)
    else:
        n = _pick(rnd, [128, 255, 256, 257, 300, 1000])
        new = "a" * n
        if rnd.random() < 0.4:
            new = "`" + new + "`"
    toks[i] = ("word", new)
    return lex.join(toks)


def odd_literal(rnd, sql):
    toks = lex.tokens(sql)
    lits = [i for i, (k, _) in enumerate(toks) if k in ("str", "num")]
    if not lits or rnd.random() < 0.25:
        # a literal where an expression or a value stands
        cands = [i for i, (k, t) in enumerate(toks) if k == "word" and i > 2]
        if not cands:
            return sql
        lits = cands
    i = _pick(rnd, lits)
    x = rnd.random()
    if x < 0.75:
        new = _pick(rnd, ODD_LITERALS)
    elif x < 0.9:
        new = "'" + "x" * _pick(rnd, [1000, 5000, 40000]) + "'"
    else:
        new = "1" * _pick(rnd, [19, 20, 40, 100])
    toks[i] = ("str", new)
    return lex.join(toks)


def unicode_punct(rnd, sql):
    cands = [(i, a, b) for a, b in PUNCT_SWAPS for i in range(len(sql)) if sql[i] == a]
    if not cands or rnd.random() < 0.3:
        # an invisible character somewhere between tokens, or at the start/end
        toks = lex.tokens(sql)
        pos = rnd.randrange(len(toks) + 1)
        toks.insert(pos, ("op", _pick(rnd, INVISIBLE)))
        return lex.join(toks)
    i, _, b = _pick(rnd, cands)
    return sql[:i] + b + sql[i + 1:]


def comment(rnd, sql):
    toks = lex.tokens(sql)
    c = _pick(rnd, COMMENTS)
    x = rnd.random()
    if x < 0.3:
        return sql + _pick(rnd, ["", " ", "\n"]) + c  # at EOF, often without a newline
    if x < 0.4:
        return c + _pick(rnd, ["\n", " ", ""]) + sql
    pos = rnd.randrange(len(toks) + 1)
    glue = "\n" if c.startswith("--") and rnd.random() < 0.7 else _pick(rnd, ["", " "])
    toks.insert(pos, ("c2", _pick(rnd, ["", " "]) + c + glue))
    return lex.join(toks)


def casing(rnd, sql):
    out = []
    mode = rnd.randrange(4)
    for k, t in lex.tokens(sql):
        if k == "word":
            m = mode if mode < 3 else rnd.randrange(3)
            if m == 0:
                t = t.upper()
            elif m == 1:
                t = t.lower()
            else:
                t = "".join(ch.upper() if rnd.random() < 0.5 else ch.lower() for ch in t)
        out.append(t)
    return "".join(out)


def layout(rnd, sql):
    x = rnd.random()
    if x < 0.25:
        return sql.replace("\n", "\r\n") if "\n" in sql else sql.replace(" ", "\r\n", 1)
    if x < 0.32:
        return sql.replace("\n", "\r")
    toks = lex.tokens(sql)
    for i, (k, t) in enumerate(toks):
        if k == "ws" and rnd.random() < 0.4:
            toks[i] = (k, _pick(rnd, ["\t", "\n\n\n", " \t ", "\n\t\t", "        ", "\r\n\r\n", "\n \n", "\f", "\t\n"]))
    s = lex.join(toks)
    if rnd.random() < 0.2:
        s = _pick(rnd, ["\n\n", "  ", "\t", "\r\n"]) + s + _pick(rnd, ["\n\n\n", "   ", "\t\n", ""])
    return s


def drop_token(rnd, sql):
    toks = lex.tokens(sql)
    solid = _solid(toks)
    if len(solid) < 2:
        return sql
    del toks[_pick(rnd, solid)]
    return lex.join(toks)


def duplicate_token(rnd, sql):
    toks = lex.tokens(sql)
    solid = _solid(toks)
    if not solid:
        return sql
    i = _pick(rnd, solid)
    toks[i:i] = [toks[i], ("ws", _pick(rnd, [" ", "", "\n"]))]
    return lex.join(toks)


def swap_tokens(rnd, sql):
    toks = lex.tokens(sql)
    solid = _solid(toks)
    if len(solid) < 2:
        return sql
    n = rnd.randrange(len(solid) - 1)
    i, j = solid[n], solid[n + 1]
    toks[i], toks[j] = toks[j], toks[i]
    return lex.join(toks)


def insert_token(rnd, sql):
    toks = lex.tokens(sql)
    pos = rnd.randrange(len(toks) + 1)
    new = _pick(rnd, RESERVED + [",", "(", ")", ";", "'", "`", ".", "=", "*", "+", "?", ":", "[", "]", "{", "}",
                                 "@", "!", "^", "&", "|", "~", "\\", "\"", "<>", "::", "=>", "->"])
    toks[pos:pos] = [("ws", " "), ("op", new), ("ws", " ")] if rnd.random() < 0.6 else [("op", new)]
    return lex.join(toks)


def truncate(rnd, sql):
    if len(sql) < 4:
        return sql
    toks = lex.tokens(sql)
    if rnd.random() < 0.5 and len(toks) > 1:
        return lex.join(toks[: rnd.randrange(1, len(toks))])
    return sql[: rnd.randrange(1, len(sql))]


def separators(rnd, sql):
    x = rnd.random()
    if x < 0.3:
        return sql.rstrip(";") + _pick(rnd, [";;", "; ;", ";\n;", " ;", ";\n\n"])
    if x < 0.6:
        return _pick(rnd, [";", ";\n", " ; "]) + sql
    return sql.replace(";", "", 1) if ";" in sql else sql + ";"


DAMAGES = [
    (14, odd_identifier), (14, odd_literal), (12, unicode_punct), (12, comment), (6, casing), (8, layout),
    (8, drop_token), (5, duplicate_token), (5, swap_tokens), (6, insert_token), (6, truncate), (4, separators),
]


def damage(rnd, sql):
    """One to three damages, picked by weight."""
    total = sum(w for w, _ in DAMAGES)
    for _ in range(rnd.choice([1, 1, 1, 2, 2, 3])):
        x = rnd.random() * total
        for w, fn in DAMAGES:
            x -= w
            if x < 0:
                sql = fn(rnd, sql)
                break
    return sql
