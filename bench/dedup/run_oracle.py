"""The exact-Jaccard oracle for the near-dedup bench (called by bench.py; plain Python, no Assay code).

Every pair of documents whose exact Jaccard similarity of 5-word shingle sets (words as Assay normalises
them: lowercase, anything not a letter or digit separates words) is at least `--threshold` is found —
exactly, with prefix filtering (Chaudhuri et al. 2006; Bayardo et al. 2007): order each document's shingles
by global frequency (rarest first); two sets with Jaccard >= t share a shingle among the first
``|x| - ceil(t * |x|) + 1`` of each, so only pairs sharing such a prefix shingle are compared, and each of
those with Python sets. Clusters are the connected components of the similar pairs. Prints one JSON line
like run_assay.py.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

_NON_WORD = re.compile(r"[\W_]+")


def shingles(text: str, n: int) -> set[tuple[str, ...]]:
    w = _NON_WORD.sub(" ", text.lower()).split()
    return {tuple(w[i: i + n]) for i in range(max(len(w) - n + 1, 1))} if w else set()


def similar_pairs(sets: list[set[int]], t: float) -> list[tuple[int, int, float]]:
    """All pairs (i < j) with Jaccard >= t, exactly."""
    freq: Counter[int] = Counter()
    for s in sets:
        freq.update(s)
    index: dict[int, list[int]] = defaultdict(list)
    for d, s in enumerate(sets):
        if s:
            ordered = sorted(s, key=lambda x: (freq[x], x))
            for tok in ordered[: len(s) - math.ceil(t * len(s) - 1e-9) + 1]:
                index[tok].append(d)
    seen: set[tuple[int, int]] = set()
    out = []
    for docs in index.values():
        for a in range(len(docs)):
            for b in range(a + 1, len(docs)):
                i, j = docs[a], docs[b]
                if (i, j) in seen:
                    continue
                seen.add((i, j))
                x, y = sets[i], sets[j]
                inter = len(x & y)
                jac = inter / (len(x) + len(y) - inter)
                if jac >= t:
                    out.append((i, j, jac))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--threshold", type=float, required=True)
    ap.add_argument("--ngram", type=int, default=5)
    a = ap.parse_args()
    ids: list[str] = []
    sets: list[set[int]] = []
    for p in sorted(a.data.glob("docs-*.jsonl")):
        with open(p) as f:
            for line in f:
                row = json.loads(line)
                ids.append(row["id"])
                sets.append({hash(g) for g in shingles(row["text"], a.ngram)})  # 64-bit: no collision here
    pairs = similar_pairs(sets, a.threshold)
    parent = list(range(len(ids)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, _ in pairs:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    members = {i for i, j, _ in pairs} | {j for i, j, _ in pairs}
    clusters = {ids[i]: ids[find(i)] for i in sorted(members)}
    json.dump({"tool": "exact oracle", "docs": len(ids), "similar_pairs": len(pairs), "clusters": clusters},
              sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
