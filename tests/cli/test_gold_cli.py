"""`assay gold set / unset / list` against the local database (both back ends): all or nothing, errors named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assay.cli.main import app
from tests.web.records_world import RecordsWorld, make_world

runner = CliRunner()


@pytest.fixture
def w(settings: Any) -> Any:
    world = make_world(settings, n=6)
    world.env = {"ASSAY_DATA_DIR": str(settings.data_dir), "ASSAY_DATABASE_URL": settings.database_url or ""}
    yield world
    world.db.close()


def _gold(w: RecordsWorld) -> list[dict[str, Any]]:
    r = runner.invoke(app, ["gold", "list", "prefs", "--json"], env=w.env)  # type: ignore[attr-defined]
    assert r.exit_code == 0, r.output
    return [json.loads(line) for line in r.output.splitlines() if line.strip()]


def test_set_list_unset(w: RecordsWorld, tmp_path: Path) -> None:
    env = w.env  # type: ignore[attr-defined]
    r = runner.invoke(app, ["gold", "set", "prefs", "--ids", "r01,r03", "--expected",
                            '{"preference": {"choice": "b"}}'], env=env)
    assert r.exit_code == 0 and "marked 2 record(s) gold in prefs" in r.output, r.output
    expected = tmp_path / "expected.json"
    expected.write_text('{"preference": {"choice": "a", "strength": 3}}')
    ids = tmp_path / "ids.txt"
    ids.write_text("r04\n\nr05\n")
    r = runner.invoke(app, ["gold", "set", "prefs", "--ids-file", str(ids), "--expected", f"@{expected}"], env=env)
    assert r.exit_code == 0, r.output
    got = _gold(w)
    assert [g["id"] for g in got] == ["r01", "r03", "r04", "r05"]
    assert got[0]["expected"]["preference"]["choice"] == "b"
    assert got[2]["expected"]["preference"]["choice"] == "a"
    r = runner.invoke(app, ["gold", "unset", "prefs", "--ids", "r03"], env=env)
    assert r.exit_code == 0 and "unmarked 1 gold record(s)" in r.output
    assert [g["id"] for g in _gold(w)] == ["r01", "r04", "r05"]
    r = runner.invoke(app, ["gold", "list", "prefs"], env=env)
    assert r.exit_code == 0 and "3 gold record(s)" in r.output


@pytest.mark.parametrize("args, message", [
    (["--ids", "r01,nope", "--expected", '{"preference": {"choice": "a"}}'], "no record with id 'nope'"),
    (["--ids", "r01", "--expected", '{"preference": {"choice": "x"}}'], "preference"),
    (["--ids", "r01", "--expected", '{"colour": {"choice": "a"}}'], "no question 'colour'"),
    (["--ids", "r01", "--expected", "{not json"], "not valid JSON"),
    (["--ids", "r01", "--expected", "[1]"], "JSON object"),
    (["--expected", '{"preference": {"choice": "a"}}'], "name the records"),
])
def test_bad_input_changes_nothing(w: RecordsWorld, args: list[str], message: str) -> None:
    r = runner.invoke(app, ["gold", "set", "prefs", *args], env=w.env)  # type: ignore[attr-defined]
    assert r.exit_code == 1 and "error:" in r.output and message in r.output, r.output
    assert _gold(w) == []
