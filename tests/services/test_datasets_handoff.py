"""Push a dataset version into a project, judge, pull the judgments back as a child version."""

from __future__ import annotations

from assay.datasets.schema import records_to_table
from assay.datasets.store import DatasetStore
from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.services.accounts import users
from assay.services.annotation import queue
from assay.services.annotation import submissions as annotations
from assay.services.datasets import handoff as datasets
from assay.services.projects import projects


def test_push_judge_pull(db, tmp_path):  # type: ignore[no-untyped-def]
    store = DatasetStore(str(tmp_path / "store"))
    recs = [Record(external_id=f"r{i}", messages=[Message("user", f"q{i}")],
                   completions=[Completion("a", "m1"), Completion("b", "m2")], metadata={"lang": "en"})
            for i in range(3)]
    v1 = store.write_version("prefs", [records_to_table(recs)])
    lead = users.add_user(db, "lead", "password123", "lead")
    ann = users.add_user(db, "ann", "password123")
    p = projects.create_project(db, ProjectSpec(name="p", questions=[Question("preference", "pairwise")]), lead)
    m, res = datasets.push(db, store, "prefs@latest", p.id, lead)
    assert m.ref == v1.ref and res.created == 3
    assert datasets.push(db, store, "prefs@1", p.id, lead)[1].existing == 3  # idempotent
    t = queue.claim_next(db, p.id, ann.id)
    annotations.submit(db, p.id, t.record_id, ann.id, {"preference": {"choice": "b", "strength": 1}}, 7)
    v2 = datasets.pull(db, store, p.id, "prefs-judged")
    assert v2.parents == [v1.ref] and v2.row_count == 3
    rows = store.read_table(v2).to_pylist()
    import json

    judged = [r for r in rows if json.loads(r["metadata"])["judgments"]]
    assert len(judged) == 1
    j = json.loads(judged[0]["metadata"])["judgments"][0]
    assert j["annotator"] == "ann" and j["answers"]["preference"]["choice"] == "b" and j["active_seconds"] == 7
    assert [x.ref for x in store.lineage(v2)] == [v2.ref, v1.ref]
