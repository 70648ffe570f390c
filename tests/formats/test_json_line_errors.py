"""Broken JSON lines name the right line and column, without a doubled word (issue 20, item 4): an HH line cut
short is reported as the string it ends inside, at the column that string starts; other errors keep Python's
message with one 'at'."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from tests.conftest import require_file

from assay.errors import Invalid
from assay.formats import read_records


def _lines(shared_data: Path) -> list[str]:
    path = require_file(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [next(f) for _ in range(400)]


def test_a_cut_hh_line_names_the_string_it_ends_inside(shared_data: Path, tmp_path: Path) -> None:
    lines = _lines(shared_data)
    line = max(lines, key=lambda x: len(x.encode()) - len(x)).rstrip("\n")  # one with non-ASCII text
    prefix = '{"chosen": "'
    assert line.startswith(prefix) and line.index('", "rejected"') > 600
    p = tmp_path / "cut.jsonl"
    p.write_text(lines[0] + line[:600] + "\n" + lines[1], encoding="utf-8")
    with pytest.raises(Invalid) as e:
        list(read_records(p, fmt="hh"))
    msg = e.value.message
    assert "line 2" in msg and f"starting at column {len(prefix)} is not closed" in msg  # the opening quote
    assert "at at" not in msg


@pytest.mark.parametrize(("text", "column", "words"), [
    ('{"chosen": "a\tb", "rejected": "x"}', 14, "Invalid control character at column"),
    ('{"chosen": "a",, "rejected": "x"}', 16, "Expecting property name enclosed in double quotes at column"),
])
def test_other_errors_keep_one_at_and_the_column(tmp_path: Path, text: str, column: int, words: str) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(Invalid) as e:
        list(read_records(p, fmt="hh"))
    assert f"{words} {column}" in e.value.message and "at at" not in e.value.message
