"""The record lineage page in a real browser (issue 20 item 1): a lead opens the explorer's record page of a
cleaned HH version, follows its Lineage link and sees the source, the pipeline step, the trainer's judgment
with two revisions and its review. Saves docs/img/record-lineage.png with ASSAY_DOCS_SCREENSHOTS=1."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import shot, start_live_server
from tests.web.test_browser_loop import login
from tests.web.test_record_lineage_page import build

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


def test_explorer_record_links_to_its_lineage(settings: Any, page: Any, shared_data: Path, output_dir: Path
                                              ) -> None:
    from assay.store.db import open_db

    db = open_db(settings, migrate=False)
    w = build(db, settings, shared_data)
    with start_live_server(settings, db, demo=False) as live:
        login(page, live.url, "lead-l", "password123")
        page.goto(f"{live.url}/explore/{w.kept}/records/{w.external_id}")
        page.click("[data-testid=record-lineage-link]")
        page.wait_for_url(f"**/projects/{w.project_id}/records/{w.record_id}/lineage")
        assert page.inner_text("[data-testid=lineage-source-ref]") == f"{w.kept}#{w.external_id}"
        assert page.locator("[data-testid=lineage-step]").count() == 1
        judgment = page.locator("[data-testid=lineage-judgment][data-annotator=trainer-l]")
        assert judgment.locator("[data-testid=lineage-revision]").count() == 2
        assert "accepted" in judgment.locator("[data-testid=lineage-review]").inner_text()
        shot(page, output_dir, "record-lineage")
        if os.environ.get("ASSAY_DOCS_SCREENSHOTS") == "1":
            shutil.copy(output_dir / "screenshots" / "record-lineage.png", ROOT / "docs" / "img" / "record-lineage.png")
        assert not getattr(page, "js_errors", [])
