"""The database handle services work through: an engine, a session factory and a transaction helper."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from assay.config import Settings
from assay.store.engine import make_engine, make_session_factory
from assay.store.migrate import upgrade


@dataclass
class Db:
    """One per process. `transaction()` yields a session that commits on success and rolls back on error.

    On SQLite every transaction is BEGIN IMMEDIATE (one writer at a time); threads of one process queue on
    an in-process lock first, so they hand over at once instead of polling SQLite's busy handler (which
    sleeps up to 100 ms between tries). Other processes still meet the busy handler.
    """

    engine: Engine
    sessions: sessionmaker[Session]
    settings: Settings
    _sqlite_lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _read_sessions: sessionmaker[Session] | None = field(default=None, repr=False)
    last_sweeps: dict[int, float] = field(default_factory=dict, repr=False)  # project id -> monotonic time of
    # the last expired-lease sweep in this process (see `queue`)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sqlite_lock if self.engine.dialect.name == "sqlite" else nullcontext(), self.sessions() as session:
            with session.begin():
                yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction. On SQLite it starts with a deferred BEGIN and skips the writer lock: it
        reads one consistent snapshot (WAL) without waiting for writers or holding them up. Never write in
        it (use `transaction`)."""
        if self.engine.dialect.name != "sqlite":
            with self.transaction() as session:
                yield session
            return
        if self._read_sessions is None:
            self._read_sessions = make_session_factory(self.engine.execution_options(assay_read_only=True))
        with self._read_sessions() as session:
            with session.begin():
                yield session

    def close(self) -> None:
        self.engine.dispose()


def open_db(settings: Settings, *, migrate: bool | None = None) -> Db:
    """Open the configured database. SQLite (the default) upgrades itself; PostgreSQL only when asked
    (`assay db upgrade`), unless `migrate=True`."""
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate if migrate is not None else url.startswith("sqlite"):
        upgrade(url)
    engine = make_engine(url)
    return Db(engine=engine, sessions=make_session_factory(engine), settings=settings)
