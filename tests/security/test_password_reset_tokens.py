"""Finding 11 of issue 18: API tokens survived a password reset (only sessions ended). A reset by an admin
(API, page, CLI service) or by the person themselves now revokes every API token too, and says so."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.security.conftest import as_role
from tests.security.world import PASSWORD, World


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_admin_reset_over_the_api_revokes_the_persons_tokens(client: TestClient, world: World) -> None:
    token = world.write_tokens["annotator"]
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    c = as_role(client, world, "admin")
    r = c.post(f"/api/v1/admin/users/{world.user_ids['ann1']}/password", json={"password": "reset-pass-123"},
               headers={"X-CSRF-Token": world.csrf["admin"]})
    assert r.status_code == 204
    assert r.headers["assay-credentials-ended"] == "sessions=1; api_tokens=2"  # its write and read token
    client.cookies.clear()
    for raw in (world.write_tokens["annotator"], world.read_tokens["annotator"]):
        assert client.get("/api/v1/me", headers=_bearer(raw)).status_code == 401
    # other people's tokens are untouched
    assert client.get("/api/v1/me", headers=_bearer(world.write_tokens["lead"])).status_code == 200


def test_admin_reset_on_the_page_revokes_tokens_and_says_so(client: TestClient, world: World) -> None:
    c = as_role(client, world, "admin")
    r = c.post(f"/admin/users/{world.user_ids['ann1']}/password",
               data={"password": "reset-pass-123", "csrf_token": world.csrf["admin"]})
    assert r.status_code == 200
    assert "password of ann1 reset; 1 session and 2 API tokens ended" in r.text
    client.cookies.clear()
    assert client.get("/api/v1/me", headers=_bearer(world.write_tokens["annotator"])).status_code == 401


def test_own_password_change_revokes_own_tokens(client: TestClient, world: World) -> None:
    token = world.write_tokens["annotator"]
    r = client.post("/api/v1/account/password", headers=_bearer(token),
                    json={"old_password": PASSWORD, "new_password": "new-pass-12345"})
    assert r.status_code == 204
    assert r.headers["assay-credentials-ended"] == "sessions=1; api_tokens=2"
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(world.read_tokens["annotator"])).status_code == 401
    page = as_role(client, world, "lead").get("/account")
    assert "revokes your API tokens" in page.text
