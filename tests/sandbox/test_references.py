"""Reference solutions pass their hidden tests under the server's limits (issue 20, item 6).

As the server runs a code record: the importer's record, `split_script` of its hidden tests, the
reference as `solution_text`, timed once under the default project ceiling, then run again under the
budget derived from that time (`assay.services.code.limits`) — every hidden test must pass.

All 755 (HumanEval 164, HumanEval+ 164, MBPP sanitized 427), two sandbox runs each, two at a time: about
a minute on the 2-core test machine when it is quiet (57 s at load 1.7; 385 s was measured at load 8.5),
so CI runs all of them. ASSAY_SAMPLE_REFERENCES=1 runs a fixed, seeded sample instead (for a quick loop),
which always holds the seven that failed under the old fixed limits (5 CPU-s, 5 s per test) and HumanEval+
130 (also above 5 CPU-s); bench/sandbox/references.py runs all 755 with figures.
"""

from __future__ import annotations

import os
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assay.domain.records import Record
from assay.formats import load_records
from assay.sandbox import BubblewrapSandbox, TestReport, run_split
from assay.services.code.execution import solution_text, split_script
from assay.services.code.limits import DEFAULT_CEILING_SECONDS, FLOOR_SECONDS, RunBudget, derive, measure

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

FILES = {"humaneval": "humaneval/HumanEval.jsonl.gz", "humaneval_plus": "humaneval-plus/HumanEvalPlus.jsonl.gz",
         "mbpp": "mbpp-sanitized/sanitized-mbpp.json"}
COUNTS = {"humaneval": 164, "humaneval_plus": 164, "mbpp": 427}
HARD = ["humaneval_plus/15", "humaneval_plus/36", "humaneval_plus/59", "humaneval_plus/83", "humaneval_plus/94",
        "humaneval_plus/139", "mbpp/123", "humaneval_plus/130"]
NEED_MORE_THAN_FLOOR = ["humaneval_plus/15", "humaneval_plus/139"]
SAMPLE, SEED = 36, 20


def _tasks(shared_data: Path) -> dict[str, Record]:
    out: dict[str, Record] = {}
    for name, rel in FILES.items():
        recs = load_records(shared_data / rel)
        assert len(recs) == COUNTS[name], name
        for rec in recs:
            out[f"{name}/{rec.external_id.rsplit('/', 1)[-1]}"] = rec
    return out


def _check(sandbox: BubblewrapSandbox, rec: Record) -> tuple[dict[str, object], RunBudget, TestReport]:
    task = rec.code
    assert task is not None and task.hidden_tests.strip() and task.reference_solution.strip()
    parts = split_script(task.hidden_tests, task.entry_point)
    solution = solution_text(task, task.reference_solution)
    timing = measure(sandbox, solution, parts, DEFAULT_CEILING_SECONDS)
    budget = derive(float(timing["cpu_seconds"]), DEFAULT_CEILING_SECONDS)  # type: ignore[arg-type]
    return timing, budget, run_split(sandbox, solution, parts, budget.limits, per_test_seconds=budget.per_test_seconds)


def test_references_pass_under_their_derived_limits(shared_data: Path) -> None:
    tasks = _tasks(shared_data)
    assert len(tasks) == 755
    keys = sorted(tasks)
    if os.environ.get("ASSAY_SAMPLE_REFERENCES") == "1":
        rest = [k for k in keys if k not in HARD]
        keys = HARD + random.Random(SEED).sample(rest, SAMPLE)
    sandbox = BubblewrapSandbox()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = dict(zip(keys, pool.map(lambda k: _check(sandbox, tasks[k]), keys)))
    failures = {k: (r.status, r.passed, len(r.tests), r.message[:200],
                    [t.message[:200] for t in r.tests if t.status != "passed"][:1])
                for k, (_, _, r) in results.items() if not r.all_passed}
    assert failures == {}
    for key in NEED_MORE_THAN_FLOOR:  # the two that no fixed 5 CPU-s budget could pass
        timing, budget, report = results[key]
        assert budget.cpu_seconds > FLOOR_SECONDS and report.run.cpu_seconds < budget.cpu_seconds, (key, timing)

