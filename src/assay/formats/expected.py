"""A record's expected (gold) answers in an import file: a `gold` or `expected` field on the row.

    {"id": "r1", "prompt": "...", "completions": [...], "expected": {"preference": {"choice": "a"}}}
    {"id": "r2", ..., "gold": {"preference": {"choice": "b"}}}              # the same
    {"id": "r3", ..., "gold": true, "expected": {"labels": {"labels": ["safe"]}}}
    CSV / Parquet: the column holds the same object as JSON text; `gold` may be true/false/yes/no/1/0.

Any row format (Assay, OpenAI chat, ShareGPT, prompt/response, HH, ...) may carry it. The answers' shapes
are checked here (an object keyed by question name, each answer an object); whether they fit the project's
questions is checked by the import (`services.quality.gold_records.check_expected`), naming line and field.
The fields never stay in the record's metadata.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from assay.domain.records import Record
from assay.formats.checks import Where

FIELDS = ("gold", "expected")
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0", ""}


def _json(value: Any, where: Where, field: str) -> Any:
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError as e:
            raise where.invalid(f"not valid JSON ({e.msg})", field) from e
    return value


def _answers(value: Any, where: Where, field: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise where.invalid('expected answers must be an object keyed by question name, e.g. '
                            '{"preference": {"choice": "a"}}', field)
    for name, answer in value.items():
        if not isinstance(answer, dict):
            raise where.invalid("an answer must be an object (e.g. {\"choice\": \"a\"})", f"{field}.{name}")
    return value


def take_expected(record: Record, row: dict[str, Any], where: Where) -> Record:
    """The record with `expected` set from the row's `gold` / `expected` field (unchanged when neither is
    there). Raises Invalid naming the position and the field for a malformed value."""
    if not any(row.get(f) is not None for f in FIELDS):
        return record
    gold, expected = _json(row.get("gold"), where, "gold"), _json(row.get("expected"), where, "expected")
    answers: dict[str, Any] | None
    if isinstance(gold, dict):
        answers = _answers(gold, where, "gold")
        if expected is not None and expected != gold:
            raise where.invalid("give the expected answers once: in gold or in expected", "expected")
    elif gold is None or gold is True or (isinstance(gold, str | int) and str(gold).strip().lower() in _TRUE):
        if expected is None:
            raise where.invalid("gold: true needs the expected answers in an 'expected' field", "expected")
        answers = _answers(expected, where, "expected")
    elif gold is False or str(gold).strip().lower() in _FALSE:
        answers = None
    else:
        raise where.invalid("gold must be true/false or the expected answers object", "gold")
    meta = {k: v for k, v in record.metadata.items() if k not in FIELDS}
    return dataclasses.replace(record, expected=answers, metadata=meta)
