"""`exact_dedup`: drop records whose normalized text equals an earlier record's, across the whole run.

Normalization: Unicode NFKC, lower-case, whitespace runs collapsed to one space, stripped; with
`ignore_punctuation: true` punctuation is removed too. The key is the first 16 bytes of a blake2b of the
normalized text of `field` (default `all`).

Whole-run, not per shard (two phases): in phase 1 every shard reports `(key, id)` for its rows; the
driver keeps, for each key, the smallest record id (so the survivor does not depend on sharding or on
the order shards finished) and remembers the ids to drop; phase 2 drops them shard by shard. Memory in
the driver is about 60 bytes per record.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from assay.pipelines.base import GlobalStep, StepOutput
from assay.pipelines.text import texts

_WS = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def normalize(text: str, ignore_punctuation: bool = False) -> str:
    """The normalized form used for exact-duplicate keys."""
    t = unicodedata.normalize("NFKC", text).lower()
    if ignore_punctuation:
        t = _PUNCT.sub("", t)
    return _WS.sub(" ", t).strip()


class ExactDedup(GlobalStep):
    """Keep one record (smallest id) per normalized text; annotates `<id>__key` and `<id>__dup_of`."""

    name = "exact_dedup"

    def __init__(self, field: str = "all", ignore_punctuation: bool = False, **common: Any) -> None:
        super().__init__(**common)
        self.field, self.ignore_punctuation = field, ignore_punctuation
        self._dup_of: dict[str, str] = {}

    def _keys(self, batch: pa.Table) -> list[str]:
        return [hashlib.blake2b(normalize(t, self.ignore_punctuation).encode(), digest_size=16).hexdigest()
                for t in texts(batch, self.field)]

    def collect(self, batch: pa.Table) -> list[tuple[str, str]]:
        return list(zip(self._keys(batch), batch.column("id").to_pylist()))

    def plan(self, partials: Sequence[Any]) -> None:
        first: dict[str, str] = {}
        for part in partials:
            for key, rid in part:
                if key not in first or rid < first[key]:
                    first[key] = rid
        self._dup_of = {rid: first[key] for part in partials for key, rid in part if first[key] != rid}

    def process(self, batch: pa.Table) -> StepOutput:
        ids = batch.column("id").to_pylist()
        dup_of = [self._dup_of.get(i) for i in ids]
        return self.decide(batch, keep=[d is None for d in dup_of], reasons="duplicate",
                           attributes={"key": self._keys(batch), "dup_of": pa.array(dup_of, pa.string())})
