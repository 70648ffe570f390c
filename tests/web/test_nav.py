"""The navigation view models (web/pages/nav.py): what each role sees, the active item (fast, no server)."""

from __future__ import annotations

import pytest

from assay.domain.projects import Project
from assay.domain.questions import Question, QuestionKind
from assay.domain.users import Role, User
from assay.web.pages.nav import project_nav, site_nav

LEAD_ITEMS = ["overview", "annotate", "my-work", "my-stats", "records", "gold", "import", "review", "reports",
              "dashboard", "timesheet", "setup", "export"]


def _user(role: Role) -> User:
    return User(id=7, username=role.value, role=role)


def _project(kind: QuestionKind = QuestionKind.pairwise, authoring: dict | None = None) -> Project:  # type: ignore[type-arg]
    return Project(id=3, name="p", title="P", guidelines="", annotators_per_record=1, lease_seconds=60,
                   questions=[Question(name="q", kind=kind)], settings={"authoring": authoring} if authoring else {})


def _keys(nav) -> list[str]:  # type: ignore[no-untyped-def]
    return [i.key for i in nav.items]


@pytest.mark.parametrize(("site", "member", "expected"), [
    (Role.annotator, "annotator", ["overview", "annotate", "my-work", "my-stats"]),
    (Role.reviewer, "reviewer", ["overview", "annotate", "my-work", "my-stats", "review", "reports"]),
    (Role.lead, "lead", LEAD_ITEMS),
    (Role.lead, "annotator", ["overview", "annotate", "my-work", "my-stats"]),  # a site lead annotating here
    (Role.admin, None, LEAD_ITEMS),  # admins run every project without being members
])
def test_items_follow_the_role_in_the_project(site: Role, member: str | None, expected: list[str]) -> None:
    nav = project_nav(_user(site), _project(), member, "/projects/3")
    assert _keys(nav) == expected
    assert [i.key for i in nav.items if i.active] == ["overview"]
    assert all(i.href.startswith("/projects/3") for i in nav.items)


def test_authoring_and_code_projects() -> None:
    lead = _user(Role.lead)
    chat = project_nav(lead, _project(authoring={"mode": "chat"}), "lead", "/projects/3")
    assert "author" in _keys(chat) and "annotate" not in _keys(chat) and "authoring-settings" in _keys(chat)
    prompt = project_nav(lead, _project(authoring={"mode": "prompt"}), "lead", "/projects/3")
    assert {"author", "annotate"} <= set(_keys(prompt))
    code = project_nav(lead, _project(QuestionKind.code_review), "lead", "/projects/3")
    assert "code" in _keys(code)
    trainer_code = project_nav(_user(Role.annotator), _project(QuestionKind.code_review), "annotator", "/projects/3")
    assert "code" not in _keys(trainer_code)


@pytest.mark.parametrize(("path", "active"), [
    ("/projects/3/records", "records"),
    ("/projects/3/records/55", "annotate"),            # the trainer's page of a record
    ("/projects/3/records/55/judgments", "records"),   # a record's judgments (leads)
    ("/projects/3/records/55/history", "annotate"),
    ("/projects/3/author/tasks/9", "author"),
    ("/projects/3/exports/jobs/4", "export"),
    ("/projects/3/dashboard", "dashboard"),
    ("/projects/3/authoring/settings", "authoring-settings"),
    ("/projects/3/gold", "gold"),
])
def test_active_item_from_the_path(path: str, active: str) -> None:
    nav = project_nav(_user(Role.admin), _project(QuestionKind.code_review, {"mode": "prompt"}), None, path)
    assert [i.key for i in nav.items if i.active] == [active]


def test_nav_active_overrides_the_path() -> None:
    nav = project_nav(_user(Role.admin), _project(), None, "/projects/3/records/5/history", nav_active="review")
    assert [i.key for i in nav.items if i.active] == ["review"]


def test_site_nav_by_role() -> None:
    assert site_nav(None, "/login") == ()
    keys = {r: [i.key for i in site_nav(_user(r), "/projects")] for r in Role}
    assert keys[Role.annotator] == keys[Role.reviewer] == ["projects", "account"]
    assert keys[Role.lead] == ["projects", "new-project", "explore", "endpoints", "account"]
    assert keys[Role.admin] == ["projects", "new-project", "explore", "endpoints", "admin", "audit", "account"]
    active = [i.key for i in site_nav(_user(Role.admin), "/explore/hh@1/stats") if i.active]
    assert active == ["explore"]
    assert [i.key for i in site_nav(_user(Role.lead), "/projects/3/dashboard") if i.active] == ["projects"]


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_error_pages_keep_the_top_bar_for_a_signed_in_caller(db) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from assay.services.accounts import auth, users
    from assay.web.app import create_app

    u = users.add_user(db, "navlead", "password123", "lead")
    token = auth.create_api_token(db, u.id, "t")[0]
    with TestClient(create_app(db.settings, db)) as c:
        r = c.get("/projects/424242", headers={"Authorization": f"Bearer {token}", "Accept": "text/html"})
        assert r.status_code == 404 and 'data-testid="nav-explore"' in r.text and "navlead" in r.text
        anon = c.get("/no-such-page", headers={"Accept": "text/html"})
        assert anon.status_code == 404 and 'data-testid="nav-projects"' not in anon.text
