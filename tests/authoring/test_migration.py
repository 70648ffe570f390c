"""Migration 0006_authoring builds exactly the tables `store/tables_authoring.py` declares (both databases)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from assay.store.engine import make_engine
from assay.store.tables import Base, import_all_tables

OURS = {"model_endpoints", "authoring_tasks", "authoring_nodes", "redteam_attempts", "fact_checks",
        "problem_reports"}


def _table(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:] if isinstance(item, tuple) else ():
        name = getattr(part, "name", None) if not isinstance(part, str) else None
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if name in OURS:
            return str(name)
        if isinstance(part, str) and part in OURS:
            return part
    return None


def test_migration_matches_tables(db) -> None:  # type: ignore[no-untyped-def]
    import_all_tables()
    engine = make_engine(db.settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    mine = [d for d in diffs if _table(d) in OURS]
    assert mine == []
    with engine.connect() as conn:
        from sqlalchemy import inspect

        assert OURS <= set(inspect(conn).get_table_names())
