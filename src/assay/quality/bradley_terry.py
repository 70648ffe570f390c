"""Bradley–Terry scores of models from pairwise outcomes or rankings, with bootstrap confidence intervals.

Model: P(i beats j) = p_i / (p_i + p_j), score_i = log p_i. Fitted by Newton's method (the objective is
strictly concave) to the maximum of the likelihood plus a small regulariser: every model also plays `prior` wins and `prior`
losses against a virtual opponent of strength 1. That keeps an undefeated (or winless) model's score
finite and makes the fit unique even when the comparison graph is not connected. A tie counts as half a
win for each side. Scores are reported centred (mean 0); differences are log-odds, so
`400 / ln(10) * score` gives an Elo-like scale.

Confidence intervals: percentile bootstrap over comparisons (resampled with replacement, seeded); with
rankings the expanded pairs are resampled, which treats pairs from one ranking as independent and so
gives somewhat narrow intervals.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from numpy.typing import NDArray

from assay.errors import Invalid

_OUTCOMES = {"a": 1.0, "b": 0.0, "tie": 0.5}


@dataclass
class BradleyTerryResult:
    """Scores per model (log-strength, mean 0) and percentile-bootstrap bounds (NaN without bootstrap)."""

    models: tuple[Hashable, ...]
    scores: dict[Hashable, float]
    ci_low: dict[Hashable, float]
    ci_high: dict[Hashable, float]
    n_comparisons: int
    level: float

    def win_probability(self, a: Hashable, b: Hashable) -> float:
        """Estimated probability that model `a` beats model `b`."""
        return 1.0 / (1.0 + math.exp(self.scores[b] - self.scores[a]))

    def ranking(self) -> list[Hashable]:
        """Models, best first."""
        return sorted(self.models, key=lambda m: -self.scores[m])


def comparisons_from_rankings(
    rankings: Iterable[Sequence[Sequence[Hashable] | Hashable]],
) -> list[tuple[Hashable, Hashable, float]]:
    """Expand rankings (tie groups, best first: `[["m1"], ["m2", "m3"]]`) into `(a, b, outcome)` pairs.

    Every pair of models in one ranking gives one comparison: 1.0 when a is in a better group, 0.5 when
    they share a group. A bare model name may stand for a group of one.
    """
    out: list[tuple[Hashable, Hashable, float]] = []
    for ranking in rankings:
        placed = [
            (m, pos)
            for pos, group in enumerate(ranking)
            for m in (group if isinstance(group, list | tuple) else [group])
        ]
        for (a, pa), (b, pb) in combinations(placed, 2):
            if pa == pb:
                out.append((a, b, 0.5))
            else:
                out.append((a, b, 1.0) if pa < pb else (b, a, 1.0))
    return out


def _encode(
    comparisons: Iterable[tuple[Hashable, Hashable, float | str]],
) -> tuple[tuple[Hashable, ...], NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    models: dict[Hashable, int] = {}
    ia: list[int] = []
    ib: list[int] = []
    out: list[float] = []
    for a, b, outcome in comparisons:
        if isinstance(outcome, str):
            if outcome not in _OUTCOMES:
                raise Invalid(f"outcome {outcome!r} must be 'a', 'b', 'tie' or a number in [0, 1]")
            value = _OUTCOMES[outcome]
        else:
            value = float(outcome)
            if not 0.0 <= value <= 1.0:
                raise Invalid(f"outcome {outcome!r} must be between 0 (b won) and 1 (a won)")
        if a == b:
            raise Invalid(f"a model cannot be compared with itself ({a!r})")
        ia.append(models.setdefault(a, len(models)))
        ib.append(models.setdefault(b, len(models)))
        out.append(value)
    return tuple(models), np.array(ia, np.int64), np.array(ib, np.int64), np.array(out)


def _objective(
    s: NDArray[np.float64], wins: NDArray[np.float64], games: NDArray[np.float64], prior: float
) -> float:
    """Penalised log-likelihood (to maximise) of log-strengths `s`."""
    d = s[:, None] - s[None, :]
    ll = -(wins * np.logaddexp(0.0, -d)).sum()
    return float(ll - prior * (np.logaddexp(0.0, -s) + np.logaddexp(0.0, s)).sum())


def _fit(
    n: int,
    ia: NDArray[np.int64],
    ib: NDArray[np.int64],
    out: NDArray[np.float64],
    prior: float,
    start: NDArray[np.float64] | None,
    max_iter: int,
    tol: float,
) -> NDArray[np.float64]:
    """Newton's method with step halving on the (strictly concave) penalised log-likelihood.

    Returns log-strengths, not centred. `wins[i, j]` is i's share of wins over j, `games` the pair counts.
    """
    flat_ab, flat_ba = ia * n + ib, ib * n + ia
    wins = (
        (
            np.bincount(flat_ab, weights=out, minlength=n * n)
            + np.bincount(flat_ba, weights=1.0 - out, minlength=n * n)
        )
        .reshape(n, n)
        .astype(np.float64)
    )
    games = wins + wins.T
    s = start.copy() if start is not None else np.zeros(n)
    value = _objective(s, wins, games, prior)
    for _ in range(max_iter):
        sig = 1.0 / (1.0 + np.exp(-(s[:, None] - s[None, :])))
        sig_s = 1.0 / (1.0 + np.exp(-s))
        grad = (wins - games * sig).sum(axis=1) + prior * (1.0 - 2.0 * sig_s)
        curv = games * sig * (1.0 - sig)
        hess = curv - np.diag(curv.sum(axis=1) + 2.0 * prior * sig_s * (1.0 - sig_s))
        step = np.linalg.solve(hess, -grad)
        t = 1.0
        while True:
            trial = s + t * step
            trial_value = _objective(trial, wins, games, prior)
            if trial_value >= value - 1e-12 or t < 1e-8:
                break
            t /= 2.0
        s, value = trial, trial_value
        if np.max(np.abs(t * step)) < tol:
            break
    return s


def bradley_terry(
    comparisons: Iterable[tuple[Hashable, Hashable, float | str]],
    *,
    prior: float = 0.1,
    n_bootstrap: int = 200,
    level: float = 0.95,
    seed: int = 0,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> BradleyTerryResult:
    """Fit Bradley–Terry scores to `(a, b, outcome)` comparisons.

    `outcome` is 1 (a won), 0 (b won), 0.5 (tie), any share in between, or the pairwise choice "a", "b",
    "tie". `prior` (> 0) is the number of virtual wins and losses per model against a strength-1 opponent.
    `n_bootstrap=0` skips the intervals (they are then NaN). Raises `Invalid` for a bad outcome, a model
    compared with itself, `prior <= 0`, or no comparisons at all.
    """
    if prior <= 0:
        raise Invalid("prior must be positive so that every score stays finite; try 0.1")
    models, ia, ib, out = _encode(comparisons)
    if not models:
        raise Invalid("bradley_terry needs at least one comparison")
    n = len(models)
    est = _fit(n, ia, ib, out, prior, None, max_iter, tol)
    centred = est - est.mean()
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    if n_bootstrap > 0:
        rng = np.random.default_rng(seed)
        samples = np.empty((n_bootstrap, n))
        m = out.size
        for s in range(n_bootstrap):
            pick = rng.integers(0, m, size=m)
            b = _fit(n, ia[pick], ib[pick], out[pick], prior, est, max_iter, tol * 1e4)
            samples[s] = b - b.mean()
        tail = (1.0 - level) / 2.0 * 100.0
        low, high = np.percentile(samples, [tail, 100.0 - tail], axis=0)
    return BradleyTerryResult(
        models=models,
        scores={mdl: float(centred[k]) for k, mdl in enumerate(models)},
        ci_low={mdl: float(low[k]) for k, mdl in enumerate(models)},
        ci_high={mdl: float(high[k]) for k, mdl in enumerate(models)},
        n_comparisons=int(out.size),
        level=level,
    )
