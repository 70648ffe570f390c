"""Numbers no id can reach answer 422 (found by the API fuzzer: they used to overflow the driver, a 500).
Ids are typed and bounded at the edge (`assay.web.deps`, `assay.schemas.common`), so a path id over the
largest the database holds is refused like a non-numeric one (422; it was a 404 from a URL-scanning
middleware), and the largest id itself is an ordinary miss."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.security.conftest import as_role
from tests.security.world import World


@pytest.mark.slow
def test_huge_numbers_in_path_query_and_body(client: TestClient, world: World) -> None:
    c = as_role(client, world, "admin")
    r = c.post(f"/api/v1/explore/{world.dataset}@{world.dataset_version}/push", json={"project_id": 2**63},
               headers={"X-CSRF-Token": world.csrf["admin"]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid", r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert c.get("/api/v1/projects/99999999999").status_code == 422
    r = c.get(f"/projects/{2**64}")
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html"), r.text[:200]
    assert c.get(f"/api/v1/projects/{world.project_id}/annotations", params={"after": 2**70}).status_code == 422
    assert c.get("/api/v1/projects/2147483647").status_code == 404  # the largest id is an ordinary miss
