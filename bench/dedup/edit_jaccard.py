"""What Jaccard a word edit leaves: the table behind near-dedup's default threshold (docs/near-dedup.md).

For documents of typical lengths drawn like the bench corpus (`generate.Corpus`: words of the shared real
English data with Zipf frequencies), edit 5 % or 10 % of the words (80 % substituted, 10 % deleted, 10 %
inserted, as `generate.py` does) and measure the exact Jaccard of the two documents' shingle sets with the
shingles the implementation uses (`assay.pipelines.minhash_shingles.shingle_hashes`, 5-word shingles by
default; `assay.pipelines.minhash_verify.pair_jaccard`). Prints, per length and edit rate, the mean, the
5th and 1st percentiles, and the share of copies a threshold would catch. Run:

    uv run python bench/dedup/edit_jaccard.py --samples 400
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from assay.pipelines.minhash_shingles import shingle_hashes
from assay.pipelines.minhash_verify import pair_jaccard

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import Corpus, vocabulary


def edited_jaccards(c: Corpus, length: int, rate: float, samples: int, ngram: int) -> np.ndarray:
    texts: list[str] = []
    for _ in range(samples):
        w = c.words(length)
        texts += [" ".join(w), " ".join(c.edit(w, rate))]
    pairs = np.arange(2 * samples, dtype=np.int64).reshape(samples, 2)
    return pair_jaccard(shingle_hashes(texts, ngram), pairs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=400, help="edited copies per cell")
    ap.add_argument("--ngram", type=int, default=5)
    ap.add_argument("--lengths", default="50,100,200,400,1000")
    ap.add_argument("--thresholds", default="0.3,0.35,0.4,0.5,0.6,0.7,0.8")
    ap.add_argument("--seed", type=int, default=3)
    a = ap.parse_args()
    c = Corpus(vocabulary(), a.seed)
    ths = [float(t) for t in a.thresholds.split(",")]
    print(f"{a.ngram}-word shingles, {a.samples} copies per row; caught = share with Jaccard >= threshold")
    print("| words | edited | mean J | p5 | p1 | " + " | ".join(f"caught at {t}" for t in ths) + " |")
    print("|---" * (5 + len(ths)) + "|")
    for length in (int(x) for x in a.lengths.split(",")):
        for rate in (0.05, 0.10):
            j = edited_jaccards(c, length, rate, a.samples, a.ngram)
            caught = " | ".join(f"{(j >= t).mean():.3f}" for t in ths)
            print(f"| {length} | {rate:.0%} | {j.mean():.3f} | {np.percentile(j, 5):.3f} | "
                  f"{np.percentile(j, 1):.3f} | {caught} |")
    print(f"reproduce: uv run python bench/dedup/edit_jaccard.py --samples {a.samples} --ngram {a.ngram}")


if __name__ == "__main__":
    main()
