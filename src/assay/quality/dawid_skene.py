"""Dawid–Skene (1979) label aggregation by EM: full confusion matrices, and the one-coin variant.

Both start from majority-vote posteriors (vote shares), alternate an M-step (class priors and worker
parameters from the current posteriors, with a small additive `smoothing` so that a worker who never used a
label keeps a non-zero probability for it) and an E-step (posteriors from priors and worker parameters, in
log space), and stop when the mean log-likelihood per label changes by less than `tol` or after `max_iter`
rounds (default 500). Gold items (`gold={item: label}`) are clamped to their label at every step, and a worker who labelled
gold items starts from parameters estimated on those items alone (others start from majority vote); both
anchor the worker estimates, so a crowd whose majority is wrong can still be read correctly. Results are `assay.quality.aggregation.AggregationResult`s; ties in the final posterior go to
the first class in `classes` order.

- `dawid_skene`: each worker has a classes × classes confusion matrix (row = true class). It learns
  adversarial or biased workers (e.g. one who always says "a") and turns their labels into evidence.
- `one_coin_dawid_skene`: each worker has one accuracy p; wrong labels are spread evenly over the other
  classes. Fewer parameters, so better for workers with few labels; a worker with p below chance counts
  as evidence against their label.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from assay.quality.aggregation import (
    AggregationResult,
    CrowdLabels,
    Triples,
    as_crowd_labels,
    build_result,
    clamp_gold,
)


class _Design:
    """Sparse matrices that turn per-observation arrays into per-item and per-(worker, label) sums."""

    def __init__(self, cl: CrowdLabels) -> None:
        n_obs = cl.item_idx.size
        k = len(cl.classes)
        ones = np.ones(n_obs)
        obs = np.arange(n_obs)
        self.item_sum = sp.csr_matrix((ones, (cl.item_idx, obs)), shape=(len(cl.items), n_obs))
        self.worker_label_sum = sp.csr_matrix(
            (ones, (cl.worker_idx * k + cl.label_idx, obs)), shape=(len(cl.workers) * k, n_obs)
        )
        self.worker_sum = sp.csr_matrix((ones, (cl.worker_idx, obs)), shape=(len(cl.workers), n_obs))


def _initial(
    cl: CrowdLabels, g_items: NDArray[np.int64], g_classes: NDArray[np.int64]
) -> NDArray[np.float64]:
    counts = cl.vote_counts()
    post = counts / counts.sum(axis=1, keepdims=True)
    clamp_gold(post, g_items, g_classes)
    posterior: NDArray[np.float64] = post
    return posterior


def _gold_observations(cl: CrowdLabels, g_items: NDArray[np.int64]) -> NDArray[np.float64]:
    """1.0 for observations on gold items, else 0.0."""
    is_gold = np.zeros(len(cl.items))
    is_gold[g_items] = 1.0
    return is_gold[cl.item_idx]


def _normalise_log(log_post: NDArray[np.float64]) -> tuple[NDArray[np.float64], float]:
    """Row-wise softmax of log posteriors, and the total log-likelihood (sum of row log-sum-exps)."""
    top = log_post.max(axis=1, keepdims=True)
    p = np.exp(log_post - top)
    s = p.sum(axis=1, keepdims=True)
    return p / s, float((np.log(s) + top).sum())


def _finish(
    cl: CrowdLabels,
    post: NDArray[np.float64],
    skill: NDArray[np.float64],
    confusion: NDArray[np.float64],
    priors: NDArray[np.float64],
    n_iter: int,
    converged: bool,
) -> AggregationResult:
    chosen = np.argmax(post, axis=1).astype(np.int64)
    return build_result(
        cl,
        post,
        chosen,
        {w: float(skill[k]) for k, w in enumerate(cl.workers)},
        confusion={w: confusion[k] for k, w in enumerate(cl.workers)},
        priors=priors,
        n_iter=n_iter,
        converged=converged,
    )


def dawid_skene(
    data: CrowdLabels | Triples,
    *,
    gold: Mapping[Hashable, Hashable] | None = None,
    classes: Sequence[Hashable] | None = None,
    max_iter: int = 500,
    tol: float = 1e-7,
    smoothing: float = 0.01,
) -> AggregationResult:
    """Full Dawid–Skene: per-worker confusion matrices, class priors and item posteriors by EM.

    `worker_skill[w]` is the worker's expected accuracy Σ_k prior_k · confusion_w[k, k]. With a single
    class every posterior is 1. `smoothing` is the pseudo-count added to every confusion cell and prior.
    """
    cl = as_crowd_labels(data, classes)
    k, n_w = len(cl.classes), len(cl.workers)
    g_items, g_classes = cl.gold_indices(gold)
    post = _initial(cl, g_items, g_classes)
    design = _Design(cl)
    prev = -np.inf
    converged = False
    n_iter = 0
    priors = np.full(k, 1.0 / k)
    confusion = np.tile(np.eye(k), (n_w, 1, 1))
    on_gold = _gold_observations(cl, g_items)
    for n_iter in range(1, max_iter + 1):
        # M-step: counts[w, l, t] = Σ over w's labels l of posterior(true = t)
        counts = np.asarray(design.worker_label_sum @ post[cl.item_idx]).reshape(n_w, k, k)
        if n_iter == 1 and g_items.size:  # workers who labelled gold items start from those alone
            from_gold = np.asarray(design.worker_label_sum @ (post[cl.item_idx] * on_gold[:, None]))
            has_gold = (design.worker_sum @ on_gold) > 0
            counts = np.where(has_gold[:, None, None], from_gold.reshape(n_w, k, k), counts)
        confusion = counts.transpose(0, 2, 1) + smoothing
        confusion /= confusion.sum(axis=2, keepdims=True)
        priors = post.sum(axis=0) + smoothing
        priors /= priors.sum()
        # E-step
        log_conf = np.log(confusion)
        per_obs = log_conf[cl.worker_idx, :, cl.label_idx]
        log_post = np.log(priors) + np.asarray(design.item_sum @ per_obs)
        post, loglik = _normalise_log(log_post)
        clamp_gold(post, g_items, g_classes)
        loglik /= max(cl.item_idx.size, 1)
        if abs(loglik - prev) < tol:
            converged = True
            break
        prev = loglik
    skill = np.einsum("k,wkk->w", priors, confusion)
    return _finish(cl, post, skill, confusion, priors, n_iter, converged)


def one_coin_dawid_skene(
    data: CrowdLabels | Triples,
    *,
    gold: Mapping[Hashable, Hashable] | None = None,
    classes: Sequence[Hashable] | None = None,
    max_iter: int = 500,
    tol: float = 1e-7,
    smoothing: float = 1.0,
) -> AggregationResult:
    """One-coin Dawid–Skene: one accuracy per worker, errors spread evenly over the other classes.

    `worker_skill[w]` is that accuracy; `confusion[w]` is the matrix it implies (p on the diagonal,
    (1 − p)/(K − 1) elsewhere). `smoothing` is a pseudo-count on both right and wrong answers; the default
    1.0 (a uniform Beta(2, 2) prior on p) stops EM from driving a worker seen on few shared items to
    p ≈ 0, which happens on sparse real data (Tulu 1: most records judged once) with tiny smoothing.
    """
    cl = as_crowd_labels(data, classes)
    k, n_w = len(cl.classes), len(cl.workers)
    g_items, g_classes = cl.gold_indices(gold)
    post = _initial(cl, g_items, g_classes)
    design = _Design(cl)
    n_labels = np.asarray(design.worker_sum.sum(axis=1)).ravel()
    onehot = np.zeros((cl.item_idx.size, k))
    onehot[np.arange(cl.item_idx.size), cl.label_idx] = 1.0
    prev = -np.inf
    converged = False
    n_iter = 0
    skill = np.ones(n_w)
    priors = np.full(k, 1.0 / k)
    on_gold = _gold_observations(cl, g_items)
    for n_iter in range(1, max_iter + 1):
        right = design.worker_sum @ post[cl.item_idx, cl.label_idx]
        skill = (right + smoothing) / (n_labels + 2 * smoothing)
        if n_iter == 1 and g_items.size:  # workers who labelled gold items start from those alone
            n_gold = design.worker_sum @ on_gold
            right_gold = design.worker_sum @ (post[cl.item_idx, cl.label_idx] * on_gold)
            from_gold = (right_gold + smoothing) / (n_gold + 2 * smoothing)
            skill = np.where(n_gold > 0, from_gold, skill)
        priors = post.sum(axis=0) + smoothing
        priors /= priors.sum()
        if k == 1:
            post = np.ones_like(post)
            converged = True
            break
        log_right = np.log(skill)
        log_wrong = np.log((1.0 - skill) / (k - 1))
        per_obs = log_wrong[cl.worker_idx, None] + onehot * (log_right - log_wrong)[cl.worker_idx, None]
        log_post = np.log(priors) + np.asarray(design.item_sum @ per_obs)
        post, loglik = _normalise_log(log_post)
        clamp_gold(post, g_items, g_classes)
        loglik /= max(cl.item_idx.size, 1)
        if abs(loglik - prev) < tol:
            converged = True
            break
        prev = loglik
    off = (1.0 - skill) / max(k - 1, 1)
    confusion = np.where(np.eye(k, dtype=bool)[None], skill[:, None, None], off[:, None, None])
    return _finish(cl, post, skill, confusion, priors, n_iter, converged)
