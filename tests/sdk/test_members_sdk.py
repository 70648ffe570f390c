"""The SDK's member calls (`members`, `add_member`, `remove_member`) against the real app over the security
world (tests/security/world.py): a project lead manages members, an annotator is refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assay.errors import AssayError
from assay.sdk import Client
from tests.security.conftest import app, cheap_password_hashing, client, world, world_template  # noqa: F401
from tests.security.world import World


@pytest.mark.slow
def test_lead_manages_members_and_annotator_is_refused(client: TestClient, world: World) -> None:  # noqa: F811
    w = world
    client.cookies.clear()
    lead = Client(token=w.write_tokens["lead"], http=client)
    added = lead.add_member("proj-p", "out1", "annotator")
    assert added.username == "out1" and added.role == "annotator"
    assert lead.add_member(w.project_id, "out1", "reviewer").role == "reviewer"  # changing the role
    assert {m.username: m.role for m in lead.members("proj-p")}["out1"] == "reviewer"
    lead.remove_member("proj-p", "out1")
    assert "out1" not in {m.username for m in lead.members(w.project_id)}
    with pytest.raises(AssayError):  # not a member any more
        lead.remove_member("proj-p", "out1")
    ann = Client(token=w.write_tokens["annotator"], http=client)
    with pytest.raises(AssayError) as e:
        ann.add_member(w.project_id, "out1", "lead")
    assert e.value.details.get("status") == 403
    with pytest.raises(AssayError) as e:
        ann.members(w.project_id)
    assert e.value.details.get("status") == 403
