"""`quality`: Gopher-style heuristics (Rae et al. 2021, appendix A) as attributes, and optional thresholds.

Measured on the text of `field` (default `response`), for every record:
  words, mean_word_len, symbol_ratio (# and … per word), stop_words (count of English stop words from a
  small list; for non-English text leave `min_stop_words` unset), ellipsis_lines (fraction of lines ending
  in ... or …), bullet_lines (fraction starting with a bullet), dup_line_frac and dup_para_frac (fraction of
  characters in duplicated lines / paragraphs), top2gram_frac (characters covered by the most frequent
  word bigram).
Thresholds (set any; a row failing one is dropped with the test's name as reason, e.g. `min_words`):
  min_words, max_words, min_mean_word_len, max_mean_word_len, max_symbol_ratio, min_stop_words,
  max_ellipsis_lines, max_bullet_lines, max_dup_line_frac, max_dup_para_frac, max_top2gram_frac.
Use `preset: gopher` for Gopher's web-text values (words 50..100000, mean word length 3..10, symbol
ratio ≤ 0.1, ≥ 2 stop words, ≤ 0.9 bullet lines, ≤ 0.3 ellipsis lines, ≤ 0.3 duplicate lines, ≤ 0.3
duplicate paragraphs, ≤ 0.2 top bigram); chat answers are often shorter, so set thresholds for your data.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pyarrow as pa

from assay.errors import Invalid
from assay.pipelines.base import Step, StepOutput
from assay.pipelines.text import texts

STOP_WORDS = frozenset(["the", "be", "to", "of", "and", "that", "have", "with"])
BULLETS = ("-", "*", "•", "·", "‣", "◦", "●", "–")
GOPHER = {"min_words": 50, "max_words": 100000, "min_mean_word_len": 3, "max_mean_word_len": 10,
          "max_symbol_ratio": 0.1, "min_stop_words": 2, "max_bullet_lines": 0.9, "max_ellipsis_lines": 0.3,
          "max_dup_line_frac": 0.3, "max_dup_para_frac": 0.3, "max_top2gram_frac": 0.2}
TESTS = {k: (k[4:], k[:3]) for k in GOPHER}  # name -> (measure, min|max)
_WORD = re.compile(r"\w+", re.UNICODE)


def _dup_frac(parts: list[str]) -> float:
    parts = [p.strip() for p in parts if p.strip()]
    total = sum(len(p) for p in parts)
    if not total:
        return 0.0
    seen: set[str] = set()
    dup = 0
    for p in parts:
        if p in seen:
            dup += len(p)
        seen.add(p)
    return dup / total


def measure(text: str) -> dict[str, float]:
    """All quality measures of one text (see the module docstring)."""
    words = text.split()
    n = len(words)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    nl = len(lines) or 1
    toks = [w.lower() for w in _WORD.findall(text)]
    bigrams = Counter(zip(toks, toks[1:]))
    top2 = 0.0
    if bigrams:
        (a, b), c = bigrams.most_common(1)[0]
        top2 = c * (len(a) + len(b)) / max(1, sum(len(t) for t in toks)) if c > 1 else 0.0
    return {
        "words": float(n),
        "mean_word_len": sum(len(w) for w in words) / n if n else 0.0,
        "symbol_ratio": (text.count("#") + text.count("...") + text.count("…")) / n if n else 0.0,
        "stop_words": float(sum(1 for t in toks if t in STOP_WORDS)),
        "ellipsis_lines": sum(1 for ln in lines if ln.rstrip().endswith(("...", "…"))) / nl,
        "bullet_lines": sum(1 for ln in lines if ln.lstrip().startswith(BULLETS)) / nl,
        "dup_line_frac": _dup_frac(text.splitlines()),
        "dup_para_frac": _dup_frac(re.split(r"\n\s*\n", text)),
        "top2gram_frac": round(top2, 6),
    }


class Quality(Step):
    """Gopher-style quality measures as attributes, with optional thresholds."""

    name = "quality"

    def __init__(self, field: str = "response", preset: str | None = None, **params: Any) -> None:
        common = {k: params.pop(k) for k in ("id", "annotate_only") if k in params}
        super().__init__(**common)
        if preset not in (None, "gopher"):
            raise Invalid(f"quality: unknown preset {preset!r}; the only preset is 'gopher'")
        unknown = sorted(set(params) - set(TESTS))
        if unknown:
            raise Invalid(f"quality: unknown threshold(s) {', '.join(unknown)}; known: {', '.join(TESTS)}")
        self.field, self.preset = field, preset
        self.thresholds: dict[str, float] = {**(GOPHER if preset else {}), **params}

    def process(self, batch: pa.Table) -> StepOutput:
        measures = [measure(t) for t in texts(batch, self.field)]
        reasons: list[str | None] = []
        for m in measures:
            why = None
            for test, limit in self.thresholds.items():
                name, kind = TESTS[test]
                if (kind == "min" and m[name] < limit) or (kind == "max" and m[name] > limit):
                    why = test
                    break
            reasons.append(why)
        attrs = {k: pa.array([round(m[k], 6) for m in measures], pa.float64()) for k in measure("")}
        keep = [r is None for r in reasons] if self.thresholds else None
        return self.decide(batch, keep=keep, reasons=reasons, attributes=attrs)
