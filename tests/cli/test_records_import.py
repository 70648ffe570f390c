"""`assay records import`: the HH test split, and malformed files that must change nothing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.main import app
from assay.config import load_settings
from assay.services.projects import projects
from assay.store.db import open_db

pytestmark = pytest.mark.slow  # imports real data sets (2312 HH pairs and more)

runner = CliRunner()
PROJECT_YAML = """
name: hh
annotators_per_record: 2
questions:
  - {name: preference, kind: pairwise}
  - {name: rationale, kind: text, required: false}
"""


@pytest.fixture
def cli_env(tmp_path: Path, settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = {"ASSAY_DATA_DIR": str(settings.data_dir), "ASSAY_DATABASE_URL": settings.database_url}
    spec = tmp_path / "hh.yaml"
    spec.write_text(PROJECT_YAML)
    r = runner.invoke(app, ["projects", "create", str(spec)], env=env)
    assert r.exit_code == 0, r.output
    return env


def count(env: dict[str, str]) -> int:
    s = load_settings(data_dir=Path(env["ASSAY_DATA_DIR"]), database_url=env["ASSAY_DATABASE_URL"] or None)
    db = open_db(s)
    try:
        return projects.progress(db, projects.find_project(db, "hh").id).records
    finally:
        db.close()


def test_hh_test_split(cli_env, shared_data):  # type: ignore[no-untyped-def]
    path = shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz"
    r = runner.invoke(app, ["records", "import", "hh", str(path), "--format", "hh"], env=cli_env)
    assert r.exit_code == 0, r.output
    assert "2312 records added" in r.output
    assert count(cli_env) == 2312
    again = runner.invoke(app, ["records", "import", "hh", str(path), "--format", "hh"], env=cli_env)
    assert "0 records added, 2312 already there" in again.output

    from assay.services.projects.exports import export_source

    s = load_settings(data_dir=Path(cli_env["ASSAY_DATA_DIR"]), database_url=cli_env["ASSAY_DATABASE_URL"] or None)
    db = open_db(s)
    try:
        src = export_source(db, projects.find_project(db, "hh").id)
    finally:
        db.close()
    with gzip.open(path, "rt") as f:
        first = json.loads(f.readline())
    rec = next(i.record for i in src.items if i.record.source.endswith(":1"))
    # The shared prefix is the conversation: it ends with a human turn; the two last replies are the completions.
    assert rec.messages[-1].role == "user"
    assert rec.messages[0].content in first["chosen"]
    chosen_reply = first["chosen"].rsplit("\n\nAssistant:", 1)[1].strip()
    rejected_reply = first["rejected"].rsplit("\n\nAssistant:", 1)[1].strip()
    assert sorted(c.text for c in rec.completions) == sorted([chosen_reply, rejected_reply])
    divergent = [i.record for i in src.items if "hh_divergence" in i.record.metadata]
    assert len(divergent) == 5


def test_hh_divergence_can_be_refused(cli_env, shared_data):  # type: ignore[no-untyped-def]
    path = shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz"
    r = runner.invoke(app, ["records", "import", "hh", str(path), "--format", "hh", "--on-divergence", "error"],
                      env=cli_env)
    assert r.exit_code == 1
    assert "line" in r.output and "diverge" in r.output.lower()
    assert count(cli_env) == 0
    r = runner.invoke(app, ["records", "import", "hh", str(path), "--format", "hh", "--on-divergence", "skip"],
                      env=cli_env)
    assert "2307 records added" in r.output


GOOD = {"id": "x1", "prompt": "hi", "completions": [{"model": "m", "text": "a"}, {"model": "m", "text": "b"}]}


def _lines(*rows: object) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n"


@pytest.mark.parametrize("name, content, expect", [
    ("broken-json", _lines(GOOD, '{"id": "x2", "prompt": "oops"', GOOD | {"id": "x3"}), ["line 2"]),
    ("missing-field", _lines(GOOD, {"id": "x2", "completions": GOOD["completions"]}, GOOD | {"id": "x3"}),
     ["line 2", "messages"]),
    ("wrong-type", _lines(GOOD, GOOD | {"id": "x2", "completions": [{"model": "m", "text": 42}, {"text": "b"}]}),
     ["line 2", "completions[0].text"]),
    ("empty", "", ["no records"]),
    ("too-few-completions", _lines(GOOD, GOOD | {"id": "x2", "completions": [{"text": "only one"}]}),
     ["line 2", "completions"]),
])
def test_malformed_imports_change_nothing(cli_env, tmp_path, name, content, expect):  # type: ignore[no-untyped-def]
    f = tmp_path / f"{name}.jsonl"
    f.write_text(content)
    r = runner.invoke(app, ["records", "import", "hh", str(f), "--format", "assay"], env=cli_env)
    assert r.exit_code == 1, r.output
    out = " ".join(r.output.split())
    for e in expect:
        assert e in out, out
    assert count(cli_env) == 0


def test_50mb_line_is_refused_without_change(cli_env, tmp_path):  # type: ignore[no-untyped-def]
    f = tmp_path / "huge.jsonl"
    with f.open("w") as out:
        out.write(json.dumps(GOOD) + "\n")
        out.write(json.dumps(GOOD | {"id": "big", "prompt": "x" * (50 * 1024 * 1024)}) + "\n")
    r = runner.invoke(app, ["records", "import", "hh", str(f), "--format", "assay"], env=cli_env)
    assert r.exit_code == 1
    out = " ".join(r.output.split())
    assert "line 2" in out
    assert count(cli_env) == 0
