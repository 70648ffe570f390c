"""Test code for code tasks: splitting benchmark tests into visible and hidden parts, and building the
program a sandbox runs.

Contract for `CodeTask.visible_tests` / `hidden_tests`: each is self-contained Python that, appended to a
complete solution module, raises (exits non-zero) when the solution is wrong. HumanEval-style tests end
with their own ``check(<entry_point>)`` call, so every format runs the same way: solution + tests.

HumanEval split: the `check(candidate)` body's plain top-level asserts are the tests. With n ≥ 2 of them
the first k = clamp(n // 3, 1, 3) are visible and the rest, plus every loop or block that asserts, hidden;
setup statements (imports, assignments) go to both. With one assert (HumanEval/34) it is visible and the
hidden part repeats the whole check. With none (HumanEval/32, 38, 50: randomized loops) the visible part
runs each `for _ in range(N)` loop at most 3 times and the hidden part runs the original.
"""

from __future__ import annotations

import ast
import json
import warnings
from typing import Any

from assay.domain.records import CodeTask
from assay.errors import Invalid

MAX_VISIBLE = 3
SHORT_LOOP = 3


def parse_python(source: str) -> ast.Module:
    """`ast.parse` without the SyntaxWarnings that benchmark code (invalid escapes) triggers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return ast.parse(source)


def _lines(src: str, node: ast.stmt) -> list[str]:
    end = node.end_lineno or node.lineno
    return src.splitlines()[node.lineno - 1 : end]


def _asserts_inside(node: ast.stmt) -> bool:
    return any(isinstance(n, ast.Assert) for n in ast.walk(node))


def _is_plain_assert(node: ast.stmt) -> bool:
    return isinstance(node, ast.Assert) and not isinstance(node.test, ast.Constant)


class _ShortLoops(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == "range"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, int)
            and node.args[0].value > SHORT_LOOP
        ):
            node.args[0] = ast.Constant(SHORT_LOOP)
        return node


def _shortened(src: str, node: ast.stmt) -> list[str]:
    if not isinstance(node, ast.For):
        return _lines(src, node)
    short = _ShortLoops().visit(parse_python(ast.unparse(node)))
    return ["    " + line for line in ast.unparse(short).splitlines()]


def split_check(test: str, entry_point: str) -> tuple[str, str]:
    """Split a HumanEval `test` (defining `check(candidate)`) into (visible, hidden) runnable test code."""
    tree = parse_python(test)
    check = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"), None)
    if check is None:
        raise Invalid(f"the tests of {entry_point!r} define no check(candidate) function")
    lines = test.splitlines()
    before = lines[: check.lineno - 1]
    header = lines[check.lineno - 1 : check.body[0].lineno - 1]
    after = lines[(check.end_lineno or check.lineno) :]
    body = check.body
    plain = [s for s in body if _is_plain_assert(s)]
    if len(plain) >= 2:
        k = min(MAX_VISIBLE, max(1, len(plain) // 3))
        shown = set(map(id, plain[:k]))
        last_shown = body.index(plain[k - 1])
        visible = [
            s for i, s in enumerate(body) if id(s) in shown or (i < last_shown and not _asserts_inside(s))
        ]
        hidden = [s for s in body if id(s) not in shown]
        vis_lines = [ln for s in visible for ln in _lines(test, s)]
    else:
        hidden = body
        vis_lines = [ln for s in body for ln in _shortened(test, s)]
    hid_lines = [ln for s in hidden for ln in _lines(test, s)]
    call = [f"check({entry_point})"]

    def program(stmts: list[str]) -> str:
        return "\n".join(before + header + stmts + after + ["", ""] + call).strip() + "\n"

    return program(vis_lines), program(hid_lines)


PLUS_TEMPLATE = '''
import copy as _copy
import json as _json
import math as _math

_PLUS_INPUTS = _json.loads({inputs!r})
_ATOL = {atol!r}
_REFERENCE_NS: dict = {{}}
exec({reference!r}, _REFERENCE_NS)


def _is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(v, float) for v in x)
    return False


def _close(got, expected, atol):
    """evalplus's oracle: exact equality, else (for floats) closeness with rtol=1e-7."""
    if got == expected:
        return True
    if atol == 0 and _is_floats(expected):
        atol = 1e-6
    if atol == 0 or type(got) is not type(expected):
        return False
    if isinstance(expected, (list, tuple)):
        return len(got) == len(expected) and all(_close(g, e, atol) for g, e in zip(got, expected))
    try:
        return abs(got - expected) <= atol + 1e-7 * abs(expected)
    except TypeError:
        return False


def check_plus(candidate):
    reference = _REFERENCE_NS[{entry_point!r}]
    for i, args in enumerate(_PLUS_INPUTS):
        got = candidate(*_copy.deepcopy(args))
        if {entry_point!r} == "find_zero":
            assert abs(_REFERENCE_NS["poly"](*args, got)) <= max(_ATOL, 1e-4), f"extra input {{i}}"
            continue
        expected = reference(*_copy.deepcopy(args))
        assert _close(got, expected, _ATOL), f"extra input {{i}}: {{args!r:.200}}"


check_plus({entry_point})
'''


def plus_tests(plus_input: list[Any], reference: str, entry_point: str, atol: float) -> str:
    """HumanEval+ extra tests: the candidate must agree with the reference solution on every extra input
    (evalplus's comparison: exact, or within `atol` / 1e-6 for floats; `find_zero` checks the root)."""
    inputs = json.dumps(plus_input, separators=(",", ":"))
    return PLUS_TEMPLATE.format(inputs=inputs, atol=atol, reference=reference, entry_point=entry_point)


def _defines(source: str, name: str) -> bool | None:
    """Whether `source` defines `name` at top level; None when it does not parse."""
    try:
        tree = parse_python(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
            (a.asname or a.name) == name for a in node.names
        ):
            return True
    return False


def code_test_program(task: CodeTask, solution: str, which: str = "visible") -> str:
    """The program text a sandbox runs: the solution module followed by the chosen tests.

    `which` is "visible", "hidden" or "all" (visible then hidden). When the solution does not define
    `task.entry_point` but the problem is Python code that does (a HumanEval completion that is only the
    function body), the problem text is put in front of it. Raises Invalid for an unknown `which` or when
    the task has no such tests. Exit status 0 means every test passed.
    """
    parts = {
        "visible": [task.visible_tests],
        "hidden": [task.hidden_tests],
        "all": [task.visible_tests, task.hidden_tests],
    }
    if which not in parts:
        raise Invalid(f"which must be 'visible', 'hidden' or 'all', not {which!r}")
    tests = [t.strip() for t in parts[which] if t.strip()]
    if not tests:
        raise Invalid(f"this code task has no {which} tests; add some before running it")
    code = solution
    if (
        task.entry_point
        and not _defines(solution, task.entry_point)
        and _defines(task.problem, task.entry_point)
    ):
        code = task.problem + solution
    return "\n\n\n".join([code.rstrip()] + tests) + "\n"
