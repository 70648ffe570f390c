"""bench/ is a client of the code, never of the tests: no bench file imports the `tests` package (the
load harness the two share lives in bench/annotation_server/harness.py)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_no_bench_file_imports_tests() -> None:
    files = sorted((ROOT / "bench").rglob("*.py"))
    assert len(files) > 10  # the scan sees the bench scripts
    offenders = {str(f.relative_to(ROOT)): sorted(m for m in imported_modules(f)
                                                  if m == "tests" or m.startswith("tests."))
                 for f in files}
    assert {f: m for f, m in offenders.items() if m} == {}


def test_the_shared_harness_is_importable_from_bench() -> None:
    from bench.annotation_server import harness

    assert harness.ROOT == ROOT and callable(harness.run_load)
