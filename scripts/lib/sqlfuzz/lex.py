"""A forgiving tokenizer for Flink SQL text: every character lands in exactly one token.

Used to damage statements at token boundaries and to shrink them token by token. It is not the
checker's lexer and need not agree with Flink's: a token here is only a unit to drop, duplicate,
swap or keep.
"""

import re

TOKEN = re.compile(
    r"""(?P<ws>\s+)"""
    r"""|(?P<c1>--[^\n]*)"""
    r"""|(?P<hint>/\*\+.*?\*/)"""
    r"""|(?P<c2>/\*.*?\*/)"""
    r"""|(?P<str>(?:[NnXxEe]|[Uu]&|_[A-Za-z0-9]+)?'(?:[^']|'')*'?)"""
    r"""|(?P<qid>`(?:[^`]|``)*`?)"""
    r"""|(?P<dq>"(?:[^"]|"")*"?)"""
    r"""|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"""
    r"""|(?P<word>[^\W\d]\w*|\$\w*)"""
    r"""|(?P<op><>|<=|>=|!=|\|\||=>|::|\.\.|.)""",
    re.S,
)

SKIP = ("ws", "c1", "c2")


def tokens(sql):
    """[(kind, text)] covering `sql` exactly."""
    return [(m.lastgroup, m.group()) for m in TOKEN.finditer(sql)]


def join(toks):
    return "".join(t for _, t in toks)


def units(sql):
    """Tokens with the whitespace and comments after them glued on: the shrinker's units."""
    out = []
    for kind, text in tokens(sql):
        if kind in SKIP and out:
            out[-1] = out[-1] + text
        else:
            out.append(text)
    return out
