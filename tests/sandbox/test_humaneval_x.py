"""HumanEval-X in JavaScript, C++, Java, Go and Rust: every row imports as a code task in its language (format sniffed),
and every canonical solution passes its tests in the real sandbox, except the listed ones.

Exceptions (the canonical solution itself is wrong; upstream never noticed because Node's console.assert
only prints, and here a failed console.assert fails the run):
- JavaScript/112: `return (z, false)` is the comma operator and returns `false`, not the pair.
- JavaScript/155: `evenOddCount(0)` returns [0, 0]; the test expects [1, 0].
And one of a crate's version: Rust/50's test calls `rand::thread_rng().gen_range(a, b)`, the API of rand 0.4
(upstream's pin); Debian packages rand 0.8, where it is `gen_range(a..b)`, so the program does not compile.
Go/95 is flaky, not wrong by construction: its canonical solution looks at only the first two keys of a map,
whose order Go randomises, so it passes or fails by chance (about 1 run in 8 here fails).

JavaScript and C++ run in full (slow; about 12 s for JavaScript and 60 s for C++ on 2 busy cores: C++
compiles dominate, about 0.7 s of g++ per task). Java: 164/164 in about 115 s (javac about 0.8 s a task);
Go: 164/164 in about 120 s (`go test -c` with the pre-built cache, about 1.4 s a task); Rust: 163/164 in
about 90 s. To keep CI well under 30 minutes, Java, Go and Rust run a fixed, seeded sample of SAMPLE tasks
that always holds the listed exceptions and flaky tasks; ASSAY_HUMANEVAL_X_ALL=1 runs all 164 of every
language (the full figures above come from such runs).
"""

from __future__ import annotations

import os
import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from assay.formats.reader import load_records
from assay.sandbox import BubblewrapSandbox, Limits
from assay.sandbox.program import ProgramResult, run_program
from tests.conftest import SHARED_DATA, require_file
from tests.sandbox.conftest import require_language

DATA = SHARED_DATA / "humaneval-x"
LIMITS = Limits(cpu_seconds=10, wall_seconds=30, memory_bytes=512 << 20)
EXCEPTIONS = {
    "JavaScript/112": "canonical returns `(z, false)` (the comma operator), not a pair",
    "JavaScript/155": "canonical counts no digit for 0; the test expects [1, 0]",
    "Rust/50": "the test calls rand 0.4's gen_range(a, b); Debian packages rand 0.8 (gen_range(a..b))",
}
SAMPLE, SEED = 40, 22
SAMPLED = {"java", "go", "rust"}  # compiled per task, 0.8-1.4 s each: sampled unless ASSAY_HUMANEVAL_X_ALL=1
# canonical solutions whose outcome depends on chance (passing or failing is both accepted)
FLAKY = {
    "Go/95": "the canonical stops after the second key of a map, and Go's map order is random: it passes or "
             "fails depending on which two keys come first",
}


@pytest.mark.parametrize("lang,language", [("js", "javascript"), ("cpp", "cpp"), ("java", "java"), ("go", "go"),
                                           ("rust", "rust")])
def test_rows_import_as_code_tasks_in_their_language(lang: str, language: str) -> None:
    records = load_records(require_file(DATA / f"humaneval_{lang}.jsonl.gz"))  # format sniffed: humaneval_x
    assert len(records) == 164
    assert {r.code.language for r in records if r.code} == {language}
    first = records[0].code
    assert first is not None and first.entry_point.lower() in ("hascloseelements", "has_close_elements")
    assert first.hidden_tests and first.visible_tests and first.reference_solution.startswith(first.problem)
    assert load_records(DATA / f"humaneval_{lang}.jsonl.gz", fmt="humaneval-x")[5].external_id == records[5].external_id


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("lang", ["js", "cpp", "java", "go", "rust"])
def test_every_canonical_solution_passes(sandbox: BubblewrapSandbox, lang: str) -> None:
    records = load_records(require_file(DATA / f"humaneval_{lang}.jsonl.gz"))
    require_language(records[0].code.language if records[0].code else "")
    if lang in SAMPLED and os.environ.get("ASSAY_HUMANEVAL_X_ALL") != "1":
        listed = [r for r in records if r.external_id in EXCEPTIONS or r.external_id in FLAKY]
        rest = [r for r in records if r not in listed]
        records = listed + random.Random(SEED).sample(rest, SAMPLE)

    def run(record: object) -> tuple[str, ProgramResult]:
        code = record.code  # type: ignore[attr-defined]
        return record.external_id, run_program(sandbox, code.language, code.reference_solution,  # type: ignore[attr-defined]
                                               code.hidden_tests, LIMITS)

    started = time.monotonic()
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        results = dict(pool.map(run, records))
    took = time.monotonic() - started
    failing = {rid: f"{r.status}: {r.message[:300]}" for rid, r in results.items() if not r.passed}
    unexpected = {rid: why for rid, why in failing.items() if rid not in EXCEPTIONS and rid not in FLAKY}
    assert not unexpected, unexpected
    assert {rid for rid in EXCEPTIONS if rid in results} <= set(failing), "an exception passes now: update the list"
    print(f"humaneval-x {lang}: {len(results) - len(failing)}/{len(results)} canonical solutions pass in {took:.1f} s")
