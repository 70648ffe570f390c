"""Generate a large corpus (1M-10M documents) for near-dedup's memory and spill benchmark, streaming.

`generate.py` builds the quality corpus in memory as Python word lists and checks every close near-miss
family with Python sets: right for 50k-200k documents, too slow and too big for 10M (its word lists alone
would take about 20 GB). This generator draws the same kind of text with numpy, one chunk at a time, and
writes one Parquet file per chunk (`docs-00000.parquet` ..., columns ``id``, ``text``, ``family``), so its
memory stays at a few hundred MB whatever `--docs` is. Per chunk:

* originals (85 %): 100-400 words drawn from the same vocabulary (`generate.vocabulary`, Zipf p ∝ rank^-1.05),
  in sentences of 5-20 words (capitalised first word, a full stop);
* near-copies (10 %): a copy of an original of this chunk or of the previous one (so pairs cross files)
  with 5 % of its words edited (80 % substituted, 10 % deleted, 10 % inserted);
* template near-misses (5 %): families of 2-6 documents sharing 45-60 % of their words around content of
  their own (not verified against a threshold: they give the exact check realistic work, and each is its
  own family in the truth).

`family` is the truth: documents sharing a family are planted near-duplicates (an original and its copies).
Unlike `generate.py` the near-misses are not checked to sit below a threshold, so this corpus is for memory,
time and recall of the planted copies, not for precision. Run:

    uv run python bench/dedup/generate_scale.py --docs 10000000 --out /work/bench-data/dedup-10m
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from generate import vocabulary


class Drawer:
    def __init__(self, seed: int) -> None:
        vocab = vocabulary()
        self.vocab = np.array(vocab, dtype=object)
        self.caps = np.array([w.capitalize() for w in vocab], dtype=object)
        ranks = np.arange(1, len(vocab) + 1, dtype=np.float64)
        p = ranks ** -1.05
        self.cdf = np.cumsum(p / p.sum())
        self.rng = np.random.default_rng(seed)

    def words(self, n: int) -> np.ndarray:
        return np.minimum(np.searchsorted(self.cdf, self.rng.random(n)), len(self.cdf) - 1).astype(np.int32)

    def edit(self, w: np.ndarray, rate: float = 0.05) -> np.ndarray:
        n_edit = max(1, round(rate * len(w)))
        pos = self.rng.choice(len(w), size=n_edit, replace=False)
        kind = self.rng.random(n_edit)
        out = w.copy()
        sub = pos[kind < 0.8]
        out[sub] = self.words(len(sub))
        dele = pos[(kind >= 0.8) & (kind < 0.9)]
        ins = pos[kind >= 0.9]
        out = np.insert(out, ins, self.words(len(ins)))
        # deletions are applied at their original positions shifted by the insertions before them
        shift = np.searchsorted(np.sort(ins), dele, side="right")
        return np.delete(out, dele + shift)

    def render(self, w: np.ndarray) -> str:
        words = self.vocab[w]
        starts = np.cumsum(self.rng.integers(5, 21, len(w) // 5 + 2))
        starts = starts[starts < len(w)]
        words[0] = self.caps[w[0]]
        words[starts] = self.caps[w[starts]]
        ends = np.append(starts - 1, len(w) - 1)
        words[ends] = words[ends] + "."
        return " ".join(words)


def chunk(d: Drawer, n: int, first_id: int, family0: int, prev: list[np.ndarray], prev_family: np.ndarray
          ) -> tuple[pa.Table, list[np.ndarray], np.ndarray, int]:
    n_copy, n_miss = n // 10, n // 20
    n_orig = n - n_copy - n_miss
    lengths = d.rng.integers(100, 401, n_orig)
    flat = d.words(int(lengths.sum()))
    originals = np.split(flat, np.cumsum(lengths)[:-1])
    fam = np.arange(family0, family0 + n_orig, dtype=np.int64)
    docs: list[np.ndarray] = list(originals)
    families: list[int] = fam.tolist()
    pool = originals + prev
    pool_family = np.concatenate([fam, prev_family])
    for s in d.rng.integers(0, len(pool), n_copy).tolist():
        docs.append(d.edit(pool[s]))
        families.append(int(pool_family[s]))
    next_family = family0 + n_orig
    made = 0
    while made < n_miss:
        size = min(int(d.rng.integers(2, 7)), n_miss - made)
        length = int(d.rng.integers(120, 401))
        template = d.words(int(length * d.rng.uniform(0.45, 0.60)))
        cut = int(d.rng.integers(len(template) // 4, 3 * len(template) // 4))
        for _ in range(size):
            own = d.words(length - len(template))
            docs.append(np.concatenate([template[:cut], own, template[cut:]]))
            families.append(next_family)
            next_family += 1
        made += size
    order = d.rng.permutation(len(docs))
    texts = [d.render(docs[i]) for i in order.tolist()]
    ids = [f"d{first_id + k:08d}" for k in range(len(docs))]
    table = pa.table({"id": ids, "text": texts, "family": np.asarray(families, np.int64)[order]})
    return table, originals, fam, next_family


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--chunk", type=int, default=250_000, help="documents per Parquet file")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", type=Path, default=Path("/work/bench-data/dedup-1m"))
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    for old in a.out.glob("docs-*.parquet"):
        old.unlink()
    d = Drawer(a.seed)
    t0 = time.perf_counter()
    prev: list[np.ndarray] = []
    prev_family = np.zeros(0, np.int64)
    family, done, k = 0, 0, 0
    while done < a.docs:
        n = min(a.chunk, a.docs - done)
        table, prev, prev_family, family = chunk(d, n, done, family, prev, prev_family)
        pq.write_table(table, a.out / f"docs-{k:05d}.parquet", row_group_size=50_000)
        done += n
        k += 1
        print(f"{done} documents, {time.perf_counter() - t0:.0f} s", flush=True)
    print(f"wrote {done} documents to {a.out} in {k} files, {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
