"""What the explorer says when a view's SQL condition (`where`) fails in DuckDB (issue 19, item 8).

DuckDB's own message names the cache table's internal columns (`_f_turns`, `_rid`), quotes our wrapper
query and may list fifty function signatures. `explain` turns it into one sentence that names the fields the
person may use: the version's columns in SQL, and for a derived field (turns, chars, model, ...) the filter
condition to write instead, with an SQL expression that computes it when a short one exists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assay.errors import Invalid
from assay.pipelines.conditions import DERIVED

_MISSING_COLUMN = re.compile(r'(?:column "([^"]+)" not found|does not have a column named "([^"]+)")', re.IGNORECASE)
_INTERNAL = re.compile(r'"?_f_([A-Za-z0-9_]+)"?')
_KIND = re.compile(r"^\s*(Binder|Parser|Catalog|Conversion|Invalid Input|Out of Range|Not implemented) Error:\s*",
                   re.IGNORECASE)
SHORT_SQL = 60  # a derived field's SQL shown in the message when it is at most this long


def sql_columns(columns: Sequence[str]) -> list[str]:
    """The version's columns a person may name in SQL (the explorer's internal ones never show)."""
    return [c for c in columns if not c.startswith("_")]


def explain(e: Exception, columns: Sequence[str]) -> Invalid:
    """Invalid (field `where`) for DuckDB error `e` on the SQL condition over a version with `columns`."""
    usable = sql_columns(columns)
    raw = str(e)
    first = _KIND.sub("", raw.strip().splitlines()[0] if raw.strip() else "the query failed").strip()
    details = {"field": "where", "columns": usable, "derived": sorted(DERIVED)}
    m = _MISSING_COLUMN.search(raw)
    if m:
        name = (m.group(1) or m.group(2) or "").strip()
        base = f"the SQL condition names {name!r}, which is not a column of this version. In SQL you may use: " \
               f"{', '.join(usable)}"
        derived = name.lower() if name.lower() in DERIVED else None
        if derived:
            expr = DERIVED[derived][0]
            hint = f" (in SQL: {expr})" if len(expr) <= SHORT_SQL else ""
            example = {"number": f"{derived}>3", "bool": f"{derived}=true"}.get(DERIVED[derived][1],
                                                                               f"{derived}=<value>")
            base += f". {derived!r} is a derived field: filter on it with a condition such as {example}{hint}"
        else:
            base += f"; derived fields ({', '.join(sorted(DERIVED))}) go in the filter conditions, not in SQL"
        return Invalid(base, details=details)
    message = _INTERNAL.sub(lambda x: x.group(1), first).rstrip("!")
    return Invalid(f"the SQL condition failed: {message}. In SQL you may use: {', '.join(usable)}", details=details)
