"""Generate a synthetic corpus with known near-duplicates for the near-dedup benchmark.

The vocabulary is every word of real English text in ../shared/data (GSM8K questions and answers, the
hh-rlhf harmless test transcripts, OpenAssistant messages), ranked by how often it occurs there; words are
drawn with Zipf frequencies (p ∝ rank^-1.05). Documents are 100–400 words in sentences (capitalised, with
commas and full stops). The corpus holds:

* originals: independent documents;
* near-copies (10 % of all documents): a copy of a random original with 5 % of its words edited (80 %
  substituted, 10 % deleted, 10 % inserted); an original may have several copies;
* far near-misses (5 %): families of 2–6 documents sharing a long template (45–60 % of the words, split
  into a header and a footer) around content of their own — their 5-gram Jaccard stays below 0.45;
* close near-misses (5 %): the same construction with the template sized so that every pair's exact
  5-gram Jaccard lies in ``[threshold - 0.15, threshold)`` (``[0.45, 0.6)`` at the default ``--threshold
  0.6``), checked with Python sets after generation (a family that lands at or above the threshold is made
  again). None of the near-misses is a duplicate of another: a method that merges them loses precision.

Written to `--out` (default /work/bench-data/dedup): `docs-00000.jsonl` … (`{"id", "text"}` per line, the
format datatrove's JsonlReader reads), and `truth.jsonl` (`{"id", "family"}`: documents of one family of
size >= 2 are the planted near-duplicates). Run:

    uv run python bench/dedup/generate.py --docs 50000 --threshold 0.6 --out /work/bench-data/dedup
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")


def vocabulary(shared: Path = SHARED) -> list[str]:
    """Words of the shared real data, most frequent first."""
    counts: Counter[str] = Counter()
    for line in (shared / "gsm8k" / "train.jsonl").read_text().splitlines():
        row = json.loads(line)
        counts.update(w.lower() for w in _WORD.findall(row["question"] + " " + row["answer"]))
    with gzip.open(shared / "hh-rlhf-harmless-base" / "test.jsonl.gz", "rt") as f:
        for line in f:
            row = json.loads(line)
            counts.update(w.lower() for w in _WORD.findall(row["chosen"] + " " + row["rejected"]))
    for line in (shared / "oasst-en-100-trees" / "en_100_tree.jsonl").read_text().splitlines():
        counts.update(w.lower() for w in _WORD.findall(line))
    return [w for w, _ in counts.most_common()]


class Corpus:
    def __init__(self, vocab: list[str], seed: int) -> None:
        self.vocab = np.array(vocab, dtype=object)
        p = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
        self.cdf = np.cumsum(p / p.sum())
        self.rng = np.random.default_rng(seed)

    def words(self, n: int) -> list[str]:
        idx = np.searchsorted(self.cdf, self.rng.random(n))
        return list(self.vocab[np.minimum(idx, len(self.vocab) - 1)])

    def render(self, words: list[str]) -> str:
        out: list[str] = []
        i = 0
        while i < len(words):
            k = int(self.rng.integers(5, 21))
            sent = words[i: i + k]
            sent = [w + "," if self.rng.random() < 0.06 else w for w in sent]
            sent[0] = sent[0].capitalize()
            out.append(" ".join(sent).rstrip(",") + ".")
            i += k
        return " ".join(out)

    def edit(self, words: list[str], rate: float = 0.05) -> list[str]:
        w = list(words)
        n_edit = max(1, round(rate * len(w)))
        pos = sorted(self.rng.choice(len(w), size=n_edit, replace=False).tolist(), reverse=True)
        for p in pos:
            r = self.rng.random()
            if r < 0.8:
                w[p] = self.words(1)[0]
            elif r < 0.9:
                del w[p]
            else:
                w.insert(p, self.words(1)[0])
        return w


def shingle_set(words: list[str], n: int = 5) -> set[tuple[str, ...]]:
    """5-word shingles of lowercased words (the rendered text's normalised words: rendering only adds
    capitals, commas and full stops)."""
    w = [x.lower() for x in words]
    return {tuple(w[i: i + n]) for i in range(max(len(w) - n + 1, 1))}


def jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def close_family(c: Corpus, size: int, lo: float, hi: float) -> list[list[str]]:
    """`size` documents around one template whose pairwise Jaccard all lie in [lo, hi)."""
    while True:
        target = float(c.rng.uniform(lo, hi))
        length = int(c.rng.integers(150, 401))
        shared = round(target * 2 * (length - 4) / (1 + target)) + 8  # template words giving ~target
        shared = min(shared, length - 10)
        template = c.words(shared)
        cut = int(c.rng.integers(len(template) // 4, 3 * len(template) // 4))
        members = [template[:cut] + c.words(length - shared) + template[cut:] for _ in range(size)]
        sets = [shingle_set(m) for m in members]
        js = [jaccard(sets[i], sets[j]) for i in range(size) for j in range(i + 1, size)]
        if all(lo <= x < hi for x in js):
            return members


def generate(n_docs: int, seed: int = 7, copy_rate: float = 0.10, miss_rate: float = 0.10,
             threshold: float = 0.6) -> list[tuple[str, str, int]]:
    """(id, text, family) rows in a shuffled order."""
    c = Corpus(vocabulary(), seed)
    n_copies = int(n_docs * copy_rate)
    n_misses = int(n_docs * miss_rate)
    n_orig = n_docs - n_copies - n_misses
    docs: list[tuple[list[str], int]] = []
    for i in range(n_orig):
        docs.append((c.words(int(c.rng.integers(100, 401))), i))
    sources = c.rng.integers(0, n_orig, n_copies)
    for s in sources.tolist():
        docs.append((c.edit(docs[s][0]), s))
    family = n_orig
    made = 0
    n_close = n_misses // 2
    while made < n_close:
        size = min(int(c.rng.integers(2, 7)), n_close - made)
        for words in close_family(c, size, max(threshold - 0.15, 0.05), threshold):
            docs.append((words, family))
            family += 1
        made += size
    while made < n_misses:
        size = min(int(c.rng.integers(2, 7)), n_misses - made)
        length = int(c.rng.integers(120, 401))
        template = c.words(int(length * c.rng.uniform(0.45, 0.60)))
        cut = int(c.rng.integers(len(template) // 4, 3 * len(template) // 4))
        for _ in range(size):
            own = c.words(length - len(template))
            docs.append((template[:cut] + own + template[cut:], family))
            family += 1  # each near-miss is its own family: none of them is a duplicate of another
        made += size
    order = c.rng.permutation(len(docs))
    return [(f"d{k:07d}", c.render(docs[i][0]), docs[i][1]) for k, i in enumerate(order.tolist())]


def write(rows: list[tuple[str, str, int]], out: Path, shards: int = 2) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("docs-*.jsonl"):
        old.unlink()
    per = -(-len(rows) // shards)
    for s in range(shards):
        with open(out / f"docs-{s:05d}.jsonl", "w") as f:
            f.writelines(json.dumps({"id": rid, "text": text}) + "\n" for rid, text, _ in rows[s * per: (s + 1) * per])
    with open(out / "truth.jsonl", "w") as f:
        f.writelines(json.dumps({"id": rid, "family": fam}) + "\n" for rid, _, fam in rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--shards", type=int, default=2, help="JSONL files (datatrove runs one task per file)")
    ap.add_argument("--threshold", type=float, default=0.6,
                    help="close near-misses get Jaccard in [threshold - 0.15, threshold)")
    ap.add_argument("--out", type=Path, default=Path("/work/bench-data/dedup"))
    a = ap.parse_args()
    rows = generate(a.docs, a.seed, threshold=a.threshold)
    write(rows, a.out, a.shards)
    print(f"wrote {len(rows)} documents to {a.out}")


if __name__ == "__main__":
    main()
