"""Uploaded files: a request body streamed to a server-chosen file under `<data dir>/uploads` (the name is a
random token; the client's file name is kept only for display), counted against a limit; where an upload
lives; and the hourly sweep of uploads that were checked but never imported. No request chooses a path:
`upload_path` accepts only a server-made token and a known suffix.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from assay.config import Settings
from assay.errors import Invalid

UPLOAD_MAX_AGE_SECONDS = 24 * 3600
TOKEN = re.compile(r"^[0-9a-f]{32}$")
SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".parquet", ".pq", ".zip")  # .zip: an Argilla export


def uploads_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


def upload_suffix(name: str) -> str:
    """The server file's suffix from the client's file name (only known suffixes; gzip is detected from
    the bytes), so the readers pick the right file type. Unknown: none (the content is sniffed)."""
    low = name.lower().removesuffix(".gz")
    return next((s for s in SUFFIXES if low.endswith(s)), "")


def upload_path(settings: Settings, token: str, suffix: str) -> Path:
    """Where upload `token` lives; Invalid for anything but a server-made token and a known suffix."""
    if not TOKEN.match(token) or suffix not in ("", *SUFFIXES):
        raise Invalid("unknown upload")
    return uploads_dir(settings) / f"{token}{suffix}"


@dataclass(frozen=True)
class Upload:
    token: str
    suffix: str
    name: str
    size: int


async def receive_upload(settings: Settings, name: str, chunks: AsyncIterator[bytes], limit: int) -> Upload:
    """Write the streamed body to a new server-named file, refusing (and removing it) past `limit` bytes or
    when empty. `name` (the client's file name) only picks the suffix and is shown back."""
    token = secrets.token_hex(16)
    suffix = upload_suffix(name)
    path = upload_path(settings, token, suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    try:
        with open(path, "xb") as f:  # noqa: ASYNC230 - local disk, chunks of the body as they arrive
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise Invalid(f"the file is larger than {limit:,} bytes, the most an upload may take; ask an "
                                  "admin to raise max_upload_bytes, or split the file",
                                  details={"field": "file", "limit": limit})
                f.write(chunk)
        if size == 0:
            raise Invalid("the file is empty; choose a file with records", details={"field": "file", "line": 0})
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Upload(token=token, suffix=suffix, name=clean_name(name), size=size)


def clean_name(name: str) -> str:
    """The client's file name for display only: its last path part, printable, at most 200 characters."""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in base if ch.isprintable())
    return base[:200] or "upload"


def sweep_uploads(settings: Settings, max_age: float = UPLOAD_MAX_AGE_SECONDS) -> int:
    """Remove uploads older than `max_age` seconds (checked but never imported); returns how many."""
    folder = uploads_dir(settings)
    if not folder.is_dir():
        return 0
    cutoff, n = time.time() - max_age, 0
    for p in folder.iterdir():
        if p.is_file() and p.stat().st_mtime < cutoff:
            p.unlink(missing_ok=True)
            n += 1
    return n
