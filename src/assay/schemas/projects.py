"""Projects over the wire: create (the fields of a project YAML file), show with progress, members."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from assay.domain.projects import Project, ProjectProgress
from assay.domain.users import User


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
