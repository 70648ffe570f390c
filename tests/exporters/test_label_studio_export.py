"""The Label Studio export: Assay answers as Label Studio tasks, and the round trip
Label Studio 1.23 export → Assay → Label Studio JSON → Assay keeping every annotation."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.conftest import require_file
from tests.web.conftest import live_server  # noqa: F401 - the fixture

from assay.domain.annotations import AnnotationView, ExportSource, JudgedRecord
from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.exporters import EXPORTERS, export
from assay.exporters.label_studio import label_studio_rows, utf16
from assay.formats import label_studio
from assay.services.accounts import users
from assay.services.annotation import judgments
from assay.services.projects import projects, records
from assay.services.projects.exports import export_project, export_source

FIXTURE = Path(__file__).parent.parent / "fixtures" / "label_studio" / "export_1_23.json"
QUESTIONS = [
    Question("preference", "pairwise"),
    Question("spans", "spans", required=False, options={"labels": ["harmful", "evasive"]}),
    Question("safety", "labels", options={"choices": ["safe", "unsafe", "refusal"], "multi": True}),
    Question("helpfulness", "rating", options={"dimensions": [{"name": "overall", "min": 1, "max": 5}]}),
    Question("rationale", "text", required=False),
]


def _source() -> ExportSource:
    qs = [Question("pref", "pairwise"), Question("order", "ranking"),
          Question("quality", "rating", options={"dimensions": [{"name": "help", "min": 1, "max": 5},
                                                                {"name": "safe", "min": 1, "max": 5}]}),
          Question("marks", "spans", options={"labels": ["wrong"]}),
          Question("tags", "labels", options={"choices": ["x", "y"], "per_completion": True, "multi": True})]
    rec = Record("r1", [Message("user", "Say hi")], [Completion("Hi 😀 friend", "m1"), Completion("Bye", "m2")])
    at = datetime(2026, 12, 1, tzinfo=UTC)
    anns = [
        AnnotationView("ann", {"pref": {"choice": "b", "strength": 3}, "order": {"order": [[1], [0]]},
                               "quality": {"scores": {"0": {"help": 4, "safe": 5}, "1": {"help": 2, "safe": 5}}},
                               "marks": {"spans": [{"completion": 0, "start": 5, "end": 11, "label": "wrong",
                                                    "note": "not a friend", "text": "friend"}], "none_found": False},
                               "tags": {"per_completion": {"0": ["x"], "1": ["x", "y"]}}}, at, 42.0),
        AnnotationView("bob", {"pref": {"choice": "tie", "strength": None}, "order": {"order": [[0, 1]]}}, at, 3.0),
        AnnotationView("eve", {"pref": {"choice": "a", "strength": 1}}, at, 1.0, review="rejected"),
    ]
    return ExportSource("p", qs, [JudgedRecord(7, rec, anns)])


def test_answers_become_label_studio_result_items():
    table = label_studio_rows(_source())
    (task,) = table.rows
    assert task["data"]["answer1"] == "Hi 😀 friend" and task["data"]["models"] == ["m1", "m2"]
    assert [i["id"] for i in task["data"]["items"]] == ["answer1", "answer2"]
    ann, bob = task["annotations"]  # eve's annotation was rejected by review
    assert (ann["created_username"], ann["lead_time"]) == ("ann", 42.0)
    by = {r["from_name"]: r for r in ann["result"]}
    assert by["pref"]["value"] == {"selected": "right", "assay_strength": 3}
    assert by["pref"]["to_name"] == "answer1,answer2"
    assert by["order"]["value"] == {"ranker": {"items": ["answer2", "answer1"]}}
    assert by["quality__safe__answer2"] == by["quality__safe__answer2"] | {"to_name": "answer2",
                                                                          "value": {"rating": 5}}
    span = by["marks__answer1"]["value"]
    assert (span["start"], span["end"]) == (utf16("Hi 😀 friend", 5), utf16("Hi 😀 friend", 11)) == (6, 12)
    assert by["marks__answer1"]["meta"] == {"text": ["not a friend"]}
    assert by["tags__answer2"]["value"] == {"choices": ["x", "y"]}
    assert [r["from_name"] for r in bob["result"]] == ["order"]
    assert table.counts["pairwise_ties_not_written"] == 1 and table.counts["ranking_ties_flattened"] == 1
    names = {el.get("name") for el in ET.fromstring(table.snippet.split('"""')[1]).iter() if el.get("name")}
    assert {r["from_name"] for a in task["annotations"] for r in a["result"]} <= names


def test_round_trip_of_hand_made_answers(tmp_path):
    src = _source()
    res = export(src, "label-studio", tmp_path, file_format="jsonl")  # always written as a JSON array
    path = res.paths["train"]
    assert path.name == "train.json" and isinstance(json.loads(path.read_text()), list)
    assert "label-studio" in EXPORTERS and "<Pairwise" in res.card_path.read_text()
    got = label_studio.read(path, src.questions)
    (j_ann, j_bob) = got.records[0].metadata["judgments"]
    assert j_ann["annotator"] == "ann" and j_ann["active_seconds"] == 42.0
    want = src.items[0].annotations[0].answers
    assert j_ann["answers"]["marks"] == want["marks"] and j_ann["answers"]["quality"] == want["quality"]
    assert j_ann["answers"]["pref"] == want["pref"] and j_ann["answers"]["order"] == want["order"]
    assert j_ann["answers"]["tags"] == want["tags"]
    assert j_bob["answers"] == {"order": {"order": [[0], [1]]}}  # the tie group flattened, counted above


def test_round_trip_from_a_real_label_studio_export(db, tmp_path):
    first = label_studio.read(require_file(FIXTURE), QUESTIONS)
    lead = users.add_user(db, "lead-rt", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name="rt", questions=QUESTIONS, annotators_per_record=2), lead)
    records.import_records(db, p.id, first.records)
    judgments.import_judgments(db, p.id, first.records, None, source="label-studio", actor=lead)
    res = export_project(db, p.id, "label-studio", out_dir=tmp_path / "out")
    assert res.file_format == "json" and res.counts["annotations"] == first.judgments
    tasks = json.loads(res.paths["train"].read_text())
    assert len(tasks) == len(first.records)
    back = label_studio.read(res.paths["train"], QUESTIONS)
    assert back.skipped == [] and back.judgments == first.judgments

    def key(rec: Record) -> tuple[str, list[str]]:
        return rec.external_id, [c.text for c in rec.completions]

    before = {key(r)[0]: r for r in first.records}
    for rec in back.records:
        orig = before[rec.external_id]
        assert key(rec) == key(orig) and [m.content for m in rec.messages] == [m.content for m in orig.messages]
        want = {judgments.external_username("label-studio", j["annotator"]): j["answers"]
                for j in orig.metadata.get("judgments", [])}
        got = {j["annotator"]: j["answers"] for j in rec.metadata.get("judgments", [])}
        assert got == want
        secs = {j["annotator"]: j["active_seconds"] for j in rec.metadata.get("judgments", [])}
        assert secs == {judgments.external_username("label-studio", j["annotator"]): pytest.approx(j["active_seconds"])
                        for j in orig.metadata.get("judgments", [])}
    assert sum(len(i.annotations) for i in export_source(db, p.id).items) == first.judgments


@pytest.mark.slow
@pytest.mark.browser
def test_export_form_offers_label_studio_json(live_server, page):  # type: ignore[no-untyped-def]  # noqa: F811
    """Import the real Label Studio export, then export it from the project page's form in a browser: the
    zip holds train.json (Label Studio tasks) and the card with a label config. Saves the docs screenshot."""
    import io
    import zipfile

    from tests.web.test_browser_loop import login

    url, db = live_server.url, live_server.db
    got = label_studio.read(require_file(FIXTURE), QUESTIONS)
    admin = users.find_user(db, "admin")
    p = projects.create_project(db, ProjectSpec(name="from-label-studio", questions=QUESTIONS,
                                                annotators_per_record=2), admin)
    records.import_records(db, p.id, got.records)
    judgments.import_judgments(db, p.id, got.records, None, source="label-studio", actor=admin)
    login(page, url, "admin", "admin-demo-pass")
    page.set_viewport_size({"width": 1100, "height": 800})
    page.goto(f"{url}/projects/{p.id}")
    page.select_option("select[name=fmt]", "label-studio")
    form = page.locator("form[action$='/export']")
    form.scroll_into_view_if_needed()
    docs_img = Path(__file__).resolve().parents[2] / "docs" / "img"
    page.locator("#export").locator("xpath=..").screenshot(path=str(docs_img / "label-studio-export.png"))
    page.click("[data-testid=export]")
    page.wait_for_url(lambda u: "/exports/jobs/" in u)
    page.wait_for_selector("[data-testid=export-done]", timeout=30_000)
    with page.expect_download() as dl:
        page.click("[data-testid=export-download]")
    z = zipfile.ZipFile(io.BytesIO(dl.value.path().read_bytes()))
    assert sorted(z.namelist()) == ["README.md", "train.json"]
    tasks = json.loads(z.read("train.json"))
    assert len(tasks) == len(got.records)
    assert sum(len(t["annotations"]) for t in tasks) == got.judgments
    assert "<Pairwise name=\"preference\"" in z.read("README.md").decode()
    assert not page.js_errors, page.js_errors
