"""Every reference solution of HumanEval (164), HumanEval+ (164) and MBPP sanitized (427) against its
hidden tests, as the server runs them: the importer's records, `split_script`, `solution_text`, and the
run budget derived from the reference's measured CPU time (`assay.services.code.limits`).

For each task: (1) measure: run the reference under the ceiling (what the server does on a record's
first run); (2) run it again under the derived budget and check that every hidden test passes.
Runs `--workers` tasks at once (default: the CPU count). Prints the wall time, the tasks whose
budget is above the floor, and any failure; exit status 1 when one fails.

    uv run python bench/sandbox/references.py [--data ../shared/data] [--only humaneval_plus/15 ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from assay.domain.records import Record
from assay.formats import load_records
from assay.sandbox import BubblewrapSandbox, Sandbox, run_split
from assay.services.code.execution import solution_text, split_script
from assay.services.code.limits import DEFAULT_CEILING_SECONDS, FLOOR_SECONDS, RunBudget, derive, measure

FILES = {"humaneval": "humaneval/HumanEval.jsonl.gz", "humaneval_plus": "humaneval-plus/HumanEvalPlus.jsonl.gz",
         "mbpp": "mbpp-sanitized/sanitized-mbpp.json"}
HARD = ["humaneval_plus/15", "humaneval_plus/36", "humaneval_plus/59", "humaneval_plus/83", "humaneval_plus/94",
        "humaneval_plus/139", "mbpp/123"]  # failed under the old fixed limits


@dataclass(frozen=True)
class Outcome:
    key: str
    timing: dict[str, object]
    budget: RunBudget
    status: str
    passed: int
    total: int
    cpu_seconds: float
    wall_seconds: float
    message: str

    @property
    def ok(self) -> bool:
        return self.status == "completed" and self.total > 0 and self.passed == self.total


def tasks(data: Path) -> dict[str, Record]:
    """All 755 records keyed "<dataset>/<number>" (HumanEval/15 -> humaneval/15)."""
    out: dict[str, Record] = {}
    for name, rel in FILES.items():
        for rec in load_records(data / rel):
            out[f"{name}/{rec.external_id.rsplit('/', 1)[-1]}"] = rec
    return out


def check(sandbox: Sandbox, key: str, rec: Record, ceiling: float = DEFAULT_CEILING_SECONDS) -> Outcome:
    """Measure the reference, derive the budget, and run it again under that budget."""
    task = rec.code
    assert task is not None
    parts = split_script(task.hidden_tests, task.entry_point)
    solution = solution_text(task, task.reference_solution)
    timing = measure(sandbox, solution, parts, ceiling)
    budget = derive(float(timing["cpu_seconds"]), ceiling)  # type: ignore[arg-type]
    report = run_split(sandbox, solution, parts, budget.limits, per_test_seconds=budget.per_test_seconds)
    bad = [t for t in report.tests if t.status != "passed"]
    message = report.message or (bad[0].message[:300] if bad else "")
    return Outcome(key, timing, budget, report.status, report.passed, len(report.tests), report.run.cpu_seconds,
                   report.run.wall_seconds, message)


def run_all(keys: list[str], recs: dict[str, Record], workers: int, sandbox: Sandbox | None = None) -> list[Outcome]:
    box = sandbox or BubblewrapSandbox()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda k: check(box, k, recs[k]), keys))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--only", nargs="*", help="task keys such as humaneval_plus/15")
    args = ap.parse_args()
    recs = tasks(args.data)
    keys = args.only or list(recs)
    start = time.monotonic()
    out = run_all(keys, recs, args.workers)
    wall = time.monotonic() - start
    load = os.getloadavg()[0]
    print(f"{len(out)} references, {args.workers} at a time: {wall:.0f} s wall (load average {load:.1f})")
    print(f"passed under their derived budget: {sum(o.ok for o in out)}/{len(out)}")
    above = sorted((o for o in out if o.budget.cpu_seconds > FLOOR_SECONDS), key=lambda o: -o.budget.cpu_seconds)
    print(f"budget above the {FLOOR_SECONDS:g} CPU-s floor: {len(above)}")
    for o in above:
        print(f"  {o.key:22} reference {o.timing['cpu_seconds']:>6} CPU-s -> limit {o.budget.cpu_seconds:>5} CPU-s "
              f"(run again: {o.cpu_seconds:.2f} CPU-s, {o.wall_seconds:.1f} s wall)")
    print("the 7 that failed under the old fixed limits (5 CPU-s, 5 s per test):")
    for o in out:
        if o.key in HARD:
            print(f"  {o.key:22} reference {o.timing['cpu_seconds']:>6} CPU-s -> limit {o.budget.cpu_seconds:>5} CPU-s "
                  f"{'pass' if o.ok else 'FAIL'}")
    for o in out:
        if not o.ok:
            print(f"FAIL {o.key}: {o.status} {o.passed}/{o.total} {o.message[:300]!r}")
    return 0 if all(o.ok for o in out) else 1


if __name__ == "__main__":
    sys.exit(main())
