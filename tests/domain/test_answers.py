"""Typed answers: what validation returns reads back to the same stored JSON; reading is lenient."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assay.domain.answers import (
    CodeReviewAnswer,
    LabelsAnswer,
    PairwiseAnswer,
    RankingAnswer,
    RatingAnswer,
    Span,
    SpansAnswer,
    TextAnswer,
    answer_as,
    read_answer,
    read_by_shape,
)
from assay.domain.questions import Question, parse_answer, validate_answer
from assay.errors import Invalid
from assay.web.pages.answer_summary import summarize

TEXTS = ["Café 😀 in Paris, built 1889.", "Lyon 🦁.", "third"]
DIMS = [{"name": "help", "min": 1, "max": 5}, {"name": "tone", "min": 1, "max": 3}]

CASES: list[tuple[Question, dict[str, Any]]] = [
    (Question("p", "pairwise"), {"choice": "b", "strength": "3"}),
    (Question("p", "pairwise"), {"choice": "tie", "strength": 2}),
    (Question("r", "ranking"), {"order": [[2], [1, 0]]}),
    (Question("s", "rating", options={"dimensions": DIMS}),
     {"scores": {str(i): {"help": 3, "tone": 2} for i in (2, 0, 1)}}),
    (Question("l", "labels", options={"choices": ["unsafe", "biased"], "multi": True}),
     {"labels": ["biased", "unsafe"]}),
    (Question("l", "labels", options={"choices": ["unsafe", "biased"], "per_completion": True}),
     {"per_completion": {"2": ["biased"], "0": []}}),
    (Question("t", "text"), {"text": "Because."}),
    (Question("t", "text", options={"prefill": "completion"}), {"text": "Lyon.", "base": "1"}),
    (Question("x", "spans", options={"labels": ["hallucination"]}),
     {"spans": [{"completion": 0, "start": 7, "end": 15, "label": "hallucination", "note": "n"}]}),
    (Question("x", "spans"), {"spans": [], "none_found": True}),
    (Question("c", "code_review"), {"verdicts": {"1": "buggy", "0": "correct", "2": "fails_to_run"},
                                     "preference": {"choice": "a", "strength": 1}, "rationale": "r"}),
]


@pytest.mark.parametrize(("q", "raw"), CASES, ids=lambda c: c.kind.value if isinstance(c, Question) else "")
def test_stored_json_reads_back_byte_for_byte(q: Question, raw: dict[str, Any]) -> None:
    stored = validate_answer(q, raw, TEXTS)
    typed = read_answer(q.kind.value, stored)
    assert typed is not None and typed == parse_answer(q, raw, TEXTS)
    assert json.dumps(typed.to_json(), ensure_ascii=False) == json.dumps(stored, ensure_ascii=False)
    assert type(read_by_shape(stored)) is type(typed)


def test_accessors() -> None:
    b = PairwiseAnswer("b", 3)
    assert (b.signed_strength, b.mirrored(), b.is_tie) == (-3, PairwiseAnswer("a", 3), False)
    assert PairwiseAnswer("tie").signed_strength == 0 and PairwiseAnswer("a").signed_strength is None
    assert RankingAnswer(((2,), (0, 1))).positions() == {2: 0, 0: 1, 1: 1}
    spans = answer_as(SpansAnswer, validate_answer(CASES[8][0], CASES[8][1], TEXTS))
    assert spans is not None and spans.spans == (Span(0, 7, 15, "hallucination", "n", "in Paris"),)
    review = answer_as(CodeReviewAnswer, {"verdicts": {"1": "buggy"}, "preference": {"choice": "a"}})
    assert review == CodeReviewAnswer({1: "buggy"}, preference=PairwiseAnswer("a", None))


def test_reading_is_lenient() -> None:
    assert read_answer("pairwise", {"choice": "c"}) is None
    assert read_answer("pairwise", "a") is None
    assert read_answer("ranking", {"order": "0,1"}) is None
    assert read_answer("rating", {"scores": {"x": {"help": 1}, "1": {"help": "n/a", "tone": 2}}}) == \
        RatingAnswer({1: {"tone": 2}})
    assert read_answer("labels", {"labels": None}) is None
    assert read_answer("labels", {"per_completion": {"0": ["a"], "?": ["b"]}}) == LabelsAnswer(per_completion={0: ("a",)})
    assert read_answer("text", {"text": 3}) is None
    assert read_answer("spans", {"spans": [{"start": 1}, {"completion": 1, "start": 0, "end": 2}]}) == \
        SpansAnswer((Span(1, 0, 2),))
    assert read_answer("no-such-kind", {"text": "x"}) is None
    assert read_by_shape({"text": "x", "base": 1}) == TextAnswer("x", 1)
    assert read_by_shape({"other": 1}) is None


def test_imported_pairwise_may_lack_a_strength() -> None:
    q = Question("p", "pairwise")
    with pytest.raises(Invalid, match="strength"):
        validate_answer(q, {"choice": "a"}, TEXTS)
    assert validate_answer(q, {"choice": "a"}, TEXTS, strength_optional=True) == {"choice": "a", "strength": None}
    assert validate_answer(q, {"choice": "a", "strength": 2}, TEXTS, strength_optional=True) == \
        {"choice": "a", "strength": 2}


def test_summaries_of_typed_answers() -> None:
    got = [summarize(q, validate_answer(q, raw, TEXTS)) for q, raw in CASES]
    assert got == [
        "B is much better", "A and B are about equal (tie)", "C > A = B",
        "A: help 3/5, tone 2/3; B: help 3/5, tone 2/3; C: help 3/5, tone 2/3", "unsafe, biased",
        "A: none; C: biased", "“Because.”", "“Lyon.” (from Response B)", "1 span: hallucination in A 7–15",
        "none found", "A correct; B buggy; C fails to run; A is slightly better",
    ]
    assert summarize(Question("p", "pairwise"), {"choice": "maybe"}) == '{"choice": "maybe"}'
