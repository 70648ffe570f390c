"""MinHash signatures and LSH banding over numpy arrays.

* `recall_params(threshold, max_perm)` picks the fewest hashes ``b * r`` whose S-curve
  ``P(s) = 1 - (1 - s**r)**b`` (the probability that two documents of Jaccard ``s`` share a band) catches
  a pair at the threshold with probability >= 0.99, while a pair at half the threshold is still more likely
  left out than checked (``P(t / 2) <= 0.5``); used when candidates are verified exactly.
* `lsh_params(threshold, num_perm)` picks bands × rows the way datasketch does: among all ``b * r <=
  num_perm`` it minimises ``fp_weight * ∫_0^t P(s) ds + fn_weight * ∫_t^1 (1 - P(s)) ds``; used without
  verification, where every candidate is a merge.
* `MinHasher` computes ``bands * rows`` MinHash values per document. Permutation ``j`` is the bijection
  ``x -> (a_j * x + b_j) mod 2**32`` (``a_j`` odd) of the 32-bit shingle hashes, whose inputs are already
  well mixed (murmur3 finaliser); parameters come from ``numpy.random.Generator(PCG64(seed))``, so the same
  seed gives the same signatures on every machine.
* `candidate_pairs(sig, bands, rows)` hashes each band's rows to one 64-bit key, groups equal keys with a
  numpy sort and emits the pairs inside each bucket (for buckets larger than `window`, only pairs at most
  `window` apart in doc order — see the function). Documents whose whole signatures are equal are grouped
  first and only one of them enters banding, so mass exact duplicates cost a star of pairs, not a clique.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from assay.errors import Invalid
from assay.pipelines.minhash_shingles import NO_SHINGLE, ShingleBatch

U64 = np.uint64
_CHUNK = 8192  # shingles per MinHash chunk: (num_perm x _CHUNK) uint32 stays in L2 cache
_BAND_MULT = U64(0x9E3779B97F4A7C15)


def candidate_probability(s: npt.ArrayLike, bands: npt.ArrayLike, rows: npt.ArrayLike
                          ) -> npt.NDArray[np.float64]:
    """Probability that two documents with Jaccard `s` share at least one of `bands` bands of `rows`
    (broadcasting over arrays)."""
    s = np.asarray(s, dtype=np.float64)
    return np.asarray(1.0 - (1.0 - s ** np.asarray(rows)) ** np.asarray(bands), dtype=np.float64)


RECALL_AT_THRESHOLD = 0.99
MAX_DERIVED_PERM = 512  # the most hashes `recall_params` may choose when the caller sets no num_perm


@lru_cache(maxsize=64)
def recall_params(threshold: float, max_perm: int = MAX_DERIVED_PERM, target: float = RECALL_AT_THRESHOLD
                  ) -> tuple[int, int]:
    """(bands, rows) with the fewest hashes ``bands * rows <= max_perm`` such that a pair of Jaccard
    `threshold` is a candidate with probability >= `target` and a pair at ``threshold / 2`` with
    probability <= 0.5.

    Fewest hashes is least signature CPU (it grows linearly in ``bands * rows``); the second condition keeps
    the S-curve a filter: without it one row per band (``b`` single MinHash values) always wins and nearly
    every pair sharing a few shingles becomes an exact check. Ties go to more rows (fewer low-similarity
    candidates). When no choice within `max_perm` reaches `target`, returns the one with the highest
    probability at the threshold among those meeting the second condition (or among all, when none does).
    Raises Invalid unless 0 < threshold < 1, max_perm >= 1 and 0 < target < 1.
    """
    if not 0.0 < threshold < 1.0:
        raise Invalid(f"threshold must be between 0 and 1 (exclusive), got {threshold}")
    if max_perm < 1:
        raise Invalid(f"num_perm must be at least 1, got {max_perm}")
    if not 0.0 < target < 1.0:
        raise Invalid(f"target must be between 0 and 1 (exclusive), got {target}")
    best: tuple[int, float, int, int] | None = None  # (hashes, P(t/2), bands, rows)
    for r in range(1, max_perm + 1):
        q = 1.0 - threshold ** r
        if q >= 1.0:
            break  # t**r underflowed: no number of bands helps any more
        b = max(1, int(np.ceil(np.log1p(-target) / np.log(q) - 1e-12)))
        while float(candidate_probability(threshold, b, r)) < target:  # guard the rounding above
            b += 1
        half = float(candidate_probability(threshold / 2, b, r))
        if b * r <= max_perm and half <= 0.5 and (best is None or (b * r, half) < best[:2]):
            best = (b * r, half, b, r)
    if best is not None:
        return best[2], best[3]
    options = [(float(candidate_probability(threshold, b, r)), float(candidate_probability(threshold / 2, b, r)),
                b, r) for r in range(1, max_perm + 1) for b in (max_perm // r,)]
    separating = [o for o in options if o[1] <= 0.5] or options
    top = max(separating, key=lambda o: (o[0], -o[2] * o[3]))
    return top[2], top[3]


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5
               ) -> tuple[int, int]:
    """(bands, rows) minimising the weighted false-positive and false-negative areas of the S-curve.

    Raises Invalid unless 0 < threshold < 1, num_perm >= 1 and the weights are non-negative with a
    positive sum.
    """
    if not 0.0 < threshold < 1.0:
        raise Invalid(f"threshold must be between 0 and 1 (exclusive), got {threshold}")
    if num_perm < 1:
        raise Invalid(f"num_perm must be at least 1, got {num_perm}")
    if fp_weight < 0 or fn_weight < 0 or fp_weight + fn_weight <= 0:
        raise Invalid(f"weights must be non-negative with a positive sum, got {fp_weight}, {fn_weight}")
    grid_lo = np.linspace(0.0, threshold, 401)
    grid_hi = np.linspace(threshold, 1.0, 401)
    best: tuple[float, int, int] | None = None
    for b in range(1, num_perm + 1):
        r = np.arange(1, num_perm // b + 1)
        fp = np.trapezoid(candidate_probability(grid_lo[None, :], b, r[:, None]), grid_lo, axis=1)
        fn = np.trapezoid(1.0 - candidate_probability(grid_hi[None, :], b, r[:, None]), grid_hi, axis=1)
        err = np.asarray(fp_weight * fp + fn_weight * fn)
        i = int(np.argmin(err))
        if best is None or err[i] < best[0] - 1e-15:
            best = (float(err[i]), b, int(r[i]))
    assert best is not None
    return best[1], best[2]


class MinHasher:
    """`num_perm` MinHash functions over 32-bit shingle hashes, fixed by `seed`."""

    def __init__(self, num_perm: int, seed: int = 1) -> None:
        if num_perm < 1:
            raise Invalid(f"num_perm must be at least 1, got {num_perm}")
        rng = np.random.Generator(np.random.PCG64(seed))
        self.num_perm = num_perm
        self.a = (rng.integers(0, 1 << 32, num_perm, dtype=U64) | U64(1)).astype(np.uint32)[:, None]
        self.b = rng.integers(0, 1 << 32, num_perm, dtype=U64).astype(np.uint32)[:, None]

    def signatures(self, batch: ShingleBatch) -> npt.NDArray[np.uint32]:
        """A ``(num_perm, n_docs)`` uint32 array; a document without shingles gets all ``0xFFFFFFFF``."""
        counts = batch.counts
        nd = len(counts)
        sig = np.full((self.num_perm, nd), NO_SHINGLE, np.uint32)
        nonempty = np.flatnonzero(counts > 0)
        if len(nonempty) == 0:
            return sig
        starts = batch.offsets[nonempty]
        ends = batch.offsets[nonempty + 1]
        out = np.empty((self.num_perm, len(nonempty)), np.uint32)
        buf = np.empty((self.num_perm, _CHUNK), np.uint32)
        d = 0
        n = len(nonempty)
        while d < n:
            e = int(np.searchsorted(ends, starts[d] + _CHUNK, side="right"))
            e = max(e, d + 1)
            lo, hi = int(starts[d]), int(ends[e - 1])
            seg = batch.hashes[lo:hi]
            work = buf[:, : hi - lo] if hi - lo <= _CHUNK else np.empty((self.num_perm, hi - lo), np.uint32)
            np.multiply(self.a, seg[None, :], out=work)
            np.add(work, self.b, out=work)
            np.minimum.reduceat(work, starts[d:e] - lo, axis=1, out=out[:, d:e])
            d = e
        sig[:, nonempty] = out
        return sig


def _band_keys(sig: npt.NDArray[np.uint32], band: int, rows: int) -> npt.NDArray[np.uint64]:
    key = np.zeros(sig.shape[1], U64)
    with np.errstate(over="ignore"):
        for j in range(band * rows, (band + 1) * rows):
            key ^= sig[j].astype(U64)
            key *= _BAND_MULT
            key ^= key >> U64(29)
    return key


def band_keys(sig: npt.NDArray[np.uint32], bands: int, rows: int) -> npt.NDArray[np.uint64]:
    """``(bands, n)`` uint64: band ``b``'s rows of each signature hashed to one key (equal rows, equal key)."""
    keys = np.empty((bands, sig.shape[1]), U64)
    for band in range(bands):
        keys[band] = _band_keys(sig, band, rows)
    return keys


def fold_keys(keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """One key per document from all its band keys (``(bands, n)``): equal signatures, equal key."""
    full = np.zeros(keys.shape[1], U64)
    with np.errstate(over="ignore"):
        for k in keys:
            full ^= k
            full *= _BAND_MULT
    return full


def _bucket_pairs(keys: npt.NDArray[np.uint64], docs: npt.NDArray[np.int64], window: int
                  ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Pairs (i, j), i < j, of `docs` with equal keys, at most `window` apart in a bucket (sorted by doc),
    and that distance."""
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    same = sk[1:] == sk[:-1]
    if not same.any():
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    in_run = np.zeros(len(sk), bool)
    in_run[1:] |= same
    in_run[:-1] |= same
    sk = sk[in_run]
    so = docs[order[in_run]]
    lefts, rights, dists = [], [], []
    for d in range(1, min(window, len(sk) - 1) + 1):
        m = sk[d:] == sk[:-d]
        if not m.any():
            break
        lefts.append(so[:-d][m])
        rights.append(so[d:][m])
        dists.append(np.full(len(lefts[-1]), d, np.int64))
    return np.concatenate(lefts), np.concatenate(rights), np.concatenate(dists)


class _PairSet:
    """Unique packed pairs (``i * n + j``) with the smallest distance seen for each, compacted as they come
    so memory follows the number of distinct pairs, not pairs times the bands that found them."""

    def __init__(self) -> None:
        self.pairs, self.dists = np.zeros(0, np.int64), np.zeros(0, np.int64)
        self._pending: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []
        self._pending_len = 0

    def add(self, pairs: npt.NDArray[np.int64], dists: npt.NDArray[np.int64]) -> None:
        self._pending.append((pairs, dists))
        self._pending_len += len(pairs)
        if self._pending_len > max(1 << 22, len(self.pairs)):
            self.compact()

    def compact(self) -> None:
        if not self._pending:
            return
        p = np.concatenate([self.pairs] + [x[0] for x in self._pending])
        d = np.concatenate([self.dists] + [x[1] for x in self._pending])
        self._pending, self._pending_len = [], 0
        order = np.lexsort((d, p))  # by pair, then distance: the first of each pair has the smallest
        p, d = p[order], d[order]
        first = np.ones(len(p), bool)
        first[1:] = p[1:] != p[:-1]
        self.pairs, self.dists = p[first], d[first]


def candidate_pairs(sig: npt.NDArray[np.uint32], bands: int, rows: int, window: int = 64, threads: int = 1
                    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Unique candidate pairs ``(n, 2)`` (first < second) of documents sharing a band, and per pair its
    distance: 0 for documents with identical signatures, else the smallest number of positions between the
    two in any shared bucket (sorted by document) — close pairs first lets a caller skip checking pairs
    that earlier pairs already connected.

    Columns of `sig` that are all ``0xFFFFFFFF`` (documents with no shingles) never pair. Documents with
    identical full signatures are paired with the first of them (star) and only that one is banded. In a
    bucket of more than `window + 1` documents only pairs at most `window` positions apart (in doc order)
    are emitted; true near-duplicates in such a bucket nearly always also share a smaller bucket.
    ``threads > 1`` sorts the bands in that many threads (numpy sorts release the GIL); same result.
    Equals `keyed_candidate_pairs` over ``band_keys(sig, bands, rows)``.
    """
    used = sig[: bands * rows]
    live = ~np.all(used == NO_SHINGLE, axis=0)
    keys = band_keys(used, bands, rows)
    return keyed_candidate_pairs(lambda b: keys[b], fold_keys(keys), live, bands, window, threads)


def keyed_candidate_pairs(band: Callable[[int], npt.NDArray[np.uint64]], full: npt.NDArray[np.uint64],
                          live: npt.NDArray[np.bool_], bands: int, window: int = 64, threads: int = 1
                          ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """`candidate_pairs` from band keys: ``band(b)`` gives band ``b``'s key of every document (it may read
    them from disk: bands are fetched `threads` at a time), `full` the fold of all bands (`fold_keys`),
    `live` which documents have shingles. Memory: a few arrays of 8 bytes per document for each band in
    flight, plus 16 bytes per distinct candidate pair."""
    nd = len(full)
    docs = np.flatnonzero(live).astype(np.int64)
    if len(docs) < 2:
        return np.zeros((0, 2), np.int64), np.zeros(0, np.int64)
    order = np.argsort(full[docs], kind="stable")
    fs = full[docs][order]
    first_of_group = np.ones(len(fs), bool)
    first_of_group[1:] = fs[1:] != fs[:-1]
    del fs
    head_pos = np.maximum.accumulate(np.where(first_of_group, np.arange(len(order)), 0))
    member = docs[order]
    found = _PairSet()
    found.add(member[head_pos][~first_of_group] * nd + member[~first_of_group],
              np.zeros(int((~first_of_group).sum()), np.int64))
    reps = np.sort(member[first_of_group])  # one document per distinct signature, in doc order
    del order, head_pos, member, first_of_group
    step = max(1, threads)
    with ThreadPoolExecutor(step) as pool:
        for lo in range(0, bands, step):
            for left, right, d in pool.map(lambda b: _bucket_pairs(band(b)[reps], reps, window),
                                           range(lo, min(bands, lo + step))):
                found.add(left * nd + right, d)
    found.compact()
    return np.stack([found.pairs // nd, found.pairs % nd], axis=1), found.dists
