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

Each chunk is a function of (`--seed`, `--docs`, `--chunk`, its index) alone: chunk k draws from
``np.random.default_rng([seed, k])``, its ids start at ``k * chunk`` and its families at ``k * chunk`` (a chunk
makes fewer than `chunk` families, so they never overlap). So a range of chunks can be generated on its own
(`--first-chunk K --chunks M` writes `docs-K.parquet` .. `docs-(K+M-1).parquet` and deletes no other file),
and several ranges can be written into the same folder by parallel processes; with the same `--docs`,
`--chunk` and `--seed` the tables are the same as one process writing all of them (checked on a 3,500-document
corpus written whole and as two ranges). The near-copies of chunk k that cross files
copy originals of chunk k-1: a range starting at K > 0 redraws chunk K-1's originals (they are the first
draws of its generator, a few seconds) rather than the whole chunk, so the copies across the range boundary
are there too. At 10,000 documents per second per core, 10M documents on two cores:

    uv run python bench/dedup/generate_scale.py --docs 10000000 --first-chunk 0 --chunks 20 --out D &
    uv run python bench/dedup/generate_scale.py --docs 10000000 --first-chunk 20 --chunks 20 --out D

(Before chunks were seeded one by one, one generator ran through the whole corpus: corpora generated before
2026-12-07 with the same seed have different texts.)
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
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    def at_chunk(self, k: int) -> None:
        """Restart the generator for chunk `k`: each chunk's draws depend on (seed, k) only."""
        self.rng = np.random.default_rng([self.seed, k])

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


def originals_of(d: Drawer, n: int, family0: int) -> tuple[list[np.ndarray], np.ndarray]:
    """The originals of an `n`-document chunk and their families: the first draws of the chunk's generator."""
    n_orig = n - n // 10 - n // 20
    lengths = d.rng.integers(100, 401, n_orig)
    flat = d.words(int(lengths.sum()))
    return np.split(flat, np.cumsum(lengths)[:-1]), np.arange(family0, family0 + n_orig, dtype=np.int64)


def chunk(d: Drawer, n: int, first_id: int, family0: int, prev: list[np.ndarray], prev_family: np.ndarray
          ) -> tuple[pa.Table, list[np.ndarray], np.ndarray]:
    n_copy, n_miss = n // 10, n // 20
    originals, fam = originals_of(d, n, family0)
    n_orig = len(originals)
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
    return table, originals, fam


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--chunk", type=int, default=250_000, help="documents per Parquet file")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", type=Path, default=Path("/work/bench-data/dedup-1m"))
    ap.add_argument("--first-chunk", type=int, default=0, help="write chunks from this index on")
    ap.add_argument("--chunks", type=int, default=None,
                    help="write only this many chunks (default: to the end); other files in --out are kept")
    a = ap.parse_args()
    total = -(-a.docs // a.chunk)
    last = total if a.chunks is None else min(total, a.first_chunk + a.chunks)
    a.out.mkdir(parents=True, exist_ok=True)
    if a.first_chunk == 0 and a.chunks is None:  # the whole corpus: no stale files from a bigger earlier one
        for old in a.out.glob("docs-*.parquet"):
            old.unlink()
    d = Drawer(a.seed)
    t0 = time.perf_counter()
    prev: list[np.ndarray] = []
    prev_family = np.zeros(0, np.int64)
    if 0 < a.first_chunk < last:
        k = a.first_chunk - 1
        d.at_chunk(k)
        prev, prev_family = originals_of(d, min(a.chunk, a.docs - k * a.chunk), k * a.chunk)
    done = 0
    for k in range(a.first_chunk, last):
        n = min(a.chunk, a.docs - k * a.chunk)
        d.at_chunk(k)
        table, prev, prev_family = chunk(d, n, k * a.chunk, k * a.chunk, prev, prev_family)
        path = a.out / f"docs-{k:05d}.parquet"
        pq.write_table(table, path.with_suffix(".tmp"), row_group_size=50_000)
        path.with_suffix(".tmp").rename(path)  # a file is there only when whole
        done += n
        print(f"chunk {k}: {done} documents, {time.perf_counter() - t0:.0f} s", flush=True)
    print(f"wrote {done} documents to {a.out} in {last - a.first_chunk} files (chunks {a.first_chunk}-{last - 1}), "
          f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
