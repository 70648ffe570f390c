"""The wire contract (pydantic): <Noun>Create / <Noun>Update / <Noun>Public, shared by the API and the SDK."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from assay.domain.projects import Project, ProjectProgress
from assay.domain.records import Record
from assay.domain.users import User
from assay.domain.work import Task


class ErrorBody(BaseModel):
    code: str = Field(description="Machine-readable error code: not_found, conflict, invalid, forbidden, …")
    message: str
    details: dict[str, Any] = {}


class ErrorPublic(BaseModel):
    error: ErrorBody


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    is_active: bool

    @classmethod
    def of(cls, u: User) -> UserPublic:
        return cls(id=u.id, username=u.username, display_name=u.display_name, role=u.role.value,
                   is_active=u.is_active)


class QuestionPublic(BaseModel):
    name: str
    kind: str
    title: str = ""
    help: str = ""
    required: bool = True
    options: dict[str, Any] = {}


class ProjectCreate(BaseModel):
    """Same fields as a project YAML file."""

    name: str
    title: str = ""
    guidelines: str = ""
    questions: list[QuestionPublic]
    annotators_per_record: int = 1
    lease_minutes: int = 30
    settings: dict[str, Any] = {}


class ProgressPublic(BaseModel):
    records: int
    done: int
    in_progress: int
    to_do: int
    submitted_annotations: int
    mine_submitted: int

    @classmethod
    def of(cls, p: ProjectProgress) -> ProgressPublic:
        return cls(records=p.records, done=p.done, in_progress=p.in_progress, to_do=p.to_do,
                   submitted_annotations=p.submitted_annotations, mine_submitted=p.mine_submitted)


class ProjectPublic(BaseModel):
    id: int
    name: str
    title: str
    guidelines: str
    annotators_per_record: int
    lease_minutes: int
    questions: list[QuestionPublic]
    progress: ProgressPublic | None = None

    @classmethod
    def of(cls, p: Project, progress: ProjectProgress | None = None) -> ProjectPublic:
        return cls(id=p.id, name=p.name, title=p.title, guidelines=p.guidelines,
                   annotators_per_record=p.annotators_per_record, lease_minutes=p.lease_seconds // 60,
                   questions=[QuestionPublic(**q.to_dict()) for q in p.questions],
                   progress=ProgressPublic.of(progress) if progress else None)


class MessagePublic(BaseModel):
    role: str
    content: str
    tool_calls: list[dict[str, Any]] | None = None


class CompletionPublic(BaseModel):
    model: str = ""
    text: str
    metadata: dict[str, Any] = {}


class MemberCreate(BaseModel):
    """Add a person to a project, or change their role in it (`lead`, `reviewer` or `annotator`)."""

    username: str
    role: Literal["lead", "reviewer", "annotator"] = "annotator"


class MemberPublic(BaseModel):
    user_id: int
    username: str
    display_name: str
    role: str  # the role in this project

    @classmethod
    def of(cls, u: User, role: str) -> MemberPublic:
        return cls(user_id=u.id, username=u.username, display_name=u.display_name, role=role)


class RecordCreate(BaseModel):
    """A record in Assay's own form: `messages` or `prompt`, plus completions and metadata."""

    id: str
    messages: list[MessagePublic] = []
    prompt: str | None = None
    completions: list[CompletionPublic] = []
    metadata: dict[str, Any] = {}


class RecordPublic(BaseModel):
    id: str
    messages: list[MessagePublic]
    completions: list[CompletionPublic]
    metadata: dict[str, Any] = {}

    @classmethod
    def of(cls, r: Record, *, hide_metadata: bool = False) -> RecordPublic:
        return cls(id=r.external_id, messages=[MessagePublic(**m.to_dict()) for m in r.messages],
                   completions=[CompletionPublic(model=c.model, text=c.text) for c in r.completions],
                   metadata={} if hide_metadata else r.metadata)


class TaskPublic(BaseModel):
    """A record served to the caller, with the caller's own answers only."""

    project_id: int
    record_id: int
    record: RecordPublic
    lease_expires_at: datetime | None
    status: str
    answers: dict[str, Any]
    active_seconds: float
    revision: int
    feedback: str = Field("", description="A reviewer's comment when your annotation was sent back to you.")

    @classmethod
    def of(cls, t: Task) -> TaskPublic:
        return cls(project_id=t.project_id, record_id=t.record_id, record=RecordPublic.of(t.record, hide_metadata=True),
                   lease_expires_at=t.lease_expires_at, status=t.status, answers=t.answers,
                   active_seconds=t.active_seconds, revision=t.revision, feedback=t.feedback)


class AnswersUpdate(BaseModel):
    answers: dict[str, Any]
    active_seconds: float | None = Field(None, description="Running total of active seconds on this record.")
    submission_id: str | None = Field(None, max_length=100, description="Client-made id of this submit: a retry "
                                      "with the same id is recognised and not stored twice (or X-Submission-Id).")


class SkipCreate(BaseModel):
    reason: str = "no reason given"


class ImportPublic(BaseModel):
    created: int
    existing: int


class ExportCreate(BaseModel):
    format: str = Field("dpo", description="dpo | sft | reward | kto | raw")
    file_format: str = Field("jsonl", description="jsonl | parquet")
    options: dict[str, Any] = {}


class ExportPublic(BaseModel):
    format: str
    file_format: str
    rows: int
    files: list[str] = Field(description="Paths of the written files on the server.")
    card: str
    counts: dict[str, int]
    id: str = Field("", description="The export's id, for listing and downloading its files.")
    downloads: dict[str, str] = Field({}, description="File name → download URL (relative to the server).")


# --- records, annotations, suggestions, exports and datasets for programs (REST API v1 and the SDK) -------


class StoredRecordPublic(BaseModel):
    """A record as stored in a project: `record_id` is the server's id, `record.id` the external id."""

    record_id: int
    is_gold: bool = False
    submitted_count: int = 0
    record: RecordPublic


class RecordPage(BaseModel):
    items: list[StoredRecordPublic]
    next_after: int | None = Field(None, description="Pass as `after` for the next page; null at the end.")


class AnnotationPublic(BaseModel):
    """One submitted annotation: who answered which record, with what, in how many active seconds."""

    id: int
    project_id: int
    record_id: int
    record_external_id: str
    annotator: str
    answers: dict[str, Any]
    active_seconds: float
    revision: int
    submitted_at: datetime | None


class AnnotationPage(BaseModel):
    items: list[AnnotationPublic]
    next_after: int | None = Field(None, description="Pass as `after` for the next page; null at the end.")


class SuggestionPublic(BaseModel):
    """A judge model's suggested answer (never an annotation): `answer` has the question's answer shape."""

    id: int
    record_id: int
    question: str
    model: str
    answer: dict[str, Any]
    rationale: str
    created_at: datetime


class ExportSummaryPublic(BaseModel):
    id: str
    format: str
    files: list[str]
    created_at: datetime
    downloads: dict[str, str] = Field({}, description="File name → download URL (relative to the server).")


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
