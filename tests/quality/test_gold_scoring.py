"""Gold scoring per annotator per question."""

from __future__ import annotations

import pytest

from assay.errors import Invalid
from assay.quality import gold_scores, score_answer


def test_scores_per_annotator_and_question() -> None:
    gold = {
        ("r1", "pref"): {"choice": "a", "strength": 2},
        ("r2", "pref"): {"choice": "tie", "strength": None},
        ("r1", "safety"): {"labels": ["toxic", "pii"]},
    }
    kinds = {"pref": "pairwise", "safety": "labels", "why": "text"}
    answers = [
        ("r1", "ann", "pref", {"choice": "a", "strength": 1}),  # strength is not scored
        ("r2", "ann", "pref", {"choice": "b", "strength": 1}),
        ("r1", "ann", "safety", {"labels": ["toxic"]}),
        ("r1", "ann", "why", {"text": "because"}),  # not a scored kind
        ("r3", "ann", "pref", {"choice": "a", "strength": 1}),  # no gold
        ("r1", "bob", "pref", {"choice": "b", "strength": 3}),
    ]
    got = {(s.annotator, s.question): (s.n, s.score) for s in gold_scores(answers, gold, kinds)}
    assert got == {("ann", "pref"): (2, 0.5), ("ann", "safety"): (1, 0.5), ("bob", "pref"): (1, 0.0)}
    exact = {
        (s.annotator, s.question): s.score for s in gold_scores(answers, gold, kinds, label_metric="exact")
    }
    assert exact[("ann", "safety")] == 0.0


def test_label_scoring_variants() -> None:
    assert score_answer("labels", {"labels": []}, {"labels": []}) == 1.0
    assert score_answer("labels", {"labels": ["a", "b"]}, {"labels": ["b", "c"]}) == pytest.approx(1 / 3)
    per = score_answer(
        "labels",
        {"per_completion": {"0": ["x"], "1": ["y"]}},
        {"per_completion": {"0": ["x"], "1": ["z"]}},
        label_metric="exact",
    )
    assert per == 0.5
    with pytest.raises(Invalid):
        score_answer("ranking", {"order": [[0]]}, {"order": [[0]]})
    with pytest.raises(Invalid):
        score_answer("pairwise", {}, {"choice": "a"})
