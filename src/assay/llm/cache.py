"""An on-disk cache of model completions, so a rerun does not pay for the same call twice.

Entries are keyed by a SHA-256 of (base_url, model, messages, sampling fields, sample index) and stored as
JSON in one SQLite file (`<cache_dir>/llm-cache.sqlite3`, WAL mode). One `CompletionCache` may be shared by
many threads; several processes may share the file too (SQLite locks it, with a busy timeout).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from assay.errors import Unavailable

FILENAME = "llm-cache.sqlite3"


def cache_key(
    base_url: str, model: str, messages: list[dict[str, Any]], sampling: dict[str, Any], sample_index: int = 0
) -> str:
    """A stable hex key for one call. Dict order does not matter; the API key is never part of it."""
    payload = {
        "base_url": base_url.rstrip("/"),
        "model": model,
        "messages": messages,
        "sampling": sampling,
        "sample": sample_index,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class CompletionCache:
    """A thread-safe key → JSON-dict store in SQLite.

    `get` returns None for a miss. `put` overwrites. Raises Unavailable when the directory cannot be
    created or the file cannot be opened.
    """

    def __init__(self, cache_dir: str | Path) -> None:
        self.path = Path(cache_dir) / FILENAME
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA busy_timeout=30000")
            self._conn.execute("PRAGMA synchronous=NORMAL")  # WAL: durable enough for a cache, much faster
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS completions (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
                "created REAL NOT NULL)"
            )
        except (OSError, sqlite3.Error) as e:
            raise Unavailable(
                f"cannot open the LLM cache at {self.path}: {e}; check the folder is writable "
                "or pass cache_dir=None to turn the cache off"
            ) from e
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM completions WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            value = json.loads(row[0])
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        blob = json.dumps(value, ensure_ascii=False, default=str)
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO completions (key, value, created) VALUES (?, ?, ?)",
                (key, blob, time.time()),
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM completions").fetchone()[0])

    def clear(self) -> None:
        """Remove every entry."""
        with self._lock:
            self._conn.execute("DELETE FROM completions")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
