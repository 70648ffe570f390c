"""Code benchmarks as code records: HumanEval, HumanEval+ (evalplus release) and MBPP (sanitized).

Each row becomes a `Record` whose one user message asks for the solution and whose `code` is a `CodeTask`
(see `assay.formats.code_tests` for how tests are split and run). Records carry no completions unless
`with_reference_as_completion=True`, which adds the reference solution as one completion (model
``reference``). `external_id` is the source `task_id` as a string ("HumanEval/0", "2" for MBPP).
"""

from __future__ import annotations

import ast
from typing import Any

from assay.domain.records import CodeTask, Completion, Message, Record
from assay.formats.checks import Options, Where, as_list, as_str, describe, req_str, require, source_id
from assay.formats.code_tests import parse_python, plus_tests, split_check


def _record(
    where: Where, rid: str, task: CodeTask, message: str, opts: Options, metadata: dict[str, Any]
) -> Record:
    completions = (
        [Completion(text=task.reference_solution, model="reference")]
        if opts.with_reference_as_completion
        else []
    )
    return Record(
        external_id=rid,
        messages=[Message(role="user", content=message)],
        completions=completions,
        metadata=metadata,
        code=task,
        source=where.source,
    )


def _humaneval_message(prompt: str) -> str:
    return f"Complete the following Python function.\n\n```python\n{prompt.rstrip()}\n```"


def from_humaneval(where: Where, row: dict[str, Any], opts: Options) -> Record:
    """HumanEval and HumanEval+: reference = prompt + canonical_solution; tests split by `split_check`.
    For HumanEval+ rows (with `plus_input`) the hidden tests also compare the candidate with the reference
    on every extra input."""
    prompt = req_str(row, "prompt", where)
    entry_point = req_str(row, "entry_point", where)
    reference = prompt + req_str(row, "canonical_solution", where)
    test = req_str(row, "test", where)
    try:
        visible, hidden = split_check(test, entry_point)
    except SyntaxError as e:
        raise where.invalid(f"the test code does not parse: {e.msg} (line {e.lineno})", "test")
    dataset = "humaneval"
    if row.get("plus_input") is not None:
        dataset = "humaneval_plus"
        atol = row.get("atol") or 0
        if isinstance(atol, bool) or not isinstance(atol, (int, float)):
            raise where.invalid(f"expected a number, got {describe(atol)}", "atol")
        plus = as_list(row["plus_input"], where, "plus_input")
        hidden = hidden.rstrip() + "\n\n" + plus_tests(plus, reference, entry_point, atol)
    task = CodeTask(
        problem=prompt,
        language="python",
        entry_point=entry_point,
        visible_tests=visible,
        hidden_tests=hidden,
        reference_solution=reference,
    )
    rid = source_id(row, "task_id", where)
    return _record(where, rid, task, _humaneval_message(prompt), opts, {"dataset": dataset, "task_id": rid})


def _mbpp_entry_point(code: str, asserts: list[str], where: Where) -> str:
    """The function the tests call that the reference defines (first one called in the first assert)."""
    try:
        defined = [
            n.name
            for n in parse_python(code).body
            if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        ]
    except SyntaxError as e:
        raise where.invalid(f"the reference code does not parse: {e.msg} (line {e.lineno})", "code")
    for i, a in enumerate(asserts):
        try:
            tree = parse_python(a)
        except SyntaxError as e:
            raise where.invalid(f"the test does not parse: {e.msg}", f"test_list[{i}]")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in defined:
                return node.func.id
    if not defined:
        raise where.invalid("the reference code defines no function", "code")
    return defined[0]


def from_mbpp(where: Where, row: dict[str, Any], opts: Options) -> Record:
    """MBPP (sanitized; `text` is accepted for the original release's `prompt`): `test_list` asserts, with
    `test_imports` in front of each part; the first assert is visible, the rest hidden (a task with a single
    assert repeats it as the hidden part)."""
    prompt = req_str(row, "prompt" if "prompt" in row else "text", where)
    code = req_str(row, "code", where)
    asserts = [
        as_str(a, where, f"test_list[{i}]")
        for i, a in enumerate(as_list(require(row, "test_list", where), where, "test_list"))
    ]
    if not asserts:
        raise where.invalid("expected at least one assert", "test_list")
    imports = [
        as_str(a, where, f"test_imports[{i}]")
        for i, a in enumerate(as_list(row.get("test_imports") or [], where, "test_imports"))
    ]
    entry_point = _mbpp_entry_point(code, asserts, where)
    visible = "\n".join(imports + asserts[:1]) + "\n"
    hidden = "\n".join(imports + (asserts[1:] or asserts[:1])) + "\n"
    task = CodeTask(
        problem=prompt,
        language="python",
        entry_point=entry_point,
        visible_tests=visible,
        hidden_tests=hidden,
        reference_solution=code,
    )
    message = (
        f"{prompt.strip()}\n\nWrite it in Python as a function named `{entry_point}`. "
        f"Your code should pass this test:\n\n```python\n{asserts[0]}\n```"
    )
    rid = source_id(row, "task_id", where)
    return _record(where, rid, task, message, opts, {"dataset": "mbpp", "task_id": rid})
