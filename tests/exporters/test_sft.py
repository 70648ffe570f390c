"""SFT rows: gold answers first, then the top-ranked completion; flags and contradicted spans drop records."""

from __future__ import annotations

import pytest
from tests.exporters.exporter_sources import PAIRWISE, ann, item, pick, record

from assay.domain.annotations import ExportSource
from assay.domain.questions import Question
from assay.errors import Invalid
from assay.exporters.sft import sft_rows


def test_gold_then_top_ranked(rating_source: ExportSource) -> None:
    t = sft_rows(rating_source)
    assert [r["lineage"]["source"] for r in t.rows] == ["rubric#g1", "rubric#g2", "rubric#g3"]
    assert len(t.rows[0]["lineage"]["annotators"]) == 1  # the gold answer's writer only
    assert [{k: v for k, v in r.items() if k != "lineage"} for r in t.rows] == [
        {"messages": [{"role": "user", "content": "Explain DNS"},
                      {"role": "assistant", "content": "DNS resolves host names to IP addresses."}],
         "record_id": 1, "external_id": "g1", "source": "gold", "completion_index": None, "model": None,
         "annotator": "bob", "num_judgments": 2},
        {"messages": [{"role": "user", "content": "Tell a joke"},
                      {"role": "assistant", "content": "An insult."}],
         "record_id": 2, "external_id": "g2", "source": "ranking", "completion_index": 1, "model": "m1",
         "annotator": None, "num_judgments": 1},
        {"messages": [{"role": "user", "content": "Summarise"}, {"role": "assistant", "content": "Short."}],
         "record_id": 3, "external_id": "g3", "source": "ranking", "completion_index": 0, "model": "m0",
         "annotator": None, "num_judgments": 1},
    ]
    assert t.counts["rows_gold"] == 1


def test_gold_prefers_accepted_then_latest(rating_source: ExportSource) -> None:
    first = rating_source.items[0]
    first.annotations[1].review = None  # now the later of two unreviewed answers wins: still bob (minute 2)
    assert sft_rows(rating_source).rows[0]["annotator"] == "bob"
    first.annotations[0].review = "accepted"
    assert sft_rows(rating_source).rows[0]["annotator"] == "ann"
    first.annotations[0].review = "rejected"  # rejected annotations are not used
    assert sft_rows(rating_source).rows[0]["annotator"] == "bob"


def test_drop_flagged_and_contradicted(rating_source: ExportSource) -> None:
    t = sft_rows(rating_source, drop_flagged=True)
    assert [r["record_id"] for r in t.rows] == [1]  # gold answers are never dropped for completion flags
    assert t.counts["excluded_flagged"] == 2  # record 2: 'unsafe' label; record 3: an 'unsupported' span
    t = sft_rows(rating_source, drop_flagged=True, span_labels={"contradicted"})
    assert [r["record_id"] for r in t.rows] == [1, 3]
    t = sft_rows(rating_source, drop_flagged=True, flag_labels={"biased"}, span_labels=set())
    assert [r["record_id"] for r in t.rows] == [1, 2, 3]


def test_without_completions_only_gold(rating_source: ExportSource) -> None:
    t = sft_rows(rating_source, use_completions=False)
    assert [r["source"] for r in t.rows] == ["gold"]
    assert t.counts["excluded_unjudged"] == 2


def test_pairwise_fallback_skips_divergent_and_ties(pairwise_source: ExportSource) -> None:
    t = sft_rows(pairwise_source)
    assert [(r["record_id"], r["messages"][-1]["content"]) for r in t.rows] == [(1, "Hi!"), (2, "4")]
    assert t.counts["excluded_hh_divergence"] == 1
    assert t.counts["excluded_tie"] == 2 and t.counts["excluded_split"] == 1


def test_nothing_to_answer_with_is_invalid() -> None:
    with pytest.raises(Invalid, match="no gold text question"):
        sft_rows(ExportSource("p", [Question("why", "text")], []))
    src = ExportSource("p", [PAIRWISE], [item(1, record("x", "hi", "a", "b"), ann("ann", pref=pick("a")))])
    with pytest.raises(Invalid, match="a gold answer needs one of: text"):
        sft_rows(src, gold="pref")
