"""Majority (plurality) vote: the one definition, with what happens on a tie as an explicit policy.

`majority_choices(counts, policy)` takes an items × classes table of vote counts and returns, per item,
the index of the class with the most votes, or -1 when the item has none. When several classes share
the top count, the policy decides:

- `TiePolicy.exclude()`: no winner (-1).
- `TiePolicy.first()`: the first of the tied classes in column order.
- `TiePolicy.random(seed)`: one of the tied classes uniformly at random, reproducibly: one
  `numpy.random.default_rng(seed)` serves the whole call and draws one key per class for each tied item,
  in item order; the tied class with the largest key wins.
- `TiePolicy.tie_label(k)`: when column `k` (the class that means "no preference", e.g. a tie vote) is
  among the tied classes, it wins; otherwise no winner (-1). An item whose top class is `k` alone also
  gets `k`, as with any policy.

An item with no votes has every class at the top count 0: its outcome follows the policy too.
`majority_of(counts, policy)` is the same for one item.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


class TieRule(str, enum.Enum):
    exclude = "exclude"
    first = "first"
    random = "random"
    tie_label = "tie_label"


@dataclass(frozen=True)
class TiePolicy:
    """What a majority vote does when classes share the top count (see the module docstring)."""

    rule: TieRule
    seed: int = 0
    label: int = -1  # the tie class's column, for TieRule.tie_label

    @classmethod
    def exclude(cls) -> TiePolicy:
        return cls(TieRule.exclude)

    @classmethod
    def first(cls) -> TiePolicy:
        return cls(TieRule.first)

    @classmethod
    def random(cls, seed: int = 0) -> TiePolicy:
        return cls(TieRule.random, seed=seed)

    @classmethod
    def tie_label(cls, column: int) -> TiePolicy:
        return cls(TieRule.tie_label, label=column)


def majority_choices(counts: ArrayLike, policy: TiePolicy) -> NDArray[np.int64]:
    """Per row of `counts` (items × classes), the winning column or -1 (see the module docstring).

    Raises ValueError when `counts` is not two-dimensional or a tie_label column is out of range.
    """
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2:
        raise ValueError(f"counts must be items × classes, not of shape {table.shape}")
    if table.shape[0] == 0 or table.shape[1] == 0:
        return np.full(table.shape[0], -1, dtype=np.int64)
    top = table == table.max(axis=1, keepdims=True)
    chosen: NDArray[np.int64] = np.argmax(top, axis=1).astype(np.int64)  # the first top class
    tied = np.flatnonzero(top.sum(axis=1) > 1)
    if not tied.size:
        return chosen
    if policy.rule is TieRule.random:
        keys = np.random.default_rng(policy.seed).random((tied.size, table.shape[1]))
        chosen[tied] = np.argmax(np.where(top[tied], keys, -1.0), axis=1)
    elif policy.rule is TieRule.exclude:
        chosen[tied] = -1
    elif policy.rule is TieRule.tie_label:
        if not 0 <= policy.label < table.shape[1]:
            raise ValueError(f"tie label column {policy.label} is outside 0..{table.shape[1] - 1}")
        chosen[tied] = np.where(top[tied, policy.label], policy.label, -1)
    return chosen


def majority_of(counts: Sequence[float], policy: TiePolicy) -> int:
    """The winning index of one item's vote counts, or -1 (see `majority_choices`)."""
    return int(majority_choices([list(counts)], policy)[0])
