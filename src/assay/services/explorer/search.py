"""Full-text search for the explorer without a search server or DuckDB's FTS extension: a word index built
once per version inside its explorer cache.

Index, two files beside the cache database: `postings.u32` (for each distinct token of the lower-cased
text, tokens being the runs of `[a-z0-9]`, the sorted row numbers holding it, little-endian uint32, one
token after another) and `terms.arrow` (Arrow IPC: `term`, `start`, `count` into postings.u32). Postings are
read through a memory map (slicing costs microseconds; DuckDB BLOB reads cost 60-500 ms here).

Search semantics stay those of the filter language's `text~word` (case-insensitive substring), and the
index answers them exactly: a query piece made only of `[a-z0-9]` can only occur inside one token, so the
rows containing it are the union of the postings of every vocabulary term that contains it. A search word
with other characters ("how do", "e-mail") is narrowed by its `[a-z0-9]` pieces through the index and then
checked with `contains` on the candidates only; a word with no such piece falls back to a scan.

Built in chunks of CHUNK rows (bounded memory: the postings live in numpy until written).
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc

PIECE_RE = re.compile(r"[a-z0-9]+")
CHUNK = 100_000


def build_index(con: Any, rows: int, folder: Path) -> None:
    """Write the index of `records._f_text` into `folder` (called by the cache build, before its rename)."""
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, rows, CHUNK):
        t = con.sql(
            "SELECT term, list(rid ORDER BY rid) AS rids FROM (SELECT DISTINCT unnest(regexp_split_to_array("
            f"_f_text, '[^a-z0-9]+')) AS term, _rid AS rid FROM records WHERE _rid >= {start} AND "
            f"_rid < {start + CHUNK}) WHERE term <> '' GROUP BY term").to_arrow_table()
        terms = t.column("term").to_pylist()
        lists = t.column("rids").combine_chunks()
        values = lists.values.to_numpy().astype(np.uint32)
        offsets = lists.offsets.to_numpy()
        for i, term in enumerate(terms):
            parts.setdefault(term, []).append(values[offsets[i]:offsets[i + 1]])
    keys = sorted(parts)
    starts, counts = [], []
    pos = 0
    with open(folder / "postings.u32.tmp", "wb") as f:
        for k in keys:
            arr = np.concatenate(parts.pop(k)).astype("<u4")
            f.write(arr.tobytes())
            starts.append(pos)
            counts.append(len(arr))
            pos += len(arr)
    table = pa.table({"term": pa.array(keys, pa.string()), "start": pa.array(starts, pa.int64()),
                      "count": pa.array(counts, pa.int64())})
    with pa.OSFile(str(folder / "terms.arrow.tmp"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    os.replace(folder / "postings.u32.tmp", folder / "postings.u32")
    os.replace(folder / "terms.arrow.tmp", folder / "terms.arrow")


@dataclass
class WordIndex:
    """The loaded index of one version: vocabulary (Arrow) and memory-mapped postings."""

    terms: pa.Array
    starts: np.ndarray
    counts: np.ndarray
    postings: np.ndarray

    def rows_containing(self, piece: str, rows: int) -> np.ndarray:
        """Bitmap of the rows whose text contains `piece` (letters and digits only)."""
        hit = np.zeros(rows, dtype=bool)
        for i in np.flatnonzero(pc.match_substring(self.terms, piece).to_numpy(zero_copy_only=False)):
            s = int(self.starts[i])
            hit[self.postings[s:s + int(self.counts[i])]] = True
        return hit


_loaded: dict[str, WordIndex] = {}
_lock = threading.Lock()


def load_index(folder: Path) -> WordIndex:
    """The index in `folder` (kept loaded per process; the postings stay on disk behind a memory map)."""
    key = str(folder)
    with _lock:
        if key not in _loaded:
            with pa.memory_map(str(folder / "terms.arrow")) as src:
                t = pa.ipc.open_file(src).read_all()
            size = (folder / "postings.u32").stat().st_size
            post = (np.memmap(folder / "postings.u32", dtype="<u4", mode="r") if size
                    else np.zeros(0, dtype="<u4"))
            _loaded[key] = WordIndex(t.column("term").combine_chunks(), t.column("start").to_numpy(),
                                     t.column("count").to_numpy(), post)
        return _loaded[key]


def split_terms(terms: list[str]) -> tuple[list[list[str]], list[str]]:
    """(index pieces per word that has any, words that still need a `contains` check)."""
    pieces, check = [], []
    for w in terms:
        ps = PIECE_RE.findall(w)
        if ps:
            pieces.append(ps)
        if ps != [w]:
            check.append(w)
    return pieces, check


def candidates(index: WordIndex, pieces: list[list[str]], rows: int) -> np.ndarray | None:
    """Sorted row numbers containing every piece (AND over words and pieces); None when there are none to
    look up."""
    flat = list(dict.fromkeys(p for ps in pieces for p in ps))
    if not flat:
        return None
    mask = index.rows_containing(flat[0], rows)
    for p in flat[1:]:
        mask &= index.rows_containing(p, rows)
    return np.flatnonzero(mask)
