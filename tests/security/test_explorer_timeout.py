"""Issue 18, finding 12: the explorer's raw `where` had no time limit — its cost grows with the expression
(`range(4e8)` took 2.3 s, and a bigger range runs for minutes on a server thread). Now every view query runs
under `explorer_query_seconds`: DuckDB is interrupted from a timer thread, and the API answers 422 JSON
(code `query_timeout`) saying the filter took too long; the page shows the same message."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from assay.services.accounts import auth, users
from assay.web.app import create_app
from tests.explorer.conftest import explorer_store, xdb  # noqa: F401 - fixtures

SLOW = "(SELECT sum(range) FROM range(2000000000)) > 0"  # ~4 s of work per statement without a limit


@pytest.fixture
def lead_client(xdb):  # type: ignore[no-untyped-def]  # noqa: F811
    xdb.settings.explorer_query_seconds = 0.5
    admin = users.add_user(xdb, "root", "password123", "admin")
    app = create_app(xdb.settings, xdb)
    token = auth.create_api_token(xdb, admin.id, "t")[0]
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        assert c.get("/api/v1/explore/hh-clean@1/records").status_code == 200  # the cache is built
        yield c


@pytest.mark.slow  # waits for a query to hit its time limit
def test_a_slow_where_is_stopped_with_a_clear_answer(lead_client: TestClient) -> None:
    t0 = time.monotonic()
    r = lead_client.get("/api/v1/explore/hh-clean@1/records", params={"where": SLOW})
    elapsed = time.monotonic() - t0
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "query_timeout" and "took too long" in err["message"]
    assert elapsed < 10, f"the query ran {elapsed:.1f} s"

    page = lead_client.get("/explore/hh-clean@1", params={"where": SLOW})
    assert page.status_code == 422 and "took too long" in page.text

    # the selection paths (push / save) run under the same limit
    r = lead_client.post("/api/v1/explore/hh-clean@1/export",
                         json={"where": SLOW, "name": "slow-copy", "format": "version"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "query_timeout", r.text

    # the cursor is not left interrupted: a quick filter right after works
    ok = lead_client.get("/api/v1/explore/hh-clean@1/records", params={"where": "length(id) > 0"})
    assert ok.status_code == 200 and ok.json()["total"] > 0
