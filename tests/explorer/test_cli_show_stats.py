"""`assay data show --stats` prints the statistics page's summaries."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from assay.cli.main import app
from assay.services.explorer.stats import stats_for, summary_lines


@pytest.mark.slow
def test_show_stats_prints_the_same_summaries(explorer_store, tmp_path):  # type: ignore[no-untyped-def]
    env = {"ASSAY_DATA_DIR": str(tmp_path / "data"), "ASSAY_DATASET_STORE": explorer_store.url, "COLUMNS": "200"}
    r = CliRunner().invoke(app, ["data", "show", "hh-judged@1", "--rows", "0", "--stats"], env=env)
    assert r.exit_code == 0, r.output
    lines = summary_lines(stats_for(explorer_store, "hh-judged@1", tmp_path / "data" / "explorer"))
    assert "  judged 30, unjudged 10" in lines
    for line in lines:
        assert line.strip() in r.output
