"""Exports: gather a project's submitted annotations into an ExportSource and render a training format.

What a caller may choose is the format, the file format and `options` (splits and the formats' filters,
`EXPORT_OPTIONS`); a request never chooses where files go: `export_project` writes into a new folder that
`export_files.new_export_dir` picks inside the project's own export folder. Only trusted local callers (the
CLI's `--out`, tests) pass `out_dir`.
"""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from assay.domain.annotations import AnnotationView, ExportSource, JudgedRecord
from assay.domain.users import User
from assay.errors import Invalid, NotFound
from assay.exporters.registry import EXPORTERS, ExportResult, export
from assay.services.accounts.audit import record_event
from assay.services.annotation.review import review_states
from assay.services.projects.export_files import new_export_dir
from assay.store.db import Db
from assay.store.mappers import project_from_row, record_from_row
from assay.store.queries import feeds as feeds_q
from assay.store.queries import projects as projects_q
from assay.store.queries import records as records_q

#: Options a request may set: the split, and every filter some format takes (a format refuses the ones it
#: does not take, naming those it does). `aggregated` (precomputed labels) is for Python callers only.
EXPORT_OPTIONS = frozenset({"test_fraction", "split_salt"} | {
    name for builder in EXPORTERS.values() for name in inspect.signature(builder).parameters
    if name not in ("source", "aggregated")})

Progress = Callable[[float, str], None]


def check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """`options` as a dict; Invalid naming any that is not in EXPORT_OPTIONS."""
    unknown = sorted(set(options) - EXPORT_OPTIONS)
    if unknown:
        raise Invalid(f"unknown export option(s) {', '.join(unknown)}; known: {', '.join(sorted(EXPORT_OPTIONS))}",
                      details={"field": "options"})
    return dict(options)


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


def render(source: ExportSource, fmt: str, out_dir: Path, file_format: str, options: Mapping[str, Any], *,
           remove_on_failure: bool) -> ExportResult:
    """`exporters.export` into `out_dir`; on failure the folder is removed when the server made it."""
    try:
        return export(source, fmt, out_dir, file_format=file_format, **options)
    except BaseException:
        if remove_on_failure:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise


def _quiet(fraction: float, message: str) -> None:
    return None


def export_project(db: Db, project_id: int, fmt: str, file_format: str = "jsonl", *, actor: User | None = None,
                   options: Mapping[str, Any] | None = None, out_dir: Path | None = None,
                   progress: Progress = _quiet) -> ExportResult:
    """Render format `fmt` of the project with `options` (see EXPORT_OPTIONS; Invalid for others) into a new
    folder `<exports_dir>/<project>/<fmt>-<time>/` (or `out_dir`, for trusted local callers only).
    `progress(fraction, message)` is told how far it got."""
    opts = check_options(options or {})
    progress(0.05, "reading the project's annotations")
    source = export_source(db, project_id)
    chosen = out_dir is None
    if out_dir is None:
        out_dir = new_export_dir(db.settings, source.project, fmt)
    progress(0.5, f"rendering {fmt} ({len(source.items)} records)")
    result = render(source, fmt, out_dir, file_format, opts, remove_on_failure=chosen)
    with db.write() as s:
        record_event(s, actor.id if actor else None, "project.export", source.project, format=fmt,
                     file_format=file_format, rows=result.rows)
    progress(1.0, f"{result.rows} rows written")
    return result
