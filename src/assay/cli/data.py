"""`assay data ...` (dataset versions) and `assay pipeline run` (pipelines), as Typer apps.

`data_app` and `pipeline_app` are mounted by `assay.cli.main`. The store is `--store`, else
`ASSAY_DATASET_STORE`, else `<data dir>/datasets` where the data dir is the global `assay --data-dir`, else
`ASSAY_DATA_DIR` (see `assay.config.Settings`). Errors are reported by `assay.cli.common.reported`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assay.cli.common import console, group, settings_from
from assay.datasets.diff import diff_versions
from assay.datasets.schema import records_to_table, row_to_record
from assay.datasets.store import DatasetStore, open_store

data_app = group("Dataset versions: import, list, inspect, compare and export.\n\n"
                 "Example: assay data import ../shared/data/gsm8k/train.jsonl --name gsm8k")
pipeline_app = group("Run pipelines over dataset versions.\n\n"
                     "Example: assay pipeline run clean.yaml --input hh@latest")


@pipeline_app.callback()
def _pipeline_group() -> None:
    """Run pipelines over dataset versions (a group, so `assay pipeline run` stays a subcommand)."""


StoreOpt = typer.Option(None, "--store", help="Dataset store path or fsspec URL (default from settings).")


def _store(ctx: typer.Context, url: str | None) -> DatasetStore:
    """`--store`, else the store the settings name: the global `--data-dir` / `--database-url` flags
    (kept on ctx.obj by `assay.cli.main`), then ASSAY_* variables (`<data dir>/datasets` by default)."""
    return open_store(url) if url else DatasetStore(settings_from(ctx).resolved_dataset_store)


@data_app.command("import")
def import_(ctx: typer.Context,
            path: Path = typer.Argument(..., help="File to import (JSONL, JSON, CSV, Parquet; .gz ok)."),
            name: str = typer.Option(..., "--name", "-n", help="Dataset name."),
            fmt: str = typer.Option("auto", "--format", "-f", help="Input format (see assay.formats)."),
            note: str = typer.Option("", help="A note stored in the manifest."),
            license: str = typer.Option("", "--license", help="The source's licence (e.g. MIT), stored in the "
                                        "manifest and listed on dataset cards; default: the first line of a "
                                        "LICENSE file beside the file (or up to two folders above)."),
            store: str | None = StoreOpt) -> None:
    """Import a file as a new version of a dataset; prints the import report and stores it in the manifest.

    Example: assay data import ../shared/data/hh-rlhf-harmless-base/test.jsonl.gz --name hh
    """
    from assay.formats.checks import ReadStats
    from assay.formats.reader import load_records
    from assay.services.datasets.import_report import import_report, import_step, license_near, report_lines

    stats = ReadStats()
    records = load_records(path, fmt, stats=stats)
    licence = license.strip() or license_near(path)
    report = import_report(path, fmt, stats, records, license=licence)
    pipeline = {"import": str(path), "format": fmt, "import_report": report, **({"license": licence} if licence else {})}
    m = _store(ctx, store).write_version(name, [records_to_table(records)], note=note or f"import {path}",
                                         pipeline=pipeline, steps=[import_step(report)])
    console.print(f"[green]{m.ref}[/green] {m.row_count} records, hash {m.content_hash[:12]}")
    for line in report_lines(report):
        console.print(line, highlight=False)


@data_app.command("ls")
def ls(ctx: typer.Context, store: str | None = StoreOpt) -> None:
    """List datasets and their latest versions.

    Example: assay data ls
    """
    s = _store(ctx, store)
    table = Table("dataset", "latest", "rows", "hash", "parents")
    for name in s.list_datasets():
        m = s.versions(name)[-1]
        table.add_row(name, m.ref, str(m.row_count), m.content_hash[:12], ", ".join(m.parents))
    console.print(table)


@data_app.command("show")
def show(ctx: typer.Context,
         ref: str = typer.Argument(..., help="NAME@N, NAME@latest or a hash prefix."),
         rows: int = typer.Option(3, help="How many records to print."),
         stats: bool = typer.Option(False, "--stats", help="Also print the explorer's column statistics."),
         store: str | None = StoreOpt) -> None:
    """Show a version's manifest, per-step stats and first records (and, with --stats, the summaries of
    the explorer's statistics page: lengths, value counts, languages, judgments, agreement).

    Example: assay data show hh@2 --rows 5 --stats
    """
    s = _store(ctx, store)
    m = s.resolve(ref)
    console.print(f"[bold]{m.ref}[/bold]  rows={m.row_count}  hash={m.content_hash}  parents={m.parents}")
    console.print("columns: " + ", ".join(c["name"] for c in m.schema))
    if m.steps:
        console.print(step_table(m.steps))
    if stats:
        from assay.services.explorer.stats import stats_for, summary_lines

        for line in summary_lines(stats_for(s, m.ref, settings_from(ctx).data_dir / "explorer")):
            console.print(line, highlight=False, markup=False)
    t = s.read_table(m).slice(0, rows)
    for row in t.to_pylist():
        console.print_json(json.dumps(row_to_record(row).to_dict(), ensure_ascii=False, default=str))


@data_app.command("log")
def log(ctx: typer.Context, ref: str = typer.Argument(..., help="Version whose lineage to show."),
        store: str | None = StoreOpt) -> None:
    """Show the lineage of a version: it and all its ancestors.

    Example: assay data log hh-clean@latest
    """
    chain = _store(ctx, store).lineage(ref)
    table = Table("version", "rows", "parents", "made by")
    for m in chain:
        made = ", ".join(s.get("step", "?") for s in (m.pipeline or {}).get("steps", [])) or \
            (m.pipeline or {}).get("import", m.note)
        table.add_row(m.ref, str(m.row_count), ", ".join(m.parents), str(made))
    console.print(table)


@data_app.command("diff")
def diff(ctx: typer.Context, a: str = typer.Argument(..., help="Old version."),
         b: str = typer.Argument(..., help="New version."),
         examples: int = typer.Option(3, help="Example ids per kind."),
         store: str | None = StoreOpt) -> None:
    """Compare two versions by record id: added, removed and changed records.

    Example: assay data diff hh@1 hh-clean@1
    """
    d = diff_versions(_store(ctx, store), a, b, examples=examples)
    console.print(f"{d.a} -> {d.b}: +{d.added} added, -{d.removed} removed, ~{d.changed} changed, "
                  f"{d.unchanged} unchanged")
    if d.added_ids:
        console.print("added e.g.: " + ", ".join(d.added_ids))
    if d.removed_ids:
        console.print("removed e.g.: " + ", ".join(d.removed_ids))
    for ex in d.changed_examples:
        console.print(f"changed {ex['id']}: fields {', '.join(ex['fields'])}")


@data_app.command("export")
def export(ctx: typer.Context,
           ref: str = typer.Argument(..., help="Version to export."),
           out: Path = typer.Argument(..., help="Output file: .jsonl (Assay records) or .parquet."),
           store: str | None = StoreOpt) -> None:
    """Write a version's records to a JSONL file (one Assay record per line) or a Parquet file.

    Example: assay data export gsm8k-clean@latest gsm8k.jsonl
    """
    s = _store(ctx, store)
    m = s.resolve(ref)
    if out.suffix == ".parquet":
        import pyarrow.parquet as pq

        pq.write_table(s.read_table(m), out, compression="zstd")
    else:
        with out.open("w", encoding="utf-8") as f:
            for t in s.iter_tables(m):
                for row in t.to_pylist():
                    f.write(json.dumps(row_to_record(row).to_dict(), ensure_ascii=False, default=str) + "\n")
    console.print(f"wrote {m.row_count} records of {m.ref} to {out}")


def step_table(steps: list[dict[str, Any]]) -> Table:
    """The per-step report: rows in, kept, dropped by reason, counters."""
    table = Table("step", "in", "kept", "dropped (reason: n)", "notes")
    for s in steps:
        dropped = ", ".join(f"{k}: {v}" for k, v in s.get("dropped", {}).items()) or "-"
        notes = {**{f"would_drop {k}": v for k, v in s.get("would_drop", {}).items()}, **s.get("counters", {})}
        table.add_row(s.get("id", s.get("step", "?")), str(s.get("rows_in", "")), str(s.get("kept", "")),
                      dropped, ", ".join(f"{k}={v}" for k, v in notes.items()) or "-")
    return table


@pipeline_app.command("run")
def run(ctx: typer.Context,
        spec: Path = typer.Argument(..., help="Pipeline spec (YAML)."),
        input_ref: str = typer.Option(..., "--input", "-i", help="Input version, e.g. hh@latest."),
        output: str | None = typer.Option(None, "--output", "-o", help="Output dataset name."),
        executor: str = typer.Option("local", help="local or ray."),
        workers: int = typer.Option(1, help="Processes (local) or CPUs (ray)."),
        ray_address: str | None = typer.Option(None, help="Join an existing Ray cluster at this address."),
        store: str | None = StoreOpt) -> None:
    """Run a pipeline spec over a version and write the result as a new version (resumes if killed).

    Example: assay pipeline run docs/examples/clean-hh.yaml --input hh@latest --output hh-clean
    """
    from assay.llm.outbound import OutboundPolicy
    from assay.pipelines.executors import make_executor
    from assay.pipelines.runner import run_pipeline
    from assay.pipelines.spec import PipelineSpec

    s = _store(ctx, store)
    ps = PipelineSpec.load(spec)
    ex = make_executor(executor, workers=workers, address=ray_address)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as bar:
        tasks: dict[str, Any] = {}

        def progress(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done)

        res = run_pipeline(s, ps, input_ref, output=output, executor=ex, progress=progress,
                           outbound=OutboundPolicy(settings_from(ctx).outbound_hosts))
    console.print(step_table(res.step_stats))
    skipped = f" ({res.shards_skipped} shard tasks resumed from an earlier run)" if res.shards_skipped else ""
    console.print(f"[green]{res.manifest.ref}[/green] {res.manifest.row_count} records from {input_ref}{skipped}")
