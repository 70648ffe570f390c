"""Near-dedup with its sketches spilled to disk gives exactly the in-memory result (issue 21 item 2)."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from assay.errors import Invalid
from assay.pipelines.minhash_lsh import (
    MinHasher,
    band_keys,
    candidate_pairs,
    fold_keys,
    keyed_candidate_pairs,
)
from assay.pipelines.minhash_shingles import shingle_hashes
from assay.pipelines.minhash_store import SketchStore
from assay.pipelines.near_dedup import (
    NearDedup,
    near_duplicate_clusters,
    near_duplicate_clusters_stream,
    resolve_config,
    sketch,
)
from assay.pipelines.registry import build_step
from assay.pipelines.runner import ShardPartials
from tests.pipelines.test_near_dedup import _table, planted_corpus


@pytest.fixture(scope="module")
def corpus() -> tuple:
    texts, copies, misses = planted_corpus()
    return texts + ["", "!!! ...", texts[0], texts[0]], copies, misses  # empty docs and exact copies too


def _same(a, b) -> None:
    assert np.array_equal(a.cluster, b.cluster)
    assert np.array_equal(a.pairs, b.pairs) and np.allclose(a.jaccard, b.jaccard, equal_nan=True)
    assert (a.candidate_pairs, a.checked_pairs, a.verified_pairs) == (
        b.candidate_pairs, b.checked_pairs, b.verified_pairs)


@pytest.mark.parametrize("verify", [True, False])
def test_spilled_equals_in_memory(corpus: tuple, tmp_path, verify: bool) -> None:
    texts, copies, _ = corpus
    memory = near_duplicate_clusters(texts, threshold=0.5, verify=verify, spill=False)
    assert memory.spilled_bytes == 0
    spilled = near_duplicate_clusters(texts, threshold=0.5, verify=verify, spill=True, memory_mb=0.01,
                                      spill_dir=tmp_path)
    assert spilled.spilled_bytes > 0
    _same(memory, spilled)
    assert os.listdir(tmp_path) == []  # the spill directory is removed
    if verify:
        same = lambda i, j: memory.cluster[i] == memory.cluster[j]
        assert sum(same(i, j) for i, j in copies) >= 0.95 * len(copies)
        assert memory.cluster[len(texts) - 1] == 0 and memory.keep[len(texts) - 4]  # exact copy; empty alone


def test_auto_spills_only_beyond_the_memory_budget(corpus: tuple, tmp_path) -> None:
    texts, _, _ = corpus
    small = near_duplicate_clusters(texts, threshold=0.5, spill_dir=tmp_path)  # default budget: 512 MB
    assert small.spilled_bytes == 0
    over = near_duplicate_clusters(texts, threshold=0.5, memory_mb=0.05, spill_dir=tmp_path)
    assert over.spilled_bytes > 0
    _same(small, over)


def test_streamed_batches_equal_one_sequence(corpus: tuple, tmp_path) -> None:
    texts, _, _ = corpus
    whole = near_duplicate_clusters(texts, threshold=0.5)
    batches = [texts[i: i + 37] for i in range(0, len(texts), 37)]
    streamed = near_duplicate_clusters_stream(iter(batches), threshold=0.5, spill=True, memory_mb=0.02,
                                              spill_dir=tmp_path)
    _same(whole, streamed)


def test_keyed_candidates_equal_signature_candidates(corpus: tuple) -> None:
    texts, _, _ = corpus
    config = resolve_config(0.5)
    sh = shingle_hashes(texts)
    sig = MinHasher(config.num_perm, config.seed).signatures(sh)
    keys = band_keys(sig, config.bands, config.rows)
    got = keyed_candidate_pairs(lambda b: keys[b], fold_keys(keys), sh.counts > 0, config.bands, threads=2)
    want = candidate_pairs(sig, config.bands, config.rows)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert sketch(texts, config)[1].shape == (config.bands, len(texts))


def test_store_checks_its_input(tmp_path) -> None:
    with pytest.raises(Invalid, match="memory_mb"):
        SketchStore(3, memory_mb=0)
    store = SketchStore(3, spill=True, spill_dir=tmp_path)
    sh = shingle_hashes(["a b c d e f"])
    with pytest.raises(Invalid, match="shape"):
        store.add(sh, np.zeros((2, 1), np.uint64))
    with pytest.raises(Invalid, match="finish"):
        _ = store.shingles
    store.finish()  # nothing added: empty arrays, nothing on disk
    assert store.n == 0 and not store.spilled and len(store.band(0)) == 0
    store.close()


def test_step_spills_and_reads_partials_lazily(corpus: tuple, tmp_path) -> None:
    texts, copies, _ = corpus
    sub = list(range(120)) + [c for s, c in sorted(copies) if s < 120]
    table = _table([texts[i] for i in sub], [f"r{i:04d}" for i in sub])
    shards = [table.slice(0, 50), table.slice(50, 40), table.slice(90)]
    outs = {}
    for spill in (False, True):
        step = build_step("near_dedup", {"threshold": 0.5, "field": "completions", "spill": spill,
                                         "memory_mb": 0.01, "spill_dir": str(tmp_path / "spill")})
        assert isinstance(step, NearDedup)
        paths = []
        for k, s in enumerate(shards):
            path = tmp_path / f"part-{spill}-{k}.pkl"
            path.write_bytes(pickle.dumps(step.collect(s)))
            paths.append(str(path))
        partials = ShardPartials(paths)
        assert len(partials) == 3 and len(partials[1:]) == 2
        step.plan(partials)
        assert (step.spilled_bytes > 0) == spill
        results = [step.process(s) for s in shards]
        outs[spill] = ([r.table.column("id").to_pylist() for r in results],
                       sum(sum(r.stats.dropped.values()) for r in results))
    assert outs[False] == outs[True]
    assert outs[True][1] >= 0.95 * len([c for s, c in copies if s < 120])


def test_a_killed_runs_spill_folder_is_removed_by_the_next_spill(corpus: tuple, tmp_path) -> None:
    """A run killed mid-way (SIGKILL: no `finally`) leaves its spill folder; the next run that spills into the
    same place removes it, and leaves a live process's folder and a folder without an owner file alone."""
    import signal
    import subprocess
    import sys
    import time

    child = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from assay.pipelines.near_dedup import near_duplicate_clusters_stream\n"
        "def batches():\n"
        "    for i in range(1000):\n"
        "        yield [f'doc {i} {j} ' * 20 for j in range(50)]\n"
        "        if i == 3: print('spilled', flush=True); time.sleep(60)\n"
        f"near_duplicate_clusters_stream(batches(), spill=True, memory_mb=0.001, spill_dir={str(tmp_path)!r})\n")],
        stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "spilled"
    killed = [p for p in tmp_path.iterdir() if p.name.startswith("assay-near-dedup-")]
    assert len(killed) == 1 and (killed[0] / "shingles.u32").stat().st_size > 0
    child.send_signal(signal.SIGKILL)
    child.wait()
    alive = tmp_path / "assay-near-dedup-live"
    alive.mkdir()
    (alive / "owner").write_text(_own_id())
    legacy = tmp_path / "assay-near-dedup-legacy"
    legacy.mkdir()
    time.sleep(0.1)
    texts, _, _ = corpus
    near_duplicate_clusters(texts, threshold=0.5, spill=True, memory_mb=0.01, spill_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assay-near-dedup-legacy", "assay-near-dedup-live"]


def _own_id() -> str:
    from assay.pipelines.minhash_store import _process_id

    me = _process_id(os.getpid())
    assert me is not None and me.startswith(f"{os.getpid()} ")
    return me
