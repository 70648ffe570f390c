"""Per-completion signals other than preferences: flags, contradicted spans, ratings and code verdicts.

- Flags come from `labels` questions. A per-completion answer flags that completion; a record-level
  answer flags every completion of the record. Which labels count as flags: the exporter option
  `flag_labels` when given, else the question's option `flags` (a list of choices) when present, else
  every label.
- Contradicted spans come from `spans` questions: a span counts when its label is in `span_labels`
  (any span when that option is None).
- Ratings: the mean over annotators per completion and dimension; the overall score is the mean over
  dimensions of those means, each rescaled to 0..1 by the dimension's min and max.
- Verdicts: the strict-majority verdict per completion over code-review answers (none on a tie).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from assay.domain.annotations import AnnotationView
from assay.domain.answers import CodeReviewAnswer, LabelsAnswer, RatingAnswer, SpansAnswer
from assay.domain.majority import TiePolicy, majority_of
from assay.domain.questions import Question, QuestionKind


def _flag_set(q: Question, flag_labels: Collection[str] | None) -> set[str] | None:
    if flag_labels is not None:
        return set(flag_labels)
    if "flags" in q.options:
        return set(q.options["flags"])
    return None  # every label flags


def flag_counts(questions: list[Question], anns: list[AnnotationView], n_completions: int,
                flag_labels: Collection[str] | None = None,
                span_labels: Collection[str] | None = None) -> dict[int, int]:
    """Completion index → number of annotators who flagged it or marked a contradicted span in it."""
    flagged: dict[int, set[str]] = {}
    for q in questions:
        if q.kind is QuestionKind.labels:
            flags = _flag_set(q, flag_labels)
            for ann in anns:
                ans = ann.answer_as(LabelsAnswer, q.name)
                if ans is None:
                    continue
                if ans.per_completion is not None:
                    for key, labels in ans.per_completion.items():
                        if any(flags is None or lab in flags for lab in labels):
                            flagged.setdefault(key, set()).add(ann.annotator)
                elif any(flags is None or lab in flags for lab in ans.labels):
                    for i in range(n_completions):
                        flagged.setdefault(i, set()).add(ann.annotator)
        elif q.kind is QuestionKind.spans:
            for ann in anns:
                marked = ann.answer_as(SpansAnswer, q.name)
                if marked is None:
                    continue
                for s in marked.spans:
                    if span_labels is None or s.label in span_labels:
                        flagged.setdefault(s.completion, set()).add(ann.annotator)
    return {i: len(who) for i, who in flagged.items()}


@dataclass(frozen=True)
class Rating:
    """A completion's mean scores: per dimension (on its own scale) and overall (0..1)."""

    dimensions: dict[str, float]
    overall: float
    raters: int


def ratings(q: Question, anns: list[AnnotationView]) -> dict[int, Rating]:
    """Completion index → its mean rating over the annotators who scored it (see the module rules)."""
    dims = {d["name"]: (float(d.get("min", 1)), float(d.get("max", 5))) for d in q.options.get("dimensions", [])}
    per: dict[int, dict[str, list[float]]] = {}
    raters: dict[int, set[str]] = {}
    for ann in anns:
        ans = ann.answer_as(RatingAnswer, q.name)
        if ans is None:
            continue
        for key, scores in ans.scores.items():
            for dim, v in scores.items():
                if dim in dims:
                    per.setdefault(key, {}).setdefault(dim, []).append(float(v))
                    raters.setdefault(key, set()).add(ann.annotator)
    out: dict[int, Rating] = {}
    for i, by_dim in sorted(per.items()):
        means = {d: sum(vs) / len(vs) for d, vs in by_dim.items()}
        scaled = [(m - dims[d][0]) / (dims[d][1] - dims[d][0]) if dims[d][1] > dims[d][0] else 1.0
                  for d, m in means.items()]
        out[i] = Rating(dimensions=means, overall=sum(scaled) / len(scaled), raters=len(raters[i]))
    return out


def verdicts(q: Question, anns: list[AnnotationView]) -> dict[int, str]:
    """Completion index → strict-majority code-review verdict ('correct' | 'buggy' | 'fails_to_run').

    `assay.domain.majority` with `TiePolicy.exclude()`: a completion whose top verdicts tie has none.
    """
    votes: dict[int, Counter[str]] = {}
    for ann in anns:
        ans = ann.answer_as(CodeReviewAnswer, q.name)
        if ans is None:
            continue
        for key, v in ans.verdicts.items():
            votes.setdefault(key, Counter())[v] += 1
    out: dict[int, str] = {}
    for i, c in sorted(votes.items()):
        names = list(c)
        won = majority_of([c[v] for v in names], TiePolicy.exclude())
        if won >= 0:
            out[i] = names[won]
    return out
