"""What the annotate page shows, read in one transaction: the person's task on a record and everything
around it (the project, progress, today's active time, the judge suggestions the project shows, their gold
standing, their edit history of the record and why it can no longer be edited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assay.domain.projects import Project, ProjectProgress
from assay.domain.work import Task
from assay.errors import NotFound
from assay.services.annotation import history as annotation_history
from assay.services.annotation import suggestions
from assay.services.annotation.queue import Authorize, authorize_member, task_in
from assay.services.annotation.submissions import active_seconds_today_in
from assay.services.projects.projects import progress_in
from assay.services.quality import gold
from assay.store.db import Db
from assay.store.mappers import project_from_row
from assay.store.queries import assignments


@dataclass(frozen=True)
class AnnotateView:
    """The annotate page's data. `today_seconds` leaves this record out (the page counts it live);
    `suggestions`: {question: {"answer", "rationale", "model"}} ({} when the project shows none);
    `standing`: the person's gold standing when warned or paused, else None; `history`: their revisions
    of this record, oldest first; `locked`: why their submitted annotation can no longer change ("" if it can)."""

    project: Project
    task: Task
    progress: ProjectProgress
    today_seconds: float
    suggestions: dict[str, dict[str, Any]]
    standing: gold.Standing | None
    history: list[annotation_history.Revision]
    locked: str


def annotate_view(db: Db, project_id: int, record_id: int, user_id: int,
                  authorize: Authorize | None = None) -> AnnotateView:
    """The person's task on a record they were served and what the page shows around it, in one read
    transaction. `authorize(member_role)` is checked first. Raises NotFound for an unknown project or a
    record outside the person's queue."""
    with db.read() as s:
        authorize_member(s, project_id, user_id, authorize)
        row = assignments.project(s, project_id, with_questions=True)
        if row is None:
            raise NotFound(f"no project with id {project_id}")
        project = project_from_row(row)
        task = task_in(s, project_id, record_id, user_id)
        standing = next((x for x in gold.standings_in(s, project_id) if x.user_id == user_id and x.state != "ok"),
                        None)
        return AnnotateView(
            project=project, task=task, progress=progress_in(s, project_id, user_id),
            today_seconds=active_seconds_today_in(s, user_id, exclude_record_id=record_id),
            suggestions=suggestions.for_workspace_in(s, project, record_id), standing=standing,
            history=annotation_history.history_in(s, project_id, record_id, user_id),
            locked=annotation_history.locked_reason_in(s, project_id, record_id, user_id))
