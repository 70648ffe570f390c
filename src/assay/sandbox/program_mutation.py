"""Mutation scores of tests in any compiled or interpreted language of the registry (`program_mutation_score`),
with the token-level mutants of `assay.sandbox.token_mutation` (Python keeps its AST mutants,
`assay.sandbox.mutation`).

The tests must pass on the reference first (else Invalid, saying only how the run ended: the reference is
hidden from the test author). Each mutant is assembled with the tests, compiled and run in the sandbox, at
most `workers` at once (pass a queued sandbox to share the server's fair queue). A mutant that does not
compile is discarded (counted in `not_compiling`, not in the score); one that fails a test, crashes or
times out is killed (timeouts also counted in `killed_by_timeout`). Survivors may be equivalent mutants.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from assay.errors import Invalid, Unavailable
from assay.sandbox.interface import Limits, Sandbox
from assay.sandbox.mutation import MutationScore
from assay.sandbox.program import ProgramResult, run_program
from assay.sandbox.token_mutation import token_mutants

_ENDINGS = {"failed": "a test failed", "compile_error": "the program did not compile",
            "compile_timeout": "the compiler did not finish", "timed_out": "the run timed out",
            "crashed": "the run ended early"}


@dataclass(frozen=True)
class ProgramMutationScore(MutationScore):
    """`killed` of `total` compiling mutants were caught; `survived` lists the others; mutants that did not
    compile are counted apart (`not_compiling`), never in `total`."""

    not_compiling: int = 0
    language: str = ""
    results: list[str] = field(default_factory=list)


def reference_failure(result: ProgramResult) -> str:
    """How the tests failed on the hidden reference, carrying nothing the run wrote."""
    return _ENDINGS.get(result.status, "the run failed")


def program_mutation_score(sandbox: Sandbox, language: str, reference: str, tests: str, limits: Limits, *,
                           max_mutants: int = 20, seed: int = 0, workers: int | None = None) -> ProgramMutationScore:
    """Score `tests` by the mutants of `reference` they kill (see the module docstring).

    Raises Invalid when the tests do not pass on the reference, Unavailable when the language's toolchain
    is missing here, and whatever `sandbox.run` raises."""
    baseline = run_program(sandbox, language, reference, tests, limits)
    if baseline.status == "unavailable":
        raise Unavailable(baseline.message)
    if not baseline.passed:
        raise Invalid(f"the tests do not pass on the reference solution ({reference_failure(baseline)}); "
                      "fix them before scoring")
    mutants = token_mutants(reference, baseline.language, max_mutants=max_mutants, seed=seed)
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        results = list(pool.map(lambda m: run_program(sandbox, language, m.source, tests, limits), mutants))
    compiled = [(m, r) for m, r in zip(mutants, results) if r.status not in ("compile_error", "unavailable")]
    survived = [m for m, r in compiled if r.passed]
    return ProgramMutationScore(
        total=len(compiled), killed=len(compiled) - len(survived), survived=survived,
        killed_by_timeout=sum(1 for _, r in compiled if r.status == "timed_out"),
        not_compiling=len(mutants) - len(compiled), language=baseline.language,
        results=[r.status for r in results])
