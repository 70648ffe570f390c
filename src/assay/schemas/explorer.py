"""The dataset explorer over the wire: selections (filters, SQL `where`, search words), exporting or pushing
a selection, the explorer cache's state and a version's lineage."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from assay.schemas.common import Id


class Selection(BaseModel):
    """A view of a version: filter conditions, raw SQL `where`, search words."""

    conditions: list[str] = Field(default_factory=list, description="e.g. ['language__lang=en', 'chars<2000']")
    q: str = ""
    where: str = ""


class ExportRequest(Selection):
    format: str = Field("version", description="version (a new dataset version), jsonl or parquet (a download)")
    name: str = Field("", description="the new version's dataset name (default: the source dataset)")
    project_id: Id | None = Field(None, description=(
        "the project that owns a new dataset (a lead must name one they lead; admins may leave it out for a "
        "site-wide dataset); default: the source dataset's project"))


class PushRequest(Selection):
    project_id: Id


class CacheStatePublic(BaseModel):
    """The state of a version's explorer cache: `ready`, `building` or `failed` (with the error)."""

    ref: str
    state: str
    seconds: float
    error: str = ""


class SelectionExportPublic(BaseModel):
    """A selection written as a new dataset version."""

    ref: str
    rows: int
    pipeline: dict[str, Any] | None = Field(description="The pipeline spec that made the version.")


class PushPublic(BaseModel):
    """A selection sent to a project: how many records were added and how many were already there."""

    ref: str
    project_id: int
    created: int
    existing: int


class LineagePublic(BaseModel):
    """The ancestry graph (with layout) and, when asked with `against`, the diff to that version."""

    graph: dict[str, Any]
    diff: dict[str, Any] | None = Field(default=None, description="Only when `against` is given.")
