"""Reliability data: who gave which value to which unit, the input of every agreement measure.

A `ReliabilityData` is a raters × units table of value codes (-1 = missing) plus the distinct values the
codes stand for, in their order (sorted, or the order the caller gave). Build it from

- a matrix (`ReliabilityData.from_matrix`): rows are raters, columns are units, `None` or NaN is missing;
- triples (`ReliabilityData.from_triples`): `(unit, rater, value)`, in any order, missing pairs simply absent.

Every function in `assay.quality.agreement` and `assay.quality.krippendorff` accepts either a
`ReliabilityData` or anything `from_matrix` accepts.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from assay.errors import Invalid

Duplicates = Literal["last", "first", "error"]


def is_missing(value: Any) -> bool:
    """True for `None` and float NaN (including numpy NaN), the two spellings of "no answer"."""
    if value is None:
        return True
    try:
        return isinstance(value, float | np.floating) and math.isnan(value)
    except TypeError:
        return False


def _normalise(value: Any) -> Hashable:
    """Numpy scalars become Python scalars so 1, 1.0 and np.int64(1) are one value."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, Hashable):
        raise Invalid(f"rating value {value!r} is not hashable; use numbers or strings")
    return value


def _value_index(present: Iterable[Hashable], value_order: Sequence[Hashable] | None) -> list[Hashable]:
    seen = set(present)
    if value_order is not None:
        order = [_normalise(v) for v in value_order]
        unknown = seen - set(order)
        if unknown:
            raise Invalid(
                f"values {sorted(map(repr, unknown))} are not in value_order; add them to value_order"
            )
        return order
    try:
        return sorted(seen)  # type: ignore[type-var]
    except TypeError:
        raise Invalid("values of mixed types cannot be ordered; pass value_order=[...] to fix an order")


@dataclass(frozen=True)
class ReliabilityData:
    """Raters × units codes (`-1` = missing), with `values[code]` the value each code stands for.

    `raters` and `units` name the rows and columns (their positions when built from a matrix).
    """

    codes: NDArray[np.int64]
    values: tuple[Hashable, ...]
    raters: tuple[Hashable, ...]
    units: tuple[Hashable, ...]

    @classmethod
    def from_matrix(cls, matrix: Any, *, value_order: Sequence[Hashable] | None = None) -> ReliabilityData:
        """Build from a raters × units matrix (list of lists or numpy array); `None`/NaN are missing.

        Raises `Invalid` if the rows have different lengths or values cannot be ordered.
        """
        if isinstance(matrix, ReliabilityData):
            return matrix
        if isinstance(matrix, np.ndarray):
            rows: list[list[Any]] = matrix.tolist() if matrix.ndim == 2 else [matrix.tolist()]
        else:
            rows = [list(r) for r in matrix]
        n_units = len(rows[0]) if rows else 0
        if any(len(r) != n_units for r in rows):
            raise Invalid("reliability matrix rows (raters) must all have one entry per unit; pad with None")
        cells = [[None if is_missing(v) else _normalise(v) for v in r] for r in rows]
        values = _value_index((v for r in cells for v in r if v is not None), value_order)
        index = {v: i for i, v in enumerate(values)}
        codes = np.array([[-1 if v is None else index[v] for v in r] for r in cells], dtype=np.int64).reshape(
            len(rows), n_units
        )
        return cls(codes, tuple(values), tuple(range(len(rows))), tuple(range(n_units)))

    @classmethod
    def from_triples(
        cls,
        triples: Iterable[tuple[Hashable, Hashable, Any]],
        *,
        value_order: Sequence[Hashable] | None = None,
        duplicates: Duplicates = "last",
    ) -> ReliabilityData:
        """Build from `(unit, rater, value)` triples; a missing value (`None`/NaN) is skipped.

        A rater who rated a unit twice keeps the last value (`duplicates="last"`), the first ("first"),
        or raises `Invalid` ("error"). Units and raters keep the order they first appear in.
        """
        cell: dict[tuple[Hashable, Hashable], Hashable] = {}
        units: dict[Hashable, int] = {}
        raters: dict[Hashable, int] = {}
        for unit, rater, value in triples:
            if is_missing(value):
                continue
            units.setdefault(unit, len(units))
            raters.setdefault(rater, len(raters))
            key = (unit, rater)
            if key in cell:
                if duplicates == "error":
                    raise Invalid(f"rater {rater!r} rated unit {unit!r} twice; keep one answer per rater")
                if duplicates == "first":
                    continue
            cell[key] = _normalise(value)
        values = _value_index(cell.values(), value_order)
        index = {v: i for i, v in enumerate(values)}
        codes = np.full((len(raters), len(units)), -1, dtype=np.int64)
        for (unit, rater), value in cell.items():
            codes[raters[rater], units[unit]] = index[value]
        return cls(codes, tuple(values), tuple(raters), tuple(units))

    def counts(self) -> NDArray[np.float64]:
        """Units × values table: how many raters gave each value to each unit."""
        n_units, n_values = self.codes.shape[1], len(self.values)
        out = np.zeros((n_units, n_values))
        r, u = np.nonzero(self.codes >= 0)
        np.add.at(out, (u, self.codes[r, u]), 1.0)
        return out

    def numeric_values(self) -> NDArray[np.float64]:
        """The values as floats; raises `Invalid` if any is not a number (interval/ratio need numbers)."""
        try:
            return np.array([float(v) for v in self.values])  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise Invalid("interval and ratio levels need numeric values; use nominal or ordinal for labels")


def as_reliability(data: Any, value_order: Sequence[Hashable] | None = None) -> ReliabilityData:
    """Accept a `ReliabilityData` as is, or build one from a raters × units matrix."""
    if isinstance(data, ReliabilityData):
        return data
    return ReliabilityData.from_matrix(data, value_order=value_order)
