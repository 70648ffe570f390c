"""The permission matrix: every route of the app, called as every role, against a table of expectations.

Roles: admin (site admin, member of nothing), lead (lead of project P), reviewer (reviewer in P),
annotator (ann1, annotator in P), outsider (annotator in project Q only), anon (not signed in).
Path parameters come from the security world (tests/security/world.py): {record_id} is the record ann1
holds a lease on, {user_id} a bystander annotator, {token_id} the caller's own API token, ...

A route the app serves but the table lacks fails `test_every_route_has_an_expectation`: add a Rule to
RULES below (look at what the handler checks and write down who may call it). Each rule runs on a fresh
copy of the world, as each role with the session cookie (plus CSRF token), and for /api/ routes also with
the role's write-scoped API token; both must give the expected allow/deny. Every response must carry the
security headers, and no response to an annotator, outsider or anonymous caller may contain another
person's answers, a gold answer, a review comment meant for someone else, or another project's records.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.security.routes import SAFE, Rule, all_routes, call, check_security_headers, outcome
from tests.security.world import (
    ANN1_SECRET,
    ANN2_SECRET,
    GOLD_SECRET,
    OTHER_PROJECT_SECRET,
    PASSWORD,
    REVIEW_SECRET,
    ROLES,
    World,
    answers,
    copy_world,
    settings_for,
)

A, L, R, N, O, X = "admin", "lead", "reviewer", "annotator", "outsider", "anon"
SIGNED_IN = {A, L, R, N, O}
EVERYONE = SIGNED_IN | {X}
MEMBERS = {A, L, R, N}  # of project P (admins see every project)
LEADS = {A, L}
NOBODY: set[str] = set()

SUBMIT_FORM = {"a.preference.choice": "a", "a.preference.strength": "2", "a.rationale.text": "fine",
               "active_seconds": "5"}
NEW_PASSWORD = "brand-new-password-1"


def _project_body(w: World, role: str) -> dict:
    return {"name": f"new-{role}", "questions": [{"name": "preference", "kind": "pairwise", "title": "Better?"}]}


RULES: dict[str, Rule] = {
    # --- framework, static and public -----------------------------------------------------------------
    "GET /api/v1/openapi.json": Rule(EVERYONE, why="the API description is public"),
    "GET /api/docs": Rule(EVERYONE, why="Swagger UI page (public, holds no data)"),
    "GET /docs/oauth2-redirect": Rule(EVERYONE, why="Swagger UI helper"),
    "MOUNT /static": Rule(EVERYONE, why="static files (CSS, JS, icons)"),
    "GET /static-gen/pygments.css": Rule(EVERYONE),
    "GET /favicon.ico": Rule(EVERYONE),
    "GET /healthz": Rule(EVERYONE),
    # --- sign-in ------------------------------------------------------------------------------------
    "GET /login": Rule(EVERYONE),
    "POST /login": Rule(NOBODY, form={"username": "admin", "password": PASSWORD, "csrf_token": "x"},
                        why="refused without the login-CSRF cookie; real sign-in: test_sessions.py"),
    "POST /logout": Rule(SIGNED_IN),
    "GET /invite/{token}": Rule(EVERYONE, why="the link itself is the credential"),
    "POST /invite/{token}": Rule(NOBODY, form={"username": "invitee", "password": NEW_PASSWORD,
                                               "confirm": NEW_PASSWORD, "csrf_token": "x"},
                                 why="refused without the form's CSRF cookie; accepting: test_accounts.py"),
    "GET /": Rule(SIGNED_IN, why="anonymous is sent to the sign-in page"),
    # --- projects and annotation (pages) ----------------------------------------------------------------
    "GET /projects": Rule(SIGNED_IN, twin="GET /api/v1/projects"),
    "GET /projects/{project_id}": Rule(MEMBERS, twin="GET /api/v1/projects/{project_id}"),
    "POST /projects/{project_id}/export": Rule(LEADS, form={"fmt": "raw", "file_format": "jsonl"},
                                               twin="POST /api/v1/projects/{project_id}/exports"),
    "GET /projects/{project_id}/next": Rule(MEMBERS, twin="POST /api/v1/projects/{project_id}/next"),
    "GET /projects/{project_id}/records/{record_id}": Rule(
        {N}, twin="GET /api/v1/projects/{project_id}/records/{record_id}/task",
        why="only the person holding the lease sees the record"),
    "POST /projects/{project_id}/records/{record_id}/submit": Rule(
        {N}, form=SUBMIT_FORM, twin="POST /api/v1/projects/{project_id}/records/{record_id}/submit"),
    "POST /projects/{project_id}/records/{record_id}/skip": Rule(
        {N}, form={"reason": "unsure"}, twin="POST /api/v1/projects/{project_id}/records/{record_id}/skip"),
    # --- account --------------------------------------------------------------------------------------
    "GET /account": Rule(SIGNED_IN, twin="GET /api/v1/account/tokens"),
    "POST /account/password": Rule(SIGNED_IN, form={"old_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                    "confirm": NEW_PASSWORD},
                                   twin="POST /api/v1/account/password"),
    "POST /account/tokens": Rule(SIGNED_IN, form={"name": "laptop", "scope": "read"},
                                 twin="POST /api/v1/account/tokens"),
    "POST /account/tokens/{token_id}/revoke": Rule(SIGNED_IN, twin="DELETE /api/v1/account/tokens/{token_id}",
                                                   why="{token_id} is the caller's own token"),
    # --- admin --------------------------------------------------------------------------------------
    "GET /admin/users": Rule({A}, twin="GET /api/v1/admin/users"),
    "POST /admin/users": Rule({A}, form={"username": "newbie", "password": NEW_PASSWORD, "role": "annotator"},
                              twin="POST /api/v1/admin/users"),
    "POST /admin/users/{user_id}/password": Rule({A}, form={"password": NEW_PASSWORD},
                                                 twin="POST /api/v1/admin/users/{user_id}/password"),
    "POST /admin/users/{user_id}/active": Rule({A}, form={"active": "false"},
                                               twin="PATCH /api/v1/admin/users/{user_id}"),
    "POST /admin/users/{user_id}/role": Rule({A}, form={"role": "reviewer"},
                                             twin="PATCH /api/v1/admin/users/{user_id}"),
    "POST /admin/invites": Rule({A}, form={"role": "annotator", "hours": "24"}, twin="POST /api/v1/admin/invites"),
    "POST /admin/invites/{invite_id}/revoke": Rule({A}, twin="DELETE /api/v1/admin/invites/{invite_id}"),
    "GET /admin/audit": Rule({A}, twin="GET /api/v1/admin/audit"),
    # --- JSON API: projects and work -------------------------------------------------------------------
    "GET /api/v1/me": Rule(SIGNED_IN),
    "GET /api/v1/projects": Rule(SIGNED_IN),
    "POST /api/v1/projects": Rule(LEADS, json=_project_body, why="site role admin or lead"),
    "GET /api/v1/projects/{project_id}": Rule(MEMBERS),
    "POST /api/v1/projects/{project_id}/next": Rule(MEMBERS),
    "GET /api/v1/projects/{project_id}/records/{record_id}/task": Rule({N}),
    "PUT /api/v1/projects/{project_id}/records/{record_id}/draft": Rule(
        {N}, json={"answers": answers("draft"), "active_seconds": 4}),
    "POST /api/v1/projects/{project_id}/records/{record_id}/submit": Rule(
        {N}, json={"answers": answers("fine"), "active_seconds": 5}),
    "POST /api/v1/projects/{project_id}/records/{record_id}/skip": Rule({N}, json={"reason": "unsure"}),
    "POST /api/v1/projects/{project_id}/records": Rule(
        LEADS, json=[{"id": "new-1", "prompt": "hi", "completions": [{"text": "a", "model": "m"},
                                                                    {"text": "b", "model": "m"}]}]),
    "GET /api/v1/projects/{project_id}/records": Rule(LEADS, why="records with everything: leads only"),
    "GET /api/v1/projects/{project_id}/records/{record_id}/suggestions": Rule(
        {A, L, N}, why="leads; an annotator only for a record in their own queue"),
    "GET /api/v1/projects/{project_id}/annotations": Rule(MEMBERS, why="members get their own only"),
    "POST /api/v1/projects/{project_id}/exports": Rule(LEADS, json={"format": "raw", "file_format": "jsonl"}),
    "GET /api/v1/projects/{project_id}/exports": Rule(LEADS),
    "GET /api/v1/projects/{project_id}/exports/{export_id}/files/{name}": Rule(LEADS),
    "GET /api/v1/datasets": Rule(LEADS, why="datasets are site-wide: site admins and leads"),
    "GET /api/v1/datasets/{name}/versions": Rule(LEADS, params={"name": lambda w, r: w.dataset}),
    "GET /api/v1/datasets/{name}/versions/{selector}": Rule(
        LEADS, params={"name": lambda w, r: w.dataset, "selector": lambda w, r: w.dataset_version}),
    "GET /api/v1/datasets/{name}/versions/{selector}/lineage": Rule(
        LEADS, params={"name": lambda w, r: w.dataset, "selector": lambda w, r: w.dataset_version}),
    # --- JSON API: account and admin ---------------------------------------------------------------------
    "GET /api/v1/account/tokens": Rule(SIGNED_IN),
    "POST /api/v1/account/tokens": Rule(SIGNED_IN, json={"name": "laptop", "scope": "read"}),
    "DELETE /api/v1/account/tokens/{token_id}": Rule(SIGNED_IN),
    "POST /api/v1/account/password": Rule(SIGNED_IN, json={"old_password": PASSWORD,
                                                           "new_password": NEW_PASSWORD}),
    "GET /api/v1/admin/users": Rule({A}),
    "POST /api/v1/admin/users": Rule({A}, json={"username": "newbie", "password": NEW_PASSWORD}),
    "PATCH /api/v1/admin/users/{user_id}": Rule({A}, json={"is_active": False, "role": "reviewer"}),
    "POST /api/v1/admin/users/{user_id}/password": Rule({A}, json={"password": NEW_PASSWORD}),
    "GET /api/v1/admin/invites": Rule({A}),
    "POST /api/v1/admin/invites": Rule({A}, json={"role": "annotator", "hours": 24}),
    "DELETE /api/v1/admin/invites/{invite_id}": Rule({A}),
    "GET /api/v1/admin/audit": Rule({A}),
}

# What each role must never find in any response body.
FORBIDDEN_TEXT = {
    N: (ANN2_SECRET, GOLD_SECRET, REVIEW_SECRET, OTHER_PROJECT_SECRET),
    O: (ANN1_SECRET, ANN2_SECRET, GOLD_SECRET, REVIEW_SECRET),
    X: (ANN1_SECRET, ANN2_SECRET, GOLD_SECRET, REVIEW_SECRET, OTHER_PROJECT_SECRET),
}
ORDER = (X, O, N, R, L, A)  # the denied usually first, so they cannot disturb what the allowed do


def _client(w: World) -> tuple[TestClient, object]:
    from assay.services.db import open_db
    from assay.web.app import create_app

    db = open_db(settings_for(w.path), migrate=False)
    return TestClient(create_app(settings_for(w.path), db), follow_redirects=False), db


def run_rule(world_template: World, tmp: Path, key: str, *, bearer: bool = False) -> dict[str, str]:
    """Call the route as every role on a fresh world; returns role -> allow/deny (checking headers and
    leaks on the way)."""
    method, path = key.split(" ", 1)
    rule = RULES[key]
    w = copy_world(world_template, tmp)
    client, db = _client(w)
    got: dict[str, str] = {}
    try:
        for role in ORDER:
            if method == "MOUNT":
                resp = client.get(path + "/js/base.js")
                method_for_outcome = "GET"
            elif bearer and role != X:
                resp = call(client, w, role, method, path, rule, bearer=w.write_tokens[role])
                method_for_outcome = method
            else:
                resp = call(client, w, role, method, path, rule)
                method_for_outcome = method
            where = f"{key} as {role}{' (token)' if bearer else ''}: {resp.status_code}"
            got[role] = outcome(method_for_outcome, resp)
            check_security_headers(resp, where)
            for secret in FORBIDDEN_TEXT.get(role, ()):
                assert secret not in resp.text, f"{where} leaks {secret}"
            if got[role] == "allow" and resp.status_code in (400, 422):
                pytest.fail(f"{where}: the table's request is invalid for this route: {resp.text[:300]}")
    finally:
        client.close()
        db.close()  # type: ignore[attr-defined]
    return got


def _expected(rule: Rule) -> dict[str, str]:
    return {r: ("allow" if r in rule.allow else "deny") for r in ROLES}


def test_every_route_has_an_expectation(app) -> None:  # type: ignore[no-untyped-def]
    served = {f"{m} {p}" for m, p in all_routes(app)}
    missing = sorted(served - RULES.keys())
    stale = sorted(RULES.keys() - served)
    assert not missing, (
        "routes without an entry in the permission matrix (tests/security/test_permission_matrix.py RULES): "
        f"{missing}. Add a Rule saying which roles may call each (admin, lead, reviewer, annotator, outsider, "
        "anon), with a valid request body, and the twin route if it has one.")
    assert not stale, f"RULES names routes the app no longer serves: {stale}; remove them"


@pytest.mark.parametrize("key", sorted(RULES))
def test_route_allows_exactly_the_expected_roles(key: str, world_template: World, tmp_path: Path) -> None:
    rule = RULES[key]
    got = run_rule(world_template, tmp_path / "w", key)
    assert got == _expected(rule), f"{key}: expected allow for {sorted(rule.allow)}, got {got}"
    if key.split(" ", 1)[1].startswith("/api/") and key.split(" ", 1)[0] != "MOUNT":
        got_token = run_rule(world_template, tmp_path / "t", key, bearer=True)
        expected = _expected(rule)
        assert got_token == expected, f"{key} with API tokens: expected {expected}, got {got_token}"


def test_json_and_html_twins_agree() -> None:
    """The twins' expectations agree (each is checked against the app by the test above)."""
    for key, rule in RULES.items():
        if rule.twin:
            assert rule.twin in RULES, f"{key}: twin {rule.twin} is not in RULES"
            assert RULES[rule.twin].allow == rule.allow, (
                f"{key} allows {sorted(rule.allow)} but its twin {rule.twin} allows {sorted(RULES[rule.twin].allow)}")


@pytest.mark.parametrize("key", sorted(k for k in RULES if k.split(" ")[0] not in SAFE | {"MOUNT"}
                                       and RULES[k].allow - {X}))
def test_state_change_without_csrf_token_is_refused(key: str, world_template: World, tmp_path: Path) -> None:
    """A cookie-authenticated state change without the CSRF token is refused (403), for every such route."""
    method, path = key.split(" ", 1)
    rule = RULES[key]
    w = copy_world(world_template, tmp_path / "w")
    client, db = _client(w)
    try:
        for role in sorted(rule.allow - {X}):
            resp = call(client, w, role, method, path, rule, csrf=False)
            assert resp.status_code == 403, f"{key} as {role} without CSRF token: {resp.status_code}"
            assert "CSRF" in resp.text, resp.text[:200]
    finally:
        client.close()
        db.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("key", sorted(k for k in RULES if k.startswith(("POST /api/", "PUT /api/", "PATCH /api/",
                                                                        "DELETE /api/"))
                                       and RULES[k].allow - {X}))
def test_read_scoped_token_is_refused_on_writes(key: str, world_template: World, tmp_path: Path) -> None:
    method, path = key.split(" ", 1)
    rule = RULES[key]
    w = copy_world(world_template, tmp_path / "w")
    client, db = _client(w)
    try:
        role = min(rule.allow - {X})
        resp = call(client, w, role, method, path, rule, bearer=w.read_tokens[role])
        assert resp.status_code == 403 and "read-only" in resp.text, f"{key}: {resp.status_code} {resp.text[:200]}"
    finally:
        client.close()
        db.close()  # type: ignore[attr-defined]
