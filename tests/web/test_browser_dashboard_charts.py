"""The dashboard's charts in a real browser: every chart draws (a canvas with a Chart.js chart), its axes carry
titles, hovering a bar or a cell shows a tooltip with the count, the counts are the hand-worked ones, and
no script error or CSP violation happens. Screenshots go to the test output folder and, for the docs, of a
livelier project to docs/img/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assay.services.accounts import users
from tests.quality.dashboard_world import NOW, build, build_rich
from tests.web.conftest import shot
from tests.web.test_browser_loop import login

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"

CHARTS_JS = """() => Array.from(document.querySelectorAll('canvas[data-chart]')).map(c => {
  const ch = Chart.getChart(c);
  const s = ch ? ch.options.scales : {};
  return {card: c.closest('[data-testid]').dataset.testid, w: c.width, h: c.height, type: ch && ch.config.type,
          x: s.x && s.x.title.display ? s.x.title.text : null, y: s.y && s.y.title.display ? s.y.title.text : null,
          data: ch ? ch.data.datasets.map(d => d.data) : null};
})"""


def _hover(page, card: str, dataset: int, index: int) -> str:  # type: ignore[no-untyped-def]
    """Move the mouse onto one bar/point/cell of the chart in `card`; return the tooltip's text."""
    canvas = page.locator(f"[data-testid={card}] canvas")
    canvas.scroll_into_view_if_needed()
    xy = canvas.evaluate("(c, a) => { const el = Chart.getChart(c).getDatasetMeta(a[0]).data[a[1]];"
                         " const p = el.getCenterPoint ? el.getCenterPoint() : el; return [p.x, p.y]; }",
                         [dataset, index])
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + xy[0], box["y"] + xy[1])
    tip = page.locator(f"[data-testid={card}] .chart-tip")
    tip.wait_for(state="visible", timeout=5_000)
    return tip.inner_text()


def test_dashboard_charts_render_with_axes_tooltips_and_counts(live_server, page, output_dir):  # type: ignore[no-untyped-def]
    url, db = live_server.url, live_server.db
    # the hand-worked project, moved so its "now" hour is this hour
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    shift = hour - NOW.replace(minute=0)
    p, _, _ = build(db, name="hand-charts", lead_name="chartlead", people=("ann1", "ann2", "ann3"), shift=shift)
    csp: list[str] = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, url, "chartlead", "password123")
    page.goto(f"{url}/projects/{p.id}/dashboard")
    page.wait_for_function("() => window.Chart && document.querySelectorAll('canvas[data-chart]').length >= 7")
    charts = {c["card"]: c for c in page.evaluate(CHARTS_JS)}
    assert set(charts) == {"chart-throughput-hour", "chart-throughput-day", "chart-trainers", "chart-agreement",
                           "chart-confusion", "chart-gold-accuracy", "chart-ratings"}
    for c in charts.values():
        assert c["type"] and c["w"] > 200 and c["h"] > 150, c
        assert c["x"] and c["y"], f"{c['card']} lacks axis titles"
    # counts: per hour 3 in this hour, 3, 1 the hours before ... (tests/quality/test_dashboard_charts.py)
    per_hour = charts["chart-throughput-hour"]["data"][0]
    assert len(per_hour) == 48 and per_hour[-1] == 3 and sorted(v for v in per_hour if v) == [1, 1, 1, 1, 2, 3, 3]
    assert charts["chart-trainers"]["data"][0] == [6, 6, 2]
    assert charts["chart-confusion"]["data"][0] and charts["chart-ratings"]["data"] == [[4, 5, 7]]
    assert "submitted: 3" in _hover(page, "chart-throughput-hour", 0, 47)
    assert "submitted: 6" in _hover(page, "chart-trainers", 0, 0)
    tip = _hover(page, "chart-confusion", 0, 0)          # row a, column a: r1
    assert "units: 1" in tip and "ann1 answered a" in tip
    assert "Fleiss κ" in _hover(page, "chart-agreement", 0, 0)
    page.locator("[data-testid=chart-agreement] summary").click()
    assert "0.2632" in page.inner_text("[data-testid=table-agreement]")   # α = 10/38
    shot(page, output_dir, "dashboard-charts-hand")
    assert not page.js_errors, page.js_errors
    assert not csp, csp

    # a livelier project for the docs' screenshots
    rich, _ = build_rich(db, users.find_user(db, "chartlead"), datetime.now(UTC) - timedelta(minutes=5))
    page.goto(f"{url}/projects/{rich.id}/dashboard")
    page.wait_for_function("() => window.Chart && document.querySelectorAll('canvas[data-chart]').length >= 7")
    assert not page.js_errors, page.js_errors
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    shot(page, output_dir, "dashboard-charts")
    for card, name in (("chart-throughput-hour", "dashboard-throughput"), ("chart-trainers", "dashboard-trainers"),
                       ("chart-agreement", "dashboard-agreement"), ("chart-confusion", "dashboard-confusion"),
                       ("chart-gold-accuracy", "dashboard-gold"), ("chart-ratings", "dashboard-ratings")):
        loc = page.locator(f"[data-testid={card}]").first
        loc.scroll_into_view_if_needed()
        if card in ("chart-agreement", "chart-gold-accuracy"):
            _hover(page, card, 0, 3 if card == "chart-agreement" else 28)
        loc.screenshot(path=str(DOCS_IMG / f"{name}.png"))
    page.mouse.move(0, 0)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(DOCS_IMG / "dashboard.png"), full_page=False)
