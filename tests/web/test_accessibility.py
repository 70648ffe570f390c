"""axe-core on the main pages: no serious or critical accessibility violations (issue 19).

axe-core is vendored for the tests only (tests/web/vendor/axe.min.js, version and licence in VERSIONS.md) and
injected through Playwright's `page.evaluate` (the DevTools protocol), so the app keeps its strict
Content-Security-Policy. Rules: WCAG 2.0/2.1 A and AA plus axe's best practices; a violation whose impact is
"serious" or "critical" fails the page, naming the rule and the elements. Pages: sign-in, projects, a project
overview, the trainer's page for every question kind (and code review), review, dashboard, records, gold,
import, new project, project settings, my work, my stats, time report, the explorer, model endpoints, people,
account.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_file
from tests.web.conftest import shot
from tests.web.workspace_support import Served, login, serve

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
FAIL_ON = {"serious", "critical"}
RUN_AXE = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values:
      ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}, resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                 nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
}"""
KINDS = ("ws-pairwise", "ws-ranking", "ws-rating", "ws-labels", "ws-text", "ws-spans", "ws-all")


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The workspace projects (every kind), the code-review demo and one submitted pairwise judgment, so the
    review page, the dashboard and the records table have something to show."""
    from assay.services.accounts import users
    from assay.services.annotation import queue, submissions
    from assay.services.code import demo as code_demo

    for served in serve(tmp_path_factory.mktemp("ws-a11y")):
        db = served.db
        served.ids["code"] = code_demo.ensure_code_demo(db).id
        pid = served.ids["ws-pairwise"]
        ann = users.find_user(db, "annotator2")
        task = queue.claim_next(db, pid, ann.id)
        assert task is not None
        submissions.submit(db, pid, task.record_id, ann.id, {"preference": {"choice": "b", "strength": 2}}, 9.0)
        yield served


def _axe(page: Any) -> list[dict[str, Any]]:
    source = require_file(AXE).read_text(encoding="utf-8")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in FAIL_ON]


def _check(page: Any, url: str, name: str, output_dir: Path, found: dict[str, Any], wait: str = "") -> None:
    resp = page.goto(url)
    assert resp is not None and resp.status < 400, f"{name}: {url} answered {resp.status if resp else None}"
    if wait:
        page.wait_for_selector(wait)
    page.wait_for_load_state("networkidle")
    bad = _axe(page)
    if bad:
        found[name] = bad
    shot(page, output_dir, f"a11y-{name}")


def test_sign_in_page(ws: Served, page: Any, output_dir: Path) -> None:
    found: dict[str, Any] = {}
    _check(page, ws.url + "/login", "login", output_dir, found)
    assert not found, json.dumps(found, indent=1)


def test_lead_pages(ws: Served, page: Any, output_dir: Path) -> None:
    login(page, ws.url, "admin")
    pid, u = ws.ids["ws-pairwise"], ws.url
    pages = {
        "projects": f"{u}/projects",
        "project": f"{u}/projects/{pid}",
        "review": f"{u}/projects/{pid}/review",
        "dashboard": f"{u}/projects/{pid}/dashboard",
        "records": f"{u}/projects/{pid}/records",
        "gold": f"{u}/projects/{pid}/gold",
        "import": f"{u}/projects/{pid}/import",
        "new-project": f"{u}/new-project",
        "setup": f"{u}/projects/{pid}/setup",
        "timesheet": f"{u}/projects/{pid}/timesheet",
        "explorer": f"{u}/explore",
        "endpoints": f"{u}/authoring/endpoints",
        "people": f"{u}/admin/users",
        "account": f"{u}/account",
    }
    found: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for name, url in pages.items():
        try:
            _check(page, url, name, output_dir, found)
        except AssertionError as e:  # a page not there yet: report it with the others
            failed[name] = str(e)
    assert not found and not failed, (f"serious/critical violations: {json.dumps(found, indent=1)}\n"
                                      f"pages that did not open: {failed}")


def test_trainer_pages_for_every_kind(ws: Served, page: Any, output_dir: Path) -> None:
    login(page, ws.url, "annotator1")
    found: dict[str, Any] = {}
    for name in KINDS:
        _check(page, f"{ws.url}/projects/{ws.ids[name]}/next", f"annotate-{name}", output_dir, found,
               wait="#answer-form")
    _check(page, f"{ws.url}/projects/{ws.ids['code']}/next", "annotate-code", output_dir, found,
           wait="[data-testid=candidate-1]")
    pid = ws.ids["ws-pairwise"]
    for name, path in (("my-work", "my-work"), ("my-stats", "my-stats")):
        _check(page, f"{ws.url}/projects/{pid}/{path}", name, output_dir, found)
    assert not found, json.dumps(found, indent=1)
