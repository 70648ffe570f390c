"""OpenAssistant trees: ranked sibling groups, deleted messages, best paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assay.errors import Invalid
from assay.formats import ReadStats, load_records, oasst_best_paths


def _msg(mid: str, role: str, text: str, replies: list | None = None, **kw: Any) -> dict:
    return {"message_id": mid, "role": role, "text": text, "deleted": False, "replies": replies or [], **kw}


def _count_groups(node: dict) -> int:
    replies = [r for r in node.get("replies", []) if not r.get("deleted")]
    ranked = [r for r in replies if r["role"] == "assistant" and r.get("rank") is not None]
    return (len(ranked) >= 2) + sum(_count_groups(r) for r in replies)


def test_real_trees(shared_data: Path) -> None:
    path = shared_data / "oasst-en-100-trees" / "en_100_tree.jsonl"
    trees = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    stats = ReadStats()
    records = load_records(path, stats=stats)
    assert stats.rows == 100
    assert len(records) == sum(_count_groups(t["prompt"]) for t in trees)
    assert len({r.external_id for r in records}) == len(records)
    for r in records:
        ranks = [c.metadata["rank"] for c in r.completions]
        assert len(r.completions) >= 2
        assert [ranks[i] for i in r.metadata["ranking"]] == sorted(ranks)
        assert r.messages[-1].role == "user" and r.messages[0].role == "user"
    first = records[0]  # the first tree: one prompt, three ranked replies
    assert first.messages[0].content == "How can I find the best 401k plan for my needs?"
    best = first.completions[first.metadata["ranking"][0]]
    assert best.metadata["rank"] == 0 and best.text.startswith("The first step is to research your options.")
    paths = list(oasst_best_paths(path))
    assert len(paths) == 100
    assert paths[0].completions[0].text == best.text


def test_deleted_messages_are_skipped_and_counted(tmp_path: Path) -> None:
    tree = {
        "message_tree_id": "t1",
        "prompt": _msg(
            "root",
            "prompter",
            "Q",
            [
                _msg(
                    "a0",
                    "assistant",
                    "best",
                    rank=0,
                    replies=[
                        _msg(
                            "u1",
                            "prompter",
                            "follow-up",
                            [
                                _msg("b0", "assistant", "x", rank=0),
                                _msg("b1", "assistant", "y", rank=1),
                                _msg("b2", "assistant", "gone", rank=2, deleted=True),
                            ],
                        )
                    ],
                ),
                _msg("a1", "assistant", "second", rank=1),
                _msg(
                    "a2",
                    "assistant",
                    "deleted",
                    rank=2,
                    deleted=True,
                    replies=[_msg("u9", "prompter", "under")],
                ),
                _msg("a3", "assistant", "unranked"),
            ],
        ),
    }
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(tree) + "\n")
    stats = ReadStats()
    top, deep = load_records(path, "oasst", stats=stats)
    assert {c.text for c in top.completions} == {"best", "second"}
    assert top.metadata["oasst_parent_id"] == "root"
    assert [m.content for m in deep.messages] == ["Q", "best", "follow-up"]
    assert [deep.completions[i].text for i in deep.metadata["ranking"]] == ["x", "y"]
    assert stats.counts["oasst_deleted_skipped"] == 2
    assert stats.counts["oasst_under_deleted_skipped"] == 1
    assert stats.counts["oasst_unranked_skipped"] == 1
    (best,) = oasst_best_paths(path)
    assert [m.content for m in best.messages] == ["Q", "best", "follow-up"]
    assert best.completions[0].text == "x"


def test_unknown_role_in_tree(tmp_path: Path) -> None:
    tree = {
        "message_tree_id": "t",
        "prompt": _msg(
            "r", "prompter", "Q", [_msg("a", "assistant", "A", rank=0), _msg("b", "wizard", "B", rank=1)]
        ),
    }
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(tree) + "\n")
    with pytest.raises(Invalid) as e:
        load_records(path)
    assert e.value.details["field"] == "prompt.replies[1].role"
