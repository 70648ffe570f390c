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
boundaries are found on the byte array with numpy; every word is hashed at once from unaligned 8-byte
loads of its bytes (masked tail, folded with its length, murmur3 64-bit finaliser); shingle hashes combine
``ngram`` consecutive word hashes (Horner's rule over contiguous slices, ``ngram`` vector operations) and
are mixed again. The top 32 bits are kept; the
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


_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], U64)
_LEN_MULT = U64(0x9FB21C651E98DF25)


def _word_hashes(buf: bytes, w_start: npt.NDArray[np.int64], w_end: npt.NDArray[np.int64]
                 ) -> npt.NDArray[np.uint64]:
    """64-bit hash of every word ``buf[w_start[i]:w_end[i]]``: its bytes read 8 at a time (little-endian
    unaligned loads, the tail masked), folded with the length, and mixed with the murmur3 finaliser."""
    padded = buf + bytes(8)
    view = np.ndarray(shape=(len(buf),), dtype="<u8", buffer=padded, offset=0, strides=(1,))
    lengths = w_end - w_start
    with np.errstate(over="ignore"):
        h = view[w_start]
        h &= _MASKS[np.minimum(lengths, 8)]
        h ^= lengths.astype(U64) * _LEN_MULT
        rest = np.flatnonzero(lengths > 8)
        k = 8
        while len(rest):
            chunk = view[w_start[rest] + k] & _MASKS[np.minimum(lengths[rest] - k, 8)]
            h[rest] = _fmix64(h[rest]) ^ chunk
            rest = rest[lengths[rest] > k + 8]
            k += 8
    return _fmix64(h)


def _fmix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    x ^= x >> U64(33)
    x *= _FMIX1
    x ^= x >> U64(33)
    x *= _FMIX2
    x ^= x >> U64(33)
    return x


def batch_buffer(encoded: list[bytes]) -> tuple[bytes, npt.NDArray[np.int64]]:
    """The normalised bytes of a batch of encoded documents, ``" " doc0 " " doc1 " " ... docN " "``, and
    where each document starts (``doc_start[i]``; ``doc_start[n]`` is the buffer's length)."""
    nd = len(encoded)
    lens = np.fromiter(map(len, encoded), np.int64, count=nd)
    doc_start = np.ones(nd + 1, np.int64)
    np.cumsum(lens + 1, out=doc_start[1:])
    doc_start[1:] += 1
    return b" " + b" ".join(encoded).translate(_ASCII_TABLE) + b" ", doc_start


def _hash_encoded(encoded: list[bytes], ngram: int) -> ShingleBatch:
    """Shingle hashes of already encoded (str-path cleaned or raw ASCII) documents."""
    nd = len(encoded)
    raw, doc_start = batch_buffer(encoded)
    buf = np.frombuffer(raw, np.uint8)
    space = buf == _SPACE
    change = np.empty(len(buf), bool)
    change[0] = False
    np.not_equal(space[1:], space[:-1], out=change[1:])
    edges = np.flatnonzero(change)  # alternating word starts and word ends (buf starts and ends with " ")
    w_start = edges[0::2]
    w_end = edges[1::2]
    words_per_doc = np.diff(np.searchsorted(w_start, doc_start))
    w_hash = _word_hashes(raw, w_start, w_end)
    with np.errstate(over="ignore"):
        per_doc = np.where(words_per_doc >= ngram, words_per_doc - ngram + 1, np.minimum(words_per_doc, 1))
        offsets = np.zeros(nd + 1, np.int64)
        np.cumsum(per_doc, out=offsets[1:])
        total = int(offsets[-1])
        word_off = np.zeros(nd + 1, np.int64)
        np.cumsum(words_per_doc, out=word_off[1:])
        first = np.repeat(word_off[:-1] - offsets[:-1], per_doc) + np.arange(total, dtype=np.int64)
        n_words = len(w_hash)
        span = max(n_words - ngram + 1, 0)
        # Horner over contiguous slices: sliding[g] hashes words g .. g+ngram-1
        sliding = w_hash[:span].copy()
        for i in range(1, ngram):
            sliding *= U64(_Q)
            sliding += w_hash[i: i + span]
        short = words_per_doc < ngram
        if np.any(short & (words_per_doc > 0)):
            sh = np.empty(total, U64)
            long_rows = np.repeat(~short, per_doc)
            sh[long_rows] = sliding[first[long_rows]]
            few = np.flatnonzero(short & (words_per_doc > 0))
            base = word_off[few]
            h = w_hash[base]
            for i in range(1, ngram - 1):
                m = words_per_doc[few] > i
                h[m] = h[m] * U64(_Q) + w_hash[base[m] + i]
            sh[offsets[few]] = h
        else:
            sh = sliding[first]
        sh = _fmix64(sh)
    hashes = (sh >> U64(32)).astype(np.uint32)
    hashes[hashes == NO_SHINGLE] = NO_SHINGLE - np.uint32(1)
    return ShingleBatch(hashes, offsets)


def iter_encoded_batches(texts: Sequence[str], batch_bytes: int = 1 << 21) -> Iterator[tuple[int, list[bytes]]]:
    """Yield ``(first_doc_index, encoded documents)`` over `texts` in order, each batch about `batch_bytes`
    of text (at least one document), so memory stays bounded by the batch size."""
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
        yield start, encoded
        start = i


def iter_shingle_batches(texts: Sequence[str], ngram: int, batch_bytes: int = 1 << 21
                         ) -> Iterator[tuple[int, ShingleBatch]]:
    """Yield ``(first_doc_index, ShingleBatch)`` over `texts` in order (batches as `iter_encoded_batches`)."""
    for start, encoded in iter_encoded_batches(texts, batch_bytes):
        yield start, _hash_encoded(encoded, ngram)


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
