"""Mutant generation (pure) and mutation scores of HumanEval tests in the real sandbox."""

from __future__ import annotations

import ast
import gzip
import json

import pytest

from assay.errors import Invalid
from assay.sandbox import BubblewrapSandbox, generate_mutants, mutation_score

REFERENCE = '''
def clip(values, low, high):
    """Keep values within [low, high]."""
    out = []
    for v in values:
        if v < low and not v is None:
            out.append(low)
        elif v > high or False:
            out.append(high)
        else:
            out.append(v * 1 + 0)
    label = "clipped"
    return out
'''


def test_mutants_are_distinct_compile_and_cover_every_operator():
    mutants = generate_mutants(REFERENCE, max_mutants=1000)
    sources = [m.source for m in mutants]
    assert len(set(sources)) == len(sources)
    assert ast.unparse(ast.parse(REFERENCE)) not in sources
    for m in mutants:
        compile(m.source, "m", "exec")
    assert {m.operator for m in mutants} == {"comparison", "arithmetic", "boolean", "constant", "return"}
    descriptions = "\n".join(m.description for m in mutants)
    assert "v < low → v <= low" in descriptions
    assert "v * 1 → v / 1" in descriptions
    assert "'clipped' → ''" in descriptions
    assert "return out → return None" in descriptions
    assert all("Keep values" in m.source for m in mutants)  # docstrings are never mutated


def test_sampling_is_bounded_and_deterministic():
    everything = generate_mutants(REFERENCE, max_mutants=1000)
    first = generate_mutants(REFERENCE, max_mutants=5, seed=1)
    assert len(everything) > 5 and len(first) == 5
    assert first == generate_mutants(REFERENCE, max_mutants=5, seed=1)
    assert [m.source for m in first] == [m.source for m in everything if m in first]  # source order kept


def _problem(shared_data, task_id: str) -> dict:
    with gzip.open(shared_data / "humaneval" / "HumanEval.jsonl.gz", "rt") as f:
        return next(p for p in map(json.loads, f) if p["task_id"] == task_id)


@pytest.mark.sandbox
@pytest.mark.parametrize(("task_id", "trivial"), [
    ("HumanEval/0", "def check(candidate):\n    assert candidate([1.0, 5.0], 0.5) is False\n"),
    ("HumanEval/3", "def check(candidate):\n    assert candidate([]) is False\n"),
])
@pytest.mark.slow
def test_good_tests_kill_most_mutants_and_a_trivial_test_few(shared_data, task_id, trivial):
    p = _problem(shared_data, task_id)
    box = BubblewrapSandbox()
    reference = p["prompt"] + p["canonical_solution"]
    good = mutation_score(box, reference, p["test"], "check", entry_point=p["entry_point"], workers=2)
    weak = mutation_score(box, reference, trivial, "check", entry_point=p["entry_point"], workers=2)
    assert good.total == weak.total > 3
    assert good.score >= 0.75, [m.description for m in good.survived]
    assert weak.score < good.score
    assert len(weak.survived) >= 2


@pytest.mark.sandbox
@pytest.mark.slow
def test_a_hanging_mutant_counts_as_killed_by_timeout():
    reference = "def count_down(n):\n    steps = 0\n    while n > 0:\n        n -= 1\n        steps += 1\n    return steps\n"
    score = mutation_score(BubblewrapSandbox(), reference, "assert count_down(3) == 3\n", "assert",
                           workers=2, per_test_seconds=1)
    assert score.killed_by_timeout >= 1  # e.g. n -= 1 → n += 1 never ends
    assert score.killed >= score.killed_by_timeout


@pytest.mark.sandbox
def test_tests_that_fail_on_the_reference_are_rejected():
    with pytest.raises(Invalid, match="do not pass on the reference"):
        mutation_score(BubblewrapSandbox(), "def f():\n    return 1\n", "assert f() == 2\n", "assert")
