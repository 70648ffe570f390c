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
    ENDPOINT_KEY,
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

pytestmark = pytest.mark.slow  # every route x every role: about 170 cases, a minute and a half

A, L, R, N, O, X = "admin", "lead", "reviewer", "annotator", "outsider", "anon"
SIGNED_IN = {A, L, R, N, O}
EVERYONE = SIGNED_IN | {X}
MEMBERS = {A, L, R, N}  # of project P (admins see every project)
LEADS = {A, L}
NOBODY: set[str] = set()
ABSENT = ("the security world has no such object (authoring task, endpoint, fact check): this only proves "
          "nobody gets past a missing id and nothing fails; the feature's own tests cover ownership")

SUBMIT_FORM = {"a.preference.choice": "a", "a.preference.strength": "2", "a.rationale.text": "fine",
               "active_seconds": "5"}
NEW_PASSWORD = "brand-new-password-1"


def _project_body(w: World, role: str) -> dict:
    return {"name": f"new-{role}", "questions": [{"name": "preference", "kind": "pairwise", "title": "Better?"}]}


def _import_check(w: World, role: str) -> int:
    """A finished, error-free dry run of a one-record upload in P (made on the fly in this copy of the world)."""
    import json as _json
    import secrets

    from assay.services.projects import import_jobs, uploads
    from assay.store.db import open_db
    from assay.store.queries import jobs as jobs_q

    settings = settings_for(w.path)
    token = secrets.token_hex(16)
    path = uploads.upload_path(settings, token, ".jsonl")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_json.dumps({"id": f"matrix-{role}", "prompt": "p", "completions": [{"text": "a"}, {"text": "b"}]}))
    db = open_db(settings, migrate=False)
    try:
        with db.write() as s:
            row = jobs_q.add(s, import_jobs.CHECK_KIND, {"project_id": w.project_id, "upload": token, "suffix": ".jsonl",
                                                    "name": "m.jsonl", "size": 1, "fmt": "auto"}, owner="elsewhere:1")
            jobs_q.finish(s, row.id, "done", {"new": 1, "records": 1, "warnings": [], "preview": [], "error": None})
            return int(row.id)
    finally:
        db.close()


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
    "POST /projects/{project_id}/members": Rule(LEADS, form={"username": "out1", "role": "reviewer"},
                                                twin="POST /api/v1/projects/{project_id}/members"),
    "POST /projects/{project_id}/members/{user_id}/remove": Rule(
        LEADS, fresh=True, twin="DELETE /api/v1/projects/{project_id}/members/{user_id}",
        why="{user_id} is victim, an annotator in P"),
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
    "GET /api/v1/projects/{project_id}/members": Rule(LEADS, why="who works on a project: its leads"),
    "POST /api/v1/projects/{project_id}/members": Rule(LEADS, json={"username": "out1", "role": "reviewer"}),
    "DELETE /api/v1/projects/{project_id}/members/{user_id}": Rule(LEADS, fresh=True),
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
    # --- records table (data manager) and gold: leads only (they show which records are gold) ---------------
    "GET /projects/{project_id}/records": Rule(LEADS, twin="GET /api/v1/projects/{project_id}/records-table"),
    "GET /api/v1/projects/{project_id}/records-table": Rule(LEADS),
    "GET /projects/{project_id}/records-count": Rule(LEADS, why="the table's count, loaded after its rows"),
    "GET /projects/{project_id}/records/{record_id}/judgments": Rule(
        LEADS, twin="GET /api/v1/projects/{project_id}/records/{record_id}/judgments"),
    "GET /api/v1/projects/{project_id}/records/{record_id}/judgments": Rule(LEADS),
    "GET /projects/{project_id}/records/{record_id}/lineage": Rule(
        LEADS, twin="GET /api/v1/projects/{project_id}/records/{record_id}/lineage"),
    "GET /api/v1/projects/{project_id}/records/{record_id}/lineage": Rule(LEADS),
    "POST /projects/{project_id}/records/bulk": Rule(
        LEADS, form=lambda w, r: {"action": "priority", "priority": "3", "ids": str(w.lease_record)},
        twin="POST /api/v1/projects/{project_id}/records-bulk"),
    "POST /api/v1/projects/{project_id}/records-bulk": Rule(
        LEADS, json=lambda w, r: {"action": "priority", "priority": 3, "record_ids": [w.lease_record]}),
    "GET /projects/{project_id}/gold": Rule(LEADS, twin="GET /api/v1/projects/{project_id}/gold",
                                            why="redirects leads to the records table filtered to gold"),
    "GET /projects/{project_id}/gold/form": Rule(LEADS, query=lambda w, r: {"ids": str(w.lease_record)}),
    "GET /api/v1/projects/{project_id}/gold": Rule(LEADS),
    "POST /api/v1/projects/{project_id}/gold": Rule(
        LEADS, json=lambda w, r: {"record_ids": [w.lease_record], "expected": {"preference": {"choice": "a"}}}),
    "POST /api/v1/projects/{project_id}/gold/unset": Rule(LEADS, json=lambda w, r: {"record_ids": [w.lease_record]}),
    "GET /api/v1/projects/{project_id}/records/{record_id}/suggestions": Rule(
        {A, L, N}, why="leads; an annotator only for a record in their own queue"),
    "GET /api/v1/projects/{project_id}/annotations": Rule(MEMBERS, why="members get their own only"),
    "POST /api/v1/projects/{project_id}/exports": Rule(LEADS, json={"format": "raw", "file_format": "jsonl"}),
    "GET /api/v1/projects/{project_id}/exports": Rule(LEADS),
    "GET /api/v1/projects/{project_id}/exports/{export_id}/files/{name}": Rule(LEADS),
    "GET /api/v1/projects/{project_id}/exports/jobs/{job_id}": Rule(LEADS, why="lead1's export job in P"),
    "GET /projects/{project_id}/exports/jobs/{job_id}": Rule(
        LEADS, twin="GET /api/v1/projects/{project_id}/exports/jobs/{job_id}"),
    "GET /projects/{project_id}/exports/{export_id}/zip": Rule(LEADS),
    # the import page and its JSON twins (issue 19): leads of the project and admins; checked before the body
    "GET /projects/{project_id}/import": Rule(LEADS),
    "POST /projects/{project_id}/import/upload": Rule(LEADS, why="the empty form body is uploaded as a 3-byte file"),
    "POST /api/v1/projects/{project_id}/imports": Rule(LEADS, invalid_ok=True, why="an empty body: 422 past the "
                                                       "checks", twin="POST /projects/{project_id}/import/upload"),
    "GET /projects/{project_id}/import/jobs/{job_id}": Rule(LEADS, params={"job_id": _import_check}),
    "GET /api/v1/projects/{project_id}/imports/{job_id}": Rule(
        LEADS, params={"job_id": _import_check}, twin="GET /projects/{project_id}/import/jobs/{job_id}"),
    "POST /projects/{project_id}/import/jobs/{job_id}/run": Rule(LEADS, params={"job_id": _import_check}),
    "POST /api/v1/projects/{project_id}/imports/{job_id}/run": Rule(
        LEADS, params={"job_id": _import_check}, twin="POST /projects/{project_id}/import/jobs/{job_id}/run"),
    "GET /api/v1/datasets": Rule(LEADS, why="site admins and leads (each sees the site-wide datasets and those "
                                 "of projects they lead; see OTHER_PROJECT_DATASET below)"),
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
    # --- my work and edit history ------------------------------------------------------------------
    "GET /projects/{project_id}/my-work": Rule(MEMBERS),
    "GET /projects/{project_id}/records/{record_id}/history": Rule(
        {A, L, R}, query=lambda w, r: {"user": w.user_ids["ann2"]},
        params={"record_id": lambda w, r: w.shared_record},
        twin="GET /projects/{project_id}/records/{record_id}/history.json",
        why="someone else's (ann2's) history: leads and reviewers only"),
    "GET /projects/{project_id}/records/{record_id}/history.json": Rule(
        {A, L, R}, query=lambda w, r: {"user": w.user_ids["ann2"]},
        params={"record_id": lambda w, r: w.shared_record}),
    # --- problem reports ------------------------------------------------------------------------------
    "GET /projects/{project_id}/records/{record_id}/report": Rule(MEMBERS),
    "POST /projects/{project_id}/records/{record_id}/report": Rule(
        MEMBERS, form={"reason": "broken_record", "note": "x"}, fresh=True,
        twin="POST /api/v1/projects/{project_id}/reports"),
    "GET /projects/{project_id}/author/tasks/{task_id}/report": Rule(MEMBERS),
    "POST /projects/{project_id}/author/tasks/{task_id}/report": Rule(
        MEMBERS, form={"reason": "broken_record", "note": "x"}, fresh=True),
    "POST /api/v1/projects/{project_id}/reports": Rule(
        MEMBERS, json=lambda w, r: {"reason": "broken_record", "note": "x", "record_id": w.lease_record}, fresh=True),
    "GET /projects/{project_id}/reports": Rule({A, L, R}, twin="GET /api/v1/projects/{project_id}/reports"),
    "GET /api/v1/projects/{project_id}/reports": Rule({A, L, R}),
    "POST /projects/{project_id}/reports/{report_id}/resolve": Rule(
        {A, L, R}, form={"resolution": "fixed"}, fresh=True,
        twin="POST /api/v1/projects/{project_id}/reports/{report_id}/resolve"),
    "POST /api/v1/projects/{project_id}/reports/{report_id}/resolve": Rule(
        {A, L, R}, json={"resolution": "fixed"}, fresh=True),
    # --- project setup (pages) -----------------------------------------------------------------------
    "GET /new-project": Rule(LEADS, why="site role admin or lead", twin="POST /api/v1/projects"),
    "POST /new-project": Rule(LEADS, form=lambda w, r: {"name": f"page-{r}", "title": "T", "questions":
                                                        "- name: preference\n  kind: pairwise\n"},
                              twin="POST /api/v1/projects"),
    "GET /projects/{project_id}/setup": Rule(LEADS),
    "POST /projects/{project_id}/setup": Rule(LEADS, form={"name": "proj-p", "title": "P", "questions":
                                                           "- name: preference\n  kind: pairwise\n"
                                                           "- name: rationale\n  kind: text\n  required: false\n"}),
    "POST /new-project/preview": Rule(LEADS, form={"source": "yaml", "yaml": "name: x\nquestions:\n- {name: q, kind: pairwise}\n"},
                                      why="the editor's live preview; stores nothing"),
    "GET /projects/{project_id}/clone": Rule(LEADS, why="site role admin or lead, and lead of the project"),
    "GET /api/v1/project-templates": Rule(LEADS, why="site role admin or lead", twin="GET /new-project"),
    "POST /api/v1/project-files/check": Rule(LEADS, json={"yaml": "name: x\nquestions:\n- {name: q, kind: pairwise}\n"},
                                             twin="POST /new-project/preview"),
    "POST /projects/{project_id}/setup/preview": Rule(LEADS, form={"source": "yaml", "yaml": "name: proj-p\nquestions:\n"
                                                                   "- {name: q, kind: pairwise}\n"}),
    # --- review and quality ----------------------------------------------------------------------------
    "GET /projects/{project_id}/review": Rule({A, L, R}, twin="GET /api/v1/projects/{project_id}/review/queue"),
    "POST /projects/{project_id}/review/{annotation_id}": Rule(
        {A, L, R}, form={"decision": "accepted", "comment": "ok"},
        twin="POST /api/v1/projects/{project_id}/annotations/{annotation_id}/review"),
    "GET /api/v1/projects/{project_id}/review/queue": Rule({A, L, R}),
    "POST /api/v1/projects/{project_id}/annotations/{annotation_id}/review": Rule(
        {A, L, R}, json={"decision": "accepted", "comment": "ok"}),
    "GET /projects/{project_id}/dashboard": Rule(LEADS, twin="GET /api/v1/projects/{project_id}/dashboard"),
    "GET /api/v1/projects/{project_id}/dashboard": Rule(LEADS),
    "GET /projects/{project_id}/dashboard/charts/{chart}.csv": Rule(
        LEADS, twin="GET /api/v1/projects/{project_id}/dashboard/charts"),
    "GET /api/v1/projects/{project_id}/dashboard/charts": Rule(LEADS),
    "GET /projects/{project_id}/my-stats": Rule(MEMBERS, twin="GET /api/v1/projects/{project_id}/my-stats"),
    "GET /api/v1/projects/{project_id}/my-stats": Rule(MEMBERS),
    "GET /projects/{project_id}/timesheet": Rule(LEADS, twin="GET /api/v1/projects/{project_id}/timesheet"),
    "GET /api/v1/projects/{project_id}/timesheet": Rule(LEADS, query={"start": "2026-01-01", "end": "2026-12-31"}),
    "POST /projects/{project_id}/standing/{user_id}/resume": Rule(
        LEADS, twin="POST /api/v1/projects/{project_id}/gold/standing/{user_id}/resume",
        params={"user_id": lambda w, r: w.user_ids["ann2"]}),
    "POST /api/v1/projects/{project_id}/gold/standing/{user_id}/resume": Rule(
        LEADS, params={"user_id": lambda w, r: w.user_ids["ann2"]}),
    "GET /api/v1/projects/{project_id}/gold/standing": Rule(LEADS),
    "GET /api/v1/projects/{project_id}/agreement": Rule(LEADS),
    "GET /api/v1/projects/{project_id}/aggregate/{question}": Rule(LEADS),
    "GET /api/v1/projects/{project_id}/model-ranking": Rule(LEADS, query={"bootstrap": 10}),
    # --- code tasks (the world's records are not code records: allowed roles get a 4xx past the check) ----
    "GET /projects/{project_id}/code": Rule(LEADS, twin="GET /api/v1/projects/{project_id}/code/outcomes"),
    "GET /api/v1/projects/{project_id}/code/outcomes": Rule(LEADS),
    "GET /projects/{project_id}/records/{record_id}/code/panel": Rule(invalid_ok=True, allow=
        {A, L, N}, twin="GET /api/v1/projects/{project_id}/records/{record_id}/code"),
    "GET /projects/{project_id}/records/{record_id}/code/diff": Rule(invalid_ok=True, allow={A, L, N}),
    "POST /projects/{project_id}/records/{record_id}/code/runs": Rule(invalid_ok=True, allow=
        {A, L, N}, twin="POST /api/v1/projects/{project_id}/records/{record_id}/code/runs"),
    "GET /projects/{project_id}/records/{record_id}/code/batches/{batch}": Rule(
        {A, L, N}, twin="GET /api/v1/projects/{project_id}/records/{record_id}/code/runs"),
    "GET /api/v1/projects/{project_id}/records/{record_id}/code": Rule(invalid_ok=True, allow={A, L, N}),
    "POST /api/v1/projects/{project_id}/records/{record_id}/code/runs": Rule(invalid_ok=True, allow={A, L, N}, json={"kind": "visible"}),
    "GET /api/v1/projects/{project_id}/records/{record_id}/code/runs": Rule({A, L, N}),
    "GET /api/v1/projects/{project_id}/records/{record_id}/code/hidden": Rule(LEADS),
    # --- dataset explorer ----------------------------------------------------------------------------
    "GET /explore": Rule(LEADS, twin="GET /api/v1/datasets"),
    "GET /explore/{ref}": Rule(LEADS, twin="GET /api/v1/explore/{ref}/records"),
    "GET /explore/{ref}/records/{record_id}": Rule(LEADS, params={"record_id": lambda w, r: "ds-0"},
                                                   twin="GET /api/v1/explore/{ref}/records/{record_id}"),
    "GET /explore/{ref}/stats": Rule(LEADS, twin="GET /api/v1/explore/{ref}/stats"),
    "GET /explore/{ref}/lineage": Rule(LEADS, twin="GET /api/v1/explore/{ref}/lineage"),
    "POST /explore/{ref}/export": Rule(LEADS, form=lambda w, r: {"name": "subset", "owner": str(w.project_id)},
                                       twin="POST /api/v1/explore/{ref}/export",
                                       why="a new dataset owned by P (a lead must name a project they lead)"),
    "POST /explore/{ref}/push": Rule(LEADS, form={"project_id": "1"}, twin="POST /api/v1/explore/{ref}/push"),
    "GET /api/v1/explore/{ref}/records": Rule(LEADS),
    "GET /api/v1/explore/{ref}/records/{record_id}": Rule(LEADS, params={"record_id": lambda w, r: "ds-0"}),
    "GET /api/v1/explore/{ref}/stats": Rule(LEADS),
    "GET /api/v1/explore/{ref}/cache": Rule(LEADS, why="the explorer cache state of a site-wide dataset"),
    "GET /api/v1/explore/{ref}/lineage": Rule(LEADS),
    "POST /api/v1/explore/{ref}/export": Rule(
        LEADS, json=lambda w, r: {"format": "version", "name": "subset", "project_id": w.project_id}),
    "POST /api/v1/explore/{ref}/push": Rule(LEADS, json={"project_id": 1}),
    "POST /api/v1/projects/{project_id}/pull": Rule(LEADS, json={"name": "pulled"},
                                                    why="a new dataset, owned by P"),
    # --- authoring: endpoints are site-wide (admins); tasks belong to their author ------------------------
    "GET /authoring/endpoints": Rule(LEADS, twin="GET /api/v1/authoring/endpoints"),
    # issue 18: the world's endpoint is site-wide (the admin's): only admins change, check or delete it; a
    # lead adds endpoints to the project they lead (lead B vs lead A: test_endpoint_keys.py)
    "POST /authoring/endpoints": Rule(LEADS, form=lambda w, r: {"name": f"new-{r}", "base_url": "http://127.0.0.1:9/v1",
                                                              "model": "m", "project_id": str(w.project_id)},
                                      twin="POST /api/v1/authoring/endpoints"),
    "POST /authoring/endpoints/{endpoint_id}/check": Rule({A}, why="the endpoint is down: allowed get an error page"),
    "POST /authoring/endpoints/{endpoint_id}/delete": Rule({A}, invalid_ok=True, fresh=True,
                                                           twin="DELETE /api/v1/authoring/endpoints/{endpoint_id}"),
    "GET /api/v1/authoring/endpoints": Rule(LEADS),
    "POST /api/v1/authoring/endpoints": Rule(LEADS, json=lambda w, r: {"name": f"new-{r}",
                                                                       "base_url": "http://127.0.0.1:9/v1", "model": "m",
                                                                       "project_id": w.project_id}),
    "PUT /api/v1/authoring/endpoints/{endpoint_id}": Rule({A}, json={"name": "local", "base_url": "http://127.0.0.1:9/v1",
                                                                     "model": "m2"}),
    "DELETE /api/v1/authoring/endpoints/{endpoint_id}": Rule({A}, invalid_ok=True, fresh=True,
                                                             why="in use: 409 after the check"),
    "GET /projects/{project_id}/authoring/settings": Rule(LEADS, twin="GET /api/v1/projects/{project_id}/authoring/settings"),
    "POST /projects/{project_id}/authoring/settings": Rule(LEADS, form={"mode": "prompt", "endpoints": "local"},
                                                           twin="PUT /api/v1/projects/{project_id}/authoring/settings"),
    "GET /api/v1/projects/{project_id}/authoring/settings": Rule(LEADS),
    "PUT /api/v1/projects/{project_id}/authoring/settings": Rule(LEADS, json={"mode": "prompt", "endpoints": ["local"]}),
    "GET /projects/{project_id}/author": Rule(MEMBERS, twin="GET /api/v1/projects/{project_id}/authoring/tasks"),
    "GET /api/v1/projects/{project_id}/authoring/tasks": Rule(MEMBERS),
    "GET /api/v1/projects/{project_id}/authoring/attempts": Rule(MEMBERS, why="members get their own only"),
    "POST /projects/{project_id}/author/tasks": Rule(MEMBERS, form={"content": "Write a haiku."}, invalid_ok=True,
                                                     twin="POST /api/v1/projects/{project_id}/authoring/tasks"),
    "POST /api/v1/projects/{project_id}/authoring/tasks": Rule(MEMBERS, json={"content": "Write a haiku."}),
    "POST /api/v1/projects/{project_id}/authoring/export": Rule(LEADS, json={"format": "sft"}),
    "GET /projects/{project_id}/author/tasks/{task_id}": Rule(
        {A, L, R, N}, twin="GET /api/v1/projects/{project_id}/authoring/tasks/{task_id}",
        why="ann1's task: its author, the project's leads and reviewers, admins"),
    "GET /api/v1/projects/{project_id}/authoring/tasks/{task_id}": Rule({A, L, R, N}),
    "POST /projects/{project_id}/author/tasks/{task_id}/messages": Rule({A, N}, form={"content": "hi"}, invalid_ok=True,
                                                                        why="prompt mode: a 409 past the check"),
    "POST /api/v1/projects/{project_id}/authoring/tasks/{task_id}/messages": Rule({A, N}, json={"content": "hi"},
                                                                                  invalid_ok=True),
    "POST /api/v1/projects/{project_id}/authoring/tasks/{task_id}/messages/{message_id}/replies/{slot}/stream":
        Rule(NOBODY, why=ABSENT, absent=True),
    "POST /projects/{project_id}/author/tasks/{task_id}/choose": Rule(
        {A, N}, form={"message_id": "1", "slot": "0"}, invalid_ok=True, why="prompt-mode task: 422 past the check"),
    "POST /api/v1/projects/{project_id}/authoring/tasks/{task_id}/choice": Rule(
        {A, N}, json={"message_id": 1, "slot": 0, "strength": 2}, invalid_ok=True),
    "POST /projects/{project_id}/author/tasks/{task_id}/attempts": Rule(
        {A, N}, form={"reply_id": "1", "attack_category": "x", "succeeded": "false"}, invalid_ok=True),
    "POST /api/v1/projects/{project_id}/authoring/tasks/{task_id}/attempts": Rule(
        {A, N}, json={"reply_id": 1, "attack_category": "x", "succeeded": False}, invalid_ok=True),
    "POST /projects/{project_id}/author/tasks/{task_id}/finish": Rule({A, N}, invalid_ok=True,
                                                                      twin="POST /api/v1/projects/{project_id}/authoring/tasks/{task_id}/finish"),
    "POST /api/v1/projects/{project_id}/authoring/tasks/{task_id}/finish": Rule({A, N}, invalid_ok=True),
    "POST /projects/{project_id}/author/attempts/{attempt_id}/training": Rule(NOBODY, form={"safe_reply": "no"},
                                                                              why=ABSENT, absent=True),
    "POST /api/v1/projects/{project_id}/authoring/attempts/{attempt_id}/training": Rule(
        NOBODY, json={"safe_reply": "no"}, why=ABSENT, absent=True),
    "GET /projects/{project_id}/records/{record_id}/fact-check": Rule(
        MEMBERS, twin="GET /api/v1/projects/{project_id}/records/{record_id}/fact-checks"),
    "GET /api/v1/projects/{project_id}/records/{record_id}/fact-checks": Rule(MEMBERS),
    "POST /projects/{project_id}/records/{record_id}/fact-check": Rule(
        MEMBERS, form={"completion": "0", "verdict": "supported", "claim": "Answer", "source": "https://x.org"},
        twin="POST /api/v1/projects/{project_id}/records/{record_id}/fact-checks"),
    "POST /api/v1/projects/{project_id}/records/{record_id}/fact-checks": Rule(
        MEMBERS, json={"completion": 0, "verdict": "supported", "claim": "Answer", "source": "https://x.org"}),
    "POST /projects/{project_id}/records/{record_id}/fact-check/{check_id}/delete": Rule(NOBODY, why=ABSENT, absent=True),
    "DELETE /api/v1/projects/{project_id}/fact-checks/{check_id}": Rule(NOBODY, why=ABSENT, absent=True),
    "POST /api/v1/projects/{project_id}/source-judgments": Rule(
        LEADS, query={"fmt": "hh", "question": "preference", "annotator": "hh"}, invalid_ok=True,
        why="leads and admins, checked before the body is read; the 3-byte body is no HH file: 422 past the checks"),
}

# The dataset routes again, on project Q's dataset (`qdata`): only admins may see it, explore it, push from it
# or write into it; the lead of P (not a member of Q) is told it does not exist; nobody else reads datasets.
_Q = {"ref": lambda w, r: f"{w.other_dataset}@1", "name": lambda w, r: w.other_dataset,
      "selector": lambda w, r: "1"}
OTHER_PROJECT_DATASET: dict[str, Rule] = {
    "GET /api/v1/datasets/{name}/versions": Rule({A}, params=_Q),
    "GET /api/v1/datasets/{name}/versions/{selector}": Rule({A}, params=_Q),
    "GET /api/v1/datasets/{name}/versions/{selector}/lineage": Rule({A}, params=_Q),
    "GET /explore/{ref}": Rule({A}, params=_Q),
    "GET /explore/{ref}/records/{record_id}": Rule({A}, params={**_Q, "record_id": lambda w, r: "qd-0"}),
    "GET /explore/{ref}/stats": Rule({A}, params=_Q),
    "GET /explore/{ref}/lineage": Rule({A}, params=_Q),
    "POST /explore/{ref}/export": Rule({A}, params=_Q, form={"name": "qdata"}),
    "POST /explore/{ref}/push": Rule({A}, params=_Q, form=lambda w, r: {"project_id": str(w.project_id)}),
    "GET /api/v1/explore/{ref}/records": Rule({A}, params=_Q),
    "GET /api/v1/explore/{ref}/records/{record_id}": Rule({A}, params={**_Q, "record_id": lambda w, r: "qd-0"}),
    "GET /api/v1/explore/{ref}/stats": Rule({A}, params=_Q),
    "GET /api/v1/explore/{ref}/cache": Rule({A}, params=_Q),
    "GET /api/v1/explore/{ref}/lineage": Rule({A}, params=_Q),
    "POST /api/v1/explore/{ref}/export": Rule({A}, params=_Q, json={"format": "jsonl"}),
    "POST /api/v1/explore/{ref}/push": Rule({A}, params=_Q, json=lambda w, r: {"project_id": w.project_id}),
    "POST /api/v1/projects/{project_id}/pull": Rule({A}, json=lambda w, r: {"name": w.other_dataset},
                                                    why="pulling P into Q's dataset: admins only"),
}

# What each role must never find in any response body.
FORBIDDEN_TEXT = {
    N: (ANN2_SECRET, GOLD_SECRET, REVIEW_SECRET, OTHER_PROJECT_SECRET),
    O: (ANN1_SECRET, ANN2_SECRET, GOLD_SECRET, REVIEW_SECRET),
    X: (ANN1_SECRET, ANN2_SECRET, GOLD_SECRET, REVIEW_SECRET, OTHER_PROJECT_SECRET),
}
ORDER = (X, O, N, R, L, A)  # the denied usually first, so they cannot disturb what the allowed do


_APP: dict[str, object] = {}


def _client(w: World) -> tuple[TestClient, object]:
    """A client over the world copy `w`. The app is built once (create_app costs about half a CPU second)
    and pointed at each copy's database and settings."""
    from assay.store.db import open_db
    from assay.web.app import create_app, install_background

    db = open_db(settings_for(w.path), migrate=False)
    app = _APP.get("app")
    if app is None:
        app = _APP["app"] = create_app(settings_for(w.path), db)
    else:
        app.state.ctx.db, app.state.ctx.settings = db, db.settings  # type: ignore[attr-defined]
        install_background(app, db)  # type: ignore[arg-type]  # background work over this copy's database
    client = TestClient(app, follow_redirects=False)  # type: ignore[arg-type]
    client.__enter__()  # runs the app's lifespan: its job runner builds explorer caches, runs code
    return client, db


def run_rule(world_template: World, tmp: Path, key: str, *, bearer: bool = False,
             rule: Rule | None = None) -> dict[str, str]:
    """Call the route as every role on a fresh world (one per role when `rule.fresh`); returns role ->
    allow/deny, checking the security headers and leaks on the way. With `bearer`, signed-in roles use
    their write-scoped API token instead of the session cookie. `rule` defaults to RULES[key]."""
    method, path = key.split(" ", 1)
    rule = rule or RULES[key]
    got: dict[str, str] = {}
    w = client = db = None
    try:
        for n, role in enumerate(ORDER):
            if client is None or rule.fresh:
                if client is not None:
                    client.__exit__(None, None, None)  # ends the app's lifespan (its job runner)
                    db.close()  # type: ignore[attr-defined]
                w = copy_world(world_template, tmp / str(n))
                client, db = _client(w)
            assert w is not None
            if method == "MOUNT":
                resp = client.get(path + "/js/base.js")
            elif bearer and role != X:
                resp = call(client, w, role, method, path, rule, bearer=w.write_tokens[role])
            else:
                resp = call(client, w, role, method, path, rule)
            where = f"{key} as {role}{' (token)' if bearer else ''}: {resp.status_code}"
            got[role] = outcome("GET" if method == "MOUNT" else method, resp, absent=rule.absent)
            check_security_headers(resp, where)
            for secret in (*FORBIDDEN_TEXT.get(role, ()), ENDPOINT_KEY):
                assert secret not in resp.text, f"{where} leaks {secret}"
            if got[role] == "allow" and resp.status_code in (400, 422) and not (
                    rule.invalid_ok and role in rule.allow):
                pytest.fail(f"{where}: the table's request is invalid for this route: {resp.text[:300]}")
    finally:
        if client is not None:
            client.__exit__(None, None, None)  # ends the app's lifespan (its job runner)
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


@pytest.mark.parametrize("key", sorted(OTHER_PROJECT_DATASET))
def test_another_projects_dataset_is_the_admins_only(key: str, world_template: World, tmp_path: Path) -> None:
    """Issue 18, finding 9: every dataset route on a dataset owned by project Q, as every role."""
    rule = OTHER_PROJECT_DATASET[key]
    got = run_rule(world_template, tmp_path / "w", key, rule=rule)
    assert got == _expected(rule), f"{key} on Q's dataset: expected allow for {sorted(rule.allow)}, got {got}"
    if key.split(" ", 1)[1].startswith("/api/"):
        got_token = run_rule(world_template, tmp_path / "t", key, bearer=True, rule=rule)
        assert got_token == _expected(rule), f"{key} on Q's dataset with API tokens: got {got_token}"


def test_json_and_html_twins_agree() -> None:
    """The twins' expectations agree (each is checked against the app by the test above)."""
    for key, rule in RULES.items():
        if rule.twin:
            assert rule.twin in RULES, f"{key}: twin {rule.twin} is not in RULES"
            assert RULES[rule.twin].allow == rule.allow, (
                f"{key} allows {sorted(rule.allow)} but its twin {rule.twin} allows {sorted(RULES[rule.twin].allow)}")


STATE_CHANGING = sorted(k for k in RULES if k.split(" ")[0] not in SAFE | {"MOUNT"} and RULES[k].allow - {X})
API_WRITES = [k for k in STATE_CHANGING if k.split(" ", 1)[1].startswith("/api/")]


def test_state_change_without_csrf_token_is_refused(world_template: World, tmp_path: Path) -> None:
    """Every state-changing route, called with a session cookie but without the CSRF token by a role that
    may call it, is refused (403) before it acts — so one copy of the world serves them all."""
    assert len(STATE_CHANGING) > 30
    w = copy_world(world_template, tmp_path / "w")
    client, db = _client(w)
    bad = []
    try:
        for key in STATE_CHANGING:
            method, path = key.split(" ", 1)
            rule = RULES[key]
            for role in sorted(rule.allow - {X}):
                resp = call(client, w, role, method, path, rule, csrf=False)
                if resp.status_code != 403 or "CSRF" not in resp.text:
                    bad.append(f"{key} as {role}: {resp.status_code} {resp.text[:120]}")
    finally:
        client.__exit__(None, None, None)  # ends the app's lifespan (its job runner)
        db.close()  # type: ignore[attr-defined]
    assert not bad, "state changes accepted without the CSRF token:\n" + "\n".join(bad)


def test_read_scoped_token_is_refused_on_writes(world_template: World, tmp_path: Path) -> None:
    """Every state-changing JSON route refuses a read-scoped token of a role that may otherwise call it."""
    assert len(API_WRITES) > 20
    w = copy_world(world_template, tmp_path / "w")
    client, db = _client(w)
    bad = []
    try:
        for key in API_WRITES:
            method, path = key.split(" ", 1)
            rule = RULES[key]
            role = min(rule.allow - {X})
            resp = call(client, w, role, method, path, rule, bearer=w.read_tokens[role])
            if resp.status_code != 403 or "read-only" not in resp.text:
                bad.append(f"{key} as {role}: {resp.status_code} {resp.text[:120]}")
    finally:
        client.__exit__(None, None, None)  # ends the app's lifespan (its job runner)
        db.close()  # type: ignore[attr-defined]
    assert not bad, "writes accepted with a read-scoped token:\n" + "\n".join(bad)
