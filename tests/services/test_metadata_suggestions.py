"""Pre-filled answers from record metadata become suggestions on import; bad ones fail the whole import."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.errors import Invalid
from assay.services.accounts import users
from assay.services.annotation import suggestions
from assay.services.projects import projects, records
from assay.store.tables import RecordRow


def _ids(db, project_id: int) -> dict[str, int]:
    with db.write() as s:
        rows = s.execute(select(RecordRow.external_id, RecordRow.id).where(RecordRow.project_id == project_id))
        return {ext: rid for ext, rid in rows}


def _project(db, show: bool = True):
    lead = users.add_user(db, "lead", "password123", "lead")
    spec = ProjectSpec(name="p", questions=[Question("preference", "pairwise"),
                                            Question("notes", "text", required=False),
                                            Question("order", "ranking", required=False)],
                       settings={"show_suggestions": show})
    return projects.create_project(db, spec, lead)


def _rec(i: int, meta: dict, n: int = 2) -> Record:
    return Record(external_id=f"r{i}", messages=[Message("user", f"q{i}")],
                  completions=[Completion(f"answer {j}", model=f"m{j}") for j in range(n)],
                  metadata=meta, source=f"in.jsonl:{i + 1}")


def test_metadata_suggestions_are_stored_and_shown(db):
    p = _project(db)
    short = {"suggestions": {"preference": {"choice": "b", "strength": 3}}}
    long = {"suggestions": {"preference": {"answer": {"choice": "a", "strength": 1}, "rationale": "A cites a source",
                                           "model": "rm-7b"}}, "topic": "x"}
    records.import_records(db, p.id, [_rec(0, short), _rec(1, long), _rec(2, {})])
    project = projects.get_project(db, p.id)
    ids = _ids(db, p.id)
    first = suggestions.for_workspace(db, project, ids["r0"])
    assert first["preference"]["answer"]["choice"] == "b" and first["preference"]["model"] == "metadata"
    second = suggestions.for_workspace(db, project, ids["r1"])
    assert second["preference"] == {"answer": second["preference"]["answer"], "rationale": "A cites a source",
                                    "model": "rm-7b"}
    assert second["preference"]["answer"]["choice"] == "a"
    assert suggestions.for_workspace(db, project, ids["r2"]) == {}


def test_hidden_when_the_project_does_not_show_them(db):
    p = _project(db, show=False)
    records.import_records(db, p.id, [_rec(0, {"suggestions": {"preference": {"choice": "a", "strength": 2}}})])
    rid = _ids(db, p.id)["r0"]
    assert suggestions.for_workspace(db, projects.get_project(db, p.id), rid) == {}
    assert [s.model for s in suggestions.list_suggestions(db, p.id, rid)] == ["metadata"]  # leads still see it


@pytest.mark.parametrize("bad, field", [
    ({"suggestions": {"nope": {"choice": "a"}}}, "metadata.suggestions.nope"),
    ({"suggestions": {"preference": {"choice": "z"}}}, "metadata.suggestions.preference"),
    ({"suggestions": ["a"]}, "metadata.suggestions"),
])
def test_bad_suggestion_names_line_and_field_and_imports_nothing(db, bad, field):
    p = _project(db)
    with pytest.raises(Invalid) as e:
        records.import_records(db, p.id, [_rec(0, {}), _rec(1, bad)])
    assert "in.jsonl line 2" in str(e.value) and field in str(e.value)
    assert e.value.details["field"] == field
    assert _ids(db, p.id) == {}


def test_ranking_holds_at_most_nine_completions(db):
    p = _project(db)
    records.import_records(db, p.id, [_rec(0, {}, n=9)])
    with pytest.raises(Invalid) as e:
        records.import_records(db, p.id, [_rec(1, {}, n=10)])
    assert "in.jsonl line 2" in str(e.value) and "at most 9" in str(e.value)
    assert e.value.details["field"] == "completions"
