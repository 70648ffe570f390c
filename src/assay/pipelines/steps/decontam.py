"""`decontaminate`: drop (or mark) records that share a word n-gram with an evaluation set.

Parameters:
  evals      list of {name, path, field}: a JSONL (optionally .gz) or JSON-array file of eval items and
             the field holding their text, e.g. `{name: gsm8k, path: ../shared/data/gsm8k/test.jsonl,
             field: question}` or `{name: humaneval, path: .../HumanEval.jsonl.gz, field: prompt}`. An
             item's id is its `task_id`/`id` field when present, else its 0-based line number.
  n          n-gram length in words (default 13, as in GPT-3's decontamination); an eval item shorter
             than n words contributes its whole text as one gram
  field      record text to check (default `all`)
  action     `drop` (default) or `annotate`
Words are lower-cased `\\w+` tokens. The index of eval n-grams is built once when the step is built (in
the driver) and shipped to workers with the step. Attributes: `<id>__match` ("gsm8k:17", the first eval
item matched, or null) and `<id>__overlap` (number of the record's n-grams found in the eval sets).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa

from assay.errors import Invalid
from assay.pipelines.base import Step, StepOutput
from assay.pipelines.text import texts

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def grams(tokens: list[str], n: int) -> list[int]:
    """64-bit hashes of the word n-grams (or of the whole token list when shorter than n)."""
    if not tokens:
        return []
    spans = [tokens[i:i + n] for i in range(len(tokens) - n + 1)] if len(tokens) >= n else [tokens]
    return [int.from_bytes(hashlib.blake2b(" ".join(s).encode(), digest_size=8).digest(), "big") for s in spans]


def _read_items(path: str) -> list[dict[str, Any]]:
    p = Path(path)
    if not p.is_file():
        raise Invalid(f"decontaminate: eval file {path} does not exist")
    opener = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rt", encoding="utf-8") as f:
        text = f.read()
    if text.lstrip().startswith("["):
        return list(json.loads(text))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class Decontaminate(Step):
    """N-gram overlap against evaluation sets."""

    name = "decontaminate"

    def __init__(self, evals: list[dict[str, str]], n: int = 13, field: str = "all", action: str = "drop",
                 **common: Any) -> None:
        super().__init__(**common)
        if action not in ("drop", "annotate"):
            raise Invalid(f"decontaminate: action must be drop or annotate, got {action!r}")
        if not evals:
            raise Invalid("decontaminate: give at least one eval set as {name, path, field}")
        self.evals, self.n, self.field, self.action = evals, int(n), field, action
        self._index: dict[int, str] = {}
        for ev in evals:
            missing = {"name", "path", "field"} - set(ev)
            if missing:
                raise Invalid(f"decontaminate: eval entry {ev!r} lacks {', '.join(sorted(missing))}")
            for i, item in enumerate(_read_items(ev["path"])):
                if ev["field"] not in item:
                    raise Invalid(f"decontaminate: {ev['path']} item {i} has no field {ev['field']!r}")
                item_id = item.get("task_id", item.get("id", i))
                for g in grams(words(str(item[ev["field"]])), self.n):
                    self._index.setdefault(g, f"{ev['name']}:{item_id}")

    def process(self, batch: pa.Table) -> StepOutput:
        matches: list[str | None] = []
        overlaps: list[int] = []
        for t in texts(batch, self.field):
            hits = [self._index[g] for g in grams(words(t), self.n) if g in self._index]
            matches.append(hits[0] if hits else None)
            overlaps.append(len(hits))
        keep = [m is None for m in matches] if self.action == "drop" else None
        return self.decide(batch, keep=keep, reasons="contaminated",
                           attributes={"match": pa.array(matches, pa.string()),
                                       "overlap": pa.array(overlaps, pa.int32())},
                           counters={"contaminated": sum(m is not None for m in matches)})
