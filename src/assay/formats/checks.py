"""Where a row came from, and typed field checks that fail with an `Invalid` naming the line and field.

Every reader error goes through `Where.invalid`, so messages share one shape:
``file.jsonl line 17, field completions[1].text: expected a string, got 42`` with
``details={"file", "line", "unit", "field", "reason"}``.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.domain.records import ROLES, Message
from assay.errors import Invalid


@dataclass
class ReadStats:
    """Counts a reader keeps while it streams; pass one in to learn what was skipped or merged.

    `rows` counts source rows read, `records` the records yielded; `counts` holds named tallies such as
    ``hh_divergent_kept``, ``hh_divergent_skipped``, ``oasst_deleted_skipped``, ``tulu_repeat_votes_dropped``.
    """

    rows: int = 0
    records: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] += n


@dataclass
class Options:
    """Reader options shared by all formats (see `read_records`)."""

    on_divergence: str = "keep"
    with_reference_as_completion: bool = False
    stats: ReadStats = field(default_factory=ReadStats)


@dataclass(frozen=True)
class Where:
    """One position in a source file: `unit` is "line" (JSONL), "record" (JSON array) or "row" (CSV, Parquet).
    `line`, when set, is the line a JSON array's element starts on (named in messages and details)."""

    path: str
    unit: str
    number: int
    line: int = 0

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def source(self) -> str:
        """The provenance string stored on records, e.g. ``test.jsonl.gz:17``."""
        return f"{self.name}:{self.number}"

    def invalid(self, reason: str, field: str | None = None) -> Invalid:
        """An `Invalid` whose message and details name this file, position and (optionally) field."""
        where = f"{self.name} {self.unit} {self.number}" if self.number else self.name
        if self.line:
            where += f" (line {self.line})"
        msg = f"{where}, field {field}: {reason}" if field else f"{where}: {reason}"
        return Invalid(
            msg,
            details={
                "file": self.path,
                "line": self.line or self.number,
                "unit": self.unit,
                "field": field,
                "reason": reason,
            },
        )


def describe(value: Any) -> str:
    """A short description of a wrong value for error messages: ``42``, ``a list``, ``null``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def require(obj: dict[str, Any], key: str, where: Where, path: str | None = None, hint: str = "") -> Any:
    """`obj[key]`, or Invalid "missing" naming `path` (defaults to `key`)."""
    if key not in obj or obj[key] is None:
        raise where.invalid("missing" + (f" ({hint})" if hint else ""), path or key)
    return obj[key]


def as_str(value: Any, where: Where, path: str) -> str:
    if not isinstance(value, str):
        raise where.invalid(f"expected a string, got {describe(value)}", path)
    return value


def as_list(value: Any, where: Where, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise where.invalid(f"expected a list, got {describe(value)}", path)
    return value


def as_dict(value: Any, where: Where, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise where.invalid(f"expected an object, got {describe(value)}", path)
    return value


def req_str(obj: dict[str, Any], key: str, where: Where, path: str | None = None) -> str:
    return as_str(require(obj, key, where, path), where, path or key)


def opt_str(obj: dict[str, Any], key: str, where: Where, path: str | None = None, default: str = "") -> str:
    value = obj.get(key)
    return default if value is None else as_str(value, where, path or key)


def check_role(role: Any, where: Where, path: str, aliases: dict[str, str] | None = None) -> str:
    """Map a source role to one of `ROLES` (via `aliases`), or fail with "unknown role"."""
    if isinstance(role, str):
        mapped = (aliases or {}).get(role, role)
        if mapped in ROLES:
            return mapped
    known = sorted(set(ROLES) | set(aliases or {}))
    raise where.invalid(f"unknown role {describe(role)}; use one of {', '.join(known)}", path)


def parse_message(obj: Any, where: Where, path: str, aliases: dict[str, str] | None = None) -> Message:
    """One `{"role", "content", "tool_calls"?}` message. Content may be null (tool-call turns) or a list of
    OpenAI content parts, whose text parts are joined; non-text parts are refused."""
    m = as_dict(obj, where, path)
    role = check_role(require(m, "role", where, f"{path}.role"), where, f"{path}.role", aliases)
    content = m.get("content")
    if content is None:
        text = ""
    elif isinstance(content, list):
        parts = []
        for i, part in enumerate(content):
            p = as_dict(part, where, f"{path}.content[{i}]")
            if p.get("type", "text") != "text":
                raise where.invalid(
                    f"only text content parts are supported, got type {describe(p.get('type'))}",
                    f"{path}.content[{i}].type",
                )
            parts.append(req_str(p, "text", where, f"{path}.content[{i}].text"))
        text = "\n".join(parts)
    else:
        text = as_str(content, where, f"{path}.content")
    tool_calls = m.get("tool_calls")
    if tool_calls is not None:
        tool_calls = [
            as_dict(tc, where, f"{path}.tool_calls[{i}]")
            for i, tc in enumerate(as_list(tool_calls, where, f"{path}.tool_calls"))
        ]
    return Message(role=role, content=text, tool_calls=tool_calls or None)


def content_id(obj: Any) -> str:
    """A stable id from content: the first 16 hex digits of SHA-256 over canonical JSON."""
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def source_id(obj: dict[str, Any], key: str, where: Where) -> str:
    """`str(obj[key])` when the source has an id there (string or integer), else a content hash."""
    value = obj.get(key)
    if value is None or value == "":
        return content_id(obj)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise where.invalid(f"expected a string or integer id, got {describe(value)}", key)
    return str(value)


def stable_order(record_id: str, n: int) -> list[int]:
    """A deterministic shuffle of range(n) seeded by the record id (same id, same order, every run)."""

    def key(i: int) -> str:
        return hashlib.sha256(f"{record_id}\x00{i}".encode()).hexdigest()

    return sorted(range(n), key=key)


def json_problem(e: json.JSONDecodeError, text: str) -> str:
    """A readable 'broken JSON: … at column N' for an error parsing one line `text` (columns count characters
    from 1). Python's messages that end in 'at' lose it (no 'at at'); a line that ends inside a string (cut
    short) is reported as the unterminated string, at the column where that string starts."""
    body = text.rstrip("\r\n")
    if e.msg.startswith("Invalid control character") and e.pos >= len(body) and body != text:
        try:
            json.loads(body)
        except json.JSONDecodeError as inner:
            e = inner
    msg = e.msg.removesuffix(" at").removesuffix(":").rstrip()
    if msg.startswith("Unterminated string starting"):
        return f"broken JSON: a string starting at column {e.colno} is not closed (is the line cut short?)"
    return f"broken JSON: {msg} at column {e.colno}"
