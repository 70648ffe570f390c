"""The incremental JSON-array parser (`assay.formats.stream`): the same values as `json.loads` whatever the
chunk boundaries, exact lines for elements and errors, bounded elements, and `read_records` over arrays."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest

import assay.formats.stream as stream
from assay.errors import Invalid
from assay.formats import read_records
from assay.formats.stream import iter_array_items, metered

VALUES = [{"a": 1, "s": "ü ✓ \"quoted\" \\ back", "n": [1, 2.5, -3e4, True, None]},
          {"nested": {"deep": [{"x": "]"}, {"y": "}, ["}]}, "num": 12345678901234567890},
          {"emoji": "😀", "esc": "\u00e9\n\t", "empty": {}}, {"last": []}]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 4096])
@pytest.mark.parametrize("indent", [None, 2])
def test_same_values_as_json_loads_at_any_chunk_size(monkeypatch: pytest.MonkeyPatch, chunk: int,
                                                     indent: int | None) -> None:
    monkeypatch.setattr(stream, "CHUNK", chunk)
    text = "\ufeff" + json.dumps(VALUES, indent=indent, ensure_ascii=random.Random(chunk).random() < 0.5)
    got = list(iter_array_items(io.BytesIO(text.encode()), "x.json", 10_000))
    assert [v for _, _, v in got] == json.loads(text.removeprefix("\ufeff"))
    assert [i for i, _, _ in got] == [1, 2, 3, 4]
    if indent:
        lines = text.splitlines()
        for _, line, value in got:  # each element starts on the line it says
            assert lines[line - 1].strip().startswith("{")
            assert lines[line].strip().startswith(json.dumps(next(iter(value))))  # its first key follows


@pytest.mark.parametrize("text, line, words", [
    ('[\n {"a": 1},\n {"b" 2}\n]', 3, "Expecting ':' delimiter"),
    ('[{"a": 1}', 1, "not closed"),
    ('[{"a": 1}] tail', 1, "extra data"),
    ('[{"a": 1}\n\n {"b": 2}]', 3, "expected ','"),
    ('"text"', 1, "expected a JSON array"),
])
def test_errors_name_the_line(monkeypatch: pytest.MonkeyPatch, text: str, line: int, words: str) -> None:
    monkeypatch.setattr(stream, "CHUNK", 3)
    with pytest.raises(Invalid) as e:
        list(iter_array_items(io.BytesIO(text.encode()), "x.json", 1000))
    assert e.value.details["line"] == line and words in e.value.message


def test_an_element_over_the_limit_is_refused_without_reading_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "CHUNK", 16)
    big = '[{"a": 1},\n{"x": "' + "y" * 3_000_000 + '"}]'
    f = io.BytesIO(big.encode())
    with pytest.raises(Invalid) as e:
        list(iter_array_items(f, "x.json", 1000))
    assert e.value.details["line"] == 2 and "longer than 1,000" in e.value.message
    assert f.tell() < 1_000_000  # stopped within a read or two of the limit (reads are 256 KiB)


def test_bad_utf8_names_the_line() -> None:
    raw = b'[\n{"a": "ok"},\n{"b": "\xff"}]'
    with pytest.raises(Invalid) as e:
        list(iter_array_items(io.BytesIO(raw), "x.json", 1000))
    assert e.value.details["line"] == 3 and "UTF-8" in e.value.message


def test_read_records_streams_arrays_and_meters_them(tmp_path: Path) -> None:
    path = tmp_path / "recs.json"
    rows = [{"id": f"r{i}", "prompt": f"q{i}", "completions": [{"text": "a"}, {"text": "b"}]} for i in range(50)]
    path.write_text(json.dumps(rows, indent=1))
    with metered() as m:
        got = list(read_records(path))
        assert m.total == path.stat().st_size and m.fraction == 1.0
    assert [r.external_id for r in got] == [f"r{i}" for i in range(50)]
    bad = tmp_path / "bad.json"
    bad.write_text('[\n{"id": "a", "prompt": "p", "completions": [{"text": "a"}, {"text": "b"}]},\n{"id": "b", "prompt": 5}\n]')
    with pytest.raises(Invalid) as e:
        list(read_records(bad))
    assert e.value.details["line"] == 3 and "record 2 (line 3)" in e.value.message
