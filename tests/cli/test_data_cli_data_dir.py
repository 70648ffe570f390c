"""`assay data` and `assay pipeline` honour the global `--data-dir` like every other command: the dataset
store is `<data dir>/datasets` and the explorer cache `<data dir>/explorer`, and push / pull reach the
database and the store of that same folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.main import app
from assay.datasets.store import DatasetStore

PROJECT = """name: gsm-review
title: GSM8K answers
questions:
  - name: ok
    kind: labels
    title: Is the answer right?
    options: {labels: [right, wrong]}
"""


@pytest.mark.slow
def test_global_data_dir_is_used_by_data_pipeline_push_and_pull(tmp_path: Path, shared_data: Path) -> None:
    data, elsewhere = tmp_path / "chosen", tmp_path / "env-default"
    env = {"ASSAY_DATA_DIR": str(elsewhere), "ASSAY_DATASET_STORE": "", "ASSAY_DATABASE_URL": "",
           "COLUMNS": "200"}
    runner = CliRunner()

    def run(*args: str) -> str:
        res = runner.invoke(app, ["--data-dir", str(data), *args], env=env)
        assert res.exit_code == 0, res.output
        return res.output

    src = tmp_path / "gsm.jsonl"
    src.write_text("".join((shared_data / "gsm8k" / "test.jsonl").read_text().splitlines(True)[:12]))
    assert "gsm@1 12 records" in run("data", "import", str(src), "--name", "gsm")
    store = DatasetStore(str(data / "datasets"))
    assert store.list_datasets() == ["gsm"]
    assert not (elsewhere / "datasets").exists()
    assert "gsm@1" in run("data", "ls")
    assert "rows" in run("data", "show", "gsm@1", "--stats", "--rows", "1")
    assert (data / "explorer").is_dir() and not (elsewhere / "explorer").exists()
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: gsm-short\nshards: 2\nsteps:\n  - filter: {field: prompt, max_words: 60}\n")
    assert "gsm-short@1" in run("pipeline", "run", str(spec), "--input", "gsm@1")
    assert "gsm-short" in store.list_datasets()
    assert "gsm-short@1" in run("data", "log", "gsm-short@1")

    # push / pull: the database and the store of the same data folder
    run("users", "add", "lead", "--role", "lead", "--password", "lead-password-1")
    (tmp_path / "project.yaml").write_text(PROJECT)
    run("projects", "create", str(tmp_path / "project.yaml"), "--lead", "lead")
    pushed = run("data", "push", "gsm-short@1", "--project", "gsm-review")
    n = store.resolve("gsm-short@1").row_count
    assert f"{n} records added" in pushed
    assert (data / "assay.db").exists() and not (elsewhere / "assay.db").exists()
    assert "gsm-judged@1" in run("data", "pull", "--project", "gsm-review", "--name", "gsm-judged")
    judged = store.resolve("gsm-judged@1")
    assert judged.parents == ["gsm-short@1"] and judged.row_count == n
    meta = [json.loads(r["metadata"]) for r in store.read_table(judged).to_pylist()]
    assert all(m["project"] == "gsm-review" and m["judgments"] == [] for m in meta)
