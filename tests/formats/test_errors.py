"""Malformed input: each case raises Invalid naming the file, the line and (where it applies) the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.errors import Invalid
from assay.formats import load_records, read_records

GOOD = {"id": "r1", "prompt": "Say hi", "completions": [{"model": "m", "text": "hi"}]}


def _write(tmp_path: Path, *lines: str, name: str = "file.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _error(path: Path, **kw: object) -> Invalid:
    with pytest.raises(Invalid) as e:
        load_records(path, **kw)  # type: ignore[arg-type]
    return e.value


def test_broken_json(tmp_path: Path) -> None:
    path = _write(tmp_path, json.dumps(GOOD), '{"id": "r2", "prompt": "x",')
    err = _error(path)
    assert err.details["line"] == 2
    assert err.message.startswith("file.jsonl line 2: broken JSON")


def test_missing_field(tmp_path: Path) -> None:
    path = _write(tmp_path, json.dumps(GOOD), json.dumps({"id": "r2", "completions": []}))
    err = _error(path)
    assert err.details["line"] == 2 and err.details["field"] == "prompt"
    assert "missing" in err.message and '"messages" or "prompt"' in err.message


def test_wrong_type_names_nested_field(tmp_path: Path) -> None:
    row = dict(GOOD, completions=[{"text": "ok"}, {"text": 42}])
    path = _write(tmp_path, json.dumps(GOOD), json.dumps(GOOD), json.dumps(row))
    err = _error(path)
    assert err.message == "file.jsonl line 3, field completions[1].text: expected a string, got 42"
    assert err.details == {
        "file": str(path),
        "line": 3,
        "unit": "line",
        "field": "completions[1].text",
        "reason": "expected a string, got 42",
    }


def test_empty_file(tmp_path: Path) -> None:
    for content in ("", "\n\n  \n"):
        path = tmp_path / "empty.jsonl"
        path.write_text(content)
        assert "no records" in _error(path).message


def test_overlong_line_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(GOOD) + "\n")
        f.write('{"id": "huge", "prompt": "' + "x" * (50 * 1024 * 1024) + '"}\n')
    err = _error(path)
    assert err.details["line"] == 2
    assert "longer than 10,485,760 bytes" in err.message and "max_line_bytes" in err.message
    small = _error(_write(tmp_path, json.dumps(GOOD), name="small.jsonl"), max_line_bytes=20)
    assert small.details["line"] == 1
    assert len(load_records(path.with_name("small.jsonl"), max_line_bytes=len(json.dumps(GOOD)))) == 1


def test_bad_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + '{"prompt": "café"}'.encode("latin-1") + b"\n")
    err = _error(path)
    assert err.details["line"] == 2 and "not valid UTF-8" in err.message


def test_unknown_role(tmp_path: Path) -> None:
    row = {"messages": [{"role": "user", "content": "hi"}, {"role": "bot", "content": "hello"}]}
    err = _error(_write(tmp_path, json.dumps(row)))
    assert err.details["field"] == "messages[1].role"
    assert "unknown role 'bot'" in err.message
    sharegpt = {"conversations": [{"from": "human", "value": "hi"}, {"from": "robot", "value": "x"}]}
    err = _error(_write(tmp_path, json.dumps(sharegpt), name="sg.jsonl"))
    assert err.details["field"] == "conversations[1].from"


def test_not_an_object_and_unknown_shape(tmp_path: Path) -> None:
    assert "expected a JSON object" in _error(_write(tmp_path, "[1, 2]")).message
    err = _error(_write(tmp_path, json.dumps({"foo": 1}), name="odd.jsonl"))
    assert "cannot tell the format" in err.message and "fmt=" in err.message


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="unknown format"):
        load_records(_write(tmp_path, json.dumps(GOOD)), "alpaca")
    with pytest.raises(Invalid, match="no such file"):
        load_records(tmp_path / "nope.jsonl")


def test_load_is_all_or_nothing_while_read_streams(tmp_path: Path) -> None:
    path = _write(tmp_path, json.dumps(GOOD), json.dumps(GOOD), "not json")
    stream = read_records(path)
    assert next(stream).external_id == "r1"  # streaming yields rows before the bad one
    with pytest.raises(Invalid):
        list(stream)
    with pytest.raises(Invalid):
        load_records(path)


def test_broken_json_array(tmp_path: Path) -> None:
    path = tmp_path / "items.json"
    path.write_text('[\n  {"prompt": "a", "response": "b"},\n  {"prompt": "c" "response": "d"}\n]\n')
    err = _error(path)
    assert err.details["line"] == 3 and "broken JSON" in err.message
