"""An import's `gold` / `expected` field: read by every row format, checked against the project's questions
by the import (line and field named, nothing stored on error), stored as a gold record (both databases)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from assay.errors import Invalid
from assay.formats.reader import load_records

A = {"preference": {"choice": "a"}}


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _row(i: int, **extra: Any) -> dict[str, Any]:
    return {"id": f"g{i}", "prompt": f"q{i}", "completions": ["x", "y"], **extra}


def test_readers_take_the_field(tmp_path: Path) -> None:
    recs = load_records(_jsonl(tmp_path / "a.jsonl", [
        _row(0, expected=A), _row(1, gold=A), _row(2, gold=True, expected=A), _row(3, gold=False), _row(4)]))
    assert [r.expected for r in recs] == [A, A, A, None, None]
    assert all("expected" not in r.metadata and "gold" not in r.metadata for r in recs)
    # an OpenAI chat row (extra keys otherwise land in metadata) and a CSV column holding JSON text
    chat = load_records(_jsonl(tmp_path / "c.jsonl", [{"id": "c1", "messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}], "expected": {"verdict": {"labels": ["ok"]}}}]))
    assert chat[0].expected == {"verdict": {"labels": ["ok"]}} and "expected" not in chat[0].metadata
    with (tmp_path / "p.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "prompt", "response", "gold", "expected"])
        w.writerow(["p1", "q", "r", "yes", json.dumps(A)])
        w.writerow(["p2", "q", "r", "no", ""])
    rows = load_records(tmp_path / "p.csv")
    assert [r.expected for r in rows] == [A, None]


@pytest.mark.parametrize("extra, field", [
    ({"gold": True}, "expected"), ({"expected": "{oops"}, "expected"), ({"expected": {"preference": "a"}}, "expected.preference"),
    ({"expected": []}, "expected"), ({"gold": "maybe"}, "gold"), ({"gold": A, "expected": {"x": {}}}, "expected"),
])
def test_malformed_field_names_line_and_field(tmp_path: Path, extra: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as e:
        load_records(_jsonl(tmp_path / "bad.jsonl", [_row(0), _row(1, **extra)]))
    assert "line 2" in e.value.message and e.value.details["field"] == field


def test_import_stores_gold_and_checks_against_the_questions(settings: Any, tmp_path: Path) -> None:
    from tests.web.records_world import make_world

    from assay.services.projects import records
    from assay.services.quality import gold_records

    w = make_world(settings, n=2)
    try:
        good = load_records(_jsonl(tmp_path / "g.jsonl", [_row(0, expected={"preference": {"choice": "b", "strength": 1}}),
                                                          _row(1)]))
        assert records.import_records(w.db, w.project_id, good).created == 2
        got = {g.external_id: g.expected for g in gold_records.list_gold(w.db, w.project_id, None)}
        assert list(got) == ["g0"] and got["g0"]["preference"]["choice"] == "b"
        for bad, field in ((_row(3, expected={"preference": {"choice": "c"}}), "expected.preference"),
                           (_row(3, expected={"nope": {"choice": "a"}}), "expected.nope")):
            recs = load_records(_jsonl(tmp_path / "b.jsonl", [_row(2), bad]))
            with pytest.raises(Invalid) as e:
                records.import_records(w.db, w.project_id, recs)
            assert "b.jsonl line 2" in e.value.message and e.value.details["field"] == field
        page = w.client("lead").get(f"/api/v1/projects/{w.project_id}/records-table", params={"size": 200}).json()
        assert {r["external_id"] for r in page["rows"]} == {"r00", "r01", "g0", "g1"}  # nothing of the bad files
        assert [r["external_id"] for r in page["rows"] if r["is_gold"]] == ["g0"]
        # the JSON API's records take the field too
        r = w.client("lead").post(f"/api/v1/projects/{w.project_id}/records",
                                  json=[{"id": "api1", "prompt": "q", "completions": [{"text": "x"}, {"text": "y"}],
                                         "expected": A}])
        assert r.status_code == 200, r.text
        assert "api1" in {g.external_id for g in gold_records.list_gold(w.db, w.project_id, None)}
    finally:
        w.db.close()
