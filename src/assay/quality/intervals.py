"""95 % percentile-bootstrap intervals for agreement figures, resampling records (clusters of units).

The agreement measures (`krippendorff_alpha`, `fleiss_kappa`, `mean_pairwise_tau`) give point estimates
only. An interval comes from resampling records with replacement — every unit of a record (each completion
of a rating, say) goes in or out together — and recomputing the figure on each resample:

- with at most `EXACT_MAX_RECORDS` records the bootstrap is *exact*: every multiset of n records out of n
  is enumerated with its multinomial probability n! / (Π m_i! · nⁿ) (1716 multisets for 7 records), so the
  interval is a fixed number a test can recompute by brute force over all nⁿ ordered resamples;
- with more records, `resamples` draws (default 1000) of the record multiplicities from a generator seeded
  with `seed` (so a page shows the same interval on every load).

A resample is described by its multiplicities (how often each record was drawn), and the figures here are
computed from them directly (a record drawn twice counts its units twice) — exactly the figure of the
resampled data, without building it: `AlphaByRecord`, `FleissByRecord`, `RatioByRecord`.

The interval is the (weighted) inverted-CDF percentile: the low end is the smallest resampled figure whose
cumulative probability reaches 2.5 %, the high end the smallest reaching 97.5 % (`numpy.quantile(...,
method="inverted_cdf")` for equal weights). Resamples where the figure is undefined (NaN: nothing pairable,
or no variation) are dropped and the rest reweighted; `Interval.dropped` says what share that was.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from assay.quality.krippendorff import Level, distance_matrix
from assay.quality.reliability import ReliabilityData

EXACT_MAX_RECORDS = 7
RESAMPLES = 1000
LEVEL = 0.95
PER_RECORD_MAX_CELLS = 4_000_000
"""Above records × values² cells, `AlphaByRecord` weights units per resample instead of summing per record."""

Weights = NDArray[np.float64]
"""How often each record is in a resample (length = records; sums to the number of records)."""


@dataclass(frozen=True)
class Interval:
    """A figure with its 95 % bootstrap interval (None where undefined)."""

    value: float | None
    low: float | None
    high: float | None
    records: int        # records resampled
    method: str         # "exact" | "monte carlo" | "none" (fewer than two records, or no figure)
    resamples: int      # multisets enumerated or draws made
    dropped: float      # share (probability) of resamples where the figure was undefined


def weighted_percentile(values: Sequence[float], weights: Sequence[float], q: float) -> float:
    """The smallest value whose cumulative (normalised) weight reaches q (inverted CDF)."""
    v = np.asarray(values, dtype=float)
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(np.asarray(weights, dtype=float)[order])
    cum /= cum[-1]
    i = int(np.searchsorted(cum, q - 1e-12, side="left"))
    return float(v[order][min(i, len(v) - 1)])


def _multisets(n: int) -> list[tuple[Weights, float]]:
    """Every multiset of n records out of n, as (multiplicities, probability)."""
    out = []
    total = float(n) ** n
    for combo in itertools.combinations_with_replacement(range(n), n):
        m = np.bincount(np.array(combo), minlength=n).astype(float)
        ways = math.factorial(n)
        for k in m:
            ways //= math.factorial(int(k))
        out.append((m, ways / total))
    return out


@functools.lru_cache(maxsize=4)
def _draws(n: int, resamples: int, seed: int) -> NDArray[np.float64]:
    """`resamples` × n record multiplicities drawn with replacement (cached: α and κ of one question part
    resample the same records)."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n, size=(resamples, n)) + (np.arange(resamples) * n)[:, None]
    counts = np.bincount(picks.ravel(), minlength=resamples * n).reshape(resamples, n).astype(float)
    counts.flags.writeable = False
    return counts


def bootstrap(n: int, stat: Callable[[Weights], float], *, resamples: int = RESAMPLES, seed: int = 0) -> Interval:
    """The figure `stat(ones)` with its 95 % interval over resamples of the n records (see the module
    docstring). `stat` gets the records' multiplicities and returns a float (NaN when undefined)."""
    x0 = stat(np.ones(n)) if n else float("nan")
    value = None if math.isnan(x0) else float(x0)
    if n < 2 or value is None:
        return Interval(value, None, None, n, "none", 0, 0.0)
    if n <= EXACT_MAX_RECORDS:
        draws, method = _multisets(n), "exact"
    else:
        draws, method = [(m, 1.0 / resamples) for m in _draws(n, resamples, seed)], "monte carlo"
    vals, ws, lost = [], [], 0.0
    for m, w in draws:
        x = stat(m)
        if math.isnan(x):
            lost += w
        else:
            vals.append(x)
            ws.append(w)
    if not vals:
        return Interval(value, None, None, n, method, len(draws), 1.0)
    low = weighted_percentile(vals, ws, (1 - LEVEL) / 2)
    high = weighted_percentile(vals, ws, 1 - (1 - LEVEL) / 2)
    return Interval(value, low, high, n, method, len(draws), lost / (lost + sum(ws)))


def record_index(units: Sequence[Hashable]) -> tuple[NDArray[np.int64], int]:
    """(record position of each unit, number of records): a unit is a record id or (record id, part)."""
    seen: dict[Hashable, int] = {}
    idx = [seen.setdefault(u[0] if isinstance(u, tuple) else u, len(seen)) for u in units]
    return np.array(idx, dtype=np.int64), len(seen)


def _by_record(records: NDArray[np.int64], rows: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    """Sum `rows` (units × k) per record: records × k."""
    out = np.zeros((n, rows.shape[1]))
    np.add.at(out, records, rows)
    return out


class AlphaByRecord:
    """Krippendorff's α (as `krippendorff_alpha`) of `data` with each unit weighted by its record's
    multiplicity: `AlphaByRecord(rd, records, level)(m)`. Units with fewer than two values pair with nothing
    and are left out. Each record's coincidences are summed once, so a resample costs records × values²."""

    def __init__(self, data: ReliabilityData, records: NDArray[np.int64], level: Level) -> None:
        counts = data.counts()
        m = counts.sum(axis=1)
        keep = m >= 2
        counts, scaled = counts[keep], counts[keep] / (m[keep] - 1)[:, None]
        k = len(data.values)
        self.data, self.level, self.k = data, level, k
        n = int(records.max()) + 1 if len(records) else 0
        self.coincidences: NDArray[np.float64] | None = None
        if n * k * k <= PER_RECORD_MAX_CELLS:
            per_unit = counts[:, :, None] * scaled[:, None, :]
            per_unit[:, np.arange(k), np.arange(k)] -= scaled
            self.coincidences = _by_record(records[keep], per_unit.reshape(len(counts), k * k), n)
        self.counts, self.scaled, self.records = counts, scaled, records[keep]

    def __call__(self, weights: Weights) -> float:
        if self.coincidences is not None:
            o = (weights @ self.coincidences).reshape(self.k, self.k)
        else:  # many records × many values: weight the units instead (no records × values² table)
            w = weights[self.records]
            o = self.counts.T @ (self.scaled * w[:, None]) - np.diag(w @ self.scaled)
        n_c = o.sum(axis=1)
        n = float(n_c.sum())
        if not self.data.values or n <= 1.0:
            return float("nan")
        delta = distance_matrix(self.level, self.data, n_c)
        d_o = float((o * delta).sum())
        d_e = float((np.outer(n_c, n_c) * delta).sum()) / (n - 1.0)
        if d_e <= 1e-12 * max(1.0, n):
            return float("nan")
        return 1.0 - d_o / d_e


class FleissByRecord:
    """Fleiss' κ (as `fleiss_kappa`) of `data` with each unit weighted by its record's multiplicity (per
    record: the units' agreement summed, how many units, their category counts and ratings summed)."""

    def __init__(self, data: ReliabilityData, records: NDArray[np.int64]) -> None:
        counts = data.counts()
        m = counts.sum(axis=1)
        keep = m >= 2
        counts, m = counts[keep], m[keep]
        agree = (counts * (counts - 1)).sum(axis=1) / (m * (m - 1))
        n = int(records.max()) + 1 if len(records) else 0
        table = _by_record(records[keep], np.column_stack([agree, np.ones(len(m)), m, counts]), n)
        self.agree, self.units, self.ratings, self.counts = table[:, 0], table[:, 1], table[:, 2], table[:, 3:]

    def __call__(self, weights: Weights) -> float:
        units = float(weights @ self.units)
        if not units:
            return float("nan")
        p_bar = float(weights @ self.agree) / units
        p_e = float((((weights @ self.counts) / float(weights @ self.ratings)) ** 2).sum())
        if abs(p_e - 1.0) <= 1e-15:
            return float("nan")
        return (p_bar - p_e) / (1.0 - p_e)


class RatioByRecord:
    """Σ wᵣ·totalᵣ / Σ wᵣ·countᵣ: a mean over items grouped by record (e.g. the mean pairwise τ, with each
    record's sum of defined τ and how many there are)."""

    def __init__(self, totals: Sequence[float], counts: Sequence[float]) -> None:
        self.totals, self.counts = np.asarray(totals, dtype=float), np.asarray(counts, dtype=float)

    def __call__(self, weights: Weights) -> float:
        k = float(weights @ self.counts)
        return float(weights @ self.totals) / k if k else float("nan")
