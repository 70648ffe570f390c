"""/api/v1/projects/{id}/gold: list, set (expected answers checked with the typed answer models), unset —
leads and admins only, all or nothing, and the gold standing figures follow (both databases)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.records_world import RecordsWorld, make_world


@pytest.fixture
def w(settings: Any) -> Iterator[RecordsWorld]:
    world = make_world(settings, n=8)
    yield world
    world.db.close()


def _url(w: RecordsWorld, tail: str = "") -> str:
    return f"/api/v1/projects/{w.project_id}/gold{tail}"


def test_set_list_unset(w: RecordsWorld) -> None:
    lead = w.client("lead")
    r = lead.post(_url(w), json={"external_ids": ["r01", "r02"], "record_ids": [w.ids["r05"]],
                                 "expected": {"preference": {"choice": "a", "strength": 3}}})
    assert r.status_code == 200 and r.json() == {"records": 3}
    got = lead.get(_url(w)).json()
    assert [(g["external_id"], g["record_id"]) for g in got] == [("r01", w.ids["r01"]), ("r02", w.ids["r02"]),
                                                                 ("r05", w.ids["r05"])]
    assert got[0]["expected"] == {"preference": {"choice": "a", "strength": 3}}
    # marking again replaces the expected answers; a tie has no strength
    r = lead.post(_url(w), json={"external_ids": ["r01"], "expected": {"preference": {"choice": "tie"}}})
    assert r.status_code == 200 and lead.get(_url(w)).json()[0]["expected"]["preference"]["choice"] == "tie"
    r = lead.post(_url(w, "/unset"), json={"external_ids": ["r02", "r03"]})
    assert r.status_code == 200 and r.json() == {"records": 1}  # r03 was not gold
    assert [g["external_id"] for g in lead.get(_url(w)).json()] == ["r01", "r05"]
    assert w.client("admin").get(_url(w)).status_code == 200


BAD_BODIES = [
    ({"external_ids": ["r01"], "expected": {"preference": {"choice": "c"}}}, 422, "preference"),
    ({"external_ids": ["r01"], "expected": {"preference": {"choice": "a", "strength": 9}}}, 422, "strength"),
    ({"external_ids": ["r01"], "expected": {"nope": {"choice": "a"}}}, 422, "nope"),
    ({"external_ids": ["r01"], "expected": {}}, 422, "expected"),
    ({"external_ids": ["r01"], "expected": {"preference": "a"}}, 422, "preference"),
    ({"expected": {"preference": {"choice": "a"}}}, 422, "name the records"),
    ({"external_ids": ["r01", "missing"], "expected": {"preference": {"choice": "a"}}}, 404, "missing"),
    ({"record_ids": [w_id := 10**9], "expected": {"preference": {"choice": "a"}}}, 404, str(w_id)),
]


def test_bad_requests_change_nothing(w: RecordsWorld) -> None:
    """Each bad body in turn, in one world: refused with its reason, and still no gold afterwards."""
    for body, status, text in BAD_BODIES:
        r = w.client("lead").post(_url(w), json=body)
        assert r.status_code == status and text in r.text, (body, r.text)
        assert w.client("lead").get(_url(w)).json() == [], body


def test_records_of_another_project_are_not_found(w: RecordsWorld) -> None:
    """lead2 leads project Q: naming P's records through Q finds nothing; through P is refused."""
    q = w.other_project_id
    r = w.client("lead2").post(f"/api/v1/projects/{q}/gold", json={"record_ids": [w.ids["r01"]],
                                                                   "expected": {"preference": {"choice": "a"}}})
    assert r.status_code == 404
    assert w.client("lead2").post(_url(w), json={"external_ids": ["r01"], "expected": {
        "preference": {"choice": "a"}}}).status_code == 404
    for who in ("ann1", "rev"):
        assert w.client(who).get(_url(w)).status_code == 403
        assert w.client(who).post(_url(w, "/unset"), json={"external_ids": ["r01"]}).status_code == 403
    assert w.client("lead").get(_url(w)).json() == []


def test_standing_follows_gold_changes(w: RecordsWorld) -> None:
    """Marking records that were already judged scores their judges at once; unmarking scores them again."""
    assert [w.judge_next("ann1", c) for c in "ab"] == ["r00", "r01"]
    lead = w.client("lead")
    lead.post(_url(w), json={"external_ids": ["r00", "r01"], "expected": {"preference": {"choice": "a"}}})
    st = lead.get(_url(w, "/standing")).json()
    assert [(s["username"], s["gold_n"], s["figure"]) for s in st] == [("ann1", 2, "50 % (1 of 2)")]
    lead.post(_url(w, "/unset"), json={"external_ids": ["r01"]})
    st = lead.get(_url(w, "/standing")).json()
    assert [(s["username"], s["gold_n"], s["figure"]) for s in st] == [("ann1", 1, "100 % (1 of 1)")]
