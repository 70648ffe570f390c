"""The store's engine settings and migrations on both back ends."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect, text

from assay.store.engine import make_engine
from assay.store.migrate import current_revision, head_revision, upgrade


def test_sqlite_pragmas(tmp_path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'a.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert c.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    engine.dispose()


def test_sqlite_writers_are_serialised(tmp_path):  # type: ignore[no-untyped-def]
    """Two threads doing read-then-write on one counter never lose an update (BEGIN IMMEDIATE)."""
    url = f"sqlite:///{tmp_path / 'b.db'}"
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE n (v INTEGER)"))
        c.execute(text("INSERT INTO n VALUES (0)"))

    def bump() -> None:
        for _ in range(50):
            with engine.begin() as c:
                v = c.execute(text("SELECT v FROM n")).scalar()
                c.execute(text("UPDATE n SET v = :v"), {"v": v + 1})

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine.connect() as c:
        assert c.execute(text("SELECT v FROM n")).scalar() == 200
    engine.dispose()


def test_migrations_build_every_table(settings):  # type: ignore[no-untyped-def]
    url = settings.resolved_database_url
    assert current_revision(url) == head_revision()
    engine = make_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"users", "sessions", "api_tokens", "projects", "project_members", "questions", "records",
            "completions", "assignments", "annotations", "audit_log", "jobs"} <= names


@pytest.mark.postgres
def test_postgres_skip_locked_compiles():  # type: ignore[no-untyped-def]
    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql

    from assay.store.tables import RecordRow

    q = select(RecordRow).with_for_update(skip_locked=True, of=RecordRow)
    assert "FOR UPDATE OF records SKIP LOCKED" in str(q.compile(dialect=postgresql.dialect()))
