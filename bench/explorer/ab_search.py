"""Before/after of the explorer's search paths in one process on one built cache, alternating: the
previous path (index candidates, then DuckDB counting and paging with `contains(lower(text))`; for one piece
with a leading or trailing separator, the previous candidates: tokens starting / ending with the piece)
against the current one (`browse._selection`: edge keys, numba check of the candidates' text). The search
alone, without HTTP or fetching the page's rows; both totals are printed, they must be equal.

    uv run python bench/explorer/ab_search.py --store /work/bench-data/explorer2/store1m --ref big@1 \\
        --cache /work/bench-data/explorer2/data1m/explorer -- '$5' -mail 'how do you'
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay.datasets import DatasetStore
from assay.services.explorer import browse as B
from assay.services.explorer import search as S
from assay.services.explorer.cache import MATERIALIZED, db_path_of


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True)
    ap.add_argument("--ref", default="big@1")
    ap.add_argument("--cache", required=True, help="the explorer cache root (<data_dir>/explorer), built")
    ap.add_argument("--times", type=int, default=3)
    ap.add_argument("terms", nargs="+")
    a = ap.parse_args()
    m = DatasetStore(a.store).resolve(a.ref)
    folder = Path(a.cache) / m.id
    ix = S.load_index(folder, m.row_count)
    cur = duckdb.connect(str(db_path_of(Path(a.cache), m)), read_only=True).cursor()

    def previous(t: str) -> int:
        cand, _ = S.candidates(ix, [t])
        runs = S._runs(t.encode())
        if len(runs) == 2:  # one piece and one separator: the previous rule read tokens only
            p = next(x for w, x in runs if w)
            words = ix.words.table.column("term")
            mk = pc.starts_with(words, pattern=p) if not runs[0][0] else pc.ends_with(words, pattern=p)
            bits = ix.union(ix.words, mk.to_numpy(zero_copy_only=False))
            cand = np.flatnonzero(np.unpackbits(bits, count=ix.rows, bitorder="little"))
        cur.register("cand", pa.table({"rid": pa.array(cand, pa.int64())}))
        w = f"(contains({MATERIALIZED['text']}, {B._lit(t)})) AND _rid IN (SELECT rid FROM cand)"
        total = cur.execute(f"SELECT count(*) FROM records WHERE {w}").fetchall()[0][0]
        cur.execute(f"SELECT _rid FROM records WHERE {w} ORDER BY _rid LIMIT 25").fetchall()
        return int(total)

    def current(t: str) -> int:
        rows = B._selection(cur, m, B.View(q=f'"{t}"'), B._columns(m), folder)[1]
        return -1 if rows is None else len(rows)

    for t in a.terms:
        ms: dict[str, list[float]] = {"previous": [], "current": []}
        totals: dict[str, int] = {}
        load = os.getloadavg()[0]
        for _ in range(a.times):
            for name, f in (("previous", previous), ("current", current)):
                t0 = time.perf_counter()
                totals[name] = f(t)
                ms[name].append((time.perf_counter() - t0) * 1000)
        print(f"{t!r}: " + ", ".join(f"{k} {statistics.median(v):.0f} ms [{min(v):.0f}-{max(v):.0f}]"
                                     for k, v in ms.items())
              + f"; totals {totals}; load {load:.1f} before, {os.getloadavg()[0]:.1f} after", flush=True)


if __name__ == "__main__":
    main()
