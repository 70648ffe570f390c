"""Lineage: from one exported training row back to its source record, judgments, revisions and reviews.

Every DPO / SFT / reward / KTO row carries `lineage` = {source, record_id, annotation_ids, annotators,
export_id} (`assay.exporters.table.row_lineage`). `walk` resolves it against the database:

- the record (project, external id, stored source) — and it checks that the row's `source` is still the
  record's source, so a row from another deployment is not silently matched to an unrelated record;
- each annotation behind the row: annotator, status, current answers, every submitted revision (answers,
  time, submission id) and every review decision (reviewer, decision, comment, revision reviewed);
- where the source came from: a dataset version (`name@N#id`: the version's pipeline steps and what each
  did with the record, via the explorer's record detail) or a file (`file:line`: the file name and line;
  `source_line` reads that line when the caller passes the folder the file is in).

Who may walk is the caller's business (the CLI is a trusted local tool; it sees usernames); `record_lineage`
is the walk for one record of a project, for its leads and admins (the web's lineage page and its JSON twin).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from assay.domain.users import User
from assay.errors import Invalid, NotFound
from assay.services.accounts import policies
from assay.store.db import Db
from assay.store.mappers import record_from_row
from assay.store.queries import annotations as annotations_q
from assay.store.queries import feeds as feeds_q
from assay.store.queries import history as revisions_q
from assay.store.queries import memberships as members_q
from assay.store.queries import projects as projects_q
from assay.store.queries import records as records_q
from assay.store.queries import records_table as table_q
from assay.store.queries import users as users_q


def lineage_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The `lineage` mapping of an exported row (or the lineage mapping itself). Invalid when absent."""
    lin = row.get("lineage", row)
    if not isinstance(lin, Mapping) or not isinstance(lin.get("record_id"), int):
        raise Invalid("the row has no lineage (an export made before lineage, or not a DPO/SFT/reward/KTO row): "
                      "expected a `lineage` object with `record_id`, `annotation_ids`, `source`", details={"field": "lineage"})
    ids = lin.get("annotation_ids") or []
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise Invalid("lineage.annotation_ids must be a list of integers", details={"field": "lineage.annotation_ids"})
    return dict(lin)


def read_row(path: Path, number: int) -> dict[str, Any]:
    """Row `number` (1-based) of an exported file: `.jsonl`, `.json` (array) or `.parquet`."""
    if number < 1:
        raise Invalid(f"row numbers start at 1, got {number}")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        if number > table.num_rows:
            raise NotFound(f"{path.name} has {table.num_rows} rows, not {number}")
        return dict(table.slice(number - 1, 1).to_pylist()[0])
    if path.suffix == ".json":
        rows = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(rows, list) or number > len(rows):
            raise NotFound(f"{path.name} has no row {number}")
        return dict(rows[number - 1])
    with path.open(encoding="utf-8") as f:
        for i, line in enumerate(f, start=1):
            if i == number:
                got = json.loads(line)
                if not isinstance(got, dict):
                    raise Invalid(f"{path.name} line {number} is not a JSON object")
                return got
    raise NotFound(f"{path.name} has fewer than {number} lines")


def source_line(source: str, folder: Path) -> tuple[Path, int, str] | None:
    """For a `file:line` source, the file (found under `folder`), the line number and that line's text
    (gzip read when the name ends in .gz); None for other sources or when the file is not there."""
    if ":" not in source or "#" in source:
        return None
    name, _, num = source.rpartition(":")
    if not num.isdigit():
        return None
    path = folder / name
    if not path.is_file():
        hits = sorted(folder.rglob(Path(name).name))
        if not hits:
            return None
        path = hits[0]
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f, start=1):
            if i == int(num):
                return path, i, line.rstrip("\n")
    return None


def walk(db: Db, row: Mapping[str, Any], *, data_folder: Path | None = None,
         visible: Callable[[str], bool] | None = None) -> dict[str, Any]:
    """Everything behind one exported row (see the module docstring). Raises Invalid for a row without
    lineage, NotFound when its record or a judgment is not in this database (or the record's source
    changed). `visible` (dataset name → may the caller read it), when given, limits the dataset part: a
    version the caller may not read is named only (`dataset.hidden`), and later versions are limited too."""
    lin = lineage_of(row)
    with db.read() as s:
        rec = records_q.get(s, lin["record_id"])
        if rec is None:
            raise NotFound(f"record {lin['record_id']} is not in this database (was the row exported elsewhere?)")
        record = record_from_row(rec)
        want = lin.get("source")
        project = projects_q.get(s, rec.project_id)
        pname = project.name if project is not None else str(rec.project_id)
        have = rec.source or f"{pname}#{rec.external_id}"
        if want and want != have:
            raise NotFound(f"record {rec.id} now has source {have!r}, the row says {want!r}: not the same record")
        judgments = []
        anns = []
        for aid in lin.get("annotation_ids") or []:
            ann = annotations_q.get(s, aid)
            if ann is None or ann.record_id != rec.id:
                raise NotFound(f"judgment {aid} of record {rec.id} is not in this database")
            anns.append(ann)
        reviews: dict[int, list[dict[str, Any]]] = {}
        for r, who in feeds_q.reviews_of(s, [a.id for a in anns]):
            reviews.setdefault(r.annotation_id, []).append(
                {"reviewer": who or "", "decision": r.decision, "comment": r.comment, "action": r.action,
                 "revision": r.revision, "at": r.created_at.isoformat()})
        for ann in anns:
            user = users_q.by_id(s, ann.user_id)
            revisions = [{"number": r.number, "at": r.created_at.isoformat(), "answers": dict(r.answers or {}),
                          "active_seconds": r.active_seconds, "submission_id": r.submission_id}
                         for r, _ in revisions_q.revisions(s, rec.id, ann.user_id)]
            judgments.append({"annotation_id": ann.id, "annotator": user.username if user else "",
                              "status": ann.status, "revision": ann.revision, "answers": dict(ann.answers or {}),
                              "submitted_at": ann.submitted_at.isoformat() if ann.submitted_at else None,
                              "revisions": revisions, "reviews": reviews.get(ann.id, [])})
        out: dict[str, Any] = {
            "export_id": lin.get("export_id") or "", "project": pname, "project_id": rec.project_id,
            "record_id": rec.id, "external_id": rec.external_id, "source": have,
            "messages": [m.to_dict() for m in record.messages],
            "completions": [c.to_dict() for c in record.completions],
            "judgments": judgments,
        }
    if "#" in have and "@" in have.split("#", 1)[0]:
        ref, _, rid = have.partition("#")
        try:
            from assay.services.explorer.record import record_detail

            if visible is not None and not visible(ref.split("@", 1)[0]):
                out["dataset"] = {"version": ref, "hidden": "you may not read this dataset"}
                return out
            detail = record_detail(db, ref, rid, visible=visible)
            out["dataset"] = {"version": detail["version"], "pipeline_steps": detail["pipeline_steps"],
                              "downstream": detail["downstream"]}
        except NotFound as e:
            out["dataset"] = {"version": ref, "missing": str(e)}
    elif data_folder is not None:
        got = source_line(have, data_folder)
        if got is not None:
            out["source_file"] = {"path": str(got[0]), "line": got[1], "text": got[2]}
    return out


def record_lineage(db: Db, actor: User, project_id: int, record_id: int) -> dict[str, Any]:
    """`walk` for record `record_id` of the project and every judgment of it (drafts too), for the project's
    leads and admins (Forbidden for anyone else, trainers included; NotFound for a record of another
    project). The dataset part is limited to the datasets the caller may read. Expected (gold) answers are
    not part of it."""
    from assay.services.datasets import owners as dataset_owners

    with db.read() as s:
        policies.manage_project(actor, members_q.role_of(s, project_id, actor.id))
        rec = records_q.get(s, record_id)
        if rec is None or rec.project_id != project_id:
            raise NotFound(f"no record {record_id} in this project")
        ids = [j.annotation_id for j in table_q.judgments(s, [record_id])]
    visible = dataset_owners.visible(db, dataset_owners.access(db, actor))
    return walk(db, {"record_id": record_id, "annotation_ids": ids}, visible=visible)
