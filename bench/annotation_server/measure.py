"""What a benchmark window costs, counted so that it cannot flatter either server.

- `tree_cpu_seconds(pid)`: user + system CPU of a process and every descendant, live or already reaped
  (a reaped child's CPU lands in its parent's `children_user`/`children_system`), from the moment the
  process started: interpreter start and imports included.
- `postmaster_pid(dsn)`: the PostgreSQL server's main process (the parent of the backend serving a fresh
  connection), so `tree_cpu_seconds(postmaster)` over a window is the database server's CPU, including
  every backend opened and closed during it (Label Studio opens one per request) and the background
  processes (checkpointer, WAL writer, autovacuum).
- `tree_rss_bytes(pid)` and `PeakRss`: resident memory of the whole process tree, summed over processes,
  sampled in a thread to keep the peak.
- `spread(values)`: median, min and max.
"""

from __future__ import annotations

import statistics
import threading

import psutil


def _tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of `pid` and all its descendants since each started, reaped ones included.

    A live child is counted by its own times; once its parent waits for it, its times (and those of its own
    reaped children) move into the parent's children_* fields, so nothing is counted twice or lost."""
    total = 0.0
    for p in _tree(pid):
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:  # exited between the listing and the read: its parent holds its times
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def tree_rss_bytes(pid: int) -> int:
    """Resident set size of `pid` and all its descendants, summed (shared pages count once per process)."""
    total = 0
    for p in _tree(pid):
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


class PeakRss:
    """Samples `tree_rss_bytes(pid)` every `interval` seconds in a daemon thread; `peak` is the largest sum."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, tree_rss_bytes(self.pid))
            except psutil.NoSuchProcess:
                return
            self._stop.wait(self.interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def postmaster_pid(dsn: str = "host=127.0.0.1 port=5432 user=postgres dbname=postgres") -> int:
    """The PostgreSQL postmaster: the parent of the backend that serves a new connection (same machine only)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        backend = int(row[0])
        return int(psutil.Process(backend).ppid())


def spread(values: list[float]) -> tuple[float, float, float]:
    """(median, min, max) of `values`; NaNs for an empty list."""
    if not values:
        nan = float("nan")
        return nan, nan, nan
    return statistics.median(values), min(values), max(values)
