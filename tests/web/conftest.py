"""A live server (uvicorn in a thread, on a free port) and a headless Chromium for browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM


@dataclass
class LiveServer:
    url: str
    app: object
    settings: object
    db: object


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(settings) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The real app with the demo data, served by uvicorn on 127.0.0.1 (both databases)."""
    import uvicorn

    from assay.services.db import open_db
    from assay.services.demo import ensure_demo
    from assay.web.app import create_app

    db = open_db(settings, migrate=False)
    ensure_demo(db)
    app = create_app(settings, db)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield LiveServer(url=f"http://127.0.0.1:{port}", app=app, settings=settings, db=db)
    server.should_exit = True
    thread.join(timeout=10)
    db.close()


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Debian's Chromium driven by Playwright (a fresh profile per session)."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, headless=True,
                                                    args=CHROMIUM_ARGS, viewport={"width": 1360, "height": 900})
        yield ctx
        ctx.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    browser.clear_cookies()
    p = browser.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    p.js_errors = errors  # type: ignore[attr-defined]
    yield p
    p.close()


def shot(page, output_dir: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    (output_dir / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(output_dir / "screenshots" / f"{name}.png"), full_page=True)
