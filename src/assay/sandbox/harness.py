"""Run a solution against tests in a sandbox and report each test: `run_tests` → `TestReport`.

The sandbox gets three files: `solution.py`, `assay_tests.json` (prelude, test snippets, a nonce) and
the runner (`runner_program.py`). The runner's JSON-lines report comes back through the sandbox's
report channel (never stdout, which the candidate controls) and is validated here: lines must carry
the nonce, a known kind, a known test name (first claim wins) and a known status; strings are capped.

Whole-run failures are stated in `TestReport.status`: `"setup_error"` (the solution or the test
prelude raised, e.g. a SyntaxError), `"timed_out"` (the wall-clock limit), `"crashed"` (the process
ended before the runner finished: memory, CPU limit, `os._exit`, a signal). Tests that did not report
get status `"error"` with "not run: ..." and the reason.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

from assay.sandbox.interface import Limits, RunResult, Sandbox
from assay.sandbox.splitting import SplitTests, split_tests

TestStatus = Literal["passed", "failed", "error"]
RunStatus = Literal["completed", "setup_error", "timed_out", "crashed"]
_STATUSES = ("passed", "failed", "error")
_MAX_MESSAGE = 8192
_MAX_LINE = 1 << 20


@dataclass(frozen=True)
class TestOutcome:
    """One test's result. `message` explains a failure or error; `output` is what it printed."""

    __test__ = False  # not a pytest class

    name: str
    status: TestStatus
    message: str = ""
    output: str = ""
    source: str = ""


@dataclass(frozen=True)
class TestReport:
    """All tests of one run plus how the run as a whole ended (see the module docstring)."""

    __test__ = False

    status: RunStatus
    message: str
    tests: list[TestOutcome]
    run: RunResult
    ignored_report_lines: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        return sum(t.status == "passed" for t in self.tests)

    @property
    def all_passed(self) -> bool:
        """True when the run completed and every test passed."""
        return self.status == "completed" and bool(self.tests) and self.passed == len(self.tests)


def _runner_source() -> str:
    return resources.files("assay.sandbox").joinpath("runner_program.py").read_text(encoding="utf-8")


def run_tests(
    sandbox: Sandbox,
    solution: str,
    tests: str,
    style: str,
    limits: Limits | None = None,
    *,
    entry_point: str | None = None,
    split: bool = True,
    per_test_seconds: float = 10.0,
    max_test_output: int = 16384,
) -> TestReport:
    """Run `solution` against `tests` (style "assert", "check" or "pytest"; see `assay.sandbox.splitting`).

    `entry_point` is required for "check" style. Each test gets `per_test_seconds` (an alarm inside the
    sandbox); the whole run gets `limits`. Raises `assay.errors.Invalid` for tests that cannot be split
    and `assay.errors.Unavailable` when the sandbox cannot run.
    """
    limits = limits or Limits()
    parts = split_tests(tests, style, entry_point=entry_point, split=split)
    return run_split(sandbox, solution, parts, limits, per_test_seconds=per_test_seconds,
                     max_test_output=max_test_output)


def run_split(sandbox: Sandbox, solution: str, parts: SplitTests, limits: Limits, *,
              per_test_seconds: float = 10.0, max_test_output: int = 16384) -> TestReport:
    """Like `run_tests` with tests already split (lets callers split once and run many solutions)."""
    nonce = secrets.token_hex(16)
    spec = {
        "nonce": nonce, "prelude": parts.prelude, "per_test_seconds": per_test_seconds,
        "max_test_output": max_test_output,
        "tests": [{"name": t.name, "code": t.code} for t in parts.tests],
    }
    files = {"solution.py": solution, "assay_tests.json": json.dumps(spec), "assay_runner.py": _runner_source()}
    run = sandbox.run(files, ["python3", "-I", "-S", "assay_runner.py"], limits)
    return _read_report(run, parts, nonce)


def _cap(value: object) -> str:
    return value[:_MAX_MESSAGE] if isinstance(value, str) else ""


def _read_report(run: RunResult, parts: SplitTests, nonce: str) -> TestReport:
    names = {t.name: t for t in parts.tests}
    outcomes: dict[str, TestOutcome] = {}
    setup_error: dict[str, str] | None = None
    ended = False
    ignored = 0
    for raw in run.report.split(b"\n"):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw[:_MAX_LINE].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            ignored += 1
            continue
        if not isinstance(line, dict) or line.get("nonce") != nonce:
            ignored += 1
            continue
        kind = line.get("kind")
        if kind == "test" and line.get("name") in names and line.get("status") in _STATUSES \
                and line["name"] not in outcomes:
            name = line["name"]
            outcomes[name] = TestOutcome(name=name, status=line["status"], message=_cap(line.get("message")),
                                         output=_cap(line.get("output")), source=names[name].source)
        elif kind == "setup_error" and setup_error is None:
            where = "the solution" if line.get("where") == "solution" else "the test setup"
            setup_error = {"message": f"{where} failed to load:\n{_cap(line.get('message'))}",
                           "output": _cap(line.get("output"))}
        elif kind == "end":
            ended = True
        elif kind != "start":
            ignored += 1
    status: RunStatus
    if setup_error is not None:
        status, message = "setup_error", setup_error["message"]
    elif run.timed_out:
        status, message = "timed_out", run.describe()
    elif not ended:
        tail = run.stderr[-2000:].decode(errors="replace").strip()
        status, message = "crashed", f"the run ended early: {run.describe()}" + (f"\n{tail}" if tail else "")
    else:
        status, message = "completed", ""
    reason = message.splitlines()[0].rstrip(":") if message else "no result reported"
    tests = [outcomes.get(t.name) or TestOutcome(name=t.name, status="error", message=f"not run: {reason}",
                                                  source=t.source) for t in parts.tests]
    counts = {s: sum(t.status == s for t in tests) for s in _STATUSES}
    return TestReport(status=status, message=message, tests=tests, run=run, ignored_report_lines=ignored,
                      counts=counts)
