"""Project membership run by the project's lead (issue 5: "lead runs the projects they own: members"):
the JSON API, the project page's controls, the SDK and the CLI; annotators, reviewers and outsiders cannot."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.security.conftest import as_role
from tests.security.world import World


def _api(client: TestClient, w: World, role: str, method: str, path: str, **kw):  # type: ignore[no-untyped-def]
    as_role(client, w, role)
    return client.request(method, f"/api/v1/projects/{w.project_id}{path}",
                          headers={"X-CSRF-Token": w.csrf[role]} if role != "anon" else {}, **kw)


def test_lead_lists_adds_changes_and_removes_members(client: TestClient, world: World) -> None:
    w = world
    r = _api(client, w, "lead", "GET", "/members")
    assert r.status_code == 200
    assert {m["username"]: m["role"] for m in r.json()} == {
        "lead1": "lead", "rev1": "reviewer", "ann1": "annotator", "ann2": "annotator", "victim": "annotator"}
    r = _api(client, w, "lead", "POST", "/members", json={"username": "out1", "role": "annotator"})
    assert r.status_code == 201 and r.json()["username"] == "out1" and r.json()["role"] == "annotator"
    # out1 now sees project P and can work its queue
    as_role(client, w, "outsider")
    assert client.get(f"/api/v1/projects/{w.project_id}").status_code == 200
    # changing the role is the same call
    r = _api(client, w, "lead", "POST", "/members", json={"username": "out1", "role": "reviewer"})
    assert r.status_code == 201 and r.json()["role"] == "reviewer"
    out1 = w.user_ids["out1"]
    assert _api(client, w, "lead", "DELETE", f"/members/{out1}").status_code == 204
    as_role(client, w, "outsider")
    assert client.get(f"/api/v1/projects/{w.project_id}").status_code == 404  # gone again
    assert _api(client, w, "lead", "DELETE", f"/members/{out1}").status_code == 404  # not a member any more
    audit = _api(client, w, "admin", "GET", "/members")  # admins may too
    assert audit.status_code == 200
    as_role(client, w, "admin")
    actions = [e["action"] for e in client.get("/api/v1/admin/audit").json()]
    assert "project.member" in actions and "project.member.remove" in actions


def test_annotator_reviewer_and_outsider_cannot_manage_members(client: TestClient, world: World) -> None:
    w = world
    victim = w.user_ids["victim"]
    for role, status in (("annotator", 403), ("reviewer", 403), ("outsider", 404)):
        assert _api(client, w, role, "GET", "/members").status_code == status, role
        r = _api(client, w, role, "POST", "/members", json={"username": "out1", "role": "lead"})
        assert r.status_code == status, (role, r.text)
        assert _api(client, w, role, "DELETE", f"/members/{victim}").status_code == status, role
    assert _api(client, w, "anon", "GET", "/members").status_code == 401
    # nothing changed
    names = {m["username"]: m["role"] for m in _api(client, w, "lead", "GET", "/members").json()}
    assert "out1" not in names and names["victim"] == "annotator"
    # a read-scoped token of the lead cannot change membership either
    client.cookies.clear()
    r = client.post(f"/api/v1/projects/{w.project_id}/members", json={"username": "out1"},
                    headers={"Authorization": f"Bearer {w.read_tokens['lead']}"})
    assert r.status_code == 403 and "read-only" in r.text


def test_a_lead_of_another_project_cannot_touch_this_one(client: TestClient, world: World) -> None:
    """lead1 leads P, not Q: Q does not exist for them."""
    w = world
    as_role(client, w, "lead")
    r = client.post(f"/api/v1/projects/{w.other_project_id}/members", json={"username": "ann1"},
                    headers={"X-CSRF-Token": w.csrf["lead"]})
    assert r.status_code == 404


def test_the_only_lead_cannot_be_removed_and_unknown_users_are_named(client: TestClient, world: World) -> None:
    w = world
    r = _api(client, w, "lead", "DELETE", f"/members/{w.user_ids['lead1']}")
    assert r.status_code == 409 and "only lead" in r.json()["error"]["message"]
    r = _api(client, w, "lead", "POST", "/members", json={"username": "nobody-here"})
    assert r.status_code == 404 and "nobody-here" in r.json()["error"]["message"]
    r = _api(client, w, "lead", "POST", "/members", json={"username": "out1", "role": "admin"})
    assert r.status_code == 422  # not a project role


def test_removing_a_member_ends_their_leases_at_once(client: TestClient, world: World) -> None:
    """ann1 holds a live lease on `lease_record`: after removal they cannot read or submit it, and the
    record goes back to the pool (someone else is served it)."""
    w = world
    as_role(client, w, "annotator")
    task = f"/api/v1/projects/{w.project_id}/records/{w.lease_record}/task"
    assert client.get(task).status_code == 200
    assert _api(client, w, "lead", "DELETE", f"/members/{w.user_ids['ann1']}").status_code == 204
    as_role(client, w, "annotator")
    assert client.get(task).status_code == 404
    r = client.post(f"/api/v1/projects/{w.project_id}/records/{w.lease_record}/submit",
                    json={"answers": {"preference": {"choice": "a", "strength": 2}}, "active_seconds": 1},
                    headers={"X-CSRF-Token": w.csrf["annotator"]})
    assert r.status_code == 404
    from assay.store.db import open_db
    from assay.store.tables import RecordRow
    from tests.security.world import settings_for

    db = open_db(settings_for(w.path), migrate=False)
    try:
        with db.write() as s:
            rec = s.get(RecordRow, w.lease_record)
            assert rec is not None and rec.leased_count == 0
    finally:
        db.close()


@pytest.mark.slow
def test_project_page_has_member_controls_for_leads_only(client: TestClient, world: World) -> None:
    w = world
    as_role(client, w, "lead")
    html = client.get(f"/projects/{w.project_id}").text
    assert 'data-testid="add-member"' in html and 'data-testid="remove-member"' in html
    r = client.post(f"/projects/{w.project_id}/members",
                    data={"username": "out1", "role": "reviewer", "csrf_token": w.csrf["lead"]})
    assert r.status_code == 303 and r.headers["location"].endswith("#members")
    html = client.get(f"/projects/{w.project_id}").text
    assert 'data-member="out1"' in html
    r = client.post(f"/projects/{w.project_id}/members/{w.user_ids['out1']}/remove",
                    data={"csrf_token": w.csrf["lead"]})
    assert r.status_code == 303
    assert 'data-member="out1"' not in client.get(f"/projects/{w.project_id}").text
    as_role(client, w, "annotator")
    html = client.get(f"/projects/{w.project_id}").text
    assert "add-member" not in html and "remove-member" not in html and "victim" not in html
    r = client.post(f"/projects/{w.project_id}/members",
                    data={"username": "out1", "role": "lead", "csrf_token": w.csrf["annotator"]})
    assert r.status_code == 403
    r = client.post(f"/projects/{w.project_id}/members/{w.user_ids['victim']}/remove",
                    data={"csrf_token": w.csrf["annotator"]})
    assert r.status_code == 403


@pytest.mark.slow
def test_cli_members_and_remove_member(world: World) -> None:
    from assay.cli.main import app
    from tests.security.world import settings_for

    s = settings_for(world.path)
    env = {"ASSAY_DATA_DIR": str(s.data_dir), "ASSAY_DATABASE_URL": s.database_url}
    r = CliRunner().invoke(app, ["projects", "members", "proj-p"], env=env)
    assert r.exit_code == 0 and "victim" in r.output, r.output
    r = CliRunner().invoke(app, ["projects", "remove-member", "proj-p", "victim"], env=env)
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["projects", "members", "proj-p"], env=env)
    assert "victim" not in r.output
    r = CliRunner().invoke(app, ["projects", "remove-member", "proj-p", "lead1"], env=env)
    assert r.exit_code != 0 and "only lead" in r.output
