"""Full-text search for the explorer without a search server or DuckDB's FTS extension: a word and
boundary index built once per version inside its explorer cache.

Search semantics stay those of the filter language's `text~word`: a record matches when its lower-cased
text (every message and completion, joined by newlines) contains the search term as a substring. The index
answers that exactly for most terms and narrows the rest to candidate rows whose text `verify` checks.

Tokens (see `search_kernel`): runs of *word bytes* of the lower-cased UTF-8 text (`a-z`, `0-9` and every
non-ASCII byte, so `café`, `don’t` with a curly apostrophe and `東京で` are single tokens); separators are
the runs of other bytes (spaces, ASCII punctuation). The index holds, per token, the rows containing it,
and per *boundary key* (last K bytes of a token, the separator, first K bytes of the next token) the rows
containing it; where a token has no neighbour within SEP_MAX bytes on one side (at the start or end of the
row's text, or across a longer separator), an *edge key* (the separator's last or first SEP_MAX bytes
and the first or last K bytes of the token, with an empty part on the other side). A search term is split
the same way into pieces and separators:

* one piece (`apples`, `über`, `don’t`): the union of the rows of every token containing it — exact;
* two pieces around one separator (`how do`, `don't`, `e-mail`), each at most K bytes: the union of the
  rows of every boundary key whose separator equals the term's, whose left part ends with the first piece
  and whose right part starts with the second — exact;
* a leading separator and one piece of at most K bytes (`$5`, `-mail`), or such a piece and a trailing
  separator (`5%`): the union of the rows of every boundary or edge key whose separator ends (starts) with
  the term's and whose right (left) part starts (ends) with the piece — exact, since every token's
  neighbouring separator is in some key with it;
* anything else (longer phrases, long pieces, a separator on both ends): the AND of those constraints
  narrows to candidate rows, which are then checked on the text (`verify`);
* a term without any word byte (`?!`): a scan.

Files in the cache folder: `postings.bin` (each entry's rows in the smallest of three forms: the gaps
between its row numbers as LEB128 varints, Elias-Fano, or a packed bitmap of every row), `words.arrow`
(term, start, count, enc) and `keys.arrow` (l, s, r, start, count, enc). The build streams the version in batches of BATCH rows, read and
lower-cased once and handed to WORKERS threads; each worker's numba kernel tokenises the batch and indexes
only its share of the entries (chosen from an entry's bytes before it is hashed) into its own hash table,
the (entry, row) pairs of each batch are spilled to a temporary file grouped by entry, and each worker
assembles its postings by ranges of entries; the shares' files are concatenated. Memory stays bounded by
the vocabulary and one range per worker.
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc

from assay.services.explorer.tokens import SEP_MAX, K

if TYPE_CHECKING:
    from types import ModuleType


def _kern() -> ModuleType:
    """The compiled kernels, imported on first use: numba and LLVM cost about 100 MB of a process's memory,
    and a server that never builds or reads an index should not carry them."""
    from assay.services.explorer import search_kernel

    return search_kernel


BATCH = 16_384  # rows per batch (row numbers within a batch are spilled as uint16)
GROUP_PAIRS = 12_000_000  # (entry, row) pairs assembled at once (split between the workers)
WORKERS = 2  # index threads (see `build_index`)
HOT = 1 << 18  # slots of the table of frequent entries (32 bytes each: 8 MB, within the processor's L3 cache)
FILES = ("postings.bin", "words.arrow", "keys.arrow")
PAD = 8  # zero bytes after the last entry: an Elias-Fano reader loads up to 5 bytes at a time


def _strings(col: pa.Array | pa.ChunkedArray, field: str) -> tuple[np.ndarray, ...]:
    """(data bytes, string offsets, each row's first string, each row's end string) of the lower-cased
    `field` of a list<struct> column (a NULL list has no strings, a NULL value is empty)."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    offs = col.offsets.to_numpy().astype(np.int64)
    ends = offs[1:].copy()
    if col.null_count:
        nulls = col.is_null().to_numpy(zero_copy_only=False)
        ends[nulls] = offs[:-1][nulls]
    values = col.values.slice(int(offs[0]), int(offs[-1] - offs[0]))
    starts = offs[:-1] - offs[0]
    ends -= offs[0]
    text = pc.utf8_lower(pc.fill_null(pc.struct_field(values, field), "")).cast(pa.large_string())
    bufs = text.buffers()
    so = np.frombuffer(bufs[1], np.int64)[text.offset:text.offset + len(text) + 1] if bufs[1] else np.zeros(1, np.int64)
    data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    return data, so, starts, ends


class _Builder:
    """The hash table of entries (tokens and boundary keys) and their vocabulary, grown on demand."""

    def __init__(self) -> None:
        self.slots = np.zeros((1 << 21, 4), np.uint64)  # hash, second hash and id, row stamp, (padding)
        self.vbytes = np.empty(16 << 20, np.uint8)
        self.voffs = np.zeros(1 << 20, np.int64)
        self.state = np.zeros(3, np.int64)  # entries, vocabulary bytes, rows scanned (serial numbers)
        self.hot = np.zeros((0, 4), np.uint64)  # the most frequent entries, once known (`heat`)

    def heat(self, ids: np.ndarray, counts: np.ndarray) -> None:
        """Move the HOT / 2 entries of most rows among (ids, counts) into the small table looked up first
        (once: after the first batch). Lookups in the large table are mostly cache misses; the frequent
        entries, most of the lookups, then hit the cache."""
        if len(self.hot) or not len(ids):
            return
        top = ids[np.argsort(-counts, kind="stable")[:HOT // 2]]
        chosen = np.zeros(int(self.state[0]), np.bool_)
        chosen[top] = True
        hot = np.zeros((HOT, 4), np.uint64)
        _kern().fill_hot(self.slots, chosen, hot)
        self.hot = hot

    def grow_table(self) -> None:
        new = np.zeros((len(self.slots) * 2, 4), np.uint64)
        _kern().rehash(self.slots, new)
        self.slots = new

    def grow_vocab(self) -> None:
        vb = np.empty(len(self.vbytes) * 2, np.uint8)
        vb[:len(self.vbytes)] = self.vbytes
        vo = np.zeros(len(self.voffs) * 2, np.int64)
        vo[:len(self.voffs)] = self.voffs
        self.vbytes, self.voffs = vb, vo

    def scan(self, text: _Text, part: int, parts: int) -> tuple[np.ndarray, np.ndarray]:
        """(entry ids, batch row) pairs of one batch, distinct, row after row — of the entries of share
        `part` of `parts` (every entry when `parts` is 1)."""
        scratch = np.empty(text.longest + 1, np.uint8)
        items = np.empty((2 * text.longest + 4, 2), np.int32)
        hashes = np.empty((2 * text.longest + 4, 2), np.uint64)
        out_ids, out_rows = np.empty(text.cap, np.int32), np.empty(text.cap, np.uint16)
        while True:
            got = _kern().scan_batch(*text.arrays, text.n, self.slots, self.vbytes, self.voffs, self.state,
                                     out_ids, out_rows, scratch, items, hashes, part, parts, self.hot)
            if got == -1:
                self.grow_table()
            elif got == -2:
                self.grow_vocab()
            else:
                return out_ids[:got], out_rows[:got]


@dataclass(frozen=True)
class _Text:
    """One batch's lower-cased text as the kernels read it (read and lower-cased once for every worker)."""

    arrays: tuple[np.ndarray, ...]  # messages (data, offsets, row starts, row ends), then completions
    n: int
    longest: int
    cap: int

    @classmethod
    def of(cls, batch: pa.RecordBatch | pa.Table) -> _Text:
        n = batch.num_rows
        md, mo, ms, me = _strings(batch.column("messages"), "content")
        cd, co, cs, ce = _strings(batch.column("completions"), "text")
        row_len = (mo[me] - mo[ms]) + (co[ce] - co[cs]) + (me - ms) + (ce - cs)
        return cls((md, mo, ms, me, cd, co, cs, ce), n, int(row_len.max()) if n else 0,
                   len(md) + len(co) + len(mo) + len(cd) + 3 * n + 16)


def _batches(parts: Iterable[pa.RecordBatch | pa.Table]) -> Iterable[pa.RecordBatch]:
    for p in parts:
        yield from (p.to_batches(max_chunksize=BATCH) if isinstance(p, pa.Table) else
                    (p.slice(i, BATCH) for i in range(0, p.num_rows, BATCH)))


class _Share:
    """One worker's share of the index: the entries of share `part` of `parts` (see `scan_batch`), their
    vocabulary, and their (entry, row) pairs spilled batch by batch to a temporary file."""

    def __init__(self, folder: Path, part: int, parts: int) -> None:
        self.part, self.parts = part, parts
        self.b = _Builder()
        self.spill_path = folder / f"index.spill-{os.getpid()}-{threading.get_ident()}-{part}"
        self.post_path = folder / f"postings.bin.tmp-{part}"
        self.spill = open(self.spill_path, "wb")  # noqa: SIM115 - closed in `finish` / `close`
        self.per_batch: list[tuple[int, np.ndarray, np.ndarray, int]] = []  # (first row, ids, counts, offset)
        self.gcounts = np.zeros(1 << 20, np.int64)
        self.row0 = 0

    def add(self, text: _Text) -> None:
        ids, brows = self.b.scan(text, self.part, self.parts)
        n = int(self.b.state[0])
        uids, ucounts, grouped = _kern().group_by_id(ids, brows, 0, n)
        self.b.heat(uids, ucounts)
        if len(self.gcounts) < n:
            self.gcounts = np.concatenate([self.gcounts, np.zeros(max(len(self.gcounts), n), np.int64)])
        self.gcounts[uids] += ucounts
        self.per_batch.append((self.row0, uids, ucounts.astype(np.int32), self.spill.tell()))
        self.spill.write(grouped.tobytes())
        self.row0 += text.n

    def finish(self, rows: int) -> tuple[pa.Table, pa.Table]:
        """Write this share's postings to `post_path`; return its (words, keys) tables, starts relative to it."""
        self.spill.close()
        if self.row0 != rows:
            raise RuntimeError(f"the index saw {self.row0} rows, the version has {rows}")
        n = int(self.b.state[0])
        self.b.slots = self.b.hot = np.zeros((0, 4), np.uint64)  # the hash tables: only the vocabulary is read now
        out = _assemble(self.b, n, self.gcounts[:n], self.per_batch, rows, self.spill_path, self.post_path,
                        GROUP_PAIRS // self.parts)
        del self.b, self.per_batch, self.gcounts  # the hash table and the vocabulary: not needed any more
        self.spill_path.unlink(missing_ok=True)
        return out

    def close(self) -> None:
        self.spill.close()
        self.spill_path.unlink(missing_ok=True)
        self.post_path.unlink(missing_ok=True)


def build_index(parts: Iterable[pa.RecordBatch | pa.Table], rows: int, folder: Path, workers: int = WORKERS) -> None:
    """Write the index of the version's text into `folder` from its rows in order (`messages` and
    `completions` columns, any batch sizes; `rows` in all). Called by the cache build before its rename.

    The calling thread reads and lower-cases each batch once and hands it to `workers` threads; each scans
    every batch but indexes only its share of the entries (chosen from their bytes), so the lookups, the grouping and the
    writing — most of the work — are split between them, with no vocabulary to merge: the shares' postings
    are concatenated at the end."""
    shares = [_Share(folder, i, workers) for i in range(workers)]
    out: list[tuple[pa.Table, pa.Table] | None] = [None] * workers
    try:
        if workers == 1:
            for batch in _batches(parts):
                shares[0].add(_Text.of(batch))
            out[0] = shares[0].finish(rows)
        else:
            _run_shares(parts, rows, shares, out)
        _combine([x for x in out if x is not None], [s.post_path for s in shares], folder)
    finally:
        for s in shares:
            s.close()


def _run_shares(parts: Iterable[pa.RecordBatch | pa.Table], rows: int, shares: list[_Share],
                out: list[tuple[pa.Table, pa.Table] | None]) -> None:
    queues: list[queue.Queue[_Text | None]] = [queue.Queue(maxsize=1) for _ in shares]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        ended = False
        try:
            while (text := queues[i].get()) is not None:
                if not errors:
                    shares[i].add(text)
            ended = True
            if not errors:
                out[i] = shares[i].finish(rows)
        except BaseException as e:  # noqa: BLE001 - re-raised by the caller
            errors.append(e)
            while not ended and queues[i].get() is not None:  # let the reader finish handing out batches
                pass

    threads = [threading.Thread(target=work, args=(i,), name=f"explorer-index-{i}", daemon=True)
               for i in range(len(shares))]
    for t in threads:
        t.start()
    try:
        for batch in _batches(parts):
            if errors:
                break
            text = _Text.of(batch)
            for q in queues:
                q.put(text)
    finally:
        for q in queues:
            q.put(None)
        for t in threads:
            t.join()
    if errors:
        raise errors[0]


def _combine(tables: list[tuple[pa.Table, pa.Table]], posts: list[Path], folder: Path) -> None:
    """Concatenate the shares' postings files (each 4-aligned, starts shifted) and lexicons into the index."""
    words, keys = [], []
    written = 0
    with open(folder / "postings.bin.tmp", "wb") as dst:
        for (w, k), path in zip(tables, posts):
            pad = (-written) % 4
            dst.write(b"\0" * pad)
            written += pad
            words.append(w.set_column(w.schema.get_field_index("start"), "start", pc.add(w.column("start"), written)))
            keys.append(k.set_column(k.schema.get_field_index("start"), "start", pc.add(k.column("start"), written)))
            with open(path, "rb") as src:
                shutil.copyfileobj(src, dst, 16 << 20)
            written += path.stat().st_size
    for name, parts in (("words.arrow", words), ("keys.arrow", keys)):
        with pa.OSFile(str(folder / f"{name}.tmp"), "wb") as sink, pa.ipc.new_file(
                sink, parts[0].schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as wr:
            for t in parts:  # one record batch per share (no concatenated copy)
                wr.write_table(t)
    for name in FILES:
        os.replace(folder / f"{name}.tmp", folder / name)


def _assemble(b: _Builder, n: int, gcounts: np.ndarray, per_batch: list[tuple[int, np.ndarray, np.ndarray, int]],
              rows: int, spill_path: Path, post_path: Path, group_pairs: int) -> tuple[pa.Table, pa.Table]:
    starts = np.zeros(n, np.int64)
    encs = np.zeros(n, np.int8)
    cum = np.cumsum(gcounts)
    bounds = [0]
    while bounds[-1] < n:  # ranges of entries with about group_pairs pairs (at least one entry)
        base = cum[bounds[-1] - 1] if bounds[-1] else 0
        bounds.append(max(bounds[-1] + 1, int(np.searchsorted(cum, base + group_pairs, side="right"))))
        bounds[-1] = min(bounds[-1], n)
    # each batch's offset (in pairs) at every bound
    cuts = []
    for _, uids, ucounts, _ in per_batch:
        idx = np.searchsorted(uids, bounds)
        cuts.append((idx, np.concatenate([[0], np.cumsum(ucounts, dtype=np.int64)])[idx]))
    written = 0
    with open(spill_path, "rb") as spill, open(post_path, "wb") as out:
        for g in range(len(bounds) - 1):
            lo, hi = bounds[g], bounds[g + 1]
            us, cs, rs = [], [], []
            for (row_first, uids, ucounts, off), (idx, pos) in zip(per_batch, cuts):
                a, z = idx[g], idx[g + 1]
                if a == z:
                    continue
                us.append(uids[a:z])
                cs.append(ucounts[a:z])
                spill.seek(off + 2 * int(pos[g]))
                r = np.fromfile(spill, np.uint16, int(pos[g + 1] - pos[g])).astype(np.uint32)
                rs.append(r + np.uint32(row_first))
            if not us:
                continue
            ids = np.repeat(np.concatenate(us), np.concatenate(cs))
            gu, gc, grows = _kern().group_by_id(ids, np.concatenate(rs), lo, hi)
            del ids, rs
            nb = ((rows + 31) // 32) * 4
            buf = np.empty(int(np.minimum(gc * 5, nb + 8).sum()) + 4, np.uint8)
            w, st, en = _kern().encode(grows, gc, rows, buf)
            pad = (-written) % 4  # bitmaps stay 4-aligned in the file
            if pad:
                out.write(b"\0" * pad)
                written += pad
            starts[gu] = st + written
            encs[gu] = en
            out.write(buf[:w].tobytes())
            written += w
        out.write(b"\0" * PAD)
    ll, ls = _kern().split_key(b.vbytes, b.voffs, n)
    voffs = b.voffs[:n + 1]
    is_word = ls == 0
    w_ids = np.flatnonzero(is_word)
    k_ids = np.flatnonzero(~is_word)

    def col(ids: np.ndarray, delta: np.ndarray, lens: np.ndarray) -> pa.Array:
        data, offs = _kern().gather(b.vbytes, voffs[ids] + delta, lens)
        return pa.Array.from_buffers(pa.large_binary(), len(ids), [None, pa.py_buffer(offs), pa.py_buffer(data)])

    def entry_cols(ids: np.ndarray) -> dict[str, pa.Array]:
        return {"start": pa.array(starts[ids]), "count": pa.array(gcounts[ids]), "enc": pa.array(encs[ids])}

    wl = (voffs[w_ids + 1] - voffs[w_ids])
    words = pa.table({"term": col(w_ids, np.zeros(len(w_ids), np.int64), wl), **entry_cols(w_ids)})
    kl, ks = ll[k_ids].astype(np.int64), ls[k_ids].astype(np.int64)
    kr = voffs[k_ids + 1] - voffs[k_ids] - kl - ks
    keys = pa.table({"l": col(k_ids, np.zeros(len(k_ids), np.int64), kl), "s": col(k_ids, kl, ks),
                     "r": col(k_ids, kl + ks, kr), **entry_cols(k_ids)})
    return words, keys


@dataclass
class Lexicon:
    """One table of entries (words or keys) with where their rows are."""

    table: pa.Table
    starts: np.ndarray
    counts: np.ndarray
    encs: np.ndarray


@dataclass
class WordIndex:
    """The loaded index of one version: words and boundary keys (Arrow) and memory-mapped postings."""

    words: Lexicon
    keys: Lexicon
    post: np.ndarray
    rows: int

    def union(self, lex: Lexicon, mask: np.ndarray) -> np.ndarray:
        """Packed bitmap of the rows holding any entry of `lex` selected by the boolean `mask`."""
        acc = np.zeros(((self.rows + 31) // 32) * 4, np.uint8)
        sel = np.flatnonzero(mask)
        if len(sel):
            _kern().union_into(acc, self.post, lex.starts, lex.counts, lex.encs, sel, self.rows)
        return acc


_loaded: dict[str, WordIndex] = {}
_lock = threading.Lock()


def _lexicon(path: Path) -> Lexicon:
    with pa.memory_map(str(path)) as src:
        t = pa.ipc.open_file(src).read_all().combine_chunks()
    return Lexicon(t, t.column("start").to_numpy(), t.column("count").to_numpy(), t.column("enc").to_numpy())


def load_index(folder: Path, rows: int) -> WordIndex:
    """The index in `folder` (kept loaded per process; the postings stay on disk behind a memory map)."""
    key = str(folder)
    with _lock:
        if key not in _loaded:
            size = (folder / "postings.bin").stat().st_size
            p8 = (np.memmap(folder / "postings.bin", dtype=np.uint8, mode="r") if size
                  else np.zeros(4, np.uint8))
            _loaded[key] = WordIndex(_lexicon(folder / "words.arrow"), _lexicon(folder / "keys.arrow"), p8, rows)
        return _loaded[key]


def _runs(term: bytes) -> list[tuple[bool, bytes]]:
    """The term as runs of word bytes (True) and separator bytes (False), as the kernel splits text."""
    out: list[tuple[bool, bytearray]] = []
    for ch in term:
        w = (97 <= ch <= 122) or (48 <= ch <= 57) or ch >= 128
        if out and out[-1][0] == w:
            out[-1][1].append(ch)
        else:
            out.append((w, bytearray([ch])))
    return [(w, bytes(x)) for w, x in out]


def _lit(b: bytes) -> pa.Scalar:
    return pa.scalar(b, pa.large_binary())


def _side(col: pa.ChunkedArray | pa.Array, piece: bytes, full: bool, left: bool) -> tuple[pa.Array, bool]:
    """Keys whose left (`left`) or right part can border `piece`, a whole token when `full`, else the end
    (left) or start (right) of one. Returns (mask, exact)."""
    if len(piece) >= K:
        cut = piece[-K:] if left else piece[:K]
        return pc.equal(col, _lit(cut)), len(piece) == K and not full
    if full:
        return pc.equal(col, _lit(piece)), True
    return (pc.ends_with if left else pc.starts_with)(col, pattern=piece), True


def _and(acc: np.ndarray | None, rows: np.ndarray) -> np.ndarray:
    return rows if acc is None else acc & rows


def _pair_rows(ix: WordIndex, left: bytes, s: bytes, right: bytes, left_full: bool, right_full: bool
               ) -> tuple[np.ndarray, bool]:
    """(rows, exact) of boundary keys with separator `s` between a token ending with `left` and one
    starting with `right` (each a whole token when `*_full`)."""
    ml, el = _side(ix.keys.table.column("l"), left, left_full, True)
    mr, er = _side(ix.keys.table.column("r"), right, right_full, False)
    m = pc.and_(pc.and_(pc.equal(ix.keys.table.column("s"), _lit(s)), ml), mr)
    return ix.union(ix.keys, m.to_numpy(zero_copy_only=False)), el and er


def _edge_rows(ix: WordIndex, sep: bytes, piece: bytes, full: bool, before: bool) -> tuple[np.ndarray, bool]:
    """(rows, exact) where a separator ending with `sep` comes just before a token starting with `piece`
    (`before`), or one starting with `sep` just after a token ending with `piece`; the token is `piece`
    itself when `full`. Boundary keys (whose separator is whole) and edge keys (row start or end, long
    separators: their first or last SEP_MAX bytes) are both read, so every occurrence is found; `sep` must
    be at most SEP_MAX bytes. Exact when the piece side is."""
    keys = ix.keys.table
    if before:
        ms = pc.ends_with(keys.column("s"), pattern=sep)
        mp, exact = _side(keys.column("r"), piece, full, False)
    else:
        ms = pc.starts_with(keys.column("s"), pattern=sep)
        mp, exact = _side(keys.column("l"), piece, full, True)
    return ix.union(ix.keys, pc.and_(ms, mp).to_numpy(zero_copy_only=False)), exact


def _word_rows(ix: WordIndex, p: bytes, full_l: bool, full_r: bool) -> np.ndarray:
    """Rows of every token containing `p`: starting with it when `full_l` (a separator precedes it in the
    term), ending with it when `full_r`, equal to it when both."""
    words = ix.words.table.column("term")
    m = (pc.equal(words, _lit(p)) if full_l and full_r else pc.starts_with(words, pattern=p) if full_l
         else pc.ends_with(words, pattern=p) if full_r else pc.match_substring(words, pattern=p))
    return ix.union(ix.words, m.to_numpy(zero_copy_only=False))


def _term_rows(ix: WordIndex, term: str) -> tuple[np.ndarray | None, bool]:
    """(packed bitmap of rows that may contain `term`, exact) for one lower-cased search term; (None,
    False) when the index cannot narrow it (no word byte).

    Exact — the rows are the matches — for: one piece (`apples`); two pieces of at most K bytes around
    one separator of at most SEP_MAX bytes (`e-mail`); a separator of at most SEP_MAX bytes then one piece
    of at most K bytes (`$5`, `-mail`), or that piece then the separator (`5%`, `hyphen-` is not: its piece
    is 6 bytes). Every other term gets the AND of its constraints (each boundary, each leading or trailing
    separator, each piece longer than K bytes), candidates to check on the text."""
    runs = _runs(term.encode("utf-8"))
    pieces = [x for w, x in runs if w]
    if not pieces:
        return None, False
    lead = runs[0][1] if not runs[0][0] else b""
    trail = runs[-1][1] if not runs[-1][0] else b""
    if len(pieces) == 1 and not lead and not trail:  # one piece: the tokens containing it
        return _word_rows(ix, pieces[0], False, False), True
    seps = [x for w, x in runs if not w]
    seps = seps[int(bool(lead)):len(seps) - int(bool(trail))]  # the separators between pieces
    last = len(pieces) - 1
    constraints = 0
    acc: np.ndarray | None = None
    exact = True
    for i, s in enumerate(seps):
        if len(s) > SEP_MAX:
            exact = False
            continue
        rows, ex = _pair_rows(ix, pieces[i], s, pieces[i + 1], i > 0 or bool(lead), i + 1 < last or bool(trail))
        acc, exact, constraints = _and(acc, rows), exact and ex, constraints + 1
    for sep, before in ((lead, True), (trail, False)):
        if not sep:
            continue
        if len(sep) > SEP_MAX:
            exact = False
            continue
        p = pieces[0] if before else pieces[-1]
        rows, ex = _edge_rows(ix, sep, p, last > 0 or bool(trail if before else lead), before)
        acc, exact, constraints = _and(acc, rows), exact and ex, constraints + 1
    for i, p in enumerate(pieces):  # the token itself: narrowing a piece longer than K, or alone
        if len(p) > K or acc is None:
            acc = _and(acc, _word_rows(ix, p, i > 0 or bool(lead), i < last or bool(trail)))
    return acc, exact and constraints == 1


def verify(batches: Iterable[pa.RecordBatch], terms: list[str]) -> np.ndarray:
    """The `_rid` of every row of `batches` (columns `_rid`, `messages`, `completions`) whose lower-cased
    text, joined as the filter language joins it, contains every one of `terms` (lower-cased, non-empty):
    the exact check of the candidates the index could only narrow, in compiled code over the text as
    Arrow gives it (no per-row SQL). Row numbers in the batches' order."""
    needles = [t.encode("utf-8") for t in terms]
    noffs = np.cumsum([0, *map(len, needles)]).astype(np.int64)
    nd = np.frombuffer(b"".join(needles), np.uint8)
    found = []
    for batch in batches:
        n = batch.num_rows
        if not n:
            continue
        md, mo, ms, me = _strings(batch.column("messages"), "content")
        cd, co, cs, ce = _strings(batch.column("completions"), "text")
        row_len = (mo[me] - mo[ms]) + (co[ce] - co[cs]) + (me - ms) + (ce - cs)
        scratch = np.empty(int(row_len.max()) + 1, np.uint8)
        hit = np.zeros(n, np.bool_)
        _kern().contains_rows(md, mo, ms, me, cd, co, cs, ce, n, nd, noffs, scratch, hit)
        found.append(batch.column("_rid").to_numpy()[hit])
    return np.concatenate(found) if found else np.zeros(0, np.int64)


def candidates(ix: WordIndex, terms: list[str]) -> tuple[np.ndarray | None, list[str]]:
    """(sorted row numbers that may hold every term, or None when the index narrows none of them; the
    terms still to check with `contains` on those rows). With no terms left to check, the rows are
    exactly the matches."""
    acc: np.ndarray | None = None
    check = []
    for t in terms:
        rows, exact = _term_rows(ix, t)
        if not exact:
            check.append(t)
        if rows is not None:
            acc = rows if acc is None else acc & rows
    if acc is None:
        return None, check
    return np.flatnonzero(np.unpackbits(acc, count=ix.rows, bitorder="little")), check
