"""`assay quality …`: agreement, aggregation, model ranking, time reports and judgment imports.

Mount with `app.add_typer(quality_app, name="quality")` in `assay.cli.main`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from assay.cli.common import console, database, group, settings_from

quality_app = group("Quality control: agreement, aggregation, rankings, time reports.")


def _f(x: float | None) -> str:
    return "—" if x is None else f"{x:.4f}"


@quality_app.command("agreement")
def agreement(ctx: typer.Context, project: str = typer.Argument(..., help="Project name or id.")) -> None:
    """Agreement per question (raw, Cohen κ, Fleiss κ, Krippendorff α, Kendall τ).

    Example: assay quality agreement pandalm
    """
    from assay.services.projects import projects
    from assay.services.quality import metrics

    with database(settings_from(ctx)) as db:
        p = projects.find_project(db, project)
        for q in metrics.agreement(db, p.id):
            console.print(f"[bold]{q.question}[/] ({q.kind}) units={q.units} people={q.raters} raw={_f(q.raw)} "
                          f"raw_first_two={_f(q.raw_first_two)} "
                          f"cohen={_f(q.cohen_kappa_mean)} fleiss={_f(q.fleiss_kappa)} α_nominal={_f(q.alpha_nominal)} "
                          f"α_ordinal={_f(q.alpha_ordinal)} α_interval={_f(q.alpha_interval)} τ={_f(q.kendall_tau_mean)}",
                          highlight=False)


@quality_app.command("aggregate")
def aggregate(ctx: typer.Context, project: str = typer.Argument(..., help="Project name or id."),
              question: str = typer.Argument(..., help="A pairwise or single-label question."),
              method: str = typer.Option("dawid_skene", help="majority | dawid_skene | one_coin"),
              out: Path = typer.Option(None, help="Write JSONL {id, label, confidence} here.")) -> None:
    """Consensus label per record with a confidence (gold answers anchor Dawid–Skene).

    Example: assay quality aggregate tulu preference --method one_coin --out consensus.jsonl
    """
    import json
    from collections import Counter

    from assay.services.projects import projects
    from assay.services.quality import metrics

    with database(settings_from(ctx)) as db:
        p = projects.find_project(db, project)
        res = metrics.aggregate(db, p.id, question, method)
    console.print(f"{len(res.labels)} records; labels {dict(Counter(res.labels.values()))}")
    if out:
        with out.open("w", encoding="utf-8") as f:
            for ext, lab in res.labels.items():
                f.write(json.dumps({"id": ext, "label": lab, "confidence": res.confidence[ext]}) + "\n")
        console.print(f"wrote {out}")


@quality_app.command("rank-models")
def rank_models(ctx: typer.Context, project: str = typer.Argument(..., help="Project name or id."),
                bootstrap: int = typer.Option(200, help="Bootstrap resamples for the intervals (0: none).")) -> None:
    """Bradley–Terry ranking of the completions' models from pairwise and ranking answers.

    Example: assay quality rank-models tulu --bootstrap 500
    """
    from assay.services.projects import projects
    from assay.services.quality import metrics

    with database(settings_from(ctx)) as db:
        p = projects.find_project(db, project)
        n, scores = metrics.rank_models(db, p.id, n_bootstrap=bootstrap)
    console.print(f"{n} comparisons")
    for m in scores:
        console.print(f"{m.model:<40} {m.score:+.3f}  [{_f(m.ci_low)}, {_f(m.ci_high)}]", highlight=False)


@quality_app.command("timesheet")
def timesheet_cmd(ctx: typer.Context, project: str = typer.Argument(..., help="Project name or id."),
                  start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD."),
                  end: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD (inclusive)."),
                  csv: Path = typer.Option(None, "--csv", help="Write the report as CSV here.")) -> None:
    """Active hours per trainer per day (UTC).

    Example: assay quality timesheet myproject --from 2026-11-01 --to 2026-11-30 --csv hours.csv
    """
    from assay.errors import Invalid
    from assay.services.projects import projects
    from assay.services.workforce import timesheet

    try:
        d0, d1 = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise Invalid("--from and --to must be dates like 2026-11-30")
    with database(settings_from(ctx)) as db:
        p = projects.find_project(db, project)
        rows = timesheet.timesheet(db, p.id, d0, d1)
    if csv:
        csv.write_text(timesheet.timesheet_csv(rows), encoding="utf-8")
        console.print(f"wrote {len(rows)} rows to {csv}")
    for r in rows:
        console.print(f"{r.username:<30} {r.day}  {r.active_hours:7.2f} h  {r.submitted} submitted", highlight=False)


@quality_app.command("import-judgments")
def import_judgments(ctx: typer.Context, project: str = typer.Argument(..., help="Project name or id."),
                     path: Path = typer.Argument(..., help="File with judged pairs (PandaLM JSON, Tulu JSONL) or a "
                                                 "data set that carries its own preference."),
                     fmt: str = typer.Option(..., "--format", help="pandalm | tulu | label-studio | argilla, or a "
                                             "data set's own preferences: hh (chosen/rejected) | oasst (ranks) | "
                                             "llmbar (gold label) | ultrafeedback (ratings) | shp (label)"),
                     question: str = typer.Option("preference", help="The question the votes answer (pairwise; "
                                                  "for a data set's own preferences also ranking, and rating "
                                                  "for ultrafeedback)."),
                     annotator: str = typer.Option(None, "--annotator", help="hh/oasst/llmbar/ultrafeedback/shp: "
                                                   "the source annotator's name (stored as ext-source-NAME; "
                                                   "default: the format)."),
                     ) -> None:
    """Import records with other people's votes as submitted annotations by external annotators.

    With --format hh, oasst, llmbar, ultrafeedback or shp, the data set's own preference (HH's chosen side,
    OASST's ranks, LLMBar's gold label, UltraFeedback's ratings, SHP's label) is stored as one judgment per
    record by a named source annotator, which never counts as a trainer. A bad row stops the import with its
    line and field, and nothing is stored; records without a preference are imported without a judgment and
    counted by reason.

    Example: assay quality import-judgments tulu ../shared/data/tulu1-human-eval/eval_annotations_tulu_1.jsonl --format tulu

    Example: assay quality import-judgments bar ../shared/data/llmbar/Natural/dataset.json --format llmbar --annotator llmbar
    """
    from assay.formats import read_records
    from assay.formats import interchange
    from assay.services.annotation import judgments, source_judgments
    from assay.services.projects import projects

    if fmt in source_judgments.FORMATS:
        with database(settings_from(ctx)) as db:
            p = projects.find_project(db, project)
            got = source_judgments.import_source_judgments(db, p.id, list(read_records(path, fmt=fmt)), question,
                                                            annotator=annotator or fmt)
        console.print(f"records read: {got.records_read}; {got.records_created} new, {got.records_existing} existing; "
                      f"{got.judgments_created} judgments by {got.annotator}", highlight=False)
        for why, n in sorted(got.skipped.items()):
            console.print(f"  without a judgment ({why.replace('_', ' ')}): {n}", highlight=False)
        return
    kind = interchange.which(path, fmt)
    with database(settings_from(ctx)) as db:
        p = projects.find_project(db, project)
        if kind is not None:  # whole forms: every question the export answers, not only `question`
            recs = interchange.read(path, kind, p.questions).records
            r = judgments.import_judgments(db, p.id, recs, None, source=kind.replace("_", "-"))
        else:
            r = judgments.import_judgments(db, p.id, list(read_records(path, fmt=fmt)), question, source=fmt)
    console.print(f"records: {r.records_created} new, {r.records_existing} existing; {r.annotators} annotators; "
                  f"{r.annotations_created} annotations ({r.annotations_skipped} skipped)")


def lineage(ctx: typer.Context,
            row: str = typer.Argument(..., help="An exported file and row number, FILE:N (N from 1), or one "
                                                "row as JSON."),
            data: Path = typer.Option(None, "--data", help="Folder holding the imported source files, to print "
                                                           "the source line of a file:line source."),
            as_json: bool = typer.Option(False, "--json", help="Print the whole walk as JSON.")) -> None:
    """Walk from an exported row back to its source record, every judgment behind it (with its revisions
    and review decisions) and the pipeline steps that kept it.

    Example: assay lineage exports/hh/dpo-2026-12-07/train.jsonl:17 --data ../shared/data
    """
    import json

    from assay.errors import Invalid
    from assay.services.projects import lineage as lineage_svc

    if row.lstrip().startswith("{"):
        try:
            got = json.loads(row)
        except json.JSONDecodeError as e:
            raise Invalid(f"ROW is not valid JSON: {e.msg} at column {e.colno}") from None
    else:
        name, _, num = row.rpartition(":")
        if not name or not num.isdigit():
            raise Invalid("ROW must be FILE:N (an exported .jsonl, .json or .parquet file and a row number "
                          "from 1) or one row as JSON")
        got = lineage_svc.read_row(Path(name), int(num))
    with database(settings_from(ctx)) as db:
        walk = lineage_svc.walk(db, got, data_folder=data)
    if as_json:
        console.print_json(json.dumps(walk, ensure_ascii=False, default=str))
        return
    console.print(f"[bold]export[/] {walk['export_id'] or '—'}  [bold]project[/] {walk['project']} "
                  f"(id {walk['project_id']})", highlight=False)
    console.print(f"[bold]record[/] {walk['record_id']} external id {walk['external_id']}  "
                  f"[bold]source[/] {walk['source']}", highlight=False)
    if "source_file" in walk:
        sf = walk["source_file"]
        console.print(f"  {sf['path']} line {sf['line']}: {sf['text'][:200]}", highlight=False, markup=False)
    if "dataset" in walk:
        ds = walk["dataset"]
        console.print(f"  dataset version {ds['version']}", highlight=False)
        for st in ds.get("pipeline_steps", []):
            console.print(f"    step {st['id']} ({st['step']}): {st['verdict']} {st['reason']}", highlight=False)
        for d in ds.get("downstream", []):
            console.print(f"    then {d['version']} ({d.get('made_by', '')}): {d.get('verdict', '')} "
                          f"{d.get('reason', '')}", highlight=False)
        if ds.get("missing"):
            console.print(f"    {ds['missing']}", highlight=False)
    for j in walk["judgments"]:
        console.print(f"[bold]judgment {j['annotation_id']}[/] by {j['annotator']} ({j['status']}, revision "
                      f"{j['revision']}, submitted {j['submitted_at']}): "
                      f"{json.dumps(j['answers'], ensure_ascii=False)}", highlight=False)
        for r in j["revisions"]:
            console.print(f"    revision {r['number']} at {r['at']}: {json.dumps(r['answers'], ensure_ascii=False)}",
                          highlight=False)
        for r in j["reviews"]:
            console.print(f"    review of revision {r['revision']} by {r['reviewer']}: {r['decision']} "
                          f"{r['comment']}", highlight=False)
