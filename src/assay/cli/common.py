"""What every command shares: settings from flags and environment, opening the database, error output."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console

from assay.config import Settings, load_settings
from assay.errors import AssayError
from assay.store.db import Db, open_db

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def settings_from(ctx: typer.Context, **overrides: Any) -> Settings:
    """Settings from the global flags (kept on ctx.obj), extra overrides and the environment."""
    base: dict[str, Any] = dict(ctx.obj or {}) if ctx is not None else {}
    base.update({k: v for k, v in overrides.items() if v is not None})
    return load_settings(**base)


@contextmanager
def database(settings: Settings) -> Iterator[Db]:
    db = open_db(settings)
    try:
        yield db
    finally:
        db.close()


def friendly(fn: F) -> F:
    """Print AssayErrors as one clear line (plus details) and exit 1, instead of a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AssayError as e:
            err_console.print(f"[bold red]error:[/] {e.message}", highlight=False)
            for k, v in e.details.items():
                err_console.print(f"  {k}: {v}", highlight=False)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def data_dir_option() -> Any:
    return typer.Option(None, "--data-dir", help="Data folder (default ./assay-data; env ASSAY_DATA_DIR).")


def existing_file(path: Path) -> Path:
    if not path.exists():
        raise typer.BadParameter(f"{path} does not exist")
    return path
