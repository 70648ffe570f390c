"""Real code datasets in the real sandbox: every canonical solution passes, broken ones fail.

Reads HumanEval and MBPP-sanitized in place from the shared data folder. Runs two at a time.
"""

from __future__ import annotations

import ast
import gzip
import json
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assay.sandbox import BubblewrapSandbox, Limits, TestReport, run_tests

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
LIMITS = Limits(cpu_seconds=20, wall_seconds=60)
PER_TEST = 30.0  # generous: the machine may be busy and MBPP 123 needs about a CPU second


def _humaneval(shared_data: Path) -> list[dict]:
    with gzip.open(shared_data / "humaneval" / "HumanEval.jsonl.gz", "rt") as f:
        return [json.loads(line) for line in f]


def _mbpp(shared_data: Path) -> list[dict]:
    return json.loads((shared_data / "mbpp-sanitized" / "sanitized-mbpp.json").read_text())


def _stub_functions(code: str) -> str:
    """The same code with every top-level function's body replaced by `return None`."""
    with warnings.catch_warnings():  # MBPP code has invalid escapes such as "\w"
        warnings.simplefilter("ignore")
        tree = ast.parse(code)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            node.body = [ast.Return(value=ast.Constant(value=None))]
    return ast.unparse(tree)


def _run_all(jobs: list[tuple[str, str, str, str | None]], sandbox: BubblewrapSandbox) -> list[TestReport]:
    def one(job: tuple[str, str, str, str | None]) -> TestReport:
        solution, tests, style, entry = job
        return run_tests(sandbox, solution, tests, style, LIMITS, entry_point=entry, per_test_seconds=PER_TEST)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, jobs))


def test_humaneval_canonical_pass_and_stubs_fail(shared_data, sandbox):
    problems = _humaneval(shared_data)
    assert len(problems) == 164
    good = [(p["prompt"] + p["canonical_solution"], p["test"], "check", p["entry_point"]) for p in problems]
    bad = [(p["prompt"] + "    return None\n", p["test"], "check", p["entry_point"]) for p in problems]
    reports = _run_all(good + bad, sandbox)
    good_reports, bad_reports = reports[:164], reports[164:]
    failures = [(p["task_id"], r.status, r.message, [t.message for t in r.tests if t.status != "passed"][:1])
                for p, r in zip(problems, good_reports) if not r.all_passed]
    assert failures == []
    assert sum(len(r.tests) for r in good_reports) > 164 * 3  # check() was split into separate tests
    assert all(not r.all_passed and r.status == "completed" for r in bad_reports)
    assert all(r.counts["failed"] + r.counts["error"] >= 1 for r in bad_reports)


def test_mbpp_canonical_pass_and_stubs_fail(shared_data, sandbox):
    problems = _mbpp(shared_data)
    assert len(problems) == 427
    jobs = [(p["code"], "\n".join(p["test_imports"] + p["test_list"]), "assert", None) for p in problems]
    bad = [(_stub_functions(p["code"]), t, s, e) for p, (_, t, s, e) in zip(problems, jobs)]
    reports = _run_all(jobs + bad, sandbox)
    good_reports, bad_reports = reports[:427], reports[427:]
    failures = [(p["task_id"], r.status, r.message, [t.message for t in r.tests if t.status != "passed"][:1])
                for p, r in zip(problems, good_reports) if not r.all_passed]
    assert failures == []
    for p, r in zip(problems, good_reports):
        assert len(r.tests) == len(p["test_list"]), p["task_id"]
    assert [p["task_id"] for p, r in zip(problems, bad_reports) if r.all_passed] == []
