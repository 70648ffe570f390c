"""Project specs as files and as edits: read a YAML/JSON project file, render a project back to one, and update
an existing project's guidelines, questions and distribution settings.

Changing the questions of a project that already has annotations (drafts or submitted) is refused: the stored
answers were given to the old form. Titles and help texts may still change; anything else needs a new project.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from assay.domain.projects import Project, ProjectSpec
from assay.domain.questions import Question
from assay.domain.users import User
from assay.errors import Conflict, Invalid, NotFound
from assay.services.accounts.audit import record_event
from assay.store.db import Db, Tx
from assay.store.mappers import project_from_row
from assay.store.queries import projects as projects_q
from assay.store.tables import QuestionRow


def parse_spec_text(text: str) -> ProjectSpec:
    """A project file's text (YAML or JSON) → ProjectSpec. Raises Invalid with the parser's message."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise Invalid(f"the project file is not valid YAML/JSON: {e}")
    return ProjectSpec.from_dict(data)


def read_spec_file(path: Path) -> ProjectSpec:
    try:
        return parse_spec_text(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise Invalid(f"cannot read {path}: {e}")


def spec_dict(project: Project) -> dict[str, Any]:
    """A project as the mapping a project file holds (round-trips through ProjectSpec.from_dict)."""
    return {"name": project.name, "title": project.title, "guidelines": project.guidelines,
            "annotators_per_record": project.annotators_per_record, "lease_minutes": project.lease_seconds // 60,
            "settings": dict(project.settings), "questions": [q.to_dict() for q in project.questions]}


def questions_yaml(questions: list[Question]) -> str:
    return yaml.safe_dump([q.to_dict() for q in questions], sort_keys=False, allow_unicode=True)


def parse_questions_text(text: str) -> list[Question]:
    """The question list of the setup page's editor (YAML or JSON list) → Questions. Raises Invalid."""
    try:
        data = yaml.safe_load(text) or []
    except yaml.YAMLError as e:
        raise Invalid(f"questions are not valid YAML/JSON: {e}")
    if not isinstance(data, list):
        raise Invalid("questions must be a list, one item per question (- name: …, kind: …)")
    return ProjectSpec.from_dict({"name": "check", "questions": data}).questions


def _shape(q: Question | QuestionRow) -> str:
    kind = q.kind.value if isinstance(q, Question) else q.kind
    return json.dumps([q.name, kind, bool(q.required), q.options], sort_keys=True)


def update_project(db: Db, project_id: int, spec: ProjectSpec, actor: User | None = None) -> Project:
    """Replace title, guidelines, distribution settings and questions with the spec's.

    The spec's name must be the project's name (renaming is not supported). Raises NotFound, Invalid, or
    Conflict when the questions' names, kinds, required flags or options change while annotations exist.
    """
    with db.write() as s:
        return update_in(s, project_id, spec, actor)


def update_in(s: Tx, project_id: int, spec: ProjectSpec, actor: User | None = None) -> Project:
    """`update_project` inside the caller's write transaction (the settings editor checks, then saves, in one)."""
    row = projects_q.get(s, project_id)
    if row is None:
        raise NotFound(f"no project with id {project_id}")
    if spec.name != row.name:
        raise Invalid(f"the file names project {spec.name!r} but this is {row.name!r}; "
                      "renaming is not supported")
    old = [_shape(q) for q in sorted(row.questions, key=lambda q: q.position)]
    new = [_shape(q) for q in spec.questions]
    if old != new:
        n = projects_q.annotation_count(s, project_id)
        if n:
            raise Conflict(f"project {row.name!r} has {n} annotation(s) made with the current questions; "
                           "only titles and help texts may change now. Create a new project for a new form.")
        projects_q.replace_questions(s, row, spec.questions)
    else:
        projects_q.retitle_questions(s, row, spec.questions)
    record_event(s, actor.id if actor else None, "project.update", row.name)
    return project_from_row(projects_q.update_settings(s, row, spec))
