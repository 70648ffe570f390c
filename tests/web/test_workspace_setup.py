"""The lead's setup page: create a project with every kind, edit settings, refused question change."""

from __future__ import annotations

from assay.services.accounts import users
from assay.services.annotation import queue
from assay.services.annotation import submissions as annotations
from assay.services.projects import projects
from tests.web.conftest import LiveServer


def _client(live: LiveServer, who: str):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    c = TestClient(live.app)  # type: ignore[arg-type]
    r = c.get("/login")
    token = r.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = c.post("/login", data={"username": who, "password": f"{who}-demo-pass", "csrf_token": token})
    assert r.status_code in (200, 303)
    return c


def _csrf(c, path: str) -> str:  # type: ignore[no-untyped-def]
    return c.get(path).text.split('name="csrf-token" content="')[1].split('"')[0]


def test_setup_page_creates_and_edits(db, settings) -> None:  # type: ignore[no-untyped-def]
    from assay.services.site.demo import ensure_demo
    from assay.web.app import create_app

    ensure_demo(db)
    live = LiveServer(url="", app=create_app(settings, db), settings=settings, db=db)
    c = _client(live, "admin")
    # /new-project is now the template gallery; the editor (form + YAML + preview) opens from a template and
    # still lists every question kind as YAML. The form's fields may still be posted without the editor's
    # YAML (a question list in `questions`), which is what this test does.
    from assay.web.pages.project_setup import KIND_EXAMPLES

    page = c.get("/new-project?template=mixed")
    assert page.status_code == 200 and "kind: spans" in page.text
    form = {"name": "setup-all", "title": "All kinds", "guidelines": "# Read me", "annotators_per_record": "2",
            "lease_minutes": "20", "idle_seconds": "90", "show_suggestions": "on", "edit_after_submit": "on",
            "questions": KIND_EXAMPLES, "csrf_token": _csrf(c, "/new-project")}
    r = c.post("/new-project", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    p = projects.find_project(db, "setup-all")
    assert [q.kind.value for q in p.questions] == ["pairwise", "ranking", "rating", "labels", "text", "text", "spans"]
    assert p.settings == {"show_suggestions": True, "show_models": False, "edit_after_submit": True,
                          "idle_seconds": 90}
    assert p.annotators_per_record == 2 and p.lease_seconds == 1200

    # an annotation exists → a question change is refused and what was typed is shown again
    projects.add_member(db, p.id, "annotator1", "annotator")
    from assay.services.projects import records
    from tests.web.workspace_support import workspace_records

    records.import_records(db, p.id, workspace_records(1))
    u = users.find_user(db, "annotator1")
    t = queue.claim_next(db, p.id, u.id)
    annotations.save_draft(db, p.id, t.record_id, u.id, {})
    edit = c.get(f"/projects/{p.id}/setup")
    assert edit.status_code == 200
    form2 = dict(form, questions="- {name: only, kind: text}", guidelines="changed",
                 csrf_token=_csrf(c, f"/projects/{p.id}/setup"))
    r = c.post(f"/projects/{p.id}/setup", data=form2, follow_redirects=False)
    assert r.status_code == 409 and "only titles and help texts" in r.text and "changed" in r.text
    assert projects.get_project(db, p.id).guidelines == "# Read me"
    # settings the form does not show (gold, review from the project file) survive a save from the page
    from assay.store.tables import ProjectRow

    with db.write() as s:
        row = s.get(ProjectRow, p.id)
        row.settings = {**row.settings, "review": {"mode": "all"}, "gold": {"rate": 0.1}}
    form3 = dict(form, guidelines="changed", csrf_token=form2["csrf_token"])
    form3.pop("edit_after_submit")
    assert c.post(f"/projects/{p.id}/setup", data=form3, follow_redirects=False).status_code == 303
    saved = projects.get_project(db, p.id)
    assert saved.guidelines == "changed"
    assert saved.settings == {"show_suggestions": True, "show_models": False, "edit_after_submit": False,
                              "idle_seconds": 90, "review": {"mode": "all"}, "gold": {"rate": 0.1}}
    # annotators may not open it
    a1 = _client(live, "annotator1")
    assert a1.get(f"/projects/{p.id}/setup").status_code == 403
