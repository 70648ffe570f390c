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
processes building at once both end with a complete file. Readers open it read-only with external access
disabled and the configuration locked: a user's `where` (raw SQL, as in the pipeline filter step) cannot
read or write files.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from assay.datasets import DatasetStore, Manifest
from assay.errors import Unavailable
from assay.pipelines.conditions import DERIVED
from assay.services.explorer_search import build_index

#: Derived fields stored in the cache, and the column each one is stored in.
MATERIALIZED: dict[str, str] = {name: f"_f_{name}" for name in DERIVED}
ROW_GROUP = 20_000

_lock = threading.Lock()
_building: dict[str, threading.Lock] = {}
_open: dict[str, duckdb.DuckDBPyConnection] = {}


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
