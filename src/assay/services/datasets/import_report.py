"""What an import read and did, as one summary: printed by `assay data import` and `assay records import`,
stored in a dataset version's manifest (`pipeline["import_report"]`, and an `import` entry in `steps`, so
`assay data show` and the explorer list it like any pipeline step), in a project import job's result (the
import page and `GET /api/v1/projects/{id}/imports/{job}`) and in the `records.import` audit event.

The summary: rows read, records read, records imported, rows that gave no record by reason (the reader's own
tallies, e.g. `oasst_deleted_skipped`, `hh_divergent_skipped`; a project import adds
`duplicate_record_skipped`), records kept but flagged (`hh_divergent_kept`: the two HH transcripts differ
before the last reply — exports leave them out), empty replies (completions whose text is empty or
whitespace), synthetic replies (OASST `synthetic: true`), the reader's other counts and the licence (given,
or the first line of a LICENSE file beside the input). A project import also says how many records were
already in the project (`existing`, left as they are).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.domain.records import Record
from assay.formats.checks import ReadStats

#: Reader tallies that mean a source row (or message) gave no record; the rest are flags or merges.
SKIP_SUFFIXES = ("_skipped", "_dropped")
LICENSE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "LICENCE.txt", "COPYING")
LICENSE_LEVELS = 3  # the input's folder and two above it (llmbar/Adversarial/Neighbor/dataset.json)


@dataclass
class ReplyTally:
    """Counts records and their empty and synthetic replies as they stream past (`counted`), so a streamed
    import reports the same figures as one that holds all its records."""

    records: int = 0
    empty: int = 0
    synthetic: int = 0

    def add(self, record: Record) -> None:
        self.records += 1
        self.empty += sum(1 for c in record.completions if not c.text.strip())
        self.synthetic += sum(1 for c in record.completions if c.metadata.get("synthetic"))

    def counted(self, records: Iterable[Record]) -> Iterator[Record]:
        """`records`, unchanged, each tallied as it passes."""
        for r in records:
            self.add(r)
            yield r

    @classmethod
    def of(cls, records: Iterable[Record]) -> ReplyTally:
        t = cls()
        for r in records:
            t.add(r)
        return t


def license_near(path: str | Path) -> str:
    """The first non-empty line of a LICENSE (LICENCE, COPYING) file in the input's folder or up to two
    folders above it (e.g. "MIT License"), at most 200 characters; "" when there is none or it is not text."""
    folder = Path(path).resolve().parent
    for _ in range(LICENSE_LEVELS):
        for name in LICENSE_NAMES:
            f = folder / name
            if f.is_file():
                try:
                    with f.open(encoding="utf-8") as fh:
                        for line in fh:
                            if line.strip():
                                return line.strip()[:200]
                except (OSError, UnicodeDecodeError):
                    return ""
                return ""
        folder = folder.parent
    return ""


def import_report(path: str | Path, fmt: str, stats: ReadStats, records: Sequence[Record] | ReplyTally, *,
                  imported: int | None = None, existing: int | None = None, duplicates: int = 0,
                  license: str = "") -> dict[str, Any]:
    """The summary of one import (see the module docstring); plain JSON values. `records`: the records read,
    or a `ReplyTally` of them (streamed imports). `imported` defaults to the records read (a dataset import
    keeps them all); a project import passes how many it created, the records already there (`existing`)
    and the repeats of an earlier record it imported once (`duplicates`)."""
    tally = records if isinstance(records, ReplyTally) else ReplyTally.of(records)
    counts = {k: int(v) for k, v in sorted(stats.counts.items()) if v}
    skipped = {k: v for k, v in counts.items() if k.endswith(SKIP_SUFFIXES)}
    other = {k: v for k, v in counts.items() if k not in skipped}
    if duplicates:
        skipped["duplicate_record_skipped"] = duplicates
    out: dict[str, Any] = {
        "file": Path(path).name, "format": fmt, "license": license, "rows_read": stats.rows,
        "records_read": tally.records, "records_imported": tally.records if imported is None else imported,
        "skipped": skipped,
        "divergent_pairs": counts.get("hh_divergent_kept", 0) + counts.get("hh_divergent_skipped", 0),
        "empty_replies": tally.empty, "synthetic_replies": tally.synthetic, "other_counts": other}
    if existing is not None:
        out["existing"] = existing
    return out


def import_step(report: dict[str, Any]) -> dict[str, Any]:
    """The manifest's step entry for an import (the same report keys as a pipeline step)."""
    counters = {"divergent_pairs": report["divergent_pairs"], "empty_replies": report["empty_replies"],
                "synthetic_replies": report["synthetic_replies"], **report["other_counts"]}
    step = {"id": "import", "step": "import", "rows_in": report["rows_read"], "kept": report["records_imported"],
            "dropped": dict(report["skipped"]), "would_drop": {}, "counters": counters, "file": report["file"],
            "format": report["format"]}
    if report.get("license"):
        step["license"] = report["license"]
    return step


def _label(key: str) -> str:
    """A tally key as a label: "hh_divergent_kept" → "HH divergent kept"."""
    text = key.replace("_", " ")
    return "HH" + text[2:] if text.startswith("hh ") else text[:1].upper() + text[1:]


def report_rows(report: dict[str, Any]) -> list[tuple[str, str, int | str]]:
    """The summary as (key, label, value) rows, in the order the terminal and the import page show them."""
    rows: list[tuple[str, str, int | str]] = [
        ("rows_read", "Rows read", report["rows_read"]),
        ("records_read", "Records read", report.get("records_read", report["records_imported"])),
        ("records_imported", "Records imported", report["records_imported"])]
    if "existing" in report:
        rows.append(("existing", "Already in the project (left as they are)", report["existing"]))
    rows += [(f"skipped.{k}", f"Skipped: {_label(k)}", v) for k, v in report["skipped"].items()]
    rows += [("divergent_pairs", "Divergent pairs (HH transcripts that differ before the last reply)",
              report["divergent_pairs"]),
             ("empty_replies", "Empty replies", report["empty_replies"]),
             ("synthetic_replies", "Synthetic replies", report["synthetic_replies"])]
    rows += [(f"other.{k}", _label(k), v) for k, v in report["other_counts"].items()]
    if report.get("license"):
        rows.append(("license", "Licence", report["license"]))
    return rows


def report_lines(report: dict[str, Any]) -> list[str]:
    """The summary as lines for a terminal."""
    read = report.get("records_read", report["records_imported"])
    head = f"rows read: {report['rows_read']}; records imported: {report['records_imported']}"
    if read != report["records_imported"]:
        head += f" (of {read} read)"
    out = [head]
    if "existing" in report:
        out.append(f"  already in the project (left as they are): {report['existing']}")
    for k, v in report["skipped"].items():
        out.append(f"  skipped ({k.replace('_', ' ')}): {v}")
    out.append(f"  divergent pairs (HH transcripts that differ before the last reply): {report['divergent_pairs']}")
    out.append(f"  empty replies: {report['empty_replies']}; synthetic replies: {report['synthetic_replies']}")
    for k, v in report["other_counts"].items():
        out.append(f"  {k.replace('_', ' ')}: {v}")
    if report.get("license"):
        out.append(f"  licence: {report['license']}")
    return out
