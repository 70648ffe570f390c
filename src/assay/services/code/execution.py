"""Executing code-task runs in the sandbox: the process-wide `CodeRunner` (sandbox + fair queue; its runs
are jobs of the process's `JobRunner`) and the pure helpers that turn a code record into what the sandbox runs.

Nothing here touches the database; `assay.services.code.runs` records what happens.

- `solution_text(task, text)`: a candidate's code (the first fenced block if the text is markdown), with
  the problem in front when the candidate is only a function body (HumanEval completions).
- `split_script(script, entry_point)`: a record's visible or hidden test script (self-contained Python that
  raises when the solution is wrong, see `assay.formats.code_tests`) → separately reported tests.
- `split_trainer_tests(text, entry_point)`: a trainer's tests, in any of three styles (detected):
  `def test_*()` functions (pytest style), `def check(candidate)` (HumanEval style) or plain top-level asserts.
"""

from __future__ import annotations

import ast
import os
import re
import threading
import time
import warnings
from typing import Any

from assay.domain.records import CodeTask
from assay.errors import Invalid, Unavailable
from assay.jobs import Job, JobRunner, Stopped
from assay.sandbox import (
    BubblewrapSandbox,
    Limits,
    QueuedSandbox,
    RunQueue,
    RunResult,
    Sandbox,
    SplitTests,
    TestCase,
    TestReport,
    Ticket,
    mutation_score,
    run_split,
    split_tests,
)
from assay.services.code import programs
from assay.services.code.limits import BASE, PER_TEST_FLOOR_SECONDS, RunBudget, measure

RUN_LIMITS = BASE  # a task without a measured reference (see assay.services.code.limits)
PER_TEST_SECONDS = PER_TEST_FLOOR_SECONDS
MAX_TESTS_CHARS = 20_000
MAX_PENDING_PER_USER = 12
_FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)


def _parse(source: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except SyntaxError:
        return None


def _defines(tree: ast.Module | None, name: str) -> bool:
    if tree is None:
        return False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return True
    return False


def candidate_code(text: str) -> str:
    """The code in a candidate: the first ```python fenced block when there is one, else the whole text."""
    m = _FENCE.search(text or "")
    return m.group(1) if m else (text or "")


def solution_text(task: CodeTask, text: str) -> str:
    """The module a candidate is run as (see the module docstring)."""
    code = candidate_code(text)
    if task.entry_point and not _defines(_parse(code), task.entry_point) \
            and _defines(_parse(task.problem), task.entry_point):
        return task.problem.rstrip() + "\n" + code
    return code


def _is_call_to(node: ast.stmt, name: str) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
        and isinstance(node.value.func, ast.Name) and node.value.func.id == name


def split_script(script: str, entry_point: str) -> SplitTests:
    """Split a record's self-contained test script into reported tests.

    A script that defines `check(candidate)` and, at top level, only calls `check(...)` runs as
    HumanEval-style split tests; a script of plain top-level asserts as one test per assert; anything
    else (e.g. HumanEval+ extra inputs) as one test holding the whole script. Raises Invalid for an
    empty script."""
    if not script.strip():
        raise Invalid("this code task has no such tests")
    tree = _parse(script)
    if tree is not None:
        has_check = any(isinstance(n, ast.FunctionDef) and n.name == "check" for n in tree.body)
        others = [n for n in tree.body if isinstance(n, ast.Expr) and not _is_call_to(n, "check")
                  and not isinstance(n.value, ast.Constant)]
        if has_check and not others and entry_point:
            body = [n for n in tree.body if not _is_call_to(n, "check")]
            try:
                return split_tests(ast.unparse(ast.Module(body=body, type_ignores=[])), "check",
                                   entry_point=entry_point)
            except Invalid:
                pass
        if not has_check and any(isinstance(n, ast.Assert) for n in tree.body):
            try:
                return split_tests(script, "assert")
            except Invalid:
                pass
    return SplitTests(prelude="", tests=[TestCase(name="tests", code=script, source=script)])


def split_trainer_tests(text: str, entry_point: str) -> tuple[SplitTests, str, str]:
    """A trainer's tests → (split tests, style, the test text as run). Raises Invalid (with the line) when they do not parse,
    are too long, or hold no test."""
    if len(text) > MAX_TESTS_CHARS:
        raise Invalid(f"your tests are {len(text)} characters; keep them under {MAX_TESTS_CHARS}")
    if not text.strip():
        raise Invalid("write at least one test first, e.g. `assert f(1) == 2`")
    tree = _parse(text)
    if tree is None:
        split_tests(text, "assert")  # raises Invalid naming the line
        raise Invalid("your tests do not parse")  # pragma: no cover - split_tests raised
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    if any(n.startswith("test") for n in names):
        style = "pytest"
        if any(isinstance(n, ast.Assert) for n in tree.body):  # mixed: each top-level assert becomes a test_ function
            text = _asserts_as_functions(tree)
    elif "check" in names:
        style = "check"
        body = [n for n in tree.body if not _is_call_to(n, "check")]
        text = ast.unparse(ast.Module(body=body, type_ignores=[]))
    else:
        style = "assert"
    return split_tests(text, style, entry_point=entry_point or None), style, text


def _asserts_as_functions(tree: ast.Module) -> str:
    body: list[ast.stmt] = []
    n = 0
    for node in tree.body:
        if isinstance(node, ast.Assert):
            n += 1
            fn = ast.parse(f"def test_assert_{n}():\n    pass").body[0]
            assert isinstance(fn, ast.FunctionDef)
            fn.body = [node]
            body.append(fn)
        else:
            body.append(node)
    return ast.unparse(ast.Module(body=body, type_ignores=[]))


def report_result(report: TestReport) -> dict[str, Any]:
    """A `TestReport` as the JSON stored in `code_runs.result` (capped strings)."""
    return {
        "status": report.status, "message": report.message[:4000],
        "passed": report.passed, "total": len(report.tests),
        "wall_seconds": round(report.run.wall_seconds, 3),
        "tests": [{"name": t.name, "status": t.status, "message": t.message[:4000], "output": t.output[:4000],
                   "source": t.source[:4000]} for t in report.tests],
    }


class CodeRunner:
    """One per process: the sandbox and a fair `RunQueue` for code runs. It starts no thread: each run is
    a job of kind "code.run" run by the process's `JobRunner` (`assay.services.code.background`).

    A run launched in this process takes its ticket at once (so queue positions are real and the queue
    is fair per user) and holds it until its job ends; a run resumed from the jobs table (after a
    restart) takes its ticket when its job starts. At most `MAX_PENDING_PER_USER` unfinished runs per
    user (`check_room` raises Unavailable).
    """

    def __init__(self, jobs: JobRunner, sandbox: Sandbox | None = None, max_concurrent: int | None = None) -> None:
        self.jobs = jobs
        self.sandbox: Sandbox = sandbox or BubblewrapSandbox()
        self.queue = RunQueue(max_concurrent or os.cpu_count() or 1)
        self._lock = threading.Lock()
        self.tickets: dict[int, Ticket] = {}  # run id -> ticket while waiting or running
        self.active: dict[int, str] = {}  # run id -> user key, for runs launched or running in this process
        self._timing: dict[int, threading.Lock] = {}  # record id -> lock held while its reference is timed

    def check_room(self, user_key: str, n: int) -> None:
        """Raise Unavailable when `n` more runs would pass the user's limit of unfinished runs."""
        with self._lock:
            pending = sum(1 for k in self.active.values() if k == user_key)
        if pending + n > MAX_PENDING_PER_USER:
            raise Unavailable(f"you already have {pending} runs waiting (at most {MAX_PENDING_PER_USER}); "
                              "wait for them to finish")

    def launch(self, job: Job, run_id: int, user_key: str, *, queued: bool) -> None:
        """Start a run whose job this process claimed: take its ticket now (unless `queued` is False: a
        mutation run queues each of its sandbox runs itself), then hand the job to the job runner."""
        with self._lock:
            self.active[run_id] = user_key
            if queued:
                self.tickets[run_id] = self.queue.enqueue(user_key)
        if not self.jobs.run_claimed(job):
            self.end(run_id)

    def begin(self, run_id: int, user_key: str, *, queued: bool) -> Ticket | None:
        """Called when a run's job starts: its ticket (taken at launch, or now)."""
        with self._lock:
            self.active[run_id] = user_key
            ticket = self.tickets.get(run_id)
            if ticket is None and queued:
                ticket = self.tickets[run_id] = self.queue.enqueue(user_key)
            return ticket

    def end(self, run_id: int) -> None:
        """Called when a run's job ends (however): give back or withdraw its ticket."""
        with self._lock:
            ticket = self.tickets.pop(run_id, None)
            self.active.pop(run_id, None)
        if ticket is not None and not self.queue.cancel(ticket):
            self.queue.release(ticket)

    def position(self, run_id: int) -> int | None:
        """The run's place in the queue (0 = has a slot), or None when it holds no ticket."""
        ticket = self.tickets.get(run_id)
        return None if ticket is None else self.queue.position(ticket)

    def wait_slot(self, ticket: Ticket, stopping: threading.Event, timeout: float = 600.0) -> None:
        """Wait for the ticket's slot. Raises Stopped when the runner stops first, Unavailable after
        `timeout` seconds (the ticket is withdrawn either way)."""
        deadline = time.monotonic() + timeout
        while not ticket.granted.wait(0.2):
            if (stopping.is_set() or time.monotonic() > deadline) and self.queue.cancel(ticket):
                if stopping.is_set():
                    raise Stopped("the server is stopping")
                raise Unavailable(f"the sandbox queue is busy ({self.queue.max_concurrent} runs at once); "
                                  "try again in a moment")

    def run_tests(self, solution: str, parts: SplitTests, budget: RunBudget | None = None) -> TestReport:
        """Run `solution` against `parts` in the sandbox (the caller holds a slot) under `budget` (the
        task's, see `assay.services.code.limits`; default: the floor)."""
        if budget is None:
            return run_split(self.sandbox, solution, parts, RUN_LIMITS, per_test_seconds=PER_TEST_SECONDS)
        return run_split(self.sandbox, solution, parts, budget.limits, per_test_seconds=budget.per_test_seconds)

    def run_program(self, task: CodeTask, solution: str, tests: str, budget: RunBudget | None = None) -> dict[str, Any]:
        """Run a non-Python task's `solution` with `tests` (one program, see `assay.services.code.programs`)
        under `budget` (default: the floor); the caller holds a slot. Returns the stored result."""
        return programs.run_tests(self.sandbox, task, solution, tests, budget.limits if budget else RUN_LIMITS)

    def program_mutation(self, user_key: str, task: CodeTask, tests: str, stopping: threading.Event,
                         max_mutants: int = 20) -> dict[str, Any]:
        """`mutation` for a non-Python task: token-level mutants of its reference, each compiled and run."""
        queued = QueuedSandbox(_StopAware(self.sandbox, stopping), self.queue, user_key, timeout=600)
        result = programs.mutation(queued, task, tests, Limits(cpu_seconds=5, wall_seconds=10, memory_bytes=512 << 20),
                                   max_mutants=max_mutants, workers=self.queue.max_concurrent)
        if stopping.is_set():
            raise Stopped("the server is stopping")
        return result

    def timing_lock(self, record_id: int) -> threading.Lock:
        """The lock a record's first runs take to time its reference once in this process (the hidden runs
        of all candidates start together)."""
        with self._lock:
            return self._timing.setdefault(record_id, threading.Lock())

    def measure(self, reference: str, hidden: SplitTests, ceiling: float) -> dict[str, Any]:
        """Time the reference solution on the hidden tests under `ceiling` (the caller holds a slot)."""
        return measure(self.sandbox, reference, hidden, ceiling)

    def mutation(self, user_key: str, reference: str, tests: str, style: str, entry_point: str,
                 stopping: threading.Event, max_mutants: int = 20, budget: RunBudget | None = None) -> dict[str, Any]:
        """Score `tests` against mutants of `reference`; every sandbox run waits fairly as `user_key`, and
        none starts once `stopping` is set (then Stopped is raised). Each mutant run gets the task's
        `budget` when it has one (a slow reference would otherwise make every mutant time out)."""
        queued = QueuedSandbox(_StopAware(self.sandbox, stopping), self.queue, user_key, timeout=600)
        measured = budget is not None and budget.reference_cpu_seconds is not None
        limits = budget.limits if budget is not None and measured else Limits(cpu_seconds=5, wall_seconds=10)
        per_test = budget.per_test_seconds if budget is not None and measured else 2.0
        score = mutation_score(queued, reference, tests, style, limits, per_test_seconds=per_test,
                               entry_point=entry_point or None, max_mutants=max_mutants,
                               workers=self.queue.max_concurrent)
        if stopping.is_set():
            raise Stopped("the server is stopping")
        return {"total": score.total, "killed": score.killed, "score": round(score.score, 4),
                "killed_by_timeout": score.killed_by_timeout,
                "survived": [m.description for m in score.survived]}


class _StopAware:
    """A sandbox that refuses new runs once `stopping` is set."""

    def __init__(self, sandbox: Sandbox, stopping: threading.Event) -> None:
        self.sandbox, self.stopping = sandbox, stopping

    def run(self, files: dict[str, str], command: list[str], limits: Limits) -> RunResult:
        if self.stopping.is_set():
            raise Stopped("the server is stopping")
        return self.sandbox.run(files, command, limits)
