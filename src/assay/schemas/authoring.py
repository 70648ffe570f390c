"""Authoring over the wire: model endpoints, authoring tasks (prompt writing, live chat, red-teaming) with
their turns and replies, red-team attempts, fact-checks, problem reports and authoring exports.

Requests are `<Noun>Create` / `<Noun>Write`; answers `<Noun>Public`. The web layer builds the answers from
the authoring services' views (`assay.web.api.authoring_views`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assay.schemas.common import Id, Position
from assay.schemas.exports import ExportOptions


class EndpointPublic(BaseModel):
    """A model endpoint as anyone sees it: never the key, only whether one is set."""

    id: int
    name: str
    base_url: str
    model: str
    sampling: dict[str, Any]
    has_key: bool
    project_id: int | None = Field(None, description="The project that owns it; null: site-wide (admins').")


class EndpointWrite(BaseModel):
    name: str
    base_url: str
    model: str
    sampling: dict[str, Any] = Field(default_factory=dict,
                                     description="temperature, top_p, max_tokens, timeout, max_retries, extra")
    api_key: str | None = Field(None, description="Write-only. Omit to keep the stored key (refused with 422 "
                                "when base_url changes: a key is only sent to the URL it was entered for); "
                                "'' removes it.")
    project_id: int | None = Field(None, description="On create: the project (you lead) that owns the endpoint; "
                                   "omit for a site-wide endpoint (admins only). Never changes afterwards.")


class TaskCreate(BaseModel):
    content: str
    category: str = ""
    difficulty: str = ""
    reference_answer: str = ""


class MessageCreate(BaseModel):
    content: str


class Choice(BaseModel):
    message_id: Id
    slot: Position = Field(description="0 = reply A, 1 = reply B")
    strength: int = Field(ge=-(2**31), le=2**31 - 1, description="1 slightly, 2 clearly, 3 much better")
    edited_text: str | None = None


class AttemptCreate(BaseModel):
    reply_id: Id
    attack_category: str
    succeeded: bool
    harm_category: str = ""
    severity: int = Field(0, ge=-(2**31), le=2**31 - 1)
    notes: str = ""


class TrainingCreate(BaseModel):
    safe_reply: str


class FactCheckCreate(BaseModel):
    completion: Position
    verdict: str = Field(description="supported | contradicted | unverifiable")
    source: str = ""
    correction: str = ""
    start: int | None = Field(None, ge=0, le=2**31 - 1)
    end: int | None = Field(None, ge=0, le=2**31 - 1)
    claim: str = Field("", description="The claim's text, when start/end are not given.")


class AuthoringExport(BaseModel):
    """Only what to render; where it goes is the server's choice (unknown fields or options: 422)."""

    model_config = ConfigDict(extra="forbid")

    format: str = Field("sft", max_length=20)
    file_format: Literal["jsonl", "parquet"] = "jsonl"
    fact_checks: Literal["keep", "drop", "fix"] = Field("keep", description="keep | drop | fix")
    final_paths_only: bool = False
    options: ExportOptions = ExportOptions()


class AuthoringExportPublic(BaseModel):
    rows: int
    counts: dict[str, int]
    paths: dict[str, str] = Field(description="Split name → name of the written file (never a server path).")
    card: str = Field(description="Name of the dataset card file (README.md).")
    id: str = Field("", description="The export's id, for listing and downloading its files.")
    downloads: dict[str, str] = Field({}, description="File name → download URL (relative to the server).")
    job_id: int | None = Field(None, description="The job that rendered it.")


class NodePublic(BaseModel):
    """One message of a task's conversation: a trainer's message or a model reply (`slot`)."""

    id: int
    role: str
    slot: int
    text: str
    original: str
    model: str
    chosen: bool
    edited: bool
    record_id: int | None
    sampling: Any = None
    endpoint: Any = None


class AttemptPublic(BaseModel):
    """A red-team attempt on one reply."""

    id: int
    reply_id: int
    attack_category: str
    succeeded: bool
    harm_category: str
    severity: int
    notes: str
    safe_reply: str
    record_id: int | None
    author: str


class AttemptWithPrompt(AttemptPublic):
    prompt: str = Field(description="The message the attacked reply answered.")


class SlotPublic(BaseModel):
    index: int
    endpoint: str
    model: str
    label: str
    sampling: dict[str, Any]


class TurnPublic(BaseModel):
    message: NodePublic | None
    replies: list[NodePublic | None]
    attempts: list[AttemptPublic]


class AuthoringTaskPublic(BaseModel):
    """An authoring task with its conversation so far."""

    id: int
    project_id: int
    mode: str
    state: str
    category: str
    difficulty: str
    waiting_for: str
    record_id: int | None
    reference_answer: Any = ""
    slots: list[SlotPublic]
    turns: list[TurnPublic]


class FinishPublic(BaseModel):
    """A finished task: a prompt task's new record (leased to you; judge it at `annotate_url`)."""

    record_id: int | None
    annotate_url: str | None = Field(default=None, description="Only for prompt tasks.")
    task: AuthoringTaskPublic


class TrainingRecordPublic(BaseModel):
    record_id: int


class FactCheckPublic(BaseModel):
    id: int
    record_id: int
    completion: int
    start: int
    end: int
    claim: str
    verdict: str
    source: str
    correction: str
    author: str


class FactualityPublic(BaseModel):
    """A record's fact-checks: the overall status, counts per completion and verdict, and the checks."""

    status: str
    per_completion: dict[str, dict[str, int]]
    checks: list[FactCheckPublic]


class ReportCreate(BaseModel):
    reason: str = Field(description="broken_record | unclear_guideline | offensive_content | other")
    note: str = ""
    record_id: Id | None = Field(None, description="The record reported (or give task_id).")
    task_id: Id | None = Field(None, description="The authoring task reported.")


class Resolution(BaseModel):
    resolution: str = ""


class ReportPublic(BaseModel):
    id: int
    record_id: int | None
    task_id: int | None
    reporter: str
    reason: str
    note: str
    state: str
    resolution: str
    created_at: str | None = Field(description="ISO 8601 time of the report.")
