"""The example pipelines in docs/examples run as the docs and the CLI help say, on slices of the real data
in ../shared/data (read in place)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.data import data_app, pipeline_app
from assay.datasets.store import DatasetStore
from assay.pipelines.pii import find_pii
from assay.pipelines.spec import PipelineSpec
from assay.pipelines.text import texts

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"


def _slice(src: Path, dst: Path, n: int) -> Path:
    """The first `n` lines of a (gzipped) JSONL file, written to `dst` under the test's temp folder."""
    opener = gzip.open if src.suffix == ".gz" else open
    with opener(src, "rt", encoding="utf-8") as f:
        lines = [next(f) for _ in range(n)]
    dst.write_text("".join(lines), encoding="utf-8")
    return dst


def test_every_example_spec_parses() -> None:
    specs = sorted(EXAMPLES.glob("*.yaml"))
    assert {p.name for p in specs} >= {"clean-hh.yaml", "clean-gsm8k.yaml"}
    for p in specs:
        assert PipelineSpec.load(p).steps, p


@pytest.mark.slow
def test_cli_help_example_runs(tmp_path: Path, shared_data: Path) -> None:
    """`assay pipeline run docs/examples/clean-hh.yaml --input hh@latest --output hh-clean` (the command
    in the CLI help) on the first 300 HH harmless-base pairs."""
    store = ["--store", str(tmp_path / "store")]
    hh = _slice(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz", tmp_path / "hh.jsonl", 300)
    r = CliRunner()
    res = r.invoke(data_app, ["import", str(hh), "--name", "hh", *store])
    assert res.exit_code == 0, res.output
    help_text = r.invoke(pipeline_app, ["run", "--help"]).output
    assert "docs/examples/clean-hh.yaml" in help_text and (ROOT / "docs/examples/clean-hh.yaml").exists()
    res = r.invoke(pipeline_app, ["run", str(EXAMPLES / "clean-hh.yaml"), "--input", "hh@latest",
                                  "--output", "hh-clean", *store])
    assert res.exit_code == 0, res.output
    assert "hh-clean@1" in res.output
    s = DatasetStore(str(tmp_path / "store"))
    m = s.resolve("hh-clean@1")
    assert m.parents == ["hh@1"]
    assert [st["id"] for st in m.steps] == ["map", "filter", "pii", "language", "quality", "exact_dedup"]
    first = m.steps[0]
    assert first["rows_in"] == 300 and 0 < m.row_count < 300
    for a, b in zip(m.steps, m.steps[1:]):
        assert b["rows_in"] == a["kept"]
    assert m.steps[1]["dropped"].get("too_few_words", 0) > 0  # HH has short replies: the filter bites
    out = s.read_table(m)
    assert set(out.column("language__lang").to_pylist()) == {"en"}
    assert all(len(t.split()) >= 3 for t in texts(out, "response"))
    assert len(set(texts(out, "all"))) == out.num_rows  # exact dedup
    assert not any(find_pii(t, ("email", "credit_card")) for t in texts(out, "all"))  # redacted
    assert m.steps[2]["rows_in"] == m.steps[2]["kept"]  # redact never drops


@pytest.mark.slow
def test_gsm8k_example_runs_from_the_repository_root(tmp_path: Path, shared_data: Path) -> None:
    """clean-gsm8k.yaml names its eval sets relative to the repository root, where the docs run it."""
    gsm = _slice(shared_data / "gsm8k" / "train.jsonl", tmp_path / "gsm.jsonl", 400)
    store = ["--store", str(tmp_path / "store")]
    r = CliRunner()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert r.invoke(data_app, ["import", str(gsm), "--name", "gsm8k", *store]).exit_code == 0
        res = r.invoke(pipeline_app, ["run", "docs/examples/clean-gsm8k.yaml", "--input", "gsm8k@latest", *store])
    finally:
        os.chdir(cwd)
    assert res.exit_code == 0, res.output
    m = DatasetStore(str(tmp_path / "store")).resolve("gsm8k-clean@1")
    assert [st["id"] for st in m.steps] == ["filter", "decontaminate", "exact_dedup", "sample"]
    assert m.steps[0]["rows_in"] == 400 and m.row_count == m.steps[-1]["kept"] <= 400


@pytest.mark.parametrize("name", ["clean-hh.yaml", "clean-gsm8k.yaml"])
def test_pipelines_doc_shows_the_example_files(name: str) -> None:
    """docs/pipelines.md's worked example quotes the files as they are."""
    doc = (ROOT / "docs" / "pipelines.md").read_text()
    assert f"docs/examples/{name}" in doc
    steps = [line for line in (EXAMPLES / name).read_text().splitlines() if line.startswith("  - ")]
    for line in steps:
        assert line.split("#")[0].rstrip() in doc, line
