"""File imports over the wire: a dry run ("check") or an import job of an uploaded file, as the API answers it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ImportErrorPublic(BaseModel):
    """The first error that stops an import: what, the line (or element/row) and the field."""

    message: str
    line: int | None = None
    field: str | None = None


class ImportJobPublic(BaseModel):
    """A dry run (`kind` "check") or an import (`kind` "import") of an uploaded file.

    A finished check has `report` (counts, warnings with line and field, the first records) and `error` when
    the file cannot be imported; a finished import has `created`, `existing` and `skipped` (and, for a Label
    Studio or Argilla export, the `judgments` and `suggestions` it brought) and `import_report`: the same
    summary `assay data import` and `assay records import` print (rows read, records read and imported,
    `existing`, `skipped` by reason, `divergent_pairs`, `empty_replies`, `synthetic_replies`,
    `other_counts`, `license`). `poll` is this
    job's URL; `run` (a finished, error-free check) starts its import."""

    id: int
    kind: str
    state: str
    progress: float
    message: str = ""
    name: str = ""
    size: int = 0
    error: ImportErrorPublic | None = None
    report: dict[str, Any] | None = None
    created: int = 0
    existing: int = 0
    skipped: dict[str, int] = {}
    judgments: int = 0
    suggestions: int = 0
    import_report: dict[str, Any] | None = None
    import_job: int | None = None
    poll: str = ""
    run: str | None = None
