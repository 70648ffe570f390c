"""Turn a test file into a prelude plus separately reported test snippets (host side, `ast` only).

Styles:
- `"assert"` (MBPP): every top-level `assert` is one test; all other top-level statements (imports,
  helpers) form the prelude.
- `"check"` (HumanEval): the file defines `def check(candidate)`; each top-level statement of its body
  that is or contains an `assert` becomes one test, run as a copy of `check` holding the non-assert
  statements that precede it plus that statement, called with the entry point. Constant asserts such as
  `assert True` are dropped. With `split=False`, or when the body has no assert, `check` is one test.
- `"pytest"`: every top-level `def test_*()` without required arguments is one test; the whole file is
  the prelude. Tests may use the solution's names directly or `from solution import ...`. Only plain
  `assert`s: pytest itself is not importable in the sandbox.

Nothing here executes the code.
"""

from __future__ import annotations

import ast
import copy
import warnings
from dataclasses import dataclass
from typing import Literal

from assay.errors import Invalid

TestStyle = Literal["assert", "check", "pytest"]
STYLES: tuple[str, ...] = ("assert", "check", "pytest")


@dataclass(frozen=True)
class TestCase:
    """One separately reported test: `code` runs after the prelude; `source` is what people see."""

    __test__ = False

    name: str
    code: str
    source: str


@dataclass(frozen=True)
class SplitTests:
    """The prelude (module-level test setup) and the tests, in file order."""

    prelude: str
    tests: list[TestCase]


def _parse(tests: str) -> ast.Module:
    try:
        with warnings.catch_warnings():  # e.g. invalid escapes in user code: not the host's concern
            warnings.simplefilter("ignore")
            return ast.parse(tests, filename="tests.py")
    except SyntaxError as e:
        raise Invalid(f"the tests do not parse: line {e.lineno}: {e.msg}; fix the test code",
                      details={"line": e.lineno, "reason": e.msg}) from e


def _contains_assert(node: ast.stmt) -> bool:
    return any(isinstance(n, ast.Assert) for n in ast.walk(node))


def _trivial(node: ast.stmt) -> bool:
    return isinstance(node, ast.Assert) and isinstance(node.test, ast.Constant) and bool(node.test.value)


def _source(tests: str, node: ast.stmt) -> str:
    return ast.get_source_segment(tests, node) or ast.unparse(node)


def split_tests(tests: str, style: str, *, entry_point: str | None = None, split: bool = True) -> SplitTests:
    """Split `tests` per the module docstring. Raises Invalid for an unknown style, code that does not
    parse, a `check` file without `check` or without `entry_point`, or a file with no test at all."""
    if style not in STYLES:
        raise Invalid(f"unknown test style {style!r}; use one of {', '.join(STYLES)}")
    module = _parse(tests)
    if style == "assert":
        result = _split_asserts(tests, module)
    elif style == "check":
        if not entry_point or not entry_point.isidentifier():
            raise Invalid("check-style tests need the entry point (the function name passed to check)")
        result = _split_check(tests, module, entry_point, split)
    else:
        result = _split_pytest(tests, module)
    if not result.tests:
        raise Invalid(f"no tests found in the {style}-style test file; add at least one test")
    return result


def _split_asserts(tests: str, module: ast.Module) -> SplitTests:
    prelude: list[ast.stmt] = []
    cases: list[TestCase] = []
    for node in module.body:
        if isinstance(node, ast.Assert):
            if not _trivial(node):
                src = _source(tests, node)
                cases.append(TestCase(name=f"assert_{len(cases) + 1}", code=src, source=src))
        else:
            prelude.append(node)
    return SplitTests(prelude=ast.unparse(ast.Module(body=prelude, type_ignores=[])), tests=cases)


def _calls_check(node: ast.stmt) -> bool:
    """True for a top-level statement that is just a call of `check(...)`."""
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name) and node.value.func.id == "check")


def _split_check(tests: str, module: ast.Module, entry_point: str, split: bool) -> SplitTests:
    checks = [n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == "check"]
    if not checks:
        raise Invalid("check-style tests must define `def check(candidate):`; add it or use style 'assert'")
    check = checks[-1]
    # a top-level `check(...)` call (HumanEval programs as the importer stores them end in one) runs `check`
    # itself, which the split takes apart: it is dropped, each test calls its own copy
    prelude = ast.unparse(ast.Module(body=[n for n in module.body if n is not check and not _calls_check(n)],
                                     type_ignores=[]))
    call = f"\ncheck({entry_point})\n"
    whole = TestCase(name="check", code=_source(tests, check) + call, source=_source(tests, check))
    if not split:
        return SplitTests(prelude=prelude, tests=[whole])
    setup: list[ast.stmt] = []
    cases: list[TestCase] = []
    for node in check.body:
        if not _contains_assert(node):
            setup.append(node)
            continue
        if _trivial(node):
            continue
        variant = copy.copy(check)
        variant.body = [*setup, node]
        cases.append(TestCase(name=f"check_{len(cases) + 1}", code=ast.unparse(variant) + call,
                              source=_source(tests, node)))
    return SplitTests(prelude=prelude, tests=cases or [whole])


def _split_pytest(tests: str, module: ast.Module) -> SplitTests:
    cases: list[TestCase] = []
    for node in module.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            args = node.args
            required = len(args.posonlyargs) + len(args.args) - len(args.defaults)
            if required == 0 and not [a for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]:
                cases.append(TestCase(name=node.name, code=f"{node.name}()\n", source=_source(tests, node)))
    return SplitTests(prelude=tests, tests=cases)
