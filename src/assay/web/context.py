"""What every request handler can reach: settings, the database, templates, the sign-in throttle."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.templating import Jinja2Templates

from assay.config import Settings
from assay.services.accounts.auth import LoginThrottle
from assay.store.db import Db


@dataclass
class AppContext:
    settings: Settings
    db: Db
    templates: Jinja2Templates
    throttle: LoginThrottle


def ctx(request: Request) -> AppContext:
    """The app's context (set by create_app)."""
    return request.app.state.ctx  # type: ignore[no-any-return]
