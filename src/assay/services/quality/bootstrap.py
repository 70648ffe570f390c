"""95 % confidence intervals for agreement figures: a percentile bootstrap over records.

`assay.quality` has point estimates only (α, κ, τ), so the interval is made here by resampling records
(clusters: every unit of a record — each completion of a rating, say — goes in or out together) with
replacement and recomputing the figure on each resample:

- with at most `EXACT_MAX_RECORDS` records the bootstrap is *exact*: every multiset of n records out of n is
  enumerated with its multinomial probability n! / (Π m_i! · nⁿ) (1716 multisets for 7 records), so the
  interval is a fixed number a test can recompute by brute force;
- with more records, `resamples` draws (default 1000) from a generator seeded with `seed` (so the dashboard
  shows the same interval on every load).

The interval is the (weighted) inverted-CDF percentile: the low end is the smallest resampled figure whose
cumulative probability reaches 2.5 %, the high end the smallest reaching 97.5 % (`numpy.quantile(...,
method="inverted_cdf")` for equal weights). Resamples where the figure is undefined (NaN: nothing pairable,
or no variation) are dropped and the rest reweighted; `Interval.dropped` says what share that was.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

EXACT_MAX_RECORDS = 7
RESAMPLES = 1000
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A figure with its 95 % bootstrap interval (None where undefined)."""

    value: float | None
    low: float | None
    high: float | None
    records: int        # records resampled (those with something to compare)
    method: str         # "exact" | "monte carlo" | "none"
    resamples: int      # multisets enumerated or draws made
    dropped: float      # share (probability) of resamples where the figure was undefined


def _finite(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def weighted_percentile(values: Sequence[float], weights: Sequence[float], q: float) -> float:
    """Smallest value whose cumulative (normalised) weight reaches q (inverted CDF)."""
    order = np.argsort(np.asarray(values, dtype=float), kind="stable")
    v = np.asarray(values, dtype=float)[order]
    w = np.asarray(weights, dtype=float)[order]
    cum = np.cumsum(w) / w.sum()
    i = int(np.searchsorted(cum, q - 1e-12, side="left"))
    return float(v[min(i, len(v) - 1)])


def _multisets(n: int) -> list[tuple[list[int], float]]:
    """Every multiset of n indices out of range(n), as (indices with repeats, probability)."""
    out = []
    total = float(n) ** n
    for combo in itertools.combinations_with_replacement(range(n), n):
        ways = math.factorial(n)
        for m in Counter(combo).values():
            ways //= math.factorial(m)
        out.append((list(combo), ways / total))
    return out


def bootstrap(n: int, stat: Callable[[Sequence[int]], float], *, resamples: int = RESAMPLES, seed: int = 0
              ) -> Interval:
    """The figure `stat(range(n))` with its 95 % interval over resamples of the n records (see the module
    docstring). `stat` gets record indices, with repeats, and returns a float (NaN when undefined)."""
    value = _finite(stat(list(range(n)))) if n else None
    if n < 2 or value is None:
        return Interval(value, None, None, n, "none", 0, 0.0)
    if n <= EXACT_MAX_RECORDS:
        draws, method = _multisets(n), "exact"
    else:
        rng = np.random.default_rng(seed)
        draws = [(sorted(rng.integers(0, n, size=n).tolist()), 1.0 / resamples) for _ in range(resamples)]
        method = "monte carlo"
    vals, ws, lost = [], [], 0.0
    for idx, w in draws:
        x = stat(idx)
        if math.isnan(x):
            lost += w
        else:
            vals.append(x)
            ws.append(w)
    if not vals:
        return Interval(value, None, None, n, method, len(draws), 1.0)
    lo = weighted_percentile(vals, ws, (1 - LEVEL) / 2)
    hi = weighted_percentile(vals, ws, 1 - (1 - LEVEL) / 2)
    return Interval(value, lo, hi, n, method, len(draws), lost / (lost + sum(ws)))
