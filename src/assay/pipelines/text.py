"""Getting text out of (and back into) record batches.

`field` names which text of a record a step looks at:

| field | text |
|---|---|
| `all` | every message content and every completion text, joined by blank lines (default) |
| `messages` | every message content |
| `prompt` | the last user message |
| `response` | the first completion's text, else the last assistant message |
| `completions` | every completion text |
| `metadata.<key>` | a metadata value (as a string; '' when missing) |
| any other column | that column as a string |
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from assay.datasets.schema import COMPLETION_TYPE, MESSAGE_TYPE
from assay.errors import Invalid

FIELDS = ("all", "messages", "prompt", "response", "completions")


def _join(parts: list[str]) -> str:
    return "\n\n".join(p for p in parts if p)


def texts(batch: pa.Table, field: str = "all") -> list[str]:
    """One string per row of `batch` for `field` (see the module docstring). Raises Invalid otherwise."""
    if field.startswith("metadata."):
        key = field.split(".", 1)[1]
        out = []
        for m in batch.column("metadata").to_pylist():
            v = json.loads(m or "{}").get(key, "")
            out.append(v if isinstance(v, str) else json.dumps(v) if v != "" else "")
        return out
    if field not in FIELDS:
        if field in batch.column_names:
            return ["" if v is None else str(v) for v in batch.column(field).to_pylist()]
        raise Invalid(f"unknown text field {field!r}; use one of {', '.join(FIELDS)}, metadata.<key> "
                      f"or a column ({', '.join(batch.column_names)})")
    msgs = batch.column("messages").to_pylist() if field != "completions" else None
    comps = batch.column("completions").to_pylist() if field in ("all", "response", "completions") else None
    out = []
    for i in range(batch.num_rows):
        ms = (msgs[i] or []) if msgs is not None else []
        cs = (comps[i] or []) if comps is not None else []
        if field == "all":
            out.append(_join([m["content"] or "" for m in ms] + [c["text"] or "" for c in cs]))
        elif field == "messages":
            out.append(_join([m["content"] or "" for m in ms]))
        elif field == "completions":
            out.append(_join([c["text"] or "" for c in cs]))
        elif field == "prompt":
            users = [m["content"] or "" for m in ms if m["role"] == "user"]
            out.append(users[-1] if users else "")
        else:  # response
            if cs:
                out.append(cs[0]["text"] or "")
            else:
                asst = [m["content"] or "" for m in ms if m["role"] == "assistant"]
                out.append(asst[-1] if asst else "")
    return out


def rewrite_texts(batch: pa.Table, fn: Callable[[str], str]) -> tuple[pa.Table, list[bool]]:
    """Apply `fn` to every message content and completion text; return the new batch and, per row,
    whether anything changed. Other columns are untouched."""
    msgs: list[Any] = batch.column("messages").to_pylist()
    comps: list[Any] = batch.column("completions").to_pylist()
    changed = [False] * batch.num_rows
    for i in range(batch.num_rows):
        for m in msgs[i] or []:
            new = fn(m["content"] or "")
            if new != (m["content"] or ""):
                m["content"], changed[i] = new, True
        for c in comps[i] or []:
            new = fn(c["text"] or "")
            if new != (c["text"] or ""):
                c["text"], changed[i] = new, True
    if not any(changed):
        return batch, changed
    out = batch.set_column(batch.column_names.index("messages"), "messages",
                           pa.array(msgs, pa.list_(MESSAGE_TYPE)))
    out = out.set_column(out.column_names.index("completions"), "completions",
                         pa.array(comps, pa.list_(COMPLETION_TYPE)))
    return out, changed
