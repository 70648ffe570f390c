"""Code benchmarks: HumanEval, HumanEval+, MBPP as code records, and the test programs they build.

The programs run here are the datasets' own reference solutions and trivially wrong stubs, run as plain
subprocesses (trusted code); running candidates in the sandbox is the sandbox package's business.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assay.domain.records import CodeTask, Record
from assay.errors import Invalid
from assay.formats import code_test_program, load_records
from assay.formats.code_tests import parse_python

SAMPLE = ["HumanEval/0", "HumanEval/32", "HumanEval/34", "HumanEval/38", "HumanEval/50", "HumanEval/53"]


@pytest.fixture(scope="module")
def humaneval(shared_data: Path) -> dict[str, Record]:
    return {r.external_id: r for r in load_records(shared_data / "humaneval" / "HumanEval.jsonl.gz")}


@pytest.fixture(scope="module")
def humaneval_plus(shared_data: Path) -> dict[str, Record]:
    return {r.external_id: r for r in load_records(shared_data / "humaneval-plus" / "HumanEvalPlus.jsonl.gz")}


@pytest.fixture(scope="module")
def mbpp(shared_data: Path) -> dict[str, Record]:
    return {r.external_id: r for r in load_records(shared_data / "mbpp-sanitized" / "sanitized-mbpp.json")}


def _runs(program: str, tmp_path: Path) -> bool:
    path = tmp_path / "prog.py"
    path.write_text(program, encoding="utf-8")
    return (
        subprocess.run([sys.executable, str(path)], check=False, capture_output=True, timeout=120).returncode
        == 0
    )


def _wrong(task: CodeTask) -> str:
    return f"def {task.entry_point}(*args, **kwargs):\n    return 'wrong'\n"


@pytest.mark.slow
def test_counts_and_fields(humaneval: dict, humaneval_plus: dict, mbpp: dict) -> None:
    assert (len(humaneval), len(humaneval_plus), len(mbpp)) == (164, 164, 427)
    for records, dataset in ((humaneval, "humaneval"), (humaneval_plus, "humaneval_plus"), (mbpp, "mbpp")):
        for r in records.values():
            assert r.code is not None and r.completions == []
            assert r.code.visible_tests.strip() and r.code.hidden_tests.strip()
            assert r.code.entry_point and r.code.language == "python"
            assert r.metadata["dataset"] == dataset
            for tests in (r.code.visible_tests, r.code.hidden_tests, r.code.reference_solution):
                parse_python(tests)  # every part is valid Python on its own
    he0 = humaneval["HumanEval/0"]
    assert he0.code.entry_point == "has_close_elements"
    assert he0.code.reference_solution.startswith(he0.code.problem)
    assert he0.code.problem in he0.messages[0].content
    assert mbpp["2"].code.entry_point == "similar_elements"
    assert "similar_elements" in mbpp["2"].messages[0].content


def test_humaneval_split(humaneval: dict) -> None:
    code = humaneval["HumanEval/0"].code
    # 7 asserts: the first 2 are visible, the other 5 hidden, and each part calls check itself
    assert code.visible_tests.count("assert candidate") == 2
    assert code.hidden_tests.count("assert candidate") == 5
    assert "[1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3" in code.visible_tests
    assert "[1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3" not in code.hidden_tests
    assert code.visible_tests.rstrip().endswith("check(has_close_elements)")
    loop = humaneval["HumanEval/32"].code  # randomized loop only: visible runs it 3 times
    assert "range(3)" in loop.visible_tests and "range(100)" in loop.hidden_tests


@pytest.mark.slow  # reads HumanEval+ (1.4 s): CI runs it
def test_humaneval_plus_adds_extra_inputs(humaneval: dict, humaneval_plus: dict) -> None:
    plain, plus = humaneval["HumanEval/0"].code, humaneval_plus["HumanEval/0"].code
    assert plus.visible_tests == plain.visible_tests
    assert plus.hidden_tests.startswith(plain.hidden_tests.rstrip())
    assert "check_plus(has_close_elements)" in plus.hidden_tests


@pytest.mark.slow
def test_reference_passes_and_stub_fails_on_sample(
    humaneval: dict, humaneval_plus: dict, mbpp: dict, tmp_path: Path
) -> None:
    tasks = [humaneval[k].code for k in SAMPLE] + [
        humaneval_plus["HumanEval/0"].code,
        humaneval_plus["HumanEval/32"].code,
    ]
    tasks += [mbpp[k].code for k in ("2", "3", "17")]
    for task in tasks:
        assert _runs(code_test_program(task, task.reference_solution, "all"), tmp_path), task.entry_point
        assert not _runs(code_test_program(task, _wrong(task), "hidden"), tmp_path), task.entry_point
        assert not _runs(code_test_program(task, _wrong(task), "visible"), tmp_path), task.entry_point


def test_program_prepends_problem_for_body_only_completion(humaneval: dict, tmp_path: Path) -> None:
    task = humaneval["HumanEval/53"].code  # add(x, y)
    body = "    return x + y\n"
    program = code_test_program(task, body)
    assert program.startswith(task.problem)
    assert _runs(program, tmp_path)
    assert not _runs(code_test_program(task, "    return x - y\n", "hidden"), tmp_path)
    with pytest.raises(Invalid, match="which"):
        code_test_program(task, body, "secret")
    with pytest.raises(Invalid, match="no hidden tests"):
        code_test_program(CodeTask(problem="p", visible_tests="assert True"), "x = 1", "hidden")


def test_reference_as_completion_option(shared_data: Path) -> None:
    records = load_records(
        shared_data / "mbpp-sanitized" / "sanitized-mbpp.json", with_reference_as_completion=True
    )
    assert all(
        len(r.completions) == 1 and r.completions[0].text == r.code.reference_solution for r in records
    )


def test_malformed_code_rows(tmp_path: Path) -> None:
    path = tmp_path / "mbpp.jsonl"
    path.write_text('{"task_id": 1, "prompt": "p", "code": "def f(): pass", "test_list": "assert f()"}\n')
    with pytest.raises(Invalid) as e:
        load_records(path)
    assert e.value.details["field"] == "test_list" and "expected a list" in e.value.message


RUNNER = """
import sys, traceback
failed = []
for path in sys.argv[1:]:
    try:
        exec(compile(open(path, encoding="utf-8").read(), path, "exec"), {"__name__": "__main__"})
    except BaseException:
        failed.append(path)
print("\\n".join(failed))
"""


@pytest.mark.slow
def test_every_reference_passes_its_tests(
    humaneval: dict, humaneval_plus: dict, mbpp: dict, tmp_path: Path
) -> None:
    """All 755 reference solutions pass their visible and hidden tests (one process, exec per program)."""
    paths = []
    for name, records in (("he", humaneval), ("hep", humaneval_plus), ("mbpp", mbpp)):
        for i, r in enumerate(records.values()):
            path = tmp_path / f"{name}_{i}.py"
            path.write_text(code_test_program(r.code, r.code.reference_solution, "all"), encoding="utf-8")
            paths.append(str(path))
    out = subprocess.run(
        [sys.executable, "-c", RUNNER, *paths], check=False, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == []
