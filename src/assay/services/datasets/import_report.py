"""What an import read and did, as a summary printed by `assay data import` and stored in the version's
manifest (`pipeline["import_report"]`, and an `import` entry in `steps`, so `assay data show` and the explorer
list it like any pipeline step).

The summary: rows read, records imported, rows that gave no record by reason (the reader's own tallies, e.g.
`oasst_deleted_skipped`, `hh_divergent_skipped`), records kept but flagged (`hh_divergent_kept`: the two HH
transcripts differ before the last reply — exports leave them out), empty replies (completions whose text is
empty or whitespace), synthetic replies (OASST `synthetic: true`) and the reader's other counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assay.domain.records import Record
from assay.formats.checks import ReadStats

#: Reader tallies that mean a source row (or message) gave no record; the rest are flags or merges.
SKIP_SUFFIXES = ("_skipped", "_dropped")


def import_report(path: str | Path, fmt: str, stats: ReadStats, records: Sequence[Record]) -> dict[str, Any]:
    """The summary of one import (see the module docstring); plain JSON values."""
    counts = {k: int(v) for k, v in sorted(stats.counts.items()) if v}
    skipped = {k: v for k, v in counts.items() if k.endswith(SKIP_SUFFIXES)}
    other = {k: v for k, v in counts.items() if k not in skipped}
    empty = sum(1 for r in records for c in r.completions if not c.text.strip())
    synthetic = sum(1 for r in records for c in r.completions if c.metadata.get("synthetic"))
    return {"file": Path(path).name, "format": fmt, "rows_read": stats.rows, "records_imported": len(records),
            "skipped": skipped, "divergent_pairs": counts.get("hh_divergent_kept", 0) + counts.get(
                "hh_divergent_skipped", 0), "empty_replies": empty, "synthetic_replies": synthetic,
            "other_counts": other}


def import_step(report: dict[str, Any]) -> dict[str, Any]:
    """The manifest's step entry for an import (the same report keys as a pipeline step)."""
    counters = {"divergent_pairs": report["divergent_pairs"], "empty_replies": report["empty_replies"],
                "synthetic_replies": report["synthetic_replies"], **report["other_counts"]}
    return {"id": "import", "step": "import", "rows_in": report["rows_read"], "kept": report["records_imported"],
            "dropped": dict(report["skipped"]), "would_drop": {}, "counters": counters, "file": report["file"],
            "format": report["format"]}


def report_lines(report: dict[str, Any]) -> list[str]:
    """The summary as lines for a terminal."""
    out = [f"rows read: {report['rows_read']}; records imported: {report['records_imported']}"]
    for k, v in report["skipped"].items():
        out.append(f"  skipped ({k.replace('_', ' ')}): {v}")
    out.append(f"  divergent pairs (HH transcripts that differ before the last reply): {report['divergent_pairs']}")
    out.append(f"  empty replies: {report['empty_replies']}; synthetic replies: {report['synthetic_replies']}")
    for k, v in report["other_counts"].items():
        out.append(f"  {k.replace('_', ' ')}: {v}")
    return out
