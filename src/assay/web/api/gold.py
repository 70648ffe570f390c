"""Gold records over JSON (leads and admins): list, set with expected answers, unset. The page twin is the
records table filtered to gold (`/projects/{id}/records?gold=yes`) and its bulk action."""

from __future__ import annotations

from fastapi import APIRouter

from assay.schemas.gold import GoldChangePublic, GoldRecordPublic, GoldSet, GoldUnset
from assay.services.quality import gold_records
from assay.web.deps import DbDep, ProjectId, Reader, Writer

router = APIRouter(tags=["gold"])


@router.get("/projects/{project_id}/gold", response_model=list[GoldRecordPublic])
def list_gold(project_id: ProjectId, p: Reader, db: DbDep) -> list[GoldRecordPublic]:
    """The project's gold records with their expected answers, by record id."""
    return [GoldRecordPublic(record_id=g.record_id, external_id=g.external_id, expected=g.expected)
            for g in gold_records.list_gold(db, project_id, p.user)]


@router.post("/projects/{project_id}/gold", response_model=GoldChangePublic)
def set_gold(project_id: ProjectId, body: GoldSet, p: Writer, db: DbDep) -> GoldChangePublic:
    """Mark records gold with the same expected answers (all or nothing; a bad answer names the record and
    the question). Marking a gold record again replaces its expected answers."""
    n = gold_records.set_gold(db, project_id, p.user, body.expected, record_ids=body.record_ids,
                              external_ids=body.external_ids)
    return GoldChangePublic(records=n)


@router.post("/projects/{project_id}/gold/unset", response_model=GoldChangePublic)
def unset_gold(project_id: ProjectId, body: GoldUnset, p: Writer, db: DbDep) -> GoldChangePublic:
    """Unmark records (all or nothing). Answers how many of them were gold."""
    n = gold_records.unset_gold(db, project_id, p.user, record_ids=body.record_ids, external_ids=body.external_ids)
    return GoldChangePublic(records=n)
