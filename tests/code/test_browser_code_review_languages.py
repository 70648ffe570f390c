"""The code-review task in JavaScript and in C++, in a real browser with the real sandbox: a HumanEval-X
problem (imported with its language) with a correct and a buggy candidate, highlighted in the language;
the visible tests run; the trainer writes tests in the language's idiom (console.assert / an int main() of
asserts), runs them on both candidates and gets a mutation score of the reference; verdicts and submit;
the hidden tests then run. Screenshots go to the test output folder and docs/img."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from assay.domain.records import Completion
from assay.formats.reader import load_records
from assay.services.accounts import users
from assay.services.code import demo as code_demo
from assay.services.projects import projects, records
from tests.code.conftest import wait_for
from tests.code.test_browser_code_review import login
from tests.conftest import SHARED_DATA, require_file
from tests.sandbox.conftest import require_language
from tests.web.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.sandbox]
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"

CASES = {
    "javascript": {
        "file": "humaneval_js.jsonl.gz",
        "bug": ("if (distance < threshold) {", "if (distance > threshold) {"),
        "tests": "console.assert(hasCloseElements([1.0, 5.0, 1.5], 0.6) === true)\n"
                 "console.assert(hasCloseElements([3.0, 1.0, 3.2], 0.3) === true)\n"
                 "console.assert(hasCloseElements([1.0, 2.0], 0.5) === false)\n",
        "keyword": "const",
    },
    "cpp": {
        "file": "humaneval_cpp.jsonl.gz",
        "bug": ("if (abs(numbers[i]-numbers[j])<threshold)", "if (abs(numbers[i]-numbers[j])>threshold)"),
        "tests": "int main() {\n    assert(has_close_elements({1.0, 5.0, 1.5}, 0.6) == true);\n"
                 "    assert(has_close_elements({3.0, 1.0, 3.2}, 0.3) == true);\n"
                 "    assert(has_close_elements({1.0, 2.0}, 0.5) == false);\n}\n",
        "keyword": "for",
    },
}


def _project(db, language: str):  # type: ignore[no-untyped-def]
    """A code-review project holding HumanEval-X problem 0 in `language` with a correct and a buggy candidate."""
    case = CASES[language]
    admin = users.find_user(db, "admin")
    spec = dataclasses.replace(code_demo.code_demo_spec(), name=f"code-review-{language}",
                               title=f"Review AI-written {language}")
    project = projects.create_project(db, spec, admin)
    projects.add_member(db, project.id, "annotator1", "annotator", admin)
    record = load_records(require_file(SHARED_DATA / "humaneval-x" / case["file"]))[0]
    assert record.code is not None and record.code.language == language
    reference = record.code.reference_solution
    old, new = case["bug"]
    assert old in reference
    record.completions = [Completion(text=reference, model="model-a"),
                          Completion(text=reference.replace(old, new), model="model-b")]
    records.import_records(db, project.id, [record], admin)
    return project


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", ["javascript", "cpp"])
def test_code_review_in_language(live_server, page, output_dir, language: str):  # type: ignore[no-untyped-def]
    require_language(language)
    url, db = live_server.url, live_server.db
    code_demo.ensure_code_demo(db)  # the demo users
    case = CASES[language]
    pid = _project(db, language).id

    login(page, url, "annotator1", "annotator1-demo-pass")
    page.goto(f"{url}/projects/{pid}/next")
    page.wait_for_selector("[data-testid=candidate-1]")
    rid = int(page.get_attribute("#answer-form", "data-record"))
    assert page.locator("[data-testid=candidate-0] code.language-" + ("cpp" if language == "cpp" else "javascript")).count() == 1
    assert page.locator("[data-testid=candidate-0] [class^=hl-k]", has_text=case["keyword"]).count() > 0
    assert page.locator("[data-testid=code-diff] .d-add").count() > 0
    assert page.locator("[data-testid=cr-test-idiom]").count() == 1
    assert "assert" in (page.get_attribute("[data-testid=cr-tests]", "placeholder") or "")

    page.click("[data-testid=run-visible-0]")
    ok = page.locator("#cr-res-review-0 [data-testid=run-summary]")
    ok.wait_for(timeout=90_000)
    assert ok.inner_text() == "1/1 passed"
    page.click("[data-testid=run-visible-1]")
    bad = page.locator("#cr-res-review-1 [data-testid=run-summary]")
    bad.wait_for(timeout=90_000)
    assert bad.inner_text() == "0/1 passed"
    assert "ssert" in page.locator("#cr-res-review-1 .cr-message").first.inner_text()

    page.locator("[data-testid=cr-tests]").fill(case["tests"])
    page.click("[data-testid=run-my-tests]")
    custom = page.locator("#cr-custom-review [data-testid=run-results][data-state=finished]")
    custom.wait_for(timeout=240_000)
    summaries = custom.locator("[data-testid=run-summary]").all_inner_texts()
    assert summaries == ["1/1 passed", "0/1 passed"], summaries
    percent = custom.locator("[data-testid=mutation-percent]").inner_text()
    assert re.fullmatch(r"\d+ %", percent) and 0 < int(percent.split()[0]) <= 100
    shot(page, output_dir, f"code-{language}-results")
    page.locator(".cr").screenshot(path=str(DOCS_IMG / f"code-review-{language}.png"))

    page.locator("[data-testid=verdict-0] label", has_text="correct").click()
    page.locator("[data-testid=verdict-1] label", has_text="buggy").click()
    page.locator(".cr-preference label", has_text="A is better").click()
    page.locator(".cr-preference label", has_text="much better").click()
    page.fill("[data-testid=cr-rationale]", "B flips the distance comparison.")
    page.click("[data-testid=submit]")
    page.wait_for_url(lambda u: f"/records/{rid}" not in u)
    assert not page.js_errors, page.js_errors

    page.click("[data-testid=logout]")
    login(page, url, "admin", "admin-demo-pass")

    def hidden_done():  # type: ignore[no-untyped-def]
        meta = records.get_record(db, pid, rid).metadata.get("code_outcome", {}).get("hidden", {})
        return meta if len(meta) == 2 and all(v["state"] in ("done", "failed") for v in meta.values()) else None
    page.goto(f"{url}/projects/{pid}/code")  # schedules the due hidden runs
    meta = wait_for(hidden_done, timeout=180)
    assert meta["0"]["pass_rate"] == 1.0 and meta["1"]["pass_rate"] == 0.0, meta
    page.goto(f"{url}/projects/{pid}/code")
    assert "100 %" in page.locator(f"[data-testid=hidden-{rid}-0]").inner_text()
    shot(page, output_dir, f"code-{language}-outcomes")
    assert not page.js_errors, page.js_errors
