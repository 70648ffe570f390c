"""Text that is not valid Unicode: lone surrogates, refused at import with the line and the field.

JSON may spell half of a UTF-16 surrogate pair on its own (`"\\ud800"`). Python decodes it to a string no
UTF-8 encoder accepts, so a record holding one could be imported and then broke every page, JSON answer
and export that showed it. Every import refuses such text instead, naming where it is: readers check each
row (`refuse_in_row`), and `import_records` checks each record whatever its origin (`refuse_in_record`).
A properly paired escape (`"\\ud83d\\ude00"`) is one ordinary character and passes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from assay.domain.records import Record
from assay.errors import Invalid
from assay.formats.checks import Where

SURROGATE = re.compile("[\ud800-\udfff]")
REASON = ("holds a lone surrogate ({code}, half of a UTF-16 pair without the other half), which is not valid "
          "Unicode and cannot be stored or shown; fix or remove that character in the source")


def printable(text: str) -> str:
    """`text` with every surrogate spelled as a `\\udXXX` escape (safe to put in an error message)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def find_lone_surrogate(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first lone surrogate in a JSON-like value (strings, dict keys and values, lists), as
    (field path like ``completions[1].text``, the surrogate spelled ``\\ud800``); None when there is none.
    Keys in the path are `printable`."""
    if isinstance(value, str):
        m = SURROGATE.search(value)
        return (path, printable(m.group())) if m else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = printable(key) if isinstance(key, str) else str(key)
            where = f"{path}.{name}" if path else name
            if isinstance(key, str) and (m := SURROGATE.search(key)):
                return where, printable(m.group())
            if (found := find_lone_surrogate(item, where)) is not None:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if (found := find_lone_surrogate(item, f"{path}[{i}]")) is not None:
                return found
    return None


def _valid_unicode(value: Any) -> bool:
    """True when no text in a JSON-like value holds a lone surrogate (one C-speed encode of the whole value;
    only when it fails does `find_lone_surrogate` walk the value to name the field)."""
    try:
        json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:
        return False
    except (TypeError, ValueError):  # not JSON-like (e.g. a circular value): walk it
        return False
    return True


def refuse_in_row(where: Where, row: dict[str, Any]) -> None:
    """Raise `where.invalid(...)` naming the field when a source row holds a lone surrogate."""
    if _valid_unicode(row):
        return
    found = find_lone_surrogate(row)
    if found is not None:
        raise where.invalid(REASON.format(code=found[1]), found[0])


def refuse_in_record(record: Record, where: str) -> None:
    """Raise Invalid ``"<where>, field <path>: holds a lone surrogate ..."`` when any text of the record (id,
    messages, completions, metadata, code task) holds one. `where` names the record for people, e.g.
    ``data.jsonl line 7`` or ``request item 3``."""
    value = record.to_dict()
    if _valid_unicode(value):
        return
    found = find_lone_surrogate(value)
    if found is not None:
        field, code = found
        reason = REASON.format(code=code)
        raise Invalid(f"{printable(where)}, field {field}: {reason}",
                      details={"record": printable(record.external_id), "field": field, "reason": reason})
