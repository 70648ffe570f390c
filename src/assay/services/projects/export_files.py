"""Finding a project's rendered exports on disk, for listing and downloading over the API.

An export rendered by `services.exports.export_project` lives in `<exports_dir>/<project name>/<id>/`
where `<id>` is `<format>-<UTC time stamp>`; it holds `train.<ext>`, maybe `test.<ext>`, and `README.md`
(the dataset card). Only names matching those patterns are ever served, so a request cannot reach any other
file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assay.errors import NotFound
from assay.services.projects.projects import get_project
from assay.store.db import Db

EXPORT_ID_RE = re.compile(r"^[a-z]+-\d{8}T\d{6,12}$")
FILE_RE = re.compile(r"^(train|test)\.(jsonl|parquet)$|^README\.md$")


@dataclass(frozen=True)
class ExportListing:
    """One rendered export: its id, the files in it (names) and when it was written."""

    id: str
    format: str
    files: list[str]
    created_at: datetime


def export_dir(db: Db, project_id: int, export_id: str) -> Path:
    """The folder of one export of the project. Raises NotFound for an unknown id."""
    project = get_project(db, project_id)
    folder = db.settings.exports_dir / project.name / export_id
    if not EXPORT_ID_RE.match(export_id) or not folder.is_dir():
        raise NotFound(f"no export {export_id!r} in project {project.name!r}; list them with GET .../exports")
    return folder


def export_id_of(out_dir: Path) -> str:
    """The id under which an export written to `out_dir` is served (its folder name)."""
    return out_dir.name


def list_exports(db: Db, project_id: int) -> list[ExportListing]:
    """The project's rendered exports, newest first."""
    project = get_project(db, project_id)
    root = db.settings.exports_dir / project.name
    if not root.is_dir():
        return []
    out = []
    for d in root.iterdir():
        if d.is_dir() and EXPORT_ID_RE.match(d.name):
            files = sorted(f.name for f in d.iterdir() if FILE_RE.match(f.name))
            when = datetime.fromtimestamp(d.stat().st_mtime, tz=UTC)
            out.append(ExportListing(id=d.name, format=d.name.split("-", 1)[0], files=files, created_at=when))
    return sorted(out, key=lambda e: e.id.split("-", 1)[1], reverse=True)


def export_file(db: Db, project_id: int, export_id: str, name: str) -> Path:
    """The path of one file of an export. Raises NotFound for an unknown export or file name."""
    folder = export_dir(db, project_id, export_id)
    path = folder / name
    if not FILE_RE.match(name) or not path.is_file():
        raise NotFound(f"export {export_id!r} has no file {name!r}; it has: "
                       f"{', '.join(sorted(f.name for f in folder.iterdir() if FILE_RE.match(f.name)))}")
    return path
