"""Raw agreement, Cohen's κ and Fleiss' κ: textbook values, reference packages, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assay.errors import Invalid
from assay.quality import (
    ReliabilityData,
    cohen_kappa,
    fleiss_kappa,
    observed_agreement,
    pairwise_cohen_kappa,
)

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories; P-bar = 0.378,
# P-bar_e = 0.213, kappa = 0.210 (the table below is the article's n_ij).
FLEISS_WIKIPEDIA = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def _random_matrix(rng: np.random.Generator, raters: int, units: int, k: int, missing: float) -> list[list]:
    m = rng.integers(1, k + 1, size=(raters, units)).astype(object)
    m[rng.random((raters, units)) < missing] = None
    return m.tolist()


def test_fleiss_wikipedia_example() -> None:
    assert fleiss_kappa(FLEISS_WIKIPEDIA, counts=True) == pytest.approx(0.2099, abs=5e-4)


def test_fleiss_from_labels_equals_counts_and_raw_agreement_is_p_bar() -> None:
    # Expand the counts table back into a 14 raters x 10 units label matrix.
    matrix = [[None] * 10 for _ in range(14)]
    for u, row in enumerate(FLEISS_WIKIPEDIA):
        labels = [c for c, n in enumerate(row) for _ in range(n)]
        for r, lab in enumerate(labels):
            matrix[r][u] = lab
    assert fleiss_kappa(matrix) == pytest.approx(fleiss_kappa(FLEISS_WIKIPEDIA, counts=True), abs=1e-12)
    assert observed_agreement(matrix) == pytest.approx(0.378, abs=5e-4)


def test_cohen_wikipedia_example() -> None:
    # Wikipedia, "Cohen's kappa", simple example: 50 grant proposals; both yes 20, A yes/B no 5,
    # A no/B yes 10, both no 15: p_o = 0.7, p_e = 0.5, kappa = 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4, abs=1e-12)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_matches_scikit_learn(weights: str | None) -> None:
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(7)
    for _ in range(20):
        a = rng.integers(1, 6, 60)
        b = np.where(rng.random(60) < 0.6, a, rng.integers(1, 6, 60))
        labels = sorted(set(a) | set(b))
        ours = cohen_kappa(a.tolist(), b.tolist(), weights=weights, categories=labels)  # type: ignore[arg-type]
        ref = cohen_kappa_score(a, b, weights=weights, labels=labels)
        assert ours == pytest.approx(ref, abs=1e-9)


def test_cohen_drops_units_missing_either_answer() -> None:
    a = ["x", "y", None, "x", float("nan"), "y"]
    b = ["x", "y", "x", None, "y", "x"]
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa(["x", "y", "y"], ["x", "y", "x"]), abs=1e-12)


def test_fleiss_matches_statsmodels() -> None:
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    rng = np.random.default_rng(3)
    for _ in range(20):
        raters, k = 6, 4
        probs = rng.dirichlet(np.ones(k), size=40)
        table = np.array([rng.multinomial(raters, p) for p in probs])
        assert fleiss_kappa(table, counts=True) == pytest.approx(sm_fleiss(table), abs=1e-9)


def test_pairwise_cohen_keys_and_missing_pairs() -> None:
    m = [["a", "b", "a", None], ["a", "b", "b", None], [None, None, None, "a"]]
    out = pairwise_cohen_kappa(m)
    assert set(out) == {(0, 1), (0, 2), (1, 2)}
    assert math.isnan(out[(0, 2)]) and math.isnan(out[(1, 2)])
    assert out[(0, 1)] == pytest.approx(cohen_kappa(["a", "b", "a"], ["a", "b", "b"]))


@pytest.mark.parametrize(
    "matrix",
    [
        [["a", "b", "c"]],  # one rater: nothing to compare
        [["a", None], [None, "b"]],  # no unit rated twice
        [["x", "x", "x"], ["x", "x", "x"]],  # all identical: chance agreement is 1
        [],
    ],
)
def test_undefined_cases_are_nan(matrix: list) -> None:
    assert math.isnan(fleiss_kappa(matrix))
    if len(matrix) == 2:
        assert math.isnan(cohen_kappa(matrix[0], matrix[1]))


def test_raw_agreement_defined_when_kappa_is_not() -> None:
    same = [["x", "x", "x"], ["x", "x", "x"]]
    assert observed_agreement(same) == 1.0
    assert math.isnan(observed_agreement([["x", "y"]]))


def test_triples_and_matrix_agree() -> None:
    rng = np.random.default_rng(11)
    m = _random_matrix(rng, 4, 30, 3, 0.3)
    triples = [(u, r, m[r][u]) for r in range(4) for u in range(30)]
    rd = ReliabilityData.from_triples(triples)
    assert fleiss_kappa(rd) == pytest.approx(fleiss_kappa(m), abs=1e-12)
    assert observed_agreement(rd) == pytest.approx(observed_agreement(m), abs=1e-12)


def test_duplicate_triples_policy() -> None:
    triples = [("u1", "r1", "a"), ("u1", "r1", "b"), ("u1", "r2", "b")]
    assert observed_agreement(ReliabilityData.from_triples(triples)) == 1.0
    assert observed_agreement(ReliabilityData.from_triples(triples, duplicates="first")) == 0.0
    with pytest.raises(Invalid, match="twice"):
        ReliabilityData.from_triples(triples, duplicates="error")


def test_bad_inputs_raise_invalid() -> None:
    with pytest.raises(Invalid):
        cohen_kappa([1, 2], [1])
    with pytest.raises(Invalid):
        cohen_kappa([1, 2], [1, 2], weights="cubic")  # type: ignore[arg-type]
    with pytest.raises(Invalid):
        ReliabilityData.from_matrix([[1, 2], [1]])
