"""Exact Jaccard similarity of candidate pairs on their shingle-hash sets, vectorised.

Each document involved in a pair is reduced once to its sorted set of distinct shingle hashes (rows of a
padded matrix sorted with ``np.sort(axis=1)``, which is fast for short rows). For a chunk of pairs, the two
sets of every pair are laid side by side in one padded row and sorted again; since both sets hold distinct
values, each equal adjacent pair in the sorted row is one shared shingle. Padding uses ``0xFFFFFFFF``, a
value shingle hashes never take.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from assay.pipelines.minhash_shingles import NO_SHINGLE, ShingleBatch

_BLOCK = 1 << 20  # elements per padded matrix (4 MiB of uint32; its index arrays take 8x that)


def _ragged_to_padded(values: npt.NDArray[np.uint32], starts: npt.NDArray[np.int64],
                      lengths: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.uint32]:
    """Rows ``values[starts[i] : starts[i] + lengths[i]]`` padded with NO_SHINGLE to `width`."""
    n = len(lengths)
    out = np.full((n, width), NO_SHINGLE, np.uint32)
    total = int(lengths.sum())
    if total:
        row = np.repeat(np.arange(n), lengths)
        row_first = np.zeros(n, np.int64)
        np.cumsum(lengths[:-1], out=row_first[1:])
        col = np.arange(total, dtype=np.int64) - np.repeat(row_first, lengths)
        out[row, col] = values[np.repeat(starts, lengths) + col]
    return out


def _chunks(widths: npt.NDArray[np.int64]) -> list[npt.NDArray[np.int64]]:
    """Index groups of rows (sorted by width) whose padded matrix stays within _BLOCK elements."""
    order = np.argsort(widths, kind="stable")
    groups: list[npt.NDArray[np.int64]] = []
    i = 0
    n = len(order)
    while i < n:
        w = max(int(widths[order[i]]), 1)
        step = max(1, _BLOCK // w)
        j = min(n, i + step)
        # widths grow along `order`; shrink the group until the widest row fits the block
        while j - i > 1 and int(widths[order[j - 1]]) * (j - i) > _BLOCK:
            j = i + max(1, (j - i) // 2)
        groups.append(order[i:j])
        i = j
    return groups


def distinct_sets(batch: ShingleBatch, docs: npt.NDArray[np.int64]
                  ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Sorted distinct shingle hashes of `docs`: ``(values, starts, sizes)`` with doc ``docs[k]`` at
    ``values[starts[k] : starts[k] + sizes[k]]``."""
    counts = batch.counts[docs]
    flats: list[npt.NDArray[np.uint32]] = []
    starts = np.zeros(len(docs), np.int64)
    sizes = np.zeros(len(docs), np.int64)
    base = 0
    for group in _chunks(counts):
        width = int(counts[group].max()) if len(group) else 0
        mat = _ragged_to_padded(batch.hashes, batch.offsets[docs[group]], counts[group], max(width, 1))
        mat.sort(axis=1)
        keep = mat != NO_SHINGLE
        keep[:, 1:] &= mat[:, 1:] != mat[:, :-1]
        flats.append(mat[keep])  # row-major: each row's distinct values, rows in `group` order
        row_sizes = keep.sum(axis=1)
        sizes[group] = row_sizes
        starts[group] = base + np.cumsum(row_sizes) - row_sizes
        base += int(row_sizes.sum())
    values = np.concatenate(flats) if flats else np.zeros(0, np.uint32)
    return values, starts, sizes


def pair_jaccard(batch: ShingleBatch, pairs: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Exact Jaccard of the shingle sets of each pair ``(i, j)`` (rows of `pairs`); 0.0 when both sets are
    empty."""
    if len(pairs) == 0:
        return np.zeros(0, np.float64)
    docs, local = np.unique(pairs, return_inverse=True)
    local = local.reshape(pairs.shape)
    values, set_start, sizes = distinct_sets(batch, docs)
    size_a = sizes[local[:, 0]]
    size_b = sizes[local[:, 1]]
    inter = np.zeros(len(pairs), np.int64)
    for group in _chunks(size_a + size_b):
        ga, gb = local[group, 0], local[group, 1]
        la, lb = sizes[ga], sizes[gb]
        width = max(int((la + lb).max()), 1)
        n = len(group)
        # lay a's set then b's set in each row: build both as one ragged array of 2n rows, then merge
        starts = np.empty(2 * n, np.int64)
        starts[0::2] = set_start[ga]
        starts[1::2] = set_start[gb]
        lengths = np.empty(2 * n, np.int64)
        lengths[0::2] = la
        lengths[1::2] = lb
        mat = np.full((n, width), NO_SHINGLE, np.uint32)
        total = int(lengths.sum())
        if total:
            row = np.repeat(np.arange(n), la + lb)
            first = np.zeros(2 * n, np.int64)
            np.cumsum(lengths[:-1], out=first[1:])
            row_first = first[0::2]
            col = np.arange(total, dtype=np.int64) - np.repeat(row_first, la + lb)
            src = np.repeat(starts, lengths) + (np.arange(total, dtype=np.int64) - np.repeat(first, lengths))
            mat[row, col] = values[src]
        mat.sort(axis=1)
        eq = (mat[:, 1:] == mat[:, :-1]) & (mat[:, 1:] != NO_SHINGLE)
        inter[group] = eq.sum(axis=1)
    union = size_a + size_b - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    return jac.astype(np.float64)
