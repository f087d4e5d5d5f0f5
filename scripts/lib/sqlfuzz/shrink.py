"""Shrinking disagreements to minimal statements, many at once.

Delta debugging (ddmin's complement step), batched: in each round every open job offers all
removals of one chunk of its current text, at every chunk size from half the text down to one
unit, and all jobs' candidates for a release go to the oracle and the checker in one batch. A
job keeps the shortest candidate that still disagrees with the same signature
(compare.signature) and goes on; when no candidate does, it moves from token units to characters,
and is done when no single character can go. A round costs one oracle start per release, so a
few dozen rounds shrink every disagreement of a run.
"""

import time

from . import compare, lex

MAX_CANDIDATES = 700  # per job and round


def removals(units):
    """[(text, (start, end))]: `units` with one chunk [start, end) removed, largest chunks
    first, at most MAX_CANDIDATES."""
    n = len(units)
    out, seen = [], set()
    size = max(n // 2, 1)
    while True:
        if len(out) + (n + size - 1) // size > MAX_CANDIDATES and out:
            break
        for start in range(0, n, size):
            s = "".join(units[:start] + units[start + size:])
            if s.strip() and s not in seen:
                seen.add(s)
                out.append((s, (start, min(start + size, n))))
        if size == 1:
            break
        size = max(size // 2, 1)
    return out


def combined(units, ranges):
    """Texts with several of the removals that each worked taken out together: all disjoint
    ones (largest first), then the first half and the first quarter of them."""
    picked = []
    for r in sorted(ranges, key=lambda r: (r[0] - r[1], r[0])):
        if all(r[1] <= p[0] or r[0] >= p[1] for p in picked):
            picked.append(r)
    out = []
    for k in (len(picked), (len(picked) + 1) // 2, (len(picked) + 3) // 4):
        if k < 2:
            continue
        drop = [False] * len(units)
        for a, b in picked[:k]:
            for i in range(a, b):
                drop[i] = True
        s = "".join(u for u, d in zip(units, drop) if not d)
        if s.strip() and s not in out:
            out.append(s)
    return out


def simplifications(text):
    """A few rewrites that keep the length down without removing a unit: runs of blanks made one
    space."""
    out = []
    squeezed = " ".join(text.split(" "))
    while "  " in squeezed:
        squeezed = squeezed.replace("  ", " ")
    if squeezed != text and squeezed.strip():
        out.append(squeezed)
    return out


class Job:
    def __init__(self, key, version, sql, sig):
        self.key = key
        self.version = version
        self.original = sql
        self.sql = sql
        self.sig = sig
        self.level = "token"
        self.done = False
        self.rounds = 0
        self.oracle = None
        self.checker = None
        self.combos = []  # candidates made of several removals that each worked last round
        self.ranges = {}  # candidate text -> the unit range its removal took out, this round
        self.units = []

    def candidates(self):
        self.units = lex.units(self.sql) if self.level == "token" else list(self.sql)
        rem = removals(self.units)
        self.ranges = {t: r for t, r in rem}
        cands = [t for t, _ in rem]
        if self.level == "token":
            cands += simplifications(self.sql)
        cands += [c for c in self.combos if c not in self.ranges]
        self.combos = []
        return [c for c in cands if c != self.sql]


def shrink(jobs, engines, deadline, log, max_rounds=80):
    """Shrinks `jobs` in place until each is minimal, `deadline` (time.monotonic()) passes or
    `max_rounds` rounds ran. Each job ends with .oracle/.checker answers for its .sql."""
    rounds = 0
    while rounds < max_rounds and time.monotonic() < deadline:
        open_jobs = [j for j in jobs if not j.done]
        if not open_jobs:
            break
        rounds += 1
        versions = []
        for j in open_jobs:
            if j.version not in versions:
                versions.append(j.version)
        for v in versions:
            if time.monotonic() >= deadline:
                break
            vjobs = [j for j in open_jobs if j.version == v]
            batch, owner = [], []
            for j in vjobs:
                cands = j.candidates()
                batch += cands
                owner += [j] * len(cands)
            oracle, checker = engines.run(v, batch)
            best, worked = {}, {}
            for s, j, o, c in zip(batch, owner, oracle, checker):
                if compare.outcome(o, c) != "agree" and compare.signature(o, c) == j.sig:
                    cur = best.get(j.key)
                    if cur is None or len(s) < len(cur[0]):
                        best[j.key] = (s, o, c)
                    if s in j.ranges:
                        worked.setdefault(j.key, []).append(j.ranges[s])
            for j in vjobs:
                j.rounds += 1
                if j.key in best:
                    # next round also tries the removals that worked, taken out together
                    j.combos = combined(j.units, worked.get(j.key, []))
                    j.sql, j.oracle, j.checker = best[j.key]
                elif j.level == "token":
                    j.level = "char"
                else:
                    j.done = True
        log(f"shrink round {rounds}: {sum(1 for j in jobs if not j.done)} of {len(jobs)} still shrinking, "
            f"sizes {sorted(len(j.sql) for j in jobs)[:12]}")
    return rounds
