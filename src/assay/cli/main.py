"""The `assay` command. Each command is a thin front over one service (or SDK) call."""

from __future__ import annotations

from pathlib import Path

import typer

from assay.cli import admin, generate, security, server
from assay.cli.quality import quality_app

app = typer.Typer(name="assay", help="Assay: make LLM post-training data — judge, curate, export.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


@app.callback()
def main(ctx: typer.Context,
         data_dir: Path = typer.Option(None, "--data-dir", envvar="ASSAY_DATA_DIR",
                                       help="Data folder (SQLite database, datasets, exports)."),
         database_url: str = typer.Option(None, "--database-url", envvar="ASSAY_DATABASE_URL",
                                          help="SQLAlchemy database URL (default: SQLite in the data folder).")) -> None:
    """Global options apply to every command; each also reads ASSAY_* environment variables."""
    ctx.obj = {k: v for k, v in {"data_dir": data_dir, "database_url": database_url}.items() if v is not None}


app.command("demo")(server.demo)
app.command("serve")(server.serve)
app.command("export")(admin.export)
app.command("generate")(generate.generate)
app.command("suggest")(generate.suggest)
app.add_typer(generate.remote_app, name="remote")
app.add_typer(quality_app, name="quality")
app.add_typer(server.db_app, name="db")
security.mount(app, admin.users_app)
app.add_typer(admin.users_app, name="users")
app.add_typer(admin.projects_app, name="projects")
app.add_typer(admin.records_app, name="records")


def _mount_optional() -> None:
    """Sub-apps owned by other packages, mounted when present."""
    try:
        from assay.cli import handoff  # noqa: F401  (adds push/pull to data_app)
        from assay.cli.data import data_app, pipeline_app
    except ImportError:
        return
    app.add_typer(data_app, name="data")
    app.add_typer(pipeline_app, name="pipeline")


_mount_optional()
