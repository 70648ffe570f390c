"""One streamed Assay near-dedup run over a `generate_scale.py` corpus (called by scale.py in its own process).

Reads `docs-*.parquet` one record batch at a time (only ``text``; the input is never held whole), feeds the
texts to `near_duplicate_clusters_stream` with the given spill setting, then reads the ``family`` column
(int64, 8 bytes per document, after clustering) to score the planted pairs: pairwise precision and recall of
the clusters against the families (an original and its near-copies). Prints one JSON line: stage times,
pair counts, the spilled bytes, and the scores. No cluster list (at 10M it would be bigger than the run).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from assay.pipelines.near_dedup import near_duplicate_clusters_stream


def pairs_of(counts: np.ndarray) -> int:
    c = counts.astype(np.int64)
    return int((c * (c - 1) // 2).sum())


def pair_scores(family: np.ndarray, cluster: np.ndarray) -> dict[str, float]:
    """Pairwise precision/recall/F1 of `cluster` against `family` (vectorised `bench.pair_metrics`)."""
    true_pairs = pairs_of(np.unique(family, return_counts=True)[1])
    pred_pairs = pairs_of(np.bincount(cluster))
    joint = family.astype(np.int64) * (int(cluster.max()) + 1) + cluster
    tp = pairs_of(np.unique(joint, return_counts=True)[1])
    p = tp / pred_pairs if pred_pairs else 1.0
    r = tp / true_pairs if true_pairs else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "true_pairs": true_pairs, "pred_pairs": pred_pairs}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--threshold", type=float, default=0.35)
    ap.add_argument("--spill", choices=["auto", "on", "off"], default="auto")
    ap.add_argument("--memory-mb", type=float, default=512)
    ap.add_argument("--spill-dir", default=None)
    ap.add_argument("--batch", type=int, default=16_384, help="documents per record batch read")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--again", type=int, default=0,
                    help="read the first N files a second time after all of them (their documents become exact "
                         "duplicates of the first reading): a bigger run when generating more would take too long")
    a = ap.parse_args()
    files = sorted(a.data.glob("docs-*.parquet"))
    files += files[: a.again]
    t0 = time.perf_counter()
    marks: dict[str, float] = {}
    n = 0

    def batches() -> Iterator[list[str]]:
        nonlocal n
        for path in files:
            for rb in pq.ParquetFile(path).iter_batches(batch_size=a.batch, columns=["text"]):
                texts = rb.column(0).to_pylist()
                n += len(texts)
                yield texts
        marks["read_and_sketch_s"] = time.perf_counter() - t0

    spill = {"auto": None, "on": True, "off": False}[a.spill]
    res = near_duplicate_clusters_stream(batches(), threshold=a.threshold, spill=spill, memory_mb=a.memory_mb,
                                         spill_dir=a.spill_dir, workers=a.workers)
    marks["total_s"] = time.perf_counter() - t0
    marks["cluster_s"] = marks["total_s"] - marks["read_and_sketch_s"]
    family = np.concatenate([pq.read_table(p, columns=["family"]).column(0).to_numpy() for p in files])
    json.dump({"tool": f"assay streamed, spill {a.spill}", "docs": n, "stages_s": marks,
               "bands": res.config.bands, "rows": res.config.rows, "candidate_pairs": res.candidate_pairs,
               "checked_pairs": res.checked_pairs, "verified_pairs": res.verified_pairs,
               "spilled_mb": res.spilled_bytes / 2**20, "kept": int(res.keep.sum()),
               **pair_scores(family, res.cluster)}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
