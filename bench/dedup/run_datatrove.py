"""One datatrove MinHash run over the benchmark's JSONL files (called by bench.py; runs in datatrove's venv).

Create the venv once, outside the repository (datatrove is never an Assay dependency; 0.10.1 is the version
measured; `pip install datatrove` alone cannot run the MinHash pipeline, and xxhash 4 breaks it):

    uv venv ~/.cache/assay-peers/datatrove --python /usr/bin/python3
    uv pip install --python ~/.cache/assay-peers/datatrove/bin/python \
        "datatrove==0.10.1" spacy orjson regex tokenizers "xxhash<4"

Configured like Assay: `n_grams`, `num_buckets` (= bands) and `hashes_per_bucket` (= rows) as given,
32-bit hashes, a whitespace word tokenizer (str.split; datatrove's own WhitespaceTokenizer calls spaCy),
normalisation = lowercase + punctuation to spaces + whitespace collapse (no number or diacritics
normalisation, which Assay does not do either). Runs stages 1–3 (signatures, buckets, clusters with
`save_cluster_id=True`); stage 4 (filtering/writing the kept documents) is left out because Assay's
function does not write output either. Prints one JSON line like run_assay.py (the timed section only:
bench.py measures the whole process tree — the parent and its forked workers — from outside).
"""

from __future__ import annotations

import argparse
import json
import resource
import struct
import sys
import tempfile
import time
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupSignature,
)
from datatrove.pipeline.readers import JsonlReader
from datatrove.utils.hashing import HashConfig
from datatrove.utils.text import TextNormConfig
from datatrove.utils.word_tokenizers import WordTokenizer


class SplitTokenizer(WordTokenizer):
    """Whitespace word tokenizer: str.split (the text is already normalised by datatrove)."""

    def word_tokenize(self, text: str) -> list[str]:
        return text.split()

    def sent_tokenize(self, text: str) -> list[str]:
        return [text]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [(0, len(text))]


def usage() -> tuple[float, float]:
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime, max(s.ru_maxrss, c.ru_maxrss) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--bands", type=int, required=True)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--ngram", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    files = sorted(a.data.glob("docs-*.jsonl"))
    config = MinhashConfig(
        n_grams=a.ngram, num_buckets=a.bands, hashes_per_bucket=a.rows, seed=1,
        norm_config=TextNormConfig(lowercase=True, norm_whitespace=True, remove_punctuation=True,
                                   norm_unicode_diacritics=False, norm_numbers=False),
        hash_config=HashConfig(precision=32, hash_fc="xxhash"),
    )
    work = Path(tempfile.mkdtemp(prefix="dt-minhash-"))
    t0 = time.perf_counter()
    c0, _ = usage()
    stage_s: dict[str, float] = {}
    common = {"skip_completed": False, "start_method": "fork"}
    t = time.perf_counter()
    LocalPipelineExecutor(
        pipeline=[JsonlReader(str(a.data), glob_pattern="docs-*.jsonl"),
                  MinhashDedupSignature(output_folder=str(work / "sigs"), config=config,
                                        language=SplitTokenizer())],
        tasks=len(files), workers=min(a.workers, len(files)), logging_dir=str(work / "logs1"), **common,
    ).run()
    stage_s["signatures"] = time.perf_counter() - t
    t = time.perf_counter()
    LocalPipelineExecutor(
        pipeline=[MinhashDedupBuckets(input_folder=str(work / "sigs"), output_folder=str(work / "buckets"),
                                      config=config)],
        tasks=a.bands, workers=a.workers, logging_dir=str(work / "logs2"), **common,
    ).run()
    stage_s["buckets"] = time.perf_counter() - t
    t = time.perf_counter()
    LocalPipelineExecutor(
        pipeline=[MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove"),
                                      config=config, save_cluster_id=True)],
        tasks=1, workers=1, logging_dir=str(work / "logs3"), **common,
    ).run()
    stage_s["clusters"] = time.perf_counter() - t
    wall = time.perf_counter() - t0
    cpu, peak = usage()
    # map (rank, doc index) -> id; rank r read files[r] (one file per task)
    ids = [[json.loads(line)["id"] for line in f.read_text().splitlines()] for f in files]
    label_of: dict[str, int] = {}
    for rank in range(len(files)):
        p = work / "remove" / f"{rank:06d}.clusters"
        if p.exists():
            raw = p.read_bytes()
            for doc, cl in struct.iter_unpack("<2I", raw):
                label_of[ids[rank][doc]] = cl
    head: dict[int, str] = {}
    for rid in sorted(label_of):
        head.setdefault(label_of[rid], rid)
    clusters = {rid: head[cl] for rid, cl in label_of.items()}
    json.dump({"tool": "datatrove", "docs": sum(map(len, ids)), "section_wall_s": wall,
               "section_cpu_s": cpu - c0, "largest_process_mb": peak, "stages_s": stage_s, "bands": a.bands, "rows": a.rows,
               "num_perm": a.bands * a.rows, "clusters": clusters}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
