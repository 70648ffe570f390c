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


def upgrade(url: str, revision: str = "head") -> str:
    """Apply migrations up to `revision`; returns the revision the database is at afterwards."""
    command.upgrade(alembic_config(url), revision)
    return current_revision(url) or ""


def current_revision(url: str) -> str | None:
    """The database's current revision, or None for an empty database."""
    engine = make_null_pool_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest revision shipped with this version of Assay."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""
