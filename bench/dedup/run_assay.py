"""One Assay near-dedup run over the benchmark's JSONL files (called by bench.py in its own process).

Reads `docs-*.jsonl` with pyarrow, runs `near_duplicate_clusters`, and prints one JSON line: the timed
section's wall and CPU (reading plus clustering; bench.py measures the whole process from outside, which is
what it reports), the resolved LSH config, pair counts and the cluster of every document (by id) that is in
a cluster of two or more.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pj

from assay.pipelines.near_dedup import default_workers, near_duplicate_clusters


def cpu_seconds() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--num-perm", type=int, default=None)
    ap.add_argument("--bands", type=int, default=None)
    ap.add_argument("--rows", type=int, default=None)
    ap.add_argument("--no-verify", action="store_true")
    ap.add_argument("--workers", type=int, default=None, help="threads (default: one per CPU, at most 8)")
    ap.add_argument("--spill", choices=["auto", "on", "off"], default="auto",
                    help="near-dedup's sketches: on disk past --memory-mb (auto), always (on), never (off)")
    ap.add_argument("--memory-mb", type=float, default=512)
    a = ap.parse_args()
    t0, c0 = time.perf_counter(), cpu_seconds()
    tables = [pj.read_json(p) for p in sorted(a.data.glob("docs-*.jsonl"))]
    table = pa.concat_tables(tables)
    ids = table.column("id").to_pylist()
    texts = table.column("text").to_pylist()
    t_read = time.perf_counter() - t0
    res = near_duplicate_clusters(texts, threshold=a.threshold, num_perm=a.num_perm, bands=a.bands,
                                  rows=a.rows, verify=not a.no_verify, workers=a.workers,
                                  spill={"auto": None, "on": True, "off": False}[a.spill], memory_mb=a.memory_mb)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    multi = res.cluster[~res.keep]
    in_cluster = set(multi.tolist()) | set((~res.keep).nonzero()[0].tolist())
    clusters = {ids[i]: ids[int(res.cluster[i])] for i in sorted(in_cluster)}
    name = ("assay" + (" no-verify" if a.no_verify else "") + (f" {a.workers} thread" if a.workers else "")
            + (f" spill {a.spill}" if a.spill != "auto" else ""))
    json.dump({"tool": name, "docs": len(texts),
               "section_wall_s": wall, "read_s": t_read, "section_cpu_s": cpu,
               "threads": default_workers(a.workers), "bands": res.config.bands, "rows": res.config.rows, "num_perm": res.config.num_perm,
               "candidate_pairs": res.candidate_pairs, "checked_pairs": res.checked_pairs,
               "verified_pairs": res.verified_pairs, "spilled_mb": res.spilled_bytes / 2**20,
               "clusters": clusters}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
