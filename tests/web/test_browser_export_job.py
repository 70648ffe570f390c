"""The export form in a real browser (issue 18): *Download* starts an export job, its page shows the job and
swaps in the zip link once done (htmx polling), and the zip holds the files and the dataset card."""

from __future__ import annotations

import io
import zipfile

import pytest

from assay.services.projects import projects
from tests.web.test_browser_loop import login

pytestmark = pytest.mark.browser


def test_export_form_runs_a_job_and_offers_the_zip(live_server, page):  # type: ignore[no-untyped-def]
    url, db = live_server.url, live_server.db
    project = projects.find_project(db, "demo-pairwise")
    login(page, url, "admin", "admin-demo-pass")
    page.goto(f"{url}/projects/{project.id}")
    page.select_option("select[name=fmt]", "raw")
    page.click("[data-testid=export]")
    page.wait_for_url(lambda u: "/exports/jobs/" in u)
    page.wait_for_selector("[data-testid=export-done]", timeout=30_000)
    assert page.get_attribute("[data-testid=export-job]", "data-state") == "done"
    with page.expect_download() as dl:
        page.click("[data-testid=export-download]")
    z = zipfile.ZipFile(io.BytesIO(dl.value.path().read_bytes()))
    assert sorted(z.namelist()) == ["README.md", "train.jsonl"]
    assert "demo-pairwise" in z.read("README.md").decode()
    assert not page.js_errors, page.js_errors


def test_the_job_page_polls_until_the_export_is_done(live_server, page):  # type: ignore[no-untyped-def]
    """A job another process is running: the page shows its progress, then (without a reload) the link."""
    from assay.services.projects import export_files, export_jobs, exports
    from assay.store.queries import jobs as jobs_q

    url, db = live_server.url, live_server.db
    project = projects.find_project(db, "demo-pairwise")
    with db.write() as s:
        job_id = jobs_q.add(s, export_jobs.KIND, {"project_id": project.id, "format": "raw", "file_format": "jsonl",
                                                  "options": {}, "authoring": None}, owner="elsewhere:1").id
        jobs_q.set_progress(s, job_id, 0.4, "rendering raw")
    login(page, url, "admin", "admin-demo-pass")
    page.goto(f"{url}/projects/{project.id}/exports/jobs/{job_id}")
    assert page.get_attribute("[data-testid=export-job]", "data-state") == "running"
    assert "40%" in page.inner_text("[data-testid=export-job]")
    res = exports.export_project(db, project.id, "raw")
    with db.write() as s:
        jobs_q.finish(s, job_id, "done", {"export_id": export_files.export_id_of(res.card_path.parent),
                                          "files": ["train.jsonl"], "paths": {"train": "train.jsonl"},
                                          "card": "README.md", "rows": res.rows, "counts": res.counts})
    page.wait_for_selector("[data-testid=export-download]", timeout=15_000)  # swapped in by htmx
    assert page.url.endswith(f"/exports/jobs/{job_id}")
    assert not page.js_errors, page.js_errors
