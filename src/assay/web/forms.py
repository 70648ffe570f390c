"""Turning an annotate form post into an answers dict.

Field names: `a.<question>.<field>` (e.g. `a.preference.choice`, `a.rationale.text`) or
`a.<question>.json` holding the whole answer as JSON (used by rich widgets such as rankings and spans).
Empty fields are dropped, so an untouched optional question is simply absent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from assay.errors import Invalid


def answers_from_pairs(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {}
    for key, value in pairs:
        if not key.startswith("a.") or not isinstance(value, str):
            continue
        _, _, rest = key.partition(".")
        name, _, field = rest.partition(".")
        if not name or not field:
            continue
        if field == "json":
            if not value.strip():
                continue
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError as e:
                raise Invalid(f"answer to {name!r} is not valid JSON: {e.msg}")
            if parsed not in (None, {}):
                out[name] = parsed
            continue
        if value == "":
            continue
        out.setdefault(name, {})[field] = value
    return out
