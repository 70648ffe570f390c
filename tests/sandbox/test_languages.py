"""The language framework: each registered language compiles (when compiled) and runs in the real sandbox
with its own phase limits; compile errors come back as `compile_error` with the compiler's message; a
missing toolchain is `unavailable` and nothing runs."""

from __future__ import annotations

import pytest

from assay.errors import Invalid, Unavailable
from assay.sandbox import BubblewrapSandbox, Limits
from assay.sandbox.languages import REGISTRY, Language, Toolchain, availability, language, normalize
from assay.sandbox.program import compile_limits, run_program
from tests.sandbox.conftest import require_language

pytestmark = pytest.mark.sandbox
LIMITS = Limits(cpu_seconds=5, wall_seconds=10, memory_bytes=512 << 20)

ADD = {
    "python": ("def add(a, b):\n    return a + b\n", "def add(a, b):\n    return a - b\n", "assert add(2, 3) == 5\n",
               "def add(a, b) return a\n"),
    "javascript": ("const add = (a, b) => a + b;", "const add = (a, b) => a - b;", "console.assert(add(2, 3) === 5)",
                   "const add = (a, b) => { return a + ; };"),
    "typescript": ("const add = (a: number, b: number): number => a + b;",
                   "const add = (a: number, b: number): number => a - b;", "console.assert(add(2, 3) === 5)",
                   "const add = (a: number, b: number): string => a + b;"),
    "cpp": ("int add(int a, int b) { return a + b; }", "int add(int a, int b) { return a - b; }",
            "int main() {\n    assert(add(2, 3) == 5);\n}", "int add(int a, int b) { return a + b }"),
}


def test_every_language_is_registered_once_with_its_aliases() -> None:
    assert set(REGISTRY) == {"python", "javascript", "typescript", "cpp", "java", "go", "rust"}
    assert normalize("JS") == "javascript" and normalize("c++") == "cpp" and normalize("ts") == "typescript"
    with pytest.raises(Invalid, match="unknown language"):
        normalize("cobol")


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n == "typescript" else n  # tsc: ~4 s
                                  for n in sorted(ADD)])
def test_right_wrong_and_broken_solutions(sandbox: BubblewrapSandbox, name: str) -> None:
    require_language(name)
    good, bad, tests, broken = ADD[name]
    assert run_program(sandbox, name, good, tests, LIMITS).status == "passed"
    failed = run_program(sandbox, name, bad, tests, LIMITS)
    assert failed.status == "failed", failed
    assert "ssert" in failed.message
    if language(name).compiled:
        result = run_program(sandbox, name, broken, tests, LIMITS)
        assert result.status == "compile_error", result
        assert "error" in result.message and result.run_seconds is None


@pytest.mark.parametrize("name,early_exit", [
    ("javascript", "const add = (a, b) => { process.exit(0); };"),
    ("cpp", "#include <cstdlib>\nint add(int a, int b) { std::exit(0); }"),
    ("python", "import os\ndef add(a, b):\n    os._exit(0)\n"),
])
def test_an_early_exit_with_status_zero_does_not_pass(sandbox: BubblewrapSandbox, name: str, early_exit: str) -> None:
    require_language(name)
    result = run_program(sandbox, name, early_exit, ADD[name][2], LIMITS)
    assert result.status == "failed" and "before all tests ran" in result.message


def test_javascript_console_assert_failure_counts(sandbox: BubblewrapSandbox) -> None:
    """In plain Node a failed console.assert only prints; here it fails the run (HumanEval-X's trap)."""
    require_language("javascript")
    result = run_program(sandbox, "javascript", "", "console.assert(1 === 2, 'one is not two')", LIMITS)
    assert result.status == "failed" and "one is not two" in result.message


def test_compile_phase_has_its_own_larger_limits() -> None:
    run = Limits(cpu_seconds=2, wall_seconds=4, memory_bytes=256 << 20)
    compiling = compile_limits(language("cpp"), run)
    assert compiling.cpu_seconds > run.cpu_seconds and compiling.memory_bytes > run.memory_bytes


def test_a_missing_toolchain_is_unavailable_and_nothing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    def gone() -> Toolchain:
        raise Unavailable("/usr/bin/g++ is not installed on this server; install it with `apt-get install -y g++`")

    class Refuses:
        def run(self, *args: object) -> None:
            raise AssertionError("nothing may run without the toolchain")

    fake: Language = language("cpp")
    monkeypatch.setitem(REGISTRY, "cpp", Language(**{**fake.__dict__, "locate": gone}))
    result = run_program(Refuses(), "cpp", "", "int main() {}", LIMITS)  # type: ignore[arg-type]
    assert result.status == "unavailable" and "apt-get install" in result.message
    assert availability()["cpp"] is not None
