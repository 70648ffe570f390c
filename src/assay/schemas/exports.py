"""Exports over the wire: render a training format, list rendered exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ExportCreate(BaseModel):
    format: str = Field("dpo", description="dpo | sft | reward | kto | raw")
    file_format: str = Field("jsonl", description="jsonl | parquet")
    options: dict[str, Any] = {}


class ExportPublic(BaseModel):
    format: str
    file_format: str
    rows: int
    files: list[str] = Field(description="Names of the written files (never server paths; see `downloads`).")
    card: str
    counts: dict[str, int]
    id: str = Field("", description="The export's id, for listing and downloading its files.")
    downloads: dict[str, str] = Field({}, description="File name → download URL (relative to the server).")


class ExportSummaryPublic(BaseModel):
    id: str
    format: str
    files: list[str]
    created_at: datetime
    downloads: dict[str, str] = Field({}, description="File name → download URL (relative to the server).")
