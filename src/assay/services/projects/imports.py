"""Importing a file into a project, streamed end to end: uploads, the dry run, the import, as jobs.

- Uploaded files (stored under server-made names) are `assay.services.projects.uploads`.
- `check_file` is the dry run: it reads the whole file once, record by record, and reports what an import
  would do — counts, the first records (as trainers will see them), warnings (divergent HH pairs, repeated
  records, empty replies, records already in the project, what would be skipped), each with its line and
  field — or the first error that would stop the import, with its line and field. Nothing is written.
- `import_file` / `import_stream` import records as they are read: each record is checked (the same checks
  as `records.import_records`) and staged in temporary tables a chunk at a time, then everything is
  published in one transaction (`store.queries.import_staging`). All-or-nothing: an error anywhere leaves
  the project as it was. Memory stays flat whatever the file's size (only the ids seen are kept).
The jobs that run a dry run and an import of an upload are in `assay.services.projects.import_jobs`.
"""

from __future__ import annotations

import hashlib
import pickle
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assay.domain.projects import Project
from assay.domain.records import Record
from assay.domain.users import User
from assay.errors import AssayError, Invalid, NotFound
from assay.formats import DEFAULT_MAX_LINE_BYTES, FORMATS, ReadStats, interchange, read_records
from assay.formats.stream import metered
from assay.formats.text import refuse_in_record
from assay.services.accounts.audit import record_event
from assay.services.datasets.import_report import ReplyTally, import_report, license_near
from assay.services.projects.records import STAGE_CHUNK, check_fits, hand_over, metadata_suggestions
from assay.services.quality import gold_records
from assay.store.db import Db
from assay.store.mappers import project_from_row
from assay.store.queries import import_staging as staging_q
from assay.store.queries import projects as projects_q
from assay.store.queries import records as records_q

DIVERGENCE_CHOICES = ("keep", "skip", "error")
PREVIEW_RECORDS = 5
# every format `read_records` streams, plus the annotation tools' exports read by `formats.interchange`
IMPORT_FORMATS = (*FORMATS, *(k for k in interchange.KINDS if k not in FORMATS))
MAX_WARNINGS = 200  # warnings kept with their line and field; the counts are always exact
PREVIEW_TEXT_CHARS = 20_000
# -- options ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportOptions:
    """How to read the file: format (one of `formats.FORMATS`), HH divergence policy, priority."""

    fmt: str = "auto"
    on_divergence: str = "keep"
    priority: int = 0
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    with_reference: bool = False
    license: str = ""  # the source's licence, kept in the import report (the dataset card lists it)

    def checked(self) -> ImportOptions:
        if self.fmt not in FORMATS and self.fmt.replace("-", "_") not in FORMATS \
                and self.fmt not in interchange.ALIASES:  # humaneval-x: read_records takes either spelling
            raise Invalid(f"unknown format {self.fmt!r}; use one of {', '.join(IMPORT_FORMATS)}",
                          details={"field": "fmt"})
        if self.on_divergence not in DIVERGENCE_CHOICES:
            raise Invalid(f"on_divergence must be one of {', '.join(DIVERGENCE_CHOICES)}",
                          details={"field": "on_divergence"})
        if not -1_000_000 <= self.priority <= 1_000_000:
            raise Invalid("priority must be between -1000000 and 1000000", details={"field": "priority"})
        if len(self.license) > 200 or not self.license.isprintable():
            raise Invalid("license: at most 200 printable characters, e.g. MIT or CC-BY-4.0",
                          details={"field": "license"})
        return self

    def to_params(self) -> dict[str, Any]:
        return {"fmt": self.fmt, "on_divergence": self.on_divergence, "priority": self.priority,
                "max_line_bytes": self.max_line_bytes, "with_reference": self.with_reference, "license": self.license}

    @classmethod
    def of(cls, p: dict[str, Any]) -> ImportOptions:
        return cls(fmt=str(p.get("fmt", "auto")), on_divergence=str(p.get("on_divergence", "keep")),
                   priority=int(p.get("priority", 0)), max_line_bytes=int(p.get("max_line_bytes", DEFAULT_MAX_LINE_BYTES)),
                   with_reference=bool(p.get("with_reference", False)), license=str(p.get("license", "")))


def read_file(path: Path, opts: ImportOptions, stats: ReadStats | None = None,
              on_divergence: str | None = None, display: str = "") -> Iterator[Record]:
    """`read_records` with the options; with `display` (the uploader's file name), records' sources and
    error messages name that file instead of the server's upload name."""
    records = read_records(path, opts.fmt, on_divergence=on_divergence or opts.on_divergence,
                           max_line_bytes=opts.max_line_bytes, with_reference_as_completion=opts.with_reference,
                           stats=stats)
    if not display or display == path.name:
        return records
    return _renamed(records, path.name, display)


def _renamed(records: Iterator[Record], server: str, display: str) -> Iterator[Record]:
    try:
        for r in records:
            head, _, tail = r.source.rpartition(":")
            if head == server:
                r.source = f"{display}:{tail}"
            yield r
    except AssayError as e:
        e.message = e.message.replace(server, display)
        e.args = (e.message,)
        if e.details.get("file"):
            e.details["file"] = display
        raise


def line_of(record: Record) -> int:
    """The line (JSONL; element of a JSON array, row of CSV/Parquet) a record came from, from its source."""
    tail = record.source.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0


def _fingerprint(record: Record) -> bytes:
    d = record.to_dict()
    d.pop("source", None)  # where it was read, not what it is
    return hashlib.blake2b(pickle.dumps(d, protocol=5), digest_size=8).digest()  # pickle: C speed


class _Seen:
    """The ids read so far: a repeat of an id with the same content is a duplicate (skipped, warned);
    with different content it is an error naming both lines."""

    def __init__(self) -> None:
        self.ids: dict[str, tuple[int, bytes]] = {}

    def repeat_of(self, record: Record) -> int | None:
        """The line of the earlier identical record, None for a new id; Invalid for a clashing repeat."""
        fp = _fingerprint(record)
        earlier = self.ids.get(record.external_id)
        if earlier is None:
            self.ids[record.external_id] = (line_of(record), fp)
            return None
        if earlier[1] != fp:
            raise Invalid(f"{_where(record)}, field id: id {record.external_id!r} repeats line {earlier[0]} with "
                          "different content; ids must be unique",
                          details={"line": line_of(record), "field": "id", "record": record.external_id})
        return earlier[0]


def _where(record: Record) -> str:
    head, _, tail = record.source.rpartition(":")
    return f"{head} line {tail}" if head and tail.isdigit() else (record.source or repr(record.external_id))


def _load_project(db: Db, project_id: int) -> Project:
    with db.read() as s:
        row = projects_q.get(s, project_id)
        if row is None:
            raise NotFound(f"no project with id {project_id}")
        return project_from_row(row)


def _existing(db: Db, project_id: int, ids: list[str]) -> set[str]:
    with db.read() as s:
        return records_q.existing_external_ids(s, project_id, ids)


# -- the dry run ------------------------------------------------------------------------------------------

@dataclass
class CheckReport:
    """What an import of the file would do (see `check_file`)."""

    format: str = ""
    rows: int = 0
    records: int = 0
    new: int = 0
    existing: int = 0
    duplicates: int = 0
    divergent: int = 0
    empty_replies: int = 0
    judgments: int = 0
    suggestions: int = 0
    gold: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None

    def warn(self, kind: str, record: Record | None, line: int, fld: str, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append({"kind": kind, "line": line, "field": fld, "message": message,
                                  "record": record.external_id if record else ""})

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "rows": self.rows, "records": self.records, "new": self.new,
                "existing": self.existing, "duplicates": self.duplicates, "divergent": self.divergent,
                "empty_replies": self.empty_replies, "judgments": self.judgments, "suggestions": self.suggestions,
                "gold": self.gold,
                "skipped": dict(self.skipped), "warnings": self.warnings,
                "preview": self.preview, "error": self.error}


def error_dict(e: AssayError, current: Record | None) -> dict[str, Any]:
    """The error as the dry run reports it; the line is the record's when the error does not name one."""
    d = e.details or {}
    line = d.get("line")
    if line is None and current is not None:
        line = line_of(current)
    return {"message": e.message, "line": line, "field": d.get("field"), "code": e.code}


def preview_of(record: Record) -> dict[str, Any]:
    def cut(text: str) -> str:
        return text if len(text) <= PREVIEW_TEXT_CHARS else text[:PREVIEW_TEXT_CHARS] + " […]"

    return {"id": record.external_id, "line": line_of(record), "source": record.source,
            "messages": [{"role": m.role, "content": cut(m.content), "tool_calls": m.tool_calls}
                         for m in record.messages],
            "completions": [{"text": cut(c.text), "model": c.model} for c in record.completions],
            "has_code": record.code is not None}


def check_file(db: Db, project_id: int, path: Path, opts: ImportOptions,
               progress: Callable[[float, str], None] | None = None, display: str = "") -> CheckReport:
    """The dry run of importing `path` into the project (see the module doc). Never raises for a bad file:
    the first error that would stop the import is in `report.error` (message, line, field). `display`:
    the file name to show (see `read_file`)."""
    opts = opts.checked()
    project = _load_project(db, project_id)
    report = CheckReport(format=opts.fmt)
    stats = ReadStats()
    seen = _Seen()
    pending: list[Record] = []
    last = time.monotonic()
    current: Record | None = None

    def flush() -> None:
        already = _existing(db, project_id, [r.external_id for r in pending])
        for r in pending:
            if r.external_id in already:
                report.existing += 1
                report.warn("existing", r, line_of(r), "id", f"already in the project (id {r.external_id!r}); "
                            "left as it is")
            else:
                report.new += 1
        pending.clear()

    try:
        with metered() as m:
            for r in read_file(path, opts, stats, on_divergence="keep", display=display):
                current = r
                report.records += 1
                line = line_of(r)
                div = (r.metadata or {}).get("hh_divergence")
                if div is not None:
                    report.divergent += 1
                    turn = div.get("turn", 0) if isinstance(div, dict) else 0
                    if opts.on_divergence == "error":
                        raise Invalid(f"{_where(r)}, field chosen: the chosen and rejected transcripts differ at "
                                      f"turn {turn}, before the last assistant turn",
                                      details={"line": line, "field": "chosen"})
                    skip = opts.on_divergence == "skip"
                    report.warn("divergent", r, line, f"chosen/rejected turn {turn}",
                                "the chosen and rejected transcripts differ before the last reply; " +
                                ("the pair would be skipped" if skip else "imported with the chosen side's "
                                 "conversation (the other side kept in metadata.hh_divergence)"))
                    if skip:
                        report.skipped["divergent HH pair"] = report.skipped.get("divergent HH pair", 0) + 1
                        continue
                earlier = seen.repeat_of(r)  # (text was checked for lone surrogates row by row)
                if earlier is not None:
                    report.duplicates += 1
                    report.skipped["duplicate record"] = report.skipped.get("duplicate record", 0) + 1
                    report.warn("duplicate", r, line, "id", f"the same record as line {earlier}; imported once")
                    continue
                for i, c in enumerate(r.completions):
                    if not c.text.strip():
                        report.empty_replies += 1
                        report.warn("empty", r, line, f"completions[{i}].text", "the reply is empty")
                check_fits(project, r)
                gold_records.check_expected(project, r, _where(r))  # a `gold` / `expected` field
                metadata_suggestions(project, r)
                if r.expected is not None:
                    report.gold += 1
                if len(report.preview) < PREVIEW_RECORDS:
                    report.preview.append(preview_of(r))
                pending.append(r)
                if len(pending) >= 500:
                    flush()
                if progress is not None and time.monotonic() - last > 0.5:
                    last = time.monotonic()
                    progress(m.fraction, f"{report.records:,} records read")
            current = None
            flush()
    except AssayError as e:
        report.error = error_dict(e, current)
    report.rows = stats.rows
    for key, n in stats.counts.items():
        if n and key.endswith("_skipped") and key != "hh_divergent_skipped":
            report.skipped[key.removesuffix("_skipped").replace("_", " ")] = n
    if stats.rows and report.format == "auto":
        report.format = _sniffed(path, opts)
    return report


def _sniffed(path: Path, opts: ImportOptions) -> str:
    """The format "auto" chose (from the first row), for display; "" when it cannot be told."""
    from assay.formats.reader import sniff
    from assay.formats.rows import iter_rows

    try:
        first = next(iter_rows(path, opts.max_line_bytes), None)
        return sniff(first[1], first[0]) if first else ""
    except AssayError:
        return ""


# -- the import -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StreamImportResult:
    created: int
    existing: int
    duplicates: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)  # `import_report.import_report` (import_file only)

    @property
    def total(self) -> int:
        return self.created + self.existing


def import_stream(db: Db, project_id: int, records: Iterable[Record], actor: User | None = None,
                  priority: int = 0, progress: Callable[[int], None] | None = None, *,
                  text_checked: bool = False,
                  summary: Callable[[int, int, int], dict[str, Any]] | None = None) -> StreamImportResult:
    """Import records as they come, all or nothing (see the module doc). A record repeating an earlier one
    exactly is imported once (counted in `duplicates`); the same id with other content is an error. Records
    whose id the project already holds are left as they are (`existing`). Raises Invalid naming the line and
    field of the first bad record (nothing is written), NotFound for an unknown project. `text_checked`: the
    records come from `read_records`, whose rows were already checked for text that is not valid Unicode.
    `summary(created, existing, duplicates)`, when given, makes the import report the `records.import` audit
    event keeps (called once every record was read, in the publishing transaction)."""
    project = _load_project(db, project_id)
    seen = _Seen()
    created = existing = duplicates = staged = count = 0
    chunk: list[Record] = []
    with db.kept_connection() as conn:
        staging_q.hold_checkpoints(conn, True)
        try:
            with db.write_on(conn):
                staging_q.create(conn)

            def stage() -> None:
                nonlocal staged, existing
                already = _existing(db, project_id, [r.external_id for r in chunk])
                fresh = [r for r in chunk if r.external_id not in already]
                existing += len(chunk) - len(fresh)
                prefilled = [metadata_suggestions(project, r) for r in fresh]
                if fresh:
                    batch = staging_q.rows(staged, fresh, priority, prefilled)
                    with db.write_on(conn):
                        began = time.perf_counter()
                        staging_q.stage(conn, batch)
                    staged += len(fresh)
                    hand_over(time.perf_counter() - began)  # the writer lock to whoever waits
                chunk.clear()

            for r in records:
                if not text_checked:
                    refuse_in_record(r, _where(r))
                if seen.repeat_of(r) is not None:
                    duplicates += 1
                    continue
                check_fits(project, r)
                gold_records.check_expected(project, r, _where(r))  # a `gold` / `expected` field
                metadata_suggestions(project, r)  # checked here so the error names this record at once
                chunk.append(r)
                count += 1
                if len(chunk) >= STAGE_CHUNK:
                    stage()
                    if progress is not None:
                        progress(count)
            if chunk:
                stage()
            if count == 0:
                raise Invalid("no records to import (the input is empty)", details={"line": 0})
            with db.write_on(conn), db.session_on(conn) as s:
                if projects_q.get(s, project_id, with_questions=False) is None:  # deleted while staging
                    raise NotFound(f"no project with id {project_id}")
                created, _ = staging_q.publish(conn, project_id, datetime.now(UTC))
                existing += staged - created
                extra = {"report": summary(created, existing, duplicates)} if summary is not None else {}
                record_event(s, actor.id if actor else None, "records.import", project.name,
                             created=created, existing=existing, **extra)
        finally:
            with db.write_on(conn):
                staging_q.drop(conn)
            staging_q.hold_checkpoints(conn, False)
        staging_q.checkpoint(conn)
    return StreamImportResult(created=created, existing=existing, duplicates=duplicates)


def import_file(db: Db, project_id: int, path: Path, opts: ImportOptions, actor: User | None = None,
                progress: Callable[[float, str], None] | None = None, display: str = "") -> StreamImportResult:
    """Read `path` (any format `read_records` reads) and import it with `import_stream`, streaming.
    `progress(fraction, message)` is called now and then with how far into the file the reader is;
    `display`: the file name records' sources and errors name (see `read_file`). The result's `report` is
    the import report (`services.datasets.import_report`, as `assay data import` prints it), also kept in
    the `records.import` audit event; its licence is `opts.license`, else a LICENSE file beside `path`."""
    opts = opts.checked()
    stats = ReadStats()
    tally = ReplyTally()
    fmt = (_sniffed(path, opts) or opts.fmt) if opts.fmt == "auto" else opts.fmt
    licence = opts.license or license_near(path)

    def summary(created: int, existing: int, duplicates: int) -> dict[str, Any]:
        return import_report(display or path.name, fmt, stats, tally, imported=created, existing=existing,
                             duplicates=duplicates, license=licence)

    with metered() as m:
        last = [time.monotonic()]

        def tick(n: int) -> None:
            if progress is not None and time.monotonic() - last[0] > 0.5:
                last[0] = time.monotonic()
                progress(0.98 * m.fraction, f"{n:,} records checked and staged")

        res = import_stream(db, project_id, tally.counted(read_file(path, opts, stats, display=display)), actor,
                            opts.priority, tick, text_checked=True, summary=summary)
    skipped = {k.removesuffix("_skipped").replace("_", " "): n for k, n in stats.counts.items()
               if n and k.endswith("_skipped")}
    if res.duplicates:
        skipped["duplicate record"] = res.duplicates
    return StreamImportResult(created=res.created, existing=res.existing, duplicates=res.duplicates,
                              skipped=skipped, report=summary(res.created, res.existing, res.duplicates))
