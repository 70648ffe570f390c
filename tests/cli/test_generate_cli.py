"""`assay generate` / `assay suggest` against a fake OpenAI-compatible server on loopback: a run that dies on
failures is finished by a rerun, each record filled exactly once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from assay.cli import generate as gen_cli
from assay.config import load_settings
from assay.domain.projects import ProjectSpec
from assay.domain.records import Message, Record
from assay.llm.fake_server import FakeLLMServer
from assay.services.authoring import generation
from assay.services.projects import projects
from assay.store.db import open_db
from assay.store.tables import CompletionRow, RecordRow
from assay.store.tables_generation import SuggestionRow


def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command("generate")(gen_cli.generate)
    app.command("suggest")(gen_cli.suggest)
    return app


def _counts(db: Any) -> list[int]:
    with db.write() as s:
        q = (select(func.count(CompletionRow.id)).select_from(RecordRow)
             .outerjoin(CompletionRow, CompletionRow.record_id == RecordRow.id).group_by(RecordRow.id))
        return sorted(s.scalars(q))


@pytest.mark.slow
def test_generate_dies_on_failures_and_a_rerun_finishes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = open_db(load_settings(data_dir=data))
    p = projects.create_project(db, ProjectSpec.from_dict(
        {"name": "cli-gen", "questions": [{"name": "preference", "kind": "pairwise"}]}))
    generation.add_prompts(db, p.id, [Record(f"k{i}", [Message("user", f"Tell me about {i}.")]) for i in range(5)])
    runner = CliRunner()
    env = {"ASSAY_DATA_DIR": str(data)}
    with FakeLLMServer() as srv:
        args = ["generate", "--project", "cli-gen", "--model", srv.model, "--base-url", srv.base_url, "-n", "2",
                "--concurrency", "1", "--retries", "0", "--no-cache"]
        srv.fail_next(4, 400)
        first = runner.invoke(_app(), args, env=env)
        assert first.exit_code == 2, first.output
        assert "failed" in first.output
        partial = _counts(db)
        assert 0 < partial.count(2) < 5 and set(partial) <= {0, 2}
        second = runner.invoke(_app(), args, env=env)
        assert second.exit_code == 0, second.output
        assert f"{partial.count(0)} records filled, {partial.count(2)} already filled" in second.output
        assert _counts(db) == [2] * 5
        third = runner.invoke(_app(), ["suggest", "--project", "cli-gen", "--model", srv.model, "--base-url",
                                       srv.base_url], env=env)
        assert third.exit_code == 0, third.output
    with db.write() as s:
        assert s.scalar(select(func.count()).select_from(SuggestionRow)) == 5
    db.close()
