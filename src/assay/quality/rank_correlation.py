"""Kendall's τ-b between two people's rankings, and the mean pairwise τ across people sharing records.

A ranking answer (`{"order": [[i, ...], [j], ...]}`, tie groups best first) becomes a rank vector with
`ranks_from_order`: `ranks[i]` is the position of i's tie group (0 = best), tied completions share a rank.
τ-b (Kendall 1945) corrects for ties in either ranking, as `scipy.stats.kendalltau` (variant "b") does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from assay.errors import Invalid


def ranks_from_order(order: Sequence[Sequence[int] | int], n: int | None = None) -> list[float]:
    """Rank vector of a ranking answer: `ranks[i]` = index of the tie group holding completion i.

    `n` is the number of completions (default: the largest index + 1). Raises `Invalid` if an index is
    listed twice or one of 0..n-1 is missing.
    """
    groups = [list(g) if isinstance(g, Sequence) else [g] for g in order]
    flat = [int(i) for g in groups for i in g]
    size = n if n is not None else (max(flat) + 1 if flat else 0)
    if sorted(flat) != list(range(size)):
        raise Invalid(f"a ranking must place each of the {size} completions exactly once; got {order!r}")
    ranks = [0.0] * size
    for pos, g in enumerate(groups):
        for i in g:
            ranks[int(i)] = float(pos)
    return ranks


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's τ-b of two score (or rank) vectors over the same items; pairs with a NaN are dropped.

    Returns NaN when fewer than two items remain or when either vector is constant (all tied), where τ-b
    is 0/0. Raises `Invalid` if the lengths differ. O(n²) memory in the number of items: meant for
    rankings of a record's completions, not for millions of items.
    """
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise Invalid(f"kendall_tau_b needs two vectors of one length; got {a.shape} and {b.shape}")
    ok = ~(np.isnan(a) | np.isnan(b))
    a, b = a[ok], b[ok]
    if a.size < 2:
        return float("nan")
    iu = np.triu_indices(a.size, k=1)
    da = np.sign(np.subtract.outer(a, a)[iu])
    db = np.sign(np.subtract.outer(b, b)[iu])
    s = float((da * db).sum())
    na = float(np.count_nonzero(da))
    nb = float(np.count_nonzero(db))
    if na == 0 or nb == 0:
        return float("nan")
    return s / float(np.sqrt(na * nb))


@dataclass
class TauSummary:
    """Mean pairwise τ-b over every (record, pair of people who both ranked it).

    `mean` is NaN if no pair is defined. `n_pairs` counts defined (record, pair) comparisons and
    `n_undefined` those where τ was NaN (a person tied everything, or fewer than two items).
    `by_pair[(p, q)]` is the mean τ of people p and q over the records they share (p is the person who
    appeared first in the input).
    """

    mean: float
    n_pairs: int
    n_undefined: int
    by_pair: dict[tuple[Hashable, Hashable], float] = field(default_factory=dict)


def mean_pairwise_tau(rankings: Iterable[tuple[Hashable, Hashable, Sequence[float]]]) -> TauSummary:
    """Mean Kendall τ-b across people sharing records.

    `rankings` are `(record, person, rank_vector)` triples (use `ranks_from_order` for ranking answers);
    a person's later triple for the same record replaces an earlier one. Each record contributes one τ
    per pair of people who both ranked it; records ranked by one person contribute nothing.
    """
    by_record: dict[Hashable, dict[Hashable, Sequence[float]]] = defaultdict(dict)
    first_seen: dict[Hashable, int] = {}
    for record, person, ranks in rankings:
        first_seen.setdefault(person, len(first_seen))
        by_record[record][person] = ranks
    taus: list[float] = []
    undefined = 0
    per_pair: dict[tuple[Hashable, Hashable], list[float]] = defaultdict(list)
    for people in by_record.values():
        names = sorted(people, key=first_seen.__getitem__)
        for p, q in combinations(names, 2):
            t = kendall_tau_b(people[p], people[q])
            if np.isnan(t):
                undefined += 1
                continue
            taus.append(t)
            per_pair[(p, q)].append(t)
    mean = float(np.mean(taus)) if taus else float("nan")
    return TauSummary(
        mean=mean,
        n_pairs=len(taus),
        n_undefined=undefined,
        by_pair={k: float(np.mean(v)) for k, v in per_pair.items()},
    )
