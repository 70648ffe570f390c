"""Datasets over the wire: datasets, version manifests, pulling a project's judgments back."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class DatasetPublic(BaseModel):
    name: str
    versions: int
    latest: str = Field(description="Reference of the newest version, `name@N`.")


class DatasetVersionPublic(BaseModel):
    """A dataset version's manifest (see assay.datasets.Manifest); `columns` is the manifest's schema."""

    ref: str
    dataset: str
    version: int
    id: str
    parents: list[str] = []
    pipeline: dict[str, Any] | None = None
    steps: list[dict[str, Any]] = []
    row_count: int = 0
    content_hash: str = ""
    created_at: float = 0.0
    columns: list[dict[str, str]] = []
    files: list[str] = []
    note: str = ""


class PullRequest(BaseModel):
    name: str | None = Field(None, description="Dataset to write the version into (default <project>-judgments).")
