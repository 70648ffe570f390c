"""Turning several people's labels for an item into one label: the shared input and result, and majority vote.

Input everywhere is `(item, worker, label)` triples (labels are any hashable: "a"/"b"/"tie", 0/1/2, a
category name). `CrowdLabels.from_triples` encodes them once; every aggregator accepts triples or a
`CrowdLabels`. Dawid–Skene lives in `assay.quality.dawid_skene` and returns the same `AggregationResult`.

Gold answers: pass `gold={item: true_label}`. Items with a gold answer take it, with confidence 1, and
(for Dawid–Skene) are clamped to it during EM so they anchor the workers' skill estimates. Gold items that
nobody labelled are ignored.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from assay.domain.majority import TiePolicy, majority_choices
from assay.errors import Invalid

TieRule = Literal["random", "first", "none"]
Triples = Iterable[tuple[Hashable, Hashable, Hashable]]


@dataclass(frozen=True)
class CrowdLabels:
    """Labels encoded as parallel integer arrays, one entry per observation.

    `item_idx[o]`, `worker_idx[o]`, `label_idx[o]` index into `items`, `workers`, `classes`.
    """

    items: tuple[Hashable, ...]
    workers: tuple[Hashable, ...]
    classes: tuple[Hashable, ...]
    item_idx: NDArray[np.int64]
    worker_idx: NDArray[np.int64]
    label_idx: NDArray[np.int64]

    @classmethod
    def from_triples(
        cls,
        triples: Triples,
        *,
        classes: Sequence[Hashable] | None = None,
        keep_repeats: bool = False,
    ) -> CrowdLabels:
        """Encode `(item, worker, label)` triples; `None` labels are skipped.

        `classes` fixes the label set and its order (it may include labels nobody chose); by default the
        labels seen, sorted (first-seen order if they cannot be sorted). A worker who labelled an item
        twice counts once with the last label, unless `keep_repeats=True`. Raises `Invalid` for a label
        outside `classes`.
        """
        last: dict[tuple[Hashable, Hashable], Hashable] = {}
        rows: list[tuple[Hashable, Hashable, Hashable]] = []
        for item, worker, label in triples:
            if label is None:
                continue
            if keep_repeats:
                rows.append((item, worker, label))
            else:
                last.pop((item, worker), None)
                last[(item, worker)] = label
        if not keep_repeats:
            rows = [(i, w, lab) for (i, w), lab in last.items()]
        if classes is None:
            seen = list(dict.fromkeys(lab for _, _, lab in rows))
            try:
                classes = sorted(seen)  # type: ignore[type-var]
            except TypeError:
                classes = seen
        cls_index = {c: k for k, c in enumerate(classes)}
        unknown = {lab for _, _, lab in rows if lab not in cls_index}
        if unknown:
            raise Invalid(f"labels {sorted(map(repr, unknown))} are not in classes; add them to classes")
        items: dict[Hashable, int] = {}
        workers: dict[Hashable, int] = {}
        ii = np.fromiter((items.setdefault(i, len(items)) for i, _, _ in rows), np.int64, len(rows))
        ww = np.fromiter((workers.setdefault(w, len(workers)) for _, w, _ in rows), np.int64, len(rows))
        ll = np.fromiter((cls_index[lab] for _, _, lab in rows), np.int64, len(rows))
        return cls(tuple(items), tuple(workers), tuple(classes), ii, ww, ll)

    def vote_counts(self) -> NDArray[np.float64]:
        """Items × classes table of how many workers chose each class."""
        out = np.zeros((len(self.items), len(self.classes)))
        np.add.at(out, (self.item_idx, self.label_idx), 1.0)
        return out

    def gold_indices(
        self, gold: Mapping[Hashable, Hashable] | None
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(item positions, class positions) of the gold answers for items present in the data."""
        if not gold:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        pos = {it: k for k, it in enumerate(self.items)}
        cls_index = {c: k for k, c in enumerate(self.classes)}
        bad = {v for v in gold.values() if v not in cls_index}
        if bad:
            raise Invalid(
                f"gold labels {sorted(map(repr, bad))} are not among the classes {list(self.classes)}"
            )
        pairs = [(pos[it], cls_index[lab]) for it, lab in gold.items() if it in pos]
        if not pairs:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        a = np.array(pairs, dtype=np.int64)
        return a[:, 0], a[:, 1]


def as_crowd_labels(data: CrowdLabels | Triples, classes: Sequence[Hashable] | None = None) -> CrowdLabels:
    """Accept a `CrowdLabels` as is, or encode triples."""
    if isinstance(data, CrowdLabels):
        return data
    return CrowdLabels.from_triples(data, classes=classes)


@dataclass
class AggregationResult:
    """One label per item with its confidence, and what was learnt about each worker.

    - `labels[item]`: the chosen label (`None` only for majority-vote ties with `tie="none"`);
    - `confidence[item]`: the posterior probability of that label (vote share for majority vote);
    - `posteriors`: items × classes array, rows in `items` order, columns in `classes` order, rows sum to 1;
    - `worker_skill[worker]`: estimated probability the worker labels an item correctly;
    - `confusion[worker]`: classes × classes array, row = true class, column = given label, rows sum to 1
      (full Dawid–Skene; one-coin gives the implied matrix; empty for majority vote);
    - `priors`: estimated class frequencies; `n_iter`, `converged`: EM bookkeeping (0/True for voting).
    """

    items: tuple[Hashable, ...]
    classes: tuple[Hashable, ...]
    labels: dict[Hashable, Hashable | None]
    confidence: dict[Hashable, float]
    posteriors: NDArray[np.float64]
    worker_skill: dict[Hashable, float]
    confusion: dict[Hashable, NDArray[np.float64]] = field(default_factory=dict)
    priors: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    n_iter: int = 0
    converged: bool = True


def clamp_gold(
    posteriors: NDArray[np.float64], gold_items: NDArray[np.int64], gold_classes: NDArray[np.int64]
) -> None:
    """Set the rows of gold items to one-hot on their gold class, in place."""
    if gold_items.size:
        posteriors[gold_items] = 0.0
        posteriors[gold_items, gold_classes] = 1.0


def agreement_with(data: CrowdLabels, chosen: NDArray[np.int64]) -> dict[Hashable, float]:
    """Share of each worker's labels equal to `chosen[item]` (-1 never matches)."""
    hit = (chosen[data.item_idx] == data.label_idx).astype(float)
    n = np.bincount(data.worker_idx, minlength=len(data.workers)).astype(float)
    h = np.bincount(data.worker_idx, weights=hit, minlength=len(data.workers))
    return {w: float(h[k] / n[k]) if n[k] else float("nan") for k, w in enumerate(data.workers)}


def build_result(
    data: CrowdLabels,
    posteriors: NDArray[np.float64],
    chosen: NDArray[np.int64],
    skill: dict[Hashable, float],
    **extra: object,
) -> AggregationResult:
    """Package per-item choices (-1 = no label) and posteriors into an `AggregationResult`."""
    labels: dict[Hashable, Hashable | None] = {}
    confidence: dict[Hashable, float] = {}
    for k, item in enumerate(data.items):
        c = int(chosen[k])
        labels[item] = data.classes[c] if c >= 0 else None
        confidence[item] = float(posteriors[k, c]) if c >= 0 else float(posteriors[k].max(initial=0.0))
    return AggregationResult(data.items, data.classes, labels, confidence, posteriors, skill, **extra)  # type: ignore[arg-type]


def majority_vote(
    data: CrowdLabels | Triples,
    *,
    tie: TieRule = "random",
    seed: int = 0,
    gold: Mapping[Hashable, Hashable] | None = None,
    classes: Sequence[Hashable] | None = None,
) -> AggregationResult:
    """The most frequent label per item; confidence is its share of the votes.

    The vote is `assay.domain.majority.majority_choices` (the one definition of majority). Ties between
    the top labels: `tie="random"` (`TiePolicy.random(seed)`) picks one uniformly with
    `np.random.default_rng(seed)` (reproducible, and free of any bias towards the first class, e.g. always
    "a"); `"first"` (`TiePolicy.first()`) picks the first in `classes` order; `"none"`
    (`TiePolicy.exclude()`) leaves the label `None` (confidence is then the tied share).
    Gold items take their gold label with confidence 1. `worker_skill` is each worker's agreement with
    the chosen labels (including their own vote, so it flatters small crowds).
    """
    policies = {"random": TiePolicy.random(seed), "first": TiePolicy.first(), "none": TiePolicy.exclude()}
    if tie not in policies:
        raise Invalid(f"tie must be 'random', 'first' or 'none', not {tie!r}")
    cl = as_crowd_labels(data, classes)
    counts = cl.vote_counts()
    post = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    chosen = majority_choices(counts, policies[tie])
    g_items, g_classes = cl.gold_indices(gold)
    clamp_gold(post, g_items, g_classes)
    chosen[g_items] = g_classes
    return build_result(cl, post, chosen, agreement_with(cl, chosen), priors=post.mean(axis=0))
