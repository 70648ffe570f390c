"""Exports: gather a project's submitted annotations into an ExportSource and render a training format.

What a caller may choose is the format, the file format and `options` (splits and the formats' filters,
`EXPORT_OPTIONS`); a request never chooses where files go: `export_project` writes into a new folder that
`export_files.new_export_dir` picks inside the project's own export folder. Only trusted local callers (the
CLI's `--out`, tests) pass `out_dir`.
"""

from __future__ import annotations

import inspect
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from assay.domain.annotations import AnnotationView, ExportSource, JudgedRecord
from assay.domain.users import User
from assay.errors import Invalid, NotFound
from assay.exporters.registry import EXPORTERS, ExportResult, export
from assay.services.accounts.audit import record_event
from assay.services.annotation.review import review_states
from assay.services.projects.export_files import new_export_dir
from assay.store.db import Db
from assay.store.mappers import project_from_row, record_from_row
from assay.store.queries import feeds as feeds_q
from assay.store.queries import projects as projects_q
from assay.store.queries import records as records_q

#: Options a request may set: the split, and every filter some format takes (a format refuses the ones it
#: does not take, naming those it does). `aggregated` (precomputed labels) is for Python callers only.
EXPORT_OPTIONS = frozenset({"test_fraction", "split_salt"} | {
    name for builder in EXPORTERS.values() for name in inspect.signature(builder).parameters
    if name not in ("source", "aggregated")})

Progress = Callable[[float, str], None]


def check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """`options` as a dict; Invalid naming any that is not in EXPORT_OPTIONS."""
    unknown = sorted(set(options) - EXPORT_OPTIONS)
    if unknown:
        raise Invalid(f"unknown export option(s) {', '.join(unknown)}; known: {', '.join(sorted(EXPORT_OPTIONS))}",
                      details={"field": "options"})
    return dict(options)


def version_history(store_url: str, ref: str) -> list[str]:
    """How dataset version `ref` was made: each version in its lineage with its parents, pipeline steps and
    row counts (the card's pipeline history); [] when the store does not hold it."""
    from assay.datasets.store import DatasetStore

    try:
        chain = DatasetStore(store_url).lineage(ref)
    except (NotFound, Invalid, OSError):
        return []
    out = []
    for m in chain:
        steps = ", ".join(str(st.get("id") or st.get("step")) for st in m.steps) or "no steps"
        made = f"from {', '.join(m.parents)}" if m.parents else "imported"
        out.append(f"  - {m.ref} ({m.row_count} rows): {made}; steps: {steps}")
    return out


def _versions_of(items: list[JudgedRecord]) -> list[str]:
    """The dataset versions the records were pushed from (`name@N` of sources `name@N#id`), sorted."""
    return sorted({it.record.source.split("#", 1)[0] for it in items
                   if "#" in it.record.source and "@" in it.record.source.split("#", 1)[0]})


def _files_of(items: list[JudgedRecord]) -> list[str]:
    """The files the records were imported from (sources `file:line`), sorted."""
    return sorted({it.record.source.rsplit(":", 1)[0] for it in items
                   if ":" in it.record.source and "#" not in it.record.source})


def pipeline_history(store_url: str, items: list[JudgedRecord]) -> list[str]:
    """The card's pipeline history: one markdown table row per step of every version (oldest first) in the
    lineage of the versions the records came from — version, step, rows in, kept, dropped by reason."""
    from assay.datasets.store import DatasetStore

    store, seen, out = DatasetStore(store_url), set(), []
    for ref in _versions_of(items):
        try:
            chain = store.lineage(ref)
        except (NotFound, Invalid, OSError):
            continue
        for m in reversed(chain):
            if m.ref in seen:
                continue
            seen.add(m.ref)
            for st in m.steps:
                dropped = ", ".join(f"{k}: {v}" for k, v in (st.get("dropped") or {}).items()) or "-"
                out.append(f"| {m.ref} | {st.get('id') or st.get('step')} | {st.get('rows_in', '')} | "
                           f"{st.get('kept', '')} | {dropped} |")
    return out


def source_licenses(db: Db, project_name: str, items: list[JudgedRecord], store_url: str) -> list[str]:
    """The card's licence lines: for each dataset version in the records' lineage whose import recorded a
    licence (`assay data import --license`, or a LICENSE file beside the file), and for each file imported
    into the project whose `records.import` report names one (the latest import of that file)."""
    from assay.datasets.store import DatasetStore
    from assay.store.queries import audit as audit_q

    out: list[str] = []
    store, seen = DatasetStore(store_url), set()
    for ref in _versions_of(items):
        try:
            chain = store.lineage(ref)
        except (NotFound, Invalid, OSError):
            continue
        for m in chain:
            pipe = m.pipeline or {}
            lic = pipe.get("license") or (pipe.get("import_report") or {}).get("license")
            if lic and m.ref not in seen:
                seen.add(m.ref)
                out.append(f"dataset version {m.ref} (imported from `{Path(str(pipe.get('import', m.ref))).name}`): "
                           f"{lic}")
    files = _files_of(items)
    if files:
        with db.read() as s:
            reports = [d.get("report") or {} for d in audit_q.details_of(s, "records.import", project_name)]
        by_file = {str(r.get("file")): str(r["license"]) for r in reports if r.get("license")}
        out += [f"imported file `{f}`: {by_file[f]}" for f in files if f in by_file]
    return out


def source_lineage(project_name: str, project_id: int, items: list[JudgedRecord],
                   store_url: str | None = None) -> list[str]:
    """The card's lineage lines: the project, then where its records came from (dataset versions pushed
    into it, with their pipeline history when `store_url` holds them; files imported; records without a
    stored source), with counts."""
    versions: Counter[str] = Counter()
    files: Counter[str] = Counter()
    bare = 0
    for it in items:
        src = it.record.source
        if "#" in src and "@" in src.split("#", 1)[0]:
            versions[src.split("#", 1)[0]] += 1
        elif ":" in src:
            files[src.rsplit(":", 1)[0]] += 1
        else:
            bare += 1
    out = [f"project {project_name} (id {project_id}): {len(items)} records"]
    for v, n in sorted(versions.items()):
        out.append(f"dataset version {v}: {n} records (source `{v}#<id>`)")
        if store_url:
            out += version_history(store_url, v)
    out += [f"imported file {f}: {n} records (source `{f}:<line>`)" for f, n in sorted(files.items())]
    if bare:
        out.append(f"{bare} records without a stored source (source `{project_name}#<id>`)")
    return out


def export_source(db: Db, project_id: int, *, include_gold: bool = False) -> ExportSource:
    """Every record of the project (gold records only when asked) with its submitted annotations, the
    card's lineage lines, a fresh export id and the project's k and settings."""
    with db.read() as s:
        prow = projects_q.get(s, project_id)
        if prow is None:
            raise NotFound(f"no project with id {project_id}")
        project = project_from_row(prow)
        items = {r.id: JudgedRecord(record_id=r.id, record=record_from_row(r))
                 for r in records_q.all_of(s, project_id, include_gold=include_gold)}
        rows = feeds_q.submitted_by_record(s, project_id)
        reviews = review_states(s, project_id)
        for ann, username in rows:
            item = items.get(ann.record_id)
            if item is not None:
                item.annotations.append(AnnotationView(
                    annotator=username, answers=dict(ann.answers), submitted_at=ann.submitted_at,
                    active_seconds=ann.active_seconds, status=ann.status, review=reviews.get(ann.id),
                    annotation_id=ann.id))
        listed = list(items.values())
        return ExportSource(project=project.name, questions=project.questions, items=listed,
                            guidelines=project.guidelines,
                            lineage=source_lineage(project.name, project_id, listed,
                                                   db.settings.resolved_dataset_store),
                            history=pipeline_history(db.settings.resolved_dataset_store, listed),
                            licenses=source_licenses(db, project.name, listed, db.settings.resolved_dataset_store),
                            export_id=f"{project_id}-{uuid.uuid4().hex[:12]}",
                            k=project.annotators_per_record, settings=dict(project.settings or {}))


def card_figures(db: Db, project_id: int) -> dict[str, Any]:
    """The agreement figures the dashboard shows (the same function: `metrics.agreement`), plus the number
    of people who submitted and gold accuracy pooled over trainers, for the dataset card."""
    from assay.services.quality import dashboard, metrics

    out: dict[str, Any] = {}
    for qa in metrics.agreement(db, project_id):
        figures = {"units with two answers or more": qa.units, "raters": qa.raters,
                   "observed agreement": qa.raw, "observed agreement, first two votes": qa.raw_first_two,
                   "Fleiss κ": qa.fleiss_kappa,
                   "mean pairwise Cohen κ": qa.cohen_kappa_mean, "Krippendorff α (nominal)": qa.alpha_nominal,
                   "Krippendorff α (ordinal)": qa.alpha_ordinal, "Krippendorff α (interval)": qa.alpha_interval,
                   "mean Kendall τ": qa.kendall_tau_mean}
        out.update({f"{qa.question}: {k}": v for k, v in figures.items() if v is not None})
    stats = dashboard.trainer_stats(db, project_id)
    out["annotators who submitted"] = len(stats)
    scored = [(t.gold_n, t.gold_accuracy) for t in stats if t.gold_n and t.gold_accuracy is not None]
    n = sum(g for g, _ in scored)
    out["gold answers scored"] = n
    if n:
        out["gold accuracy (pooled)"] = sum(g * a for g, a in scored) / n
    return out


def render(source: ExportSource, fmt: str, out_dir: Path, file_format: str, options: Mapping[str, Any], *,
           remove_on_failure: bool, agreement: Mapping[str, Any] | None = None) -> ExportResult:
    """`exporters.export` into `out_dir`; on failure the folder is removed when the server made it."""
    try:
        return export(source, fmt, out_dir, file_format=file_format, agreement=agreement, **options)
    except BaseException:
        if remove_on_failure:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise


def _quiet(fraction: float, message: str) -> None:
    return None


def export_project(db: Db, project_id: int, fmt: str, file_format: str = "jsonl", *, actor: User | None = None,
                   options: Mapping[str, Any] | None = None, out_dir: Path | None = None,
                   progress: Progress = _quiet) -> ExportResult:
    """Render format `fmt` of the project with `options` (see EXPORT_OPTIONS; Invalid for others) into a new
    folder `<exports_dir>/<project>/<fmt>-<time>/` (or `out_dir`, for trusted local callers only).
    `progress(fraction, message)` is told how far it got."""
    opts = check_options(options or {})
    progress(0.05, "reading the project's annotations")
    source = export_source(db, project_id)
    chosen = out_dir is None
    if out_dir is None:
        out_dir = new_export_dir(db.settings, source.project, fmt)
    progress(0.3, "computing the agreement figures")
    figures = card_figures(db, project_id)
    progress(0.5, f"rendering {fmt} ({len(source.items)} records)")
    result = render(source, fmt, out_dir, file_format, opts, remove_on_failure=chosen, agreement=figures)
    with db.write() as s:
        record_event(s, actor.id if actor else None, "project.export", source.project, format=fmt,
                     file_format=file_format, rows=result.rows, export_id=source.export_id)
    progress(1.0, f"{result.rows} rows written")
    return result
