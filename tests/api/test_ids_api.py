"""Ids in paths, queries, forms and bodies are typed and bounded at the edge (`assay.web.deps`,
`assay.schemas.common`): a huge, negative or non-numeric id answers a clean 422 (JSON for /api, an error
page for HTML pages) and the largest id the database holds is an ordinary miss (404) — never a 500 from
the database driver, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from assay.schemas import MAX_ID
from tests.api.conftest import ApiEnv, make_project

BAD_IDS = [str(2**63), str(MAX_ID + 1), "-1", "0", "abc", "1.5"]


def _json_error(r) -> dict:  # type: ignore[no-untyped-def]
    assert r.headers["content-type"].startswith("application/json"), r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]


@pytest.mark.slow
def test_bad_ids_on_api_routes_answer_422_json(api_env_any: ApiEnv) -> None:
    lead = api_env_any.raw("lead")
    pid = make_project(api_env_any)["id"]
    for bad in BAD_IDS:
        for url in (f"/api/v1/projects/{bad}", f"/api/v1/projects/{pid}/records/{bad}/suggestions",
                    f"/api/v1/projects/{bad}/annotations"):
            r = lead.get(url)
            assert r.status_code == 422, (url, r.status_code, r.text)
            assert _json_error(r)["code"] == "invalid"
            assert r.headers["x-content-type-options"] == "nosniff"
        r = lead.delete(f"/api/v1/projects/{pid}/members/{bad}")
        assert r.status_code == 422 and _json_error(r)["code"] == "invalid", r.text
    for bad in (str(2**70), "-5", "x"):  # a cursor in the query, an id in a JSON body
        r = lead.get(f"/api/v1/projects/{pid}/annotations", params={"after": bad})
        assert r.status_code == 422 and _json_error(r)["code"] == "invalid", r.text
        body_id = int(bad) if bad.lstrip("-").isdigit() else bad
        r = lead.post(f"/api/v1/projects/{pid}/reports", json={"reason": "other", "record_id": body_id})
        assert r.status_code == 422 and _json_error(r)["code"] == "invalid", r.text
    # the largest id the database holds is an ordinary miss
    r = lead.get(f"/api/v1/projects/{MAX_ID}")
    assert r.status_code == 404 and _json_error(r)["code"] == "not_found", r.text
    r = lead.get(f"/api/v1/projects/{pid}/records/{MAX_ID}/suggestions")
    assert r.status_code == 404, r.text
    r = lead.get(f"/api/v1/projects/{pid}/annotations", params={"after": MAX_ID})
    assert r.status_code == 200 and r.json()["items"] == [], r.text


@pytest.mark.parametrize("bad", [str(2**63), "-1", "abc"])
@pytest.mark.slow
def test_bad_ids_on_pages_answer_an_error_page(api_env: ApiEnv, project: dict, bad: str) -> None:
    lead = api_env.raw("lead")
    for url, param in ((f"/projects/{bad}", "project_id"),
                       (f"/projects/{project['id']}/records/{bad}/history", "record_id")):
        r = lead.get(url, headers={"accept": "text/html"})
        assert r.status_code == 422, (url, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("text/html")
        assert "<html" in r.text.lower() and param in r.text, r.text[:500]
    r = lead.get(f"/projects/{bad}", headers={"accept": "text/html", "hx-request": "true"})
    assert r.status_code == 422 and r.text.startswith('<div class="error" role="alert">'), r.text
    r = lead.get(f"/projects/{bad}", headers={"accept": "application/json"})
    assert r.status_code == 422 and _json_error(r)["code"] == "invalid"


def test_largest_id_on_a_page_is_an_ordinary_miss(api_env: ApiEnv) -> None:
    r = api_env.raw("lead").get(f"/projects/{MAX_ID}", headers={"accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), r.text[:300]
