"""No code outside `assay.domain` reads an answer by string key: readers use the typed answers.

An AST scan of `src/assay` (except `domain/`). A read is a subscript in load context, a `.get(...)`, or an
`in` test, with a string-constant key naming an answer field. It counts as an answer read when

- the key only ever names an answer field (`choice`, `strength`, `verdicts`, `per_completion`,
  `none_found`), whatever the object is (except a question's `options`), or
- the key is any answer field and the object is named like an answer (`answer`, `answers`, `ans`, `a`,
  `gold`) or is itself an item of an `answers` mapping (`ann.answers[q.name]["text"]`);

and the object is not a question's `options` (option names such as `per_completion` repeat field names).

`EDGES` lists the modules that turn raw outside input into answers (they read that input by key before
it is an answer) with the reason; nothing else may.
"""

from __future__ import annotations

import ast
from pathlib import Path

import assay

SRC = Path(assay.__file__).parent
ANSWER_FIELDS = {"choice", "strength", "order", "scores", "labels", "per_completion", "text", "base", "spans",
                 "none_found", "verdicts", "preference", "tests", "rationale"}
ONLY_ANSWER_FIELDS = {"choice", "strength", "verdicts", "per_completion", "none_found"}
ANSWER_NAMES = {"answer", "answers", "ans", "a", "gold"}
EDGES = {
    "llm/judge_parse.py": "parses a model's raw JSON reply into an answer",
    "llm/fake_replies.py": "the fake model server writes raw JSON replies",
}


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _container(node: ast.AST) -> ast.AST | None:
    """The object a subscript or `.get(...)` reads from, else None."""
    if isinstance(node, ast.Subscript):
        return node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return node.func.value
    return None


OPTIONS_NAMES = {"options", "opts"}  # `opts = q.options` (formats/ and exporters/label_studio.py)


def _is_options(target: ast.AST) -> bool:
    """A question's options (`q.options`, `opts`, `(q.options or {})`, `j.options[name]`), where option names
    share some field names (`per_completion` is an option of a labels question, not an answer read)."""
    if isinstance(target, ast.BoolOp) and isinstance(target.op, ast.Or):  # `(q.options or {})["per_completion"]`
        return _is_options(target.values[0])
    inner = _container(target)
    return _name(target) in OPTIONS_NAMES or (inner is not None and _name(inner) in OPTIONS_NAMES)


def _is_answer(target: ast.AST) -> bool:
    if _name(target) in ANSWER_NAMES:
        return True
    inner = _container(target)
    return inner is not None and _name(inner) == "answers"


def _reads(tree: ast.AST) -> list[tuple[int, str, ast.AST]]:
    """(line, key, object) of every keyed read with a string-constant key."""
    out: list[tuple[int, str, ast.AST]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                out.append((node.lineno, key.value, node.value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                out.append((node.lineno, node.args[0].value, node.func.value))
        elif (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In | ast.NotIn)
              and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)):
            out.append((node.lineno, node.left.value, node.comparators[0]))
    return out


def answer_reads(root: Path) -> list[str]:
    """`path:line: object[key]` for every answer read by string key under `root` outside domain/ and EDGES."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("domain/") or rel in EDGES:
            continue
        for line, key, target in _reads(ast.parse(path.read_text(encoding="utf-8"))):
            if key not in ANSWER_FIELDS or _is_options(target):
                continue
            if key in ONLY_ANSWER_FIELDS or _is_answer(target):
                found.append(f"{rel}:{line}: {ast.unparse(target)}[{key!r}]")
    return found


def test_no_answer_read_by_string_key_outside_domain() -> None:
    assert answer_reads(SRC) == []


def test_the_scan_finds_the_reads_it_forbids(tmp_path: Path) -> None:
    (tmp_path / "domain").mkdir()
    (tmp_path / "domain" / "ok.py").write_text('x = answer["choice"]\n')
    (tmp_path / "m.py").write_text(
        'def f(ann, q, j, obj, answer, options, row):\n'
        '    one = ann.answers[q.name]["text"]\n'
        '    two = answer.get("order")\n'
        '    three = obj["verdicts"]\n'
        '    four = "per_completion" in a\n'
        '    fine = options["per_completion"], q.options.get("per_completion"), j.options[q]["per_completion"]\n'
        '    fine_too = opts.get("per_completion"), (q.options or {})["per_completion"], (a or {})["choice"]\n'
        '    also_fine = row["text"], obj["label"]\n'
        '    answer["choice"] = "a"\n'
    )
    assert answer_reads(tmp_path) == [
        "m.py:2: ann.answers[q.name]['text']",
        "m.py:3: answer['order']",
        "m.py:4: obj['verdicts']",
        "m.py:5: a['per_completion']",
        "m.py:7: a or {}['choice']",  # ast.unparse drops the brackets
    ]
