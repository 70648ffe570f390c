"""Real data: OpenAssistant trees (../shared/data/oasst-en-100-trees) exported to DPO from their rankings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import require_file
from tests.exporters.exporter_sources import RANKING, ann, item

from assay.domain.annotations import ExportSource, JudgedRecord
from assay.domain.records import Completion, Message, Record
from assay.exporters.dpo import dpo_rows
from assay.exporters.raw import raw_rows
from assay.exporters.sft import sft_rows

ROLE = {"prompter": "user", "assistant": "assistant"}


def _records(path: Path) -> list[tuple[JudgedRecord, dict[int, int]]]:
    """One record per message with two or more ranked replies: the path to it, its ranked replies."""
    out: list[tuple[JudgedRecord, dict[int, int]]] = []

    def walk(node: dict[str, Any], history: list[Message]) -> None:
        convo = history + [Message(ROLE[node["role"]], node["text"])]
        ranked = [r for r in node.get("replies", []) if r.get("rank") is not None and not r.get("deleted")]
        if len(ranked) >= 2:
            ranks = {i: int(r["rank"]) for i, r in enumerate(ranked)}
            groups = [[i for i in ranks if ranks[i] == g] for g in sorted(set(ranks.values()))]
            rec = Record(external_id=node["message_id"], messages=convo,
                         completions=[Completion(r["text"], r.get("model_name") or "human") for r in ranked])
            out.append((item(len(out) + 1, rec, ann("oasst", rank={"order": groups})), ranks))
        for r in node.get("replies", []):
            walk(r, convo)

    with path.open(encoding="utf-8") as f:
        for line in f:
            walk(json.loads(line)["prompt"], [])
    return out


@pytest.fixture(scope="module")
def oasst(shared_data: Path) -> list[tuple[JudgedRecord, dict[int, int]]]:
    return _records(require_file(shared_data / "oasst-en-100-trees" / "en_100_tree.jsonl"))


def test_all_pairs_gives_k_choose_2_with_the_better_rank_chosen(oasst: list[Any]) -> None:
    src = ExportSource("oasst", [RANKING], [jr for jr, _ in oasst])
    t = dpo_rows(src, mode="all_pairs")
    by_record: dict[int, list[dict[str, Any]]] = {}
    for row in t.rows:
        by_record.setdefault(row["record_id"], []).append(row)
    assert len(oasst) > 150
    for jr, ranks in oasst:
        k = len(ranks)
        rows = by_record.get(jr.record_id, [])
        assert len(rows) == k * (k - 1) // 2, jr.record.external_id
        for row in rows:
            assert ranks[row["chosen_index"]] < ranks[row["rejected_index"]]
            assert row["chosen"] == [{"role": "assistant", "content": jr.record.completions[row["chosen_index"]].text}]
            assert row["prompt"][-1]["role"] == "user" and row["prompt"][0]["role"] == "user"
            assert row["strength"] == ranks[row["rejected_index"]] - ranks[row["chosen_index"]]
    assert t.counts["rows"] == sum(len(r) * (len(r) - 1) // 2 for _, r in oasst)
    multi_turn = [row for row in t.rows if len(row["prompt"]) > 1]
    assert multi_turn and all(row["prompt"][1]["role"] == "assistant" for row in multi_turn)


def test_best_vs_worst_and_sft_pick_the_extremes(oasst: list[Any]) -> None:
    src = ExportSource("oasst", [RANKING], [jr for jr, _ in oasst])
    bvw = dpo_rows(src, mode="best_vs_worst").rows
    assert len(bvw) == len(oasst)
    ranks = {jr.record_id: r for jr, r in oasst}
    for row in bvw:
        r = ranks[row["record_id"]]
        assert r[row["chosen_index"]] == min(r.values()) and r[row["rejected_index"]] == max(r.values())
    sft = sft_rows(src).rows
    assert len(sft) == len(oasst)
    assert all(ranks[row["record_id"]][row["completion_index"]] == min(ranks[row["record_id"]].values())
               for row in sft)
    raw = raw_rows(src, form="ranking").rows
    assert all(len(row["order"]) == len(ranks[row["record_id"]]) for row in raw)
