"""Near-duplicate detection: shingles, LSH parameters, MinHash accuracy, planted corpus, step wrapper."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pytest

from assay.datasets.schema import RECORD_SCHEMA, record_to_row
from assay.datasets.store import DatasetStore
from assay.domain.records import Completion, Message, Record
from assay.errors import Invalid
from assay.pipelines.minhash_lsh import (
    MAX_DERIVED_PERM,
    MinHasher,
    candidate_probability,
    lsh_params,
    recall_params,
)
from assay.pipelines.minhash_shingles import NO_SHINGLE, ShingleBatch, normalize_text, shingle_hashes
from assay.pipelines.minhash_verify import pair_jaccard
from assay.pipelines.near_dedup import (
    DEFAULT_THRESHOLD,
    NearDedup,
    NearDedupStep,
    near_duplicate_clusters,
    resolve_config,
)
from assay.pipelines.registry import build_step
from assay.pipelines.runner import run_pipeline
from assay.pipelines.spec import PipelineSpec

# --- a small corpus with planted near-copies and template near-misses ------------------------------------


def _vocab(rng: np.random.Generator, n: int = 3000) -> list[str]:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return ["".join(rng.choice(letters, size=int(rng.integers(2, 10)))) for _ in range(n)]


def _words(rng: np.random.Generator, vocab: list[str], n: int) -> list[str]:
    p = 1.0 / np.arange(1, len(vocab) + 1)
    return [vocab[i] for i in rng.choice(len(vocab), size=n, p=p / p.sum())]


def _edit(rng: np.random.Generator, vocab: list[str], words: list[str], rate: float = 0.05) -> list[str]:
    w = list(words)
    for pos in rng.choice(len(w), size=max(1, round(rate * len(w))), replace=False):
        w[pos] = vocab[int(rng.integers(len(vocab)))]
    return w


def _render(words: list[str]) -> str:
    """Sentences with capitals and punctuation, which normalisation must see through."""
    out = []
    for i in range(0, len(words), 9):
        sent = words[i: i + 9]
        out.append(sent[0].capitalize() + " " + ", ".join([" ".join(sent[1:5]), " ".join(sent[5:])]) + ".")
    return "  ".join(out)


def planted_corpus(seed: int = 3) -> tuple[list[str], set[tuple[int, int]], set[tuple[int, int]]]:
    """(texts, planted near-copy pairs, template near-miss pairs)."""
    rng = np.random.default_rng(seed)
    vocab = _vocab(rng)
    docs = [_words(rng, vocab, int(rng.integers(100, 300))) for _ in range(400)]
    copies = [(int(s), len(docs) + k) for k, s in enumerate(rng.choice(len(docs), size=60, replace=False))]
    docs += [_edit(rng, vocab, docs[s]) for s, _ in copies]
    misses: set[tuple[int, int]] = set()
    for _ in range(12):  # families of 3 sharing a 55 % template (true 5-gram Jaccard about 0.35-0.4)
        template = _words(rng, vocab, 110)
        members = []
        for _ in range(3):
            members.append(len(docs))
            docs.append(template[:50] + _words(rng, vocab, 90) + template[50:])
        misses |= set(itertools.combinations(members, 2))
    return [_render(d) for d in docs], set(copies), misses


def reference_jaccard(a: str, b: str, n: int = 5) -> float:
    """Independent Jaccard of word n-gram sets on `normalize_text` (Python sets, no hashing)."""
    def grams(t: str) -> set[tuple[str, ...]]:
        w = normalize_text(t).split()
        return {tuple(w[i: i + n]) for i in range(max(len(w) - n + 1, 1))} if w else set()
    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga | gb) if ga | gb else 0.0


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], set[tuple[int, int]], set[tuple[int, int]]]:
    return planted_corpus()


# --- shingles ----------------------------------------------------------------------------------------------


def test_normalisation_equal_texts_hash_equal_and_counts_follow_words() -> None:
    texts = ["Hello, World!  The quick brown fox.", "hello world the QUICK brown-fox", "", "   ...  ",
             "two words", "Émile ÉCRIT à l'École — vite", "émile écrit à l école vite"]
    b = shingle_hashes(texts, ngram=5)
    seg = [b.hashes[b.offsets[i]: b.offsets[i + 1]].tolist() for i in range(len(texts))]
    assert seg[0] == seg[1] and len(seg[0]) == 2  # 6 words -> 2 shingles
    assert seg[2] == [] and seg[3] == []
    assert len(seg[4]) == 1  # fewer words than ngram: one shingle of all of them
    assert seg[5] == seg[6] and len(seg[5]) == 2  # non-ASCII: lowercased, punctuation split
    assert seg[0] != seg[4]
    assert not (b.hashes == NO_SHINGLE).any()
    assert normalize_text("Hello,world!_x") == "hello world x"


def test_shingles_are_the_same_in_any_batching() -> None:
    texts, _, _ = planted_corpus(seed=11)
    whole = shingle_hashes(texts[:50])
    parts = [shingle_hashes([t]) for t in texts[:50]]
    assert np.array_equal(whole.hashes, np.concatenate([p.hashes for p in parts]))


def test_exact_jaccard_matches_a_python_set_reference(corpus: tuple) -> None:
    texts, copies, misses = corpus
    pairs = np.array(sorted(copies)[:20] + sorted(misses)[:10] + [(0, 1), (2, 3)], dtype=np.int64)
    got = pair_jaccard(shingle_hashes(texts), pairs)
    want = [reference_jaccard(texts[i], texts[j]) for i, j in pairs.tolist()]
    assert np.allclose(got, want)


# --- LSH parameters and MinHash ------------------------------------------------------------------------------


@pytest.mark.parametrize(("threshold", "num_perm", "weights", "expected"), [
    # reference values from datasketch 2.0 `datasketch.lsh._optimal_param`
    (0.8, 128, (0.5, 0.5), (9, 13)),
    (0.5, 128, (0.5, 0.5), (25, 5)),
    (0.7, 256, (0.5, 0.5), (25, 10)),
    (0.9, 200, (0.5, 0.5), (8, 25)),
    (0.5, 128, (0.1, 0.9), (32, 4)),
    (0.8, 64, (0.1, 0.9), (9, 7)),
])
def test_bands_rows_match_datasketch(threshold: float, num_perm: int, weights: tuple[float, float],
                                     expected: tuple[int, int]) -> None:
    assert lsh_params(threshold, num_perm, *weights) == expected


@pytest.mark.parametrize("threshold", [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
def test_derived_bands_rows_catch_a_pair_at_the_threshold_with_the_fewest_hashes(threshold: float) -> None:
    """The S-curve of the derived choice: P(t) >= 0.99, P(t/2) <= 0.5, and no choice with fewer hashes
    (brute force over every bands × rows up to 512) satisfies both."""
    cfg = resolve_config(threshold)  # verify=True, no fn_weight: recall_params
    b, r = cfg.bands, cfg.rows
    assert cfg.num_perm == b * r <= MAX_DERIVED_PERM and cfg.fn_weight is None
    p = lambda s, bb=b, rr=r: float(1.0 - (1.0 - s ** rr) ** bb)  # the S-curve written out
    assert p(threshold) >= 0.99
    assert p(threshold / 2) <= 0.5
    assert float(candidate_probability(threshold, b, r)) == pytest.approx(p(threshold))
    for rr in range(1, MAX_DERIVED_PERM + 1):
        for bb in range(1, (b * r - 1) // rr + 1):  # every choice with fewer hashes fails one condition
            assert p(threshold, bb, rr) < 0.99 or p(threshold / 2, bb, rr) > 0.5, (bb, rr)
    plain = resolve_config(threshold, verify=False)  # datasketch's symmetric weights: every candidate merges
    assert 0.2 < float(candidate_probability(threshold, plain.bands, plain.rows)) < 0.8


def test_recall_params_within_a_small_num_perm_falls_back_to_the_best_recall() -> None:
    assert recall_params(0.6, 128) == recall_params(0.6) == (19, 3)  # 57 hashes, P(0.6) = 0.990
    b, r = recall_params(0.35, 128)  # 0.99 needs 318 hashes: the best P(0.35) within 128 that still filters
    assert b * r <= 128 and float(candidate_probability(0.175, b, r)) <= 0.5
    assert resolve_config(0.35, num_perm=128).bands == b
    with pytest.raises(Invalid):
        recall_params(0.5, 0)


def test_default_threshold_catches_copies_with_five_to_ten_percent_of_words_edited() -> None:
    """The measured table in docs/near-dedup.md (bench/dedup/edit_jaccard.py), on this file's corpus:
    200-word documents with 5 % and 10 % of words replaced stay at or above the default threshold."""
    assert resolve_config().threshold == DEFAULT_THRESHOLD == 0.35
    rng = np.random.default_rng(21)
    vocab = _vocab(rng, 5000)
    texts = []
    for rate in (0.05, 0.10):
        for _ in range(40):
            w = _words(rng, vocab, 200)
            texts += [" ".join(w), " ".join(_edit(rng, vocab, w, rate=rate))]
    res = near_duplicate_clusters(texts)
    found = [res.cluster[i + 1] == res.cluster[i] for i in range(0, len(texts), 2)]
    assert sum(found) >= 0.97 * len(found)


def test_minhash_estimates_jaccard_without_bias() -> None:
    rng = np.random.default_rng(5)
    k, n = 128, 300
    estimates, truths = [], []
    hasher = MinHasher(k, seed=9)
    for _ in range(200):
        j = rng.uniform(0.2, 0.9)
        common = round(2 * n * j / (1 + j))
        universe = rng.choice(2**32 - 1, size=2 * n, replace=False).astype(np.uint32)
        a = universe[:n]
        b = np.concatenate([a[:common], universe[n: 2 * n - common]])
        batch = ShingleBatch(np.concatenate([a, b]), np.array([0, n, 2 * n]))
        sig = hasher.signatures(batch)
        estimates.append(float(np.mean(sig[:, 0] == sig[:, 1])))
        truths.append(common / (2 * n - common))
    err = np.array(estimates) - np.array(truths)
    assert abs(err.mean()) < 0.01
    expected_sd = np.sqrt(np.mean([t * (1 - t) for t in truths]) / k)
    assert err.std() < 1.3 * expected_sd


# --- the function ---------------------------------------------------------------------------------------------


def test_planted_near_copies_found_and_template_near_misses_kept_apart(corpus: tuple) -> None:
    texts, copies, misses = corpus
    res = near_duplicate_clusters(texts, threshold=0.5)
    same = lambda i, j: res.cluster[i] == res.cluster[j]
    recall = sum(same(i, j) for i, j in copies) / len(copies)
    assert recall >= 0.95
    predicted = {tuple(p) for p in res.pairs.tolist()}
    assert predicted <= copies  # precision 1.0 on this corpus: every counted pair is planted
    assert not any(same(i, j) for i, j in misses)
    assert res.verified_pairs == len(res.pairs) <= res.candidate_pairs
    assert res.candidate_pairs > res.verified_pairs  # near-misses became candidates and were rejected
    assert (res.jaccard >= 0.5).all()
    # keep one per cluster: the lowest index
    for cl in res.clusters():
        assert res.keep[cl[0]] and not res.keep[cl[1:]].any()
        assert (res.duplicate_of[cl[1:]] == cl[0]).all()


def test_without_verification_template_near_misses_merge(corpus: tuple) -> None:
    texts, _, misses = corpus
    res = near_duplicate_clusters(texts, threshold=0.5, verify=False)
    assert any(res.cluster[i] == res.cluster[j] for i, j in misses)
    assert np.isnan(res.jaccard).all()


def test_same_seed_same_clusters_other_seed_other_signatures(corpus: tuple) -> None:
    texts, _, _ = corpus
    a = near_duplicate_clusters(texts[:200] + texts[400:430], threshold=0.5, seed=4)
    b = near_duplicate_clusters(texts[:200] + texts[400:430], threshold=0.5, seed=4)
    assert np.array_equal(a.cluster, b.cluster) and np.array_equal(a.pairs, b.pairs)
    h1, h2 = MinHasher(16, seed=1), MinHasher(16, seed=2)
    batch = shingle_hashes(texts[:5])
    assert np.array_equal(h1.signatures(batch), MinHasher(16, seed=1).signatures(batch))
    assert not np.array_equal(h1.signatures(batch), h2.signatures(batch))


def test_empty_single_and_wordless_inputs() -> None:
    empty = near_duplicate_clusters([])
    assert len(empty.cluster) == 0 and empty.candidate_pairs == 0 and empty.clusters() == []
    one = near_duplicate_clusters(["just one document here"])
    assert one.cluster.tolist() == [0] and one.keep.tolist() == [True]
    blank = near_duplicate_clusters(["", "  !!! ", "", "same words here", "Same words, here!"])
    assert blank.cluster.tolist() == [0, 1, 2, 3, 3]  # wordless documents never cluster


def test_exact_duplicates_in_bulk_form_one_cluster() -> None:
    texts = ["the same boilerplate text repeated many times over"] * 300 + ["something else entirely now"]
    res = near_duplicate_clusters(texts)
    assert (res.cluster[:300] == 0).all() and res.cluster[300] == 300
    assert res.candidate_pairs < 2000  # star pairs, not a clique of 44,850


def test_bad_parameters_are_invalid() -> None:
    for kwargs in ({"threshold": 1.0}, {"threshold": 0.0}, {"ngram": 0}, {"num_perm": 0},
                   {"bands": 20, "rows": 10, "num_perm": 100}, {"fn_weight": 1.5}):
        with pytest.raises(Invalid):
            near_duplicate_clusters(["a b c"], **kwargs)
    assert resolve_config(0.8, bands=16).bands == 16 and resolve_config(0.8, bands=16).rows == 8
    assert resolve_config(0.8, bands=10, rows=5).num_perm == 50


# --- the step ---------------------------------------------------------------------------------------------------


def _table(texts: list[str], ids: list[str]) -> pa.Table:
    rows = [record_to_row(Record(external_id=i, source="test",
                                 messages=[Message("user", "Please write something.")],
                                 completions=[Completion(text=t, model="m")]))
            for i, t in zip(ids, texts)]
    return pa.Table.from_pylist(rows, schema=RECORD_SCHEMA)


def test_step_drops_near_duplicates_across_shards(corpus: tuple) -> None:
    texts, copies, _ = corpus
    sub = list(range(120)) + [c for s, c in sorted(copies) if s < 120]
    ids = [f"r{i:04d}" for i in sub]
    table = _table([texts[i] for i in sub], ids)
    step = build_step("near_dedup", {"threshold": 0.5, "field": "completions", "id": "nd"})
    assert isinstance(step, NearDedup) and NearDedupStep is NearDedup
    shards = [table.slice(0, 70), table.slice(70)]
    step.plan([step.collect(s) for s in shards])
    outs = [step.process(s) for s in shards]
    planted = {(f"r{s:04d}", f"r{c:04d}") for s, c in copies if s < 120}
    dropped = sum(sum(o.stats.dropped.values()) for o in outs)
    assert len(planted) * 0.95 <= dropped <= len(planted)
    kept_ids = {i for o in outs for i in o.table.column("id").to_pylist()}
    for s, c in planted:
        if c not in kept_ids:
            assert s in kept_ids
    reasons = {r for o in outs for r in o.stats.dropped}
    assert reasons == {"near-duplicate"}
    annotated = step.process(shards[0].slice(0, 0))
    assert "nd__near_dup_cluster" in annotated.table.column_names
    everything = NearDedup(threshold=0.5, field="completions", annotate_only=True)
    everything.plan([everything.collect(table)])
    out = everything.process(table)
    assert out.table.num_rows == table.num_rows
    cluster = out.table.column("near_dedup__near_dup_cluster").to_pylist()
    dup_of = out.table.column("near_dedup__near_dup_of").to_pylist()
    assert sum(d is not None for d in dup_of) == dropped
    for s, c in planted:
        si, ci = ids.index(s), ids.index(c)
        if dup_of[ci] is not None:
            assert cluster[ci] == cluster[si] == s == dup_of[ci]


def test_long_documents_and_threaded_workers_give_the_same_result(corpus: tuple) -> None:
    texts, _, _ = corpus
    rng = np.random.default_rng(8)
    vocab = _vocab(rng, 5000)
    long_doc = _words(rng, vocab, 30_000)  # more shingles than one MinHash chunk, more bytes than a batch
    extra = [" ".join(long_doc), " ".join(_edit(rng, vocab, long_doc, rate=0.02))]
    all_texts = texts[:150] + extra
    serial = near_duplicate_clusters(all_texts, threshold=0.7)
    assert serial.cluster[151] == 150
    threaded = near_duplicate_clusters(all_texts, threshold=0.7, workers=2)
    assert np.array_equal(serial.cluster, threaded.cluster) and np.array_equal(serial.pairs, threaded.pairs)


def test_many_near_identical_documents_need_few_exact_checks() -> None:
    rng = np.random.default_rng(12)
    vocab = _vocab(rng, 2000)
    base = _words(rng, vocab, 200)
    texts = [" ".join(_edit(rng, vocab, base, rate=0.01)) for _ in range(400)]
    res = near_duplicate_clusters(texts, threshold=0.8)
    assert len(res.clusters()) == 1 and res.keep.sum() == 1
    assert res.candidate_pairs > 20 * len(texts)  # big buckets: many candidates ...
    assert res.checked_pairs < 8 * len(texts)  # ... but pairs already connected are not checked
    assert res.verified_pairs >= len(texts) - 1  # a spanning set of the cluster


def test_pipeline_run_with_near_dedup_over_shards(corpus: tuple, tmp_path) -> None:
    texts, copies, _ = corpus
    sub = list(range(100)) + [c for s, c in sorted(copies) if s < 100]
    planted = {(f"r{s:04d}", f"r{c:04d}") for s, c in copies if s < 100}
    store = DatasetStore(str(tmp_path / "store"))
    store.write_version("src", [_table([texts[i] for i in sub], [f"r{i:04d}" for i in sub])])
    spec = PipelineSpec.parse({"shards": 3, "steps": [{"near_dedup": {"threshold": 0.5,
                                                                      "field": "completions"}}]})
    res = run_pipeline(store, spec, "src@1", output="out", run_dir=tmp_path / "run")
    out = store.read_table(res.manifest)
    kept = set(out.column("id").to_pylist())
    assert all(s in kept for s, _ in planted)  # the smallest id of each pair survives
    dropped = res.manifest.steps[0]["dropped"]
    assert 0.95 * len(planted) <= sum(dropped.values()) <= len(planted)
    assert set(dropped) == {"near-duplicate"}
    assert {f"r{i:04d}" for i in sub} - kept <= {c for _, c in planted}  # only planted copies were dropped
    assert out.num_rows == len(sub) - sum(dropped.values())
