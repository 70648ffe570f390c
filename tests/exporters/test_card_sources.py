"""The dataset card gives the pipeline history (every step of the dataset versions the records came from,
the import step included) and the sources' licences (issue 20, item 1): LLMBar imported with `assay data
import` (its LICENSE two folders up gives "MIT License"), cleaned by a step and pushed into a project; HH
imported straight into a project (the LICENSE beside the file, kept in the import report)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.conftest import require_file
from typer.testing import CliRunner

from assay.cli.data import data_app
from assay.datasets.store import DatasetStore
from assay.domain.projects import ProjectSpec
from assay.domain.questions import Question
from assay.services.accounts import users
from assay.services.datasets import handoff
from assay.services.projects import exports, imports, projects


@pytest.mark.slow  # real data, a few seconds: out of the fast loop
def test_card_lists_pipeline_history_and_licences(db: Any, settings: Any, shared_data: Path, tmp_path: Path
                                                  ) -> None:
    llmbar = require_file(shared_data / "llmbar" / "Natural" / "dataset.json")
    hh = require_file(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz")
    url = settings.resolved_dataset_store
    res = CliRunner().invoke(data_app, ["import", str(llmbar), "--name", "llmbar", "--format", "llmbar",
                                        "--store", url])
    assert res.exit_code == 0, res.output
    assert "licence: MIT License" in res.output
    store = DatasetStore(url)
    base = store.resolve("llmbar@1")
    assert base.pipeline is not None and base.pipeline["license"] == "MIT License"
    table = store.read_table(base)
    kept = store.write_version("llmbar-clean", [table.slice(0, 50)], parents=[base.ref],
                               steps=[{"id": "dedup", "step": "exact_dedup", "rows_in": base.row_count, "kept": 50,
                                       "dropped": {"duplicate": base.row_count - 50}}])
    lead = users.add_user(db, "lead-card", "password123", "lead")
    pairwise = [Question("preference", "pairwise")]
    p = projects.create_project(db, ProjectSpec(name="llmbar-card", questions=pairwise), lead)
    handoff.push(db, store, kept.ref, p.id, lead)
    card = exports.export_project(db, p.id, "raw", out_dir=tmp_path / "a").card_path.read_text(encoding="utf-8")
    history = card.split("## Pipeline history", 1)[1].split("\n## ", 1)[0]
    assert f"| {base.ref} | import | {base.row_count} | {base.row_count} | - |" in history
    assert f"| {kept.ref} | dedup | {base.row_count} | 50 | duplicate: {base.row_count - 50} |" in history
    licences = card.split("## Sources and licences", 1)[1].split("\n## ", 1)[0]
    assert f"- dataset version {base.ref} (imported from `dataset.json`): MIT License" in licences

    q = projects.create_project(db, ProjectSpec(name="hh-card", questions=pairwise), lead)
    got = imports.import_file(db, q.id, hh, imports.ImportOptions(fmt="hh"), lead)
    assert got.report["license"] == "MIT License" and got.report["divergent_pairs"] == 5
    card = exports.export_project(db, q.id, "raw", out_dir=tmp_path / "b").card_path.read_text(encoding="utf-8")
    assert "- imported file `test.jsonl.gz`: MIT License" in card
    assert "No pipeline made these records" in card


@pytest.mark.slow  # real data, a few seconds: out of the fast loop
@pytest.mark.parametrize("given", ["CC-BY-4.0"])
def test_a_given_licence_wins_over_the_file(db: Any, shared_data: Path, tmp_path: Path, given: str) -> None:
    hh = require_file(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz")
    lead = users.add_user(db, "lead-lic", "password123", "lead")
    p = projects.create_project(db, ProjectSpec(name="hh-lic", questions=[Question("preference", "pairwise")]), lead)
    imports.import_file(db, p.id, hh, imports.ImportOptions(fmt="hh", license=given), lead)
    card = exports.export_project(db, p.id, "raw", out_dir=tmp_path / "c").card_path.read_text(encoding="utf-8")
    assert f"- imported file `test.jsonl.gz`: {given}" in card
