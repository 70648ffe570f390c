"""Build the web app from `ASSAY_*` environment variables, for servers that start several worker processes.

`assay serve --workers N` hands uvicorn the import string `assay.web.factory:create_app_from_env` (with
`factory=True`): every worker process imports it and builds its own app and database engine. The parent
writes its settings into the environment first (`settings_env`), so a worker sees exactly the settings
the command was given. Nothing runs at import time.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from assay.config import Settings, load_settings


def settings_env(settings: Settings) -> dict[str, str]:
    """`ASSAY_<FIELD>` variables that make `load_settings()` rebuild these settings in another process
    (paths absolute, booleans as true/false)."""
    env: dict[str, str] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, Path):
            text = str(value.resolve())
        else:
            text = str(value)
        env[f"ASSAY_{name.upper()}"] = text
    return env


def create_app_from_env() -> FastAPI:
    """One worker's app: settings from the environment, the database opened without migrating (the
    parent process migrated it before starting the workers)."""
    from assay.services.db import open_db
    from assay.web.app import create_app

    settings = load_settings()
    return create_app(settings, open_db(settings, migrate=False))
