"""Compiled (numba) kernel: word hashes, shingle hashes and MinHash signatures of a batch in one pass.

It computes exactly what `minhash_shingles.iter_shingle_batches` and `minhash_lsh.MinHasher.signatures` compute
with numpy (those stay as the readable reference; tests/pipelines/test_minhash_kernel.py checks the two
agree bit for bit), but walks the bytes once, keeps every value in registers and never materialises the
``num_perm x shingles`` matrix. The kernel releases the GIL, so batches run in parallel threads.

Compiled code is cached on disk (numba's ``cache=True``, next to this file or in ``NUMBA_CACHE_DIR``), so
only the first run on a machine pays the compile time (a few seconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
from numba import njit

from assay.pipelines.minhash_shingles import (
    _FMIX1,
    _FMIX2,
    _LEN_MULT,
    _Q,
    NO_SHINGLE,
    ShingleBatch,
    batch_buffer,
    concat_batches,
    iter_encoded_batches,
)

_U33 = np.uint64(33)
_U32 = np.uint64(32)
_U8 = np.uint64(8)
_Q64 = np.uint64(_Q)
_LOW32 = np.uint64(0xFFFFFFFF)
_NONE32 = np.uint32(NO_SHINGLE)
_NONE32_M1 = np.uint32(int(NO_SHINGLE) - 1)


@njit(cache=True, nogil=True, inline="always")
def _fmix(x: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    x ^= x >> _U33
    x *= _FMIX1
    x ^= x >> _U33
    x *= _FMIX2
    x ^= x >> _U33
    return x


@njit(cache=True, nogil=True, inline="always")
def _load(buf: npt.NDArray[np.uint8], p: int, n: int) -> np.uint64:  # pragma: no cover - compiled
    """Little-endian value of the `n` (1..8) bytes at `p`, the rest zero (like the masked numpy load).
    Reads 8 bytes (the buffer ends with 8 padding bytes), which compiles to one unaligned load."""
    v = (np.uint64(buf[p]) | (np.uint64(buf[p + 1]) << np.uint64(8)) | (np.uint64(buf[p + 2]) << np.uint64(16))
         | (np.uint64(buf[p + 3]) << np.uint64(24)) | (np.uint64(buf[p + 4]) << np.uint64(32))
         | (np.uint64(buf[p + 5]) << np.uint64(40)) | (np.uint64(buf[p + 6]) << np.uint64(48))
         | (np.uint64(buf[p + 7]) << np.uint64(56)))
    if n < 8:
        v &= (np.uint64(1) << (_U8 * np.uint64(n))) - np.uint64(1)
    return v


@njit(cache=True, nogil=True, inline="always")
def _word_hash(buf: npt.NDArray[np.uint8], s: int, length: int) -> np.uint64:  # pragma: no cover - compiled
    h = _load(buf, s, min(length, 8))
    h ^= np.uint64(length) * _LEN_MULT
    k = 8
    while k < length:
        h = _fmix(h) ^ _load(buf, s + k, min(length - k, 8))
        k += 8
    return _fmix(h)


@njit(cache=True, nogil=True)
def _batch_kernel(buf: npt.NDArray[np.uint8], doc_start: npt.NDArray[np.int64], ngram: int,
                  a: npt.NDArray[np.uint32], b: npt.NDArray[np.uint32]
                  ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
    # pragma: no cover - compiled
    nd = len(doc_start) - 1
    n_perm = len(a)
    whash = np.empty(len(buf) // 2 + 1, np.uint64)
    wcount = np.zeros(nd, np.int64)
    nw = 0
    for d in range(nd):  # pass 1: every word's hash (words are runs of bytes other than ' ')
        p = doc_start[d]
        end = doc_start[d + 1] - 1
        c = 0
        while p < end:
            while p < end and buf[p] == 32:
                p += 1
            if p >= end:
                break
            s = p
            while p < end and buf[p] != 32:
                p += 1
            whash[nw] = _word_hash(buf, s, p - s)
            nw += 1
            c += 1
        wcount[d] = c
    offsets = np.zeros(nd + 1, np.int64)
    for d in range(nd):
        w = wcount[d]
        offsets[d + 1] = offsets[d] + (w - ngram + 1 if w >= ngram else min(w, 1))
    hashes = np.empty(offsets[nd], np.uint32)
    sig = np.empty((n_perm, nd), np.uint32)
    mins = np.empty(n_perm, np.uint32)
    wo = 0
    for d in range(nd):  # pass 2: shingle hashes and their MinHash values
        w = wcount[d]
        o = offsets[d]
        cnt = offsets[d + 1] - o
        for j in range(n_perm):
            mins[j] = _NONE32
        for g in range(cnt):
            if w >= ngram:
                sh = whash[wo + g]
                for i in range(1, ngram):
                    sh = sh * _Q64 + whash[wo + g + i]
            else:
                sh = whash[wo]
                for i in range(1, w):
                    sh = sh * _Q64 + whash[wo + i]
            hv = np.uint32(_fmix(sh) >> _U32)
            if hv == _NONE32:
                hv = _NONE32_M1
            hashes[o + g] = hv
            for j in range(n_perm):
                v = np.uint32((np.uint64(a[j]) * np.uint64(hv) + np.uint64(b[j])) & _LOW32)
                mins[j] = min(mins[j], v)
        for j in range(n_perm):
            sig[j, d] = mins[j]
        wo += w
    return hashes, offsets, sig


def batch_signatures(encoded: list[bytes], ngram: int, a: npt.NDArray[np.uint32], b: npt.NDArray[np.uint32]
                     ) -> tuple[ShingleBatch, npt.NDArray[np.uint32]]:
    """Shingle hashes and ``(len(a), len(encoded))`` signatures of already encoded documents (see
    `minhash_shingles.iter_encoded_batches`), equal to the numpy reference."""
    raw, doc_start = batch_buffer(encoded)
    # 8 zero bytes after the buffer: the kernel reads every word 8 bytes at a time
    hashes, offsets, sig = _batch_kernel(np.frombuffer(raw + bytes(8), np.uint8), doc_start, ngram, a, b)
    return ShingleBatch(hashes, offsets), sig


def signatures(texts: Sequence[str], ngram: int, a: npt.NDArray[np.uint32], b: npt.NDArray[np.uint32],
               threads: int = 1, batch_bytes: int = 1 << 21) -> tuple[ShingleBatch, npt.NDArray[np.uint32]]:
    """Shingle hashes and signatures of all `texts`, batch by batch, over `threads` threads (the result
    does not depend on `threads`)."""
    a, b = np.ascontiguousarray(a, np.uint32), np.ascontiguousarray(b, np.uint32)
    batches = [encoded for _, encoded in iter_encoded_batches(texts, batch_bytes)]
    if not batches:
        return concat_batches([]), np.full((len(a), 0), NO_SHINGLE, np.uint32)
    with ThreadPoolExecutor(max(1, min(threads, len(batches)))) as pool:
        parts = list(pool.map(lambda encoded: batch_signatures(encoded, ngram, a, b), batches))
    return concat_batches([p[0] for p in parts]), np.concatenate([p[1] for p in parts], axis=1)
