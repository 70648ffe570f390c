"""Source judgments beyond HH and OASST (issue 20, item 3): LLMBar gold labels (the real files, read in place),
UltraFeedback ratings and SHP labels (hand-written fixtures in the published schemas) stored as judgments by a
named source annotator; agreement between the source and a trainer is computable; the source annotator is in
no trainer statistics and no timesheet; a bad row names its line and field and stores nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from tests.conftest import require_file
from typer.testing import CliRunner

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.errors import Invalid
from assay.formats import load_records
from assay.services.accounts import users
from assay.services.annotation import queue, source_judgments, submissions
from assay.services.projects import exports, projects
from assay.services.quality import dashboard, metrics
from assay.services.workforce import timesheet

FIXTURES = Path(__file__).parent.parent / "fixtures"
UF_RAW = FIXTURES / "ultrafeedback" / "ultrafeedback.jsonl"
UF_BIN = FIXTURES / "ultrafeedback" / "binarized.jsonl"
SHP = FIXTURES / "shp" / "shp.jsonl"
LLMBAR_FILES = ("Natural", "Adversarial/GPTInst", "Adversarial/GPTOut", "Adversarial/Manual",
                "Adversarial/Neighbor", "Processed/MT-Bench")
ASPECTS = [{"name": "helpfulness", "min": 1, "max": 5}, {"name": "instruction_following", "min": 1, "max": 5}]


def _env(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"ASSAY_DATA_DIR": str(settings.data_dir), "ASSAY_DATABASE_URL": settings.resolved_database_url}


def _this_year() -> tuple[date, date]:
    today = datetime.now(UTC).date()
    return date(today.year, 1, 1), today


def _source_answers(db, project_id: int, question: str) -> dict[str, dict]:  # type: ignore[no-untyped-def,type-arg]
    """external id → the source annotator's answer to `question` (every stored annotation is by a source)."""
    out = {}
    for it in exports.export_source(db, project_id).items:
        for ann in it.annotations:
            assert source_judgments.is_source_annotator(ann.annotator), ann.annotator
            out[it.record.external_id] = ann.answers[question]
    return out


def _trainer_judges(db, project_id: int, name: str, answer, n: int) -> None:  # type: ignore[no-untyped-def]
    u = users.add_user(db, name, "password123")
    projects.add_member(db, project_id, name)
    for _ in range(n):
        t = queue.claim_next(db, project_id, u.id)
        assert t is not None
        submissions.submit(db, project_id, t.record_id, u.id, answer(t), 60.0)


@pytest.mark.slow  # real data, a few seconds: out of the fast loop
def test_llmbar_gold_labels_from_the_real_files_beside_a_trainer(db, settings, shared_data: Path) -> None:
    from assay.cli.main import app

    lead = users.add_user(db, "lead-bar", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name="bar", questions=[Question("preference", "pairwise")],
                                                annotators_per_record=2), lead)
    read = stored = 0
    for sub in LLMBAR_FILES:
        path = require_file(shared_data / "llmbar" / sub / "dataset.json")
        out = CliRunner().invoke(app, ["quality", "import-judgments", "bar", str(path), "--format", "llmbar",
                                       "--annotator", "llmbar"], env=_env(settings))
        assert out.exit_code == 0, out.output
        assert "judgments by ext-source-llmbar" in out.output and "without a judgment" not in out.output
        n = len(json.loads(path.read_text(encoding="utf-8")))
        read += n
        stored += int(out.output.split(";")[2].split()[0])
    assert read == stored == 619  # every LLMBar pair: 100 Natural + 319 Adversarial + 200 MT-Bench
    answers = _source_answers(db, p.id, "preference")
    natural = load_records(shared_data / "llmbar" / "Natural" / "dataset.json", "llmbar")
    for rec in natural:  # the gold label is the source's answer
        assert answers[rec.external_id] == {"choice": rec.metadata["gold"]["choice"], "strength": None}
    # the source is no trainer ...
    assert dashboard.trainer_stats(db, p.id) == []
    assert timesheet.timesheet(db, p.id, *_this_year()) == []
    # ... but a trainer who judges beside it is, and their agreement is computable
    _trainer_judges(db, p.id, "trainer-bar", lambda t: {"preference": {"choice": "a", "strength": 2}}, 12)
    assert [s.username for s in dashboard.trainer_stats(db, p.id)] == ["trainer-bar"]
    assert [r.username for r in timesheet.timesheet(db, p.id, *_this_year())] == ["trainer-bar"]
    agree = next(q for q in metrics.agreement(db, p.id) if q.question == "preference")
    assert agree.units == 12 and agree.raters == 2 and agree.raw is not None


def test_ultrafeedback_ratings_rank_rate_and_pair(db) -> None:
    lead = users.add_user(db, "lead-uf", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(
        name="uf", questions=[Question("rank", "ranking"), Question("quality", "rating", options={
            "dimensions": ASPECTS, "per_completion": True})], annotators_per_record=3), lead)
    raw = load_records(UF_RAW, "ultrafeedback")
    got = source_judgments.import_source_judgments(db, p.id, raw, "rank", annotator="ultrafeedback", actor=lead)
    assert (got.annotator, got.records_read, got.judgments_created) == ("ext-source-ultrafeedback", 4, 3)
    assert got.skipped == {"unrated_completion": 1}  # row 3: a completion rated only "N/A"
    ranks = _source_answers(db, p.id, "rank")
    assert ranks[raw[0].external_id] == {"order": [[0], [1], [2], [3]]}
    assert ranks[raw[1].external_id] == {"order": [[0, 1], [2], [3]]}  # equal scores tie
    assert raw[2].external_id not in ranks
    # the same rows answer a rating question with the matching aspects (its own annotator: one form each)
    rated = source_judgments.import_source_judgments(db, p.id, raw, "quality", annotator="uf-ratings")
    assert (rated.records_existing, rated.judgments_created, rated.skipped) == (4, 3, {"missing_rating": 1})
    # a trainer ranks beside the source: Kendall's τ between them is computable
    form = {"rank": {"order": [[0], [1], [2], [3]]},
            "quality": {"scores": {str(i): {"helpfulness": 3, "instruction_following": 3} for i in range(4)}}}
    _trainer_judges(db, p.id, "trainer-uf", lambda t: form, 3)
    tau = next(q for q in metrics.agreement(db, p.id) if q.question == "rank")
    assert tau.units >= 2 and tau.kendall_tau_mean is not None
    assert [s.username for s in dashboard.trainer_stats(db, p.id)] == ["trainer-uf"]
    # binarized rows answer a pairwise question: higher score wins, equal scores tie, no score → skipped
    p2 = projects.create_project(db, ProjectSpec(name="ufb", questions=[Question("preference", "pairwise")]), lead)
    binarized = load_records(UF_BIN, "ultrafeedback")
    got = source_judgments.import_source_judgments(db, p2.id, binarized, "preference", annotator="ultrafeedback")
    assert (got.judgments_created, got.skipped) == (3, {"unrated_completion": 1})
    pairs = _source_answers(db, p2.id, "preference")
    for rec in binarized[:3]:
        s0, s1 = (c.metadata["score"] for c in rec.completions)
        want = "tie" if s0 == s1 else "a" if s0 > s1 else "b"
        assert pairs[rec.external_id] == {"choice": want, "strength": None}
    assert pairs[binarized[1].external_id]["choice"] == "tie"
    # raw rows of four completions cannot be one pairwise answer
    again = source_judgments.import_source_judgments(db, p2.id, raw, "preference", annotator="ultrafeedback")
    assert (again.judgments_created, again.skipped) == (0, {"more_than_two_replies": 3, "unrated_completion": 1})


def test_shp_labels_through_the_cli_and_no_pay(db, settings) -> None:
    from assay.cli.main import app

    lead = users.add_user(db, "lead-shp", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name="shp", questions=[Question("preference", "pairwise")],
                                                annotators_per_record=2), lead)
    out = CliRunner().invoke(app, ["quality", "import-judgments", "shp", str(SHP), "--format", "shp"],
                             env=_env(settings))
    assert out.exit_code == 0, out.output
    assert "records read: 4; 4 new, 0 existing; 4 judgments by ext-source-shp" in out.output
    answers = _source_answers(db, p.id, "preference")
    assert [answers[k]["choice"] for k in ("himc90:fv1q2x3:fv1r8kz", "himc90:fv1r8kz:fv1sa01",
                                           "k3ja8x:ge1a1aa:ge1b2bb", "k3ja8x:ge1b2bb:ge1c3cc")] == ["a", "b", "b", "a"]
    _trainer_judges(db, p.id, "trainer-shp", lambda t: {"preference": {"choice": "b", "strength": 1}}, 4)
    assert [r.username for r in timesheet.timesheet(db, p.id, *_this_year())] == ["trainer-shp"]
    stats = dashboard.trainer_stats(db, p.id)
    assert [(s.username, s.submitted) for s in stats] == [("trainer-shp", 4)]
    agree = next(q for q in metrics.agreement(db, p.id) if q.question == "preference")
    assert agree.units == 4 and agree.raw == pytest.approx(0.5)  # the trainer said b on every pair


@pytest.mark.parametrize("fmt, line, field", [
    ("shp", 2, "labels"),
    ("ultrafeedback", 3, "completions[1].annotations.honesty.Rating"),
    ("llmbar", 2, "output_2"),
])
def test_a_bad_row_names_line_and_field_and_stores_nothing(db, settings, tmp_path: Path, fmt: str, line: int,
                                                           field: str) -> None:
    from assay.cli.main import app

    lead = users.add_user(db, f"lead-bad-{fmt}", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name=f"bad-{fmt}", questions=[Question("preference", "pairwise")]),
                                lead)
    rows = {"shp": [json.loads(x) for x in SHP.read_text(encoding="utf-8").splitlines()],
            "ultrafeedback": [json.loads(x) for x in UF_RAW.read_text(encoding="utf-8").splitlines()],
            "llmbar": [{"input": f"q{i}", "output_1": "x", "output_2": "y", "label": 1 + i % 2} for i in range(3)]}[fmt]
    bad = rows[line - 1]
    if fmt == "shp":
        bad["labels"] = 2
    elif fmt == "ultrafeedback":
        bad["completions"][1]["annotations"]["honesty"]["Rating"] = "great"
    else:
        bad["output_2"] = 7
    path = tmp_path / f"bad-{fmt}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(Invalid) as e:
        source_judgments.import_source_judgments(db, p.id, load_records(path, fmt), "preference", annotator=fmt)
    assert (e.value.details["line"], e.value.details["field"]) == (line, field)
    out = CliRunner().invoke(app, ["quality", "import-judgments", f"bad-{fmt}", str(path), "--format", fmt],
                             env=_env(settings))
    assert out.exit_code != 0
    assert f"line {line}" in out.output and field in out.output, out.output
    assert exports.export_source(db, p.id).items == []  # nothing stored
