"""`assay data push` and `assay data pull`: records from a dataset version to a project and judgments back.

`assay.cli.main` mounts them on `assay data`.
"""

from __future__ import annotations

import typer

from assay.cli.common import console, database, settings_from


def push(ctx: typer.Context, ref: str = typer.Argument(..., help="Version to send, e.g. hh-clean@latest."),
         project: str = typer.Option(..., "--project", "-p", help="Project name or id."),
         priority: int = typer.Option(0, help="Higher is served first."),
         store: str = typer.Option(None, "--store", help="Dataset store (default from settings).")) -> None:
    """Create records in a project from a dataset version (ids already there are left alone).

    Example: assay data push hh-clean@latest --project hh-review
    """
    from assay.datasets.store import DatasetStore
    from assay.services.datasets import handoff as datasets
    from assay.services.projects import projects

    settings = settings_from(ctx)
    with database(settings) as db:
        p = projects.find_project(db, project)
        m, res = datasets.push(db, DatasetStore(store or settings.resolved_dataset_store), ref, p.id,
                               priority=priority)
    console.print(f"{m.ref} → {p.name}: {res.created} records added, {res.existing} already there")


def pull(ctx: typer.Context, project: str = typer.Option(..., "--project", "-p", help="Project name or id."),
         name: str = typer.Option(None, "--name", "-n", help="Dataset name (default <project>-judgments)."),
         store: str = typer.Option(None, "--store", help="Dataset store (default from settings).")) -> None:
    """Write a project's records with their submitted judgments as a new dataset version.

    Example: assay data pull --project hh-review --name hh-judged
    """
    from assay.datasets.store import DatasetStore
    from assay.services.datasets import handoff as datasets
    from assay.services.projects import projects

    settings = settings_from(ctx)
    with database(settings) as db:
        p = projects.find_project(db, project)
        m = datasets.pull(db, DatasetStore(store or settings.resolved_dataset_store), p.id, name)
    console.print(f"{p.name} → {m.ref}: {m.row_count} records (parents: {', '.join(m.parents) or 'none'})")
    if m.note:
        console.print(m.note)
