"""Question kinds and the rules their answers must follow.

An answer is a JSON-able dict whose shape depends on the question kind:

- pairwise:    {"choice": "a" | "b" | "tie", "strength": 1 | 2 | 3}   (strength: slightly/clearly/much;
               omitted or null for a tie). Options: {"a": 0, "b": 1} completion indexes.
- ranking:     {"order": [[i, ...], [j], ...]}  tie groups, best first, every completion exactly once.
- rating:      {"scores": {"<completion index>": {"<dimension>": int}}}  Options: {"dimensions":
               [{"name", "min", "max", "labels"?}], "per_completion": true}
- labels:      {"labels": [str, ...]} per record, or {"per_completion": {"<i>": [str, ...]}}.
               Options: {"choices": [...], "multi": bool, "per_completion": bool}
- text:        {"text": str}.  Options: {"min_length": int, "prefill": "none" | "completion"}
- spans:       {"spans": [{"completion": i, "start": s, "end": e, "label": str, "note": str}]}
               offsets are character offsets into the completion text as shown. Options: {"labels": [...]}
- code_review: {"verdicts": {"<i>": "correct" | "buggy" | "fails_to_run"}, "preference": <pairwise answer>,
               "tests": str, "rationale": str}

`parse_answer` checks an answer and returns its typed model (`assay.domain.answers`); `validate_answer`
returns the same in its stored JSON shape. Both raise `Invalid` naming the question and the problem.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from assay.domain.answers import (
    Answer,
    CodeReviewAnswer,
    LabelsAnswer,
    PairwiseAnswer,
    RankingAnswer,
    RatingAnswer,
    Span,
    SpansAnswer,
    TextAnswer,
)
from assay.errors import Invalid


class QuestionKind(str, enum.Enum):
    pairwise = "pairwise"
    ranking = "ranking"
    rating = "rating"
    labels = "labels"
    text = "text"
    spans = "spans"
    code_review = "code_review"


STRENGTHS = {1: "slightly better", 2: "clearly better", 3: "much better"}
VERDICTS = ("correct", "buggy", "fails_to_run")


@dataclass
class Question:
    """One question of a project's form."""

    name: str
    kind: QuestionKind
    title: str = ""
    help: str = ""
    required: bool = True
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.kind, str) and not isinstance(self.kind, QuestionKind):
            try:
                self.kind = QuestionKind(self.kind)
            except ValueError:
                kinds = ", ".join(k.value for k in QuestionKind)
                raise Invalid(f"question {self.name!r}: unknown kind {self.kind!r}; use one of {kinds}")
        if not self.name or not self.name.replace("_", "").isalnum():
            raise Invalid(f"question name {self.name!r} must be letters, digits and underscores")
        if not self.title:
            self.title = self.name.replace("_", " ").capitalize()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "title": self.title,
            "help": self.help,
            "required": self.required,
            "options": self.options,
        }


def _fail(q: Question, why: str) -> Invalid:
    return Invalid(f"answer to {q.name!r} ({q.kind.value}): {why}", details={"question": q.name})


def _index(q: Question, raw: Any, n: int) -> int:
    try:
        i = int(raw)
    except (TypeError, ValueError):
        raise _fail(q, f"completion index {raw!r} is not a number")
    if not 0 <= i < n:
        raise _fail(q, f"completion index {i} is out of range 0..{n - 1}")
    return i


def _pairwise(q: Question, a: dict[str, Any], strength_optional: bool = False) -> PairwiseAnswer:
    choice = a.get("choice")
    if choice not in ("a", "b", "tie"):
        raise _fail(q, "choice must be 'a', 'b' or 'tie'")
    if choice == "tie" or (strength_optional and a.get("strength") is None):
        return PairwiseAnswer(choice, None)
    try:
        strength = int(a.get("strength") or 0)
    except (TypeError, ValueError):
        raise _fail(q, "strength must be 1 (slightly), 2 (clearly) or 3 (much better)")
    if strength not in STRENGTHS:
        raise _fail(q, "strength must be 1 (slightly), 2 (clearly) or 3 (much better)")
    return PairwiseAnswer(choice, strength)


def _ranking(q: Question, a: dict[str, Any], n: int) -> RankingAnswer:
    order = a.get("order")
    if not isinstance(order, list) or not order:
        raise _fail(q, "order must be a non-empty list of tie groups, best first")
    seen: list[int] = []
    groups: list[tuple[int, ...]] = []
    for g in order:
        group = g if isinstance(g, list) else [g]
        if not group:
            raise _fail(q, "a tie group is empty")
        idx = [_index(q, x, n) for x in group]
        seen.extend(idx)
        groups.append(tuple(sorted(idx)))
    if sorted(seen) != list(range(n)):
        raise _fail(q, f"order must place each of the {n} completions exactly once")
    return RankingAnswer(tuple(groups))


def _rating(q: Question, a: dict[str, Any], n: int) -> RatingAnswer:
    dims = {d["name"]: d for d in q.options.get("dimensions", [])}
    scores = a.get("scores")
    if not isinstance(scores, dict):
        raise _fail(q, "scores must map completion index to {dimension: score}")
    out: dict[int, dict[str, int]] = {}
    for key, per in scores.items():
        i = _index(q, key, n)
        if not isinstance(per, dict):
            raise _fail(q, f"scores for completion {i} must be an object")
        row: dict[str, int] = {}
        for dim, val in per.items():
            if dim not in dims:
                raise _fail(q, f"unknown dimension {dim!r}; known: {', '.join(dims)}")
            lo, hi = int(dims[dim].get("min", 1)), int(dims[dim].get("max", 5))
            try:
                v = int(val)
            except (TypeError, ValueError):
                raise _fail(q, f"{dim} for completion {i} must be a whole number")
            if not lo <= v <= hi:
                raise _fail(q, f"{dim} for completion {i} must be between {lo} and {hi}")
            row[dim] = v
        out[i] = row
    if q.required:
        for i in range(n):
            missing = [d for d in dims if d not in out.get(i, {})]
            if missing:
                raise _fail(q, f"completion {i} lacks a score for {', '.join(missing)}")
    return RatingAnswer(out)


def _label_list(q: Question, raw: Any) -> list[str]:
    choices = list(q.options.get("choices", []))
    labels = raw if isinstance(raw, list) else ([raw] if raw else [])
    for lab in labels:
        if lab not in choices:
            raise _fail(q, f"label {lab!r} is not one of {', '.join(choices)}")
    if not q.options.get("multi", False) and len(labels) > 1:
        raise _fail(q, "only one label may be chosen")
    return sorted(set(labels), key=choices.index)


def _labels(q: Question, a: dict[str, Any], n: int) -> LabelsAnswer:
    if q.options.get("per_completion"):
        per = a.get("per_completion")
        if not isinstance(per, dict):
            raise _fail(q, "per_completion must map completion index to a list of labels")
        return LabelsAnswer(per_completion={_index(q, k, n): tuple(_label_list(q, v)) for k, v in per.items()})
    labels = _label_list(q, a.get("labels"))
    if q.required and not labels:
        raise _fail(q, "choose at least one label")
    return LabelsAnswer(labels=tuple(labels))


def _text(q: Question, a: dict[str, Any], n: int) -> TextAnswer:
    text = a.get("text")
    if not isinstance(text, str):
        raise _fail(q, "text must be a string")
    min_length = int(q.options.get("min_length", 0))
    if q.required and len(text.strip()) < max(min_length, 1):
        raise _fail(q, f"write at least {max(min_length, 1)} characters")
    base = a.get("base")  # gold mode: the completion the text started from
    return TextAnswer(text, _index(q, base, n) if base is not None else None)


def _spans(q: Question, a: dict[str, Any], texts: list[str]) -> SpansAnswer:
    spans = a.get("spans", [])
    if not isinstance(spans, list):
        raise _fail(q, "spans must be a list")
    allowed = list(q.options.get("labels", []))
    out = []
    for s in spans:
        i = _index(q, s.get("completion", 0), len(texts))
        try:
            start, end = int(s["start"]), int(s["end"])
        except (KeyError, TypeError, ValueError):
            raise _fail(q, "each span needs whole-number start and end")
        if not 0 <= start < end <= len(texts[i]):
            raise _fail(q, f"span {start}..{end} lies outside completion {i} (length {len(texts[i])})")
        label = s.get("label", "")
        if allowed and label not in allowed:
            raise _fail(q, f"span label {label!r} is not one of {', '.join(allowed)}")
        out.append(Span(i, start, end, str(label), str(s.get("note", "")), texts[i][start:end]))
    if q.required and not out and not a.get("none_found"):
        raise _fail(q, "mark at least one span, or say none were found")
    return SpansAnswer(tuple(out), bool(a.get("none_found")) and not out)


def _code_review(q: Question, a: dict[str, Any], n: int) -> CodeReviewAnswer:
    verdicts = a.get("verdicts", {})
    if not isinstance(verdicts, dict):
        raise _fail(q, "verdicts must map completion index to a verdict")
    out_v: dict[int, str] = {}
    for k, v in verdicts.items():
        if v not in VERDICTS:
            raise _fail(q, f"verdict {v!r} must be one of {', '.join(VERDICTS)}")
        out_v[_index(q, k, n)] = v
    if q.required and len(out_v) < n:
        raise _fail(q, "give a verdict for every candidate")
    preference = _pairwise(q, a["preference"]) if n >= 2 and a.get("preference") else None
    return CodeReviewAnswer(out_v, str(a.get("tests", "")), str(a.get("rationale", "")), preference)


def parse_answer(q: Question, answer: Any, completion_texts: list[str], *,
                 strength_optional: bool = False) -> Answer | None:
    """Check one answer against its question and the record's completions: the edge where answers arrive.

    Returns the typed answer (see `assay.domain.answers`), or None for an optional question left empty.
    `strength_optional` (for imported judgments from sources that never asked for one) lets a pairwise
    answer choose a side with no strength: it keeps `strength: None`.
    Raises Invalid when the answer breaks the question's rules or a required answer is missing.
    """
    if answer is None or answer == {}:
        if q.required:
            raise _fail(q, "an answer is required")
        return None
    if not isinstance(answer, dict):
        raise _fail(q, "an answer must be an object")
    n = len(completion_texts)
    if q.kind is QuestionKind.pairwise:
        return _pairwise(q, answer, strength_optional)
    if q.kind is QuestionKind.ranking:
        return _ranking(q, answer, n)
    if q.kind is QuestionKind.rating:
        return _rating(q, answer, n)
    if q.kind is QuestionKind.labels:
        return _labels(q, answer, n)
    if q.kind is QuestionKind.text:
        return _text(q, answer, n)
    if q.kind is QuestionKind.spans:
        return _spans(q, answer, completion_texts)
    return _code_review(q, answer, n)


def validate_answer(q: Question, answer: Any, completion_texts: list[str], *,
                    strength_optional: bool = False) -> dict[str, Any] | None:
    """`parse_answer`, returned in its stored JSON shape (the normalised answer), or None when left empty."""
    typed = parse_answer(q, answer, completion_texts, strength_optional=strength_optional)
    return typed.to_json() if typed is not None else None


def validate_answers(questions: list[Question], answers: dict[str, Any], completion_texts: list[str], *,
                     strength_optional: bool = False) -> dict[str, Any]:
    """Validate a whole form (stored JSON shapes). Unknown question names are an error; returns only
    non-empty answers. `strength_optional` as for `parse_answer`."""
    known = {q.name for q in questions}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise Invalid(f"unknown question(s) {', '.join(unknown)}; this project asks {', '.join(sorted(known))}")
    out = {}
    for q in questions:
        v = validate_answer(q, answers.get(q.name), completion_texts, strength_optional=strength_optional)
        if v is not None:
            out[q.name] = v
    return out
