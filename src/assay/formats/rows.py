"""Turning files into rows: JSON lines, JSON arrays, CSV and Parquet, gzip handled transparently.

A row is `(Where, dict)`. Readers stream; a JSONL line longer than `max_line_bytes` is refused after reading
at most that many bytes of it (never the whole line). Empty files, broken JSON, bad UTF-8 and non-object
rows raise `Invalid` naming the file and line, and so does text that is not valid Unicode (a lone
surrogate, see `assay.formats.text`), with the field.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

from assay.errors import Invalid
from assay.formats.checks import Where, describe, json_problem
from assay.formats.stream import first_char, iter_array_items, meter, open_counted
from assay.formats.text import refuse_in_row

DEFAULT_MAX_LINE_BYTES = 10 * 1024 * 1024
FILE_TYPES = ("jsonl", "json", "csv", "parquet")
Row = tuple[Where, dict[str, Any]]
# CSV cells that hold JSON (lists of messages, completions, metadata) are decoded when they look like JSON.
JSON_COLUMNS = ("messages", "conversations", "completions", "metadata", "code", "chosen", "rejected")


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def open_binary(path: Path) -> IO[bytes]:
    """Open for reading bytes, decompressing gzip (by magic bytes, whatever the name says)."""
    raw = open_counted(path)  # counted when an import job switched a meter on (assay.formats.stream)
    if is_gzip(path):
        return cast(IO[bytes], _GzipOver(raw))
    return raw


class _GzipOver(gzip.GzipFile):
    """Decompresses `raw` and closes it too (a GzipFile leaves a file object it was given open)."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def file_type(path: Path) -> str:
    """One of FILE_TYPES from the name (ignoring a .gz suffix), else from the first non-blank byte."""
    name = path.name.lower().removesuffix(".gz")
    for suffix, kind in (
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".json", "json"),
        (".csv", "csv"),
        (".parquet", "parquet"),
        (".pq", "parquet"),
    ):
        if name.endswith(suffix):
            return kind
    with open_binary(path) as f:
        head = f.read(4096).lstrip()
    if head.startswith(b"PAR1"):
        return "parquet"
    return "json" if head.startswith(b"[") else "jsonl"


def too_long(where: Where, limit: int) -> Invalid:
    return where.invalid(
        f"line is longer than {limit:,} bytes, the most one record may take; if it is a real record, "
        f"raise the limit with read_records(..., max_line_bytes=N) (the import commands' --max-line-bytes)"
    )


def _decode(raw: bytes, where: Where) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise where.invalid(
            f"not valid UTF-8 (byte {e.start + 1} of the line is {raw[e.start : e.start + 1]!r}); "
            "save the file as UTF-8"
        )


def _object(value: Any, where: Where) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise where.invalid(f"expected a JSON object per record, got {describe(value)}")
    return value


def iter_jsonl(path: Path, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Row]:
    """JSON lines, one object per non-blank line; positions are 1-based line numbers."""
    with open_binary(path) as f:
        number = 0
        while True:
            raw = f.readline(max_line_bytes + 1)
            if not raw:
                return
            number += 1
            where = Where(str(path), "line", number)
            if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                raise too_long(where, max_line_bytes)
            text = _decode(raw, where)
            if number == 1:
                text = text.removeprefix("\ufeff")
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as e:
                raise where.invalid(json_problem(e, text)) from None
            yield where, _object(value, where)


def iter_json_array(path: Path, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Row]:
    """A JSON array of objects, parsed one element at a time (`assay.formats.stream.iter_array_items`:
    never the whole file in memory). Positions are 1-based element numbers; errors also name the line the
    element starts on. A `.json` file that is really JSON lines is read as JSON lines."""
    with open_binary(path) as f:
        head = first_char(f)
    if head == "{":
        yield from iter_jsonl(path, max_line_bytes)
        return
    with open_binary(path) as f:
        for number, line, value in iter_array_items(f, str(path), max_line_bytes):
            where = Where(str(path), "record", number, line)
            yield where, _object(value, where)


def _maybe_json(key: str, value: Any) -> Any:
    if key in JSON_COLUMNS and isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            return value
        if key in ("chosen", "rejected") and not (
            isinstance(decoded, list) and all(isinstance(m, dict) for m in decoded)
        ):
            return value  # a text answer that merely starts with a bracket
        return decoded
    return value


def iter_csv(path: Path, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Row]:
    """CSV with a header row; empty cells count as missing; JSON-looking cells of JSON_COLUMNS are decoded.
    Positions are 1-based data rows (the header is not counted)."""
    csv.field_size_limit(max(max_line_bytes, csv.field_size_limit()))
    number = 0
    with open_binary(path) as fb:
        text = io.TextIOWrapper(fb, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        while True:
            where = Where(str(path), "row", number + 1)
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise where.invalid("not valid UTF-8; save the file as UTF-8")
            except csv.Error as e:
                if "field larger than field limit" in str(e):
                    raise too_long(where, max_line_bytes)
                raise where.invalid(f"broken CSV: {e}")
            number += 1
            yield (
                where,
                {k: _maybe_json(k, v) for k, v in row.items() if k is not None and v not in ("", None)},
            )


def iter_parquet(path: Path, batch_size: int = 1024) -> Iterator[Row]:
    """Parquet rows in batches (never the whole file in memory); positions are 1-based row numbers."""
    import pyarrow.parquet as pq

    m = meter()
    with _seekable_parquet(path) as source:
        try:
            pf = pq.ParquetFile(source)
        except Exception as e:  # noqa: BLE001 - pyarrow raises several types for a bad file
            raise Where(str(path), "row", 0).invalid(f"not a readable Parquet file: {e}")
        if m is not None:
            m.total, m.done = pf.metadata.num_rows, 0
        number = 0
        for batch in pf.iter_batches(batch_size=batch_size):  # row group by row group, a batch at a time
            for row in batch.to_pylist():
                number += 1
                yield Where(str(path), "row", number), {k: v for k, v in row.items() if v is not None}
            if m is not None:
                m.done = number


@contextmanager
def _seekable_parquet(path: Path) -> Iterator[Any]:
    """The Parquet file itself, or for a gzip-compressed one a temporary decompressed copy (Parquet needs
    to seek; the copy is streamed, then removed)."""
    if not is_gzip(path):
        yield path
        return
    with tempfile.TemporaryFile(prefix="assay-parquet-") as tmp, gzip.open(path, "rb") as src:
        shutil.copyfileobj(src, tmp, 1024 * 1024)
        tmp.seek(0)
        yield tmp


def iter_rows(path: Path, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Row]:
    """Rows of any supported file type, chosen by `file_type`. A row holding a lone surrogate (text that
    is not valid Unicode, see `assay.formats.text`) raises Invalid naming its line and field."""
    kind = file_type(path)
    if kind == "parquet":
        rows = iter_parquet(path)
    elif kind == "csv":
        rows = iter_csv(path, max_line_bytes)
    elif kind == "json":
        rows = iter_json_array(path, max_line_bytes)
    else:
        rows = iter_jsonl(path, max_line_bytes)
    return _valid_text(rows)


def _valid_text(rows: Iterator[Row]) -> Iterator[Row]:
    for where, row in rows:
        refuse_in_row(where, row)
        yield where, row
