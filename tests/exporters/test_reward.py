"""Reward-model rows: explicit and implicit pairs with margins, and pointwise scores from ratings."""

from __future__ import annotations

import pytest

from assay.domain.annotations import ExportSource
from assay.errors import Invalid
from assay.exporters.reward import reward_rows


def test_explicit_pairs_with_margin(pairwise_source: ExportSource) -> None:
    t = reward_rows(pairwise_source, margin_scale=0.5)
    assert [(r["record_id"], r["margin"]) for r in t.rows] == [(1, 1.5), (2, 1.0)]
    assert "prompt" in t.rows[0] and t.schema.names[-1] == "margin"


def test_implicit_pairs_carry_the_conversation(pairwise_source: ExportSource) -> None:
    t = reward_rows(pairwise_source, form="implicit", margin=False)
    row = t.rows[1]
    assert "prompt" not in row and "margin" not in row
    assert row["chosen"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"},
                             {"role": "assistant", "content": "4"}]
    assert row["rejected"][-1] == {"role": "assistant", "content": "5"}
    assert "prompt" not in t.schema.names and "margin" not in t.schema.names
    assert t.prompt_of(row) == row["chosen"][:-1]


def test_ranking_margin_is_rank_distance(ranking_source: ExportSource) -> None:
    t = reward_rows(ranking_source)
    assert [r["margin"] for r in t.rows] == [2.0, 1.0, 2.0, 1.0]


def test_pointwise_means_per_dimension_and_overall(rating_source: ExportSource) -> None:
    t = reward_rows(rating_source, form="pointwise")
    got = [(r["record_id"], r["completion_index"], r["dimensions"], r["score"], r["num_raters"]) for r in t.rows]
    assert got == [
        (1, 0, {"helpful": 4.5, "honest": 3.0}, pytest.approx((3.5 / 4 + 1.0) / 2), 2),
        (1, 1, {"helpful": 1.5, "honest": 1.0}, pytest.approx((0.5 / 4 + 0.0) / 2), 2),
        (2, 0, {"helpful": 3.0, "honest": 2.0}, pytest.approx(0.5), 1),
        (2, 1, {"helpful": 3.0, "honest": 2.0}, pytest.approx(0.5), 1),
        (3, 0, {"helpful": 4.0, "honest": 3.0}, pytest.approx(0.875), 1),
        (3, 1, {"helpful": 1.0, "honest": 2.0}, pytest.approx(0.25), 1),
    ]
    assert t.rows[0]["completion"] == [{"role": "assistant", "content": "DNS maps names to IPs."}]
    assert t.rows[0]["prompt"] == [{"role": "user", "content": "Explain DNS"}]


def test_bad_forms(pairwise_source: ExportSource) -> None:
    with pytest.raises(Invalid, match="form"):
        reward_rows(pairwise_source, form="listwise")
    with pytest.raises(Invalid, match="no rating question"):
        reward_rows(pairwise_source, form="pointwise")
