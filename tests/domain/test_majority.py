"""The one majority vote and each tie policy; the callers keep the outputs they had."""

from __future__ import annotations

import numpy as np
import pytest

from assay.domain.annotations import AnnotationView
from assay.domain.majority import TiePolicy, majority_choices, majority_of
from assay.domain.questions import Question
from assay.exporters.preferences import Vote, majority
from assay.exporters.signals import verdicts
from assay.quality import majority_vote

COUNTS = [[3, 1, 0],   # clear winner
          [2, 2, 0],   # a tie between columns 0 and 1
          [1, 2, 2],   # a tie between columns 1 and 2
          [0, 0, 0]]   # no votes: every column ties


def test_a_unique_top_wins_under_every_policy() -> None:
    for policy in (TiePolicy.exclude(), TiePolicy.first(), TiePolicy.random(3), TiePolicy.tie_label(2)):
        assert majority_of([1, 4, 2], policy) == 1


def test_exclude_gives_no_winner_on_a_tie() -> None:
    assert majority_choices(COUNTS, TiePolicy.exclude()).tolist() == [0, -1, -1, -1]


def test_first_takes_the_first_tied_column() -> None:
    assert majority_choices(COUNTS, TiePolicy.first()).tolist() == [0, 0, 1, 0]


def test_tie_label_wins_only_when_it_is_among_the_tied() -> None:
    assert majority_choices(COUNTS, TiePolicy.tie_label(2)).tolist() == [0, -1, 2, 2]
    assert majority_of([1, 1, 3], TiePolicy.tie_label(2)) == 2  # the tie column on top alone
    with pytest.raises(ValueError, match="outside"):
        majority_of([1, 1], TiePolicy.tie_label(2))


def test_random_is_reproducible_picks_only_tied_columns_and_each_of_them() -> None:
    rows = [[5, 5, 1]] * 400
    got = majority_choices(rows, TiePolicy.random(7))
    assert set(got.tolist()) == {0, 1}
    assert 150 < int((got == 0).sum()) < 250  # uniform between the two tied columns
    assert np.array_equal(got, majority_choices(rows, TiePolicy.random(7)))
    assert not np.array_equal(got, majority_choices(rows, TiePolicy.random(8)))
    assert majority_choices(COUNTS, TiePolicy.random(0))[0] == 0  # an untied row is not drawn for


def test_empty_tables() -> None:
    assert majority_choices(np.zeros((0, 3)), TiePolicy.first()).tolist() == []
    with pytest.raises(ValueError, match="items × classes"):
        majority_choices([1, 2, 3], TiePolicy.first())


def test_preferences_excludes_ties_and_splits() -> None:
    def votes(a: int, b: int, tie: int) -> list[Vote]:
        return [Vote("x", 0, 1.0)] * a + [Vote("y", 1, 1.0)] * b + [Vote("z", None, None)] * tie
    assert majority(0, 1, votes(2, 1, 1)) == 0
    assert majority(0, 1, votes(1, 2, 0)) == 1
    assert majority(0, 1, votes(2, 2, 0)) == "excluded_split"
    assert majority(0, 1, votes(2, 2, 2)) == "excluded_tie"
    assert majority(0, 1, votes(2, 1, 2)) == "excluded_tie"
    assert majority(0, 1, votes(0, 0, 0)) == "excluded_tie"


def test_aggregation_keeps_its_tie_rules() -> None:
    triples = [("i", "w1", "a"), ("i", "w2", "b"), ("j", "w1", "b"), ("j", "w2", "b")]
    assert majority_vote(triples, tie="none").labels == {"i": None, "j": "b"}
    assert majority_vote(triples, tie="first").labels == {"i": "a", "j": "b"}
    picks = {majority_vote(triples, tie="random", seed=s).labels["i"] for s in range(20)}
    assert picks == {"a", "b"}


def test_signals_verdict_is_a_strict_majority() -> None:
    q = Question("code", "code_review")
    anns = [AnnotationView("a", {"code": {"verdicts": {"0": "correct", "1": "buggy"}}}),
            AnnotationView("b", {"code": {"verdicts": {"0": "correct", "1": "correct"}}})]
    assert verdicts(q, anns) == {0: "correct"}
