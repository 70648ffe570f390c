"""Answers as short sentences a person reads at a glance: "A is clearly better", "C > A = B",
"A: helpfulness 4/5 · correctness 4/5". Used for model suggestions and the edit history on the annotate page.

Every function takes an answer of the shape documented in `assay.domain.questions` and never raises: an
answer it cannot read is shown as compact JSON.
"""

from __future__ import annotations

import json
from typing import Any

from assay.domain.questions import STRENGTHS, Question, QuestionKind

LETTERS = "ABCDEFGHI"


def _letter(i: Any) -> str:
    try:
        n = int(i)
    except (TypeError, ValueError):
        return str(i)
    return LETTERS[n] if 0 <= n < len(LETTERS) else str(n)


def _pairwise(a: dict[str, Any]) -> str:
    choice = str(a.get("choice", "")).lower()
    if choice == "tie":
        return "A and B are about equal (tie)"
    if choice in ("a", "b"):
        strength = STRENGTHS.get(int(a.get("strength") or 0), "better")
        return f"{choice.upper()} is {strength}"
    raise ValueError(choice)


def _ranking(a: dict[str, Any]) -> str:
    groups = a["order"]
    return " > ".join(" = ".join(_letter(i) for i in g) for g in groups)


def _rating(q: Question, a: dict[str, Any]) -> str:
    maxima = {str(d.get("name")): d.get("max") for d in (q.options.get("dimensions") or []) if isinstance(d, dict)}
    parts = []
    for comp, scores in sorted((a.get("scores") or {}).items(), key=lambda kv: str(kv[0])):
        dims = ", ".join(f"{name} {v}" + (f"/{maxima[name]}" if maxima.get(name) is not None else "")
                         for name, v in scores.items())
        parts.append(f"{_letter(comp)}: {dims}")
    return "; ".join(parts) or "no scores"


def _labels(a: dict[str, Any]) -> str:
    if "per_completion" in a:
        per = a["per_completion"] or {}
        return "; ".join(f"{_letter(c)}: {', '.join(v) if v else 'none'}"
                         for c, v in sorted(per.items(), key=lambda kv: str(kv[0]))) or "no labels"
    labels = a.get("labels") or []
    return ", ".join(str(x).replace("_", " ") for x in labels) if labels else "no labels"


def _text(a: dict[str, Any]) -> str:
    t = " ".join(str(a.get("text", "")).split())
    base = f" (from Response {_letter(a['base'])})" if a.get("base") is not None else ""
    return (f"“{t[:157]}…”" if len(t) > 160 else f"“{t}”") + base


def _spans(a: dict[str, Any]) -> str:
    spans = a.get("spans") or []
    if not spans:
        return "none found" if a.get("none_found") else "no spans"
    shown = [f"{s.get('label', '')} in {_letter(s.get('completion'))} {s.get('start')}–{s.get('end')}" for s in spans[:4]]
    more = f" and {len(spans) - 4} more" if len(spans) > 4 else ""
    return f"{len(spans)} span{'s' if len(spans) != 1 else ''}: " + "; ".join(shown) + more


def _code_review(a: dict[str, Any]) -> str:
    parts = [f"{_letter(c)} {str(v).replace('_', ' ')}" for c, v in sorted((a.get("verdicts") or {}).items())]
    if isinstance(a.get("preference"), dict):
        parts.append(_pairwise(a["preference"]))
    return "; ".join(parts) or "no verdicts"


def summarize(q: Question, answer: Any) -> str:
    """One line describing `answer` to question `q` (compact JSON when the shape is not understood)."""
    try:
        if not isinstance(answer, dict):
            raise TypeError("not an object")
        if q.kind == QuestionKind.pairwise:
            return _pairwise(answer)
        if q.kind == QuestionKind.ranking:
            return _ranking(answer)
        if q.kind == QuestionKind.rating:
            return _rating(q, answer)
        if q.kind == QuestionKind.labels:
            return _labels(answer)
        if q.kind == QuestionKind.text:
            return _text(answer)
        if q.kind == QuestionKind.spans:
            return _spans(answer)
        if q.kind == QuestionKind.code_review:
            return _code_review(answer)
    except (KeyError, TypeError, ValueError, AttributeError):
        pass
    return json.dumps(answer, ensure_ascii=False, sort_keys=True)[:300]


def summarize_all(questions: list[Question], answers: dict[str, Any]) -> list[tuple[str, str]]:
    """(question title, summary) for each question answered, in form order."""
    return [(q.title or q.name, summarize(q, answers[q.name])) for q in questions if q.name in answers]
