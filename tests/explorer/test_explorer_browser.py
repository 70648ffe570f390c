"""Browser test: search, filter, open a record, follow lineage and compare (screenshots saved)."""

from __future__ import annotations

import pytest

from tests.explorer.conftest import make_store
from tests.web.conftest import shot

pytestmark = pytest.mark.browser


@pytest.fixture
def explorer_server(settings, tmp_path, shared_data):  # type: ignore[no-untyped-def]
    store = make_store(tmp_path / "store", shared_data)
    settings.dataset_store = store.url
    return settings


def test_search_filter_open_record_and_lineage(explorer_server, live_server, page, output_dir):  # type: ignore[no-untyped-def]
    url = live_server.url
    page.goto(f"{url}/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "admin-demo-pass")
    page.click("button[type=submit]")
    page.goto(f"{url}/explore")
    page.click('[data-testid="version-hh-clean@1"]')
    total = int(page.text_content('[data-testid="result-count"] strong'))
    page.goto(f"{url}/explore/hh-clean@1?per_page=3")
    shot(page, output_dir, "explorer-records")
    page.fill('[data-testid="search"]', "kill")
    page.click('[data-testid="apply"]')
    searched = int(page.text_content('[data-testid="result-count"] strong'))
    assert 0 < searched < total and "q=kill" in page.url
    page.fill('[data-testid="new-condition"]', "turns>=4")
    page.click('[data-testid="apply"]')
    both = int(page.text_content('[data-testid="result-count"] strong'))
    assert 0 < both <= searched and "turns%3E%3D4" in page.url
    page.goto(page.url + "&per_page=3")  # the view lives in the URL: a shared link shows the same
    shot(page, output_dir, "explorer-search-filter")
    assert int(page.text_content('[data-testid="result-count"] strong')) == both
    assert page.input_value('[data-testid="search"]') == "kill"
    first = page.text_content('[data-testid="open-record"] strong')
    page.click('[data-testid="open-record"]')
    assert page.text_content('[data-testid="record-title"]') == first
    assert page.is_visible('[data-testid="record-steps"]')
    shot(page, output_dir, "explorer-record")
    page.click('[data-testid="tab-stats"]')
    assert page.is_visible('[data-testid="run-report"]')
    shot(page, output_dir, "explorer-stats")
    page.goto(f"{url}/explore/hh-judged@1/lineage")
    page.click('[data-testid="node-hh-clean@1"]')
    assert page.text_content("h1") == "hh-clean@1"
    page.select_option('select[name=against]', "hh@1")
    page.click('[data-testid="diff-form"] button')
    assert "removed" in page.text_content('[data-testid="diff-summary"]')
    shot(page, output_dir, "explorer-lineage")
    assert not page.js_errors
