"""Gold records over the wire: set (with expected answers), unset, list; and the records table's bulk body."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from assay.schemas.common import Id


class GoldSet(BaseModel):
    """Mark records gold with the same expected answers ({question name: answer}, validated per record by
    the server with the typed answer models, like a submission). Name records by `record_ids` (numbers)
    and/or `external_ids` (the ids they were imported with)."""

    record_ids: list[Id] = Field(default=[], max_length=100_000)
    external_ids: list[str] = Field(default=[], max_length=100_000)
    expected: dict[str, dict[str, Any]] = Field(description="Expected answers keyed by question name, e.g. "
                                                "{\"preference\": {\"choice\": \"a\"}}.")


class GoldUnset(BaseModel):
    """Unmark records (their expected answers are dropped)."""

    record_ids: list[Id] = Field(default=[], max_length=100_000)
    external_ids: list[str] = Field(default=[], max_length=100_000)


class GoldRecordPublic(BaseModel):
    record_id: int
    external_id: str
    expected: dict[str, Any]


class GoldChangePublic(BaseModel):
    records: int = Field(description="How many records changed.")


class RecordsBulk(BaseModel):
    """A records-table bulk action on `record_ids`, or on every record matching `all_matching` (the table's
    URL filter parameters: status, annotator, gold, agreement, meta, q)."""

    action: Literal["gold", "ungold", "requeue", "remove", "restore", "priority"]
    record_ids: list[Id] = Field(default=[], max_length=100_000)
    all_matching: dict[str, Any] | None = None
    expected: dict[str, dict[str, Any]] | None = None
    priority: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)


class RecordsBulkPublic(BaseModel):
    action: str
    records: int
    detail: str
