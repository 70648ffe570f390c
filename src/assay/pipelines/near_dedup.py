"""Near-duplicate detection with MinHash LSH and exact Jaccard verification (numpy, plus one numba kernel).

Public API:

* `near_duplicate_clusters(texts, threshold=0.35, ngram=5, ...) -> NearDupResult`: the pure function;
  `near_duplicate_clusters_stream(batches, ...)` the same over texts arriving in batches.
* `NearDedup` (alias `NearDedupStep`): the pipeline step ``near_dedup`` (a `GlobalStep`).

How documents become clusters:
  1. words after normalisation (lowercase; anything not a letter or digit separates words), `ngram`-word
     shingles hashed to 32 bits (`assay.pipelines.minhash_shingles`);
  2. ``bands * rows`` MinHash values per document; unless given, bands and rows are derived from
     `threshold`: with verification the fewest hashes that make a pair at the threshold a candidate with
     probability >= 0.99 (`assay.pipelines.minhash_lsh.recall_params`), without it datasketch's weighted
     S-curve areas (`lsh_params`);
  3. candidate pairs: documents sharing a band bucket;
  4. with ``verify=True`` (default) a candidate pair counts only if the exact Jaccard similarity of the two
     documents' shingle sets is >= `threshold` (`assay.pipelines.minhash_verify`), so documents that share
     a long template but differ in content stay apart; with ``verify=False`` every candidate pair counts
     (classic LSH dedup, faster, lower precision);
  5. clusters are the connected components of the counted pairs; the lowest index of a cluster is kept.

Documents with no words after normalisation never join a cluster.

Memory: per document only its shingle hashes and one 64-bit key per band are kept (`minhash_store.SketchStore`),
in memory up to `memory_mb` and then on disk (`spill`), so a run's memory stays bounded whatever its size;
spilled or not, the result is the same.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from assay.errors import Invalid
from assay.pipelines import minhash_kernel
from assay.pipelines.base import GlobalStep, StepOutput
from assay.pipelines.minhash_lsh import (
    MAX_DERIVED_PERM,
    MinHasher,
    band_keys,
    keyed_candidate_pairs,
    lsh_params,
    recall_params,
)
from assay.pipelines.minhash_shingles import NO_SHINGLE, ShingleBatch, concat_batches, iter_shingle_batches
from assay.pipelines.minhash_store import DEFAULT_MEMORY_MB, SketchStore
from assay.pipelines.minhash_verify import pair_jaccard
from assay.pipelines.text import texts as batch_texts

DEFAULT_NUM_PERM = 128  # with verify=False (datasketch's derivation) or one of bands/rows given
DEFAULT_THRESHOLD = 0.35  # catches copies with 5-10 % of words edited: docs/near-dedup.md, bench/dedup/edit_jaccard.py


@dataclass(frozen=True)
class LshConfig:
    """Resolved parameters of one near-duplicate run."""

    threshold: float
    ngram: int
    num_perm: int
    bands: int
    rows: int
    seed: int
    verify: bool
    fn_weight: float | None  # None: bands/rows from `recall_params` (or given)


def resolve_config(threshold: float = DEFAULT_THRESHOLD, ngram: int = 5, num_perm: int | None = None,
                   bands: int | None = None, rows: int | None = None, seed: int = 1,
                   verify: bool = True, fn_weight: float | None = None) -> LshConfig:
    """Check parameters and derive bands/rows. Raises Invalid naming the bad parameter.

    With neither `bands` nor `rows`: with ``verify=True`` and no `fn_weight`, both come from
    ``recall_params(threshold, num_perm or 512)`` — the fewest hashes that catch a pair at the threshold
    with probability >= 0.99 (false positives only cost an exact check); otherwise from
    ``lsh_params(threshold, num_perm or 128, 1 - fn_weight, fn_weight)`` (datasketch's weighted S-curve
    areas; `fn_weight` defaults to datasketch's 0.5 without verification). With one of bands/rows, the
    other is ``num_perm // given`` (num_perm defaults to 128). With both, `num_perm` defaults to
    ``bands * rows`` and must be at least that.
    """
    if not 0.0 < threshold < 1.0:
        raise Invalid(f"threshold must be between 0 and 1 (exclusive), got {threshold}; "
                      f"{DEFAULT_THRESHOLD} catches copies with 5-10 % of words edited")
    if ngram < 1:
        raise Invalid(f"ngram must be at least 1 word, got {ngram}")
    fnw = fn_weight if fn_weight is not None else (None if verify else 0.5)
    if fnw is not None and not 0.0 <= fnw <= 1.0:
        raise Invalid(f"fn_weight must be between 0 and 1, got {fn_weight}")
    for name, v in (("num_perm", num_perm), ("bands", bands), ("rows", rows)):
        if v is not None and v < 1:
            raise Invalid(f"{name} must be at least 1, got {v}")
    if bands is not None and rows is not None:
        k = num_perm if num_perm is not None else bands * rows
        if bands * rows > k:
            raise Invalid(f"bands * rows = {bands * rows} exceeds num_perm = {k}; raise num_perm or lower them")
        return LshConfig(threshold, ngram, bands * rows, bands, rows, seed, verify, fnw)
    if bands is None and rows is None and fnw is None:
        b, r = recall_params(threshold, num_perm if num_perm is not None else MAX_DERIVED_PERM)
        return LshConfig(threshold, ngram, b * r, b, r, seed, verify, None)
    k = num_perm if num_perm is not None else DEFAULT_NUM_PERM
    if bands is not None or rows is not None:
        given = bands if bands is not None else rows
        assert given is not None
        if given > k:
            raise Invalid(f"bands/rows = {given} exceeds num_perm = {k}")
        other = k // given
        b, r = (given, other) if bands is not None else (other, given)
    else:
        assert fnw is not None
        b, r = lsh_params(threshold, k, 1.0 - fnw, fnw)
    return LshConfig(threshold, ngram, b * r, b, r, seed, verify, fnw)


@dataclass
class NearDupResult:
    """Outcome of `near_duplicate_clusters` over n documents.

    `cluster[i]` is the index of the first (lowest-index) document of i's cluster (i itself when it has
    no near-duplicate); `keep[i]` is ``cluster[i] == i``. `pairs` holds the counted pairs (i < j): with
    ``verify=True`` the checked pairs whose exact Jaccard (`jaccard`) reached the threshold — candidates
    inside an already connected cluster are not checked, so this is a spanning set of each cluster, not
    every similar pair — and with ``verify=False`` every candidate (`jaccard` NaN). `candidate_pairs`
    counts LSH candidates, `checked_pairs` the exact checks made, `verified_pairs` the counted pairs,
    `spilled_bytes` the sketches written to disk.
    """

    cluster: npt.NDArray[np.int64]
    keep: npt.NDArray[np.bool_]
    pairs: npt.NDArray[np.int64]
    jaccard: npt.NDArray[np.float64]
    candidate_pairs: int
    checked_pairs: int
    verified_pairs: int
    config: LshConfig
    spilled_bytes: int = 0  # sketch bytes written to disk (0: all in memory)

    @property
    def duplicate_of(self) -> npt.NDArray[np.int64]:
        """Per document, the kept document it duplicates, or -1 for kept documents."""
        return np.where(self.keep, -1, self.cluster)

    def clusters(self) -> list[list[int]]:
        """Clusters with two or more documents, each sorted, ordered by their first document."""
        members = np.flatnonzero(~self.keep)
        groups: dict[int, list[int]] = {}
        for i in members.tolist():
            groups.setdefault(int(self.cluster[i]), [int(self.cluster[i])]).append(i)
        return [sorted(g) for _, g in sorted(groups.items())]


def reference_signatures(texts: Sequence[str], config: LshConfig
                         ) -> tuple[ShingleBatch, npt.NDArray[np.uint32]]:
    """The numpy reference of `signatures` (readable, batch by batch; the compiled kernel must equal it)."""
    hasher = MinHasher(config.num_perm, config.seed)
    parts = [(batch, hasher.signatures(batch)) for _, batch in iter_shingle_batches(texts, config.ngram)]
    if not parts:
        return concat_batches([]), np.full((config.num_perm, 0), NO_SHINGLE, np.uint32)
    return concat_batches([p[0] for p in parts]), np.concatenate([p[1] for p in parts], axis=1)


def default_workers(workers: int | None) -> int:
    """`workers`, or with None one thread per CPU (at most 8)."""
    return max(1, workers) if workers is not None else max(1, min(os.cpu_count() or 1, 8))


def signatures(texts: Sequence[str], config: LshConfig, workers: int | None = None
               ) -> tuple[ShingleBatch, npt.NDArray[np.uint32]]:
    """Shingle hashes and ``(bands * rows, n)`` MinHash signatures of `texts`, computed batch by batch by
    the compiled kernel (`assay.pipelines.minhash_kernel`), in `workers` threads (the kernel releases the
    GIL); the result does not depend on `workers` and equals `reference_signatures`."""
    hasher = MinHasher(config.num_perm, config.seed)
    return minhash_kernel.signatures(texts, config.ngram, hasher.a[:, 0], hasher.b[:, 0],
                                     threads=default_workers(workers))


_ROUNDS = ((0, 0), (1, 1), (2, 2), (3, 4), (5, 8), (9, 16), (17, 32), (33, 1 << 62))


def _components(n: int, pairs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Per document, the lowest index of its connected component under `pairs`."""
    if not len(pairs):
        return np.arange(n, dtype=np.int64)
    graph = coo_matrix((np.ones(len(pairs), np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    first = np.full(int(labels.max()) + 1, n, np.int64)
    np.minimum.at(first, labels, np.arange(n, dtype=np.int64))
    leaders: npt.NDArray[np.int64] = first[labels]
    return leaders


_CHECK_CHUNK = 1 << 20  # candidate pairs per exact-check call: bounds the check's scratch memory
_SPILLED_CHECK_CHUNK = 1 << 12  # spilled: at most 8k documents' shingles (and map pages) held per call
_SLICE = 1 << 14  # documents per signature slice: ``4 * bands * rows`` bytes each, dropped after banding keys


def sketch(texts: Sequence[str], config: LshConfig, workers: int | None = None
           ) -> tuple[ShingleBatch, npt.NDArray[np.uint64]]:
    """Shingle hashes and ``(bands, n)`` LSH band keys of `texts` (what a `SketchStore` holds)."""
    shingles, sig = signatures(texts, config, workers)
    return shingles, band_keys(sig, config.bands, config.rows)


def _check(store: SketchStore, pairs: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Exact Jaccard of `pairs`, in chunks; when spilled each chunk reads only its documents' shingles."""
    if not store.spilled:
        return np.concatenate([np.zeros(0)] + [pair_jaccard(store.shingles, pairs[i: i + _CHECK_CHUNK])
                                               for i in range(0, len(pairs), _CHECK_CHUNK)])
    out = [np.zeros(0)]
    for i in range(0, len(pairs), _SPILLED_CHECK_CHUNK):
        chunk = pairs[i: i + _SPILLED_CHECK_CHUNK]
        docs, local = np.unique(chunk, return_inverse=True)
        out.append(pair_jaccard(store.shingles_of(docs), local.reshape(chunk.shape)))
    return np.concatenate(out)


def cluster_store(store: SketchStore, config: LshConfig, workers: int | None = None) -> NearDupResult:
    """Steps 3–5 of the module docstring over a finished `SketchStore`.

    Candidates are checked in rounds, closest in their LSH bucket first; a pair whose documents earlier
    rounds already connected is not checked (it cannot change the clusters), so a bucket of thousands of
    near-identical documents costs about one check per document.
    """
    n = store.n
    cand, dist = keyed_candidate_pairs(store.band, store.full_keys, store.counts > 0, config.bands,
                                       threads=default_workers(workers))
    if not config.verify:
        pairs, jac, checked = cand, np.full(len(cand), np.nan), 0
        cluster = _components(n, pairs)
    else:
        cluster = np.arange(n, dtype=np.int64)
        kept_pairs: list[npt.NDArray[np.int64]] = [np.zeros((0, 2), np.int64)]
        kept_jac: list[npt.NDArray[np.float64]] = [np.zeros(0, np.float64)]
        checked = 0
        for lo, hi in _ROUNDS:
            todo = cand[(dist >= lo) & (dist <= hi)]
            todo = todo[cluster[todo[:, 0]] != cluster[todo[:, 1]]]
            if not len(todo):
                continue
            j = _check(store, todo)
            checked += len(todo)
            ok = j >= config.threshold
            kept_pairs.append(todo[ok])
            kept_jac.append(j[ok])
            if ok.any():
                cluster = _components(n, np.concatenate(kept_pairs))
        pairs, jac = np.concatenate(kept_pairs), np.concatenate(kept_jac)
        order = np.lexsort((pairs[:, 1], pairs[:, 0]))
        pairs, jac = pairs[order], jac[order]
    return NearDupResult(cluster=cluster, keep=cluster == np.arange(n), pairs=pairs, jaccard=jac,
                         candidate_pairs=len(cand), checked_pairs=checked, verified_pairs=len(pairs),
                         config=config, spilled_bytes=store.spilled_bytes)


def cluster_signatures(shingles: ShingleBatch, sig: npt.NDArray[np.uint32], config: LshConfig,
                       workers: int | None = None) -> NearDupResult:
    """`cluster_store` over precomputed shingles and signatures, in memory."""
    with SketchStore(config.bands, spill=False) as store:
        store.add(shingles, band_keys(sig, config.bands, config.rows))
        store.finish()
        return cluster_store(store, config, workers)


def _slices(texts: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(texts), _SLICE):
        yield texts[i: i + _SLICE]


def near_duplicate_clusters(texts: Sequence[str], *, threshold: float = DEFAULT_THRESHOLD, ngram: int = 5,
                            num_perm: int | None = None, bands: int | None = None, rows: int | None = None,
                            seed: int = 1, verify: bool = True, fn_weight: float | None = None,
                            workers: int | None = None, spill: bool | None = None,
                            memory_mb: float = DEFAULT_MEMORY_MB, spill_dir: str | Path | None = None
                            ) -> NearDupResult:
    """Cluster near-duplicate `texts` (Jaccard of `ngram`-word shingle sets >= `threshold`).

    Returns a NearDupResult (cluster per document, which to keep: the lowest index of each cluster,
    candidate and verified pair counts). Deterministic: the same inputs and `seed` give the same result on
    any machine, spilled or not. Empty input gives empty arrays; documents without words stay alone. Raises
    Invalid for bad parameters (see `resolve_config`, which also explains `fn_weight`). `workers` threads
    (default: one per CPU, at most 8) compute signatures and sort LSH bands; the result is the same.
    `spill`, `memory_mb`, `spill_dir`: where the sketches live (see `assay.pipelines.minhash_store`):
    None (default) keeps them in memory up to `memory_mb` and then spills to disk, True always spills,
    False never does.
    """
    return near_duplicate_clusters_stream([texts], threshold=threshold, ngram=ngram, num_perm=num_perm,
                                          bands=bands, rows=rows, seed=seed, verify=verify, fn_weight=fn_weight,
                                          workers=workers, spill=spill, memory_mb=memory_mb, spill_dir=spill_dir)


def near_duplicate_clusters_stream(batches: Iterable[Sequence[str]], *, threshold: float = DEFAULT_THRESHOLD,
                                   ngram: int = 5, num_perm: int | None = None, bands: int | None = None,
                                   rows: int | None = None, seed: int = 1, verify: bool = True,
                                   fn_weight: float | None = None, workers: int | None = None,
                                   spill: bool | None = None, memory_mb: float = DEFAULT_MEMORY_MB,
                                   spill_dir: str | Path | None = None) -> NearDupResult:
    """`near_duplicate_clusters` over texts that arrive in batches (e.g. Parquet row groups), so the input
    never has to be in memory at once; document indices count across batches in order."""
    config = resolve_config(threshold, ngram, num_perm, bands, rows, seed, verify, fn_weight)
    with SketchStore(config.bands, spill=spill, memory_mb=memory_mb, spill_dir=spill_dir) as store:
        for texts in batches:
            for part in _slices(texts):
                store.add(*sketch(part, config, workers))
        store.finish()
        return cluster_store(store, config, workers)


class NearDedup(GlobalStep):
    """Pipeline step ``near_dedup``: keep one record per near-duplicate cluster across the whole run.

    Parameters: `field` (which text, see `assay.pipelines.text`; default ``all``) and those of
    `near_duplicate_clusters`. Phase 1 (`collect`) computes each shard's shingle hashes and signatures;
    `plan` clusters all of them; the record with the smallest id of each cluster is kept. Attributes:
    ``<id>__near_dup_cluster`` (the kept record's id, for every record of a cluster of two or more; null
    otherwise) and ``<id>__near_dup_of`` (the kept record's id, for dropped records; null otherwise).
    Dropped rows carry the reason ``near-duplicate`` (the kept record's id is in ``near_dup_of``, so the
    stats stay one counter). Phase 1 returns band keys, not signatures (8 bytes per band). Driver memory:
    up to `memory_mb` of sketches (shingle hashes, 4 bytes per word, and band keys), beyond which they
    spill to `spill_dir` (`spill`: None auto, True always, False never; see `minhash_store`), plus about
    16 bytes per record and one band's sort (docs/near-dedup.md, "Memory").
    """

    name = "near_dedup"

    def __init__(self, field: str = "all", threshold: float = DEFAULT_THRESHOLD, ngram: int = 5,
                 num_perm: int | None = None, bands: int | None = None, rows: int | None = None,
                 seed: int = 1, verify: bool = True, fn_weight: float | None = None, spill: bool | None = None,
                 memory_mb: float = DEFAULT_MEMORY_MB, spill_dir: str | None = None, **common: Any) -> None:
        super().__init__(**common)
        self.field = field
        self.threshold, self.ngram, self.seed, self.verify = threshold, ngram, seed, verify
        self.num_perm, self.bands, self.rows, self.fn_weight = num_perm, bands, rows, fn_weight
        if memory_mb <= 0:
            raise Invalid(f"memory_mb must be positive, got {memory_mb}")
        self.spill, self.memory_mb, self.spill_dir = spill, memory_mb, spill_dir
        self._config = resolve_config(threshold, ngram, num_perm, bands, rows, seed, verify, fn_weight)
        self._rep: dict[str, str] = {}
        self.candidate_pairs = self.verified_pairs = self.spilled_bytes = 0

    def collect(self, batch: pa.Table) -> tuple[pa.Array, ShingleBatch, npt.NDArray[np.uint64]]:
        ids = pc.cast(batch.column("id"), pa.string()).combine_chunks()
        parts = [sketch(texts, self._config) for texts in _slices(batch_texts(batch, self.field))]
        if not parts:
            return ids, concat_batches([]), np.zeros((self._config.bands, 0), np.uint64)
        return ids, concat_batches([p[0] for p in parts]), np.concatenate([p[1] for p in parts], axis=1)

    def plan(self, partials: Sequence[Any]) -> None:
        """Streams the shards' sketches into a `SketchStore` one partial at a time (the runner reads each
        from disk when asked), so the driver never holds them all unless they fit in `memory_mb`."""
        id_parts: list[pa.Array] = []
        with SketchStore(self._config.bands, spill=self.spill, memory_mb=self.memory_mb,
                         spill_dir=self.spill_dir) as store:
            for ids, shingles, keys in partials:
                id_parts.append(ids)
                store.add(shingles, keys)
            store.finish()
            if store.n == 0:
                self._rep = {}
                return
            result = cluster_store(store, self._config)
        ids = pa.concat_arrays(id_parts)
        n = len(ids)
        # representative: the smallest record id in each cluster (independent of shard order)
        order = pc.sort_indices(ids).to_numpy().astype(np.int64)
        rank = np.empty(n, np.int64)
        rank[order] = np.arange(n)
        best = np.full(n, n, np.int64)
        np.minimum.at(best, result.cluster, rank)
        rep_index = order[best[result.cluster]]
        multi = np.flatnonzero(np.bincount(result.cluster, minlength=n)[result.cluster] > 1)
        self._rep = dict(zip(ids.take(pa.array(multi)).to_pylist(),
                             ids.take(pa.array(rep_index[multi])).to_pylist()))
        self.candidate_pairs, self.verified_pairs = result.candidate_pairs, result.verified_pairs
        self.spilled_bytes = result.spilled_bytes

    def process(self, batch: pa.Table) -> StepOutput:
        ids = [str(i) for i in batch.column("id").to_pylist()]
        cluster = [self._rep.get(i) for i in ids]
        dup_of = [c if c is not None and c != i else None for i, c in zip(ids, cluster)]
        reasons = [None if d is None else "near-duplicate" for d in dup_of]
        return self.decide(batch, keep=[d is None for d in dup_of], reasons=reasons,
                           attributes={"near_dup_cluster": pa.array(cluster, pa.string()),
                                       "near_dup_of": pa.array(dup_of, pa.string())})

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d["params"].update({"bands": self._config.bands, "rows": self._config.rows,
                            "num_perm": self._config.num_perm})
        return d


NearDedupStep = NearDedup
