"""The word diff behind the review page's gold-rewrite view: each side comes back exactly from its parts,
changes are whole words, and a change reads as its deletion then its insertion."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from assay.domain.text_diff import MAX_WORK, DiffPart, change_count, tokens, word_diff

WORDS = st.lists(st.sampled_from(["the", "a", "tower", "Paris", "1889", "’s", "😀", "naïve", " ", "  ", "\n", "."]),
                 max_size=30).map("".join)


def sides(parts: list[DiffPart]) -> tuple[str, str]:
    return "".join(p.text for p in parts if p.op != "+"), "".join(p.text for p in parts if p.op != "-")


@settings(max_examples=300, deadline=None)
@given(WORDS, WORDS)
def test_each_side_comes_back_exactly(a: str, b: str) -> None:
    parts = word_diff(a, b)
    assert sides(parts) == (a, b)
    assert all(p.text for p in parts)
    assert all(x.op != y.op for x, y in itertools.pairwise(parts))  # neighbours merged
    assert (change_count(parts) == 0) == (a == b)


def test_a_replacement_is_one_change_of_whole_words() -> None:
    parts = word_diff("the quick brown fox", "the slow red fox")
    assert parts == [DiffPart("=", "the "), DiffPart("-", "quick brown"), DiffPart("+", "slow red"),
                     DiffPart("=", " fox")]
    assert change_count(parts) == 1
    assert change_count(word_diff("a b c", "x b y")) == 2


def test_huge_inputs_fall_back_to_one_deletion_and_one_insertion() -> None:
    n = int(MAX_WORK ** 0.5) + 10
    a = " ".join(f"a{i}" for i in range(n // 2))
    b = " ".join(f"b{i}" for i in range(n // 2))
    parts = word_diff("same " + a + " end", "same " + b + " end")
    assert sides(parts) == ("same " + a + " end", "same " + b + " end")
    assert [p.op for p in parts] == ["=", "-", "+", "="]
    assert len(tokens(a)) * len(tokens(b)) > MAX_WORK
