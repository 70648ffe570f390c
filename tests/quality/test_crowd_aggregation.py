"""Majority vote and Dawid–Skene on simulated crowds with known truth."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import pytest

from assay.errors import Invalid
from assay.quality import (
    AggregationResult,
    CrowdLabels,
    dawid_skene,
    majority_vote,
    one_coin_dawid_skene,
    simulate_crowd,
)

AGGREGATORS = [majority_vote, dawid_skene, one_coin_dawid_skene]


def accuracy(result: AggregationResult, truth: dict[str, int], skip: Iterable[Hashable] = ()) -> float:
    skipped = set(skip)
    items = [i for i in truth if i not in skipped]
    return sum(result.labels[i] == truth[i] for i in items) / len(items)


@pytest.mark.parametrize("seed", [0, 1])
def test_dawid_skene_beats_majority_vote_on_a_varied_crowd(seed: int) -> None:
    crowd = simulate_crowd(n_items=1000, n_workers=30, per_item=5, n_classes=3, seed=seed)
    mv = accuracy(majority_vote(crowd.triples), crowd.truth)
    ds = accuracy(dawid_skene(crowd.triples), crowd.truth)
    one = accuracy(one_coin_dawid_skene(crowd.triples), crowd.truth)
    assert ds > mv + 0.03, (mv, ds)
    assert one > mv + 0.02, (mv, one)


def test_worker_skill_tracks_true_accuracy() -> None:
    crowd = simulate_crowd(n_items=1500, n_workers=20, per_item=5, n_classes=3, seed=3)
    for aggregate in (dawid_skene, one_coin_dawid_skene):
        result = aggregate(crowd.triples)
        est = np.array([result.worker_skill[w] for w in crowd.worker_accuracy])
        true = np.array(list(crowd.worker_accuracy.values()))
        assert np.max(np.abs(est - true)) < 0.1
    adversaries = [w for w, k in crowd.kind.items() if k == "adversarial"]
    assert adversaries
    full = dawid_skene(crowd.triples)
    for w in adversaries:  # learnt confusion: true class k is mostly answered as k + 1
        m = full.confusion[w]
        assert all(m[k, (k + 1) % 3] > 0.6 for k in range(3))


def test_gold_anchors_a_crowd_whose_majority_is_adversarial() -> None:
    crowd = simulate_crowd(
        n_items=300,
        n_workers=10,
        per_item=5,
        n_classes=2,
        spammer_share=0.0,
        adversarial_share=0.6,
        adversarial_error=0.85,
        accuracy_range=(0.75, 0.9),
        seed=0,
    )
    gold = {i: t for k, (i, t) in enumerate(crowd.truth.items()) if k % 10 == 0}
    for aggregate in (dawid_skene, one_coin_dawid_skene):
        without = accuracy(aggregate(crowd.triples), crowd.truth, skip=gold)
        anchored = aggregate(crowd.triples, gold=gold)
        assert without < 0.5, without
        assert accuracy(anchored, crowd.truth, skip=gold) > 0.9
        assert all(anchored.labels[i] == t and anchored.confidence[i] == 1.0 for i, t in gold.items())


def test_result_shapes_and_posteriors() -> None:
    crowd = simulate_crowd(n_items=200, n_workers=12, per_item=3, n_classes=3, seed=9)
    for aggregate in AGGREGATORS:
        r = aggregate(crowd.triples)
        assert r.posteriors.shape == (200, 3)
        assert np.allclose(r.posteriors.sum(axis=1), 1.0)
        assert set(r.labels) == set(crowd.truth) and set(r.worker_skill) == set(crowd.worker_accuracy)
        for k, item in enumerate(r.items):
            if r.labels[item] is not None:
                c = r.classes.index(r.labels[item])
                assert r.confidence[item] == pytest.approx(r.posteriors[k, c])
                assert r.posteriors[k, c] == pytest.approx(r.posteriors[k].max())
        if aggregate is not majority_vote:
            assert r.converged and all(np.allclose(m.sum(axis=1), 1.0) for m in r.confusion.values())


def test_majority_vote_ties() -> None:
    triples = [("i1", "w1", "a"), ("i1", "w2", "b"), ("i2", "w1", "b"), ("i2", "w2", "b"), ("i2", "w3", "a")]
    first = majority_vote(triples, tie="first")
    assert first.labels == {"i1": "a", "i2": "b"}
    assert first.confidence == {"i1": 0.5, "i2": pytest.approx(2 / 3)}
    assert majority_vote(triples, tie="none").labels["i1"] is None
    many = [(f"i{k}", w, lab) for k in range(200) for w, lab in (("w1", "a"), ("w2", "b"))]
    picks = majority_vote(many, tie="random", seed=1).labels
    assert 60 < list(picks.values()).count("a") < 140  # unbiased between the tied classes
    assert picks == majority_vote(many, tie="random", seed=1).labels
    with pytest.raises(Invalid):
        majority_vote(triples, tie="coin")  # type: ignore[arg-type]


def test_repeat_votes_and_classes() -> None:
    triples = [("i1", "w1", "a"), ("i1", "w1", "b"), ("i1", "w2", "b")]
    assert majority_vote(triples).confidence["i1"] == 1.0  # w1's last vote counts once
    kept = CrowdLabels.from_triples(triples, keep_repeats=True)
    assert kept.item_idx.size == 3
    r = dawid_skene(triples, classes=["a", "b", "c"])
    assert r.classes == ("a", "b", "c") and r.posteriors.shape == (1, 3)
    with pytest.raises(Invalid, match="not in classes"):
        CrowdLabels.from_triples(triples, classes=["a"])
    with pytest.raises(Invalid, match="gold"):
        dawid_skene(triples, gold={"i1": "z"})


def test_single_class_and_single_worker() -> None:
    for aggregate in AGGREGATORS:
        r = aggregate([("i1", "w1", "x"), ("i2", "w1", "x")])
        assert r.labels == {"i1": "x", "i2": "x"} and r.confidence["i1"] == pytest.approx(1.0)
