"""The wire contract (pydantic), one module per resource: <Noun>Create / <Noun>Update / <Noun>Public.

Shared by the JSON API (`assay.web.api`), the pages' JSON twins and the SDK (`assay.sdk`). Imports only
`assay.domain` and `assay.errors`. Every model is also importable from `assay.schemas` itself.
"""

from assay.schemas.annotations import AnnotationPage, AnnotationPublic, HistoryPublic, RevisionPublic
from assay.schemas.authoring import (
    AttemptCreate,
    AttemptPublic,
    AttemptWithPrompt,
    AuthoringExport,
    AuthoringExportPublic,
    AuthoringTaskPublic,
    Choice,
    EndpointPublic,
    EndpointWrite,
    FactCheckCreate,
    FactCheckPublic,
    FactualityPublic,
    FinishPublic,
    MessageCreate,
    NodePublic,
    ReportCreate,
    ReportPublic,
    Resolution,
    SlotPublic,
    TaskCreate,
    TrainingCreate,
    TrainingRecordPublic,
    TurnPublic,
)
from assay.schemas.code import (
    CandidateOutcomePublic,
    CodeRunCreate,
    CodeRunPublic,
    CodeViewPublic,
    RecordCodeOutcomePublic,
)
from assay.schemas.common import MAX_COUNT, MAX_ID, Count, ErrorBody, ErrorPublic, Id, Position
from assay.schemas.datasets import DatasetPublic, DatasetVersionPublic, PullRequest
from assay.schemas.explorer import (
    CacheStatePublic,
    ExportRequest,
    LineagePublic,
    PushPublic,
    PushRequest,
    Selection,
    SelectionExportPublic,
)
from assay.schemas.exports import (
    ExportCreate,
    ExportJobPublic,
    ExportOptions,
    ExportPublic,
    ExportSummaryPublic,
)
from assay.schemas.projects import (
    MemberCreate,
    MemberPublic,
    ProgressPublic,
    ProjectCreate,
    ProjectPublic,
    QuestionPublic,
)
from assay.schemas.records import (
    CompletionPublic,
    ImportPublic,
    MessagePublic,
    RecordCreate,
    RecordPage,
    RecordPublic,
    StoredRecordPublic,
    SuggestionPublic,
)
from assay.schemas.review import ModelRankingPublic, MyStatsPublic, ReviewCreate
from assay.schemas.tokens import TokenCreate, TokenCreated, TokenPublic
from assay.schemas.users import (
    AuditEventPublic,
    InviteCreate,
    InviteCreated,
    InvitePublic,
    PasswordChange,
    PasswordReset,
    RoleName,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from assay.schemas.work import AnswersUpdate, PageSubmitPublic, SkipCreate, TaskPublic

__all__ = [
    "MAX_COUNT", "MAX_ID", "AnnotationPage", "AnnotationPublic", "AnswersUpdate", "AttemptCreate",
    "AttemptPublic", "AttemptWithPrompt", "AuditEventPublic", "AuthoringExport", "AuthoringExportPublic",
    "AuthoringTaskPublic", "CacheStatePublic", "CandidateOutcomePublic", "Choice", "CodeRunCreate",
    "CodeRunPublic", "CodeViewPublic", "CompletionPublic", "Count", "DatasetPublic", "DatasetVersionPublic",
    "EndpointPublic", "EndpointWrite", "ErrorBody", "ErrorPublic", "ExportCreate", "ExportJobPublic", "ExportOptions", "ExportPublic",
    "ExportRequest", "ExportSummaryPublic", "FactCheckCreate", "FactCheckPublic", "FactualityPublic",
    "FinishPublic", "HistoryPublic", "Id", "ImportPublic", "InviteCreate", "InviteCreated", "InvitePublic",
    "LineagePublic", "MemberCreate", "MemberPublic", "MessageCreate", "MessagePublic", "ModelRankingPublic",
    "MyStatsPublic", "NodePublic", "PageSubmitPublic", "PasswordChange", "PasswordReset", "Position",
    "ProgressPublic", "ProjectCreate", "ProjectPublic", "PullRequest", "PushPublic", "PushRequest",
    "QuestionPublic", "RecordCodeOutcomePublic", "RecordCreate", "RecordPage", "RecordPublic", "ReportCreate",
    "ReportPublic", "Resolution", "ReviewCreate", "RevisionPublic", "RoleName", "Selection",
    "SelectionExportPublic", "SkipCreate", "SlotPublic", "StoredRecordPublic", "SuggestionPublic", "TaskCreate",
    "TaskPublic", "TokenCreate", "TokenCreated", "TokenPublic", "TrainingCreate", "TrainingRecordPublic",
    "TurnPublic", "UserCreate", "UserPublic", "UserUpdate",
]
