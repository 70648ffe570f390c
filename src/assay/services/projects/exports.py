"""Exports: gather a project's submitted annotations into an ExportSource and render a training format."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assay.domain.annotations import AnnotationView, ExportSource, JudgedRecord
from assay.domain.users import User
from assay.errors import NotFound
from assay.exporters.registry import ExportResult, export
from assay.services.accounts.audit import record_event
from assay.services.annotation.review import review_states
from assay.store.db import Db
from assay.store.mappers import project_from_row, record_from_row
from assay.store.queries import feeds as feeds_q
from assay.store.queries import projects as projects_q
from assay.store.queries import records as records_q


def export_source(db: Db, project_id: int, *, include_gold: bool = False) -> ExportSource:
    """Every record of the project (gold records only when asked) with its submitted annotations."""
    with db.read() as s:
        prow = projects_q.get(s, project_id)
        if prow is None:
            raise NotFound(f"no project with id {project_id}")
        project = project_from_row(prow)
        items = {r.id: JudgedRecord(record_id=r.id, record=record_from_row(r))
                 for r in records_q.all_of(s, project_id, include_gold=include_gold)}
        rows = feeds_q.submitted_by_record(s, project_id)
        reviews = review_states(s, project_id)
        for ann, username in rows:
            item = items.get(ann.record_id)
            if item is not None:
                item.annotations.append(AnnotationView(
                    annotator=username, answers=dict(ann.answers), submitted_at=ann.submitted_at,
                    active_seconds=ann.active_seconds, status=ann.status, review=reviews.get(ann.id)))
        return ExportSource(project=project.name, questions=project.questions, items=list(items.values()),
                            guidelines=project.guidelines)


def export_project(db: Db, project_id: int, fmt: str, file_format: str = "jsonl", out_dir: Path | None = None,
                   actor: User | None = None, **options: Any) -> ExportResult:
    """Render format `fmt` of the project into `out_dir` (default: <data_dir>/exports/<project>/<fmt>-<time>)."""
    source = export_source(db, project_id)
    if out_dir is None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        out_dir = db.settings.exports_dir / source.project / f"{fmt}-{stamp}"
    result = export(source, fmt, out_dir, file_format=file_format, **options)
    with db.write() as s:
        record_event(s, actor.id if actor else None, "project.export", source.project, format=fmt,
                     file_format=file_format, rows=result.rows)
    return result
