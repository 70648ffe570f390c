"""The export form on the project overview: choosing Label Studio (always one JSON array file) disables the
JSONL/Parquet select and says why; choosing another format enables it again; the Label Studio export then runs
from the form (the disabled select is not sent; the server's default applies) and its job page offers the zip."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import shot
from tests.web.workspace_support import Served, login, serve

pytestmark = pytest.mark.browser
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve(tmp_path_factory.mktemp("export-form"))


def test_label_studio_disables_the_file_format(ws: Served, page: Any, output_dir: Path) -> None:
    login(page, ws.url, "admin")
    page.goto(f"{ws.url}/projects/{ws.ids['ws-pairwise']}#export")
    fmt, file_format = page.locator("select[name=fmt]"), page.locator("select[name=file_format]")
    note = page.get_by_test_id("export-fixed-note")
    assert file_format.is_enabled() and note.is_hidden()
    fmt.select_option("label-studio")
    assert file_format.is_disabled()
    assert "one JSON file" in note.inner_text() and note.is_visible()
    shot(page, output_dir, "export-form-label-studio")
    top, bottom = page.locator("h2#export").bounding_box(), note.bounding_box()
    assert top and bottom
    page.screenshot(path=str(DOCS_IMG / "export-form-label-studio.png"), full_page=True,
                    clip={"x": 0, "y": top["y"] + page.evaluate("window.scrollY") - 8,  # page coordinates
                          "width": page.viewport_size["width"],
                          "height": bottom["y"] + bottom["height"] - top["y"] + 16})
    fmt.select_option("dpo")
    assert file_format.is_enabled() and note.is_hidden()
    fmt.select_option("label-studio")
    page.get_by_test_id("export").click()
    page.wait_for_url("**/exports/jobs/*")
    page.get_by_text("label-studio").first.wait_for()
    assert "(jsonl)" in page.locator("h1").inner_text()  # the stored request; the files are one JSON array
