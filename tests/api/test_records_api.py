"""Records over the API: bulk add (idempotent, all-or-nothing), pending records, cursor listing, permissions."""

from __future__ import annotations

from tests.api.conftest import ApiEnv, pair_record


def test_bulk_add_is_idempotent_and_all_or_nothing(api_env: ApiEnv, project: dict) -> None:
    lead = api_env.raw("lead")
    url = f"/api/v1/projects/{project['id']}/records"
    r = lead.post(url, json=[pair_record(i) for i in range(4, 10)])
    assert r.json() == {"created": 4, "existing": 2}
    bad = [pair_record(20), {"id": "r21", "prompt": "x", "completions": [{"text": "only one"}]}]
    r = lead.post(url, json=bad)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid" and "needs at least 2 completions" in err["message"]
    ids = [x["record"]["id"] for x in lead.get(url, params={"limit": 100}).json()["items"]]
    assert "r20" not in ids and len(ids) == 10


def test_pending_records_accept_missing_completions(api_env: ApiEnv, project: dict) -> None:
    lead = api_env.raw("lead")
    url = f"/api/v1/projects/{project['id']}/records"
    r = lead.post(url, params={"pending": "true"}, json=[{"id": "p1", "prompt": "Say hi"}])
    assert r.json() == {"created": 1, "existing": 0}
    r = lead.post(url, params={"pending": "true"}, json=[{"id": "p2", "messages": [{"role": "system", "content": "x"}]}])
    assert r.status_code == 422 and "no user message" in r.json()["error"]["message"]


def test_record_listing_pages_by_cursor(api_env: ApiEnv, project: dict) -> None:
    lead = api_env.raw("lead")
    url = f"/api/v1/projects/{project['id']}/records"
    first = lead.get(url, params={"limit": 4}).json()
    assert len(first["items"]) == 4 and first["next_after"] == first["items"][-1]["record_id"]
    rest = lead.get(url, params={"limit": 4, "after": first["next_after"]}).json()
    assert [x["record"]["id"] for x in first["items"] + rest["items"]] == [f"r{i}" for i in range(6)]
    assert rest["next_after"] is None
    assert rest["items"][0]["record"]["metadata"] == {"n": 4}
    assert lead.get(url, params={"limit": 0}).json()["error"]["code"] == "invalid"


def test_annotators_cannot_list_or_add_records(api_env: ApiEnv, project: dict) -> None:
    url = f"/api/v1/projects/{project['id']}/records"
    ann = api_env.raw("ann")
    assert ann.get(url).json()["error"]["code"] == "forbidden"
    assert ann.post(url, json=[pair_record(50)]).status_code == 403
    assert api_env.raw("ann").get("/api/v1/projects/9999/records").status_code == 404


def test_read_only_token_cannot_write(api_env: ApiEnv, project: dict) -> None:
    r = api_env.raw("lead_ro").post(f"/api/v1/projects/{project['id']}/records", json=[pair_record(60)])
    assert r.status_code == 403 and "read-only" in r.json()["error"]["message"]
    assert api_env.raw("lead_ro").get(f"/api/v1/projects/{project['id']}/records").status_code == 200
