"""Code tasks in languages other than Python (JavaScript, TypeScript, C++, and any language registered in
`assay.sandbox.languages`): each run is one program (solution + tests, compiled and run in the sandbox by
`assay.sandbox.program.run_program`), reported as a single test named "tests" in the same result shape
as Python runs (`report_result`), so the pages, the API and the hidden-run outcome read both alike.

Python tasks keep their per-test harness (`assay.services.code.execution`). Non-Python tasks run under the
floor budget (their reference is not timed) with the language's own compile limits; a language whose
toolchain is missing on this server gives a run with status "unavailable" and the install hint.
"""

from __future__ import annotations

import re
from typing import Any

from assay.domain.records import CodeTask
from assay.errors import Invalid
from assay.sandbox import Limits, Sandbox
from assay.sandbox.languages import REGISTRY, language
from assay.sandbox.program import ProgramResult, run_program
from assay.sandbox.program_mutation import program_mutation_score

MAX_TESTS_CHARS = 20_000
_FENCE = re.compile(r"```[ \t]*([\w+#-]*)[ \t]*\n(.*?)```", re.DOTALL)


def is_python(task: CodeTask) -> bool:
    """True for tasks that run on the Python harness."""
    return (task.language or "python").lower() in ("python", "py", "python3")


def language_info(name: str) -> dict[str, Any]:
    """What the code-review widget shows about a language: title, lexer, test idiom, an example, and
    `unavailable` (why its toolchain is missing here, or "")."""
    try:
        lang = language(name)
    except Invalid:
        return {"name": name, "title": name, "lexer": name, "test_idiom": "", "example_tests": "",
                "unavailable": f"{name} is not a language this server runs (known: {', '.join(REGISTRY)})"}
    return {"name": lang.name, "title": lang.title, "lexer": lang.lexer, "test_idiom": lang.test_idiom,
            "example_tests": lang.example_tests, "unavailable": lang.available() or ""}


def candidate_code(text: str) -> str:
    """The first fenced block of a candidate (any language tag) when there is one, else the whole text."""
    m = _FENCE.search(text or "")
    return m.group(2) if m else (text or "")


def _defines(code: str, name: str) -> bool:
    n = re.escape(name)
    return re.search(rf"(function\s+{n}\s*\(|\b{n}\s*=|\b{n}\s*\([^;{{}}]*\)\s*(const\s*)?(->[^{{]*)?\{{)", code) is not None


def solution_text(task: CodeTask, text: str) -> str:
    """The program text of a candidate: its code, with the problem (declaration, includes) in front when the
    candidate is only a function body (as HumanEval-X completions are)."""
    code = candidate_code(text)
    if task.entry_point and not _defines(code, task.entry_point) and _defines(task.problem, task.entry_point):
        return task.problem.rstrip() + "\n" + code
    return code


def check_tests(text: str) -> None:
    """Raise Invalid for tests that are empty or too long (they are checked by the compiler when run)."""
    if len(text) > MAX_TESTS_CHARS:
        raise Invalid(f"your tests are {len(text)} characters; keep them under {MAX_TESTS_CHARS}")
    if not text.strip():
        raise Invalid("write at least one test first")


def result_of(res: ProgramResult, tests: str) -> dict[str, Any]:
    """A program run as the JSON stored in `code_runs.result` (one test named "tests")."""
    ran = res.status in ("passed", "failed")
    test_status = "passed" if res.passed else "failed" if res.status == "failed" else "error"
    output = (res.stdout + ("\n" + res.stderr if res.stderr else "")).strip()
    wall = res.run.wall_seconds if res.run is not None else 0.0
    return {
        "status": "completed" if ran else res.status, "message": "" if ran else res.message[:4000],
        "passed": int(res.passed), "total": 1, "wall_seconds": round(wall, 3), "language": res.language,
        "compile_seconds": res.compile_seconds, "run_seconds": res.run_seconds,
        "tests": [{"name": "tests", "status": test_status, "message": res.message[:4000], "output": output[:4000],
                   "source": tests[:4000]}],
    }


def run_tests(sandbox: Sandbox, task: CodeTask, solution: str, tests: str, limits: Limits) -> dict[str, Any]:
    """Run `solution` with `tests` in the task's language; the stored result (see `result_of`)."""
    return result_of(run_program(sandbox, task.language, solution, tests, limits), tests)


def mutation(sandbox: Sandbox, task: CodeTask, tests: str, limits: Limits, *, max_mutants: int,
             workers: int) -> dict[str, Any]:
    """Score the trainer's `tests` against token-level mutants of the reference (stored like Python's)."""
    score = program_mutation_score(sandbox, task.language, task.reference_solution, tests, limits,
                                   max_mutants=max_mutants, workers=workers)
    return {"total": score.total, "killed": score.killed, "score": round(score.score, 4),
            "killed_by_timeout": score.killed_by_timeout, "not_compiling": score.not_compiling,
            "language": score.language, "survived": [m.description for m in score.survived]}
