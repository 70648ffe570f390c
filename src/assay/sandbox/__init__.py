"""Running untrusted (AI-written) code, only ever inside a sandbox.

- `Sandbox` (protocol), `Limits`, `RunResult` — `assay.sandbox.interface`
- `BubblewrapSandbox`, `find_python` — the real sandbox (`assay.sandbox.bubblewrap`)
- `run_tests`, `TestReport`, `TestOutcome` — per-test results for Python (`assay.sandbox.harness`)
- `RunQueue`, `QueuedSandbox` — bounded, per-user-fair concurrency (`assay.sandbox.queue`)
- `generate_mutants`, `mutation_score`, `MutationScore`, `Mutant` — `assay.sandbox.mutation`

Importing this package starts nothing; a missing bubblewrap surfaces as `assay.errors.Unavailable`
on the first run.
"""

from assay.sandbox.bubblewrap import BubblewrapSandbox, find_python
from assay.sandbox.harness import TestOutcome, TestReport, run_split, run_tests
from assay.sandbox.interface import Limits, RunResult, Sandbox
from assay.sandbox.mutation import Mutant, MutationScore, generate_mutants, mutation_score
from assay.sandbox.queue import QueuedSandbox, RunQueue, Ticket
from assay.sandbox.splitting import SplitTests, TestCase, split_tests

__all__ = [
    "BubblewrapSandbox", "Limits", "Mutant", "MutationScore", "QueuedSandbox", "RunQueue", "RunResult",
    "Sandbox", "SplitTests", "TestCase", "TestOutcome", "TestReport", "Ticket", "find_python",
    "generate_mutants", "mutation_score", "run_split", "run_tests", "split_tests",
]
