"""Word shingles of normalised text, hashed to uint32 with numpy (no per-word Python work).

Normalisation (the contract every near-duplicate decision rests on):
  * lowercase;
  * every character that is not a letter or digit (punctuation, symbols, underscores, any whitespace) is a
    word separator — so ``"Hello,world!"`` is the two words ``hello world``;
  * words are the maximal runs of letters/digits left (a whitespace tokenizer over the cleaned text).

A shingle is ``ngram`` consecutive words. A document with fewer than ``ngram`` (but at least one) words has
exactly one shingle, all of its words; a document with no words has no shingles.

How it is fast: ASCII documents (the common case) are normalised for a whole batch at once with one
``bytes.translate``; other documents go through ``str.lower`` and one regular expression first. Word
boundaries are found on the byte array with numpy, each word is hashed with a polynomial rolling hash over
its bytes (prefix sums, so all words at once), and shingle hashes combine ``ngram`` word hashes (Horner's
rule, ``ngram`` vector operations) followed by the murmur3 64-bit finaliser. The top 32 bits are kept; the
value ``0xFFFFFFFF`` is never produced (it is reserved as "no shingle").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

U64 = np.uint64
NO_SHINGLE = np.uint32(0xFFFFFFFF)
_P = 0x100000001B3  # FNV prime: odd, so it has an inverse modulo 2**64
_P_INV = pow(_P, -1, 1 << 64)
_Q = 0x9E3779B97F4A7C15  # multiplier for combining word hashes into a shingle hash
_FMIX1 = U64(0xFF51AFD7ED558CCD)
_FMIX2 = U64(0xC4CEB9FE1A85EC53)
_SPACE = 32
_NON_WORD = re.compile(r"[\W_]+")


def _ascii_table() -> bytes:
    table = bytearray(b" " * 256)
    for c in range(256):
        ch = chr(c)
        if c >= 128 or ("a" <= ch <= "z") or ("0" <= ch <= "9"):
            table[c] = c  # bytes >= 128 only occur in documents already cleaned by the str path
        elif "A" <= ch <= "Z":
            table[c] = c + 32
    return bytes(table)


_ASCII_TABLE = _ascii_table()


def normalize_text(text: str) -> str:
    """The normalised form of `text`: lowercase words of letters/digits joined by single spaces.

    This is the reference definition (used in tests and docs); the batch code computes the same words
    without building this string.
    """
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def _encode(text: str) -> bytes:
    if text.isascii():
        return text.encode("ascii")
    return _NON_WORD.sub(" ", text.lower()).encode("utf-8")


@dataclass
class ShingleBatch:
    """Shingle hashes of a run of documents: doc `i` owns ``hashes[offsets[i]:offsets[i+1]]``."""

    hashes: npt.NDArray[np.uint32]
    offsets: npt.NDArray[np.int64]

    @property
    def counts(self) -> npt.NDArray[np.int64]:
        """Shingles per document (with repeats; 0 for a document with no words)."""
        return np.diff(self.offsets)


class _Powers:
    """P**i and P**-i modulo 2**64 for i < n, grown on demand and reused across batches."""

    def __init__(self) -> None:
        self.pw = np.ones(1, U64)
        self.inv = np.ones(1, U64)

    def ensure(self, n: int) -> None:
        if len(self.pw) >= n:
            return
        size = max(n, 2 * len(self.pw))
        with np.errstate(over="ignore"):
            self.pw = np.concatenate(([U64(1)], np.multiply.accumulate(np.full(size - 1, _P, U64))))
            self.inv = np.concatenate(([U64(1)], np.multiply.accumulate(np.full(size - 1, _P_INV, U64))))


def _fmix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    x ^= x >> U64(33)
    x *= _FMIX1
    x ^= x >> U64(33)
    x *= _FMIX2
    x ^= x >> U64(33)
    return x


def _hash_encoded(encoded: list[bytes], ngram: int, powers: _Powers) -> ShingleBatch:
    """Shingle hashes of already encoded (str-path cleaned or raw ASCII) documents."""
    nd = len(encoded)
    lens = np.fromiter(map(len, encoded), np.int64, count=nd)
    doc_start = np.zeros(nd, np.int64)
    np.cumsum(lens[:-1] + 1, out=doc_start[1:])
    buf = np.frombuffer(b" ".join(encoded).translate(_ASCII_TABLE), np.uint8)
    n = len(buf)
    is_word = np.zeros(n + 2, np.int8)
    is_word[1:-1] = buf != _SPACE
    edges = np.diff(is_word)
    w_start = np.flatnonzero(edges == 1)
    w_end = np.flatnonzero(edges == -1)
    w_doc = np.searchsorted(doc_start, w_start, side="right") - 1
    words_per_doc = np.bincount(w_doc, minlength=nd).astype(np.int64)

    powers.ensure(n + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(n + 1, U64)
        np.cumsum(buf.astype(U64) * powers.pw[:n], out=prefix[1:])
        w_hash = (prefix[w_end] - prefix[w_start]) * powers.inv[w_start]

        per_doc = np.where(words_per_doc >= ngram, words_per_doc - ngram + 1, np.minimum(words_per_doc, 1))
        offsets = np.zeros(nd + 1, np.int64)
        np.cumsum(per_doc, out=offsets[1:])
        total = int(offsets[-1])
        word_off = np.zeros(nd + 1, np.int64)
        np.cumsum(words_per_doc, out=word_off[1:])
        first = np.repeat(word_off[:-1] - offsets[:-1], per_doc) + np.arange(total, dtype=np.int64)
        sh = w_hash[first]
        width = np.minimum(words_per_doc, ngram)
        if np.all(width[per_doc > 0] == ngram):
            for i in range(1, ngram):
                sh = sh * U64(_Q) + w_hash[first + i]
        else:
            sh_width = np.repeat(width, per_doc)
            for i in range(1, ngram):
                m = sh_width > i
                sh[m] = sh[m] * U64(_Q) + w_hash[first[m] + i]
        sh = _fmix64(sh)
    hashes = (sh >> U64(32)).astype(np.uint32)
    hashes[hashes == NO_SHINGLE] = NO_SHINGLE - np.uint32(1)
    return ShingleBatch(hashes, offsets)


def iter_shingle_batches(texts: Sequence[str], ngram: int, batch_bytes: int = 1 << 21
                         ) -> Iterator[tuple[int, ShingleBatch]]:
    """Yield ``(first_doc_index, ShingleBatch)`` over `texts` in order, each batch about `batch_bytes`
    of text (at least one document), so memory stays bounded by the batch size."""
    powers = _Powers()
    start = 0
    nd = len(texts)
    while start < nd:
        encoded: list[bytes] = []
        size = 0
        i = start
        while i < nd and (not encoded or size < batch_bytes):
            e = _encode(texts[i])
            encoded.append(e)
            size += len(e) + 1
            i += 1
        yield start, _hash_encoded(encoded, ngram, powers)
        start = i


def shingle_hashes(texts: Sequence[str], ngram: int = 5) -> ShingleBatch:
    """Shingle hashes of all `texts` (see the module docstring for normalisation). `ngram` must be >= 1."""
    parts = [b for _, b in iter_shingle_batches(texts, ngram)]
    if not parts:
        return ShingleBatch(np.zeros(0, np.uint32), np.zeros(1, np.int64))
    return concat_batches(parts)


def concat_batches(parts: Sequence[ShingleBatch]) -> ShingleBatch:
    """One ShingleBatch holding `parts` in order."""
    hashes = np.concatenate([p.hashes for p in parts]) if parts else np.zeros(0, np.uint32)
    counts = np.concatenate([p.counts for p in parts]) if parts else np.zeros(0, np.int64)
    offsets = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    return ShingleBatch(hashes, offsets)
