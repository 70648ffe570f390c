"""A record's lineage page (/projects/{id}/records/{rid}/lineage, issue 20 item 1) and its JSON twin: reached
by a link from the explorer's record page and from the record's judgments page, it shows what `assay lineage`
shows — the source (a dataset version of real HH pairs), the version's pipeline steps, every judgment with its
revisions and the review decision. Leads of the project and admins only: a trainer who judged the record, and
a lead of another project, are refused as the judgments page refuses them (so no gold answers leak through it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assay.datasets.schema import records_to_table
from assay.datasets.store import DatasetStore
from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.formats import load_records
from assay.services.accounts import auth, users
from assay.services.annotation import queue, submissions
from assay.services.annotation import review as review_svc
from assay.services.datasets import handoff
from assay.services.projects import exports, projects
from assay.services.quality import gold
from tests.conftest import require_file


def _client(db: Any, user_id: int) -> TestClient:
    from assay.web.app import create_app

    token = auth.create_api_token(db, user_id, "t")[0]
    return TestClient(create_app(db.settings, db), headers={"Authorization": f"Bearer {token}"})


@dataclass(frozen=True)
class LineageWorld:
    project_id: int
    record_id: int
    external_id: str
    base: str
    kept: str
    lead: Any
    other_lead: Any
    trainer: Any


def build(db: Any, settings: Any, shared_data: Path) -> LineageWorld:
    """30 real HH pairs as `hh@1` (licence MIT), 20 of them kept by a dedup step as `hh-clean@1`, pushed into
    project hh-l (lead-l); trainer-l judges one record twice, lead-l accepts it with a comment, and the
    record is made gold; lead-o leads another project."""
    recs = load_records(require_file(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz"), "hh")[:30]
    store = DatasetStore(settings.resolved_dataset_store)
    base = store.write_version("hh", [records_to_table(recs)], pipeline={"license": "MIT License"})
    kept = store.write_version("hh-clean", [records_to_table(recs[:20])], parents=[base.ref],
                               steps=[{"id": "dedup", "step": "exact_dedup", "rows_in": 30, "kept": 20}])
    lead = users.add_user(db, "lead-l", "password123", "lead")
    other_lead = users.add_user(db, "lead-o", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name="hh-l", questions=[Question("preference", "pairwise")]), lead)
    projects.create_project(db, ProjectSpec(name="other-l", questions=[Question("preference", "pairwise")]),
                            other_lead)
    handoff.push(db, store, kept.ref, p.id, lead)
    trainer = users.add_user(db, "trainer-l", "password123")
    task = queue.claim_next(db, p.id, trainer.id)
    assert task is not None
    submissions.submit(db, p.id, task.record_id, trainer.id, {"preference": {"choice": "b", "strength": 1}}, 20.0)
    submissions.submit(db, p.id, task.record_id, trainer.id, {"preference": {"choice": "a", "strength": 3}}, 30.0)
    ann = next(a for it in exports.export_source(db, p.id).items if it.record_id == task.record_id
               for a in it.annotations)
    assert ann.annotation_id is not None
    review_svc.decide(db, p.id, ann.annotation_id, lead, "accepted", "clear case")
    gold.set_gold(db, p.id, task.record.external_id, {"preference": {"choice": "a", "strength": 2}})
    return LineageWorld(p.id, task.record_id, task.record.external_id, base.ref, kept.ref, lead, other_lead,
                        trainer)


@pytest.mark.slow  # real data or a real cache build, a few seconds: out of the fast loop
def test_lineage_page_from_the_explorer_record(db: Any, settings: Any, shared_data: Path) -> None:
    w = build(db, settings, shared_data)
    p_id, rid, ext, kept_ref = w.project_id, w.record_id, w.external_id, w.kept

    with _client(db, w.lead.id) as c:
        explorer = c.get(f"/explore/{kept_ref}/records/{ext}")
        assert explorer.status_code == 200, explorer.text[:300]
        link = f'href="/projects/{p_id}/records/{rid}/lineage" data-testid="record-lineage-link"'
        assert link in explorer.text
        assert f'/projects/{p_id}/records/{rid}/lineage" data-testid="to-lineage"' in \
            c.get(f"/projects/{p_id}/records/{rid}/judgments").text
        page = c.get(f"/projects/{p_id}/records/{rid}/lineage")
        assert page.status_code == 200, page.text[:300]
        text = page.text
        assert f"<code data-testid=\"lineage-source-ref\">{kept_ref}#{ext}</code>" in text
        assert f'href="/explore/{kept_ref}/records/{ext}" data-testid="lineage-explorer"' in text
        assert text.count('data-testid="lineage-step"') == 1 and "<code>dedup</code>" in text
        judged = text.split('data-testid="lineage-judgment"', 1)[1].split("</article>", 1)[0]
        assert 'data-annotator="trainer-l"' in judged and judged.count('data-testid="lineage-revision"') == 2
        assert "by lead-l: <strong>accepted</strong> — clear case" in judged
        assert '"strength": 2' not in text  # the gold answer is not on the page
        api = c.get(f"/api/v1/projects/{p_id}/records/{rid}/lineage").json()
        assert api["source"] == f"{kept_ref}#{ext}" and api["record_id"] == rid
        (j,) = api["judgments"]
        assert [r["answers"]["preference"]["choice"] for r in j["revisions"]] == ["b", "a"]
        assert j["reviews"][0]["decision"] == "accepted"
        assert [s["id"] for s in api["dataset"]["pipeline_steps"]] == ["dedup"]
        assert "expected" not in api and "gold_answers" not in api
    for who in (w.trainer, w.other_lead):  # refused exactly as the judgments page refuses them
        with _client(db, who.id) as c:
            refused = c.get(f"/projects/{p_id}/records/{rid}/judgments").status_code
            assert refused in (403, 404)
            assert c.get(f"/projects/{p_id}/records/{rid}/lineage").status_code == refused
            assert c.get(f"/api/v1/projects/{p_id}/records/{rid}/lineage").status_code == refused
    with _client(db, w.other_lead.id) as c:  # another project's record id under one's own project: not found
        mine = projects.find_project(db, "other-l").id
        assert c.get(f"/api/v1/projects/{mine}/records/{rid}/lineage").status_code == 404
