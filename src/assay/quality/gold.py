"""Scoring annotators against gold answers, per annotator and per question.

Answers have the shapes of `assay.domain.questions`:

- pairwise: `{"choice": "a" | "b" | "tie", ...}` scores 1 when the choice matches gold, else 0 (strength
  is not scored);
- labels: `{"labels": [...]}` or `{"per_completion": {"<i>": [...]}}` scores by `label_metric`: "exact"
  (1 if the label sets are equal) or "jaccard" (|A ∩ B| / |A ∪ B|, 1 when both are empty); per-completion
  answers average the score over the completions either side labelled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from assay.domain.answers import Answer, LabelsAnswer, PairwiseAnswer
from assay.errors import Invalid

LabelMetric = Literal["exact", "jaccard"]
SCORED_KINDS = ("pairwise", "labels")


@dataclass
class GoldScore:
    """Mean score in [0, 1] of one annotator on one question over `n` gold items."""

    annotator: Hashable
    question: str
    n: int
    score: float


def _label_set(x: Any) -> frozenset[Hashable]:
    return frozenset(x or [])


def _set_score(a: frozenset[Hashable], b: frozenset[Hashable], metric: LabelMetric) -> float:
    if metric == "exact":
        return float(a == b)
    union = a | b
    return 1.0 if not union else len(a & b) / len(union)


def _pairwise(x: Mapping[str, Any] | Answer) -> PairwiseAnswer:
    typed = x if isinstance(x, PairwiseAnswer) else PairwiseAnswer.read(x)
    if typed is None:
        raise Invalid("pairwise answers and gold answers need a 'choice' of 'a', 'b' or 'tie'")
    return typed


def _labels(x: Mapping[str, Any] | Answer) -> LabelsAnswer:
    typed = x if isinstance(x, LabelsAnswer) else LabelsAnswer.read(x)
    if typed is None:
        raise Invalid("labels answers and gold answers need 'labels' (or 'per_completion')")
    return typed


def score_answer(
    kind: str,
    answer: Mapping[str, Any] | Answer,
    gold: Mapping[str, Any] | Answer,
    *,
    label_metric: LabelMetric = "jaccard",
) -> float:
    """Score one answer against the gold answer of the same question, in [0, 1].

    Answers are stored JSON objects or typed answers (`assay.domain.answers`). Raises `Invalid` for a
    kind other than pairwise or labels, or an answer that is not readable as that kind.
    """
    if kind == "pairwise":
        return float(_pairwise(answer).choice == _pairwise(gold).choice)
    if kind == "labels":
        if label_metric not in ("exact", "jaccard"):
            raise Invalid(f"label_metric must be 'exact' or 'jaccard', not {label_metric!r}")
        mine_a, ref_a = _labels(answer), _labels(gold)
        if mine_a.per_completion is not None or ref_a.per_completion is not None:
            mine = {k: _label_set(v) for k, v in (mine_a.per_completion or {}).items()}
            ref = {k: _label_set(v) for k, v in (ref_a.per_completion or {}).items()}
            keys = set(mine) | set(ref)
            if not keys:
                return 1.0
            scores = [
                _set_score(mine.get(k, frozenset()), ref.get(k, frozenset()), label_metric) for k in keys
            ]
            return sum(scores) / len(scores)
        return _set_score(_label_set(mine_a.labels), _label_set(ref_a.labels), label_metric)
    raise Invalid(f"gold scoring supports {', '.join(SCORED_KINDS)} questions, not {kind!r}")


def gold_scores(
    answers: Iterable[tuple[Hashable, Hashable, str, Mapping[str, Any]]],
    gold: Mapping[tuple[Hashable, str], Mapping[str, Any]],
    kinds: Mapping[str, str],
    *,
    label_metric: LabelMetric = "jaccard",
) -> list[GoldScore]:
    """Per annotator per question accuracy on gold items.

    `answers` are `(item, annotator, question, answer)`; `gold[(item, question)]` is the gold answer;
    `kinds[question]` is "pairwise" or "labels". Answers to items without gold, and to questions of other
    kinds (not in `kinds`, or e.g. "text"), are skipped. Returns one `GoldScore` per (annotator, question)
    with at least one gold item, in first-seen order.
    """
    totals: dict[tuple[Hashable, str], list[float]] = defaultdict(list)
    for item, annotator, question, answer in answers:
        kind = kinds.get(question)
        if kind not in SCORED_KINDS or (item, question) not in gold:
            continue
        totals[(annotator, question)].append(
            score_answer(kind, answer, gold[(item, question)], label_metric=label_metric)
        )
    return [GoldScore(a, q, len(v), sum(v) / len(v)) for (a, q), v in totals.items()]
