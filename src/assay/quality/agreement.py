"""Agreement between people answering the same question: raw agreement, Cohen's κ and Fleiss' κ.

Conventions shared by every function here:

- Compute agreement per question: pass one question's answers at a time, reduced to one hashable value per
  (rater, unit) — e.g. a pairwise choice "a"/"b"/"tie", a label, a score.
- Missing answers are `None` or NaN and are ignored (pairwise deletion).
- When the measure is undefined the result is NaN, never an exception: no unit with two ratings ("nothing
  to compare"), or no variation in the expected agreement (every answer the same value, so chance agreement
  is 1 and κ is 0/0). NaN means "undefined", not "zero agreement"; show it as "n/a".

Krippendorff's α lives in `assay.quality.krippendorff`; Kendall's τ in `assay.quality.rank_correlation`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from assay.errors import Invalid
from assay.quality.reliability import ReliabilityData, as_reliability

Weights = Literal["linear", "quadratic"] | None


def observed_agreement(data: Any) -> float:
    """Raw agreement: the mean over units of the share of agreeing rater pairs within the unit.

    `data` is a `ReliabilityData` or a raters × units matrix. Units with fewer than two ratings are left
    out; a unit rated by m raters counts once whatever m is (this is Fleiss' P-bar, generalised to a
    varying number of raters). NaN if no unit has two ratings.
    """
    counts = as_reliability(data).counts()
    m = counts.sum(axis=1)
    keep = m >= 2
    if not keep.any():
        return float("nan")
    c, m = counts[keep], m[keep]
    per_unit = ((c * (c - 1)).sum(axis=1)) / (m * (m - 1))
    return float(per_unit.mean())


def first_two_agreement(triples: Iterable[tuple[Hashable, Hashable, Hashable]]) -> tuple[float, int]:
    """Raw agreement by the *first two votes* rule (Tulu 1's own evaluation): per unit, only the first two
    answers in the order given count; the result is the share of units whose two agree, and how many units
    had two. `triples` are (unit, rater, value) in vote order; None values are skipped. Beside
    `observed_agreement` (every pair of raters within a unit): on Tulu 1, chatgpt vs tulu_65B gives 0.5556 by
    this rule and 0.5608 over all pairs. NaN (and 0) when no unit has two answers."""
    firsts: dict[Hashable, list[Hashable]] = {}
    for unit, _rater, value in triples:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        got = firsts.setdefault(unit, [])
        if len(got) < 2:
            got.append(value)
    pairs = [v for v in firsts.values() if len(v) == 2]
    if not pairs:
        return float("nan"), 0
    return sum(a == b for a, b in pairs) / len(pairs), len(pairs)


def fleiss_kappa(data: Any, *, counts: bool = False) -> float:
    """Fleiss' κ (Fleiss 1971) for many raters assigning nominal categories.

    `data` is a `ReliabilityData` or a raters × units matrix of labels; with `counts=True` it is instead a
    units × categories table of how many raters chose each category (statsmodels' `fleiss_kappa` input).
    With the same number of raters on every unit this is exactly Fleiss' κ. With a varying number, each
    unit's agreement uses its own count and category shares are weighted by ratings (units with fewer than
    two ratings are dropped). NaN if no unit has two ratings or chance agreement is 1.
    """
    if counts:
        table = np.asarray(data, dtype=float)
        if table.ndim != 2 or (table < 0).any():
            raise Invalid("a counts table must be units × categories of non-negative counts")
    else:
        table = as_reliability(data).counts()
    m = table.sum(axis=1)
    keep = m >= 2
    if not keep.any():
        return float("nan")
    table, m = table[keep], m[keep]
    p_bar = float((((table * (table - 1)).sum(axis=1)) / (m * (m - 1))).mean())
    p_j = table.sum(axis=0) / m.sum()
    p_e = float((p_j**2).sum())
    if np.isclose(p_e, 1.0, rtol=0, atol=1e-15):
        return float("nan")
    return (p_bar - p_e) / (1.0 - p_e)


def _weight_matrix(k: int, weights: Weights) -> NDArray[np.float64]:
    idx = np.arange(k)
    dist: NDArray[np.float64] = np.abs(idx[:, None] - idx[None, :]).astype(float)
    if weights is None:
        nominal: NDArray[np.float64] = (dist > 0).astype(float)
        return nominal
    if weights == "linear":
        return dist
    if weights == "quadratic":
        return dist**2
    raise Invalid(f"weights must be None, 'linear' or 'quadratic', not {weights!r}")


def cohen_kappa(
    a: Sequence[Any],
    b: Sequence[Any],
    *,
    weights: Weights = None,
    categories: Sequence[Hashable] | None = None,
) -> float:
    """Cohen's κ between two raters who labelled the same units (`a[i]` and `b[i]` are unit i).

    Units where either answer is missing are dropped. `weights` "linear" or "quadratic" gives weighted κ
    for ordinal answers, with distances measured in positions of `categories` (default: the values seen,
    sorted) — as scikit-learn's `cohen_kappa_score`. NaN if no unit is rated by both, or if chance
    disagreement is 0 (both raters always gave the same single value). Raises `Invalid` if the two
    sequences differ in length.
    """
    if len(a) != len(b):
        raise Invalid(f"cohen_kappa needs one answer per unit from each rater; got {len(a)} and {len(b)}")
    rd = ReliabilityData.from_matrix([list(a), list(b)], value_order=categories)
    both = (rd.codes >= 0).all(axis=0)
    if not both.any():
        return float("nan")
    k = len(rd.values)
    ca, cb = rd.codes[0, both], rd.codes[1, both]
    observed = np.zeros((k, k))
    np.add.at(observed, (ca, cb), 1.0)
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    w = _weight_matrix(k, weights)
    denom = float((w * expected).sum())
    if denom <= 1e-15:
        return float("nan")
    return 1.0 - float((w * observed).sum()) / denom


def pairwise_cohen_kappa(data: Any, *, weights: Weights = None) -> dict[tuple[Hashable, Hashable], float]:
    """Cohen's κ for every pair of raters in a `ReliabilityData` (or raters × units matrix).

    Keys are `(rater_i, rater_j)` with i before j in `data.raters`; a pair that shares no unit maps to NaN.
    Use `np.nanmean(list(result.values()))` for the mean pairwise κ.
    """
    rd = as_reliability(data)
    out: dict[tuple[Hashable, Hashable], float] = {}
    vals = list(rd.values)
    for i in range(len(rd.raters)):
        for j in range(i + 1, len(rd.raters)):
            a = [vals[c] if c >= 0 else None for c in rd.codes[i]]
            b = [vals[c] if c >= 0 else None for c in rd.codes[j]]
            out[(rd.raters[i], rd.raters[j])] = cohen_kappa(a, b, weights=weights, categories=vals)
    return out
