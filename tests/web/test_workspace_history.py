"""Edit history of submitted annotations, idempotent submits by client id, the trainer's queue page, reviewer
feedback / gold warnings and judge suggestions on the annotate page — through the services and the real app
(TestClient, API tokens), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.errors import Conflict
from assay.services.accounts import auth, users
from assay.services.annotation import history as annotation_history
from assay.services.annotation import queue, review
from assay.services.annotation import submissions as annotations
from assay.services.projects import projects, records
from assay.store.tables_quality import StandingRow
from assay.store.tables_workspace import AnnotationRevisionRow
from assay.web.app import create_app
from tests.web.workspace_support import store_suggestions

A = {"preference": {"choice": "a", "strength": 2}}
B = {"preference": {"choice": "b", "strength": 1}}


def _setup(db: Any, settings: dict[str, Any] | None = None, n: int = 2) -> Any:
    lead = users.add_user(db, "lead", "password123", "lead")
    spec = ProjectSpec(name="h", questions=[Question("preference", "pairwise"),
                                            Question("rank", "ranking", required=False)],
                       annotators_per_record=1, settings=settings or {})
    p = projects.create_project(db, spec, lead)
    records.import_records(db, p.id, [Record(external_id=f"r{i}", messages=[Message("user", "q")],
                                             completions=[Completion("x", model="m1"), Completion("y", model="m2"),
                                                          Completion("z", model="m3")]) for i in range(n)])
    u = users.add_user(db, "u", "password123")
    v = users.add_user(db, "v", "password123")
    for who in ("u", "v"):
        projects.add_member(db, p.id, who)
    return p, lead, u, v


def _revisions(db: Any, user_id: int) -> int:
    with db.write() as s:
        return s.scalar(select(func.count()).select_from(AnnotationRevisionRow)
                        .where(AnnotationRevisionRow.user_id == user_id)) or 0


def test_submits_keep_a_history_and_a_repeated_submission_id_is_not_recorded_twice(db) -> None:
    p, _lead, u, _ = _setup(db)
    t = queue.claim_next(db, p.id, u.id)
    annotations.submit(db, p.id, t.record_id, u.id, A, 10, submission_id="s-1")
    annotations.submit(db, p.id, t.record_id, u.id, A, 12, submission_id="s-1")  # a retry of the same submit
    assert _revisions(db, u.id) == 1
    assert annotation_history.seen(db, u.id, "s-1", t.record_id) and not annotation_history.seen(db, u.id, "s-2")
    annotations.submit(db, p.id, t.record_id, u.id, B, 30, submission_id="s-2")  # an edit
    annotations.submit(db, p.id, t.record_id, u.id, A, 40)  # an edit without a client id (form post)
    hist = annotation_history.history(db, p.id, t.record_id, u.id)
    assert [(r.number, r.answers["preference"]["choice"], r.submission_id) for r in hist] == \
        [(1, "a", "s-1"), (2, "b", "s-2"), (3, "a", None)]
    assert [r.active_seconds for r in hist] == [10, 30, 40] and {r.username for r in hist} == {"u"}
    assert hist[0].created_at <= hist[1].created_at <= hist[2].created_at
    assert queue.current_task(db, p.id, t.record_id, u.id).answers == A
    mine = annotation_history.recent(db, p.id, u.id)
    assert [(m.record_id, m.revisions, m.state, m.editable) for m in mine] == [(t.record_id, 3, "submitted", True)]


@pytest.mark.slow
def test_a_reviewed_annotation_is_locked_and_a_returned_one_is_editable_again(db) -> None:
    p, lead, u, _ = _setup(db, {"review": {"mode": "all", "on_reject": "return"}})
    t1 = queue.claim_next(db, p.id, u.id)
    annotations.submit(db, p.id, t1.record_id, u.id, A, submission_id="x1")
    t2 = queue.claim_next(db, p.id, u.id)
    annotations.submit(db, p.id, t2.record_id, u.id, A, submission_id="x2")
    items = {i.record_id: i for i in review.review_queue(db, p.id, lead.id)}
    review.decide(db, p.id, items[t1.record_id].annotation_id, lead, "accepted")
    review.decide(db, p.id, items[t2.record_id].annotation_id, lead, "rejected", "B is the better one here")
    with pytest.raises(Conflict, match="already reviewed"):
        annotations.submit(db, p.id, t1.record_id, u.id, B)
    assert "already reviewed" in annotation_history.locked_reason(db, p.id, t1.record_id, u.id)
    assert annotation_history.locked_reason(db, p.id, t2.record_id, u.id) == ""
    states = {m.record_id: (m.state, m.editable, m.feedback) for m in annotation_history.recent(db, p.id, u.id)}
    assert states == {t1.record_id: ("accepted", False, ""),
                      t2.record_id: ("returned", True, "B is the better one here")}
    annotations.submit(db, p.id, t2.record_id, u.id, B, submission_id="x3")
    assert [r.answers for r in annotation_history.history(db, p.id, t2.record_id, u.id)] == [A, B]


def test_project_can_forbid_edits_after_submit(db) -> None:
    p, _, u, _ = _setup(db, {"edit_after_submit": False})
    t = queue.claim_next(db, p.id, u.id)
    annotations.submit(db, p.id, t.record_id, u.id, A, submission_id="only")
    annotations.submit(db, p.id, t.record_id, u.id, A, submission_id="only")  # a retry is still fine
    with pytest.raises(Conflict, match="does not allow editing"):
        annotations.submit(db, p.id, t.record_id, u.id, B, submission_id="other")
    assert [m.editable for m in annotation_history.recent(db, p.id, u.id)] == [False]


def _client(db: Any, *names: str) -> tuple[TestClient, dict[str, dict[str, str]]]:
    tok = {n: auth.create_api_token(db, users.find_user(db, n).id, "t")[0] for n in names}
    return TestClient(create_app(db.settings, db)), {n: {"Authorization": f"Bearer {t}"} for n, t in tok.items()}


def test_pages_json_submit_history_queue_feedback_and_suggestions(db) -> None:
    p, lead, u, _v = _setup(db, {"show_suggestions": True, "review": {"mode": "all", "on_reject": "return"}})
    store_suggestions(db, p.id, {"preference": ({"choice": "b", "strength": 3}, "B cites a source."),
                                 "rank": ({"order": [[2], [0, 1]]}, "C first.")}, model="judge-x")
    client, h = _client(db, "lead", "u", "v")
    t = queue.claim_next(db, p.id, u.id)
    html = client.get(f"/projects/{p.id}/records/{t.record_id}", headers=h["u"]).text
    assert "B is much better" in html and "C &gt; A = B" in html and "from judge-x" in html
    url = f"/projects/{p.id}/records/{t.record_id}/submit"
    body = {"answers": A, "active_seconds": 5, "submission_id": "web-1"}
    for _ in range(2):  # the page's retry after a lost reply
        r = client.post(url, json=body, headers={**h["u"], "Accept": "application/json"})
        assert r.status_code == 200 and r.json()["status"] == "submitted"
    r = client.post(url, json={"answers": B, "active_seconds": 9}, headers={**h["u"], "Accept": "application/json",
                                                                             "X-Submission-Id": "web-2"})
    assert r.status_code == 200
    bad = client.post(url, json={"answers": {"preference": {"choice": "q"}}},
                      headers={**h["u"], "Accept": "application/json", "X-Submission-Id": "web-3"})
    assert bad.status_code == 422 and "preference" in bad.json()["error"]["message"]
    hist = client.get(f"/projects/{p.id}/records/{t.record_id}/history.json", headers=h["u"]).json()
    assert [(x["number"], x["submission_id"], x["answers"]) for x in hist["revisions"]] == [(1, "web-1", A),
                                                                                           (2, "web-2", B)]
    # leads may read anyone's history; another annotator may not
    assert client.get(f"/projects/{p.id}/records/{t.record_id}/history.json?user={u.id}",
                      headers=h["lead"]).json()["revisions"][1]["answers"] == B
    assert client.get(f"/projects/{p.id}/records/{t.record_id}/history?user={u.id}",
                      headers=h["v"]).status_code == 403
    page = client.get(f"/projects/{p.id}/records/{t.record_id}/history?user={u.id}", headers=h["lead"]).text
    assert "Submit 2" in page and "B is slightly better" in page
    # my recent submissions links back to the record; the annotate page shows the history panel
    mine = client.get(f"/projects/{p.id}/my-work", headers=h["u"]).text
    assert f'href="/projects/{p.id}/records/{t.record_id}"' in mine and "Open and edit" in mine
    assert "history-panel" in client.get(f"/projects/{p.id}/records/{t.record_id}", headers=h["u"]).text
    # a reviewer sends it back: the comment is at the top of the page
    item = review.review_queue(db, p.id, lead.id)[0]
    review.decide(db, p.id, item.annotation_id, lead, "rejected", "Rank C <b>first</b>, please")
    html = client.get(f"/projects/{p.id}/records/{t.record_id}", headers=h["u"]).text
    assert 'data-testid="review-feedback"' in html and "Rank C &lt;b&gt;first&lt;/b&gt;, please" in html


def test_gold_warning_on_the_page_and_pause_reason_on_the_queue_page(db) -> None:
    p, _lead, u, _ = _setup(db)
    client, h = _client(db, "u")
    t = queue.claim_next(db, p.id, u.id)
    with db.write() as s:
        s.add(StandingRow(project_id=p.id, user_id=u.id, state="warned", gold_n=6, gold_accuracy=0.6,
                          reason="accuracy on check items is 60% over 6 answers (the project asks for at least 70%)."))
    html = client.get(f"/projects/{p.id}/records/{t.record_id}", headers=h["u"]).text
    assert 'data-testid="gold-warning"' in html and "60% over 6 answers" in html
    annotations.submit(db, p.id, t.record_id, u.id, A)
    with db.write() as s:
        row = s.get(StandingRow, (p.id, u.id))
        row.state, row.reason = "paused", "accuracy on check items is 40% over 8 answers (the project asks for at least 50%)."
    r = client.get(f"/projects/{p.id}/next", headers=h["u"], follow_redirects=False)
    assert r.status_code == 403 and 'data-testid="queue-refused"' in r.text and "40% over 8 answers" in r.text
    assert 'data-testid="my-submissions"' in r.text  # the queue page, with their submissions
    queue_page = client.get(f"/projects/{p.id}/my-work", headers=h["u"]).text
    assert "paused" in queue_page and "40% over 8 answers" in queue_page and 'data-testid="continue"' not in queue_page
