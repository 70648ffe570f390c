"""Splitting test files into separately reported tests (pure; no sandbox needed)."""

from __future__ import annotations

import pytest

from assay.errors import Invalid
from assay.sandbox import split_tests

CHECK = '''
METADATA = {"author": "x"}
import math

def check(candidate):
    x = 3
    assert candidate(1) == 2
    assert True, "debugging aid"
    y = x + 1
    for i in range(y):
        assert candidate(i) == i + 1
    assert candidate(x) == 4, "three"
'''


def test_assert_style_one_test_per_assert_and_prelude_keeps_the_rest():
    parts = split_tests("import math\nassert f(1) == 2\nassert math.isclose(f(2), 3)\nassert True\n", "assert")
    assert [t.name for t in parts.tests] == ["assert_1", "assert_2"]
    assert parts.tests[1].source == "assert math.isclose(f(2), 3)"
    assert parts.prelude == "import math"


def test_check_style_splits_top_level_asserts_with_preceding_setup():
    parts = split_tests(CHECK, "check", entry_point="inc")
    assert [t.source for t in parts.tests] == [
        "assert candidate(1) == 2",
        "for i in range(y):\n        assert candidate(i) == i + 1",
        'assert candidate(x) == 4, "three"',
    ]
    last = parts.tests[2].code
    assert "x = 3" in last and "y = x + 1" in last and "candidate(1) == 2" not in last
    assert last.rstrip().endswith("check(inc)")
    assert "METADATA" in parts.prelude and "def check" not in parts.prelude


def test_check_style_unsplit_is_one_test():
    parts = split_tests(CHECK, "check", entry_point="inc", split=False)
    assert [t.name for t in parts.tests] == ["check"]


def test_pytest_style_finds_argument_free_test_functions():
    src = "from solution import f\n\ndef test_a():\n    assert f(1)\n\ndef test_b(tmp_path):\n    pass\n\n" \
          "def helper():\n    pass\n\ndef test_c(x=1):\n    assert f(x)\n"
    parts = split_tests(src, "pytest")
    assert [t.name for t in parts.tests] == ["test_a", "test_c"]
    assert parts.prelude == src


@pytest.mark.parametrize(("tests", "style", "entry", "needle"), [
    ("assert (", "assert", None, "line 1"),
    ("x = 1\n", "assert", None, "no tests"),
    ("def check(c):\n    assert c(1)\n", "check", None, "entry point"),
    ("assert f(1)\n", "check", "f", "def check"),
    ("assert f(1)\n", "unittest", None, "unknown test style"),
])
def test_bad_test_files_are_invalid_with_a_reason(tests, style, entry, needle):
    with pytest.raises(Invalid, match=needle):
        split_tests(tests, style, entry_point=entry)
