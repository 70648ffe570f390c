"""Exports over the wire: render a training format (as a job), poll it, list rendered exports.

A request names only what to render: the format, the file format, the splits and the format's filters
(`ExportOptions`, every field optional, anything else refused with 422). Where files go and what they are
called is the server's choice: `<exports>/<project>/<format>-<time>/`, `train.<ext>`, `test.<ext>`,
`README.md`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ExportOptions(BaseModel):
    """Splits and filters of an export; each format takes some of them (others answer 422 naming those it
    takes). Unset fields keep the format's defaults."""

    model_config = ConfigDict(extra="forbid")

    test_fraction: float | None = Field(default=None, ge=0, lt=1, description="Share of records in a test split "
                                        "(chosen by a hash of the prompt).")
    split_salt: str | None = Field(default=None, max_length=200, description="Salt of the split's hash.")
    question: str | None = Field(default=None, max_length=200, description="The question to read (default: the "
                                 "project's first of the right kind).")
    mode: str | None = Field(default=None, max_length=40, description="dpo/reward: all_pairs | best_worst | ...")
    aggregate: str | None = Field(default=None, max_length=40, description="dpo/reward: majority | ...")
    form: str | None = Field(default=None, max_length=40, description="raw: annotations | ranking; reward: explicit | ...")
    gold: str | None = Field(default=None, max_length=200, description="sft: the written-answer question to use.")
    min_agreement: float | None = Field(default=None, ge=0, le=1)
    min_strength: float | None = Field(default=None, ge=0)
    min_confidence: float | None = Field(default=None, ge=0, le=1)
    min_judgments: int | None = Field(default=None, ge=0, le=1000)
    min_flags: int | None = Field(default=None, ge=0, le=1000)
    desirable_at: float | None = Field(default=None, ge=0, le=1)
    undesirable_at: float | None = Field(default=None, ge=0, le=1)
    margin: bool | None = None
    margin_scale: float | None = Field(default=None, ge=0)
    include_rejected: bool | None = None
    include_record: bool | None = None
    use_completions: bool | None = None
    drop_flagged: bool | None = None
    sources: list[str] | None = Field(default=None, max_length=20)
    flag_labels: list[str] | None = Field(default=None, max_length=100)
    span_labels: list[str] | None = Field(default=None, max_length=100)

    def as_kwargs(self) -> dict[str, Any]:
        """The options that were set, for the exporter."""
        return self.model_dump(exclude_none=True)


class ExportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str = Field("dpo", max_length=20, description="dpo | sft | reward | kto | raw | label-studio")
    file_format: Literal["jsonl", "parquet"] = Field("jsonl", description="jsonl | parquet (label-studio is always "
                                                     "one JSON array file)")
    options: ExportOptions = ExportOptions()


class ExportPublic(BaseModel):
    format: str
    file_format: str
    rows: int
    files: list[str] = Field(description="Names of the written files (never server paths; see `downloads`).")
    card: str
    counts: dict[str, int]
    id: str = Field("", description="The export's id, for listing and downloading its files.")
    downloads: dict[str, str] = Field({}, description="File name → download URL (relative to the server).")
    job_id: int | None = Field(default=None, description="The job that rendered it.")


class ExportJobPublic(BaseModel):
    """An export still rendering (202), or its state when polled: `export` is set once it is done."""

    job_id: int
    state: str = Field(description="queued | running | done | failed")
    progress: float
    message: str = Field("", description="What it is doing, or why it failed.")
    poll: str = Field(description="GET this URL for the job's state.")
    export: ExportPublic | None = None


class ExportSummaryPublic(BaseModel):
    id: str
    format: str
    files: list[str]
    created_at: datetime
    downloads: dict[str, str] = Field({}, description="File name → download URL (relative to the server).")
