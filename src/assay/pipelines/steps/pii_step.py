"""`pii`: find emails, phone numbers, IPs, card numbers (Luhn), IBANs (mod-97) and secrets; redact them.

Parameters:
  action     `redact` (default: replace each finding by `[KIND]` in every message and completion),
             `drop` (drop records with any finding, reason `pii`) or `annotate` (only attributes)
  kinds      which kinds to look for (default all of `assay.pipelines.pii.KINDS`)
  template   replacement text, default `[{kind}]`
Attributes: `<id>__count` (findings per record) and `<id>__kinds` (sorted distinct kinds). Counters:
findings per kind (`email`, `credit_card`, …) summed over the run.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa

from assay.errors import Invalid
from assay.pipelines.base import Step, StepOutput
from assay.pipelines.pii import KINDS, find_pii, redact
from assay.pipelines.text import rewrite_texts, texts


class Pii(Step):
    """Detect and redact (or drop, or only mark) personal data and secrets."""

    name = "pii"

    def __init__(self, action: str = "redact", kinds: list[str] | None = None, template: str = "[{kind}]",
                 **common: Any) -> None:
        super().__init__(**common)
        if action not in ("redact", "drop", "annotate"):
            raise Invalid(f"pii: action must be redact, drop or annotate, got {action!r}")
        unknown = sorted(set(kinds or []) - set(KINDS))
        if unknown:
            raise Invalid(f"pii: unknown kind(s) {', '.join(unknown)}; known: {', '.join(KINDS)}")
        self.action, self.template = action, template
        self.kinds = [k for k in KINDS if k in set(kinds)] if kinds else list(KINDS)

    def process(self, batch: pa.Table) -> StepOutput:
        kinds = tuple(self.kinds)
        found = [find_pii(t, kinds) for t in texts(batch, "all")]
        counters: Counter[str] = Counter(m.kind for f in found for m in f)
        attrs = {"count": pa.array([len(f) for f in found], pa.int32()),
                 "kinds": pa.array([sorted({m.kind for m in f}) for f in found], pa.list_(pa.string()))}
        if self.action == "redact":
            batch, changed = rewrite_texts(batch, lambda t: redact(t, find_pii(t, kinds), self.template))
            counters["redacted_records"] = sum(changed)
            return self.decide(batch, attributes=attrs, counters=dict(counters))
        keep = [not f for f in found] if self.action == "drop" else None
        return self.decide(batch, keep=keep, reasons="pii", attributes=attrs, counters=dict(counters))
