"""`Client.upload`: a file streamed to the server's import (dry run, then an all-or-nothing import), the same
formats and checks as the import page and `assay records import`."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import assay
from tests.api.conftest import ApiEnv


def _rows(n: int, prefix: str = "u") -> list[dict[str, object]]:
    return [{"id": f"{prefix}-{i}", "prompt": f"Question {i}",
             "completions": [{"model": "m1", "text": f"A{i}"}, {"model": "m2", "text": f"B{i}"}]} for i in range(n)]


def test_upload_checks_then_imports_a_gzipped_file(api_env: ApiEnv, project: dict, tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in _rows(5)).encode()))
    with api_env.sdk("lead") as c:
        check = c.upload("prefs", path, dry_run=True)
        assert check.kind == "check" and check.state == "done" and check.error is None
        assert check.report is not None and check.report["new"] == 5 and len(check.report["preview"]) == 5
        before = len(list(c.iter_records("prefs")))
        assert before == len(list(c.iter_records(project["id"])))  # the dry run stored nothing
        done = c.upload("prefs", path)
        assert (done.kind, done.state, done.created, done.existing) == ("import", "done", 5, 0)
        assert len(list(c.iter_records("prefs"))) == before + 5
        again = c.upload(project["id"], path)
        assert (again.created, again.existing) == (0, 5)


def test_upload_names_the_line_and_field_and_stores_nothing(api_env: ApiEnv, project: dict, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('id,prompt,completions\nc1,hi,"[{""text"": ""a""}, {""text"": ""b""}]"\nc2,,\n')
    with api_env.sdk("lead") as c:
        before = len(list(c.iter_records("prefs")))
        with pytest.raises(assay.Invalid) as e:
            c.upload("prefs", path)
        assert e.value.details["line"] == 2 and e.value.details["field"]
        assert len(list(c.iter_records("prefs"))) == before
    with api_env.sdk("ann") as c, pytest.raises(assay.Forbidden):
        c.upload(project["id"], path)


def test_upload_a_label_studio_export_brings_its_judgments(api_env: ApiEnv) -> None:
    from assay.formats import label_studio
    from tests.conftest import require_file
    from tests.formats.test_label_studio import FIXTURE, QUESTIONS

    fixture = require_file(FIXTURE)
    spec = {"name": "ls-upload", "annotators_per_record": 2,
            "questions": [{"name": q.name, "kind": q.kind.value, "required": q.required, "options": q.options}
                          for q in QUESTIONS]}
    with api_env.sdk("lead") as c:
        c.create_project(spec)
        got = label_studio.read(fixture, QUESTIONS)
        check = c.upload("ls-upload", fixture, dry_run=True)
        assert check.report is not None and check.report["format"] == "label_studio"
        assert (check.report["new"], check.report["judgments"]) == (len(got.records), got.judgments)
        done = c.upload("ls-upload", fixture)
        assert (done.created, done.judgments, done.suggestions) == (len(got.records), got.judgments, got.suggestions)
        assert len(list(c.iter_annotations("ls-upload"))) == got.judgments
