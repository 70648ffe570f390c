"""Readers of record formats (Assay JSONL, Anthropic HH, chat formats, code benchmarks). Pure.

Public API:

- `read_records(path, fmt="auto", *, on_divergence="keep", max_line_bytes=10 MB,
  with_reference_as_completion=False, stats=None) -> Iterator[Record]`
- `load_records(path, fmt="auto", **kw) -> list[Record]` (all-or-nothing)
- `oasst_best_paths(path) -> Iterator[Record]` (SFT of OpenAssistant best paths)
- `code_test_program(task, solution, which="visible" | "hidden" | "all") -> str`
- `ReadStats` (counts of rows, records and what was skipped), `FORMATS`, `sniff`
"""

from assay.formats.checks import ReadStats
from assay.formats.code_tests import code_test_program
from assay.formats.reader import FORMATS, load_records, oasst_best_paths, read_records, sniff
from assay.formats.rows import DEFAULT_MAX_LINE_BYTES

__all__ = [
    "DEFAULT_MAX_LINE_BYTES",
    "FORMATS",
    "ReadStats",
    "code_test_program",
    "load_records",
    "oasst_best_paths",
    "read_records",
    "sniff",
]
