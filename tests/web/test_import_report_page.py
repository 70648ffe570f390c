"""The project import keeps and shows the import report `assay data import` prints (issue 20, item 4): the
import API's finished job answers it (`import_report`) and the finished import's page draws it as a table —
on the real HH file, whose 5 divergent pairs must appear; the licence given with the upload is kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assay.domain.projects import ProjectSpec
from assay.services.accounts import auth, users
from assay.services.accounts.audit import list_events
from assay.services.projects import projects
from tests.conftest import require_file


@pytest.mark.slow  # real data or a real cache build, a few seconds: out of the fast loop
def test_import_job_api_and_page_show_the_report(db: Any, shared_data: Path) -> None:
    from assay.web.app import create_app

    hh = require_file(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz")
    lead = users.add_user(db, "lead", "lead-pass-12345", "lead")
    p = projects.create_project(db, ProjectSpec.from_dict(
        {"name": "hh", "questions": [{"name": "preference", "kind": "pairwise"}]}), lead)
    token = auth.create_api_token(db, lead.id, "t")[0]
    with TestClient(create_app(db.settings, db), headers={"Authorization": f"Bearer {token}"}) as c:
        up = c.post(f"/api/v1/projects/{p.id}/imports", params={"fmt": "hh", "name": hh.name, "license": "MIT"},
                    content=hh.read_bytes(), headers={"Content-Type": "application/octet-stream"})
        assert up.status_code == 201, up.text
        check = c.get(up.json()["poll"], params={"wait": 60}).json()
        assert check["state"] == "done" and check["import_report"] is None, check
        run = c.post(check["run"])
        assert run.status_code == 201, run.text
        done = c.get(run.json()["poll"], params={"wait": 60}).json()
        assert done["state"] == "done", done
        rep = done["import_report"]
        assert rep["file"] == hh.name and rep["format"] == "hh" and rep["license"] == "MIT"
        assert rep["rows_read"] == rep["records_read"] == rep["records_imported"] == 2312
        assert rep["divergent_pairs"] == 5 and rep["other_counts"] == {"hh_divergent_kept": 5}
        assert rep["existing"] == 0 and rep["skipped"] == {} and rep["empty_replies"] >= 0
        page = c.get(f"/projects/{p.id}/import/jobs/{done['id']}").text
    table = page.split('data-testid="import-summary"', 1)[1].split("</table>", 1)[0]
    assert 'data-testid="summary-created">2312<' in table and 'data-testid="report-rows_read">2312<' in table
    assert 'data-testid="report-divergent_pairs">5<' in table and "Divergent pairs" in table
    assert 'data-testid="report-license">MIT<' in table and 'data-testid="summary-existing">0<' in table
    (event,) = list_events(db, action="records.import")
    assert event.detail["report"] == rep
