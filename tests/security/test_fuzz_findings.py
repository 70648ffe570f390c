"""Server errors the schemathesis run under 50 annotators found (issue 18, `test_api_fuzz_under_load`), each
replayed: a refused request answers 422 naming what is wrong, never 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.security.world import World


def _admin(client: TestClient, world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.write_tokens['admin']}"}


@pytest.mark.parametrize("ids", [[2**63], [2**40], [0], [-5]])
def test_gold_record_ids_outside_the_id_range_answer_422(client: TestClient, world: World, ids: list[int]) -> None:
    """`POST .../gold` (and unset, and the records table's bulk action) with an id no database column can
    hold used to reach the SQLite driver: OverflowError, 500."""
    h, pid = _admin(client, world), world.project_id
    for path, body in ((f"/api/v1/projects/{pid}/gold", {"record_ids": ids, "expected": {}}),
                       (f"/api/v1/projects/{pid}/gold/unset", {"record_ids": ids}),
                       (f"/api/v1/projects/{pid}/records-bulk", {"action": "ungold", "record_ids": ids})):
        r = client.post(path, json=body, headers=h)
        assert r.status_code == 422, (path, r.status_code, r.text[:300])
        assert r.json()["error"]["code"] == "invalid" and "record_ids" in r.text


@pytest.mark.parametrize("char", ["\x0c", "\x1f", "\x99", "\x00"])
def test_project_file_with_a_control_character_is_a_problem_on_its_line(client: TestClient, world: World,
                                                                         char: str) -> None:
    """`POST /api/v1/project-files/check` with a control character: YAML's reader refused it before the
    checker's error handling began (ReaderError, 500). Now it is one problem with its line."""
    text = f"name: fuzz\nquestions:\n  - name: q{char}\n    kind: pairwise\n"
    r = client.post("/api/v1/project-files/check", json={"yaml": text}, headers=_admin(client, world))
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    assert body["ok"] is False and body["project"] is None
    assert [e["line"] for e in body["errors"]] == [3] and "not allowed" in body["errors"][0]["message"]
