"""Krippendorff's α for any number of raters, missing data allowed, at four levels of measurement.

Follows Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": build the coincidence matrix
from every unit with at least two values (pairable values), then α = 1 − D_o / D_e with the level's
squared distance δ²:

- nominal: 0 if equal, else 1;
- ordinal: (Σ_{g=c..k} n_g − (n_c + n_k)/2)², with n_g the marginal counts of the values in their order
  (the order of `ReliabilityData.values`: sorted, or the `value_order` you pass);
- interval: (c − k)²;  ratio: ((c − k) / (c + k))².

Edge cases return NaN (never raise): no unit with two values (nothing pairable), or a single value in all
pairable data (D_e = 0: no variation, so reliability is undefined).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from assay.errors import Invalid
from assay.quality.reliability import ReliabilityData, as_reliability

Level = Literal["nominal", "ordinal", "interval", "ratio"]


def coincidence_matrix(data: ReliabilityData) -> NDArray[np.float64]:
    """Values × values coincidences: Σ_u (n_uc·n_uk − [c=k]·n_uc) / (m_u − 1) over units with m_u ≥ 2."""
    counts = data.counts()
    m = counts.sum(axis=1)
    keep = m >= 2
    counts, m = counts[keep], m[keep]
    scaled = counts / (m - 1)[:, None]
    coincidences: NDArray[np.float64] = counts.T @ scaled - np.diag(scaled.sum(axis=0))
    return coincidences


def distance_matrix(
    level: Level, data: ReliabilityData, marginals: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Squared distances δ²(c, k) between the values of `data` at the given level of measurement."""
    k = len(data.values)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "ordinal":
        cum = np.concatenate([[0.0], np.cumsum(marginals)])
        i = np.arange(k)
        lo, hi = np.minimum.outer(i, i), np.maximum.outer(i, i)
        between = cum[hi + 1] - cum[lo]
        d: NDArray[np.float64] = between - (marginals[lo] + marginals[hi]) / 2.0
        return d**2
    if level == "interval":
        v = data.numeric_values()
        return np.subtract.outer(v, v) ** 2
    if level == "ratio":
        v = data.numeric_values()
        s = np.add.outer(v, v)
        diff = np.subtract.outer(v, v)
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.where(s == 0, 0.0, diff / np.where(s == 0, 1.0, s))
        return d**2
    raise Invalid(f"level must be 'nominal', 'ordinal', 'interval' or 'ratio', not {level!r}")


def krippendorff_alpha(
    data: Any,
    *,
    level: Level = "nominal",
    value_order: Sequence[Hashable] | None = None,
) -> float:
    """Krippendorff's α of a `ReliabilityData` or raters × units matrix (None/NaN = missing).

    `value_order` fixes the order of values for "ordinal" (e.g. ["bad", "ok", "good"]) when sorting them
    would be wrong; it is ignored if `data` is already a `ReliabilityData`. Returns NaN when nothing is
    pairable or all pairable values are the same. Raises `Invalid` for an unknown level, or non-numeric
    values at the interval or ratio level.
    """
    rd = as_reliability(data, value_order=value_order)
    if not rd.values:
        return float("nan")
    o = coincidence_matrix(rd)
    n_c = o.sum(axis=1)
    n = float(n_c.sum())
    if n <= 1.0:
        return float("nan")
    delta = distance_matrix(level, rd, n_c)
    d_o = float((o * delta).sum())
    d_e = float((np.outer(n_c, n_c) * delta).sum()) / (n - 1.0)
    if d_e <= 1e-12 * max(1.0, n):
        return float("nan")
    return 1.0 - d_o / d_e
