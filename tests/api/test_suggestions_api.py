"""Judge suggestions: stored apart from annotations (never counted, never exported), resumable, and shown to
annotators only when the project says `show_suggestions: true`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assay.llm import ChatClient, EndpointConfig, RetryPolicy
from assay.llm.fake_server import FakeLLMServer
from assay.services.annotation import suggestions
from assay.services.projects import exports, projects
from tests.api.conftest import ApiEnv, annotate


def _suggest(env: ApiEnv, pid: int, srv: FakeLLMServer) -> Any:
    client = ChatClient(EndpointConfig(base_url=srv.base_url, model="judge-1"), retry=RetryPolicy(base_delay=0.01))
    with client:
        return suggestions.suggest(env.db, pid, client, swap=True, concurrency=2)


@pytest.mark.slow
def test_suggestions_are_stored_apart_and_resume(api_env: ApiEnv, project: dict, tmp_path: Any) -> None:
    pid = project["id"]
    with FakeLLMServer(model="judge-1") as srv:
        report = _suggest(api_env, pid, srv)
        assert report.stored == 6 and report.skipped == 0 and not report.failed  # the text question is skipped
        again = _suggest(api_env, pid, srv)
        assert again.stored == 0 and again.skipped == 6
    lead = api_env.raw("lead")
    recs = lead.get(f"/api/v1/projects/{pid}/records").json()["items"]
    rid = recs[0]["record_id"]
    got = lead.get(f"/api/v1/projects/{pid}/records/{rid}/suggestions").json()
    assert len(got) == 1 and got[0]["question"] == "preference" and got[0]["model"] == "judge-1"
    assert got[0]["answer"]["choice"] in ("a", "b", "tie") and got[0]["rationale"]
    # never an annotation, never counted, never exported
    assert lead.get(f"/api/v1/projects/{pid}/annotations").json()["items"] == []
    assert projects.progress(api_env.db, pid).submitted_annotations == 0
    assert all(r["submitted_count"] == 0 for r in recs)
    annotate(api_env, "ann", pid, 1)
    res = exports.export_project(api_env.db, pid, "raw", out_dir=tmp_path / "raw")
    text = res.paths["train"].read_text()
    assert res.rows == 1 and "judge-1" not in text and all("suggest" not in k for k in json.loads(text.splitlines()[0]))


def test_annotators_see_suggestions_only_when_the_project_shows_them(api_env: ApiEnv, project: dict) -> None:
    pid = project["id"]
    with FakeLLMServer(model="judge-1") as srv:
        _suggest(api_env, pid, srv)
    ann = api_env.raw("ann")
    task = ann.post(f"/api/v1/projects/{pid}/next").json()
    url = f"/api/v1/projects/{pid}/records/{task['record_id']}/suggestions"
    assert ann.get(url).json() == []
    other = next(r["record_id"] for r in api_env.raw("lead").get(f"/api/v1/projects/{pid}/records").json()["items"]
                 if r["record_id"] != task["record_id"])
    assert ann.get(f"/api/v1/projects/{pid}/records/{other}/suggestions").status_code == 404
    _show(api_env, pid)
    shown = ann.get(url).json()
    assert len(shown) == 1 and shown[0]["question"] == "preference"
    proj = projects.get_project(api_env.db, pid)
    ws = suggestions.for_workspace(api_env.db, proj, task["record_id"])
    assert set(ws) == {"preference"} and set(ws["preference"]) == {"answer", "rationale", "model"}


def _show(env: ApiEnv, pid: int) -> None:
    from assay.store.tables import ProjectRow

    with env.db.write() as s:
        row = s.get(ProjectRow, pid)
        row.settings = {**(row.settings or {}), "show_suggestions": True}
