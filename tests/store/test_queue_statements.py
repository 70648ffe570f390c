"""The hot path's prebuilt statements return what the ORM would: a record with its completions (JSON rows
inside the record's row) and a project with its questions, in position order, on both back ends."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.services.projects import projects, records
from assay.store import queue_statements as Q
from assay.store.mappers import question_from_row, questions_from_json, record_from_columns, record_from_row
from assay.store.tables import CompletionRow, ProjectRow, RecordRow


def test_record_and_questions_as_the_orm_reads_them(db):  # type: ignore[no-untyped-def]
    qs = [Question("pick", "ranking", title="Order them", help="best first"),
          Question("safety", "labels", required=False,
                   options={"labels": ["ok", "unsafe"], "multiple": True, "nested": {"a": [1, 2.5, None]}}),
          Question("why", "text", required=False)]
    p = projects.create_project(db, ProjectSpec(name="stmts", questions=qs))
    texts = ["third “quoted” \\ text", "first\nline two", 'second {"json": "looking"}', "fourth", "fifth"]
    rec = Record(external_id="r1", messages=[Message("user", "Rank these")],
                 completions=[Completion(t, model=f"m{i}", metadata={"i": i, "tags": ["x", {"y": i}]})
                              for i, t in enumerate(texts)],
                 metadata={"topic": "maths", "score": 0.5})
    records.import_records(db, p.id, [rec])
    bare = Record(external_id="r2", messages=[Message("user", "No completions yet")])
    records.import_records(db, p.id, [bare])
    with db.write() as s:  # positions no longer follow the rows' physical order
        s.execute(update(CompletionRow).values(position=10 - CompletionRow.position))

    with db.write() as s:
        rows = {r.external_id: r for r in s.scalars(select(RecordRow).where(RecordRow.project_id == p.id)
                                                    .options(selectinload(RecordRow.completions)))}
        orm_records = {k: record_from_row(r) for k, r in rows.items()}
        project = s.scalar(select(ProjectRow).where(ProjectRow.id == p.id).options(selectinload(ProjectRow.questions)))
        orm_questions = [question_from_row(q) for q in project.questions]
        ids = {k: r.id for k, r in rows.items()}

    with db.write_connection() as conn:
        for key, rid in ids.items():
            row = conn.execute(Q.LOCK_RECORD, {"record_id": rid}).first()
            assert record_from_columns(row) == orm_records[key]
        ctx = conn.execute(Q.SUBMIT_CONTEXT, {"project_id": p.id, "user_id": 0}).first()
        assert questions_from_json(ctx.questions) == orm_questions

    assert [c.text for c in orm_records["r1"].completions] == texts[::-1]  # in position order
    assert orm_records["r2"].completions == []
    assert [q.required for q in orm_questions] == [True, False, False]
