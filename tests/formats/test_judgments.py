"""Multi-annotator sets: PandaLM, Tulu 1 human eval, LLMBar."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.domain.questions import Question, validate_answer
from assay.errors import Invalid
from assay.formats import ReadStats, load_records

PAIRWISE = Question(name="preference", kind="pairwise")


def _valid_pairwise(answer: dict) -> None:
    if answer["strength"] is None and answer["choice"] != "tie":
        answer = dict(answer, strength=1)  # imported judgments may lack a strength; the choice must be valid
    assert validate_answer(PAIRWISE, answer, ["a", "b"])["choice"] == answer["choice"]


def test_pandalm(shared_data: Path) -> None:
    path = shared_data / "pandalm-testset" / "testset-v1.json"
    source = json.loads(path.read_text(encoding="utf-8"))
    records = load_records(path)
    assert len(records) == 999
    assert all(len(r.metadata["judgments"]) == 3 for r in records)
    r, s = records[0], source[0]
    assert r.external_id == "0" and r.completions[0].text == s["response1"]
    assert (r.completions[0].model, r.completions[1].model) == ("bloom-7b", "llama-7b")
    want = {0: "tie", 1: "a", 2: "b"}
    for rec, item in zip(records, source):
        assert [j["answer"]["choice"] for j in rec.metadata["judgments"]] == [
            want[item[f"annotator{i}"]] for i in (1, 2, 3)
        ]
    for j in records[0].metadata["judgments"]:
        _valid_pairwise(j["answer"])
    assert records[157].completions[0].text == "True"  # stored as JSON true in the source


def test_tulu(shared_data: Path) -> None:
    path = shared_data / "tulu1-human-eval" / "eval_annotations_tulu_1.jsonl"
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    stats = ReadStats()
    records = load_records(path, stats=stats)
    assert stats.rows == len(lines) == 1150
    votes = sum(len(r.metadata["judgments"]) for r in records)
    assert votes + stats.counts["tulu_repeat_votes_dropped"] == 1150
    assert stats.counts["tulu_repeat_votes_dropped"] > 0
    assert len({r.external_id for r in records}) == len(records)
    annotators = {j["annotator"] for r in records for j in r.metadata["judgments"]}
    assert len(annotators) == 16
    for r in records:
        assert len({j["annotator"] for j in r.metadata["judgments"]}) == len(r.metadata["judgments"])
        for j in r.metadata["judgments"]:
            _valid_pairwise(j["answer"])
            assert j["submitted_at"]
    # every source vote is found again, mirrored when the pair was shown the other way round
    by_text = {(r.prompt_text, r.completions[0].text, r.completions[1].text): r for r in records}
    first = lines[0]
    rec = by_text[(first["prompt"], first["completion_a"], first["completion_b"])]
    (vote,) = [j for j in rec.metadata["judgments"] if j["annotator"] == first["evaluator"]]
    assert vote["answer"] == {"choice": "a", "strength": 2} and vote["presented_swapped"] is False
    swapped = [r for r in records if any(j["presented_swapped"] for j in r.metadata["judgments"])]
    assert swapped


def test_tulu_scale_repeats_and_swaps(tmp_path: Path) -> None:
    base = {
        "instance_id": "i1",
        "prompt": "P",
        "model_a": "m1",
        "model_b": "m2",
        "completion_a": "A",
        "completion_b": "B",
        "completion_a_is_acceptable": "yes",
        "completion_b_is_acceptable": "no",
    }
    swapped = dict(
        base,
        model_a="m2",
        model_b="m1",
        completion_a="B",
        completion_b="A",
        completion_a_is_acceptable="no",
        completion_b_is_acceptable="yes",
    )
    rows = [
        dict(base, id=1, evaluator="x", preference="a-is-better", timestamp="2023-01-02T00:00:00"),
        dict(base, id=2, evaluator="x", preference="tie", timestamp="2023-01-01T00:00:00"),
        dict(base, id=3, evaluator="y", preference="b-is-slightly-better", timestamp="2023-01-01T00:00:00"),
        dict(
            swapped, id=4, evaluator="z", preference="a-is-slightly-better", timestamp="2023-01-03T00:00:00"
        ),
    ]
    path = tmp_path / "tulu.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (r,) = load_records(path, "tulu")
    answers = {j["annotator"]: j["answer"] for j in r.metadata["judgments"]}
    assert answers == {
        "x": {"choice": "a", "strength": 2},  # the later of x's two votes
        "y": {"choice": "b", "strength": 1},
        "z": {"choice": "b", "strength": 1},
    }  # "a" of the swapped presentation is our "b"
    assert r.metadata["repeat_votes_dropped"] == 1
    assert {a["annotator"]: (a["a"], a["b"]) for a in r.metadata["acceptability"]}["z"] == (True, False)
    path.write_text(json.dumps(dict(base, id=9, evaluator="x", preference="a-is-much-better")) + "\n")
    with pytest.raises(Invalid) as e:
        load_records(path)
    assert e.value.details["field"] == "preference" and e.value.details["line"] == 1


def test_llmbar(shared_data: Path) -> None:
    files = sorted((shared_data / "llmbar").rglob("dataset.json"))
    total = 0
    for f in files:
        source = json.loads(f.read_text(encoding="utf-8"))
        records = load_records(f)
        assert len(records) == len(source)
        total += len(records)
        for r, s in zip(records, source):
            assert r.metadata["gold"] == {"choice": "a" if s["label"] == 1 else "b", "strength": None}
            assert r.metadata["judgments"] == []
            assert r.completions[0].text == s["output_1"] and r.prompt_text == s["input"]
        assert records[0].metadata["llmbar_subset"] == str(f.parent.relative_to(shared_data / "llmbar"))
    assert total == 619
