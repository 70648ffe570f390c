"""Nothing is ever lost: offline typing, server restarts, reloads on another device, dropped submits; and model
output can never run script in the page."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import free_port, shot
from tests.web.workspace_support import Served, focus_page, js_errors, login, open_next, serve, stored

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve(tmp_path_factory.mktemp("ws-resilience"))


def _draft_text(ws: Served, project: str, rid: int, who: str) -> str:
    row = stored(ws.db, ws.ids[project], rid, who)
    return ((row or {}).get("answers") or {}).get("rationale", {}).get("text", "")


def _wait_for(cond, timeout: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    import time

    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.2)
    return False


def test_offline_typing_syncs_when_back(ws, page, output_dir: Path) -> None:
    login(page, ws.url, "annotator1")
    rid = open_next(page, ws.url, ws.ids["ws-text"])
    page.context.set_offline(True)
    try:
        page.fill("fieldset[data-question=rationale] textarea", "typed while the network was down, all of it")
        page.locator("[data-testid=save-status]", has_text="Offline").wait_for(timeout=10000)
        shot(page, output_dir, "ws-offline")
        assert _draft_text(ws, "ws-text", rid, "annotator1") == ""
    finally:
        page.context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    assert _wait_for(lambda: _draft_text(ws, "ws-text", rid, "annotator1")
                     == "typed while the network was down, all of it")
    # another device (a fresh browser context: no local copy) gets the draft from the server
    other = page.context.browser.new_context() if page.context.browser else None
    if other is None:  # persistent context: emulate the other device by clearing this one's storage
        page.evaluate("() => localStorage.clear()")
        p2 = page
    else:
        p2 = other.new_page()
        login(p2, ws.url, "annotator1")
    p2.goto(f"{ws.url}/projects/{ws.ids['ws-text']}/records/{rid}")
    assert p2.input_value("fieldset[data-question=rationale] textarea") == "typed while the network was down, all of it"
    assert not [e for e in js_errors(page) if "Failed to load resource" not in e]


def test_server_killed_while_typing_then_reload_finds_draft(ws, page) -> None:
    login(page, ws.url, "annotator2")
    rid = open_next(page, ws.url, ws.ids["ws-text"])
    ws.stop()
    try:
        page.fill("fieldset[data-question=rationale] textarea", "the server died while I typed this sentence")
        page.locator("[data-testid=save-status]", has_text="kept on this device").wait_for(timeout=10000)
    finally:
        ws.start()
    page.reload()
    page.locator("#active-clock", has_text="active").wait_for()
    assert page.input_value("fieldset[data-question=rationale] textarea") == \
        "the server died while I typed this sentence"
    assert _wait_for(lambda: _draft_text(ws, "ws-text", rid, "annotator2")
                     == "the server died while I typed this sentence")


def _spawn_server(ws: Served, port: int) -> subprocess.Popen[bytes]:
    """`assay serve` in its own process on the fixture's data folder (so it can be SIGKILLed for real)."""
    exe = Path(sys.executable).parent / "assay"
    proc = subprocess.Popen([str(exe), "serve", "--data-dir", str(ws.settings.data_dir), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc
        except OSError:
            assert proc.poll() is None, "assay serve exited at start"
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("assay serve did not start")


def test_server_process_sigkilled_mid_draft_loses_nothing(ws, page) -> None:
    """kill -9 of the server process right after a draft was acknowledged: the acknowledged draft is already
    in the database, what is typed while the server is dead stays on the page, and after a restart and a
    reload everything is there and reaches the server."""
    box = "fieldset[data-question=rationale] textarea"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _spawn_server(ws, port)
    try:
        login(page, url, "annotator1")
        rid = open_next(page, url, ws.ids["ws-text"])
        page.fill(box, "acknowledged by the server before it was killed")
        page.locator("[data-testid=save-status]", has_text="Draft saved").wait_for(timeout=15000)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert _draft_text(ws, "ws-text", rid, "annotator1") == "acknowledged by the server before it was killed"
        full = "acknowledged by the server before it was killed, and this was typed while it was dead"
        page.fill(box, full)
        page.locator("[data-testid=save-status]", has_text="kept on this device").wait_for(timeout=10000)
        proc = _spawn_server(ws, port)
        page.reload()
        page.locator("#active-clock", has_text="active").wait_for()
        assert page.input_value(box) == full
        assert _wait_for(lambda: _draft_text(ws, "ws-text", rid, "annotator1") == full)
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_a_save_acknowledged_while_the_page_leaves_keeps_the_local_copy_unsynced(ws, page) -> None:
    """The race behind a reload showing an older draft: the reload's page is rendered from the server before a
    save still in flight is stored, and that save's acknowledgement then reaches the leaving page. A save
    acknowledged once the page started to leave (`beforeunload`) must leave the local copy unsynced, so the
    next page restores it rather than trusting the server's older draft."""
    box = "fieldset[data-question=rationale] textarea"
    login(page, ws.url, "annotator2")
    rid = open_next(page, ws.url, ws.ids["ws-text"])
    key = f"assay:draft:{ws.ids['ws-text']}:{rid}"

    def local() -> dict:  # type: ignore[type-arg]
        return page.evaluate("k => JSON.parse(localStorage.getItem(k) || 'null')", key) or {}

    page.fill(box, "saved while the page stays")
    page.locator("[data-testid=save-status]", has_text="Draft saved").wait_for(timeout=15000)
    assert _wait_for(lambda: local().get("synced") is True)  # an ordinary save marks the copy synced
    page.evaluate("window.dispatchEvent(new Event('beforeunload'))")  # the page starts to leave
    page.fill(box, "saved while the page leaves")
    page.locator("[data-testid=save-status]", has_text="Draft saved").wait_for(timeout=15000)
    assert _wait_for(lambda: _draft_text(ws, "ws-text", rid, "annotator2") == "saved while the page leaves")
    copy = local()
    assert copy.get("synced") is False and copy["answers"]["rationale"]["text"] == "saved while the page leaves"
    page.reload()
    page.locator("#active-clock", has_text="active").wait_for()
    assert page.input_value(box) == "saved while the page leaves"


def test_submit_during_network_drop_is_retried_and_stored_once(ws, page) -> None:
    """The first submit reaches the server but its answer is lost on the way back; the page retries;
    exactly one submitted annotation exists and the person lands on the next record."""
    login(page, ws.url, "annotator1")
    pid = ws.ids["ws-pairwise"]
    rid = open_next(page, ws.url, pid)
    calls: list[int] = []

    def drop_first_reply(route):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            route.fetch()          # the server gets and stores it…
            route.abort("failed")  # …but the browser sees the network fail
        else:
            route.continue_()

    page.route(f"**/projects/{pid}/records/{rid}/submit", drop_first_reply)
    focus_page(page)
    page.keyboard.press("1")
    page.keyboard.press("5")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(lambda u: f"/records/{rid}" not in u, timeout=20000)
    page.unroute(f"**/projects/{pid}/records/{rid}/submit")
    assert len(calls) == 2
    row = stored(ws.db, pid, rid, "annotator1")
    assert row["status"] == "submitted" and row["n"] == 1
    assert row["answers"] == {"preference": {"choice": "a", "strength": 2}}
    with ws.db.write() as s:
        from sqlalchemy import func, select

        from assay.store.tables import AnnotationRow

        assert s.scalar(select(func.count()).select_from(AnnotationRow).where(AnnotationRow.record_id == rid)) == 1
        from assay.store.tables_workspace import AnnotationRevisionRow

        assert s.scalar(select(func.count()).select_from(AnnotationRevisionRow)
                        .where(AnnotationRevisionRow.record_id == rid)) == 1  # the retry is not a second revision


def test_xss_payloads_in_model_output_stay_inert(ws, page, output_dir: Path) -> None:
    """Script tags, event handlers, javascript: links, iframes, SVG and markdown-image tricks never run."""
    login(page, ws.url, "annotator2")
    open_next(page, ws.url, ws.ids["ws-xss"])
    shown = page.inner_text("#completions")
    assert "window.__pwned = 1" in shown  # raw HTML is shown as text, not run
    assert page.locator("[data-testid=suggestion-preference]").inner_text().count("__pwned=11") == 1
    for a in page.locator("#completions a").all():
        href = a.get_attribute("href") or ""
        assert not href.lower().startswith("javascript"), href
        a.click(modifiers=["Control"]) if href.startswith("http") else a.click()
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#completions iframe, #completions script, #completions svg, [onerror], [onload]").count() == 0
    shot(page, output_dir, "ws-xss-inert")
    assert not [e for e in js_errors(page) if "__pwned" in e]


def test_active_time_counts_only_while_active(ws, page) -> None:
    login(page, ws.url, "annotator2")
    open_next(page, ws.url, ws.ids["ws-rating"])
    page.mouse.move(10, 10)
    page.wait_for_timeout(2300)
    txt = page.inner_text("[data-testid=active-clock]")
    assert "paused" not in txt and ("0:02" in txt or "0:03" in txt), txt
    # simulate a hidden tab: the clock must not advance
    page.evaluate("() => { Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true}); }")
    before = page.inner_text("[data-testid=active-clock]")
    page.wait_for_timeout(2200)
    after = page.inner_text("[data-testid=active-clock]")
    assert "paused" in after and before.split("active ")[1].split(" ")[0] == after.split("active ")[1].split(" ")[0]

