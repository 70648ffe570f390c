"""`Client.gold / set_gold / unset_gold` over the real app in-process."""

from __future__ import annotations

from typing import Any

import pytest

from assay.errors import Forbidden, Invalid, NotFound


def test_gold_through_the_sdk(api_env: Any, project: dict[str, Any]) -> None:
    lead = api_env.sdk("lead")
    assert lead.set_gold(project["name"], {"preference": {"choice": "b"}}, external_ids=["r1", "r2"]) == 2
    got = lead.gold(project["id"])
    assert [g.external_id for g in got] == ["r1", "r2"] and got[0].expected["preference"]["choice"] == "b"
    with pytest.raises(Invalid, match="preference"):
        lead.set_gold(project["id"], {"preference": {"choice": "z"}}, external_ids=["r3"])
    with pytest.raises(NotFound, match="r99"):
        lead.set_gold(project["id"], {"preference": {"choice": "a"}}, external_ids=["r3", "r99"])
    assert [g.external_id for g in lead.gold(project["id"])] == ["r1", "r2"]  # nothing half done
    assert lead.unset_gold(project["id"], external_ids=["r1"]) == 1
    assert [g.external_id for g in lead.gold(project["id"])] == ["r2"]
    with pytest.raises(Forbidden):
        api_env.sdk("ann").gold(project["id"])
