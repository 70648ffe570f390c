"""The explorer's per-version cache: a DuckDB database file holding a version's rows plus derived columns.

Versions are immutable, so the cache is built once per version id and never invalidated:

    <data_dir>/explorer/<version id>/records-v5.duckdb table `records`: `_rid` (0-based row number in the
                                                      version's order), every column of the version, and
                                                      `_f_<field>` for each derived field of
                                                      `assay.pipelines.conditions.DERIVED` except `text`
                                                      (the search index answers it; `text~` conditions
                                                      compute it), stored with zstd;
                                                      beside it postings.bin + words.arrow + keys.arrow:
                                                      the search index (explorer_search), written first
    <data_dir>/explorer/<version id>/stats.json        the statistics page (written by explorer_stats)

The build writes `records-v5.duckdb.tmp-<pid>` and renames it, so readers never see half a file and two
processes building at once both end with a complete file.

Pages never build inside a request: `start_build` queues the build as a job of kind `KIND` (it is queued
when a version is created in the server, e.g. an explorer export, or else on the first visit), which the
server's job runner (`assay.jobs`) runs; `status` reads the job and says `ready`, `building` or `failed`
(with the error), so a page can show "building" and reload. The jobs table is shared, so every server
process sees the same build and none starts a second one. `build` itself stays synchronous for the CLI
(`assay data show --stats`) and the services that need the rows at once. Readers open it read-only with external access
disabled and the configuration locked: a user's `where` (raw SQL, as in the pipeline filter step) cannot
read or write files.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from assay import jobs
from assay.datasets import DatasetStore, Manifest
from assay.errors import Unavailable
from assay.jobs import JobContext, JobRunner
from assay.pipelines.conditions import DERIVED
from assay.services.explorer.search import BATCH, build_index
from assay.store.db import Db

#: Derived fields, and the column (or for `text`, the expression) the cache answers each one with.
MATERIALIZED: dict[str, str] = {name: f"_f_{name}" for name in DERIVED if name != "text"}
MATERIALIZED["text"] = f"lower({DERIVED['text'][0]})"
BUILD_MEMORY = "500MB"  # DuckDB's memory limit while it loads a version (it spills beyond)

KIND = "explorer.cache"
"""The job kind of a cache build (params: store, ref, root, key = the cache folder)."""

_lock = threading.Lock()  # guards the two maps below
_building: dict[str, threading.Lock] = {}  # version id -> held while this process builds it (no double work)
_open: dict[str, duckdb.DuckDBPyConnection] = {}  # cache file -> the process's read-only connection


def cache_dir(root: Path, m: Manifest) -> Path:
    """The cache folder of version `m` under the explorer cache root."""
    return root / m.id


def _derived_select() -> str:
    return ", ".join(f"{DERIVED[name][0]} AS {col}" for name, col in MATERIALIZED.items() if name != "text")


def _text_batches(store: DatasetStore, m: Manifest) -> Iterator[pa.RecordBatch | pa.Table]:
    """The version's `messages` and `completions`, in order, in batches (what the search index reads)."""
    cols = ["messages", "completions"]
    for rel in m.files:
        if store._local:
            yield from pq.ParquetFile(store.full_path(rel)).iter_batches(batch_size=BATCH, columns=cols)
        else:
            yield from store.iter_tables(Manifest.from_dict({**m.to_dict(), "files": [rel]}), columns=cols)


def _parts(store: DatasetStore, m: Manifest) -> Iterator[str | pa.Table]:
    """Each part of the version: a local file path DuckDB reads itself, or an Arrow table (remote stores,
    read one at a time; single-threaded scan keeps row order)."""
    for rel in m.files:
        if store._local:
            yield store.full_path(rel)
        else:
            yield from store.iter_tables(Manifest.from_dict({**m.to_dict(), "files": [rel]}))


def db_path_of(root: Path, m: Manifest) -> Path:
    """The cache database file of version `m` (it exists exactly when the cache is ready)."""
    return cache_dir(root, m) / "records-v5.duckdb"


@dataclass(frozen=True)
class CacheStatus:
    """Where the cache of one version stands: `ready`, `building` (for `seconds`), `failed` (`error`) or
    `missing` (never started)."""

    ref: str
    state: str
    seconds: float = 0.0
    error: str = ""

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def to_dict(self) -> dict[str, object]:
        return {"ref": self.ref, "state": self.state, "seconds": round(self.seconds, 1), "error": self.error}


def status(db: Db, m: Manifest, root: Path) -> CacheStatus:
    """The state of version `m`'s cache, without starting anything: ready when the file exists, else the
    state of its newest build job (queued or running: building; failed: the job's error)."""
    if db_path_of(root, m).exists():
        return CacheStatus(m.ref, "ready")
    job = jobs.latest_with_key(db, KIND, str(cache_dir(root, m)))
    if job is None or job.state == "done":  # done but no file: the cache folder was removed since
        return CacheStatus(m.ref, "missing")
    if job.state == "failed":
        return CacheStatus(m.ref, "failed", error=job.message)
    return CacheStatus(m.ref, "building", job.seconds())


def start_build(db: Db, store: DatasetStore, m: Manifest, root: Path, *, wait: float = 0.0,
                retry: bool = False) -> CacheStatus:
    """Queue a build of version `m`'s cache (a job of kind `KIND`, run by the server's job runner) unless
    it is ready or being built; then wait up to `wait` seconds for it. A failed build is not retried unless
    `retry`. Returns the status."""
    st = status(db, m, root)
    requeued = 0
    if st.state == "failed" and retry:
        st = CacheStatus(m.ref, "missing")
    deadline = time.monotonic() + wait
    while True:
        # "missing" (no job, or a finished job whose file is gone) queues a build; at most twice per call, so a
        # cache folder removed while a build finished cannot leave the caller with "missing" instead of a build
        if st.state == "missing" and requeued < 2:
            jobs.enqueue_unless_active(db, KIND, str(cache_dir(root, m)),
                                       {"store": store.url, "ref": m.ref, "root": str(root)})
            requeued += 1
            st = status(db, m, root)
            continue
        if st.state != "building" or time.monotonic() >= deadline:
            return st
        time.sleep(0.05)
        st = status(db, m, root)


def register(runner: JobRunner) -> None:
    """Run cache builds in `runner`. Idempotent: a build a stopped process left running is queued again
    (a half-written file is never renamed into place)."""
    runner.register(KIND, _handle, idempotent=True)


def _handle(ctx: JobContext) -> dict[str, Any]:
    p = ctx.job.params
    store = DatasetStore(str(p["store"]))
    path = build(store, store.resolve(str(p["ref"])), Path(str(p["root"])))
    return {"path": str(path)}


def build(store: DatasetStore, m: Manifest, root: Path) -> Path:
    """Build the cache of version `m` (idempotent; returns the database path). Local files are read by
    DuckDB directly; other fsspec stores are streamed through pyarrow."""
    folder = cache_dir(root, m)
    db_path = db_path_of(root, m)
    if db_path.exists():
        return db_path
    with _lock:
        per = _building.setdefault(m.id, threading.Lock())
    with per:
        if db_path.exists():
            return db_path
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"records-v5.duckdb.tmp-{os.getpid()}-{threading.get_ident()}"
        tmp.unlink(missing_ok=True)
        if not m.files:
            raise Unavailable(f"{m.ref} has no data files to explore")
        # the search index (numba, one thread) is built while DuckDB loads the rows (one thread)
        index_error: list[BaseException] = []

        def index() -> None:
            try:
                build_index(_text_batches(store, m), m.row_count, folder)
            except BaseException as e:  # noqa: BLE001 - re-raised below, in the caller's thread
                index_error.append(e)

        indexer = threading.Thread(target=index, name=f"explorer-index-{m.id}", daemon=True)
        indexer.start()
        con = duckdb.connect(str(tmp), config={"memory_limit": BUILD_MEMORY, "threads": 1,
                                               "temp_directory": str(folder / f"{tmp.name}.spill")})
        try:
            con.execute("SET preserve_insertion_order = true")
            con.execute("PRAGMA force_compression = 'zstd'")
            offset = 0
            for i, part in enumerate(_parts(store, m)):
                if isinstance(part, str):
                    src = f"read_parquet('{part.replace(chr(39), chr(39) * 2)}', file_row_number = true)"
                    rid = f"({offset} + file_row_number)::BIGINT AS _rid, * EXCLUDE (file_row_number)"
                else:
                    con.register("part", part)
                    src = "part"
                    rid = f"({offset} + row_number() OVER ())::BIGINT - 1 AS _rid, *"
                select = f"SELECT {rid}, {_derived_select()} FROM {src}"
                con.execute(f"CREATE TABLE records AS {select}" if i == 0 else f"INSERT INTO records BY NAME {select}")
                offset = con.execute("SELECT count(*) FROM records").fetchall()[0][0]
            con.execute("CHECKPOINT")
        finally:
            con.close()
            shutil.rmtree(folder / f"{tmp.name}.spill", ignore_errors=True)
            indexer.join()
        if index_error:
            tmp.unlink(missing_ok=True)
            raise index_error[0]
        os.replace(tmp, db_path)
        return db_path


@contextmanager
def cursor(store: DatasetStore, m: Manifest, root: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the version's cache (built first if needed), read-only and without file access.
    One connection per version is kept open per process; each call gets its own cursor (thread-safe)."""
    path = str(build(store, m, root))
    with _lock:
        con = _open.get(path)
        if con is None:
            con = duckdb.connect(path, read_only=True, config={
                "enable_external_access": False, "lock_configuration": True})
            _open[path] = con
    cur = con.cursor()
    try:
        yield cur
    finally:
        cur.close()


class TimeLimit:
    """Interrupts a DuckDB cursor from a timer thread once `seconds` have passed (see `time_limit`).
    `fired` says whether it did; an interrupt never reaches the cursor after the block ended."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, seconds: float) -> None:
        self.cur, self.seconds, self.fired = cur, seconds, False
        self._lock = threading.Lock()
        self._done = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            self.cur.interrupt()

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()


@contextmanager
def time_limit(cur: duckdb.DuckDBPyConnection, seconds: float) -> Iterator[TimeLimit]:
    """Every statement run on `cur` inside the block shares one budget of `seconds`: when it is spent, the
    running statement is interrupted (it raises duckdb.InterruptException; check `.fired`)."""
    limit = TimeLimit(cur, seconds)
    limit.start()
    try:
        yield limit
    finally:
        limit.stop()


def close_all() -> None:
    """Close every open cache connection (tests; a server never needs to)."""
    with _lock:
        for con in _open.values():
            con.close()
        _open.clear()
