"""Projects: human work over records, and the spec they are created from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assay.domain.questions import Question
from assay.errors import Invalid

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,119}$")


@dataclass
class ProjectSpec:
    """What a lead writes (YAML/JSON file or form) to create or update a project."""

    name: str
    title: str = ""
    guidelines: str = ""
    questions: list[Question] = field(default_factory=list)
    annotators_per_record: int = 1
    lease_minutes: int = 30
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.name or ""):
            raise Invalid(f"project name {self.name!r} must be lowercase letters, digits, '-' or '_' "
                          "(at most 120, starting with a letter or digit)")
        if not 1 <= int(self.annotators_per_record) <= 50:
            raise Invalid("annotators_per_record must be between 1 and 50")
        if not 1 <= int(self.lease_minutes) <= 7 * 24 * 60:
            raise Invalid("lease_minutes must be between 1 and 10080 (a week)")
        if not self.questions:
            raise Invalid(f"project {self.name!r} needs at least one question")
        names = [q.name for q in self.questions]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise Invalid(f"question names must be unique; repeated: {', '.join(dupes)}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProjectSpec:
        """Build from a parsed YAML/JSON project file. Raises Invalid naming the bad field."""
        if not isinstance(data, dict):
            raise Invalid("a project file must be a mapping with at least 'name' and 'questions'")
        known = {"name", "title", "guidelines", "questions", "annotators_per_record", "lease_minutes", "settings"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise Invalid(f"unknown project field(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        qs = []
        for i, q in enumerate(data.get("questions") or []):
            if not isinstance(q, dict) or "name" not in q or "kind" not in q:
                raise Invalid(f"questions[{i}] needs at least 'name' and 'kind'")
            qs.append(Question(name=q["name"], kind=q["kind"], title=q.get("title", ""), help=q.get("help", ""),
                               required=bool(q.get("required", True)), options=dict(q.get("options") or {})))
        return cls(name=str(data.get("name", "")), title=str(data.get("title", "")),
                   guidelines=str(data.get("guidelines", "")), questions=qs,
                   annotators_per_record=int(data.get("annotators_per_record", 1)),
                   lease_minutes=int(data.get("lease_minutes", 30)), settings=dict(data.get("settings") or {}))


@dataclass
class Project:
    id: int
    name: str
    title: str
    guidelines: str
    annotators_per_record: int
    lease_seconds: int
    questions: list[Question]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def display_title(self) -> str:
        return self.title or self.name


@dataclass
class ProjectProgress:
    """Counts over a project's records. `done` = records with k submitted annotations."""

    records: int
    done: int
    in_progress: int
    submitted_annotations: int
    mine_submitted: int = 0

    @property
    def to_do(self) -> int:
        return self.records - self.done - self.in_progress
