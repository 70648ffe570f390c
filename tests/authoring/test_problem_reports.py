"""Report a problem: the reported record leaves the reporter's queue (not others'); leads see and resolve."""

from __future__ import annotations

import pytest

from assay.services.annotation import queue
from assay.services.site.demo import ensure_demo


@pytest.mark.slow
def test_reported_record_leaves_the_queue_and_lead_resolves(env, web, db) -> None:  # type: ignore[no-untyped-def]
    project = ensure_demo(db).project
    pid = project.id
    c = web.client("annotator1")
    first = queue.claim_next(db, pid, env.trainer.id)
    assert first is not None
    form = c.get(f"/projects/{pid}/records/{first.record_id}/report")
    assert form.status_code == 200 and "offensive content" in form.text
    bad = c.post(f"/projects/{pid}/records/{first.record_id}/report", data={"reason": "other"})
    assert bad.status_code == 422 and "say what the problem is" in bad.text
    r = c.post(f"/projects/{pid}/records/{first.record_id}/report", follow_redirects=False,
               data={"reason": "broken_record", "note": "the second reply is cut off"})
    assert r.status_code == 303 and r.headers["location"] == f"/projects/{pid}/next"
    served = set()
    while (t := queue.claim_next(db, pid, env.trainer.id)) is not None:
        served.add(t.record_id)
        queue.release(db, pid, t.record_id, env.trainer.id, skip_reason="test")
    assert served and first.record_id not in served  # never served to the reporter again
    other = queue.claim_next(db, pid, env.other.id)
    assert other is not None  # others still get records (the reported one stays in the pool)

    assert c.get(f"/api/v1/projects/{pid}/reports").status_code == 403  # trainers do not list reports
    admin = web.client("admin")
    reports = admin.get(f"/api/v1/projects/{pid}/reports").json()
    assert [(x["record_id"], x["reason"], x["reporter"]) for x in reports] == \
        [(first.record_id, "broken_record", "annotator1")]
    page = admin.get(f"/projects/{pid}/reports")
    assert "the second reply is cut off" in page.text
    r = admin.post(f"/projects/{pid}/reports/{reports[0]['id']}/resolve", data={"resolution": "fixed the reply"},
                   follow_redirects=False)
    assert r.status_code == 303
    assert admin.get(f"/api/v1/projects/{pid}/reports").json() == []
    assert admin.get(f"/api/v1/projects/{pid}/reports?state=all").json()[0]["resolution"] == "fixed the reply"
    # an authoring task can be reported too
    chat = env.project_id("chat")
    task = c.post(f"/api/v1/projects/{chat}/authoring/tasks", json={"content": "hi"}).json()
    r = c.post(f"/api/v1/projects/{chat}/reports", json={"reason": "offensive_content", "task_id": task["id"]})
    assert r.status_code == 201 and r.json()["task_id"] == task["id"]


@pytest.mark.slow
def test_annotator_cannot_report_a_record_outside_their_queue(env, web, db) -> None:  # type: ignore[no-untyped-def]
    project = ensure_demo(db).project
    pid = project.id
    theirs = queue.claim_next(db, pid, env.other.id)
    assert theirs is not None
    c = web.client("annotator1")
    r = c.post(f"/projects/{pid}/records/{theirs.record_id}/report", data={"reason": "broken_record", "note": "x"})
    assert r.status_code == 404
    api = c.post(f"/api/v1/projects/{pid}/reports", json={"record_id": theirs.record_id, "reason": "broken_record"})
    assert api.status_code == 404, api.text
