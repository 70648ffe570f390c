"""Bradley–Terry: the fit is the penalised maximum likelihood, recovers known strengths, CIs are seeded."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize

from assay.errors import Invalid
from assay.quality import bradley_terry, comparisons_from_rankings


def _simulate(strengths: np.ndarray, n: int, seed: int) -> list[tuple[str, str, float]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        i, j = rng.choice(strengths.size, 2, replace=False)
        p = 1.0 / (1.0 + math.exp(strengths[j] - strengths[i]))
        u = rng.random()
        out.append((f"m{i}", f"m{j}", 0.5 if u < 0.1 else (1.0 if u < 0.1 + 0.9 * p else 0.0)))
    return out


def test_fit_is_the_penalised_maximum_likelihood() -> None:
    comps = _simulate(np.array([0.0, 0.5, -1.0, 1.5, 0.2]), 400, seed=1) + [("m0", "m9", 1.0)]
    prior = 0.1
    result = bradley_terry(comps, prior=prior, n_bootstrap=0)
    models = list(result.models)
    ia = np.array([models.index(a) for a, _, _ in comps])
    ib = np.array([models.index(b) for _, b, _ in comps])
    y = np.array([o for _, _, o in comps])

    def neg_ll(s: np.ndarray) -> float:
        d = s[ia] - s[ib]
        ll = -(y * np.logaddexp(0, -d) + (1 - y) * np.logaddexp(0, d)).sum()
        return -(ll - prior * (np.logaddexp(0, -s) + np.logaddexp(0, s)).sum())

    ref = minimize(neg_ll, np.zeros(len(models)), method="BFGS", options={"gtol": 1e-11}).x
    ref -= ref.mean()
    ours = np.array([result.scores[m] for m in models])
    assert np.max(np.abs(ours - ref)) < 1e-5
    assert math.isnan(result.ci_low["m0"])


def test_recovers_known_order_with_seeded_intervals() -> None:
    strengths = np.array([-1.0, -0.3, 0.4, 1.2])
    comps = _simulate(strengths, 3000, seed=2)
    r = bradley_terry(comps, n_bootstrap=100, seed=7)
    assert r.ranking() == ["m3", "m2", "m1", "m0"]
    centred = strengths - strengths.mean()
    for k, m in enumerate(["m0", "m1", "m2", "m3"]):
        assert r.ci_low[m] < r.scores[m] < r.ci_high[m]
        assert abs(r.scores[m] - centred[k]) < 0.2
    again = bradley_terry(comps, n_bootstrap=100, seed=7)
    assert again.ci_low == r.ci_low and again.ci_high == r.ci_high
    assert r.win_probability("m3", "m0") == pytest.approx(1 - r.win_probability("m0", "m3"))


def test_undefeated_model_stays_finite_and_ties_are_half_wins() -> None:
    r = bradley_terry([("x", "y", 1.0)] * 5 + [("y", "z", "a")] * 3, n_bootstrap=20)
    assert all(math.isfinite(v) for v in r.scores.values())
    assert r.ranking() == ["x", "y", "z"]
    tied = bradley_terry([("p", "q", "tie")] * 10, n_bootstrap=0)
    assert tied.scores["p"] == pytest.approx(tied.scores["q"], abs=1e-9)


def test_rankings_expand_to_pairs() -> None:
    pairs = comparisons_from_rankings([[["a"], ["b", "c"], ["d"]], ["c", "a"]])
    assert ("a", "b", 1.0) in pairs and ("b", "c", 0.5) in pairs and ("c", "d", 1.0) in pairs
    assert ("c", "a", 1.0) in pairs and len(pairs) == 7
    r = bradley_terry(pairs, n_bootstrap=0)
    assert r.ranking()[-1] == "d"


def test_bad_comparisons_raise() -> None:
    with pytest.raises(Invalid):
        bradley_terry([("a", "a", 1.0)])
    with pytest.raises(Invalid):
        bradley_terry([("a", "b", "maybe")])
    with pytest.raises(Invalid):
        bradley_terry([("a", "b", 2.0)])
    with pytest.raises(Invalid):
        bradley_terry([])
    with pytest.raises(Invalid):
        bradley_terry([("a", "b", 1.0)], prior=0)
