"""Mutation testing of a trainer's tests: how many small bugs in a reference solution do they catch?

`generate_mutants` makes single-change variants of the reference with AST operators:
- comparison swaps (`<`→`<=`/`>`, `==`→`!=`, `in`→`not in`, `is`→`is not`, ...);
- arithmetic swaps (`+`↔`-`, `*`↔`/`, `//`→`/`, `%`→`//`, `**`→`*`, bit operators), also in `x += ...`;
- boolean: `and`↔`or`, `not x`→`x`, an `if`/`while` condition negated;
- constants: `n`→`n+1`, `True`↔`False`, a non-empty string → `""` (docstrings are left alone);
- return values: `return x`→`return None`, and `return not (x)` for boolean-looking or `return -(x)`
  for arithmetic `x`.
Each mutant differs from the original and from every other mutant (compared as unparsed source) and
compiles. When there are more than `max_mutants`, a deterministic sample (seeded) is kept, in
source order.

`mutation_score` runs the tests on the reference (they must all pass, else Invalid, whose message says
only how the run ended and which tests failed, never what the run wrote: the reference is hidden from the
test author, and the tests can read it) and then on each
mutant in the sandbox, in parallel. A mutant is killed when any test fails or errors, the run times
out, or it crashes. A mutant that makes the tests hang is killed by the per-test alarm or by the
wall-clock limit and is counted in `killed_by_timeout` too. Surviving mutants may be equivalent to
the original (no test could kill them); people should read `survived` with that in mind.
"""

from __future__ import annotations

import ast
import copy
import os
import random
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from assay.errors import Invalid
from assay.sandbox.harness import TestReport, run_split
from assay.sandbox.interface import Limits, Sandbox
from assay.sandbox.splitting import split_tests

_CMP: dict[type, list[type]] = {
    ast.Lt: [ast.LtE, ast.Gt], ast.LtE: [ast.Lt, ast.GtE], ast.Gt: [ast.GtE, ast.Lt], ast.GtE: [ast.Gt, ast.LtE],
    ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq], ast.Is: [ast.IsNot], ast.IsNot: [ast.Is],
    ast.In: [ast.NotIn], ast.NotIn: [ast.In],
}
_ARITH: dict[type, list[type]] = {
    ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div], ast.Div: [ast.Mult],
    ast.FloorDiv: [ast.Div], ast.Mod: [ast.FloorDiv], ast.Pow: [ast.Mult],
    ast.LShift: [ast.RShift], ast.RShift: [ast.LShift], ast.BitAnd: [ast.BitOr], ast.BitOr: [ast.BitAnd],
    ast.BitXor: [ast.BitAnd],
}
_BOOLISH_CALLS = {"all", "any", "isinstance", "bool", "callable", "hasattr"}


@dataclass(frozen=True)
class Mutant:
    """One mutant: `description` reads like "line 4: a < b → a <= b"."""

    operator: str
    line: int
    description: str
    source: str


@dataclass(frozen=True)
class MutationScore:
    """`killed` of `total` mutants were caught by the tests; `survived` lists the others."""

    total: int
    killed: int
    survived: list[Mutant]
    killed_by_timeout: int = 0

    @property
    def score(self) -> float:
        """Fraction killed (1.0 when there were no mutants to kill)."""
        return self.killed / self.total if self.total else 1.0


Replacement = tuple[str, Callable[[Any], ast.AST]]  # the node's type is known where it is made


def _preorder(tree: ast.AST) -> Iterator[tuple[ast.AST, ast.AST | None, str, int | None]]:
    """Nodes in a fixed order with (parent, field, index) so a node can be replaced in place."""
    stack: list[tuple[ast.AST, ast.AST | None, str, int | None]] = [(tree, None, "", None)]
    while stack:
        node, parent, name, idx = stack.pop()
        yield node, parent, name, idx
        children: list[tuple[ast.AST, ast.AST | None, str, int | None]] = []
        for fname, value in ast.iter_fields(node):
            if isinstance(value, list):
                children += [(v, node, fname, i) for i, v in enumerate(value) if isinstance(v, ast.AST)]
            elif isinstance(value, ast.AST):
                children.append((value, node, fname, None))
        stack.extend(reversed(children))


def _with(node: ast.AST, **changes: object) -> ast.AST:
    new = copy.copy(node)
    for key, value in changes.items():
        setattr(new, key, value)
    return new


def _boolish(expr: ast.expr) -> bool:
    if isinstance(expr, (ast.Compare, ast.BoolOp)) or (isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not)):
        return True
    if isinstance(expr, ast.Constant) and isinstance(expr.value, bool):
        return True
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in _BOOLISH_CALLS


def _swap_comparison(i: int, alt: type) -> Callable[[Any], ast.AST]:
    return lambda n: _with(n, ops=[*n.ops[:i], alt(), *n.ops[i + 1:]])


def _swap_operator(alt: type) -> Callable[[Any], ast.AST]:
    return lambda n: _with(n, op=alt())


def _replacements(node: ast.AST, parent: ast.AST | None) -> list[Replacement]:
    out: list[Replacement] = []
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for alt in _CMP.get(type(op), []):
                out.append(("comparison", _swap_comparison(i, alt)))
    elif isinstance(node, (ast.BinOp, ast.AugAssign)):
        for alt in _ARITH.get(type(node.op), []):
            out.append(("arithmetic", _swap_operator(alt)))
    elif isinstance(node, ast.BoolOp):
        out.append(("boolean", lambda n: _with(n, op=ast.Or() if isinstance(n.op, ast.And) else ast.And())))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        out.append(("boolean", lambda n: n.operand))
    elif isinstance(node, (ast.If, ast.While)):
        out.append(("boolean", lambda n: _with(n, test=ast.UnaryOp(op=ast.Not(), operand=n.test))))
    elif isinstance(node, ast.Constant) and not isinstance(parent, (ast.Expr, ast.JoinedStr, ast.FormattedValue)):
        constant = node.value
        if isinstance(constant, bool):
            out.append(("constant", lambda n: _with(n, value=not n.value)))
        elif isinstance(constant, (int, float)):
            out.append(("constant", lambda n: _with(n, value=n.value + 1)))
        elif isinstance(constant, str) and constant:
            out.append(("constant", lambda n: _with(n, value="")))
    elif isinstance(node, ast.Return) and node.value is not None:
        returned = node.value
        if not (isinstance(returned, ast.Constant) and returned.value is None):
            out.append(("return", lambda n: _with(n, value=ast.Constant(value=None))))
        if _boolish(returned) and not isinstance(returned, ast.Constant):  # constants: the constant operator
            out.append(("return", lambda n: _with(n, value=ast.UnaryOp(op=ast.Not(), operand=n.value))))
        elif isinstance(returned, ast.BinOp) and type(returned.op) in (ast.Add, ast.Sub, ast.Mult, ast.Div,
                                                                         ast.FloorDiv):
            out.append(("return", lambda n: _with(n, value=ast.UnaryOp(op=ast.USub(), operand=n.value))))
    return out


def _short(node: ast.AST) -> str:
    text = ast.unparse(node).splitlines()[0] if not isinstance(node, (ast.If, ast.While)) else \
        f"{'if' if isinstance(node, ast.If) else 'while'} {ast.unparse(node.test)}:"
    return text if len(text) <= 70 else text[:67] + "..."


def generate_mutants(source: str, *, max_mutants: int = 30, seed: int = 0) -> list[Mutant]:
    """Distinct, compiling single-change mutants of `source` (see the module docstring).
    Raises Invalid when `source` does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except SyntaxError as e:
        raise Invalid(f"the reference solution does not parse: line {e.lineno}: {e.msg}") from e
    original = ast.unparse(tree)
    sites = [(k, r) for k, (node, parent, _, _) in enumerate(_preorder(tree)) for r in _replacements(node, parent)]
    seen = {original}
    mutants: list[Mutant] = []
    for k, (label, make) in sites:
        mutated = copy.deepcopy(tree)
        node, parent, field, idx = list(_preorder(mutated))[k]
        new = make(node)
        if parent is None:
            continue
        if idx is None:
            setattr(parent, field, new)
        else:
            getattr(parent, field)[idx] = new
        try:
            text = ast.unparse(ast.fix_missing_locations(mutated))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(text, "mutant.py", "exec")
        except (SyntaxError, ValueError, TypeError):
            continue
        if text in seen:
            continue
        seen.add(text)
        line = getattr(node, "lineno", 0)
        mutants.append(Mutant(operator=label, line=line, source=text,
                              description=f"line {line}: {_short(node)} → {_short(new)}"))
    if len(mutants) > max_mutants:
        keep = sorted(random.Random(seed).sample(range(len(mutants)), max_mutants))
        mutants = [mutants[i] for i in keep]
    return mutants


_RUN_ENDINGS = {"setup_error": "the tests' setup failed", "timed_out": "the run timed out",
                "crashed": "the run ended early"}


def reference_failure(report: TestReport) -> str:
    """Why tests failed on a hidden reference, in words that carry nothing the run wrote: how the run ended
    and how many tests failed, with the names of the failing tests (the test author's own names). Never the
    messages, output or tracebacks: they are written by code that could read the reference."""
    if report.status != "completed":
        return _RUN_ENDINGS.get(report.status, "the run failed")
    bad = [t.name for t in report.tests if t.status != "passed"]
    if not bad:
        return "no test reported"
    shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
    return f"{len(bad)} of {len(report.tests)} failed: {shown}"


def _timed_out(report: TestReport) -> bool:
    return report.status == "timed_out" or any(t.message.startswith("timed out") for t in report.tests)


def mutation_score(
    sandbox: Sandbox,
    reference: str,
    tests: str,
    style: str,
    limits: Limits | None = None,
    *,
    entry_point: str | None = None,
    max_mutants: int = 30,
    seed: int = 0,
    workers: int | None = None,
    per_test_seconds: float = 2.0,
) -> MutationScore:
    """Score `tests` by the mutants of `reference` they kill (see the module docstring).

    Raises Invalid when the tests do not all pass on the reference, and whatever `sandbox.run` raises.
    `workers` parallel runs (default: CPU cores); pass a queued sandbox to share a `RunQueue`.
    """
    limits = limits or Limits(cpu_seconds=5, wall_seconds=10)
    parts = split_tests(tests, style, entry_point=entry_point)
    baseline = run_split(sandbox, reference, parts, limits, per_test_seconds=per_test_seconds)
    if not baseline.all_passed:
        raise Invalid(f"the tests do not pass on the reference solution ({reference_failure(baseline)}); "
                      "fix them before scoring")
    try:
        mutants = generate_mutants(reference, max_mutants=max_mutants, seed=seed)
    except Invalid:
        raise Invalid("the reference solution cannot be mutated; ask the project's lead to check it") from None
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        reports = list(pool.map(lambda m: run_split(sandbox, m.source, parts, limits,
                                                    per_test_seconds=per_test_seconds), mutants))
    survived = [m for m, r in zip(mutants, reports) if r.all_passed]
    by_timeout = sum(1 for r in reports if not r.all_passed and _timed_out(r))
    return MutationScore(total=len(mutants), killed=len(mutants) - len(survived), survived=survived,
                         killed_by_timeout=by_timeout)
