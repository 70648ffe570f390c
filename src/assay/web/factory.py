"""Build the web app from `ASSAY_*` environment variables, for servers that start several worker processes.

`assay serve --workers N` hands uvicorn the import string `assay.web.factory:create_app_from_env` (with
`factory=True`): every worker process imports it and builds its own app and database engine. The parent
writes its settings into the environment first (`settings_env`), so a worker sees exactly the settings
the command was given. Nothing runs at import time.

The same startup safety check as `assay serve` runs in every worker (`services.startup`): a server off
localhost refuses the default secret and the demo accounts. The factory cannot see the address it is
bound to, so it trusts `ASSAY_HOST` (which `assay serve` sets) and treats an unset one as non-local: a
deployment that runs `uvicorn --factory assay.web.factory:create_app_from_env` itself is checked too.
"""

from __future__ import annotations

import os
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
    parent process migrated it before starting the workers). Raises Invalid (and builds nothing) when the
    settings are unsafe for a non-local server: default secret key or demo accounts, unless
    ASSAY_ALLOW_INSECURE=true."""
    from assay.services.site.startup import check_safe_to_serve
    from assay.store.db import open_db
    from assay.web.app import create_app

    settings = load_settings()
    db = open_db(settings, migrate=False)
    try:
        check_safe_to_serve(settings, db, host=settings.host if "ASSAY_HOST" in os.environ else "")
    except Exception:
        db.close()
        raise
    return create_app(settings, db)
