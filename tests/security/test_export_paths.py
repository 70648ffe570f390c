"""Every way out of Assay is permission-checked (issue 5: exports are the lead's; annotators never see
other people's answers "in exports alike"): project exports, authoring exports and the dataset explorer's
export / download / push, through the JSON API and the pages. Annotators, reviewers and outsiders are
refused; a lead of project P cannot export or push into project Q, which they do not lead."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.security.conftest import as_role
from tests.security.world import ANN1_SECRET, ANN2_SECRET, GOLD_SECRET, World


def _post(c: TestClient, w: World, role: str, url: str, **kw):  # type: ignore[no-untyped-def]
    as_role(c, w, role)
    return c.post(url, headers={"X-CSRF-Token": w.csrf[role]}, **kw)


@pytest.mark.parametrize("role", ["annotator", "reviewer", "outsider"])
def test_non_leads_cannot_export_by_any_path(client: TestClient, world: World, role: str) -> None:
    w, p = world, world.project_id
    ref = f"{w.dataset}@{w.dataset_version}"
    calls = [
        ("authoring export", f"/api/v1/projects/{p}/authoring/export", {"json": {"format": "sft"}}),
        ("project export", f"/api/v1/projects/{p}/exports", {"json": {"format": "raw"}}),
        ("project export page", f"/projects/{p}/export", {"data": {"fmt": "raw", "csrf_token": w.csrf[role]}}),
        ("explorer version", f"/api/v1/explore/{ref}/export", {"json": {"format": "version", "name": "x"}}),
        ("explorer download", f"/api/v1/explore/{ref}/export", {"json": {"format": "jsonl"}}),
        ("explorer page export", f"/explore/{ref}/export", {"data": {"name": "x", "csrf_token": w.csrf[role]}}),
        ("explorer push", f"/api/v1/explore/{ref}/push", {"json": {"project_id": p}}),
        ("explorer page push", f"/explore/{ref}/push", {"data": {"project_id": str(p), "csrf_token": w.csrf[role]}}),
    ]
    for what, url, kw in calls:
        r = _post(client, w, role, url, **kw)
        assert r.status_code in (403, 404), f"{what} as {role}: {r.status_code} {r.text[:200]}"
        for secret in (ANN1_SECRET, ANN2_SECRET, GOLD_SECRET):
            assert secret not in r.text, f"{what} as {role} leaks {secret}"


@pytest.mark.slow
def test_a_lead_cannot_export_or_push_into_a_project_they_do_not_lead(client: TestClient, world: World) -> None:
    w, q = world, world.other_project_id
    ref = f"{w.dataset}@{w.dataset_version}"
    assert _post(client, w, "lead", f"/api/v1/projects/{q}/authoring/export", json={"format": "sft"}).status_code == 404
    assert _post(client, w, "lead", f"/api/v1/projects/{q}/exports", json={"format": "raw"}).status_code == 404
    assert _post(client, w, "lead", f"/api/v1/explore/{ref}/push", json={"project_id": q}).status_code == 404
    # and in their own project the same calls go through
    assert _post(client, w, "lead", f"/api/v1/projects/{w.project_id}/exports",
                 json={"format": "raw"}).status_code in (200, 201)
    r = _post(client, w, "lead", f"/api/v1/projects/{w.project_id}/authoring/export", json={"format": "sft"})
    assert r.status_code == 200, r.text[:300]


@pytest.mark.slow
def test_a_bad_where_in_an_explorer_export_or_push_is_a_422_not_a_500(client: TestClient, world: World) -> None:
    """Found by the API fuzzer: a `where` DuckDB cannot bind or parse made export/push fail with a 500."""
    w = world
    ref = f"{w.dataset}@{w.dataset_version}"
    for where in ("ASSAY_ = 1", "127.0.0.1 ))"):
        for url, body in ((f"/api/v1/explore/{ref}/export", {"format": "version", "name": "x", "where": where,
                                                             "project_id": w.project_id}),
                          (f"/api/v1/explore/{ref}/export", {"format": "jsonl", "where": where}),
                          (f"/api/v1/explore/{ref}/push", {"project_id": w.project_id, "where": where})):
            r = _post(client, w, "lead", url, json=body)
            message = r.json()["error"]["message"]
            assert r.status_code == 422 and "the SQL condition" in message and "In SQL you may use" in message, \
                (url, r.text[:300])
