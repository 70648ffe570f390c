"""`assay records import` prints and keeps the same import report as `assay data import` (issue 20, item 4):
rows read, records read and imported, already in the project, skipped by reason, divergent pairs, empty and
synthetic replies and the licence (the LICENSE beside the file) — on the real HH file, whose 5 divergent pairs
must appear; the `records.import` audit event keeps the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.main import app
from assay.config import load_settings
from assay.formats.checks import ReadStats
from assay.formats.reader import load_records
from assay.services.accounts.audit import list_events
from assay.services.datasets.import_report import import_report, report_lines
from assay.store.db import open_db
from tests.conftest import require_file

pytestmark = pytest.mark.slow  # reads the 2,312 HH pairs three times

runner = CliRunner()


def test_records_import_prints_and_keeps_the_data_import_report(tmp_path: Path, settings, shared_data: Path
                                                                ) -> None:  # type: ignore[no-untyped-def]
    path = require_file(shared_data / "hh-rlhf-harmless-base" / "test.jsonl.gz")
    env = {"ASSAY_DATA_DIR": str(settings.data_dir), "ASSAY_DATABASE_URL": settings.database_url}
    spec = tmp_path / "hh.yaml"
    spec.write_text("name: hh\nquestions:\n  - {name: preference, kind: pairwise}\n")
    assert runner.invoke(app, ["projects", "create", str(spec)], env=env).exit_code == 0
    r = runner.invoke(app, ["records", "import", "hh", str(path), "--format", "hh"], env=env)
    assert r.exit_code == 0, r.output
    stats = ReadStats()
    records = load_records(path, "hh", stats=stats)  # what the reader itself says, independently
    expected = import_report(path, "hh", stats, records, imported=2312, existing=0, license="MIT License")
    for line in report_lines(expected):
        assert line in r.output, (line, r.output)
    assert "divergent pairs (HH transcripts that differ before the last reply): 5" in r.output
    assert "rows read: 2312; records imported: 2312" in r.output and "licence: MIT License" in r.output

    again = runner.invoke(app, ["records", "import", "hh", str(path), "--format", "hh", "--license", "MIT"], env=env)
    assert again.exit_code == 0, again.output
    assert "records imported: 0 (of 2312 read)" in again.output
    assert "already in the project (left as they are): 2312" in again.output and "licence: MIT" in again.output

    db = open_db(load_settings(data_dir=settings.data_dir, database_url=settings.database_url or None), migrate=False)
    try:
        events = list_events(db, action="records.import")
    finally:
        db.close()
    newest, first = events[0].detail["report"], events[1].detail["report"]
    assert first == expected
    assert newest["records_imported"] == 0 and newest["existing"] == 2312 and newest["divergent_pairs"] == 5
