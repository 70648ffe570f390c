"""Argilla v2 exports (to_disk and to_hub layouts, written by the Argilla 2.8 SDK's own export code, see
tests/fixtures/argilla/README.md) → records, judgments and suggestions; malformed exports name the field."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.conftest import require_file

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.errors import Invalid
from assay.formats import argilla, interchange
from assay.services.accounts import users
from assay.services.annotation import judgments
from assay.services.annotation.suggestions import list_suggestions
from assay.services.projects import projects, records
from assay.services.projects.exports import export_source

FIXTURES = Path(__file__).parent.parent / "fixtures" / "argilla"
QUESTIONS = [
    Question("safety", "labels", options={"choices": ["safe", "unsafe"]}),
    Question("flags", "labels", required=False, options={"choices": ["harmful", "evasive", "off_topic"],
                                                         "multi": True}),
    Question("helpfulness", "rating", options={"dimensions": [{"name": "helpfulness", "min": 1, "max": 5}]}),
    Question("rationale", "text", required=False),
    Question("ranking", "ranking"),
    Question("spans", "spans", required=False, options={"labels": ["harmful", "evasive"]}),
]


def disk() -> Path:
    return require_file(FIXTURES / "to_disk" / "records.json").parent


def hub() -> Path:
    return require_file(FIXTURES / "to_hub" / "data" / "train-00000-of-00001.parquet").parent.parent


def test_to_disk_layout_as_written_by_the_sdk():
    raw = json.loads((disk() / "records.json").read_text())
    got = argilla.read(disk(), QUESTIONS)
    assert [r.external_id for r in got.records] == [r["id"] for r in raw]
    users_seen = {x["user_id"] for r in raw for rs in r["responses"].values() for x in rs}
    assert got.annotators == sorted(users_seen) and got.skipped == []
    per_record = [len({x["user_id"] for rs in r["responses"].values() for x in rs}) for r in raw]
    assert got.judgments == sum(per_record)
    assert got.suggestions == sum(len(r["suggestions"]) for r in raw)
    for rec, src in zip(got.records, raw, strict=True):
        assert rec.prompt_text == src["fields"]["prompt"]
        assert [c.text for c in rec.completions] == [src["fields"]["response_a"], src["fields"]["response_b"]]
        by_user = {j["annotator"]: j["answers"] for j in rec.metadata["judgments"]}
        for x in src["responses"]["safety"]:
            assert by_user[x["user_id"]]["safety"] == {"labels": [x["value"]]}
        for x in src["responses"]["ranking"]:
            want = [[["response_a", "response_b"].index(v)] for v in x["value"]]
            assert by_user[x["user_id"]]["ranking"] == {"order": want}
        for x in src["responses"].get("spans", []):
            (span,) = by_user[x["user_id"]]["spans"]["spans"]
            v = x["value"][0]
            assert (span["start"], span["end"], span["label"]) == (v["start"], v["end"], v["label"])
            assert span["text"] == src["fields"]["response_a"][v["start"]:v["end"]]
        sug = rec.metadata["suggestions"]["safety"]
        assert sug["model"] == src["suggestions"]["safety"]["agent"]
        assert rec.metadata["argilla"]["suggestion_scores"]["safety"] == src["suggestions"]["safety"]["score"]


def test_to_hub_layout_keeps_statuses_and_class_labels():
    table = pq.read_table(hub() / "data" / "train-00000-of-00001.parquet").to_pylist()
    got = argilla.read(hub(), QUESTIONS)
    statuses = Counter(s for row in table for q in ("safety", "helpfulness", "ranking", "rationale")
                       for s in row[f"{q}.responses.status"])
    assert got.stats.counts["argilla_draft_responses_skipped"] == statuses["draft"]
    assert got.stats.counts["argilla_discarded_responses_skipped"] == statuses["discarded"]
    assert statuses["draft"] and statuses["discarded"]
    kept = sum(len({u for u, s in zip(row["safety.responses.users"], row["safety.responses.status"], strict=True)
                    if s == "submitted"}) for row in table)
    assert got.judgments == kept
    # label suggestions are stored as ClassLabel numbers in the Parquet: read back as the label text
    on_disk = argilla.read(disk(), QUESTIONS)
    for a, b in zip(got.records, on_disk.records, strict=True):
        assert a.metadata["suggestions"] == b.metadata["suggestions"]
        assert [c.text for c in a.completions] == [c.text for c in b.completions]
        assert a.metadata["argilla"]["metadata"] == b.metadata["argilla"]["metadata"]


def test_zip_and_records_json_and_detect(tmp_path):
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as f:
        for p in disk().rglob("*"):
            if p.is_file():
                f.write(p, f"hh-pairs/{p.relative_to(disk())}")
    assert argilla.detect(z) and argilla.detect(disk()) and argilla.detect(disk() / "records.json")
    assert interchange.which(z) == "argilla" and interchange.which(hub()) == "argilla"
    assert not argilla.detect(FIXTURES.parent) and not argilla.detect(tmp_path / "nothing")
    a = argilla.read(z, QUESTIONS)
    b = argilla.read(disk() / "records.json", QUESTIONS)
    assert [r.to_dict() | {"source": ""} for r in a.records] == [r.to_dict() | {"source": ""} for r in b.records]


def test_questions_the_project_lacks_are_skipped_and_reported():
    got = argilla.read(disk(), [q for q in QUESTIONS if q.name not in ("rationale", "spans")])
    fields = {s.field.split("[")[0] for s in got.skipped}
    assert fields == {"responses.rationale", "responses.spans"}
    assert all(s.task >= 1 and "no question" in s.reason for s in got.skipped)
    assert all("rationale" not in j["answers"] for r in got.records for j in r.metadata["judgments"])


def _copy(tmp_path: Path) -> Path:
    out = tmp_path / "ds"
    shutil.copytree(disk(), out)
    return out


def _edit(folder: Path, fn) -> None:  # type: ignore[no-untyped-def]
    raw = json.loads((folder / "records.json").read_text())
    fn(raw)
    (folder / "records.json").write_text(json.dumps(raw))


@pytest.mark.parametrize(("change", "field"), [
    (lambda raw: raw[2]["responses"]["helpfulness"][0].update(value="four"), "responses.helpfulness[0].value"),
    (lambda raw: raw[1]["responses"]["safety"][0].pop("user_id"), "responses.safety[0].user_id"),
    (lambda raw: raw[3]["responses"]["safety"][0].update(value="maybe"), "responses.safety[0].value"),
    (lambda raw: raw[0]["fields"].update(prompt=7), "fields.prompt"),
    (lambda raw: raw[4].update(id=None, _server_id=None), "id"),
])
def test_malformed_records_name_the_record_and_field(tmp_path, change, field):
    folder = _copy(tmp_path)
    _edit(folder, change)
    with pytest.raises(Invalid) as e:
        argilla.read(folder, QUESTIONS)
    assert e.value.details["field"] == field
    assert "records.json record" in str(e.value)


def test_missing_settings_and_wrong_kinds(tmp_path):
    folder = _copy(tmp_path)
    (folder / ".argilla" / "settings.json").unlink()
    with pytest.raises(Invalid, match="settings.json"):
        argilla.read(folder)
    folder = _copy(tmp_path / "b")
    with pytest.raises(Invalid, match="is a text question") as e:
        argilla.read(folder, [Question("safety", "text")])
    assert e.value.details["field"].startswith("responses.safety")


def test_import_into_a_project_stores_judgments_and_suggestions(db):
    lead = users.add_user(db, "lead-ar", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name="ar", questions=QUESTIONS, annotators_per_record=2), lead)
    got = argilla.read(hub(), p.questions)
    res = records.import_records(db, p.id, got.records)
    assert res.created == len(got.records)
    r = judgments.import_judgments(db, p.id, got.records, None, source="argilla", actor=lead)
    assert (r.annotations_created, r.annotations_skipped, r.annotators) == (got.judgments, 0, len(got.annotators))
    src = export_source(db, p.id)
    stored = {(i.record.external_id, a.annotator.removeprefix("ext-argilla-")): a.answers
              for i in src.items for a in i.annotations}
    for rec in got.records:
        for j in rec.metadata["judgments"]:
            assert stored[(rec.external_id, j["annotator"])] == j["answers"]
    first = next(i for i in src.items if i.record.external_id == got.records[0].external_id)
    sugs = {s.question: s for s in list_suggestions(db, p.id, first.record_id)}
    assert set(sugs) == set(got.records[0].metadata["suggestions"])
    assert sugs["safety"].model == "safety-judge-v1"


PROJECT_YAML = """
name: ar-cli
annotators_per_record: 2
questions:
  - {name: safety, kind: labels, options: {choices: [safe, unsafe]}}
  - {name: ranking, kind: ranking}
"""


@pytest.mark.slow
def test_cli_records_import_reads_a_zipped_folder(tmp_path, settings):
    from typer.testing import CliRunner

    from assay.cli.main import app
    from assay.config import load_settings
    from assay.store.db import open_db

    env = {"ASSAY_DATA_DIR": str(settings.data_dir), "ASSAY_DATABASE_URL": settings.database_url}
    spec = tmp_path / "p.yaml"
    spec.write_text(PROJECT_YAML)
    z = tmp_path / "hh-pairs.zip"
    with zipfile.ZipFile(z, "w") as f:
        for p in hub().rglob("*"):
            if p.is_file():
                f.write(p, f"hh-pairs/{p.relative_to(hub())}")
    runner = CliRunner()
    assert runner.invoke(app, ["projects", "create", str(spec)], env=env).exit_code == 0
    r = runner.invoke(app, ["records", "import", "ar-cli", str(z)], env=env)  # detected as Argilla
    assert r.exit_code == 0, r.output
    got = argilla.read(z, [q for q in QUESTIONS if q.name in ("safety", "ranking")])
    assert f"{len(got.records)} records added" in r.output and "(from" in r.output and "argilla)" in r.output
    assert f"{got.judgments} annotations by {len(got.annotators)} annotators" in r.output
    assert f"{len(got.skipped)} results skipped" in r.output and got.skipped
    db = open_db(load_settings(data_dir=settings.data_dir, database_url=settings.database_url or None))
    try:
        src = export_source(db, projects.find_project(db, "ar-cli").id)
        assert sum(len(i.annotations) for i in src.items) == got.judgments
    finally:
        db.close()
