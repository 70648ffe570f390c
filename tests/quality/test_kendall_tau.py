"""Kendall's τ-b against scipy, ranking answers to rank vectors, and mean pairwise τ."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import kendalltau

from assay.errors import Invalid
from assay.quality import kendall_tau_b, mean_pairwise_tau, ranks_from_order


def test_matches_scipy_with_ties() -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):
        n = int(rng.integers(2, 30))
        x = rng.integers(0, 5, n).astype(float)
        y = rng.integers(0, 5, n).astype(float)
        ref = kendalltau(x, y, variant="b").statistic
        ours = kendall_tau_b(x, y)
        if math.isnan(ref):
            assert math.isnan(ours)
        else:
            assert ours == pytest.approx(ref, abs=1e-9)


def test_nan_pairs_dropped_and_degenerate_cases() -> None:
    assert kendall_tau_b([1, 2, float("nan"), 3], [1, 2, 0, 3]) == pytest.approx(1.0)
    assert math.isnan(kendall_tau_b([1, 1, 1], [1, 2, 3]))  # one person tied everything
    assert math.isnan(kendall_tau_b([1], [1]))
    with pytest.raises(Invalid):
        kendall_tau_b([1, 2], [1, 2, 3])


def test_ranks_from_order() -> None:
    assert ranks_from_order([[2], [0, 3], [1]]) == [1.0, 2.0, 0.0, 1.0]
    assert ranks_from_order([1, 0]) == [1.0, 0.0]
    with pytest.raises(Invalid):
        ranks_from_order([[0], [0, 1]])


def test_mean_pairwise_tau() -> None:
    r = ranks_from_order
    rankings = [
        ("rec1", "ann", r([[0], [1], [2]])),
        ("rec1", "bob", r([[0], [1], [2]])),
        ("rec1", "cat", r([[2], [1], [0]])),
        ("rec2", "bob", r([[0], [1], [2]])),
        ("rec2", "ann", r([[1], [0], [2]])),
        ("rec3", "ann", r([[0], [1], [2]])),  # ranked by one person: no pair
        ("rec4", "ann", r([[0, 1, 2]])),  # all tied: undefined
        ("rec4", "bob", r([[0], [1], [2]])),
    ]
    s = mean_pairwise_tau(rankings)
    # rec1: ann-bob 1, ann-cat -1, bob-cat -1; rec2: ann-bob 1/3.
    assert s.n_pairs == 4 and s.n_undefined == 1
    assert s.mean == pytest.approx((1 - 1 - 1 + 1 / 3) / 4)
    assert s.by_pair[("ann", "bob")] == pytest.approx((1 + 1 / 3) / 2)
    assert math.isnan(mean_pairwise_tau([]).mean)
