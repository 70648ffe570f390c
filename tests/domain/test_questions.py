"""Answer validation for every question kind (the shapes the workspace widgets send)."""

from __future__ import annotations

import pytest

from assay.domain.questions import Question, validate_answer, validate_answers
from assay.errors import Invalid

TEXTS = ["Café 😀 in Paris, built 1889.", "Lyon 🦁.", "third"]


def q(kind: str, required: bool = True, **options):  # type: ignore[no-untyped-def]
    return Question(name="x", kind=kind, required=required, options=options)


def test_ranking_keeps_tie_groups_and_rejects_missing_or_repeated() -> None:
    assert validate_answer(q("ranking"), {"order": [[2], [1, 0]]}, TEXTS) == {"order": [[2], [0, 1]]}
    for bad in ({"order": [[0], [1]]}, {"order": [[0], [1], [1], [2]]}, {"order": [[0, 1, 5]]}, {"order": []}):
        with pytest.raises(Invalid):
            validate_answer(q("ranking"), bad, TEXTS)


def test_spans_offsets_are_code_points() -> None:
    # "😀" is one code point (two UTF-16 units); "in Paris" starts at code point 7
    ans = {"spans": [{"completion": 0, "start": 7, "end": 15, "label": "hallucination", "note": "n"},
                     {"completion": 0, "start": 5, "end": 9, "label": "outdated"},   # overlaps the first
                     {"completion": 1, "start": 0, "end": 6, "label": "outdated"}]}
    out = validate_answer(q("spans", labels=["hallucination", "outdated"]), ans, TEXTS)
    assert [s["text"] for s in out["spans"]] == ["in Paris", "😀 in", "Lyon 🦁"]
    with pytest.raises(Invalid, match="outside"):
        validate_answer(q("spans"), {"spans": [{"completion": 1, "start": 0, "end": 8}]}, TEXTS)
    with pytest.raises(Invalid, match="label"):
        validate_answer(q("spans", labels=["a"]), {"spans": [{"completion": 0, "start": 0, "end": 1, "label": "b"}]},
                        TEXTS)
    assert validate_answer(q("spans"), {"spans": [], "none_found": True}, TEXTS) == {"spans": [], "none_found": True}
    with pytest.raises(Invalid, match="none were found"):
        validate_answer(q("spans"), {"spans": []}, TEXTS)


def test_rating_requires_every_cell_when_required() -> None:
    dims = [{"name": "help", "min": 1, "max": 5}, {"name": "tone", "min": 1, "max": 3}]
    full = {"scores": {str(i): {"help": 3, "tone": 2} for i in range(3)}}
    assert validate_answer(q("rating", dimensions=dims), full, TEXTS) == full
    with pytest.raises(Invalid, match="lacks"):
        validate_answer(q("rating", dimensions=dims), {"scores": {"0": {"help": 3, "tone": 1}}}, TEXTS)
    with pytest.raises(Invalid, match="between 1 and 3"):
        validate_answer(q("rating", required=False, dimensions=dims), {"scores": {"0": {"tone": 4}}}, TEXTS)


def test_labels_single_multi_and_per_completion() -> None:
    ch = ["unsafe", "biased"]
    assert validate_answer(q("labels", choices=ch, multi=True), {"labels": ["biased", "unsafe"]}, TEXTS) == {
        "labels": ["unsafe", "biased"]}
    with pytest.raises(Invalid, match="only one"):
        validate_answer(q("labels", choices=ch), {"labels": ["biased", "unsafe"]}, TEXTS)
    out = validate_answer(q("labels", choices=ch, per_completion=True), {"per_completion": {"2": ["biased"]}}, TEXTS)
    assert out == {"per_completion": {"2": ["biased"]}}


def test_text_min_length_and_gold_base() -> None:
    assert validate_answer(q("text", min_length=5), {"text": "long enough", "base": 1}, TEXTS) == {
        "text": "long enough", "base": 1}
    with pytest.raises(Invalid, match="at least 5"):
        validate_answer(q("text", min_length=5), {"text": "shrt"}, TEXTS)
    assert validate_answer(q("text", required=False), None, TEXTS) is None


def test_unknown_question_and_missing_required() -> None:
    qs = [Question(name="p", kind="pairwise"), Question(name="t", kind="text", required=False)]
    with pytest.raises(Invalid, match="unknown question"):
        validate_answers(qs, {"zzz": {}}, TEXTS)
    with pytest.raises(Invalid, match="required"):
        validate_answers(qs, {"t": {"text": "x"}}, TEXTS)
    assert validate_answers(qs, {"p": {"choice": "tie"}}, TEXTS) == {"p": {"choice": "tie", "strength": None}}


def test_gold_base_must_be_a_completion() -> None:
    with pytest.raises(Invalid, match="out of range"):
        validate_answer(q("text"), {"text": "x", "base": 7}, TEXTS)
