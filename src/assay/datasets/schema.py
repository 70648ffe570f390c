"""The Parquet row schema of records, and conversion between `Record` objects and Arrow rows.

Document columns (never renamed by steps):

| column | type | meaning |
|---|---|---|
| id | string | stable record id (`Record.external_id`) |
| source | string | where it came from (file:line, or a dataset version) |
| messages | list<struct<role, content, tool_calls (JSON string or null)>> | the conversation |
| completions | list<struct<model, text, metadata (JSON string)>> | AI outputs for the conversation |
| metadata | string | JSON object |
| code | struct<problem, language, entry_point, visible_tests, hidden_tests, reference_solution> or null | |

Any other column is an attribute a pipeline step added (named `<step id>__<attr>`, dolma-style: beside the
untouched document). JSON strings are written with sorted keys and no spaces, so equal records give equal
bytes.

Arrow (and Parquet) hold only valid UTF-8. Text that is not valid Unicode (a lone surrogate, which an older
import let into a project) is written as U+FFFD by `records_to_table_counted`, which says how many it
replaced; records without such text take the plain path (no per-string scan).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from assay.domain.records import CodeTask, Completion, Message, Record

MESSAGE_TYPE = pa.struct([("role", pa.string()), ("content", pa.string()), ("tool_calls", pa.string())])
COMPLETION_TYPE = pa.struct([("model", pa.string()), ("text", pa.string()), ("metadata", pa.string())])
CODE_TYPE = pa.struct([(k, pa.string()) for k in ("problem", "language", "entry_point", "visible_tests",
                                                    "hidden_tests", "reference_solution")])
RECORD_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("source", pa.string()),
    ("messages", pa.list_(MESSAGE_TYPE)),
    ("completions", pa.list_(COMPLETION_TYPE)),
    ("metadata", pa.string()),
    ("code", CODE_TYPE),
])
DOCUMENT_COLUMNS = tuple(RECORD_SCHEMA.names)
SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def dumps(value: Any) -> str:
    """Canonical JSON: sorted keys, compact, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record_to_row(r: Record) -> dict[str, Any]:
    """A dict matching RECORD_SCHEMA for one record."""
    return {
        "id": r.external_id,
        "source": r.source,
        "messages": [{"role": m.role, "content": m.content,
                      "tool_calls": dumps(m.tool_calls) if m.tool_calls else None} for m in r.messages],
        "completions": [{"model": c.model, "text": c.text, "metadata": dumps(c.metadata)}
                        for c in r.completions],
        "metadata": dumps(r.metadata),
        "code": r.code.to_dict() if r.code is not None else None,
    }


def row_to_record(row: dict[str, Any]) -> Record:
    """The Record of one row (attribute columns are put into metadata under `attributes`)."""
    meta = json.loads(row.get("metadata") or "{}")
    attrs = {k: v for k, v in row.items() if k not in DOCUMENT_COLUMNS}
    if attrs:
        meta = {**meta, "attributes": attrs}
    code = row.get("code")
    return Record(
        external_id=row["id"],
        source=row.get("source") or "",
        messages=[Message(m["role"], m["content"] or "",
                          json.loads(m["tool_calls"]) if m.get("tool_calls") else None)
                  for m in row.get("messages") or []],
        completions=[Completion(text=c["text"] or "", model=c["model"] or "",
                                metadata=json.loads(c["metadata"] or "{}"))
                     for c in row.get("completions") or []],
        metadata=meta,
        code=CodeTask(**{k: v or "" for k, v in code.items()}) if code else None,
    )


def records_to_table(records: Iterable[Record]) -> pa.Table:
    """An Arrow table with RECORD_SCHEMA from records (lone surrogates written as U+FFFD)."""
    return records_to_table_counted(records)[0]


def records_to_table_counted(records: Iterable[Record]) -> tuple[pa.Table, int]:
    """An Arrow table with RECORD_SCHEMA from records, and how many lone surrogates in their text (strings,
    JSON keys and values) it wrote as U+FFFD; 0 (and no scan) when Arrow takes the rows as they are."""
    rows = [record_to_row(r) for r in records]
    try:
        return pa.Table.from_pylist(rows, schema=RECORD_SCHEMA), 0
    except UnicodeEncodeError:
        counter = [0]
        clean = [_encodable(row, counter) for row in rows]
        return pa.Table.from_pylist(clean, schema=RECORD_SCHEMA), counter[0]


def _encodable(value: Any, counter: list[int]) -> Any:
    """`value` (strings, dicts, lists) with each lone surrogate replaced by U+FFFD, counted in `counter[0]`."""
    if isinstance(value, str):
        cleaned, n = SURROGATE.subn(REPLACEMENT, value)
        counter[0] += n
        return cleaned
    if isinstance(value, dict):
        return {k: _encodable(v, counter) for k, v in value.items()}
    if isinstance(value, list):
        return [_encodable(v, counter) for v in value]
    return value


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """An Arrow table with RECORD_SCHEMA from row dicts (document columns only)."""
    return pa.Table.from_pylist([{k: r.get(k) for k in DOCUMENT_COLUMNS} for r in rows], schema=RECORD_SCHEMA)


def row_hash(row: dict[str, Any]) -> str:
    """A sha256 of the canonical JSON of a row (all columns): equal rows, equal hashes."""
    return hashlib.sha256(dumps(row).encode()).hexdigest()


def table_hash(table: pa.Table) -> str:
    """Content hash of a table: sha256 over its schema and the row hashes, in order."""
    h = hashlib.sha256(",".join(f"{f.name}:{f.type}" for f in table.schema).encode())
    for batch in table.to_batches(max_chunksize=4096):
        for row in batch.to_pylist():
            h.update(row_hash(row).encode())
    return h.hexdigest()
