"""Agreement, aggregation, rankings, dashboard and time report over stored annotations."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.errors import Unauthenticated
from assay.formats import read_records
from assay.quality import fleiss_kappa, krippendorff_alpha
from assay.services.accounts import auth, users
from assay.services.annotation import judgments, queue
from assay.services.annotation import submissions as annotations
from assay.services.projects import projects, records
from assay.services.quality import dashboard, gold, metrics
from assay.services.workforce import timesheet
from assay.store.tables import AnnotationRow


def _project(db, name, questions, k=3, settings=None):
    lead = users.add_user(db, f"lead-{name}", "password123", "lead")
    return projects.create_project(db, ProjectSpec(name=name, questions=questions, annotators_per_record=k,
                                                   settings=settings or {}), lead), lead


def test_agreement_matches_quality_package_on_served_work(db):
    p, _ = _project(db, "m", [Question("preference", "pairwise"),
                              Question("quality", "rating", options={"dimensions": [{"name": "help", "min": 1, "max": 5}]}),
                              Question("order", "ranking")])
    records.import_records(db, p.id, [Record(external_id=f"r{i}", messages=[Message("user", "q")],
                                             completions=[Completion("x", model="m1"), Completion("y", model="m2")])
                                      for i in range(4)])
    table = {"u0": "aaba", "u1": "abba", "u2": "aabb"}
    for name, choices in table.items():
        u = users.add_user(db, name, "password123")
        while (t := queue.claim_next(db, p.id, u.id)) is not None:
            i = int(t.record.external_id[1:])
            c = choices[i]
            ans = {"preference": {"choice": c, "strength": 1 + (i % 2)},
                   "quality": {"scores": {"0": {"help": 1 + (i + len(name)) % 5}, "1": {"help": 3}}},
                   "order": {"order": [[0], [1]] if c == "a" else [[1], [0]]}}
            annotations.submit(db, p.id, t.record_id, u.id, ans, 30.0)
    got = {q.question: q for q in metrics.agreement(db, p.id)}
    matrix = [list(v) for v in table.values()]
    pref = got["preference"]
    assert pref.units == 4 and pref.raters == 3
    assert pref.fleiss_kappa == pytest.approx(fleiss_kappa(matrix), abs=1e-12)
    assert pref.alpha_nominal == pytest.approx(krippendorff_alpha(matrix), abs=1e-12)
    assert pref.alpha_interval is not None and "quality.help" in got
    assert got["order"].kendall_tau_mean is not None and got["order"].units == 12
    agg = metrics.aggregate(db, p.id, "preference", "majority")
    assert agg.labels == {"r0": "a", "r1": "a", "r2": "b", "r3": "a"}
    n, ranking = metrics.rank_models(db, p.id, n_bootstrap=20)
    assert n == 24 and ranking[0].model == "m1" and ranking[0].ci_low <= ranking[0].score <= ranking[0].ci_high
    stats = {r.username: r for r in dashboard.trainer_stats(db, p.id)}
    assert stats["u0"].submitted == 4 and stats["u0"].active_hours == pytest.approx(4 * 30 / 3600, abs=1e-3)
    # u0 vs the others' majority: r0 a/a ✓, r1 a vs (b,a) tie → skipped, r2 b/b ✓, r3 a/(a,b) tie → skipped
    assert (stats["u0"].consensus_n, stats["u0"].consensus_agreement) == (2, 1.0)
    board = dashboard.dashboard(db, p.id)
    assert board.progress.done == 4 and sum(b.count for b in board.throughput) == 12


def test_gold_anchors_dawid_skene(db):
    p, lead = _project(db, "ds", [Question("preference", "pairwise")], k=3, settings={"gold": {"rate": 0.0}})
    records.import_records(db, p.id, [Record(external_id=f"r{i}", messages=[Message("user", "q")],
                                             completions=[Completion("x"), Completion("y")]) for i in range(5)])
    gold.set_gold(db, p.id, "r4", {"preference": {"choice": "b", "strength": 1}}, lead)
    res = metrics.aggregate(db, p.id, "preference", "dawid_skene")
    assert res.labels == {} and res.gold_items == 1  # nothing submitted yet: empty, no crash


@pytest.mark.slow
def test_real_pandalm_and_tulu_through_the_app(db, shared_data):
    p, lead = _project(db, "pandalm", [Question("preference", "pairwise")])
    recs = list(read_records(shared_data / "pandalm-testset" / "testset-v1.json", fmt="pandalm"))
    r = judgments.import_judgments(db, p.id, recs, "preference", source="pandalm", actor=lead)
    assert (r.records_created, r.annotators, r.annotations_created) == (999, 3, 2997)
    again = judgments.import_judgments(db, p.id, recs, "preference", source="pandalm", actor=lead)
    assert again.annotations_created == 0 and again.records_existing == 999
    (qa,) = metrics.agreement(db, p.id)
    assert qa.units == 999 and 0.8 < qa.fleiss_kappa < 0.9 and 0.8 < qa.alpha_nominal < 0.9
    ext = users.find_user(db, "ext-pandalm-annotator1")
    assert not ext.is_active
    with pytest.raises(Unauthenticated):
        auth.login(db, "ext-pandalm-annotator1", "!external")
    ds = metrics.aggregate(db, p.id, "preference", "dawid_skene")
    assert len(ds.labels) == 999 and min(ds.confidence.values()) > 0.3
    t, lead2 = _project(db, "tulu", [Question("preference", "pairwise")])
    recs = list(read_records(shared_data / "tulu1-human-eval" / "eval_annotations_tulu_1.jsonl", fmt="tulu"))
    judgments.import_judgments(db, t.id, recs, "preference", source="tulu", actor=lead2)
    (qt,) = metrics.agreement(db, t.id)
    assert qt.units > 100 and 0.2 < qt.alpha_nominal < 0.5 and qt.alpha_interval is not None
    n, ranking = metrics.rank_models(db, t.id, n_bootstrap=0)
    assert n > 1000 and ranking[0].model == "chatgpt" and math.isnan(ranking[0].ci_low or math.nan)


def test_timesheet_days_and_csv(db):
    p, _ = _project(db, "ts", [Question("preference", "pairwise")], k=1)
    records.import_records(db, p.id, [Record(external_id=f"r{i}", messages=[Message("user", "q")],
                                             completions=[Completion("x"), Completion("y")]) for i in range(3)])
    u = users.add_user(db, "worker", "password123")
    for secs in (1800, 900):
        t = queue.claim_next(db, p.id, u.id)
        annotations.submit(db, p.id, t.record_id, u.id, {"preference": {"choice": "a", "strength": 1}}, secs)
    t = queue.claim_next(db, p.id, u.id)
    annotations.save_draft(db, p.id, t.record_id, u.id, {}, 360)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    with db.write() as s:
        s.execute(update(AnnotationRow).where(AnnotationRow.active_seconds == 900)
                  .values(submitted_at=yesterday, updated_at=yesterday))
    today = datetime.now(UTC).date()
    rows = timesheet.timesheet(db, p.id, today - timedelta(days=1), today)
    assert [(r.day, r.active_hours, r.annotations, r.submitted) for r in rows] == [
        (today - timedelta(days=1), 0.25, 1, 1), (today, 0.6, 2, 1)]
    csv_text = timesheet.timesheet_csv(rows)
    assert csv_text.splitlines()[0] == "username,date,active_hours,annotations,submitted"
    assert csv_text.splitlines()[2] == f"worker,{today.isoformat()},0.6000,2,1"
    assert timesheet.timesheet(db, p.id, today, today, user_id=u.id + 100) == []
    with pytest.raises(Exception, match="swap"):
        timesheet.timesheet(db, p.id, today, date(2000, 1, 1))
