"""Where a project's exports are written, and finding them on disk for listing and downloading.

An export rendered by `services.exports.export_project` (or an authoring export) lives in
`<exports_dir>/<project name>/<id>/` where `<id>` is `<format>-<UTC time stamp>` (authoring exports:
`<format>-authoring-<stamp>`); it holds `train.<ext>`, maybe `test.<ext>`, and `README.md` (the dataset
card). `new_export_dir` is the only place a request's export folder is chosen: the server picks the name,
always a new folder inside the project's own folder. Only names matching those patterns are ever served,
so a request cannot reach any other file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assay.config import Settings
from assay.domain.users import User
from assay.errors import Invalid, NotFound
from assay.services.projects.projects import get_project
from assay.store.db import Db
from assay.store.queries import memberships as members_q
from assay.store.queries import projects as projects_q

Authorize = Callable[[str | None], None]  # a permission policy bound to the caller: raises or returns

EXPORT_ID_RE = re.compile(r"^[a-z]+(-[a-z]+)?(-authoring)?-\d{8}T\d{6,12}$")  # dpo-…, label-studio-…
FILE_RE = re.compile(r"^(train|test)\.(jsonl|parquet|json)$|^README\.md$")


@dataclass(frozen=True)
class ExportListing:
    """One rendered export: its id, the files in it (names) and when it was written."""

    id: str
    format: str
    files: list[str]
    created_at: datetime


def new_export_dir(settings: Settings, project_name: str, fmt: str, *, authoring: bool = False) -> Path:
    """A new, empty folder (created) for one export of the project:
    `<exports_dir>/<project>/<fmt>[-authoring]-<stamp>`. Raises Invalid for a format name that is not lowercase letters (it becomes part of the path)."""
    if not re.fullmatch(r"[a-z]{1,20}(-[a-z]{1,20})?", fmt):
        raise Invalid(f"export format {fmt!r} is unknown; use one of dpo, sft, reward, kto, raw, label-studio")
    root = (settings.exports_dir / project_name).resolve()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    folder = (root / f"{fmt}{'-authoring' if authoring else ''}-{stamp}").resolve()
    if folder.parent != root or not EXPORT_ID_RE.match(folder.name) or root.parent != settings.exports_dir.resolve():
        raise Invalid(f"cannot export project {project_name!r} into its folder")  # a project name with a path
    folder.mkdir(parents=True, exist_ok=False)  # a new folder: an export never writes into another's
    return folder


def export_dir(db: Db, project_id: int, export_id: str) -> Path:
    """The folder of one export of the project. Raises NotFound for an unknown id."""
    project = get_project(db, project_id)
    folder = db.settings.exports_dir / project.name / export_id
    if not EXPORT_ID_RE.match(export_id) or not folder.is_dir():
        raise NotFound(f"no export {export_id!r} in project {project.name!r}; list them with GET .../exports")
    return folder


@dataclass(frozen=True)
class ExportDownload:
    """One export as the download serves it: the project's name, the export's id, its folder and the names
    of the files in it that may be served (`FILE_RE`), sorted."""

    project: str
    export_id: str
    folder: Path
    files: tuple[str, ...]

    @property
    def zip_name(self) -> str:
        return f"{self.project}-{self.export_id}.zip"


def download(db: Db, project_id: int, export_id: str, actor: User, authorize: Authorize) -> ExportDownload:
    """The export `export_id` of the project for `actor`: `authorize(actor's member role)` first (e.g.
    `functools.partial(policies.manage_project, actor)`), then the project, in one read transaction; then
    its folder on disk. Raises what `authorize` raises, NotFound for an unknown project or export."""
    with db.read() as s:
        authorize(members_q.role_of(s, project_id, actor.id))
        row = projects_q.get(s, project_id)
        if row is None:
            raise NotFound(f"no project with id {project_id}")
        name = row.name
    folder = db.settings.exports_dir / name / export_id
    if not EXPORT_ID_RE.match(export_id) or not folder.is_dir():
        raise NotFound(f"no export {export_id!r} in project {name!r}; list them with GET .../exports")
    files = tuple(sorted(f.name for f in folder.iterdir() if FILE_RE.match(f.name)))
    return ExportDownload(project=name, export_id=export_id, folder=folder, files=files)


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
            fmt = re.sub(r"(-authoring)?-\d{8}T\d+$", "", d.name)
            out.append(ExportListing(id=d.name, format=fmt, files=files, created_at=when))
    return sorted(out, key=lambda e: e.id.rsplit("-", 1)[1], reverse=True)


def export_file(db: Db, project_id: int, export_id: str, name: str) -> Path:
    """The path of one file of an export. Raises NotFound for an unknown export or file name."""
    folder = export_dir(db, project_id, export_id)
    path = folder / name
    if not FILE_RE.match(name) or not path.is_file():
        raise NotFound(f"export {export_id!r} has no file {name!r}; it has: "
                       f"{', '.join(sorted(f.name for f in folder.iterdir() if FILE_RE.match(f.name)))}")
    return path
