"""The import page in a real browser (issue 19 item 3): a lead uploads the real HH test split through the page,
sees the dry run (the first records rendered read-only, counts, the divergent-pair warnings with line and
field), imports it with a progress bar and sees the summary; the project overview then counts the records.
Malformed files name the line and the field and import nothing; a trainer and another project's lead are
refused. Screenshots go to the test output folder (and to docs/img with ASSAY_DOCS_SCREENSHOTS=1)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from assay.domain.projects import ProjectSpec
from assay.services.accounts import users
from assay.services.projects import projects
from tests.conftest import require_file
from tests.web.conftest import shot
from tests.web.test_browser_loop import login

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "lead-pass-12345"


def _docs_shot(page, output_dir: Path, name: str, height: int = 0) -> None:  # type: ignore[no-untyped-def]
    """The whole page into the test output; with ASSAY_DOCS_SCREENSHOTS=1 also docs/img/<name>.png (the
    top `height` pixels when given, so a long page stays readable in the docs)."""
    shot(page, output_dir, name)
    if os.environ.get("ASSAY_DOCS_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "img" / f"{name}.png"
        if height:
            page.screenshot(path=str(target), clip={"x": 0, "y": 0, "width": 1360, "height": height},
                            full_page=True)
        else:
            shutil.copy(output_dir / "screenshots" / f"{name}.png", target)


def _setup(db) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    project = projects.find_project(db, "demo-pairwise")
    users.add_user(db, "lead1", PASSWORD, "lead")
    projects.add_member(db, project.id, "lead1", "lead")
    lead2 = users.add_user(db, "lead2", PASSWORD, "lead")
    other = projects.create_project(db, ProjectSpec.from_dict({
        "name": "other-hh", "questions": [{"name": "preference", "kind": "pairwise"}]}), lead2)
    return project.id, other.id


def _wait_done(page) -> str:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "() => { const s = document.querySelector('[data-testid=import-job]');"
        " return s && !['queued', 'running'].includes(s.dataset.state); }", timeout=600_000)
    return str(page.get_attribute("[data-testid=import-job]", "data-state"))


def test_a_lead_uploads_hh_sees_the_dry_run_imports_and_sees_the_summary(  # type: ignore[no-untyped-def]
        live_server, page, shared_data, output_dir):
    hh = require_file(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz")
    url, db = live_server.url, live_server.db
    pid, _ = _setup(db)
    before = projects.progress(db, pid).records
    login(page, url, "lead1", PASSWORD)
    page.goto(f"{url}/projects/{pid}/import")
    page.set_input_files("[data-testid=upload-file]", str(hh))
    _docs_shot(page, output_dir, "import-upload")
    page.click("[data-testid=upload-submit]")
    page.wait_for_url(lambda u: "/import/jobs/" in u, timeout=120_000)
    assert _wait_done(page) == "done"
    page.wait_for_selector("[data-testid=import-run]")
    if page.locator("[data-testid=preview-record]").count() == 0:
        page.reload()  # the report was swapped in by htmx: the preview comes with the full page
    assert page.inner_text("[data-testid=count-records]") == "2312"
    assert page.inner_text("[data-testid=count-new]") == "2312"
    assert page.inner_text("[data-testid=count-divergent]") == "5"
    divergent = page.locator("[data-testid=warning][data-kind=divergent]")
    assert divergent.count() == 5
    first = divergent.first.inner_text()
    assert "chosen/rejected turn" in first and "differ before the last reply" in first
    assert int(divergent.first.locator("td").first.inner_text()) > 0  # the line
    previews = page.locator("[data-testid=preview-record]")
    assert previews.count() == 5
    assert previews.first.locator(".completion").count() == 2  # the pair, as the trainer's page shows it
    assert previews.first.locator("fieldset[disabled]").count() == 1  # the questions, read-only
    _docs_shot(page, output_dir, "import-dry-run", height=1700)
    assert projects.progress(db, pid).records == before  # the dry run stored nothing
    page.click("[data-testid=import-run]")
    page.wait_for_url(lambda u: "/import/jobs/" in u)
    assert _wait_done(page) == "done"
    page.wait_for_selector("[data-testid=import-done]")
    assert page.inner_text("[data-testid=summary-created]") == "2312"
    assert page.inner_text("[data-testid=report-rows_read]") == "2312"  # the import report (issue 20 item 4)
    assert page.inner_text("[data-testid=report-divergent_pairs]") == "5"
    _docs_shot(page, output_dir, "import-summary")
    page.click("[data-testid=import-back]")
    page.wait_for_url(f"{url}/projects/{pid}")
    assert page.locator(".stats article h3").first.inner_text() == str(before + 2312)
    assert projects.progress(db, pid).records == before + 2312
    assert not page.js_errors, page.js_errors


@pytest.mark.parametrize("name, content, line, field", [
    ("bad.jsonl", ('{"id": "a", "prompt": "p", "completions": [{"text": "x"}, {"text": "y"}]}\n'
                  '{"id": "b", "prompt": "p", "completions": [{"text": "x"}, {"text": "y"}]}\n'
                  '{"id": "c", "prompt": "p", "completions": [{"text": "x"}, {"text": "y"}]\n'), "3", "—"),
    ("hh.jsonl", json.dumps({"chosen": "\n\nHuman: hi\n\nAssistant: a", "rejected": "\n\nHuman: hi\n\nAssistant: b"})
     + "\n" + json.dumps({"chosen": "\n\nHuman: yo\n\nAssistant: c"}) + "\n", "2", "rejected"),
])
def test_a_malformed_file_names_the_line_and_field_and_imports_nothing(  # type: ignore[no-untyped-def]
        live_server, page, output_dir, tmp_path, name, content, line, field):
    url, db = live_server.url, live_server.db
    pid, _ = _setup(db)
    before = projects.progress(db, pid).records
    path = tmp_path / name
    path.write_text(content)
    login(page, url, "lead1", PASSWORD)
    page.goto(f"{url}/projects/{pid}/import")
    page.set_input_files("[data-testid=upload-file]", str(path))
    page.click("[data-testid=upload-submit]")
    page.wait_for_url(lambda u: "/import/jobs/" in u)
    _wait_done(page)
    page.wait_for_selector("[data-testid=import-error]")
    assert page.inner_text("[data-testid=import-error-line]") == line
    assert page.inner_text("[data-testid=import-error-field]") == field
    assert f"{name} line {line}" in page.inner_text("[data-testid=import-error-message]")  # the uploader's name
    assert page.locator("[data-testid=import-run]").count() == 0
    if name == "bad.jsonl":
        _docs_shot(page, output_dir, "import-error")
    assert projects.progress(db, pid).records == before


def test_trainers_and_other_leads_are_refused(live_server, page):  # type: ignore[no-untyped-def]
    url, db = live_server.url, live_server.db
    pid, other = _setup(db)
    login(page, url, "annotator1", "annotator1-demo-pass")
    assert page.goto(f"{url}/projects/{pid}/import").status == 403
    page.context.clear_cookies()
    login(page, url, "lead2", PASSWORD)
    assert page.goto(f"{url}/projects/{other}/import").status == 200  # their own project
    assert page.goto(f"{url}/projects/{pid}/import").status in (403, 404)


def test_a_dropped_file_is_uploaded_and_checked(live_server, page):  # type: ignore[no-untyped-def]
    """Drag and drop: a file dropped on the box is sent like a chosen one."""
    url, db = live_server.url, live_server.db
    pid, _ = _setup(db)
    login(page, url, "lead1", PASSWORD)
    page.goto(f"{url}/projects/{pid}/import")
    rows = [{"id": f"drop-{i}", "prompt": f"q{i}", "completions": [{"text": "a"}, {"text": "b"}]} for i in range(2)]
    page.evaluate("""(text) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], "dropped.jsonl", {type: "application/json"}));
        const zone = document.querySelector("[data-testid=drop-zone]");
        zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""", "\n".join(json.dumps(r) for r in rows))
    page.wait_for_url(lambda u: "/import/jobs/" in u)
    assert _wait_done(page) == "done"
    page.wait_for_selector("[data-testid=import-run]")
    assert page.inner_text("[data-testid=count-new]") == "2"
    assert "dropped.jsonl" in page.inner_text("h1")
    assert not page.js_errors, page.js_errors
