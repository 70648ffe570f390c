"""An ASGI app factory reading ASSAY_* settings from the environment, for `uvicorn --factory --workers N`."""

from __future__ import annotations

from typing import Any


def make_app() -> Any:
    from assay.config import load_settings
    from assay.store.db import open_db
    from assay.web.app import create_app

    settings = load_settings()
    return create_app(settings, open_db(settings, migrate=False))
