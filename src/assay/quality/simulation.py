"""A simulated crowd with known truth, for testing aggregators and planning how many people judge a record.

Workers are of three kinds: reliable (accuracy drawn from `accuracy_range`), spammers (uniform random
labels) and adversarial (with probability `adversarial_error` they answer the class after the true one,
mod K: a systematic, learnable confusion). Each item gets
`per_item` distinct workers chosen uniformly at random. Everything is drawn from
`np.random.default_rng(seed)`, so one seed gives one crowd.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assay.errors import Invalid


@dataclass
class SimulatedCrowd:
    """`triples` are `(item, worker, label)` with items "i0"…, workers "w0"… and labels 0..K-1.

    `truth[item]` is the true label; `worker_accuracy[worker]` the probability the worker is right;
    `kind[worker]` is "reliable", "spammer" or "adversarial".
    """

    triples: list[tuple[str, str, int]]
    truth: dict[str, int]
    worker_accuracy: dict[str, float]
    kind: dict[str, str]


def simulate_crowd(
    *,
    n_items: int = 2000,
    n_workers: int = 30,
    per_item: int = 5,
    n_classes: int = 3,
    accuracy_range: tuple[float, float] = (0.55, 0.95),
    spammer_share: float = 0.15,
    adversarial_share: float = 0.1,
    adversarial_error: float = 0.8,
    class_weights: list[float] | None = None,
    seed: int = 0,
) -> SimulatedCrowd:
    """Draw a crowd; raises `Invalid` if `per_item` exceeds `n_workers` or there are fewer than 2 classes."""
    if per_item > n_workers or n_classes < 2 or per_item < 1:
        raise Invalid("need 1 <= per_item <= n_workers and n_classes >= 2")
    rng = np.random.default_rng(seed)
    weights = np.asarray(class_weights if class_weights else [1.0] * n_classes, dtype=float)
    truth = rng.choice(n_classes, size=n_items, p=weights / weights.sum())
    n_spam = round(spammer_share * n_workers)
    n_adv = round(adversarial_share * n_workers)
    kinds = ["spammer"] * n_spam + ["adversarial"] * n_adv + ["reliable"] * (n_workers - n_spam - n_adv)
    rng.shuffle(kinds)
    acc = np.empty(n_workers)
    for w, kind in enumerate(kinds):
        if kind == "reliable":
            acc[w] = rng.uniform(*accuracy_range)
        elif kind == "spammer":
            acc[w] = 1.0 / n_classes
        else:
            acc[w] = 1.0 - adversarial_error
    workers = np.argsort(rng.random((n_items, n_workers)), axis=1)[:, :per_item]
    right = rng.random((n_items, per_item)) < acc[workers]
    shift = rng.integers(1, n_classes, size=(n_items, per_item))
    is_adv = np.array([k == "adversarial" for k in kinds])[workers]
    shift = np.where(is_adv, 1, shift)  # adversaries err systematically: true class + 1 (mod K)
    labels = np.where(right, truth[:, None], (truth[:, None] + shift) % n_classes)
    triples = [
        (f"i{i}", f"w{workers[i, j]}", int(labels[i, j])) for i in range(n_items) for j in range(per_item)
    ]
    return SimulatedCrowd(
        triples=triples,
        truth={f"i{i}": int(t) for i, t in enumerate(truth)},
        worker_accuracy={f"w{w}": float(acc[w]) for w in range(n_workers)},
        kind={f"w{w}": k for w, k in enumerate(kinds)},
    )
