"""The hand-off between dataset versions and people: push a version's records into a project, pull the
judgments back as a new version joined to the records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import pyarrow as pa

from assay.datasets.schema import records_to_table_counted, row_to_record
from assay.datasets.store import DatasetStore, Manifest
from assay.domain.users import User
from assay.services.datasets import owners
from assay.services.projects import exports, records
from assay.services.projects.records import ImportResult
from assay.store.db import Db

SOURCE_SEP = "#"


def push(db: Db, store: DatasetStore, ref: str, project_id: int, actor: User | None = None,
         priority: int = 0, tables: Iterable[pa.Table] | None = None) -> tuple[Manifest, ImportResult]:
    """Add every record of version `ref` to the project (all or nothing; ids already there are kept).
    Each record's source becomes '<dataset>@<version>#<id>' so judgments can be traced back.
    `tables`, when given, are the rows to push instead of the whole version (a filtered selection of it,
    e.g. from the explorer)."""
    m = store.resolve(ref)
    recs = []
    for table in tables if tables is not None else store.iter_tables(m):
        for row in table.to_pylist():
            r = row_to_record(row)
            recs.append(replace(r, source=f"{m.ref}{SOURCE_SEP}{r.external_id}"))
    return m, records.import_records(db, project_id, recs, actor, priority=priority)


def pull(db: Db, store: DatasetStore, project_id: int, name: str | None = None, actor: User | None = None
         ) -> Manifest:
    """Write the project's records with their submitted judgments as a new dataset version.

    Each record's metadata gains `judgments` (annotator, answers, submitted_at, active_seconds, review);
    parents are the versions the records were pushed from. Stored text that is not valid Unicode (lone
    surrogates, which Parquet cannot hold) is written as U+FFFD; how many were replaced is the manifest's
    `pipeline["replaced_lone_surrogates"]` (absent when none) and is said in its note. A new dataset is
    owned by the project (its leads and admins alone see it); `actor` (None: the CLI) must be allowed to
    write the dataset (`owners.claim_write`: Forbidden or NotFound otherwise).
    """
    source = exports.export_source(db, project_id)  # one read transaction; NotFound for an unknown project
    owners.claim_write(db, actor, name or f"{source.project}-judgments", project_id)
    parents: list[str] = []
    out = []
    for item in source.items:
        r = item.record
        origin = r.source.split(SOURCE_SEP, 1)[0] if SOURCE_SEP in r.source else ""
        if origin and origin not in parents:
            parents.append(origin)
        judgments = [{"annotator": a.annotator, "answers": a.answers,
                      "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None,
                      "active_seconds": a.active_seconds, "review": a.review} for a in item.annotations]
        out.append(replace(r, metadata={**r.metadata, "judgments": judgments, "project": source.project}))
    table, replaced = records_to_table_counted(out)
    pipeline: dict[str, Any] = {"pulled_from_project": source.project,
                                "questions": [q.to_dict() for q in source.questions]}
    note = ""
    if replaced:
        pipeline["replaced_lone_surrogates"] = replaced
        note = (f"{replaced} lone surrogate(s) in the project's stored text (not valid Unicode) written as "
                "U+FFFD")
    return store.write_version(name or f"{source.project}-judgments", [table], parents=parents,
                               pipeline=pipeline, note=note)


def pull_to_store(db: Db, project_id: int, name: str | None = None, actor: User | None = None) -> Manifest:
    """`pull` into the dataset store the settings name (what the API and SDK use)."""
    return pull(db, DatasetStore(db.settings.resolved_dataset_store), project_id, name, actor)

