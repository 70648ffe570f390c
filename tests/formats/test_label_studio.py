"""Label Studio JSON exports → records, judgments and suggestions: a real Label Studio 1.23 export (see
tests/fixtures/label_studio/README.md), hand-made tasks for every result type, and malformed input whose
error names the task and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import require_file
from typer.testing import CliRunner

from assay.cli.main import app
from assay.config import load_settings
from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.errors import Invalid
from assay.formats import interchange, label_studio, read_records
from assay.services.accounts import users
from assay.services.annotation import judgments
from assay.services.annotation.suggestions import list_suggestions
from assay.services.projects import projects, records
from assay.services.projects.exports import export_source
from assay.store.db import open_db

FIXTURE = Path(__file__).parent.parent / "fixtures" / "label_studio" / "export_1_23.json"
QUESTIONS = [
    Question("preference", "pairwise"),
    Question("spans", "spans", required=False, options={"labels": ["harmful", "evasive"]}),
    Question("safety", "labels", options={"choices": ["safe", "unsafe", "refusal"], "multi": True}),
    Question("helpfulness", "rating", options={"dimensions": [{"name": "overall", "min": 1, "max": 5}]}),
    Question("rationale", "text", required=False),
]


def export() -> list[dict[str, Any]]:
    return list(json.loads(require_file(FIXTURE).read_text()))


def _who(ann: dict[str, Any]) -> str:
    by = ann["completed_by"]
    if isinstance(by, dict) and by.get("email"):
        return str(by["email"])
    return str(ann.get("created_username", "")).split(",")[0].strip() or f"ls-user-{by}"


def test_real_label_studio_1_23_export():
    tasks = export()
    got = label_studio.read(FIXTURE, QUESTIONS)
    assert len(got.records) == len(tasks) and got.skipped == []
    kept = [a for t in tasks for a in t["annotations"] if not a["was_cancelled"] and a["result"]]
    cancelled = [a for t in tasks for a in t["annotations"] if a["was_cancelled"]]
    assert cancelled and got.judgments == len(kept)
    assert got.stats.counts["label_studio_cancelled_skipped"] == len(cancelled)
    assert got.annotators == sorted({_who(a) for a in kept}) and len(got.annotators) == 2
    assert got.suggestions == sum(len({r["from_name"] for p in t["predictions"] for r in p["result"]})
                                  for t in tasks)
    for rec, task in zip(got.records, tasks, strict=True):
        data = task["data"]
        assert rec.external_id == data["assay_id"]
        assert [m.content for m in rec.messages] == [m["content"] for m in data["messages"]]
        assert [c.text for c in rec.completions] == [data["answer1"], data["answer2"]]
        by_user = {j["annotator"]: j for j in rec.metadata.get("judgments", [])}
        for ann in task["annotations"]:
            if ann["was_cancelled"]:
                assert _who(ann) not in by_user
                continue
            j = by_user[_who(ann)]
            assert j["active_seconds"] == pytest.approx(ann["lead_time"])
            for item in ann["result"]:
                answer = j["answers"][item["from_name"]]
                v = item["value"]
                if item["type"] == "pairwise":
                    assert answer == {"choice": "a" if v["selected"] == "left" else "b", "strength": None}
                elif item["type"] == "choices":
                    assert answer == {"labels": [c for c in ["safe", "unsafe", "refusal"] if c in v["choices"]]}
                elif item["type"] == "rating":
                    assert answer == {"scores": {"0": {"overall": v["rating"]}}}
                elif item["type"] == "textarea":
                    assert answer == {"text": "\n".join(v["text"])}
                else:
                    (span,) = answer["spans"]
                    assert (span["start"], span["end"], span["label"]) == (v["start"], v["end"], v["labels"][0])
                    assert span["text"] == v["text"] == data["answer1"][v["start"]:v["end"]]
        (pred,) = task["predictions"]
        sug = rec.metadata["suggestions"]["preference"]
        assert sug["model"] == pred["model_version"]
        assert rec.metadata["label_studio"]["prediction_scores"]["preference"] == pytest.approx(pred["score"])


def test_detect_and_auto_sniff(shared_data):
    assert label_studio.detect(require_file(FIXTURE)) and interchange.which(FIXTURE) == "label_studio"
    hh = shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz"
    assert not label_studio.detect(hh) and interchange.which(hh) is None
    recs = list(read_records(FIXTURE))  # auto: sniffed from the first task
    assert [r.external_id for r in recs] == [t["data"]["assay_id"] for t in export()]
    assert all(r.source.startswith("export_1_23.json:") for r in recs)


def test_without_a_matching_question_results_are_skipped_with_task_and_field():
    tasks = export()
    got = label_studio.read(FIXTURE, [q for q in QUESTIONS if q.name != "rationale"])
    want = {(i, f"annotations[{a}].result[{r}].from_name")
            for i, t in enumerate(tasks, 1) for a, ann in enumerate(t["annotations"])
            for r, item in enumerate(ann["result"]) if item["from_name"] == "rationale"}
    assert {(s.task, s.field) for s in got.skipped} == want
    assert all(s.reason == "the project has no question 'rationale'" for s in got.skipped)
    assert "task 1, field annotations[0]" in str(got.skipped[0])


def _write(tmp_path: Path, tasks: list[dict[str, Any]]) -> Path:
    p = tmp_path / "ls.json"
    p.write_text(json.dumps(tasks, ensure_ascii=False))
    return p


def _task(result: list[dict[str, Any]], **data: Any) -> dict[str, Any]:
    d = {"prompt": "Say hi", "answer1": "Hi 😀 friend", "answer2": "Go away"} | data
    return {"id": 1, "data": d, "annotations": [{"id": 9, "completed_by": {"id": 3, "email": "x@y.org"},
                                                 "result": result, "was_cancelled": False, "lead_time": 4}]}


def test_every_result_type_and_utf16_offsets(tmp_path):
    items = [
        {"from_name": "order", "to_name": "items", "type": "ranker", "value": {"ranker": {"items": ["b2", "a1"]}}},
        # "friend" starts at code point 5 but at UTF-16 unit 6 (the emoji is two units)
        {"from_name": "spans", "to_name": "r1", "type": "labels",
         "value": {"start": 6, "end": 12, "text": "friend", "labels": ["evasive"]}},
        {"from_name": "preference", "to_name": "r2,r1", "type": "pairwise", "value": {"selected": "left"}},
    ]
    task = {"id": 4, "data": {"prompt": "Say hi", "items": [{"id": "a1", "body": "Hi 😀 friend"},
                                                             {"id": "b2", "body": "Go away"}]},
            "annotations": [{"completed_by": 5, "result": items}]}
    qs = [Question("order", "ranking"), Question("preference", "pairwise"),
          Question("spans", "spans", options={"labels": ["evasive"]})]
    got = label_studio.read(_write(tmp_path, [task]), qs, label_config="""<View>
      <List name="items" value="$items"/><Text name="r1" value="$a1"/><Text name="r2" value="$b2"/></View>""")
    (j,) = got.records[0].metadata["judgments"]
    assert j["annotator"] == "ls-user-5"
    assert j["answers"]["order"] == {"order": [[1], [0]]}
    assert j["answers"]["spans"]["spans"][0] | {} == {"completion": 0, "start": 5, "end": 11, "label": "evasive",
                                                      "note": "", "text": "friend"}
    assert j["answers"]["preference"] == {"choice": "b", "strength": None}  # left is r2 = completion 1


@pytest.mark.parametrize(("task", "field"), [
    ({"id": 1, "annotations": []}, "data"),
    ({"id": 1, "data": {"answer1": "x"}, "annotations": []}, "data"),
    (_task([{"from_name": "helpfulness", "to_name": "answer1", "type": "rating", "value": {"rating": "4"}}]),
     "annotations[0].result[0].value.rating"),
    (_task([{"from_name": "safety", "to_name": "prompt", "type": "choices", "value": {"choices": ["meh"]}}]),
     "annotations[0].result[0] (from_name 'safety')"),
    (_task([{"from_name": "preference", "to_name": "answer1,answer2", "type": "pairwise",
             "value": {"selected": "middle"}}]), "annotations[0].result[0].value.selected"),
    (_task([{"from_name": "spans", "to_name": "answer2", "type": "labels",
             "value": {"start": 3, "end": 90, "text": "nowhere", "labels": ["harmful"]}}]),
     "annotations[0].result[0].value"),
    (_task([{"from_name": "spans", "to_name": "prompt", "type": "labels",
             "value": {"start": 0, "end": 3, "text": "Say", "labels": ["harmful"]}}]),
     "annotations[0].result[0].to_name"),
    (_task([{"to_name": "prompt", "type": "choices", "value": {"choices": ["safe"]}}]),
     "annotations[0].result[0].from_name"),
    (_task([{"from_name": "rationale", "to_name": "prompt", "type": "rating", "value": {"rating": 2}}]),
     "annotations[0].result[0].from_name"),
    ({"id": 1, "data": {"prompt": "p"}, "annotations": [{"completed_by": None, "result": []}]},
     "annotations[0].completed_by"),
])
def test_malformed_tasks_name_the_task_and_field(tmp_path, task, field):
    good = _task([])
    with pytest.raises(Invalid) as e:
        label_studio.read(_write(tmp_path, [good | {"id": 0, "data": good["data"] | {"assay_id": "ok"}}, task]),
                          QUESTIONS)
    assert e.value.details["field"] == field
    assert e.value.details["unit"] == "task"
    assert str(e.value).startswith("ls.json task 2")


def test_json_min_and_empty_exports_are_refused(tmp_path):
    p = _write(tmp_path, [{"id": 1, "text": "x", "sentiment": "Positive", "annotator": 1}])
    with pytest.raises(Invalid, match="not a Label Studio task .* export the project as JSON"):
        label_studio.read(p)
    with pytest.raises(Invalid, match="no tasks"):
        label_studio.read(_write(tmp_path, []))


def test_import_into_a_project_through_the_services(db):
    lead = users.add_user(db, "lead-ls", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name="ls", questions=QUESTIONS, annotators_per_record=2), lead)
    got = label_studio.read(require_file(FIXTURE), p.questions)
    assert records.import_records(db, p.id, got.records).created == len(got.records)
    r = judgments.import_judgments(db, p.id, got.records, None, source="label-studio", actor=lead)
    assert (r.annotations_created, r.annotations_skipped) == (got.judgments, 0)
    src = export_source(db, p.id)
    stored = {(i.record.external_id, a.annotator): (a.answers, a.active_seconds) for i in src.items
              for a in i.annotations}
    for rec in got.records:
        for j in rec.metadata.get("judgments", []):
            user = judgments.external_username("label-studio", j["annotator"])
            assert stored[(rec.external_id, user)] == (j["answers"], pytest.approx(j["active_seconds"]))
    item = src.items[0]
    sugs = list_suggestions(db, p.id, item.record_id)
    assert {s.question for s in sugs} == set(got.records[0].metadata["suggestions"])
    again = judgments.import_judgments(db, p.id, got.records, None, source="label-studio", actor=lead)
    assert again.annotations_created == 0 and again.records_existing == len(got.records)


PROJECT_YAML = """
name: ls-cli
annotators_per_record: 2
questions:
  - {name: preference, kind: pairwise}
  - {name: safety, kind: labels, options: {choices: [safe, unsafe, refusal], multi: true}}
  - {name: helpfulness, kind: rating, options: {dimensions: [{name: overall, min: 1, max: 5}]}}
"""


@pytest.mark.slow
def test_cli_records_import_reads_the_export(tmp_path, settings):
    env = {"ASSAY_DATA_DIR": str(settings.data_dir), "ASSAY_DATABASE_URL": settings.database_url}
    spec = tmp_path / "p.yaml"
    spec.write_text(PROJECT_YAML)
    runner = CliRunner()
    assert runner.invoke(app, ["projects", "create", str(spec)], env=env).exit_code == 0
    r = runner.invoke(app, ["records", "import", "ls-cli", str(require_file(FIXTURE))], env=env)  # auto-detected
    assert r.exit_code == 0, r.output
    got = label_studio.read(FIXTURE, [q for q in QUESTIONS if q.name in ("preference", "safety", "helpfulness")])
    assert f"{len(got.records)} records added" in r.output
    assert f"{got.judgments} annotations by 2 annotators" in r.output
    assert f"{len(got.skipped)} results skipped" in r.output and "skipped task 1, field annotations[0]" in r.output
    db = open_db(load_settings(data_dir=settings.data_dir, database_url=settings.database_url or None))
    try:
        src = export_source(db, projects.find_project(db, "ls-cli").id)
        assert sum(len(i.annotations) for i in src.items) == got.judgments
    finally:
        db.close()


def test_the_quick_export_has_ids_only():
    """The Data Manager's Export button writes annotators and predictions as ids: the same judgments,
    attributed to ls-user-<id>, and every prediction reported as skipped."""
    quick_path = require_file(FIXTURE.with_name("export_1_23_quick.json"))
    quick = label_studio.read(quick_path, QUESTIONS)
    full = label_studio.read(FIXTURE, QUESTIONS)
    email_of = {f"ls-user-{a['completed_by']['id']}": a["completed_by"]["email"]
                for t in export() for a in t["annotations"]}
    assert sorted(email_of[a] for a in quick.annotators) == full.annotators
    assert quick.suggestions == 0 and quick.judgments == full.judgments
    raw = json.loads(quick_path.read_text())
    assert [(s.task, s.field) for s in quick.skipped] == [(i, f"predictions[{j}]") for i, t in enumerate(raw, 1)
                                                         for j, _ in enumerate(t["predictions"])]
    for a, b in zip(quick.records, full.records, strict=True):
        assert {email_of[j["annotator"]]: j["answers"] for j in a.metadata.get("judgments", [])} == \
            {j["annotator"]: j["answers"] for j in b.metadata.get("judgments", [])}
