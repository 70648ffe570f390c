"""A gold record actually served to an annotator (issue 4: gold tasks "look like any other record";
issue 5: annotators never see gold answers): the HTML workspace, the JSON task, the submit response and
everything the annotator can open afterwards carry neither the reference answer nor a sign that the
record was gold. Issue 4 asks for no per-record gold feedback, so none is shown after submitting either.

`victim` (annotator in P, nothing served yet) is given a session; the project is set to serve the first
record a person sees from gold (first_n: 1), so their first claim is the world's gold record, whose
reference rationale is GOLD_SECRET.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.security.world import GOLD_SECRET, World, settings_for

SUBMIT_FORM = {"a.preference.choice": "b", "a.preference.strength": "1", "a.rationale.text": "my own view",
               "active_seconds": "5"}


def _victim(world: World) -> tuple[str, str, str]:
    """Give `victim` a session and a write token; serve gold first in project P."""
    from assay.services.accounts import auth
    from assay.services.accounts.passwords import new_token, token_digest
    from assay.store.db import open_db
    from assay.store.tables import ProjectRow, SessionRow

    db = open_db(settings_for(world.path), migrate=False)
    try:
        uid = world.user_ids["victim"]
        tok, csrf = new_token(), new_token(24)
        with db.write() as s:
            s.add(SessionRow(id=token_digest(tok), user_id=uid, csrf_token=csrf))
            settings = dict(s.get(ProjectRow, world.project_id).settings or {})  # type: ignore[union-attr]
            settings["gold"] = {"first_n": 1, "rate": 0.0, "min_items": 5}
            s.execute(update(ProjectRow).where(ProjectRow.id == world.project_id).values(settings=settings))
        bearer = auth.create_api_token(db, uid, "victim", "write")[0]
    finally:
        db.close()
    return tok, csrf, bearer


def _gold_lines(html: str) -> list[str]:
    return sorted(line.strip() for line in html.splitlines() if "gold" in line.lower())


def _normalise(html: str) -> str:
    return re.sub(r"\d+", "N", html)


@pytest.mark.slow
def test_served_gold_record_never_shows_its_answer_or_that_it_is_gold(client: TestClient, world: World) -> None:
    from assay.web.security import SESSION_COOKIE

    tok, csrf, bearer = _victim(world)
    p = world.project_id
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, tok)
    seen: list[tuple[str, str]] = []

    # 1. the HTML path: /next leases the gold record and sends the person to its workspace
    r = client.get(f"/projects/{p}/next")
    assert r.status_code == 303
    assert r.headers["location"] == f"/projects/{p}/records/{world.gold_record}", "the first claim is gold"
    gold_page = client.get(r.headers["location"])
    assert gold_page.status_code == 200
    seen.append(("workspace page", gold_page.text))

    # 2. the JSON twins of the same lease, with the session and with a token
    api = client.post(f"/api/v1/projects/{p}/next", headers={"X-CSRF-Token": csrf})
    assert api.status_code == 200 and api.json()["record_id"] == world.gold_record
    seen.append(("POST next (session)", api.text))
    task = client.get(f"/api/v1/projects/{p}/records/{world.gold_record}/task")
    seen.append(("GET task", task.text))
    client.cookies.clear()
    by_token = TestClient(client.app).get(f"/api/v1/projects/{p}/records/{world.gold_record}/task",
                                          headers={"Authorization": f"Bearer {bearer}"})
    assert by_token.status_code == 200
    seen.append(("GET task (token)", by_token.text))
    gold_json = task.json()
    assert not any("gold" in k.lower() for k in gold_json) and gold_json["answers"] == {}
    assert gold_json.get("record", {}).get("metadata", {}) == {}  # record metadata is hidden from annotators

    # 3. submit a (wrong) answer through the page form, then look at everything the person can open
    client.cookies.set(SESSION_COOKIE, tok)
    sub = client.post(f"/projects/{p}/records/{world.gold_record}/submit", data={**SUBMIT_FORM, "csrf_token": csrf})
    assert sub.status_code in (200, 303), sub.text[:300]
    seen.append(("submit response", sub.text))
    for url in (f"/projects/{p}/my-work", f"/projects/{p}/my-stats", f"/api/v1/projects/{p}/my-stats",
                f"/api/v1/projects/{p}/annotations", f"/projects/{p}/records/{world.gold_record}/history",
                f"/projects/{p}/records/{world.gold_record}/history.json",
                f"/api/v1/projects/{p}/records/{world.gold_record}/task", f"/projects/{p}"):
        resp = client.get(url)
        assert resp.status_code < 500, url
        seen.append((url, resp.text))
    for where, body in seen:
        assert GOLD_SECRET not in body, f"{where} shows the gold answer"
    mine = client.get(f"/api/v1/projects/{p}/annotations").json()
    assert any(a["record_id"] == world.gold_record for a in mine["items"]), "the submit was stored"
    assert all("my own view" in str(a["answers"]) for a in mine["items"] if a["record_id"] == world.gold_record)

    # 4. the next record is an ordinary one: its workspace has exactly the same gold-related text (help
    #    texts of the form, nothing about the record) as the gold record's had
    nxt = client.get(f"/projects/{p}/next")
    assert nxt.status_code == 303 and nxt.headers["location"] != f"/projects/{p}/records/{world.gold_record}"
    normal_page = client.get(nxt.headers["location"])
    assert _gold_lines(_normalise(normal_page.text)) == _gold_lines(_normalise(gold_page.text))
    normal_json = client.get(f"/api/v1/projects/{p}/records/{nxt.headers['location'].rsplit('/', 1)[1]}/task")
    assert set(normal_json.json()) == set(gold_json)


def test_the_lead_is_told_on_the_project_page_who_gold_paused(client: TestClient, world: World) -> None:
    """ann2 is paused by the gold check in the world: the lead's project page says so; annotators' does not."""
    from tests.security.conftest import as_role

    as_role(client, world, "lead")
    html = client.get(f"/projects/{world.project_id}").text
    assert 'data-testid="gold-flagged"' in html and "ann2</strong> paused" in html
    as_role(client, world, "annotator")
    html = client.get(f"/projects/{world.project_id}").text
    assert "gold-flagged" not in html and "ann2" not in html
