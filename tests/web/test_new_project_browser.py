"""A lead creates a project in the browser as a new lead would: from the project list to the gallery, picks
"pairwise", edits a question in the form and sees the preview and the YAML follow, breaks the YAML and sees
the error inline (the preview keeps its last good render), fixes it, and creates the project. Saves the
screenshots docs/new-project.md shows (docs/img/new-project-*.png)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.web.workspace_support import js_errors, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def _doc_shot(page, output_dir: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """A full-page screenshot into test-output/screenshots and docs/img. `caret="initial"`: Playwright's
    default caret hiding puts empty style attributes on the inputs, which htmx's settle then copies and the
    page's CSP (style-src 'self') reports as an error."""
    (output_dir / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(output_dir / "screenshots" / f"{name}.png"), full_page=True, caret="initial")
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    shutil.copy(output_dir / "screenshots" / f"{name}.png", DOCS_IMG / f"{name}.png")


def _yaml_contains(page, text: str, timeout_s: float = 10) -> None:  # type: ignore[no-untyped-def]
    """Wait until the YAML editor holds `text` (the page's CSP forbids wait_for_function's eval)."""
    for _ in range(int(timeout_s * 10)):
        if text in page.input_value("#yaml-editor"):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the YAML never showed {text!r}: {page.input_value('#yaml-editor')[:500]}")


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)  # the HTTP tests cover both back ends
def test_lead_creates_a_pairwise_project_with_the_editor(live_server, page, output_dir: Path) -> None:
    from assay.services.accounts import users
    from assay.services.projects import projects

    db = live_server.db
    users.add_user(db, "lead1", "lead1-demo-pass", "lead")
    url = live_server.url
    login(page, url, "lead1")

    # the project list offers "New project"; the gallery has a card per template
    page.click("[data-testid=new-project-button]")
    page.wait_for_url(url + "/new-project")
    assert page.locator("[data-testid^=template-]").count() >= 11
    page.set_viewport_size({"width": 1360, "height": 900})
    _doc_shot(page, output_dir, "new-project-gallery")
    page.click("[data-testid=pick-pairwise]")
    page.wait_for_url("**/new-project?template=pairwise")
    page.locator("[data-testid=preview-q-preference]").first.wait_for()

    # a form edit: the preview and the YAML follow
    page.fill("[data-testid=q-0-title]", "Which answer helps the user more?")
    page.locator("[data-testid=preview-q-preference] legend", has_text="Which answer helps the user more?").first.wait_for()
    _yaml_contains(page, "Which answer helps the user more?")
    page.fill("[data-testid=f-name]", "browser-pairwise")
    _yaml_contains(page, "name: browser-pairwise")
    page.locator("[data-testid=preview-record]").first.scroll_into_view_if_needed()
    _doc_shot(page, output_dir, "new-project-editor")

    # add a question in the form: it appears in the preview with the real labels component
    page.click("[data-testid=q-add]")
    page.fill("[data-testid=q-2-name]", "flags")
    page.select_option("[data-testid=q-2-kind]", "labels")
    page.fill("[data-testid=q-2-options]", "{choices: [wrong, rude], multi: true}")
    page.locator("[data-testid=preview-q-flags] input[data-label=rude]").first.wait_for()
    _yaml_contains(page, "choices: [wrong, rude]")

    # break the YAML: the error names the line and the field, the preview keeps its last good render
    good = page.input_value("#yaml-editor")
    bad = good.replace("kind: labels", "kind: labelz")
    bad_line = bad.splitlines().index("    kind: labelz") + 1
    page.fill("#yaml-editor", bad)
    err = page.locator("[data-testid=editor-error]").first
    err.wait_for()
    assert f"line {bad_line}" in err.inner_text() and "questions[2].kind" in err.inner_text()
    assert "labelz" in err.inner_text()
    assert page.locator("[data-testid=gutter-error]", has_text=str(bad_line)).count() == 1
    assert page.locator("[data-testid=preview-q-flags]").count() == 2  # the last good preview stays
    page.locator("[data-testid=preview-state]", has_text="last valid").wait_for()
    page.click("[data-testid=error-line]")  # jumps to the line in the editor
    assert page.evaluate("document.activeElement.id") == "yaml-editor"
    page.locator(".editor-yaml").scroll_into_view_if_needed()
    _doc_shot(page, output_dir, "new-project-error")

    # fix it in the YAML (and rename the question there): the form follows
    page.fill("#yaml-editor", good.replace("name: flags", "name: problems"))
    page.locator("[data-testid=preview-q-problems]").first.wait_for()
    assert page.locator("[data-testid=editor-error]").count() == 0
    assert page.input_value("[data-testid=q-2-name]") == "problems"

    # create: the project exists with the lead as its lead and the questions as edited
    page.click("[data-testid=save-setup]")
    page.wait_for_url("**/projects/*")
    p = projects.find_project(db, "browser-pairwise")
    assert page.url.endswith(f"/projects/{p.id}")
    assert [(q.name, q.kind.value) for q in p.questions] == [("preference", "pairwise"), ("rationale", "text"),
                                                              ("problems", "labels")]
    assert p.questions[0].title == "Which answer helps the user more?"
    lead = users.find_user(db, "lead1")
    assert projects.member_role(db, p.id, lead.id) == "lead"

    # its settings page is the same editor, with the clone link
    page.goto(f"{url}/projects/{p.id}/setup")
    page.locator("[data-testid=preview-q-problems]").first.wait_for()
    assert page.locator("[data-testid=clone-link]").count() == 1
    (output_dir / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(output_dir / "screenshots" / "new-project-setup.png"), full_page=True, caret="initial")
    # on a phone the editor stacks (form, YAML, preview) without scrolling sideways
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{url}/new-project?template=mixed")
    page.locator("[data-testid=preview-q-quality]").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    assert not js_errors(page), [e[:300] + " @ " for e in js_errors(page)]
