"""Raw exports: one row per annotation, and OpenAssistant-style full rankings."""

from __future__ import annotations

import json

import pytest

from assay.domain.annotations import ExportSource
from assay.errors import Invalid
from assay.exporters.raw import raw_rows


def test_one_row_per_annotation(pairwise_source: ExportSource) -> None:
    t = raw_rows(pairwise_source)
    assert len(t.rows) == sum(len(i.annotations) for i in pairwise_source.items) == 12
    first = t.rows[0]
    assert {k: first[k] for k in ("record_id", "external_id", "annotator", "submitted_at", "active_seconds",
                                   "status", "review")} == {
        "record_id": 1, "external_id": "r1", "annotator": "ann", "submitted_at": "2026-11-01T12:01:00+00:00",
        "active_seconds": 31.0, "status": "submitted", "review": None}
    assert json.loads(first["answers"]) == {"pref": {"choice": "a", "strength": 3}, "why": {"text": "polite"}}
    assert first["prompt"] == [{"role": "user", "content": "Say hi"}]
    assert first["completions"] == [{"index": 0, "model": "m0", "text": "Hi!"},
                                    {"index": 1, "model": "m1", "text": "Go away."}]
    assert t.annotators == {"ann", "bob", "cat"}


def test_rejected_reviews_are_kept_and_marked(ranking_source: ExportSource) -> None:
    t = raw_rows(ranking_source, include_record=False)
    assert [r["review"] for r in t.rows] == [None, None, "rejected", None]
    assert "prompt" not in t.rows[0] and "prompt" not in t.schema.names
    assert t.counts["rejected_by_review"] == 1
    assert t.prompt_of(t.rows[0]) == [{"role": "user", "content": "Name a fruit"}]


def test_raw_ranking_keeps_the_full_order(ranking_source: ExportSource) -> None:
    t = raw_rows(ranking_source, form="ranking")
    assert [(r["record_id"], r["annotator"], r["order"]) for r in t.rows] == [
        (1, "ann", [[0], [1, 3], [2]]), (1, "bob", [[1], [0], [3], [2]]), (1, "eve", [[2], [0, 1, 3]]),
        (2, "ann", [[0, 1]])]
    assert [(c["text"], c["rank"]) for c in t.rows[0]["completions"]] == [
        ("apple", 0), ("banana", 1), ("rock", 2), ("cherry", 1)]


def test_raw_ranking_needs_a_ranking(pairwise_source: ExportSource) -> None:
    with pytest.raises(Invalid, match="no ranking question"):
        raw_rows(pairwise_source, form="ranking")
