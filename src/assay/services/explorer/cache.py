"""The explorer's per-version cache: a DuckDB database file holding a version's rows plus derived columns.

Versions are immutable, so the cache is built once per version id and never invalidated:

    <data_dir>/explorer/<version id>/records-v3.duckdb table `records`: `_rid` (0-based row number in the
                                                      version's order), every column of the version, and
                                                      `_f_<field>` for each derived field of
                                                      `assay.pipelines.conditions.DERIVED` (`_f_text` lower-cased);
                                                      beside it postings.u32 + terms.arrow: the word
                                                      index (explorer_search), written before the rename
    <data_dir>/explorer/<version id>/stats.json        the statistics page (written by explorer_stats)

The build writes `records-v3.duckdb.tmp-<pid>` and renames it, so readers never see half a file and two
processes building at once both end with a complete file.

Pages never build inside a request: `start_build` runs the build in a background thread of the server
process (it is started when a version is created in the server, e.g. an explorer export, or else on the
first visit) and `status` says `ready`, `building` or `failed` (with the error), so a page can show
"building" and reload. While a build runs, `<version id>/building.json` names the process doing it, so
other server processes report `building` instead of starting a second build. `build` itself stays
synchronous for the CLI (`assay data show --stats`) and the services that need the rows at once. Readers open it read-only with external access
disabled and the configuration locked: a user's `where` (raw SQL, as in the pipeline filter step) cannot
read or write files.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from assay.datasets import DatasetStore, Manifest
from assay.errors import Unavailable
from assay.pipelines.conditions import DERIVED
from assay.services.explorer.search import build_index

#: Derived fields stored in the cache, and the column each one is stored in.
MATERIALIZED: dict[str, str] = {name: f"_f_{name}" for name in DERIVED}
ROW_GROUP = 20_000

_lock = threading.Lock()
_building: dict[str, threading.Lock] = {}
_open: dict[str, duckdb.DuckDBPyConnection] = {}
_threads: dict[str, threading.Thread] = {}
_failed: dict[str, str] = {}
_started: dict[str, float] = {}
MARKER = "building.json"


def cache_dir(root: Path, m: Manifest) -> Path:
    """The cache folder of version `m` under the explorer cache root."""
    return root / m.id


def _derived_select() -> str:
    parts = []
    for name, col in MATERIALIZED.items():
        expr = DERIVED[name][0]
        parts.append(f"lower({expr}) AS {col}" if name == "text" else f"{expr} AS {col}")
    return ", ".join(parts)


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
    return cache_dir(root, m) / "records-v3.duckdb"


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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _marker_building(folder: Path) -> float | None:
    """When another live process is building this cache: the time it started, else None."""
    try:
        d = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    pid = int(d.get("pid", 0))
    if pid == os.getpid() or not _pid_alive(pid):
        return None
    return float(d.get("started", time.time()))


def status(m: Manifest, root: Path) -> CacheStatus:
    """The state of version `m`'s cache, without starting anything."""
    if db_path_of(root, m).exists():
        return CacheStatus(m.ref, "ready")
    key = str(cache_dir(root, m))
    with _lock:
        t = _threads.get(key)
        if t is not None and t.is_alive():
            return CacheStatus(m.ref, "building", time.time() - _started.get(key, time.time()))
        if key in _failed:
            return CacheStatus(m.ref, "failed", error=_failed[key])
    other = _marker_building(cache_dir(root, m))
    if other is not None:
        return CacheStatus(m.ref, "building", time.time() - other)
    return CacheStatus(m.ref, "missing")


def start_build(store: DatasetStore, m: Manifest, root: Path, *, wait: float = 0.0,
                retry: bool = False) -> CacheStatus:
    """Build version `m`'s cache in a background thread unless it is ready or being built (here or by
    another live process); then wait up to `wait` seconds for it. A failed build is not retried unless
    `retry`. Returns the status."""
    st = status(m, root)
    key = str(cache_dir(root, m))
    if st.state == "missing" or (st.state == "failed" and retry):
        with _lock:
            t = _threads.get(key)
            if t is None or not t.is_alive():
                _failed.pop(key, None)
                _started[key] = time.time()
                t = threading.Thread(target=_build_in_background, args=(store, m, root),
                                     name=f"explorer-cache-{m.ref}", daemon=True)
                _threads[key] = t
                t.start()
    with _lock:
        t = _threads.get(key)
    if wait > 0 and t is not None:
        t.join(wait)
    return status(m, root)


def _build_in_background(store: DatasetStore, m: Manifest, root: Path) -> None:
    folder = cache_dir(root, m)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MARKER).write_text(json.dumps({"pid": os.getpid(), "started": time.time(), "ref": m.ref}))
        build(store, m, root)
    except Exception as e:  # noqa: BLE001 - any failure is shown on the page; a thread must not die silently
        with _lock:
            _failed[str(folder)] = f"{type(e).__name__}: {e}"
    finally:
        (folder / MARKER).unlink(missing_ok=True)


def build(store: DatasetStore, m: Manifest, root: Path) -> Path:
    """Build the cache of version `m` (idempotent; returns the database path). Local files are read by
    DuckDB directly; other fsspec stores are streamed through pyarrow."""
    folder = cache_dir(root, m)
    db_path = folder / "records-v3.duckdb"
    if db_path.exists():
        return db_path
    with _lock:
        per = _building.setdefault(m.id, threading.Lock())
    with per:
        if db_path.exists():
            return db_path
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"records-v3.duckdb.tmp-{os.getpid()}-{threading.get_ident()}"
        tmp.unlink(missing_ok=True)
        con = duckdb.connect(str(tmp))
        try:
            con.execute("SET preserve_insertion_order = true")
            if not store._local:
                con.execute("SET threads = 1")  # row_number() OVER () follows the Arrow order
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
            if offset == 0 and not m.files:
                raise Unavailable(f"{m.ref} has no data files to explore")
            build_index(con, offset, folder)
            con.execute("CHECKPOINT")
        finally:
            con.close()
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


def close_all() -> None:
    """Close every open cache connection (tests; a server never needs to)."""
    with _lock:
        for con in _open.values():
            con.close()
        _open.clear()
