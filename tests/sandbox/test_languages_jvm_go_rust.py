"""Java, Go and Rust in the language framework (the JavaScript/C++ tests' pattern, in the real sandbox):
right, wrong and broken solutions (a failed test is `failed` with the assertion, a compiler error is
`compile_error`), an early exit with status 0 does not pass, mutation scores on token-level mutants, and
a missing toolchain (Go's prepared cache too) is `unavailable` with nothing run."""

from __future__ import annotations

import pytest

from assay.errors import Unavailable
from assay.sandbox import BubblewrapSandbox, Limits
from assay.sandbox.languages import REGISTRY, Language, availability, language
from assay.sandbox.languages.spec import Toolchain
from assay.sandbox.program import run_program
from assay.sandbox.program_mutation import program_mutation_score
from tests.sandbox.conftest import require_language

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]  # compiles and attack replays: tens of seconds, out of the fast loop
LIMITS = Limits(cpu_seconds=5, wall_seconds=10, memory_bytes=512 << 20)

JAVA_TESTS = ("public class Main {\n    public static void main(String[] args) {\n        Solution s = new Solution();\n"
              "        if (s.add(2, 3) != 5) throw new AssertionError(\"add(2, 3)\");\n    }\n}\n")
GO_TESTS = "func TestAdd(t *testing.T) {\n    assert.Equal(t, 5, Add(2, 3))\n}\n"
RUST_TESTS = ("#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn test_add() {\n"
              "        assert_eq!(add(2, 3), 5);\n    }\n}\n")
ADD = {
    "java": ("class Solution {\n    int add(int a, int b) { return a + b; }\n}\n",
             "class Solution {\n    int add(int a, int b) { return a - b; }\n}\n", JAVA_TESTS,
             "class Solution {\n    int add(int a, int b) { return a + b }\n}\n"),
    "go": ("func Add(a, b int) int {\n    return a + b\n}\n", "func Add(a, b int) int {\n    return a - b\n}\n",
           GO_TESTS, "func Add(a, b int) int {\n    return a + \n}\n"),
    "rust": ("fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n", "fn add(a: i32, b: i32) -> i32 {\n    a - b\n}\n",
             RUST_TESTS, "fn add(a: i32, b: i32) -> i32 {\n    a + \n}\n"),
}
EARLY_EXIT = {
    "java": "class Solution {\n    int add(int a, int b) { System.exit(0); return 0; }\n}\n",
    "go": 'import "os"\nfunc Add(a, b int) int {\n    os.Exit(0)\n    return 0\n}\n',
    "rust": "fn add(a: i32, b: i32) -> i32 {\n    std::process::exit(0)\n}\n",
}


@pytest.mark.parametrize("name", sorted(ADD))
def test_right_wrong_and_broken_solutions(sandbox: BubblewrapSandbox, name: str) -> None:
    require_language(name)
    good, bad, tests, broken = ADD[name]
    passed = run_program(sandbox, name, good, tests, LIMITS)
    assert passed.status == "passed", passed
    failed = run_program(sandbox, name, bad, tests, LIMITS)
    assert failed.status == "failed", failed
    assert ("ssert" in failed.message or "Error" in failed.message), failed
    result = run_program(sandbox, name, broken, tests, LIMITS)
    assert result.status == "compile_error", result
    assert "error" in result.message.lower() and result.run_seconds is None


@pytest.mark.parametrize("name", sorted(EARLY_EXIT))
def test_an_early_exit_with_status_zero_does_not_pass(sandbox: BubblewrapSandbox, name: str) -> None:
    require_language(name)
    result = run_program(sandbox, name, EARLY_EXIT[name], ADD[name][2], LIMITS)
    assert result.status == "failed" and "before all tests ran" in result.message, result


def test_java_assert_statements_count() -> None:
    sandbox = BubblewrapSandbox()
    require_language("java")
    tests = ("public class Main {\n    public static void main(String[] args) {\n"
             "        assert new Solution().add(2, 3) == 6 : \"two and three\";\n    }\n}\n")
    result = run_program(sandbox, "java", ADD["java"][0], tests, LIMITS)
    assert result.status == "failed" and "two and three" in result.message, result


def test_go_imports_are_merged_and_testify_needs_no_import() -> None:
    program = language("go").assemble('import (\n    "math"\n    "strings"\n    "sort"\n)\nfunc F() { math.Abs(strings.Count("", "")) }\n',
                                      'import "strings"\nfunc TestF(t *testing.T) {}\n', "n")
    assert program.startswith("package main\n") and program.count('"strings"') == 1 and '"math"' in program
    assert '"github.com/stretchr/testify/assert"' in program and "ASSAY-END-n" in program
    assert '"sort"' not in program  # unused: Go would refuse it (HumanEval-X's prompts import unused packages)


JAVA_REF = """import java.util.*;

class Solution {
    public int countBelow(List<Integer> xs, int limit) {
        int n = 0;
        for (int i = 0; i < xs.size(); i++) {
            if (xs.get(i) < limit && xs.get(i) != -1) n += 1;
        }
        return n;
    }
}
"""
RUST_REF = """fn count_below(xs: Vec<i32>, limit: i32) -> i32 {
    let mut n = 0;
    for i in 0..xs.len() {
        if xs[i] < limit && xs[i] != -1 {
            n += 1;
        }
    }
    return n;
}
"""
GO_REF = """func CountBelow(xs []int, limit int) int {
    n := 0
    for i := 0; i < len(xs); i++ {
        if xs[i] < limit && xs[i] != -1 {
            n += 1
        }
    }
    return n
}
"""


def _java_tests(*checks: str) -> str:
    body = "".join(f"        if (!({c})) throw new AssertionError(\"{c}\");\n" for c in checks)
    return ("public class Main {\n    public static void main(String[] args) {\n        Solution s = new Solution();\n"
            f"{body}    }}\n}}\n")


def _rust_tests(*checks: str) -> str:
    body = "".join(f"        assert!({c});\n" for c in checks)
    return f"#[cfg(test)]\nmod tests {{\n    use super::*;\n\n    #[test]\n    fn test_count() {{\n{body}    }}\n}}\n"


def _go_tests(*checks: str) -> str:
    return "func TestCountBelow(t *testing.T) {\n" + "".join(f"    assert.True(t, {c})\n" for c in checks) + "}\n"


@pytest.mark.slow  # a compile per mutant: about 1 s each
@pytest.mark.parametrize("name,reference,weak,strong", [
    ("java", JAVA_REF, _java_tests("s.countBelow(Arrays.asList(1, 5), 3) >= 0"),
     _java_tests("s.countBelow(Arrays.asList(1, 5, 3), 3) == 1", "s.countBelow(new ArrayList<>(), 3) == 0",
                 "s.countBelow(Arrays.asList(2, 2, -1), 3) == 2")),
    ("go", GO_REF, _go_tests("CountBelow([]int{1, 5}, 3) >= 0"),
     _go_tests("CountBelow([]int{1, 5, 3}, 3) == 1", "CountBelow([]int{}, 3) == 0",
               "CountBelow([]int{2, 2, -1}, 3) == 2")),
    ("rust", RUST_REF, _rust_tests("count_below(vec![1, 5], 3) >= 0"),
     _rust_tests("count_below(vec![1, 5, 3], 3) == 1", "count_below(vec![], 3) == 0",
                 "count_below(vec![2, 2, -1], 3) == 2")),
])
def test_stronger_tests_kill_more_mutants(sandbox: BubblewrapSandbox, name: str, reference: str, weak: str,
                                          strong: str) -> None:
    require_language(name)
    low = program_mutation_score(sandbox, name, reference, weak, LIMITS, max_mutants=12, workers=2)
    high = program_mutation_score(sandbox, name, reference, strong, LIMITS, max_mutants=12, workers=2)
    assert high.total == low.total > 0
    assert high.score > low.score and high.score >= 0.75, (low, high)


@pytest.mark.parametrize("name", ["java", "go", "rust"])
def test_a_missing_toolchain_is_unavailable_and_nothing_runs(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    def gone() -> Toolchain:
        raise Unavailable(f"{name} is not installed on this server; install it with `apt-get install -y ...`")

    class Refuses:
        def run(self, *args: object) -> None:
            raise AssertionError("nothing may run without the toolchain")

    real: Language = language(name)
    monkeypatch.setitem(REGISTRY, name, Language(**{**real.__dict__, "locate": gone}))
    result = run_program(Refuses(), name, ADD[name][0], ADD[name][2], LIMITS)  # type: ignore[arg-type]
    assert result.status == "unavailable" and "apt-get install" in result.message
    assert availability()[name] is not None


@pytest.mark.parametrize("name", ["go", "rust"])
def test_without_the_prepared_cache_go_and_rust_are_unavailable(monkeypatch: pytest.MonkeyPatch, tmp_path: object,
                                                                name: str) -> None:
    monkeypatch.setenv("ASSAY_TOOLCHAINS", str(tmp_path))  # an empty cache: no vendored testify, no crates
    problem = language(name).available()
    assert problem is not None and "scripts/toolchains.sh" in problem


def test_rust_crates_the_humaneval_x_tasks_use_are_there(sandbox: BubblewrapSandbox) -> None:
    require_language("rust")
    solution = ("use rand::Rng;\nuse regex::Regex;\n\nfn add(a: i32, b: i32) -> i32 {\n"
                "    let _ = Regex::new(\"a+\").unwrap();\n    let _ = md5::compute(b\"x\");\n"
                "    let _ = rand::thread_rng().gen_range(0..2);\n    a + b\n}\n")
    result = run_program(sandbox, "rust", solution, RUST_TESTS, LIMITS)
    assert result.status == "passed", result
