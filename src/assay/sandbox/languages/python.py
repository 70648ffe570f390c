"""Python: interpreted, tests are plain `assert`s (the per-test harness of `assay.sandbox.harness` is the
richer path the code-review question uses; this entry runs a solution and its tests as one script)."""

from __future__ import annotations

from assay.sandbox.languages.spec import Language, Toolchain, end_marker


def _assemble(solution: str, tests: str, nonce: str) -> str:
    return f"{solution.rstrip()}\n\n{tests.rstrip()}\n\nprint({end_marker(nonce)!r})\n"


def _locate() -> Toolchain:
    from assay.sandbox.bubblewrap import find_python  # the sandbox's own interpreter choice

    return Toolchain(tools={"python": find_python()})


PYTHON = Language(
    name="python", title="Python", source_file="main.py", run_command=("{python}", "-I", "-S", "main.py"),
    assemble=_assemble, locate=_locate, lexer="python", aliases=("py", "python3"), fence=("python", "py"),
    comment="#",
    test_idiom="Plain `assert` statements, or `def test_*()` functions holding them.",
    example_tests="assert add(2, 3) == 5\nassert add(-1, 1) == 0\n",
)
