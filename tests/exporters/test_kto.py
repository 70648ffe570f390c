"""KTO rows: desirable and undesirable from preferences, ratings, verdicts and flags; conflicts excluded."""

from __future__ import annotations

import pytest
from tests.exporters.exporter_sources import PAIRWISE, RATING, ann, item, pick, record

from assay.domain.annotations import ExportSource
from assay.domain.questions import Question
from assay.errors import Invalid
from assay.exporters.kto import kto_rows


def test_labels_from_every_source(rating_source: ExportSource) -> None:
    t = kto_rows(rating_source)
    got = [(r["record_id"], r["completion_index"], r["label"], r["sources"]) for r in t.rows]
    assert got == [
        (1, 0, True, ["preference", "rating"]),
        (1, 1, False, ["flag", "preference", "rating"]),
        (2, 0, False, ["preference"]),
        (2, 1, False, ["flag"]),  # preferred by the ranking, but flagged unsafe: the flag wins
        (3, 0, False, ["flag"]),  # an unsupported span outweighs rank and rating
        (3, 1, False, ["preference", "rating"]),
    ]
    assert (t.counts["desirable"], t.counts["undesirable"]) == (1, 5)
    assert t.rows[0]["prompt"] == [{"role": "user", "content": "Explain DNS"}]
    assert t.rows[0]["completion"] == [{"role": "assistant", "content": "DNS maps names to IPs."}]


def test_thresholds_and_sources(rating_source: ExportSource) -> None:
    t = kto_rows(rating_source, sources=["rating"], desirable_at=0.5, undesirable_at=0.1)
    got = [(r["record_id"], r["completion_index"], r["label"]) for r in t.rows]
    assert got == [(1, 0, True), (1, 1, False), (2, 0, True), (2, 1, True), (3, 0, True)]


def test_conflict_is_excluded() -> None:
    rec = record("c", "hi", "good", "bad")
    src = ExportSource("mixed", [PAIRWISE, RATING], [item(1, rec, ann(
        "ann", pref=pick("a", 2), quality={"scores": {"0": {"helpful": 1, "honest": 1},
                                                      "1": {"helpful": 5, "honest": 3}}}))])
    t = kto_rows(src)
    assert t.rows == []
    assert t.counts["excluded_conflict"] == 2


def test_verdicts() -> None:
    q = Question("cr", "code_review")
    src = ExportSource("code", [q], [item(1, record("c", "f", "ok", "bad", "crash"), ann("a", cr={
        "verdicts": {"0": "correct", "1": "buggy", "2": "fails_to_run"}}), ann("b", cr={
        "verdicts": {"0": "correct", "1": "correct", "2": "fails_to_run"}}))])
    t = kto_rows(src)
    assert [(r["completion_index"], r["label"]) for r in t.rows] == [(0, True), (2, False)]  # 1 is a split


def test_divergent_records_and_bad_options(pairwise_source: ExportSource) -> None:
    t = kto_rows(pairwise_source)
    assert t.counts["excluded_hh_divergence"] == 1
    assert {r["record_id"] for r in t.rows} == {1, 2}
    with pytest.raises(Invalid, match="sources"):
        kto_rows(pairwise_source, sources=["vibes"])
    with pytest.raises(Invalid, match="below"):
        kto_rows(pairwise_source, desirable_at=0.2, undesirable_at=0.3)
