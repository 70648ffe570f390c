"""Source judgments (issue 20, item 3): `assay quality import-judgments --format oasst|hh` stores a data set's own
preference as judgments by a named source annotator; OASST's 100 trees give 754 DPO pairs with lineage; the
source annotator is no trainer (dashboard statistics, timesheet)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from tests.conftest import require_file
from typer.testing import CliRunner

from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.domain.records import Completion, Message, Record
from assay.services.accounts import users
from assay.services.annotation import source_judgments
from assay.services.projects import exports, lineage, projects
from assay.services.quality import dashboard, metrics
from assay.services.workforce import timesheet


def _texts(node: dict) -> set[str]:  # type: ignore[type-arg]
    """Every message text of an OASST tree."""
    return {node["text"]} | {t for r in node.get("replies") or [] for t in _texts(r)}


def _env(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"ASSAY_DATA_DIR": str(settings.data_dir), "ASSAY_DATABASE_URL": settings.resolved_database_url}


@pytest.mark.slow
def test_oasst_ranks_as_source_judgments_give_754_pairs_with_lineage(db, settings, shared_data: Path,
                                                                      tmp_path: Path) -> None:
    from assay.cli.main import app

    path = require_file(shared_data / "oasst-en-100-trees" / "en_100_tree.jsonl")
    lead = users.add_user(db, "lead-oa", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name="oasst", questions=[Question("rank", "ranking")]), lead)
    out = CliRunner().invoke(app, ["quality", "import-judgments", "oasst", str(path), "--format", "oasst",
                                   "--question", "rank", "--annotator", "oasst"], env=_env(settings))
    assert out.exit_code == 0, out.output
    assert "judgments by ext-source-oasst" in out.output
    result = exports.export_project(db, p.id, "dpo", out_dir=tmp_path / "dpo")
    rows = [json.loads(x) for x in result.paths["train"].read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 754
    trees = path.read_text(encoding="utf-8").splitlines()
    for row in rows[:: max(1, len(rows) // 60)] + rows[-3:]:
        name, _, num = row["lineage"]["source"].rpartition(":")
        assert name == path.name
        texts = _texts(json.loads(trees[int(num) - 1])["prompt"])
        assert row["chosen"][0]["content"] in texts and row["rejected"][0]["content"] in texts
        assert row["prompt"][0]["content"] in texts
        walk = lineage.walk(db, row, data_folder=path.parent)
        assert [j["annotator"] for j in walk["judgments"]] == ["ext-source-oasst"]
        assert walk["source_file"]["line"] == int(num)
    # the source annotator is no trainer
    assert dashboard.trainer_stats(db, p.id) == []
    today = datetime.now(UTC).date()
    assert timesheet.timesheet(db, p.id, date(today.year, 1, 1) if today.month > 1 else today, today) == []
    assert next(iter(metrics.agreement(db, p.id))).answers > 0  # but its judgments are there for agreement


def test_hh_chosen_side_as_a_source_judgment_beside_a_trainer(db, settings, tmp_path: Path) -> None:
    lead = users.add_user(db, "lead-hh2", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name="hh2", questions=[Question("preference", "pairwise")]), lead)
    recs = [Record(external_id=f"h{i}", messages=[Message("user", f"q{i}")],
                   completions=[Completion("x", "hh-rlhf"), Completion("y", "hh-rlhf")],
                   metadata={"hh_chosen": i % 2}, source=f"test.jsonl.gz:{i + 1}") for i in range(4)]
    recs.append(Record(external_id="plain", messages=[Message("user", "q")], completions=[Completion("x"), Completion("y")]))
    got = source_judgments.import_source_judgments(db, p.id, recs, "preference", annotator="hh", actor=lead)
    assert (got.records_read, got.judgments_created, got.skipped) == (5, 4, {"no_source_preference": 1})
    source = exports.export_source(db, p.id)
    by_ext = {it.record.external_id: it for it in source.items}
    assert by_ext["h0"].annotations[0].answers["preference"] == {"choice": "a", "strength": None}
    assert by_ext["h1"].annotations[0].answers["preference"] == {"choice": "b", "strength": None}
    assert by_ext["plain"].annotations == []
    assert dashboard.trainer_stats(db, p.id) == []  # the source annotator is no trainer
    with pytest.raises(Exception, match="no question"):
        source_judgments.import_source_judgments(db, p.id, recs, "nope", annotator="hh")
