"""Engine and session factories.

SQLite runs in WAL mode with foreign keys on and a busy timeout, and every transaction starts with
BEGIN IMMEDIATE so writers are serialised safely (claims can never interleave); connections with the
execution option ``assay_read_only`` (read-only sessions) start with a deferred BEGIN instead.

PostgreSQL uses psycopg 3 with a pool of 20 (+20 overflow): as many as the server's worker threads use at
once under load, so connections are not closed and opened again (a new PostgreSQL backend each) when a
burst passes the pool size. A connection is pinged on checkout only when it sat in the pool for
`IDLE_PING_SECONDS` or more (SQLAlchemy's `pool_pre_ping` pings on every checkout: a round trip per
transaction); a dead one is replaced before use, so a database restart while the server is idle costs
no request.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

SQLITE_BUSY_TIMEOUT_MS = 30_000
IDLE_PING_SECONDS = 2.0


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for `url` with Assay's connection settings applied."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine)
        return engine
    pooled = "poolclass" not in kwargs
    if pooled:
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    if pooled and not kwargs.get("pool_pre_ping"):
        _ping_after_idle(engine, IDLE_PING_SECONDS)
    return engine


def _ping_after_idle(engine: Engine, seconds: float) -> None:
    """Ping a pooled connection on checkout when it was idle for `seconds` or more; a failed ping raises
    DisconnectionError, on which the pool drops the connection and checks out a fresh one (up to 3 tries)."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info["assay_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("assay_idle_since")
        if since is None or time.monotonic() - since < seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as e:  # any failure means the connection is unusable
            raise DisconnectionError(f"pooled connection failed its ping: {e}") from e
        if not alive:
            raise DisconnectionError("pooled connection failed its ping")


def make_null_pool_engine(url: str) -> Engine:
    """An engine that opens a fresh connection each time (for one-off CLI commands and migrations)."""
    return make_engine(url, poolclass=NullPool)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # read-only sessions (`Db.read`) take a deferred BEGIN: a WAL snapshot that never blocks writers
        # straight on the sqlite3 connection: SQLAlchemy's statement machinery costs more than the BEGIN
        conn.connection.driver_connection.execute(
            "BEGIN" if conn.get_execution_options().get("assay_read_only") else "BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (services return them)."""
    return sessionmaker(engine, expire_on_commit=False)
