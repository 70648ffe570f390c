"""A live server (uvicorn in a thread, on a free port) for browser tests.

The headless Chromium (`browser`, `page`) lives in tests/conftest.py: one Playwright instance for the whole
session, because a second sync Playwright started while the first is open fails ("Sync API inside the
asyncio loop").
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


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


@contextmanager
def start_live_server(settings, db, *, demo: bool) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The real app on `db` served by uvicorn in a thread on a free port of 127.0.0.1 (with the demo data first
    when `demo`); stops the server and closes `db` on exit."""
    import uvicorn

    from assay.web.app import create_app

    if demo:
        from assay.services.site.demo import ensure_demo

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
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", app=app, settings=settings, db=db)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        db.close()


@pytest.fixture
def live_server(settings) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The real app with the demo data, served by uvicorn on 127.0.0.1 (both databases)."""
    from assay.store.db import open_db

    with start_live_server(settings, open_db(settings, migrate=False), demo=True) as live:
        yield live


def shot(page, output_dir: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    (output_dir / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(output_dir / "screenshots" / f"{name}.png"), full_page=True)
