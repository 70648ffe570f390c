"""The library call docs/sandbox.md documents, `run_tests(box, solution, tests, "check", entry_point=...)`, works
on the HumanEval tests as the importer stores them (a program that defines `check` and ends by calling it):
the trailing `check(...)` call is dropped from the prelude, each split test calls its own copy (issue 20,
item 7; it raised NameError: name 'check' is not defined)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import require_file

from assay.formats import read_records
from assay.sandbox import BubblewrapSandbox, Limits, run_tests
from assay.sandbox.splitting import split_tests


def _tasks(shared_data: Path, n: int) -> list:  # type: ignore[type-arg]
    path = require_file(shared_data / "humaneval" / "HumanEval.jsonl.gz")
    return list(read_records(path, fmt="humaneval"))[:n]


def test_split_of_an_imported_program_drops_the_trailing_call(shared_data: Path) -> None:
    for rec in _tasks(shared_data, 20):
        code = rec.code
        assert code is not None and code.hidden_tests.rstrip().endswith(f"check({code.entry_point})")
        parts = split_tests(code.hidden_tests, "check", entry_point=code.entry_point)
        assert "check(" not in parts.prelude
        assert parts.tests and all(c.code.rstrip().endswith(f"check({code.entry_point})") for c in parts.tests)


@pytest.mark.sandbox
@pytest.mark.slow
def test_reference_solutions_pass_the_imported_tests_through_run_tests(shared_data: Path,
                                                                       sandbox: BubblewrapSandbox) -> None:
    for rec in _tasks(shared_data, 6):
        code = rec.code
        assert code is not None
        for tests in (code.visible_tests, code.hidden_tests):
            report = run_tests(sandbox, code.reference_solution, tests, "check", Limits(cpu_seconds=20, wall_seconds=60),
                               entry_point=code.entry_point, per_test_seconds=30.0)
            assert report.all_passed, (rec.external_id, report.message, [t.status for t in report.tests])
        broken = f"def {code.entry_point}(*args, **kwargs):\n    return None\n"
        bad = run_tests(sandbox, broken, code.hidden_tests, "check", Limits(cpu_seconds=20, wall_seconds=60),
                        entry_point=code.entry_point, per_test_seconds=30.0)
        assert bad.tests and bad.passed < len(bad.tests)
