"""Full-text search for the explorer without a search server or DuckDB's FTS extension: a word index built
once per version inside its explorer cache.

Index: table `postings(term VARCHAR, rids BLOB)`, one row per distinct token of the lower-cased text
(tokens are the runs of `[a-z0-9]`), `rids` the sorted row numbers holding it, as little-endian uint32.

Search semantics stay those of the filter language's `text~word` (case-insensitive substring), and the
index answers them exactly: a query piece made only of `[a-z0-9]` can only occur inside one token, so the
rows containing it are the union of the postings of every vocabulary term that contains it. A search word
with other characters ("how do", "e-mail") is narrowed by its `[a-z0-9]` pieces through the index and then
checked with `contains` on the candidates only; a word with no such piece falls back to a scan.

Built in chunks of CHUNK rows (bounded memory: the postings live in numpy until written).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pyarrow as pa

PIECE_RE = re.compile(r"[a-z0-9]+")
CHUNK = 100_000


def build_index(con: Any, rows: int) -> None:
    """Create table `postings` over `records._f_text` (call inside the cache build, before CHECKPOINT)."""
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
    table = pa.table({"term": pa.array(keys, pa.string()),
                      "rids": pa.array([np.concatenate(parts.pop(k)).astype("<u4").tobytes() for k in keys],
                                       pa.binary())})
    con.register("postings_src", table)
    con.execute("CREATE TABLE postings AS SELECT * FROM postings_src")
    con.unregister("postings_src")


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


def candidates(cur: Any, pieces: list[list[str]], rows: int) -> np.ndarray | None:
    """Sorted row numbers containing every piece (AND over words and pieces); None when there are none to
    look up. Uses a bitmap of `rows` booleans."""
    flat = [p for ps in pieces for p in ps]
    if not flat:
        return None
    mask: np.ndarray | None = None
    for p in dict.fromkeys(flat):
        hit = np.zeros(rows, dtype=bool)
        for (blob,) in cur.execute("SELECT rids FROM postings WHERE contains(term, ?)", [p]).fetchall():
            hit[np.frombuffer(blob, dtype="<u4")] = True
        mask = hit if mask is None else (mask & hit)
    assert mask is not None
    return np.flatnonzero(mask)
