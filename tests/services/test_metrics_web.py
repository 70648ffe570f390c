"""The quality pages and their JSON twins through the real app (TestClient): permissions, charts,
CSV time report, review round trip, my stats showing only the caller's numbers."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.services.accounts import auth, users
from assay.services.annotation import queue
from assay.services.annotation import submissions as annotations
from assay.services.projects import projects, records
from assay.web.app import create_app


def test_dashboard_review_timesheet_and_my_stats(db):
    lead = users.add_user(db, "lead", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name="w", questions=[Question("preference", "pairwise")],
                                                annotators_per_record=2), lead)
    records.import_records(db, p.id, [Record(external_id=f"r{i}", messages=[Message("user", "q")],
                                             completions=[Completion("x", model="m1"), Completion("y", model="m2")])
                                      for i in range(2)])
    names = ("ann1", "ann2")
    for n in names:
        u = users.add_user(db, n, "password123")
        projects.add_member(db, p.id, n)
        while (t := queue.claim_next(db, p.id, u.id)) is not None:
            annotations.submit(db, p.id, t.record_id, u.id, {"preference": {"choice": "a", "strength": 1}}, 600)
    tok = {n: auth.create_api_token(db, users.find_user(db, n).id, "t")[0] for n in ("lead", *names)}
    client = TestClient(create_app(db.settings, db))
    h = {n: {"Authorization": f"Bearer {t}"} for n, t in tok.items()}

    page = client.get(f"/projects/{p.id}/dashboard", headers=h["lead"])
    assert page.status_code == 200 and 'canvas data-chart="0"' in page.text  # charts: tests/web/test_dashboard_charts.py
    assert client.get(f"/projects/{p.id}/dashboard", headers=h["ann1"]).status_code == 403
    board = client.get(f"/api/v1/projects/{p.id}/dashboard", headers=h["lead"]).json()
    assert board["progress"]["done"] == 2 and {t["username"] for t in board["trainers"]} == set(names)
    assert board["agreement"][0]["raw"] == 1.0
    assert client.get(f"/api/v1/projects/{p.id}/dashboard", headers=h["ann1"]).status_code == 403
    mine = client.get(f"/api/v1/projects/{p.id}/my-stats", headers=h["ann1"]).json()
    assert mine["stats"]["username"] == "ann1" and mine["stats"]["submitted"] == 2 and "ann2" not in str(mine)
    assert "ann2" not in client.get(f"/projects/{p.id}/my-stats", headers=h["ann1"]).text

    today = datetime.now(UTC).date()
    csv_text = client.get(f"/projects/{p.id}/timesheet?start={today}&end={today}&format=csv", headers=h["lead"]).text
    assert csv_text.splitlines()[1] == f"ann1,{today},0.3333,2,2"
    js = client.get(f"/api/v1/projects/{p.id}/timesheet", params={"start": str(today), "end": str(today)},
                    headers=h["lead"]).json()
    assert [r["username"] for r in js] == list(names)

    projects.add_member(db, p.id, "ann2", role="reviewer")
    items = client.get(f"/api/v1/projects/{p.id}/review/queue", headers=h["ann2"]).json()
    assert {i["annotator"] for i in items} == {"ann1"}  # never their own
    assert client.get(f"/projects/{p.id}/review", headers=h["ann2"]).status_code == 200
    r = client.post(f"/api/v1/projects/{p.id}/annotations/{items[0]['annotation_id']}/review",
                    json={"decision": "rejected", "comment": "B is better: A invents a date"}, headers=h["ann2"])
    assert r.status_code == 200 and r.json()["action"] == "returned"
    task = client.post(f"/api/v1/projects/{p.id}/next", headers=h["ann1"]).json()
    assert task["feedback"] == "B is better: A invents a date" and task["record_id"] == items[0]["record_id"]
    assert client.get(f"/api/v1/projects/{p.id}/review/queue", headers=h["ann1"]).status_code == 403
    ranking = client.get(f"/api/v1/projects/{p.id}/model-ranking?bootstrap=10", headers=h["lead"]).json()
    assert ranking["models"][0]["model"] == "m1"
