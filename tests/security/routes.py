"""Calling any route of the app as any role of the security world, and classifying the answer.

`all_routes(app)` enumerates every (method, path) the app serves, so a test built on it cannot miss a new
route. `call(...)` fills path parameters from the world (`PARAMS`), sends the role's session cookie (and its
CSRF token unless told not to) or a bearer token, and `outcome(...)` reduces the response to
"allow" / "deny".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.security.world import World

SAFE = {"GET", "HEAD", "OPTIONS"}
DENY_STATUSES = {401, 403, 404}

Value = Any | Callable[[World, str], Any]


# Routes `create_app` adds itself, outside both routers (and outside the OpenAPI document): (method, route
# name as `app.url_path_for` knows it, path parameters). A name that stops resolving fails `all_routes`.
APP_ROUTES = [("MOUNT", "static", {"path": ""}), ("GET", "pygments_css", {}), ("GET", "favicon", {}),
              ("GET", "healthz", {})]
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "trace"}


def _schema_routes(schema: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m.upper(), path) for path, ops in schema.get("paths", {}).items() for m in ops if m in HTTP_METHODS]


def all_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (METHOD, full path) the app answers, HEAD left out; mounts appear as ("MOUNT", path).

    Read through public interfaces only (no router internals): the JSON API from the app's OpenAPI
    document; the HTML pages (left out of that document) from the OpenAPI document of a bare app that
    includes only the pages router; FastAPI's own documentation routes from the app's settings; the few
    routes `create_app` adds itself (APP_ROUTES) through `app.url_path_for`."""
    from assay.web.pages import router as pages_router

    pages = FastAPI(openapi_url="/openapi.json", docs_url=None, redoc_url=None)
    pages.include_router(pages_router)
    out = _schema_routes(app.openapi()) + _schema_routes(pages.openapi())
    out += [("GET", url) for url in (app.openapi_url, app.docs_url, app.redoc_url,
                                      app.swagger_ui_oauth2_redirect_url if app.docs_url else None) if url]
    for method, name, params in APP_ROUTES:
        out.append((method, app.url_path_for(name, **params).rstrip("/")))
    return sorted(set(out))


def _own_token_id(w: World, role: str) -> int:
    return w.token_ids["admin" if role == "anon" else role]


PARAMS: dict[str, Callable[[World, str], Any]] = {
    "project_id": lambda w, r: w.project_id,
    "record_id": lambda w, r: w.lease_record,
    "user_id": lambda w, r: w.user_ids["victim"],
    "token_id": _own_token_id,
    "invite_id": lambda w, r: w.invite_id,
    "token": lambda w, r: w.invite_token,
    "export_id": lambda w, r: w.export_id,
    "job_id": lambda w, r: w.export_job_id,
    "name": lambda w, r: w.export_file,
    "annotation_id": lambda w, r: w.annotation_ids["ann2"],
    "batch": lambda w, r: "no-such-batch",
    "ref": lambda w, r: f"{w.dataset}@{w.dataset_version}",
    "question": lambda w, r: "preference",
    "chart": lambda w, r: "agreement",
    # the security world has no chat messages, red-team attempts or fact checks: ids that match nothing
    "task_id": lambda w, r: w.task_id,
    "message_id": lambda w, r: 424242,
    "attempt_id": lambda w, r: 424242,
    "endpoint_id": lambda w, r: w.endpoint_id,
    "check_id": lambda w, r: 424242,
    "slot": lambda w, r: 0,
    "report_id": lambda w, r: w.report_id,
}


@dataclass
class Rule:
    """Who may call a route, with what. `allow`: roles that get through; `twin`: "METHOD /path" of the
    JSON (or HTML) twin whose allow/deny must be the same; `params`: path parameters that differ from
    PARAMS; `json` / `form` / `query`: the request (a value, or a function of (world, role))."""

    allow: set[str]
    json: Value = None
    form: Value = None
    query: Value = None
    params: dict[str, Callable[[World, str], Any]] = field(default_factory=dict)
    twin: str | None = None
    why: str = ""
    invalid_ok: bool = False  # allowed roles may get 400/409/422 past the check (no fitting object)
    absent: bool = False  # no such object in the world: any 4xx counts as a refusal
    fresh: bool = False  # each role on its own copy of the world (the first allowed call destroys the object)


def _value(v: Value, w: World, role: str) -> Any:
    return v(w, role) if callable(v) else v


def fill(path: str, rule: Rule, w: World, role: str) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1).split(":")[0]
        getter = rule.params.get(name) or PARAMS.get(name)
        if getter is None:
            raise KeyError(f"no value for path parameter {{{name}}} in {path}: add it to PARAMS in "
                           "tests/security/routes.py (or to the route's Rule.params)")
        return str(getter(w, role))

    return re.sub(r"\{([^}]+)\}", one, path)


def call(client: TestClient, w: World, role: str, method: str, path: str, rule: Rule, *,
         csrf: bool = True, bearer: str | None = None) -> Any:
    """Make the request as `role` (session cookie unless `bearer` is given)."""
    from assay.web.security import SESSION_COOKIE

    client.cookies.clear()
    headers: dict[str, str] = {}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    elif role != "anon":
        client.cookies.set(SESSION_COOKIE, w.sessions[role])
        if csrf:
            headers["X-CSRF-Token"] = w.csrf[role]
    url = fill(path, rule, w, role)
    kwargs: dict[str, Any] = {"headers": headers, "params": _value(rule.query, w, role)}
    body_json, body_form = _value(rule.json, w, role), _value(rule.form, w, role)
    if body_json is not None:
        kwargs["json"] = body_json
    elif body_form is not None:
        kwargs["data"] = body_form
    elif method not in SAFE and not path.startswith("/api/"):
        kwargs["data"] = {"_": ""}  # an empty HTML form post
    return client.request(method, url, **kwargs)


def outcome(method: str, resp: Any, absent: bool = False) -> str:
    """"deny" for 401/403/404 (a project you are not in does not exist for you) and for a GET sent to the
    sign-in page; "allow" for anything else below 500. A 5xx is an error in itself."""
    status = resp.status_code
    assert status < 500, f"server error {status}: {resp.text[:300]}"
    if status in DENY_STATUSES or (absent and 400 <= status < 500):
        return "deny"
    if method == "GET" and status in (302, 303, 307) and resp.headers.get("location", "").startswith("/login"):
        return "deny"
    return "allow"


def check_security_headers(resp: Any, where: str) -> None:
    h = resp.headers
    csp = h.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, f"{where}: CSP is {csp!r}"
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0], f"{where}: inline scripts allowed"
    assert h.get("x-content-type-options") == "nosniff", f"{where}: no nosniff"
    assert h.get("referrer-policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"), where
    assert h.get("x-frame-options") == "DENY", f"{where}: X-Frame-Options {h.get('x-frame-options')}"
