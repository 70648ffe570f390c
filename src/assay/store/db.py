"""The database handle services work through.

Four ways into the database, two questions each: read or write, ORM session or bare Core connection.

| block | yields | use for |
|---|---|---|
| `read()` | ORM session | every read a service makes (no writer lock on SQLite; one WAL snapshot) |
| `write()` | ORM session | anything that changes rows (commit on success, rollback on error) |
| `read_connection()` | Core connection | single-statement hot-path reads (token and session checks) |
| `write_connection()` | Core connection | the hot path's prebuilt statements (claim, submit) |

`session_on(conn)` opens no transaction: it wraps a `write_connection()` block's connection in an ORM session
for a rare branch that needs one.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from assay.config import Settings
from assay.store.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine, make_session_factory
from assay.store.migrate import upgrade


@dataclass
class Db:
    """One per process. `write()` yields a session that commits on success and rolls back on error.

    On SQLite every transaction is BEGIN IMMEDIATE (one writer at a time). Writers queue on locks of their
    own first, so they hand over at once instead of polling SQLite's busy handler (which sleeps 25–100 ms
    between tries once it has waited a little): threads of one process on an in-process lock, processes
    (`assay serve --workers N`, CLI commands, workers) on an advisory file lock beside the database
    (``<file>-writelock``), polled every millisecond or two. After the busy timeout the file lock is given up
    and SQLite's own handler decides, so two handles in one thread can never deadlock on it.
    """

    engine: Engine
    sessions: sessionmaker[Session]
    settings: Settings
    _sqlite_lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _read_sessions: sessionmaker[Session] | None = field(default=None, repr=False)
    _read_engine: Engine | None = field(default=None, repr=False)
    _autocommit_engine: Engine | None = field(default=None, repr=False)
    last_sweeps: dict[int, float] = field(default_factory=dict, repr=False)  # project id -> monotonic time of
    # the last expired-lease sweep in this process (see `queue`)
    _lock_file: tuple[int, int] | None = field(default=None, repr=False)  # (pid, fd) of the writer lock file
    _lock_depth: int = field(default=0, repr=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._writer_lock() if self.engine.dialect.name == "sqlite" else nullcontext(), self.sessions() as session:
            with session.begin():
                yield session

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A write transaction on a bare Core connection (no ORM session), for the hot path's prebuilt
        statements (`assay.store.queue_statements`): same locking and commit-or-rollback as `write`.
        `session_on(conn)` gives an ORM session inside it where a rare branch needs one."""
        with self._writer_lock() if self.engine.dialect.name == "sqlite" else nullcontext(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def kept_connection(self) -> Iterator[Connection]:
        """One connection kept for work that spans several short write transactions on it (an import
        staging rows in temporary tables, which live as long as the connection): open each transaction
        with `write_on(conn)`. Nothing is committed by the block itself."""
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write_on(self, conn: Connection) -> Iterator[Connection]:
        """A write transaction on a `kept_connection()`: the same writer lock and commit-or-rollback as
        `write_connection()`."""
        with self._writer_lock() if self.engine.dialect.name == "sqlite" else nullcontext(), conn.begin():
            yield conn

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A bare Core connection for reads outside the writer lock: on SQLite a deferred BEGIN (one WAL
        snapshot for every statement in the block); on PostgreSQL autocommit, so a single SELECT (a token
        or session check) costs one round trip instead of BEGIN, SELECT and COMMIT — each statement then
        sees its own snapshot, so use it for one statement or for reads that need no common snapshot."""
        if self.engine.dialect.name != "sqlite":
            if self._autocommit_engine is None:
                self._autocommit_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
            with self._autocommit_engine.connect() as conn:
                yield conn
            return
        if self._read_engine is None:
            self._read_engine = self.engine.execution_options(assay_read_only=True)
        with self._read_engine.begin() as conn:
            yield conn

    @staticmethod
    @contextmanager
    def session_on(conn: Connection) -> Iterator[Session]:
        """An ORM session inside the connection's transaction: it flushes at the end and never commits or
        rolls back the transaction itself (the `write_connection()` block does)."""
        with Session(bind=conn, expire_on_commit=False, autoflush=True) as session:
            yield session
            session.flush()

    def _lock_fd(self) -> int | None:
        """This process's descriptor of the writer lock file (None for an in-memory database)."""
        database = self.engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        if self._lock_file is None or self._lock_file[0] != os.getpid():  # opened again after a fork
            self._lock_file = (os.getpid(), os.open(f"{database}-writelock", os.O_RDWR | os.O_CREAT, 0o600))
        return self._lock_file[1]

    @contextmanager
    def _writer_lock(self) -> Iterator[None]:
        with self._sqlite_lock:
            fd = self._lock_fd() if self._lock_depth == 0 else None
            held = False
            if fd is not None:
                deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
                pause = 0.0002
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        held = True
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            break  # let SQLite's busy handler decide
                        time.sleep(pause)
                        pause = min(pause * 2, 0.002)
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if held and fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction. On SQLite it starts with a deferred BEGIN and skips the writer lock: it
        reads one consistent snapshot (WAL) without waiting for writers or holding them up. Never write in
        it (use `write`)."""
        if self.engine.dialect.name != "sqlite":
            with self.write() as session:
                yield session
            return
        if self._read_sessions is None:
            if self._read_engine is None:
                self._read_engine = self.engine.execution_options(assay_read_only=True)
            self._read_sessions = make_session_factory(self._read_engine)
        with self._read_sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()
        if self._lock_file is not None and self._lock_file[0] == os.getpid():
            os.close(self._lock_file[1])
        self._lock_file = None


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


Tx = Session
"""The type of the session a `Db.write()` or `Db.read()` block yields, for services that pass it on
to store queries without importing SQLAlchemy."""
Conn = Connection
"""The type of the bare connection a `Db.write_connection()` block yields (the hot path's prebuilt statements)."""
