"""Wire types every resource shares: the error body and bounded ids and counts.

Ids are 32-bit integers on PostgreSQL (and fit SQLite's 64-bit ones), so every id the wire carries is
bounded to 1..MAX_ID: a larger one is refused as invalid (422) at the edge instead of overflowing the
database driver. `assay.web.deps` builds its typed path and query parameters from the same bounds.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

MAX_ID = 2**31 - 1
"""The largest id the database can hold (PostgreSQL `integer`)."""

MAX_COUNT = 2**31 - 1
"""The largest count, limit, offset or position the wire accepts."""

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A database id: 1..MAX_ID."""

Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
"""A non-negative whole number a query or a database column can hold."""

Position = Annotated[int, Field(ge=0, le=10_000)]
"""An index into a short list (a completion, a reply slot, a candidate)."""


class ErrorBody(BaseModel):
    code: str = Field(description="Machine-readable error code: not_found, conflict, invalid, forbidden, …")
    message: str
    details: dict[str, Any] = {}


class ErrorPublic(BaseModel):
    """Every error answer of the API: `{"error": {"code", "message", "details"}}`."""

    error: ErrorBody
