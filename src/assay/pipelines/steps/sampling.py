"""`sample`: keep a random, stratified or cluster-diverse subset of the whole run (two phases).

Parameters:
  n          how many records to keep in total (or `fraction` in 0..1)
  by         optional stratum: a column name or `metadata.<key>`; `stratified` keeps about the same
             fraction of each stratum (largest remainders get the leftover slots), `diverse` keeps at most
             one record per cluster first (e.g. `by: near_dedup__near_dup_cluster`), then fills
             round-robin. For `diverse`, a record whose `by` value is null (or a missing metadata key) is a
             cluster of its own: records are grouped by coalesce(by, id), because near_dedup leaves the
             cluster null for records without near-duplicates. For `stratified`, null is one stratum.
  method     `random` (default), `stratified` or `diverse`
  seed       integer (default 0)
Randomness is a keyed hash of (seed, id), so the same seed keeps the same records whatever the sharding.
Phase 1 collects (id, stratum) per shard; the driver picks; phase 2 drops the rest (reason `not_sampled`).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from assay.errors import Invalid
from assay.pipelines.base import GlobalStep, StepOutput
from assay.pipelines.text import texts


def _nulls(batch: pa.Table, by: str) -> list[bool]:
    """Per row: is the `by` value missing (a null column value, or a metadata key absent or null)?"""
    if by.startswith("metadata."):
        key = by.split(".", 1)[1]
        return [json.loads(m or "{}").get(key) is None for m in batch.column("metadata").to_pylist()]
    if by in batch.column_names:
        return [bool(v) for v in batch.column(by).is_null().to_pylist()]
    return [False] * batch.num_rows


class Sample(GlobalStep):
    """Keep a deterministic sample of the whole run."""

    name = "sample"

    def __init__(self, n: int | None = None, fraction: float | None = None, by: str | None = None,
                 method: str = "random", seed: int = 0, **common: Any) -> None:
        super().__init__(**common)
        if (n is None) == (fraction is None):
            raise Invalid("sample: give exactly one of n (a count) or fraction (0..1)")
        if fraction is not None and not 0 <= fraction <= 1:
            raise Invalid(f"sample: fraction must lie in 0..1, got {fraction}")
        if method not in ("random", "stratified", "diverse"):
            raise Invalid(f"sample: method must be random, stratified or diverse, got {method!r}")
        if method != "random" and not by:
            raise Invalid(f"sample: method {method!r} needs `by` (a column or metadata.<key>)")
        self.n, self.fraction, self.by, self.method, self.seed = n, fraction, by, method, seed
        self._keep: set[str] = set()

    def _rank(self, rid: str) -> str:
        return hashlib.blake2b(f"{self.seed}:{rid}".encode(), digest_size=8).hexdigest()

    def collect(self, batch: pa.Table) -> list[tuple[str, str | None]]:
        ids = batch.column("id").to_pylist()
        if not self.by:
            return [(i, "") for i in ids]
        strata: list[str | None] = list(texts(batch, self.by))
        for k, null in enumerate(_nulls(batch, self.by)):
            if null:
                strata[k] = None
        return list(zip(ids, strata))

    def plan(self, partials: Sequence[Any]) -> None:
        items = sorted(((self._rank(i), i, s) for part in partials for i, s in part), key=lambda x: (x[0], x[1]))
        total = len(items)
        want = min(total, self.n if self.n is not None else round(total * (self.fraction or 0)))
        if self.method == "random":
            self._keep = {i for _, i, _ in items[:want]}
            return
        groups: dict[str, list[str]] = defaultdict(list)
        for _, i, s in items:
            if s is None:  # no value: a stratum of its own (null) or, for diverse, a cluster of one
                s = i if self.method == "diverse" else ""
            groups[s].append(i)
        if self.method == "stratified":
            exact = {s: want * len(g) / total for s, g in groups.items()}
            quota = {s: int(q) for s, q in exact.items()}
            left = want - sum(quota.values())
            for s in sorted(exact, key=lambda s: (-(exact[s] - quota[s]), s))[:left]:
                quota[s] += 1
            self._keep = {i for s, g in groups.items() for i in g[:quota[s]]}
            return
        keep: list[str] = []
        depth = 0
        order = sorted(groups, key=lambda s: self._rank(s))
        while len(keep) < want:
            for s in order:
                if depth < len(groups[s]) and len(keep) < want:
                    keep.append(groups[s][depth])
            depth += 1
        self._keep = set(keep)

    def process(self, batch: pa.Table) -> StepOutput:
        return self.decide(batch, keep=[i in self._keep for i in batch.column("id").to_pylist()],
                           reasons="not_sampled")
