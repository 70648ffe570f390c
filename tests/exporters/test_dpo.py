"""DPO rows from pairwise answers and rankings: majority, ties, filters, Dawid–Skene hook, HH divergence."""

from __future__ import annotations

import pytest
from tests.exporters.exporter_sources import PAIRWISE, ann, item, pick, record

from assay.domain.annotations import ExportSource
from assay.domain.questions import Question
from assay.errors import Invalid
from assay.exporters.dpo import dpo_rows

A = {"role": "assistant"}


def msg(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


def test_pairwise_majority_ties_splits_and_divergence(pairwise_source: ExportSource) -> None:
    t = dpo_rows(pairwise_source)
    assert [{k: v for k, v in r.items() if k != "lineage"} for r in t.rows] == [
        {"prompt": [msg("user", "Say hi")], "chosen": [msg("assistant", "Hi!")],
         "rejected": [msg("assistant", "Go away.")], "record_id": 1, "external_id": "r1",
         "chosen_index": 0, "rejected_index": 1, "chosen_model": "m0", "rejected_model": "m1",
         "num_judgments": 1, "agreement": 1.0, "strength": 3.0, "confidence": None},
        {"prompt": [msg("system", "Be brief."), msg("user", "2+2?")], "chosen": [msg("assistant", "4")],
         "rejected": [msg("assistant", "5")], "record_id": 2, "external_id": "r2",
         "chosen_index": 1, "rejected_index": 0, "chosen_model": "m1", "rejected_model": "m0",
         "num_judgments": 3, "agreement": pytest.approx(2 / 3), "strength": 2.0, "confidence": None},
    ]
    assert t.counts["records"] == 6
    assert t.counts["rows"] == 2
    assert t.counts["excluded_tie"] == 2  # all-tie record and tie-majority record
    assert t.counts["excluded_split"] == 1
    assert t.counts["excluded_hh_divergence"] == 1
    assert t.annotators == {"ann", "bob", "cat"}
    second = t.rows[1]["lineage"]
    assert second["source"] == f"{pairwise_source.project}#r2" and second["record_id"] == 2
    assert len(second["annotators"]) == 3 and all(a.startswith("t-") for a in second["annotators"])
    assert not {"ann", "bob", "cat"} & set(second["annotators"])  # pseudonyms, not usernames


def test_min_agreement_and_min_strength(pairwise_source: ExportSource) -> None:
    t = dpo_rows(pairwise_source, min_agreement=0.7)
    assert [r["record_id"] for r in t.rows] == [1]
    assert t.counts["excluded_low_agreement"] == 1
    t = dpo_rows(pairwise_source, min_strength=2.5)
    assert [r["record_id"] for r in t.rows] == [1]
    assert t.counts["excluded_low_strength"] == 1
    t = dpo_rows(pairwise_source, min_judgments=2)
    assert [r["record_id"] for r in t.rows] == [2]


def test_pair_options_pick_the_completions() -> None:
    q = Question("pref", "pairwise", options={"a": 2, "b": 0})
    src = ExportSource("p", [q], [item(9, record("x", "hi", "zero", "one", "two"), ann("ann", pref=pick("a")))])
    row = dpo_rows(src).rows[0]
    assert (row["chosen"], row["rejected"]) == ([msg("assistant", "two")], [msg("assistant", "zero")])


def test_dawid_skene_hook_uses_caller_results(pairwise_source: ExportSource) -> None:
    # the caller's model overrides the majority on record 2 and decides the split record 5
    agg = {1: ("a", 0.99), 2: ("a", 0.55), 5: ("b", 0.8), 3: ("tie", 0.9)}
    t = dpo_rows(pairwise_source, aggregate="dawid_skene", aggregated=agg, min_confidence=0.6)
    by_id = {r["record_id"]: r for r in t.rows}
    assert sorted(by_id) == [1, 5]
    assert by_id[5]["chosen"] == [msg("assistant", "Dogs")]
    assert by_id[5]["agreement"] == 0.5 and by_id[5]["confidence"] == 0.8
    assert t.counts["excluded_low_confidence"] == 1  # record 2 at 0.55
    assert t.counts["excluded_no_aggregate"] == 1  # record 4 missing from the mapping
    assert t.counts["excluded_tie"] == 1
    # external ids work as keys too
    t2 = dpo_rows(pairwise_source, aggregate="dawid_skene", aggregated={"r2": ("a", 1.0)})
    assert [(r["record_id"], r["chosen_index"], r["agreement"]) for r in t2.rows] == [(2, 0, pytest.approx(1 / 3))]


def test_dawid_skene_needs_results(pairwise_source: ExportSource) -> None:
    with pytest.raises(Invalid, match="aggregated"):
        dpo_rows(pairwise_source, aggregate="dawid_skene")
    with pytest.raises(Invalid, match="mode"):
        dpo_rows(pairwise_source, mode="some_pairs")


def test_ranking_all_pairs_with_ties(ranking_source: ExportSource) -> None:
    t = dpo_rows(ranking_source)
    got = [(r["record_id"], r["chosen_index"], r["rejected_index"], r["num_judgments"], r["agreement"],
            r["strength"]) for r in t.rows]
    assert got == [(1, 0, 2, 2, 1.0, 2.0), (1, 0, 3, 2, 1.0, 1.0), (1, 1, 2, 2, 1.0, 2.0),
                   (1, 3, 2, 2, 1.0, 1.0)]
    assert t.counts["excluded_split"] == 1  # 0 vs 1: ann and bob disagree
    assert t.counts["excluded_tie"] == 2  # 1 vs 3 (tie vote + one win), and record 2's single tie group
    assert t.rows[0]["chosen"] == [msg("assistant", "apple")]
    assert t.rows[0]["rejected"] == [msg("assistant", "rock")]


def test_ranking_best_vs_worst_and_rejected_reviews(ranking_source: ExportSource) -> None:
    t = dpo_rows(ranking_source, mode="best_vs_worst")
    assert [(r["chosen_index"], r["rejected_index"]) for r in t.rows] == [(0, 2), (1, 2)]
    assert t.counts["excluded_tie"] == 1
    t = dpo_rows(ranking_source, include_rejected=True)
    first = t.rows[0]
    assert (first["chosen_index"], first["rejected_index"], first["num_judgments"]) == (0, 2, 3)
    assert first["agreement"] == pytest.approx(2 / 3)


def test_no_preference_question_is_invalid() -> None:
    src = ExportSource("words", [Question("why", "text")], [])
    with pytest.raises(Invalid, match="no pairwise, ranking or code-review question"):
        dpo_rows(src)
    with pytest.raises(Invalid, match="no question 'nope'"):
        dpo_rows(ExportSource("p", [PAIRWISE], []), question="nope")


def test_code_review_preference_counts_as_pairwise() -> None:
    q = Question("cr", "code_review")
    src = ExportSource("code", [q], [item(1, record("c", "write f", "def f(): 1", "def f(): 2"),
                                           ann("ann", cr={"verdicts": {"0": "buggy", "1": "correct"},
                                                             "preference": pick("b", 3)}))])
    row = dpo_rows(src).rows[0]
    assert (row["chosen_index"], row["strength"]) == (1, 3.0)
