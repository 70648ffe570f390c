"""Submit semantics (issue 20, item 6), as docs/api.md says: on an annotation already submitted, a second
submit without a submission id answers 409 (API and the page's JSON submit alike) and makes no revision; a
retry with the same id answers 200 and changes nothing; a new id edits (a new revision)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.services.accounts import auth, users
from assay.services.annotation import history, queue
from assay.services.projects import projects, records
from assay.web.app import create_app

A = {"preference": {"choice": "a", "strength": 2}}
B = {"preference": {"choice": "b", "strength": 1}}


def test_second_submit_without_id_is_409_on_api_and_page(db: Any) -> None:
    lead = users.add_user(db, "lead-s", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name="sub", questions=[Question("preference", "pairwise")]), lead)
    records.import_records(db, p.id, [Record(external_id=f"r{i}", messages=[Message("user", "q")],
                                             completions=[Completion("x"), Completion("y")]) for i in range(2)])
    u = users.add_user(db, "u-s", "password123")
    projects.add_member(db, p.id, "u-s")
    token = auth.create_api_token(db, u.id, "t")[0]
    h = {"Authorization": f"Bearer {token}"}
    client = TestClient(create_app(db.settings, db))
    for n, url in enumerate(("/api/v1/projects/{p}/records/{r}/submit", "/projects/{p}/records/{r}/submit")):
        sid = f"edit-{n}"
        t = queue.claim_next(db, p.id, u.id)
        assert t is not None
        target = url.format(p=p.id, r=t.record_id)
        hdr = {**h, "Accept": "application/json"}
        first = client.post(target, json={"answers": A, "active_seconds": 3}, headers=hdr)
        assert first.status_code == 200, first.text  # a first submit needs no id
        again = client.post(target, json={"answers": B, "active_seconds": 4}, headers=hdr)
        assert again.status_code == 409, again.text
        assert "submission_id" in again.text
        edit = client.post(target, json={"answers": B, "active_seconds": 5, "submission_id": sid}, headers=hdr)
        assert edit.status_code == 200
        retry = client.post(target, json={"answers": B, "active_seconds": 5}, headers={**hdr, "X-Submission-Id": sid})
        assert retry.status_code == 200
        revs = history.history(db, p.id, t.record_id, u.id)
        assert [(r.number, r.answers, r.submission_id) for r in revs] == [(1, A, None), (2, B, sid)]
