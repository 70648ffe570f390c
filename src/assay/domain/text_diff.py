"""A word-level diff of two texts, for showing a rewritten answer against the reply it started from.

Pure (difflib only). Words and the whitespace between them are the tokens, so joining the parts of one side
gives back that side's text exactly: `"".join(p.text for p in parts if p.op != "+") == base` and
`"".join(p.text for p in parts if p.op != "-") == new`.

Readability rules: a change is shown as its deleted words then its inserted words; a run of whitespace
sitting between two changes joins them (so "the quick brown" → "a slow red" is one deletion and one
insertion, not three pairs); neighbouring parts with the same op are merged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

Op = Literal["=", "+", "-"]
_TOKEN = re.compile(r"\s+|\S+")
#: Above this many token comparisons (len(base) × len(new) tokens) the diff is one deletion and one
#: insertion of the differing middle: difflib is quadratic in the worst case, and a page must not hang.
MAX_WORK = 4_000_000


@dataclass(frozen=True)
class DiffPart:
    """One run of the diff: `op` "=" (in both), "-" (only in the base), "+" (only in the new text)."""

    op: Op
    text: str


def tokens(text: str) -> list[str]:
    """`text` split into words and whitespace runs (joining them gives `text` back)."""
    return _TOKEN.findall(text)


def _merge(parts: list[DiffPart]) -> list[DiffPart]:
    out: list[DiffPart] = []
    for p in parts:
        if not p.text:
            continue
        if out and out[-1].op == p.op:
            out[-1] = DiffPart(p.op, out[-1].text + p.text)
        else:
            out.append(p)
    return out


def _hunks(parts: list[DiffPart]) -> list[DiffPart]:
    """Join changes separated only by whitespace, each hunk as its deletion then its insertion."""
    out: list[DiffPart] = []
    dels: list[str] = []
    ins: list[str] = []

    def flush() -> None:
        if dels:
            out.append(DiffPart("-", "".join(dels)))
        if ins:
            out.append(DiffPart("+", "".join(ins)))
        dels.clear()
        ins.clear()

    for i, p in enumerate(parts):
        if p.op == "-":
            dels.append(p.text)
        elif p.op == "+":
            ins.append(p.text)
        elif (dels or ins) and p.text.isspace() and i + 1 < len(parts) and parts[i + 1].op != "=":
            dels.append(p.text)
            ins.append(p.text)
        else:
            flush()
            out.append(p)
    flush()
    return out


def word_diff(base: str, new: str) -> list[DiffPart]:
    """The word-level diff turning `base` into `new` (see the module rules); [] when both are empty."""
    a, b = tokens(base), tokens(new)
    pre = 0
    while pre < len(a) and pre < len(b) and a[pre] == b[pre]:
        pre += 1
    suf = 0
    while suf < len(a) - pre and suf < len(b) - pre and a[len(a) - 1 - suf] == b[len(b) - 1 - suf]:
        suf += 1
    mid_a, mid_b = a[pre:len(a) - suf], b[pre:len(b) - suf]
    parts = [DiffPart("=", "".join(a[:pre]))]
    if len(mid_a) * len(mid_b) > MAX_WORK:
        parts += [DiffPart("-", "".join(mid_a)), DiffPart("+", "".join(mid_b))]
    else:
        sm = SequenceMatcher(None, mid_a, mid_b, autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag == "equal":
                parts.append(DiffPart("=", "".join(mid_a[i1:i2])))
                continue
            if tag in ("replace", "delete"):
                parts.append(DiffPart("-", "".join(mid_a[i1:i2])))
            if tag in ("replace", "insert"):
                parts.append(DiffPart("+", "".join(mid_b[j1:j2])))
    parts.append(DiffPart("=", "".join(a[len(a) - suf:])))
    return _merge(_hunks(_merge(parts)))


def change_count(parts: list[DiffPart]) -> int:
    """How many separate changes (a deletion, an insertion, or a deletion replaced by an insertion)."""
    n = 0
    prev: Op = "="
    for p in parts:
        if p.op != "=" and prev == "=":
            n += 1
        prev = p.op
    return n
