"""Comparing a checker answer with the oracle's, and what makes two disagreements "the same"."""

import re


def has_position(o):
    return o["expect"] == "invalid" and o.get("phase") == "parse" and o.get("error_line") is not None


def outcome(o, c):
    """'agree', 'verdict' (valid/invalid differ) or 'position' (both invalid at different places
    of a parse error)."""
    if (o["expect"] == "valid") != bool(c["valid"]):
        return "verdict"
    if has_position(o) and (c.get("line"), c.get("column")) != (o["error_line"], o["error_column"]):
        return "position"
    return "agree"


def message_class(msg):
    """The words of a message before its first quoted or numbered part ("Encountered",
    "Lexical error at line", "Incorrect syntax near the keyword")."""
    if not msg:
        return ""
    head = re.split(r"[\"'`0-9(]", msg, maxsplit=1)[0]
    return " ".join(head.split()[:6])


def signature(o, c):
    """What must stay true while shrinking: the kind of disagreement, Flink's verdict and phase,
    the classes of Flink's and the checker's messages and, for a position miss, whether the
    checker points before or after Flink."""
    kind = outcome(o, c)
    sig = (kind, o["expect"], o.get("phase") or "", message_class(o.get("flink_message")),
           message_class(c.get("message")))
    if kind == "position":
        ours = (c.get("line") or 0, c.get("column") or 0)
        sig += ("before" if ours < (o["error_line"], o["error_column"]) else "after",)
    return sig


def describe(o, c):
    if o["expect"] == "valid":
        flink = "valid"
    else:
        at = f" {o['error_line']}:{o['error_column']}" if o.get("error_line") is not None else ""
        flink = f"invalid ({o.get('phase')}{at}: {(o.get('flink_message') or '')[:90]})"
    if c["valid"]:
        ours = "valid"
    else:
        ours = f"invalid ({c.get('line')}:{c.get('column')}: {(c.get('message') or '')[:90]})"
    return f"flink {flink}; checker {ours}"
