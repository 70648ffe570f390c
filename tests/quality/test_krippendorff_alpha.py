"""Krippendorff's α: the author's worked example, the `krippendorff` package (GPL, test-only reference)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests.conftest import require_module

from assay.errors import Invalid
from assay.quality import ReliabilityData, krippendorff_alpha

NAN = float("nan")
# Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x 12 units,
# values 1..5, missing data. Reported: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_example(level: str, expected: float) -> None:
    assert krippendorff_alpha(KRIPPENDORFF_2011, level=level) == pytest.approx(expected, abs=5e-4)  # type: ignore[arg-type]


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_matches_krippendorff_package_on_random_data_with_missing_values(level: str) -> None:
    krippendorff = require_module("krippendorff")  # dev group; GPL-3.0, used only here
    rng = np.random.default_rng(42)
    for trial in range(25):
        raters, units = int(rng.integers(2, 7)), int(rng.integers(5, 60))
        truth = rng.integers(1, 6, units)
        m = np.where(rng.random((raters, units)) < 0.7, truth, rng.integers(1, 6, (raters, units))).astype(
            float
        )
        m[rng.random((raters, units)) < 0.3] = np.nan
        if np.unique(m[~np.isnan(m)]).size < 2:
            continue
        ref = krippendorff.alpha(reliability_data=m, level_of_measurement=level)
        assert krippendorff_alpha(m, level=level) == pytest.approx(ref, abs=1e-9), trial  # type: ignore[arg-type]


def test_triples_with_string_labels_and_value_order() -> None:
    names = {1: "bad", 2: "poor", 3: "ok", 4: "good", 5: "great"}
    triples = [
        (u, r, names[int(v)])
        for r, row in enumerate(KRIPPENDORFF_2011)
        for u, v in enumerate(row)
        if not math.isnan(v)
    ]
    order = ["bad", "poor", "ok", "good", "great"]
    rd = ReliabilityData.from_triples(triples, value_order=order)
    assert krippendorff_alpha(rd, level="ordinal") == pytest.approx(
        krippendorff_alpha(KRIPPENDORFF_2011, level="ordinal"), abs=1e-12
    )
    # Nominal alpha does not depend on the order of the values.
    assert krippendorff_alpha(ReliabilityData.from_triples(triples), level="nominal") == pytest.approx(
        0.7434, abs=1e-4
    )
    with pytest.raises(Invalid, match="numeric"):
        krippendorff_alpha(rd, level="interval")


def test_none_is_missing_like_nan() -> None:
    with_none = [
        [None if isinstance(v, float) and math.isnan(v) else v for v in row] for row in KRIPPENDORFF_2011
    ]
    assert krippendorff_alpha(with_none) == pytest.approx(krippendorff_alpha(KRIPPENDORFF_2011), abs=1e-15)


@pytest.mark.parametrize(
    "matrix",
    [
        [[1, 2, 3]],  # one rater
        [[1, None, None], [None, 2, None]],  # no unit with two values
        [[3, 3, 3], [3, 3, None]],  # a single value: no variation
        [[None, None]],  # nothing at all
    ],
)
def test_undefined_alpha_is_nan(matrix: list) -> None:
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert math.isnan(krippendorff_alpha(matrix, level=level))  # type: ignore[arg-type]


def test_perfect_and_systematic_disagreement() -> None:
    assert krippendorff_alpha([[1, 2, 3, 1], [1, 2, 3, 1]]) == pytest.approx(1.0)
    assert krippendorff_alpha([[1, 2, 1, 2], [2, 1, 2, 1]]) < 0


def test_unknown_level_raises() -> None:
    with pytest.raises(Invalid, match="level"):
        krippendorff_alpha([[1, 2], [1, 2]], level="cardinal")  # type: ignore[arg-type]
