"""Annotations read with a cursor: only submitted ones, in id order, everyone's for leads, own for others."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiEnv, annotate, make_project


@pytest.mark.slow
def test_cursor_reads_only_new_submitted_annotations(api_env_any: ApiEnv) -> None:
    api_env = api_env_any
    pid = make_project(api_env)["id"]
    annotate(api_env, "ann", pid, 3)
    annotate(api_env, "ann2", pid, 2, choice="b")
    api_env.raw("ann").post(f"/api/v1/projects/{pid}/next")  # a live lease, no submission: not listed
    lead = api_env.raw("lead")
    url = f"/api/v1/projects/{pid}/annotations"
    page1 = lead.get(url, params={"limit": 2}).json()
    page2 = lead.get(url, params={"limit": 2, "after": page1["next_after"]}).json()
    page3 = lead.get(url, params={"limit": 2, "after": page2["next_after"]}).json()
    items = page1["items"] + page2["items"] + page3["items"]
    assert page3["next_after"] is None and len(items) == 5
    ids = [a["id"] for a in items]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert {a["annotator"] for a in items} == {"ann", "ann2"}
    first = items[0]
    assert first["answers"]["preference"] == {"choice": "a", "strength": 2}
    assert first["record_external_id"].startswith("r") and first["active_seconds"] == 3.5
    # later: only what is new since the last id seen
    annotate(api_env, "ann", pid, 1)
    new = lead.get(url, params={"after": ids[-1]}).json()["items"]
    assert len(new) == 1 and new[0]["annotator"] == "ann"


def test_annotators_see_only_their_own(api_env: ApiEnv, project: dict) -> None:
    pid = project["id"]
    annotate(api_env, "ann", pid, 2)
    annotate(api_env, "ann2", pid, 1)
    mine = api_env.raw("ann2").get(f"/api/v1/projects/{pid}/annotations").json()["items"]
    assert [a["annotator"] for a in mine] == ["ann2"]
    admin = api_env.raw("admin").get(f"/api/v1/projects/{pid}/annotations").json()["items"]
    assert len(admin) == 3
