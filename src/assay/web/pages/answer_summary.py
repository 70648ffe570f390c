"""Answers as short sentences a person reads at a glance: "A is clearly better", "C > A = B",
"A: helpfulness 4/5 · correctness 4/5". Used for model suggestions and the edit history on the annotate page.

`summarize` reads a stored answer as its typed model (`assay.domain.answers`) and never raises: an answer
it cannot read is shown as compact JSON.
"""

from __future__ import annotations

import json
from typing import Any

from assay.domain.answers import (
    CodeReviewAnswer,
    LabelsAnswer,
    PairwiseAnswer,
    RankingAnswer,
    RatingAnswer,
    SpansAnswer,
    TextAnswer,
    read_answer,
)
from assay.domain.questions import STRENGTHS, Question

LETTERS = "ABCDEFGHI"


def _letter(i: Any) -> str:
    try:
        n = int(i)
    except (TypeError, ValueError):
        return str(i)
    return LETTERS[n] if 0 <= n < len(LETTERS) else str(n)


def _pairwise(a: PairwiseAnswer) -> str:
    if a.is_tie:
        return "A and B are about equal (tie)"
    return f"{a.choice.upper()} is {STRENGTHS.get(a.strength or 0, 'better')}"


def _ranking(a: RankingAnswer) -> str:
    return " > ".join(" = ".join(_letter(i) for i in g) for g in a.order)


def _rating(q: Question, a: RatingAnswer) -> str:
    maxima = {str(d.get("name")): d.get("max") for d in (q.options.get("dimensions") or []) if isinstance(d, dict)}
    parts = []
    for comp, scores in sorted(a.scores.items(), key=lambda kv: str(kv[0])):
        dims = ", ".join(f"{name} {v}" + (f"/{maxima[name]}" if maxima.get(name) is not None else "")
                         for name, v in scores.items())
        parts.append(f"{_letter(comp)}: {dims}")
    return "; ".join(parts) or "no scores"


def _labels(a: LabelsAnswer) -> str:
    if a.per_completion is not None:
        return "; ".join(f"{_letter(c)}: {', '.join(v) if v else 'none'}"
                         for c, v in sorted(a.per_completion.items(), key=lambda kv: str(kv[0]))) or "no labels"
    return ", ".join(x.replace("_", " ") for x in a.labels) if a.labels else "no labels"


def _text(a: TextAnswer) -> str:
    t = " ".join(a.text.split())
    base = f" (from Response {_letter(a.base)})" if a.base is not None else ""
    return (f"“{t[:157]}…”" if len(t) > 160 else f"“{t}”") + base


def _spans(a: SpansAnswer) -> str:
    spans = a.spans
    if not spans:
        return "none found" if a.none_found else "no spans"
    shown = [f"{s.label} in {_letter(s.completion)} {s.start}–{s.end}" for s in spans[:4]]
    more = f" and {len(spans) - 4} more" if len(spans) > 4 else ""
    return f"{len(spans)} span{'s' if len(spans) != 1 else ''}: " + "; ".join(shown) + more


def _code_review(a: CodeReviewAnswer) -> str:
    parts = [f"{_letter(c)} {v.replace('_', ' ')}" for c, v in sorted(a.verdicts.items(), key=lambda kv: str(kv[0]))]
    if a.preference is not None:
        parts.append(_pairwise(a.preference))
    return "; ".join(parts) or "no verdicts"


def summarize(q: Question, answer: Any) -> str:
    """One line describing `answer` to question `q` (compact JSON when it is not readable as its kind)."""
    typed = read_answer(q.kind.value, answer)
    if isinstance(typed, PairwiseAnswer):
        return _pairwise(typed)
    if isinstance(typed, RankingAnswer):
        return _ranking(typed)
    if isinstance(typed, RatingAnswer):
        return _rating(q, typed)
    if isinstance(typed, LabelsAnswer):
        return _labels(typed)
    if isinstance(typed, TextAnswer):
        return _text(typed)
    if isinstance(typed, SpansAnswer):
        return _spans(typed)
    if isinstance(typed, CodeReviewAnswer):
        return _code_review(typed)
    return json.dumps(answer, ensure_ascii=False, sort_keys=True, default=str)[:300]


def summarize_all(questions: list[Question], answers: dict[str, Any]) -> list[tuple[str, str]]:
    """(question title, summary) for each question answered, in form order."""
    return [(q.title or q.name, summarize(q, answers[q.name])) for q in questions if q.name in answers]
