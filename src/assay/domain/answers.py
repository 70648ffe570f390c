"""One typed answer per question kind: the union every reader of answers works with.

Answers are stored as JSON objects (the shapes `assay.domain.questions` documents). They are checked
once where they arrive (`validate_answer` for submissions, drafts, suggestions and imports), and every
reader turns a stored object into one of these classes with `read_answer` (or `answer_as` when it knows
the kind it wants) and then uses attributes, never string keys.

Contracts:

- `read_answer(kind, raw)` is lenient, as readers of stored data must be: it returns None for anything
  that is not an object or lacks the field that defines its kind (e.g. a pairwise answer whose `choice` is
  not "a"/"b"/"tie", a ranking without a list `order`), and skips malformed parts (a rating cell that is
  not a number, a completion key that is not a whole number) instead of raising.
- `to_json()` gives back the stored shape: for every answer `validate_answer` returned,
  `read_answer(kind, x).to_json() == x`, key order included, so stored JSON and exports stay the same.
- Completion indexes are ints in the typed models (the JSON keys them as strings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

Choice = Literal["a", "b", "tie"]
CHOICES: tuple[Choice, ...] = ("a", "b", "tie")
MIRROR: dict[Choice, Choice] = {"a": "b", "b": "a", "tie": "tie"}


def _int(x: object) -> int | None:
    """x as a whole number when it is one (an int, or a string/float holding one), else None."""
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        return x
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return int(f) if f.is_integer() else None


def _str_list(x: object) -> tuple[str, ...]:
    return tuple(str(v) for v in x) if isinstance(x, list) else ()


@dataclass(frozen=True)
class PairwiseAnswer:
    """A choice between options a and b (or a tie) with a strength 1..3 (None for a tie or when unknown)."""

    kind: ClassVar[str] = "pairwise"
    choice: Choice
    strength: int | None = None

    @property
    def is_tie(self) -> bool:
        return self.choice == "tie"

    @property
    def signed_strength(self) -> int | None:
        """0 for a tie, +strength for a, -strength for b; None when a side was chosen without a strength."""
        if self.choice == "tie":
            return 0
        if self.strength is None:
            return None
        return self.strength if self.choice == "a" else -self.strength

    def mirrored(self) -> PairwiseAnswer:
        """The same judgment with the options swapped (a ↔ b)."""
        return PairwiseAnswer(MIRROR[self.choice], self.strength)

    def to_json(self) -> dict[str, Any]:
        return {"choice": self.choice, "strength": self.strength}

    @classmethod
    def read(cls, raw: object) -> PairwiseAnswer | None:
        if not isinstance(raw, Mapping):
            return None
        choice = raw.get("choice")
        if choice not in CHOICES:
            return None
        return cls(choice, _int(raw.get("strength")))


@dataclass(frozen=True)
class RankingAnswer:
    """Tie groups of completion indexes, best first."""

    kind: ClassVar[str] = "ranking"
    order: tuple[tuple[int, ...], ...]

    def positions(self) -> dict[int, int]:
        """Completion index → its tie group's position (0 = best)."""
        return {i: g for g, group in enumerate(self.order) for i in group}

    def to_json(self) -> dict[str, Any]:
        return {"order": [list(g) for g in self.order]}

    @classmethod
    def read(cls, raw: object) -> RankingAnswer | None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("order"), list):
            return None
        groups = []
        for g in raw["order"]:
            members = [_int(i) for i in (g if isinstance(g, list) else [g])]
            groups.append(tuple(i for i in members if i is not None))
        return cls(tuple(groups))


@dataclass(frozen=True)
class RatingAnswer:
    """Scores per completion index and rubric dimension."""

    kind: ClassVar[str] = "rating"
    scores: Mapping[int, Mapping[str, int]]

    def to_json(self) -> dict[str, Any]:
        return {"scores": {str(i): dict(row) for i, row in self.scores.items()}}

    @classmethod
    def read(cls, raw: object) -> RatingAnswer | None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("scores"), Mapping):
            return None
        out: dict[int, dict[str, int]] = {}
        for key, per in raw["scores"].items():
            i = _int(key)
            if i is None or not isinstance(per, Mapping):
                continue
            out[i] = {str(d): v for d, v in ((d, _int(v)) for d, v in per.items()) if v is not None}
        return cls(out)


@dataclass(frozen=True)
class LabelsAnswer:
    """Labels for the whole record (`labels`), or per completion (`per_completion`, then `labels` is empty)."""

    kind: ClassVar[str] = "labels"
    labels: tuple[str, ...] = ()
    per_completion: Mapping[int, tuple[str, ...]] | None = None

    def to_json(self) -> dict[str, Any]:
        if self.per_completion is not None:
            return {"per_completion": {str(i): list(v) for i, v in self.per_completion.items()}}
        return {"labels": list(self.labels)}

    @classmethod
    def read(cls, raw: object) -> LabelsAnswer | None:
        if not isinstance(raw, Mapping):
            return None
        per = raw.get("per_completion")
        if isinstance(per, Mapping):
            keyed = ((_int(k), _str_list(v)) for k, v in per.items())
            return cls(per_completion={i: v for i, v in keyed if i is not None})
        if isinstance(raw.get("labels"), list):
            return cls(labels=_str_list(raw["labels"]))
        return None


@dataclass(frozen=True)
class TextAnswer:
    """Free text; `base` is the completion a gold answer started from (None when written from scratch)."""

    kind: ClassVar[str] = "text"
    text: str
    base: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text}
        if self.base is not None:
            out["base"] = self.base
        return out

    @classmethod
    def read(cls, raw: object) -> TextAnswer | None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("text"), str):
            return None
        return cls(raw["text"], _int(raw.get("base")))


@dataclass(frozen=True)
class Span:
    """A marked span: character offsets [start, end) into one completion, its label, note and text."""

    completion: int
    start: int
    end: int
    label: str = ""
    note: str = ""
    text: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"completion": self.completion, "start": self.start, "end": self.end, "label": self.label,
                "note": self.note, "text": self.text}


@dataclass(frozen=True)
class SpansAnswer:
    """Marked spans; `none_found` says the annotator looked and found nothing to mark."""

    kind: ClassVar[str] = "spans"
    spans: tuple[Span, ...] = ()
    none_found: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"spans": [s.to_json() for s in self.spans], "none_found": self.none_found}

    @classmethod
    def read(cls, raw: object) -> SpansAnswer | None:
        if not isinstance(raw, Mapping):
            return None
        spans = []
        for s in raw.get("spans") or []:
            if not isinstance(s, Mapping):
                continue
            completion, start, end = _int(s.get("completion", 0)), _int(s.get("start")), _int(s.get("end"))
            if completion is None or start is None or end is None:
                continue
            spans.append(Span(completion, start, end, str(s.get("label", "")), str(s.get("note", "")),
                              str(s.get("text", ""))))
        return cls(tuple(spans), bool(raw.get("none_found")))


@dataclass(frozen=True)
class CodeReviewAnswer:
    """A verdict per candidate, an optional pairwise preference between them, tests and a rationale."""

    kind: ClassVar[str] = "code_review"
    verdicts: Mapping[int, str] = field(default_factory=dict)
    tests: str = ""
    rationale: str = ""
    preference: PairwiseAnswer | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"verdicts": {str(i): v for i, v in self.verdicts.items()}, "tests": self.tests,
                               "rationale": self.rationale}
        if self.preference is not None:
            out["preference"] = self.preference.to_json()
        return out

    @classmethod
    def read(cls, raw: object) -> CodeReviewAnswer | None:
        if not isinstance(raw, Mapping):
            return None
        verdicts = raw.get("verdicts")
        keyed = ((_int(k), str(v)) for k, v in verdicts.items()) if isinstance(verdicts, Mapping) else iter(())
        return cls({i: v for i, v in keyed if i is not None}, str(raw.get("tests", "")),
                   str(raw.get("rationale", "")), PairwiseAnswer.read(raw.get("preference")))


Answer = (PairwiseAnswer | RankingAnswer | RatingAnswer | LabelsAnswer | TextAnswer | SpansAnswer
          | CodeReviewAnswer)
ANSWER_TYPES: dict[str, type[Answer]] = {t.kind: t for t in (
    PairwiseAnswer, RankingAnswer, RatingAnswer, LabelsAnswer, TextAnswer, SpansAnswer, CodeReviewAnswer)}
A = TypeVar("A", PairwiseAnswer, RankingAnswer, RatingAnswer, LabelsAnswer, TextAnswer, SpansAnswer,
            CodeReviewAnswer)


def read_answer(kind: str, raw: object) -> Answer | None:
    """The stored answer `raw` to a question of `kind` as its typed model, or None (see the module rules).

    `kind` is a question kind value ("pairwise", ...; a `QuestionKind` works too); an unknown kind gives None.
    """
    cls = ANSWER_TYPES.get(getattr(kind, "value", kind))
    return cls.read(raw) if cls is not None else None


def answer_as(cls: type[A], raw: object) -> A | None:
    """`raw` read as the answer kind `cls` (e.g. `answer_as(PairwiseAnswer, x)`), or None."""
    return cls.read(raw)


# The field that only answers of one kind have, in the order `read_by_shape` tries them.
_SHAPES: tuple[tuple[str, type[Answer]], ...] = (
    ("choice", PairwiseAnswer), ("order", RankingAnswer), ("scores", RatingAnswer),
    ("per_completion", LabelsAnswer), ("labels", LabelsAnswer), ("verdicts", CodeReviewAnswer),
    ("spans", SpansAnswer), ("none_found", SpansAnswer), ("text", TextAnswer))


def read_by_shape(raw: object) -> Answer | None:
    """A stored answer read without its question, by the field only its kind has (`choice` → pairwise,
    `order` → ranking, `scores` → rating, `per_completion`/`labels` → labels, `verdicts` → code review,
    `spans`/`none_found` → spans, `text` → text); None when no such field is present or it is malformed.

    For callers that hold answer sets without the project's questions (review agreement, dashboards, the
    explorer); prefer `read_answer` when the kind is known.
    """
    if not isinstance(raw, Mapping):
        return None
    for key, cls in _SHAPES:
        if key in raw:
            return cls.read(raw)
    return None

