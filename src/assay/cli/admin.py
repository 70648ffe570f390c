"""`assay users …`, `assay projects …`, `assay records import` and `assay export`."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml
from rich.progress import Progress
from rich.table import Table

from assay.cli.common import console, database, group, settings_from
from assay.domain.projects import ProjectSpec
from assay.errors import Invalid

users_app = group("Manage people.")
projects_app = group("Manage projects.")
records_app = group("Put records into projects.")


@users_app.command("add")
def users_add(ctx: typer.Context, username: str = typer.Argument(..., help="Login name."),
              role: str = typer.Option("annotator", help="admin | lead | reviewer | annotator"),
              password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                           help="At least 8 characters (prompted when omitted)."),
              display_name: str = typer.Option("", help="Name shown in the UI.")) -> None:
    """Create a user.

    Example: assay users add alice --role lead
    """
    from assay.services.accounts import users

    with database(settings_from(ctx)) as db:
        u = users.add_user(db, username, password, role, display_name)
    console.print(f"created {u.role.value} [bold]{u.username}[/] (id {u.id})")


@users_app.command("ls")
def users_ls(ctx: typer.Context) -> None:
    """List users.

    Example: assay users ls
    """
    from assay.services.accounts import users

    with database(settings_from(ctx)) as db:
        t = Table("id", "username", "role", "active")
        for u in users.list_users(db):
            t.add_row(str(u.id), u.username, u.role.value, "yes" if u.is_active else "no")
    console.print(t)


@projects_app.command("create")
def projects_create(ctx: typer.Context, spec_file: Path = typer.Argument(..., help="Project YAML or JSON file."),
                    lead: str = typer.Option(None, help="Username that becomes the project's lead."),
                    member: list[str] = typer.Option([], "--member", "-m",
                                                     help="USER or USER:ROLE (annotator, reviewer, lead).")) -> None:
    """Create a project from a YAML file (name, title, guidelines, questions, annotators_per_record, lease_minutes).

    Example: assay projects create project.yaml --lead alice -m bob -m carol:reviewer
    """
    from assay.services.accounts import users
    from assay.services.projects import projects

    try:
        data = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise Invalid(f"cannot read {spec_file}: {e}")
    spec = ProjectSpec.from_dict(data)
    with database(settings_from(ctx)) as db:
        actor = users.find_user(db, lead) if lead else None
        p = projects.create_project(db, spec, actor)
        for m in member:
            name, _, role = m.partition(":")
            projects.add_member(db, p.id, name, role or "annotator", actor)
    console.print(f"created project [bold]{p.name}[/] (id {p.id}) with {len(p.questions)} questions")


@projects_app.command("update")
def projects_update(ctx: typer.Context, spec_file: Path = typer.Argument(..., help="Project YAML or JSON file.")) -> None:
    """Update the project the file names: title, guidelines, questions, annotators_per_record, lease, settings.

    Questions of a project that has annotations may only change titles and help texts (refused otherwise).

    Example: assay projects update project.yaml
    """
    from assay.services.projects import files as project_files
    from assay.services.projects import projects

    spec = project_files.read_spec_file(spec_file)
    with database(settings_from(ctx)) as db:
        p = project_files.update_project(db, projects.find_project(db, spec.name).id, spec)
    console.print(f"updated project [bold]{p.name}[/] (id {p.id}): {len(p.questions)} questions")


@projects_app.command("ls")
def projects_ls(ctx: typer.Context) -> None:
    """List projects with their progress.

    Example: assay projects ls
    """
    from assay.services.projects import projects
    from assay.services.site.demo import demo_user  # noqa: F401  (keeps import graph obvious)

    with database(settings_from(ctx)) as db:
        t = Table("id", "name", "k", "records", "done", "in progress", "to do", "annotations")
        from assay.domain.users import Role, User

        for p in projects.list_projects(db, User(id=0, username="cli", role=Role.admin)):
            pr = projects.progress(db, p.id)
            t.add_row(str(p.id), p.name, str(p.annotators_per_record), str(pr.records), str(pr.done),
                      str(pr.in_progress), str(pr.to_do), str(pr.submitted_annotations))
    console.print(t)


@projects_app.command("add-member")
def projects_add_member(ctx: typer.Context, project: str = typer.Argument(..., help="Project name or id."),
                        username: str = typer.Argument(...),
                        role: str = typer.Option("annotator", help="annotator | reviewer | lead")) -> None:
    """Add a person to a project (or change their role in it).

    Example: assay projects add-member demo-pairwise bob --role reviewer
    """
    from assay.services.projects import projects

    with database(settings_from(ctx)) as db:
        p = projects.find_project(db, project)
        projects.add_member(db, p.id, username, role)
    console.print(f"{username} is now {role} in {p.name}")


@projects_app.command("remove-member")
def projects_remove_member(ctx: typer.Context, project: str = typer.Argument(..., help="Project name or id."),
                           username: str = typer.Argument(...)) -> None:
    """Take a person out of a project; their live leases end (drafts and submitted work stay).

    Refused for the project's only lead. Example: assay projects remove-member demo-pairwise bob
    """
    from assay.errors import NotFound
    from assay.services.projects import projects

    with database(settings_from(ctx)) as db:
        p = projects.find_project(db, project)
        found = [u for u, _ in projects.list_members(db, p.id) if u.username == username]
        if not found:
            raise NotFound(f"{username!r} is not a member of {p.name}; see `assay projects members {p.name}`")
        projects.remove_member(db, p.id, found[0].id)
    console.print(f"{username} is no longer a member of {p.name}")


@projects_app.command("members")
def projects_members(ctx: typer.Context, project: str = typer.Argument(..., help="Project name or id.")) -> None:
    """List a project's members and their roles in it.

    Example: assay projects members demo-pairwise
    """
    from assay.services.projects import projects

    with database(settings_from(ctx)) as db:
        p = projects.find_project(db, project)
        t = Table("id", "username", "role in project")
        for u, role in projects.list_members(db, p.id):
            t.add_row(str(u.id), u.username, role)
    console.print(t)


@records_app.command("import")
def records_import(ctx: typer.Context, project: str = typer.Argument(..., help="Project name or id."),
                   path: Path = typer.Argument(..., help="JSONL, JSON array, CSV or Parquet file of records "
                                               "(.gz too)."),
                   fmt: str = typer.Option("auto", "--format", help="auto | assay | hh | openai | sharegpt | "
                                           "prompt_response | oasst | humaneval | humaneval-x | mbpp | label-studio | argilla "
                                           "(a Label Studio JSON export, an Argilla v2 folder or zip)"),
                   on_divergence: str = typer.Option("keep", help="HH pairs whose transcripts differ before the "
                                                     "last reply: keep (recorded in metadata) | skip | error"),
                   priority: int = typer.Option(0, help="Higher is served first."),
                   max_line_bytes: int = typer.Option(10 * 1024 * 1024, help="Refuse lines longer than this."),
                   with_reference: bool = typer.Option(False, "--with-reference",
                                                       help="Code formats: add the reference solution as a "
                                                       "candidate completion."),
                   license: str = typer.Option("", "--license", help="The source's licence (e.g. MIT), kept in "
                                               "the import report and listed on dataset cards; default: the "
                                               "first line of a LICENSE file beside the file.")) -> None:
    """Import records into a project. All or nothing: a bad line names its number and field, and nothing is written.
    The file is streamed (read, checked and staged record by record), so its size is bounded by disk, not memory.
    Prints the import report (rows read, imported, skipped by reason, divergent pairs, empty and synthetic
    replies), which the `records.import` audit event keeps.

    Example: assay records import demo-pairwise ../shared/data/hh-rlhf-harmless-base/test.jsonl.gz --format hh
    """
    from assay.services.projects import imports, projects

    if not path.exists():
        raise Invalid(f"{path} does not exist")
    from assay.formats import interchange

    kind = interchange.which(path, fmt)
    if kind is not None:
        _import_interchange(ctx, project, path, kind, priority, license)
        return
    from assay.services.datasets.import_report import report_lines

    opts = imports.ImportOptions(fmt=fmt, on_divergence=on_divergence, priority=priority,
                                 max_line_bytes=max_line_bytes, with_reference=with_reference, license=license)
    with database(settings_from(ctx)) as db:
        p = projects.find_project(db, project)
        with Progress(console=console, transient=True) as bar:  # streamed: read, checked and staged as it goes
            task = bar.add_task(f"importing {path.name}", total=1.0)
            res = imports.import_file(db, p.id, path, opts,
                                      progress=lambda f, m: bar.update(task, completed=f, description=m))
    console.print(f"{p.name}: {res.created} records added, {res.existing} already there (from {path})")
    for line in report_lines(res.report):
        console.print(line, highlight=False, markup=False)


def _import_interchange(ctx: typer.Context, project: str, path: Path, kind: str, priority: int,
                        license: str = "") -> None:
    """A Label Studio or Argilla export: records (with the tool's predictions as suggestions), then the
    people's annotations as submitted judgments by external annotators; all or nothing per step."""
    from assay.formats import interchange
    from assay.services.annotation import judgments
    from assay.services.datasets.import_report import import_report, report_lines
    from assay.services.projects import projects, records

    with database(settings_from(ctx)) as db:
        p = projects.find_project(db, project)
        got = interchange.read(path, kind, p.questions)
        res = records.import_records(db, p.id, got.records, priority=priority)
        console.print(f"{p.name}: {res.created} records added, {res.existing} already there (from {path}, {kind})")
        for line in report_lines(import_report(path, kind, got.stats, got.records, imported=res.created,
                                               existing=res.existing, license=license)):
            console.print(line, highlight=False, markup=False)
        if got.judgments:
            r = judgments.import_judgments(db, p.id, got.records, None, source=kind.replace("_", "-"))
            console.print(f"  {r.annotations_created} annotations by {r.annotators} annotators "
                          f"({r.annotations_skipped} did not fit the form)")
    console.print(f"  {got.suggestions} suggestions; {len(got.skipped)} results skipped", highlight=False)
    for s in got.skipped[:20]:
        console.print(f"  skipped {s}", highlight=False)
    if len(got.skipped) > 20:
        console.print(f"  … and {len(got.skipped) - 20} more", highlight=False)


def export(ctx: typer.Context, project: str = typer.Argument(..., help="Project name or id."),
           fmt: str = typer.Option("dpo", "--format", "-f", help="dpo | sft | reward | kto | raw | label-studio "
                                   "(Label Studio JSON tasks, always written as train.json)"),
           file_format: str = typer.Option("jsonl", "--file-format", help="jsonl | parquet"),
           out: Path = typer.Option(None, "--out", "-o", help="Output folder (default: data folder/exports/…)."),
           gold: str = typer.Option(None, "--gold", help="SFT: the text question whose answers (trainers' "
                                    "rewrites) are the replies."),
           min_judgments: int = typer.Option(None, "--min-judgments", help="Preference formats: pairs judged by "
                                             "fewer people are left out (default: the project's k)."),
           option: list[str] = typer.Option([], "--option", "-O", help="Any format option as KEY=VALUE (VALUE "
                                            "read as JSON when it parses, e.g. -O min_agreement=0.6 -O "
                                            "test_fraction=0.1); repeatable.")) -> None:
    """Export a project's judgments as training data, with a dataset card (README.md) beside the files.

    Example: assay export demo-pairwise --format dpo --file-format parquet --out ./dpo-data -O min_agreement=0.6
    """
    import json

    from assay.errors import Invalid
    from assay.services.projects import exports, projects

    opts: dict[str, object] = {}
    for o in option:
        key, eq, raw = o.partition("=")
        if not eq or not key.strip():
            raise Invalid(f"--option {o!r}: expected KEY=VALUE")
        try:
            opts[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            opts[key.strip()] = raw
    if gold is not None:
        opts["gold"] = gold
    if min_judgments is not None:
        opts["min_judgments"] = min_judgments
    with database(settings_from(ctx)) as db:
        p = projects.find_project(db, project)
        res = exports.export_project(db, p.id, fmt, file_format, out_dir=out,  # a local, trusted path
                                     options=opts)
    for w in res.warnings:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    for split, path in res.paths.items():
        console.print(f"{split}: [bold]{path}[/]")
    console.print(f"{res.rows} rows; card: {res.card_path}")
    for k, v in res.counts.items():
        console.print(f"  {k}: {v}", highlight=False)
