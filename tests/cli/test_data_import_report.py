"""`assay data import` prints and stores what it read (issue 20, item 4): rows read, records imported, skipped by
reason, divergent pairs, empty and synthetic replies — in the manifest's `pipeline["import_report"]` and as an
`import` step — on the real HH and OpenAssistant files."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import require_file
from typer.testing import CliRunner

from assay.cli.data import data_app
from assay.datasets.store import DatasetStore
from assay.formats.checks import ReadStats
from assay.formats.reader import load_records


@pytest.mark.parametrize(("folder", "name", "fmt"), [
    ("hh-rlhf-harmless-base/test.jsonl.gz", "hh", "hh"),
    ("oasst-en-100-trees/en_100_tree.jsonl", "oasst", "oasst"),
])
@pytest.mark.slow  # real data or a real cache build, a few seconds: out of the fast loop
def test_import_report_printed_and_in_the_manifest(shared_data: Path, tmp_path: Path, folder: str, name: str,
                                                    fmt: str) -> None:
    path = require_file(shared_data / folder)
    store = tmp_path / "store"
    res = CliRunner().invoke(data_app, ["import", str(path), "--name", name, "--format", fmt, "--store", str(store)])
    assert res.exit_code == 0, res.output
    stats = ReadStats()
    records = load_records(path, fmt, stats=stats)  # what the reader itself says, independently
    (m,) = DatasetStore(str(store)).versions(name)
    report = m.pipeline["import_report"]
    assert report["rows_read"] == stats.rows and report["records_imported"] == len(records) == m.row_count
    assert report["skipped"] == {k: v for k, v in stats.counts.items() if v and k.endswith(("_skipped", "_dropped"))}
    assert report["divergent_pairs"] == sum(1 for r in records if r.metadata.get("hh_divergence"))
    assert report["empty_replies"] == sum(1 for r in records for c in r.completions if not c.text.strip())
    (step,) = m.steps
    assert step["id"] == "import" and step["rows_in"] == stats.rows and step["kept"] == len(records)
    assert f"rows read: {stats.rows}; records imported: {len(records)}" in res.output
    assert f"divergent pairs (HH transcripts that differ before the last reply): {report['divergent_pairs']}" in res.output
    for reason, n in report["skipped"].items():
        assert f"skipped ({reason.replace('_', ' ')}): {n}" in res.output
    if fmt == "hh":
        assert report["rows_read"] == 2312 and report["divergent_pairs"] == 5
    else:
        assert report["skipped"] and report["synthetic_replies"] == sum(
            1 for r in records for c in r.completions if c.metadata.get("synthetic"))
    shown = CliRunner().invoke(data_app, ["show", f"{name}@1", "--store", str(store)])
    assert shown.exit_code == 0 and "import" in shown.output
