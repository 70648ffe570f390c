"""Read-only views of one annotation's answers, for the review page: what the reviewer reads instead of JSON.

`answer_views(questions, answers, completions)` turns each stored answer into a small frozen view per kind
(the review templates draw them with the workspace's own markup): the chosen side and strength of a
pairwise answer, the order of a ranking, the scores of a rating, the labels, a text (and, for a gold rewrite
that started from a reply, a word-level diff against that reply), the spans highlighted inside their
reply's text with their labels and notes, a code review's verdicts and preference.

Never raises on stored data: an answer that cannot be read as its question's kind, or one to a question
the project no longer has, becomes an `UnreadableView` holding its JSON (non-ASCII kept as is).
Span offsets are code points into the completion's text, as the workspace stores them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from assay.domain.answers import (
    CodeReviewAnswer,
    LabelsAnswer,
    PairwiseAnswer,
    RankingAnswer,
    RatingAnswer,
    Span,
    SpansAnswer,
    TextAnswer,
    read_answer,
)
from assay.domain.questions import STRENGTHS, Question
from assay.domain.text_diff import DiffPart, change_count, word_diff

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def letter(i: int) -> str:
    """The workspace's name for completion `i` ("A", "B", ...; the number past Z)."""
    return LETTERS[i] if 0 <= i < len(LETTERS) else str(i + 1)


@dataclass(frozen=True)
class PairwiseView:
    kind = "pairwise"
    choice: str  # a | b | tie
    strength: int | None
    phrase: str  # "B is clearly better", "A and B are about equal"
    strengths: tuple[tuple[int, str], ...] = tuple(STRENGTHS.items())


@dataclass(frozen=True)
class RankedItem:
    index: int
    letter: str
    excerpt: str
    tied_with_above: bool


@dataclass(frozen=True)
class RankingView:
    kind = "ranking"
    groups: tuple[tuple[RankedItem, ...], ...]  # best first; a group is a tie
    phrase: str  # "C > A = B"
    unranked: tuple[str, ...]  # letters of completions the order leaves out


@dataclass(frozen=True)
class RatingDimension:
    name: str
    title: str
    low: int
    high: int


@dataclass(frozen=True)
class RatingView:
    kind = "rating"
    dimensions: tuple[RatingDimension, ...]
    columns: tuple[tuple[int, str], ...]  # (completion index, letter)
    scores: dict[tuple[int, str], int]  # (completion, dimension) → score


@dataclass(frozen=True)
class LabelsView:
    kind = "labels"
    choices: tuple[str, ...]  # the question's choices, in order (plus any chosen label it lacks)
    chosen: tuple[str, ...]  # record-level labels (when not per completion)
    per_completion: tuple[tuple[str, tuple[str, ...]], ...] | None  # (letter, labels)


@dataclass(frozen=True)
class TextView:
    kind = "text"
    text: str
    base_letter: str | None  # the reply a gold rewrite started from
    diff: tuple[DiffPart, ...]  # word diff against that reply (empty without a base)
    changes: int
    unchanged: bool  # the rewrite equals its base


@dataclass(frozen=True)
class Segment:
    """A run of a completion's text: `depth` spans cover it (0: plain); `ends` are the numbers and labels of
    spans ending right after it; `title` names the covering spans (a tooltip)."""

    text: str
    depth: int
    title: str
    ends: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class MarkedSpan:
    number: int
    letter: str
    start: int
    end: int
    label: str
    note: str
    quote: str
    outside: bool  # its offsets do not fit the text


@dataclass(frozen=True)
class SpanText:
    letter: str
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class SpansView:
    kind = "spans"
    texts: tuple[SpanText, ...]  # only the completions with a span
    spans: tuple[MarkedSpan, ...]
    none_found: bool


@dataclass(frozen=True)
class CodeReviewView:
    kind = "code_review"
    verdicts: tuple[tuple[str, str], ...]  # (letter, verdict in words)
    preference: PairwiseView | None
    tests: str
    rationale: str


@dataclass(frozen=True)
class UnreadableView:
    kind = "unreadable"
    why: str
    json_text: str


AnswerBody = (PairwiseView | RankingView | RatingView | LabelsView | TextView | SpansView | CodeReviewView
              | UnreadableView)


@dataclass(frozen=True)
class AnswerView:
    """One question's answer as the reviewer reads it."""

    name: str
    title: str
    body: AnswerBody


def _pairwise(a: PairwiseAnswer) -> PairwiseView:
    if a.is_tie:
        return PairwiseView("tie", None, "A and B are about equal (tie)")
    side = a.choice.upper()
    return PairwiseView(a.choice, a.strength, f"{side} is {STRENGTHS.get(a.strength or 0, 'better')}")


def _excerpt(text: str, n: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


def _ranking(a: RankingAnswer, completions: list[str]) -> RankingView:
    groups = []
    seen: set[int] = set()
    for g in a.order:
        members = tuple(RankedItem(i, letter(i), _excerpt(completions[i]) if 0 <= i < len(completions) else "",
                                   k > 0) for k, i in enumerate(g))
        if members:
            groups.append(members)
            seen.update(g)
    phrase = " > ".join(" = ".join(m.letter for m in g) for g in groups)
    return RankingView(tuple(groups), phrase, tuple(letter(i) for i in range(len(completions)) if i not in seen))


def _rating(q: Question, a: RatingAnswer, n: int) -> RatingView:
    dims: list[RatingDimension] = []
    for d in q.options.get("dimensions") or []:
        if isinstance(d, dict) and d.get("name") is not None:
            lo, hi = d.get("min", 1), d.get("max", 5)
            dims.append(RatingDimension(str(d["name"]), str(d.get("title") or d["name"]),
                                        lo if isinstance(lo, int) else 1, hi if isinstance(hi, int) else 5))
    known = {d.name for d in dims}
    for per in a.scores.values():
        for name in per:
            if name not in known:
                known.add(name)
                dims.append(RatingDimension(name, name, 1, 5))
    cols = sorted(set(range(n)) | set(a.scores))
    scores = {(i, d): v for i, per in a.scores.items() for d, v in per.items()}
    return RatingView(tuple(dims), tuple((i, letter(i)) for i in cols), scores)


def _labels(q: Question, a: LabelsAnswer) -> LabelsView:
    choices = [str(c) for c in q.options.get("choices") or []]
    used = list(a.labels) + [x for v in (a.per_completion or {}).values() for x in v]
    choices += [x for x in dict.fromkeys(used) if x not in choices]
    per = None
    if a.per_completion is not None:
        per = tuple((letter(i), v) for i, v in sorted(a.per_completion.items()))
    return LabelsView(tuple(choices), a.labels, per)


def _text(a: TextAnswer, completions: list[str]) -> TextView:
    if a.base is None or not 0 <= a.base < len(completions):
        return TextView(a.text, None, (), 0, False)
    parts = word_diff(completions[a.base], a.text)
    return TextView(a.text, letter(a.base), tuple(parts), change_count(parts), a.text == completions[a.base])


def _segments(text: str, spans: list[tuple[int, Span]]) -> tuple[Segment, ...]:
    n = len(text)
    cuts = sorted({0, n} | {min(max(s.start, 0), n) for _, s in spans} | {min(max(s.end, 0), n) for _, s in spans})
    out = []
    for lo, hi in pairwise(cuts):
        cover = [(k, s) for k, s in spans if s.start <= lo and hi <= s.end]
        ends = tuple((k, s.label) for k, s in spans if min(s.end, n) == hi and s.start < s.end)
        title = "; ".join(f"{k}: {s.label}" + (f" — {s.note}" if s.note else "") for k, s in cover)
        out.append(Segment(text[lo:hi], len(cover), title, ends))
    return tuple(out)


def _spans(a: SpansAnswer, completions: list[str]) -> SpansView:
    ordered = sorted(a.spans, key=lambda s: (s.completion, s.start, s.end))
    numbered = list(enumerate(ordered, start=1))
    marked = []
    for k, s in numbered:
        text = completions[s.completion] if 0 <= s.completion < len(completions) else None
        outside = text is None or not 0 <= s.start < s.end <= len(text)
        quote = s.text if outside or text is None else text[s.start:s.end]
        marked.append(MarkedSpan(k, letter(s.completion), s.start, s.end, s.label, s.note, quote, outside))
    texts = []
    for ci, text in enumerate(completions):
        mine = [(k, s) for k, s in numbered if s.completion == ci and 0 <= s.start < s.end <= len(text)]
        if mine:
            texts.append(SpanText(letter(ci), _segments(text, mine)))
    return SpansView(tuple(texts), tuple(marked), a.none_found)


def _code_review(a: CodeReviewAnswer) -> CodeReviewView:
    verdicts = tuple((letter(i), v.replace("_", " ")) for i, v in sorted(a.verdicts.items()))
    return CodeReviewView(verdicts, _pairwise(a.preference) if a.preference else None, a.tests, a.rationale)


def _unreadable(why: str, raw: Any) -> UnreadableView:
    return UnreadableView(why, json.dumps(raw, ensure_ascii=False, indent=1, sort_keys=True, default=str))


def body_of(q: Question, raw: Any, completions: list[str]) -> AnswerBody:
    """The view of one stored answer `raw` to question `q` (UnreadableView when it is not readable)."""
    typed = read_answer(q.kind.value, raw)
    if isinstance(typed, PairwiseAnswer):
        return _pairwise(typed)
    if isinstance(typed, RankingAnswer):
        return _ranking(typed, completions)
    if isinstance(typed, RatingAnswer):
        return _rating(q, typed, len(completions))
    if isinstance(typed, LabelsAnswer):
        return _labels(q, typed)
    if isinstance(typed, TextAnswer):
        return _text(typed, completions)
    if isinstance(typed, SpansAnswer):
        return _spans(typed, completions)
    if isinstance(typed, CodeReviewAnswer):
        return _code_review(typed)
    return _unreadable(f"this answer is not readable as a {q.kind.value} answer", raw)


def answer_views(questions: list[Question], answers: dict[str, Any], completions: list[str]) -> list[AnswerView]:
    """A view per answered question in form order, then answers to questions the project no longer has."""
    out = [AnswerView(q.name, q.title or q.name, body_of(q, answers[q.name], completions))
           for q in questions if q.name in answers]
    known = {q.name for q in questions}
    out += [AnswerView(name, name, _unreadable("the project has no question with this name any more", raw))
            for name, raw in answers.items() if name not in known]
    return out
