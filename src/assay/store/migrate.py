"""Schema migrations with Alembic: `upgrade(url)` brings any database to the newest schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from assay.store.engine import make_null_pool_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    """An Alembic Config pointing at Assay's migrations and `url`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> str:
    """Apply migrations up to `revision` (all heads by default); returns the revision(s) afterwards."""
    command.upgrade(alembic_config(url), revision)
    return current_revision(url) or ""


def current_revision(url: str) -> str | None:
    """The database's current revision(s) joined by '+', or None for an empty database."""
    engine = make_null_pool_engine(url)
    try:
        with engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
            return "+".join(sorted(heads)) if heads else None
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest revision shipped with this version of Assay."""
    return "+".join(sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()))
