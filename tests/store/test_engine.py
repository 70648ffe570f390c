"""The store's engine settings and migrations on both back ends."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.pool import NullPool

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


@pytest.mark.postgres
def test_postgres_idle_connection_killed_by_the_server_is_replaced(monkeypatch):  # type: ignore[no-untyped-def]
    """A pooled connection that the server ended while it sat idle is pinged on checkout and replaced:
    the next transaction works, on a new backend."""
    from tests.conftest import PG_URL

    from assay.store import engine as engine_module

    engine = make_engine(PG_URL, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as c:
            first = c.execute(text("SELECT pg_backend_pid()")).scalar()
        killer = make_engine(PG_URL, poolclass=NullPool)
        with killer.connect() as k:
            assert k.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first}).scalar() is True
        killer.dispose()
        monkeypatch.setattr(engine_module.time, "monotonic", lambda: 1e12)  # the connection looks long idle
        with engine.begin() as c:
            second = c.execute(text("SELECT pg_backend_pid()")).scalar()
        assert second != first
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_busy_connection_is_not_pinged():  # type: ignore[no-untyped-def]
    """A connection checked out again within IDLE_PING_SECONDS is used as it is (no round trip): the
    server sees only the statements the transaction itself sends."""
    from sqlalchemy import event
    from tests.conftest import PG_URL

    engine = make_engine(PG_URL, pool_size=1, max_overflow=0)
    sent: list[str] = []
    pings: list[bool] = []
    event.listen(engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    original = engine.dialect.do_ping
    engine.dialect.do_ping = lambda conn: pings.append(True) or original(conn)  # type: ignore[method-assign]
    try:
        for _ in range(5):
            with engine.begin() as c:
                c.execute(text("SELECT 1"))
        assert pings == []
        assert sent.count("SELECT 1") == 5
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_read_connection_is_autocommit(tmp_path):  # type: ignore[no-untyped-def]
    """`Db.read_connection` on PostgreSQL runs without an open transaction (one round trip per SELECT),
    and the pool hands the connection back in normal transactional mode."""
    from psycopg.pq import TransactionStatus
    from tests.conftest import PG_URL, reset_postgres

    from assay.config import load_settings
    from assay.store.db import open_db

    reset_postgres(PG_URL)
    settings = load_settings(data_dir=tmp_path, database_url=PG_URL)
    upgrade(settings.resolved_database_url)
    db = open_db(settings, migrate=False)
    try:
        with db.read_connection() as c:
            c.execute(text("SELECT count(*) FROM users")).scalar()
            assert c.connection.dbapi_connection.info.transaction_status == TransactionStatus.IDLE  # type: ignore[union-attr]
        with db.write_connection() as c:
            c.execute(text("SELECT count(*) FROM users")).scalar()
            assert c.connection.dbapi_connection.info.transaction_status == TransactionStatus.INTRANS  # type: ignore[union-attr]
    finally:
        db.close()
