"""The `assay data` and `assay pipeline` commands end to end on a temporary store."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.data import data_app, pipeline_app


@pytest.mark.slow
def test_import_run_log_diff_export(tmp_path: Path, shared_data: Path) -> None:
    store = ["--store", str(tmp_path / "store")]
    r = CliRunner()
    res = r.invoke(data_app, ["import", str(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz"),
                              "--name", "hh", *store])
    assert res.exit_code == 0, res.output
    assert "hh@1 2312 records" in res.output
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: hh-clean\nshards: 4\nsteps:\n  - filter: {field: response, min_words: 3}\n"
                    "  - pii: {}\n  - exact_dedup: {}\n")
    res = r.invoke(pipeline_app, ["run", str(spec), "--input", "hh@latest", *store])
    assert res.exit_code == 0, res.output
    assert "too_few_words" in res.output and "hh-clean@1" in res.output
    assert "hh-clean@1" in r.invoke(data_app, ["log", "hh-clean@1", *store]).output
    diff = r.invoke(data_app, ["diff", "hh@1", "hh-clean@1", *store]).output
    assert "removed" in diff and "changed" in diff
    out = tmp_path / "out.jsonl"
    assert r.invoke(data_app, ["export", "hh-clean@1", str(out), *store]).exit_code == 0
    assert len(out.read_text().splitlines()) > 2000
    bad = r.invoke(data_app, ["show", "nope@1", *store])
    assert bad.exit_code == 1 and "no dataset named" in bad.output
