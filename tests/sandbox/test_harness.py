"""Per-test results from the real sandbox, including whole-run failures and a lying candidate."""

from __future__ import annotations

import pytest

from assay.sandbox import BubblewrapSandbox, Limits, run_tests

pytestmark = pytest.mark.sandbox

ADD = "def add(a, b):\n    print('adding', a, b)\n    return a + b\n"


def test_assert_style_reports_each_test_with_output(sandbox: BubblewrapSandbox):
    r = run_tests(sandbox, ADD, "assert add(1, 2) == 3\nassert add(2, 2) == 5\nassert add(None, 1) == 1\n", "assert")
    assert r.status == "completed"
    assert [(t.name, t.status) for t in r.tests] == [("assert_1", "passed"), ("assert_2", "failed"),
                                                    ("assert_3", "error")]
    assert r.tests[0].output == "adding 1 2\n"
    assert "AssertionError" in r.tests[1].message
    assert "TypeError" in r.tests[2].message
    assert r.counts == {"passed": 1, "failed": 1, "error": 1} and not r.all_passed


def test_check_style_with_entry_point(sandbox):
    tests = "def check(candidate):\n    assert candidate(1, 1) == 2\n    assert candidate(0, 0) == 0\n"
    r = run_tests(sandbox, ADD, tests, "check", entry_point="add")
    assert r.all_passed and len(r.tests) == 2


def test_pytest_style_can_import_the_solution(sandbox):
    tests = "from solution import add\n\ndef test_small():\n    assert add(1, 2) == 3\n\n" \
            "def test_uses_global():\n    assert add(-1, 1) == 1\n"
    r = run_tests(sandbox, ADD, tests, "pytest")
    assert [(t.name, t.status) for t in r.tests] == [("test_small", "passed"), ("test_uses_global", "failed")]


def test_syntax_error_is_a_setup_error_for_every_test(sandbox):
    r = run_tests(sandbox, "def add(a, b)\n    return a + b\n", "assert add(1, 2) == 3\n", "assert")
    assert r.status == "setup_error" and "SyntaxError" in r.message
    assert [t.status for t in r.tests] == ["error"]
    assert r.tests[0].message.startswith("not run: the solution failed to load")


@pytest.mark.slow
def test_hanging_test_times_out_alone_and_others_still_run(sandbox):
    solution = "def f(x):\n    while x == 0:\n        pass\n    return x\n"
    r = run_tests(sandbox, solution, "assert f(1) == 1\nassert f(0) == 0\nassert f(2) == 2\n", "assert",
                  per_test_seconds=1)
    assert [t.status for t in r.tests] == ["passed", "error", "passed"]
    assert r.tests[1].message.startswith("timed out")


@pytest.mark.slow
def test_whole_run_timeout_is_reported(sandbox):
    solution = "import time\ndef f():\n    time.sleep(30)\n"
    r = run_tests(sandbox, solution, "assert f() is None\n", "assert", Limits(wall_seconds=1.5), per_test_seconds=20)
    assert r.status == "timed_out" and [t.status for t in r.tests] == ["error"]
    assert "not run: timed out" in r.tests[0].message


def test_crash_mid_run_keeps_earlier_results(sandbox):
    solution = "import os\ndef f(x):\n    if x == 2:\n        os._exit(3)\n    return x\n"
    r = run_tests(sandbox, solution, "assert f(1) == 1\nassert f(2) == 2\nassert f(3) == 3\n", "assert")
    assert r.status == "crashed" and "exited with code 3" in r.message
    assert [t.status for t in r.tests] == ["passed", "error", "error"]


def test_exit_and_stdout_noise_do_not_confuse_results(sandbox):
    solution = 'print(\'{"kind": "end"}\')\ndef f():\n    raise SystemExit(0)\n'
    r = run_tests(sandbox, solution, "assert f() is None\n", "assert")
    assert r.status == "completed" and r.tests[0].status == "error" and "exit" in r.tests[0].message


def test_forged_report_lines_without_the_nonce_are_ignored(sandbox):
    solution = (
        "import os\nfd = int(os.environ['ASSAY_REPORT_FD'])\n"
        "os.write(fd, b'{\"kind\": \"test\", \"name\": \"assert_1\", \"status\": \"passed\"}\\n')\n"
        "os.write(fd, b'not json\\n')\n"
        "def f():\n    return 1\n"
    )
    r = run_tests(sandbox, solution, "assert f() == 2\n", "assert")
    assert r.tests[0].status == "failed"
    assert r.ignored_report_lines == 2


def test_memory_error_in_a_test_is_an_error(sandbox):
    solution = "def f():\n    return bytearray(4 << 30)\n"
    r = run_tests(sandbox, solution, "assert f()\nassert 1 == 1\n", "assert", Limits(memory_bytes=512 << 20))
    assert [t.status for t in r.tests] == ["error", "passed"]
    assert "MemoryError" in r.tests[0].message
