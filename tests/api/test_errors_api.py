"""Every error path answers JSON `{"error": {"code", "message", "details"}}`, and the OpenAPI document
covers the routes programs need."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiEnv


def _err(r) -> dict:  # type: ignore[no-untyped-def]
    body = r.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


@pytest.mark.slow
def test_error_shapes(api_env: ApiEnv, project: dict) -> None:
    anon, lead = api_env.raw(None), api_env.raw("lead")
    pid = project["id"]
    assert _err(anon.get("/api/v1/projects"))["code"] == "unauthenticated"
    bad = TestClientWith(api_env, "assay_not-a-token")
    assert _err(bad.get("/api/v1/me"))["code"] == "unauthenticated"
    r = lead.get("/api/v1/no/such/route")
    assert r.status_code == 404 and _err(r)["code"] == "not_found"
    r = lead.delete(f"/api/v1/projects/{pid}")
    assert r.status_code == 405 and _err(r)["code"] == "method_not_allowed"
    r = lead.post(f"/api/v1/projects/{pid}/records", json=[{"prompt": "no id"}])
    e = _err(r)
    assert r.status_code == 422 and e["code"] == "invalid" and "id" in e["message"]
    assert e["details"]["errors"][0]["loc"][-1] == "id"
    r = lead.post(f"/api/v1/projects/{pid}/records", content=b"not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and _err(r)["code"] == "invalid"
    r = lead.get("/api/v1/projects/not-a-number")
    assert r.status_code == 422 and _err(r)["code"] == "invalid"
    r = lead.post("/api/v1/projects", json={"name": project["name"], "questions": [{"name": "q", "kind": "pairwise"}]})
    assert r.status_code == 409 and _err(r)["code"] == "conflict"
    r = api_env.raw("ann").post("/api/v1/projects", json={"name": "x", "questions": []})
    assert _err(r)["code"] in ("forbidden", "invalid")
    r = lead.get("/api/v1/projects/424242")
    assert r.status_code == 404 and _err(r)["code"] == "not_found"
    r = lead.post(f"/api/v1/projects/{pid}/exports", json={"format": "nope"})
    assert r.status_code == 422 and "unknown" in _err(r)["message"]


def TestClientWith(env: ApiEnv, token: str):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    return TestClient(env.app, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.slow
def test_openapi_covers_the_program_routes(api_env: ApiEnv) -> None:
    doc = api_env.raw(None).get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    for p, method in [("/api/v1/projects", "post"), ("/api/v1/projects/{project_id}/records", "post"),
                      ("/api/v1/projects/{project_id}/records", "get"),
                      ("/api/v1/projects/{project_id}/annotations", "get"),
                      ("/api/v1/projects/{project_id}/exports", "post"),
                      ("/api/v1/projects/{project_id}/exports/{export_id}/files/{name}", "get"),
                      ("/api/v1/projects/{project_id}/records/{record_id}/suggestions", "get"),
                      ("/api/v1/datasets", "get"), ("/api/v1/datasets/{name}/versions/{selector}", "get")]:
        assert method in paths[p], (p, method)
    params = {x["name"] for x in paths["/api/v1/projects/{project_id}/annotations"]["get"]["parameters"]}
    assert {"after", "limit"} <= params
    assert "AnnotationPage" in doc["components"]["schemas"]
