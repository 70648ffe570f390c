"""Chat-shaped formats on small hand-written inputs, in JSONL, JSON, CSV, Parquet and gzip files."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assay.domain.records import CodeTask, Completion, Message, Record
from assay.errors import Invalid
from assay.formats import load_records, read_records, sniff
from assay.formats.checks import Where


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_assay_round_trip(tmp_path: Path) -> None:
    rec = Record(
        external_id="x1",
        messages=[Message("system", "Be brief."), Message("user", "2+2?")],
        completions=[Completion("4", "m1", {"t": 1}), Completion("four", "m2")],
        metadata={"topic": "math"},
        code=CodeTask(problem="p", entry_point="f", visible_tests="assert f()"),
    )
    path = _jsonl(tmp_path / "a.jsonl", [rec.to_dict(), {"prompt": "Hi", "completions": ["Hello", "Hey"]}])
    back, second = load_records(path)
    assert back.to_dict() | {"source": ""} == rec.to_dict() | {"source": ""}
    assert back.source == "a.jsonl:1"
    assert second.messages == [Message("user", "Hi")]
    assert [c.text for c in second.completions] == ["Hello", "Hey"]
    assert len(second.external_id) == 16  # content hash when the row has no id
    assert load_records(path)[1].external_id == second.external_id


def test_openai_messages_with_tool_calls(tmp_path: Path) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
    }
    row = {
        "id": 7,
        "model": "gpt-x",
        "messages": [
            {"role": "developer", "content": "Use tools."},
            {"role": "user", "content": [{"type": "text", "text": "Weather in Oslo?"}]},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "content": "-3C"},
            {"role": "assistant", "content": "It is -3C."},
        ],
        "tags": ["a"],
    }
    (r,) = load_records(_jsonl(tmp_path / "o.jsonl", [row]))
    assert r.external_id == "7"
    assert [m.role for m in r.messages] == ["system", "user", "assistant", "tool"]
    assert r.messages[2].tool_calls == [call]
    assert r.messages[1].content == "Weather in Oslo?"
    assert r.metadata == {"tags": ["a"], "tool_call_ids": {"3": "call_1"}}
    assert [(c.text, c.model) for c in r.completions] == [("It is -3C.", "gpt-x")]


def test_sharegpt(tmp_path: Path) -> None:
    row = {
        "id": "s1",
        "conversations": [
            {"from": "system", "value": "sys"},
            {"from": "human", "value": "Q"},
            {"from": "gpt", "value": "A"},
            {"from": "human", "value": "Q2"},
        ],
    }
    (r,) = load_records(_jsonl(tmp_path / "s.jsonl", [row]))
    assert [(m.role, m.content) for m in r.messages] == [
        ("system", "sys"),
        ("user", "Q"),
        ("assistant", "A"),
        ("user", "Q2"),
    ]
    assert r.completions == []


def test_prompt_response_single_and_pair(tmp_path: Path) -> None:
    rows = [
        {"prompt": "P1", "response": "R1", "model": "m"},
        {"prompt": "P2", "completion": "C2", "system": "S"},
        {"id": "p3", "prompt": "P3", "chosen": "good", "rejected": "bad", "score": 3},
        {
            "chosen": [{"role": "user", "content": "U"}, {"role": "assistant", "content": "yes"}],
            "rejected": [{"role": "user", "content": "U"}, {"role": "assistant", "content": "no"}],
        },
    ]
    r1, r2, r3, r4 = load_records(_jsonl(tmp_path / "p.jsonl", rows))
    assert (r1.prompt_text, r1.completions[0].text, r1.completions[0].model) == ("P1", "R1", "m")
    assert [m.role for m in r2.messages] == ["system", "user"] and r2.completions[0].text == "C2"
    assert r3.completions[r3.metadata["source_chosen"]].text == "good"
    assert r3.completions[1 - r3.metadata["source_chosen"]].text == "bad"
    assert r3.metadata["score"] == 3
    assert r4.messages == [Message("user", "U")]
    assert {c.text for c in r4.completions} == {"yes", "no"}
    with pytest.raises(Invalid, match="field rejected: missing"):
        load_records(_jsonl(tmp_path / "bad.jsonl", [{"prompt": "P", "chosen": "c"}]))


def test_json_array_csv_parquet_and_gzip(tmp_path: Path) -> None:
    rows = [{"prompt": "P1", "response": "R1"}, {"prompt": "P2", "response": "R2"}]
    arr = tmp_path / "rows.json"
    arr.write_text(json.dumps(rows))
    with open(tmp_path / "rows.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["prompt", "response"])
        w.writeheader()
        w.writerows(rows)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "rows.parquet")
    with gzip.open(tmp_path / "rows.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write("".join(json.dumps(r) + "\n" for r in rows))
    for name in ("rows.json", "rows.csv", "rows.parquet", "rows.jsonl.gz"):
        got = load_records(tmp_path / name)
        assert [(r.prompt_text, r.completions[0].text) for r in got] == [("P1", "R1"), ("P2", "R2")], name
        assert got[1].source == f"{name}:2"


def test_csv_messages_column_and_row_errors(tmp_path: Path) -> None:
    path = tmp_path / "chat.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "messages"])
        w.writerow(
            ["c1", json.dumps([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}])]
        )
        w.writerow(["c2", json.dumps([{"role": "user", "content": 5}])])
    with pytest.raises(Invalid) as e:
        load_records(path)
    assert e.value.message == "chat.csv row 2, field messages[0].content: expected a string, got 5"
    first = next(read_records(path))
    assert first.external_id == "c1" and first.completions[0].text == "yo"


def test_parquet_assay_rows(tmp_path: Path) -> None:
    rows = [
        {
            "id": "q1",
            "messages": [{"role": "user", "content": "hi"}],
            "completions": [{"model": "m", "text": "a"}, {"model": "n", "text": "b"}],
        }
    ]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "a.parquet")
    (r,) = load_records(tmp_path / "a.parquet")
    assert [c.model for c in r.completions] == ["m", "n"] and r.messages[0].content == "hi"


@pytest.mark.parametrize(
    ("row", "fmt"),
    [
        ({"chosen": "\n\nHuman: a\n\nAssistant: b", "rejected": "\n\nHuman: a\n\nAssistant: c"}, "hh"),
        ({"messages": []}, "openai"),
        ({"messages": [], "completions": []}, "assay"),
        ({"prompt": "p"}, "assay"),
        ({"conversations": []}, "sharegpt"),
        ({"prompt": "p", "chosen": "a", "rejected": "b"}, "prompt_response"),
        ({"task_id": "HumanEval/0", "prompt": "", "canonical_solution": "", "test": ""}, "humaneval"),
        ({"task_id": 2, "prompt": "", "code": "", "test_list": []}, "mbpp"),
        ({"idx": 0, "response1": "", "response2": "", "annotator1": 1}, "pandalm"),
        ({"input": "", "output_1": "", "output_2": "", "label": 1}, "llmbar"),
        ({"completion_a": "", "completion_b": "", "preference": "tie", "evaluator": "x"}, "tulu"),
        ({"message_tree_id": "t", "prompt": {}}, "oasst"),
    ],
)
def test_sniff(row: dict, fmt: str) -> None:
    assert sniff(row, Where("f.jsonl", "line", 1)) == fmt


def test_gsm8k_and_alpaca_rows_read_as_prompt_response(tmp_path, shared_data):  # type: ignore[no-untyped-def]
    from assay.formats import load_records

    recs = load_records(shared_data / "gsm8k" / "test.jsonl")
    assert len(recs) == 1319
    assert recs[0].messages[0].role == "user" and recs[0].messages[0].content.startswith("Janet")
    assert recs[0].completions[0].text.rstrip().endswith("#### 18")
    assert "question" not in recs[0].metadata and "answer" not in recs[0].metadata
    f = tmp_path / "alpaca.jsonl"
    f.write_text('{"instruction": "Translate", "input": "hola", "output": "hello"}\n')
    (r,) = load_records(f)
    assert r.messages[0].content == "Translate\n\nhola" and r.completions[0].text == "hello"
