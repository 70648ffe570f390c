"""The `assay` command: every command and command group is mounted here, in one place, plainly.

Each command is a thin front over one service (or SDK) call. A module that fails to import fails the
whole command loudly (never a silently missing group); a command whose optional extra is missing (Ray,
for `assay pipeline run --executor ray`) says when run which `uv sync --extra ...` / `pip install` command
installs it. Every group is an `assay.cli.common.CommandGroup`, so every command reports errors the one
way: `error: <message>` in red on stderr and exit code 1.
"""

from __future__ import annotations

from pathlib import Path

import typer

from assay.cli import admin, data, generate, gold, handoff, quality, security, server
from assay.cli.common import CommandGroup

app = CommandGroup(name="assay", help="Assay: make LLM post-training data — judge, curate, export.",
                   no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


@app.callback()
def main(ctx: typer.Context,
         data_dir: Path = typer.Option(None, "--data-dir", envvar="ASSAY_DATA_DIR",
                                       help="Data folder (SQLite database, datasets, exports)."),
         database_url: str = typer.Option(None, "--database-url", envvar="ASSAY_DATABASE_URL",
                                          help="SQLAlchemy database URL (default: SQLite in the data folder).")) -> None:
    """Global options apply to every command; each also reads ASSAY_* environment variables."""
    ctx.obj = {k: v for k, v in {"data_dir": data_dir, "database_url": database_url}.items() if v is not None}


# Top-level commands.
app.command("demo")(server.demo)
app.command("serve")(server.serve)
app.command("worker")(server.worker)
app.command("export")(admin.export)
app.command("generate")(generate.generate)
app.command("suggest")(generate.suggest)

# People and access.
admin.users_app.command("passwd")(security.users_passwd)
admin.users_app.command("deactivate")(security.users_deactivate)
admin.users_app.command("activate")(security.users_activate)
admin.users_app.command("role")(security.users_role)
admin.users_app.command("invite")(security.users_invite)
app.add_typer(admin.users_app, name="users")
app.add_typer(security.tokens_app, name="tokens")

# Projects, records, quality.
app.add_typer(admin.projects_app, name="projects")
app.add_typer(admin.records_app, name="records")
app.add_typer(quality.quality_app, name="quality")
app.command("lineage")(quality.lineage)
app.add_typer(gold.gold_app, name="gold")

# Datasets and pipelines.
data.data_app.command("push")(handoff.push)
data.data_app.command("pull")(handoff.pull)
app.add_typer(data.data_app, name="data")
app.add_typer(data.pipeline_app, name="pipeline")

# Servers, schema, remote.
app.add_typer(server.db_app, name="db")
app.add_typer(generate.remote_app, name="remote")

#: The command groups `assay` has (tests/cli/test_cli_mount.py checks each is mounted and documented).
GROUPS = ("data", "db", "gold", "pipeline", "projects", "quality", "records", "remote", "tokens", "users")
