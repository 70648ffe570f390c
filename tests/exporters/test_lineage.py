"""Lineage on real data: HH harmless-base (2,312 pairs) imported with HH's own preference as a source judgment,
one trainer's revised and reviewed judgment on top, exported as DPO through the service; every row's lineage
resolves to its source line in the HH file, and `assay lineage` walks back to the judgments and the review.
The dataset card's agreement figures are the dashboard's."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path

import pytest
from tests.conftest import require_file
from typer.testing import CliRunner

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.formats import load_records
from assay.formats.checks import Where
from assay.formats.hh import parse_transcript
from assay.services.accounts import users
from assay.services.annotation import judgments, queue
from assay.services.annotation import review as review_svc
from assay.services.annotation import submissions
from assay.services.projects import exports, lineage, projects
from assay.services.quality import dashboard


def _hh_world(db, shared_data: Path):  # type: ignore[no-untyped-def]
    path = require_file(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz")
    lead = users.add_user(db, "lead-hh", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name="hh", questions=[Question("preference", "pairwise")],
                                                annotators_per_record=2), lead)
    recs = load_records(path, "hh", on_divergence="keep")
    recs = [replace(r, metadata={**r.metadata, "judgments": [
        {"annotator": "hh", "answer": {"choice": "a" if r.metadata["hh_chosen"] == 0 else "b"}}]}) for r in recs]
    got = judgments.import_judgments(db, p.id, recs, "preference", source="hh", actor=lead)
    assert (got.records_created, got.annotations_created) == (2312, 2312)
    return path, p, lead


@pytest.mark.slow
def test_hh_dpo_rows_resolve_to_source_lines_and_judgments(db, settings, shared_data: Path, tmp_path: Path) -> None:
    path, p, lead = _hh_world(db, shared_data)
    # a trainer judges one record twice (two revisions), a reviewer accepts the second
    trainer = users.add_user(db, "trainer-1", "password123")
    task = queue.claim_next(db, p.id, trainer.id)
    assert task is not None
    hh_choice = "a" if task.record.metadata["hh_chosen"] == 0 else "b"
    other = "b" if hh_choice == "a" else "a"
    submissions.submit(db, p.id, task.record_id, trainer.id, {"preference": {"choice": other, "strength": 1}}, 20.0)
    submissions.submit(db, p.id, task.record_id, trainer.id, {"preference": {"choice": hh_choice, "strength": 3}}, 30.0)
    source = exports.export_source(db, p.id)
    mine = next(a for it in source.items if it.record_id == task.record_id for a in it.annotations
                if a.annotator == "trainer-1")
    assert mine.annotation_id is not None
    review_svc.decide(db, p.id, mine.annotation_id, lead, "accepted")

    # min_judgments defaults to the project's k (2): only the record two people judged is exported
    by_k = exports.export_project(db, p.id, "dpo", out_dir=tmp_path / "dpo-k")
    assert by_k.rows == 1 and by_k.counts["excluded_few_judgments"] == 2312 - 5 - 1
    result = exports.export_project(db, p.id, "dpo", out_dir=tmp_path / "dpo", options={"min_judgments": 1})
    rows = [json.loads(line) for line in result.paths["train"].read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2312 - 5  # the 5 divergent HH pairs are excluded
    lines = gzip.open(path, "rt", encoding="utf-8").read().splitlines()
    export_ids = {r["lineage"]["export_id"] for r in rows}
    assert len(export_ids) == 1 and export_ids != {""}
    for row in rows:
        lin = row["lineage"]
        name, _, num = lin["source"].rpartition(":")
        assert name == path.name
        hh = json.loads(lines[int(num) - 1])
        where = Where(name, "line", int(num))
        chosen, rejected = parse_transcript(hh["chosen"], where, "chosen"), parse_transcript(hh["rejected"], where, "rejected")
        assert row["chosen"][0]["content"] == chosen[-1].content
        assert row["rejected"][0]["content"] == rejected[-1].content
        assert [m["content"] for m in row["prompt"]] == [m.content for m in chosen[:-1]]
        assert row["strength"] is None or row["record_id"] == task.record_id  # HH gives no strength: null
        assert len(lin["annotation_ids"]) == len(lin["annotators"]) == row["num_judgments"]

    # walk one row back: the judged record has both judgments, the trainer's two revisions and the review
    number = next(i for i, r in enumerate(rows, start=1) if r["record_id"] == task.record_id)
    row = rows[number - 1]
    assert row["num_judgments"] == 2 and row["strength"] == 3.0
    walk = lineage.walk(db, row, data_folder=path.parent)
    assert walk["source_file"]["line"] == int(row["lineage"]["source"].rpartition(":")[2])
    assert json.loads(walk["source_file"]["text"]) == json.loads(lines[walk["source_file"]["line"] - 1])
    by_who = {j["annotator"]: j for j in walk["judgments"]}
    assert set(by_who) == {"trainer-1", "ext-hh-hh"}
    t = by_who["trainer-1"]
    assert [r["answers"]["preference"]["choice"] for r in t["revisions"]] == [other, hh_choice]
    assert [(r["decision"], r["revision"]) for r in t["reviews"]] == [("accepted", 2)]

    # the CLI walks the same row from the file
    from assay.cli.main import app

    env = {"ASSAY_DATA_DIR": str(settings.data_dir), "ASSAY_DATABASE_URL": settings.resolved_database_url}
    out = CliRunner().invoke(app, ["lineage", f"{result.paths['train']}:{number}", "--data", str(path.parent)],
                             env=env)
    assert out.exit_code == 0, out.output
    assert f"record {task.record_id}" in out.output and "review of revision 2" in out.output
    assert "trainer-1" in out.output and f"{path.name} line" in out.output
    as_json = CliRunner().invoke(app, ["lineage", f"{result.paths['train']}:{number}", "--json"], env=env)
    assert as_json.exit_code == 0 and json.loads(as_json.output)["record_id"] == task.record_id

    # the card's agreement figures are the dashboard's own numbers
    card = result.card_path.read_text(encoding="utf-8")
    board = dashboard.dashboard(db, p.id)
    (qa,) = board.agreement
    assert qa.units == 1 and qa.raw is not None
    assert f"| preference: units with two answers or more | {qa.units} |" in card
    assert f"| preference: observed agreement | {qa.raw:.4g} |" in card
    assert f"| annotators who submitted | {len(board.trainers)} |" in card
    assert "| annotators per record (k) | 2 |" in card
    assert f"| export id (every row's `lineage.export_id`) | {export_ids.pop()} |" in card
    assert f"imported file {path.name}: 2312 records" in card
