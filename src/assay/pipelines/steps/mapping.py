"""`map`: rewrite records with a registered function, rename metadata fields, or set fields from templates.

Parameters:
  function   name of a function registered with `register_map(name)`; it takes one row dict and returns
             the new row dict (same `id`). Built in: `strip_whitespace` (strip every message and
             completion), `drop_system` (remove system messages), `last_turn_only` (keep the last user
             message and what follows).
  rename     {old: new} renames of metadata keys.
  set        {metadata_key: template}: a Python `str.format` template over the row's metadata and `id`,
             e.g. `{source_file}/{id}`. Only `{name}` lookups are allowed (no attribute or index access).
A map step never drops rows; it counts rows it changed under `changed`.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from assay.datasets.schema import dumps
from assay.errors import Invalid
from assay.pipelines.base import Step, StepOutput

MapFn = Callable[[dict[str, Any]], dict[str, Any]]
_FUNCTIONS: dict[str, MapFn] = {}


def register_map(name: str) -> Callable[[MapFn], MapFn]:
    """Decorator: make `fn(row) -> row` available to `map` steps as `function: name`."""
    def deco(fn: MapFn) -> MapFn:
        _FUNCTIONS[name] = fn
        return fn
    return deco


@register_map("strip_whitespace")
def _strip(row: dict[str, Any]) -> dict[str, Any]:
    for m in row["messages"] or []:
        m["content"] = (m["content"] or "").strip()
    for c in row["completions"] or []:
        c["text"] = (c["text"] or "").strip()
    return row


@register_map("drop_system")
def _drop_system(row: dict[str, Any]) -> dict[str, Any]:
    row["messages"] = [m for m in row["messages"] or [] if m["role"] != "system"]
    return row


@register_map("last_turn_only")
def _last_turn(row: dict[str, Any]) -> dict[str, Any]:
    ms = row["messages"] or []
    users = [i for i, m in enumerate(ms) if m["role"] == "user"]
    if users:
        row["messages"] = ms[users[-1]:]
    return row


_FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Map(Step):
    """Rewrite rows; never drops."""

    name = "map"

    def __init__(self, function: str | None = None, rename: dict[str, str] | None = None,
                 set: dict[str, str] | None = None, **common: Any) -> None:
        super().__init__(**common)
        if function is not None and function not in _FUNCTIONS:
            raise Invalid(f"map: no function named {function!r}; registered: {', '.join(sorted(_FUNCTIONS))}")
        for key, tpl in (set or {}).items():
            for _, fname, _, _ in string.Formatter().parse(tpl):
                if fname is not None and not _FIELD_RE.match(fname):
                    raise Invalid(f"map set {key!r}: template field {{{fname}}} must be a plain name")
        self.function, self.rename, self.set = function, dict(rename or {}), dict(set or {})

    def process(self, batch: pa.Table) -> StepOutput:
        rows = batch.to_pylist()
        changed = 0
        fn = _FUNCTIONS.get(self.function) if self.function else None
        out = []
        for row in rows:
            before = dumps(row)
            if fn is not None:
                row = fn(row)
            if self.rename or self.set:
                meta = json.loads(row["metadata"] or "{}")
                for old, new in self.rename.items():
                    if old in meta:
                        meta[new] = meta.pop(old)
                for key, tpl in self.set.items():
                    meta[key] = tpl.format_map(_Missing({**meta, "id": row["id"]}))
                row["metadata"] = dumps(meta)
            changed += dumps(row) != before
            out.append(row)
        table = pa.Table.from_pylist(out, schema=batch.schema) if changed else batch
        return self.decide(table, counters={"changed": changed})


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""
