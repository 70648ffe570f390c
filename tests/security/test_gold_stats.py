"""Issue 18, finding 4: a trainer cannot tell from their own stats which record was gold.

`my-stats` (page and JSON) used to update "accuracy on check items" (and the gold count) right after each
submit, so comparing before and after told whether the last record was gold and whether the answer was right;
agreement with others, which leaves gold records out, moved only after non-gold submits. Now the trainer's
gold figures and agreement count only what they submitted before today (UTC), gold accuracy over whole
blocks of gold answers (docs/quality.md).

Two trainers with the same history (ten gold answers and one shared normal record, all submitted
yesterday, so they have real figures to watch) each submit one more record today: one a gold record, the
other a normal one. Their figures — JSON and page, names aside — stay identical to each other and to what
they were before the submit, except `submitted` and `active_hours`, which move the same way for both.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.services.accounts import auth, users
from assay.services.annotation import queue
from assay.services.annotation import submissions as annotations
from assay.services.projects import projects, records
from assay.services.quality import gold
from assay.store.db import Db
from assay.store.tables import AnnotationRow, ProjectRow
from assay.web.app import create_app

A = {"preference": {"choice": "a", "strength": 2}}
B = {"preference": {"choice": "b", "strength": 2}}


def _set_gold_rate(db: Db, pid: int, rate: float) -> None:
    with db.write() as s:
        s.execute(update(ProjectRow).where(ProjectRow.id == pid).values(
            settings={"gold": {"first_n": 0, "rate": rate, "min_items": 50}}))


def _claim_submit(db: Db, pid: int, uid: int, answer: dict[str, object], want_gold: bool) -> int:
    _set_gold_rate(db, pid, 1.0 if want_gold else 0.0)
    t = queue.claim_next(db, pid, uid)
    assert t is not None
    annotations.submit(db, pid, t.record_id, uid, answer, 60)
    return t.record_id


def _visible(client: TestClient, pid: int, headers: dict[str, str], name: str) -> tuple[dict[str, object], str]:
    j = client.get(f"/api/v1/projects/{pid}/my-stats", headers=headers)
    page = client.get(f"/projects/{pid}/my-stats", headers=headers)
    assert j.status_code == 200 and page.status_code == 200
    stats = dict(j.json()["stats"])
    stats.pop("username")
    body = page.text.replace(name, "NAME")
    body = re.sub(r'(csrf[^"]*"\s*(?:content|value)=")[^"]+', r"\1X", body)
    main = body[body.index("<h1>My stats</h1>"):body.index("</main>") if "</main>" in body else None]
    return {"stats": stats, "notice": j.json()["notice"]}, main


@pytest.mark.slow
def test_gold_and_normal_submits_leave_the_same_figures(db: Db) -> None:
    lead = users.add_user(db, "lead", "password123", "lead")
    spec = ProjectSpec(name="goldstats", questions=[Question("preference", "pairwise")], annotators_per_record=3,
                       settings={"gold": {"first_n": 0, "rate": 0.0, "min_items": 50}})
    p = projects.create_project(db, spec, lead)
    recs = [Record(external_id=f"r{i}", messages=[Message("user", f"q{i}")],
                   completions=[Completion("x"), Completion("y")]) for i in range(30)]
    records.import_records(db, p.id, recs)
    for i in range(10, 30):
        gold.set_gold(db, p.id, f"r{i}", A, lead)
    people = {}
    for name in ("goldie", "normie", "other"):
        people[name] = users.add_user(db, name, "password123")
        projects.add_member(db, p.id, name, "annotator", lead)

    # history, all yesterday: ten gold answers each (7 right, 3 wrong), and one shared normal record that a
    # third person also answered (so agreement has something to count)
    for name in ("goldie", "normie"):
        for i in range(10):
            _claim_submit(db, p.id, people[name].id, A if i < 7 else B, want_gold=True)
    shared = _claim_submit(db, p.id, people["other"].id, A, want_gold=False)
    for name in ("goldie", "normie"):
        _set_gold_rate(db, p.id, 0.0)
        t = queue.claim_next(db, p.id, people[name].id)
        assert t is not None and t.record_id == shared
        annotations.submit(db, p.id, shared, people[name].id, A, 60)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    with db.write() as s:
        s.execute(update(AnnotationRow).where(AnnotationRow.project_id == p.id).values(submitted_at=yesterday))
    # a normal record the third person answers today, which normie will answer too
    today_normal = _claim_submit(db, p.id, people["other"].id, A, want_gold=False)

    app = create_app(db.settings, db)
    headers = {n: {"Authorization": f"Bearer {auth.create_api_token(db, people[n].id, 't')[0]}"}
               for n in ("goldie", "normie")}
    with TestClient(app, follow_redirects=False) as client:
        before = {n: _visible(client, p.id, headers[n], n) for n in ("goldie", "normie")}
        assert before["goldie"] == before["normie"]
        shown = before["goldie"][0]["stats"]
        assert isinstance(shown, dict)
        assert shown["gold_n"] == 10 and shown["gold_accuracy"] == 0.7  # yesterday's block of ten is shown
        assert shown["consensus_n"] == 1 and shown["consensus_agreement"] == 1.0

        _claim_submit(db, p.id, people["goldie"].id, A, want_gold=True)  # a gold record, answered right
        _set_gold_rate(db, p.id, 0.0)
        t = queue.claim_next(db, p.id, people["normie"].id)
        assert t is not None and t.record_id == today_normal
        annotations.submit(db, p.id, today_normal, people["normie"].id, A, 60)

        after = {n: _visible(client, p.id, headers[n], n) for n in ("goldie", "normie")}
    assert after["goldie"] == after["normie"], "a gold and a normal submit leave different figures"
    moved = {k for k, v in after["goldie"][0]["stats"].items() if v != shown[k]}  # type: ignore[index]
    assert moved == {"submitted", "active_hours"}
