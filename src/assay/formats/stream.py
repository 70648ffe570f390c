"""Streaming pieces under the row readers: an incremental JSON-array parser and a byte meter.

`iter_array_items` reads one JSON array element at a time from a binary file (never the whole file): the
text is decoded incrementally, each element is parsed with `json.JSONDecoder.raw_decode` as soon as the
buffer holds all of it, and the buffer keeps only the unparsed tail. One element may take at most
`max_item_bytes` characters (like a JSONL line's limit); a longer one is refused after reading that much.
Positions are exact: each element comes with its 1-based index and the line it starts on, and a syntax
error names its line and column.

`meter()` / `metered(...)`: a byte meter a caller (an import job) switches on for its own thread, so the
readers it calls report how far into the file they are (`Meter.fraction`) without any reader taking a
callback. `rows.open_binary` counts the raw (compressed) bytes read; Parquet counts rows of the file.
"""

from __future__ import annotations

import codecs
import contextvars
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from assay.formats.checks import Where

CHUNK = 256 * 1024
_WS = " \t\r\n"


@dataclass
class Meter:
    """How far a reader got: `done` of `total` units (bytes of the file, or rows of a Parquet file)."""

    done: int = 0
    total: int = 0

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total > 0 else 0.0


_meter: contextvars.ContextVar[Meter | None] = contextvars.ContextVar("assay_read_meter", default=None)


def meter() -> Meter | None:
    """The meter switched on for this thread (None when nobody asked)."""
    return _meter.get()


@contextmanager
def metered() -> Iterator[Meter]:
    """Switch a fresh `Meter` on for the readers this thread runs inside the block."""
    m = Meter()
    token = _meter.set(m)
    try:
        yield m
    finally:
        _meter.reset(token)


class CountingFile(io.RawIOBase):
    """A read-only binary file that adds the bytes read to a `Meter`."""

    def __init__(self, raw: IO[bytes], m: Meter) -> None:
        self._raw = raw
        self._m = m

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._raw.read(len(b))
        n = len(data)
        b[:n] = data
        self._m.done += n
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_counted(path: Any) -> IO[bytes]:
    """`open(path, "rb")`, counted by the thread's meter when one is on (its total becomes the file size)."""
    f: IO[bytes] = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    m = meter()
    if m is None:
        return f
    import os

    m.total, m.done = os.fstat(f.fileno()).st_size, 0
    return io.BufferedReader(CountingFile(f, m), buffer_size=CHUNK)


class _Text:
    """Decoded text of a binary file, read on demand, with the line number of the buffer's start."""

    def __init__(self, f: IO[bytes], path: str) -> None:
        self.f = f
        self.path = path
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buf = ""
        self.pos = 0  # next unread character of buf
        self.line = 1  # line number at buf[0]
        self.counted = 0  # buf[:counted] has been counted into line_at_counted
        self.line_at_counted = 1
        self.eof = False
        self.first = True

    def more(self, want: int = CHUNK) -> bool:
        """Append at least one more chunk (dropping what was consumed); False at the end of the file."""
        if self.eof:
            return False
        if self.pos:
            self.line = self.line_at(self.pos)
            self.buf = self.buf[self.pos:]
            self.counted, self.line_at_counted, self.pos = 0, self.line, 0
        raw = self.f.read(max(want, CHUNK))
        try:
            text = self.decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as e:
            bad_line = self.line + self.buf.count("\n") + raw.count(b"\n", 0, e.start)
            raise Where(self.path, "line", bad_line).invalid(
                f"not valid UTF-8 (byte {raw[e.start:e.start + 1]!r}); save the file as UTF-8")
        if self.first:
            text = text.removeprefix("\ufeff")
            self.first = False
        self.buf += text
        if not raw:
            self.eof = True
        return bool(raw) or bool(text)

    def line_at(self, index: int) -> int:
        """The 1-based line of buf[index] (counting forward from the last position asked about)."""
        if index < self.counted:
            self.counted, self.line_at_counted = 0, self.line
        self.line_at_counted += self.buf.count("\n", self.counted, index)
        self.counted = index
        return self.line_at_counted

    def skip_ws(self) -> str:
        """The next non-blank character (not consumed), or "" at the end of the file."""
        while True:
            n = len(self.buf)
            while self.pos < n and self.buf[self.pos] in _WS:
                self.pos += 1
            if self.pos < n:
                return self.buf[self.pos]
            if not self.more():
                return ""


def first_char(f: IO[bytes]) -> str:
    """The first non-blank character of a binary stream (a BOM skipped), reading as little as possible;
    "" for a blank file. Reads from the stream's current position (callers reopen it afterwards)."""
    t = _Text(f, "")
    return t.skip_ws()


def iter_array_items(f: IO[bytes], path: str, max_item_bytes: int) -> Iterator[tuple[int, int, Any]]:
    """(1-based index, line the element starts on, value) for each element of the JSON array in `f`.

    Raises Invalid naming the line (and column) for broken JSON, a top level that is not an array, text
    after the array, or an element longer than `max_item_bytes` characters. A blank file yields nothing."""
    t = _Text(f, path)
    decoder = json.JSONDecoder()
    c = t.skip_ws()
    if c == "":
        return
    if c != "[":
        raise Where(path, "line", t.line_at(t.pos)).invalid(
            "expected a JSON array of records (or one JSON object per line)")
    t.pos += 1
    index = 0
    while True:
        c = t.skip_ws()
        if c == "]" and index == 0:
            t.pos += 1
            break
        if c == "":
            raise Where(path, "line", t.line_at(len(t.buf))).invalid(
                "broken JSON: the array is not closed (missing ']')")
        start_line = t.line_at(t.pos)
        value, end = _decode_one(t, decoder, path, max_item_bytes, start_line)
        index += 1
        t.pos = end
        yield index, start_line, value
        c = t.skip_ws()
        if c == ",":
            t.pos += 1
            continue
        if c == "]":
            t.pos += 1
            break
        line = t.line_at(t.pos) if c else t.line_at(len(t.buf))
        raise Where(path, "line", line).invalid(
            "broken JSON: expected ',' or ']' after an array element" if c else
            "broken JSON: the array is not closed (missing ']')")
    if t.skip_ws():
        raise Where(path, "line", t.line_at(t.pos)).invalid("broken JSON: extra data after the array")


def _decode_one(t: _Text, decoder: json.JSONDecoder, path: str, limit: int,
                start_line: int) -> tuple[Any, int]:
    """Parse the value starting at t.pos, reading more text until it is complete (or cannot be)."""
    too_long = Where(path, "line", start_line).invalid(
        f"an array element is longer than {limit:,} characters, the most one record may take; if it is a "
        "real record, raise the limit (the import commands' --max-line-bytes)")
    while True:
        try:
            value, end = decoder.raw_decode(t.buf, t.pos)
        except json.JSONDecodeError as e:
            if len(t.buf) - t.pos > limit:
                raise too_long from None
            if t.eof:
                line = t.line_at(e.pos)
                col = e.pos - (t.buf.rfind("\n", 0, e.pos) + 1) + 1
                msg = e.msg.removesuffix(" at").removesuffix(":").rstrip()  # never "… at at column"
                raise Where(path, "line", line).invalid(f"broken JSON: {msg} at column {col}")
            # possibly only incomplete: read more (at least as much again, so retries stay linear)
            t.more(len(t.buf) - t.pos)
            continue
        if end == len(t.buf) and not t.eof and not isinstance(value, (dict, list, str)):
            t.more()  # a number or literal cut at the buffer's end may go on
            continue
        if end - t.pos > limit:
            raise too_long
        return value, end
