"""`assay gold …`: mark records gold with expected answers, unmark them, list them (against the local
database, as its operator; the same service as the records table, the API and the SDK).

Mount with `app.add_typer(gold_app, name="gold")` in `assay.cli.main`.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from assay.cli.common import console, database, fail, group, settings_from

gold_app = group("Gold records: expected answers trainers are checked against.")


def _ids(ids: str, ids_file: Path | None) -> list[str]:
    out = [x.strip() for x in ids.split(",") if x.strip()]
    if ids_file is not None:
        out += [line.strip() for line in ids_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not out:
        fail("name the records: --ids r1,r2 or --ids-file ids.txt (one external id a line)")
    return out


def _expected(expected: str) -> dict[str, object]:
    text = Path(expected[1:]).read_text(encoding="utf-8") if expected.startswith("@") else expected
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as e:
        fail(f"--expected is not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})")
    if not isinstance(parsed, dict):
        fail('--expected must be a JSON object keyed by question name, e.g. {"preference": {"choice": "a"}}')
    return parsed


@gold_app.command("set")
def set_gold(ctx: typer.Context, project: str = typer.Argument(..., help="Project name or id."),
             ids: str = typer.Option("", "--ids", help="External record ids, comma-separated."),
             ids_file: Path = typer.Option(None, "--ids-file", exists=True, dir_okay=False,
                                           help="A file of external ids, one a line."),
             expected: str = typer.Option(..., "--expected",
                                          help="Expected answers as JSON, or @file.json.")) -> None:
    """Mark records gold with the same expected answers (checked like a submission; all or nothing).

    Example: assay gold set prefs --ids r1,r7 --expected '{"preference": {"choice": "a"}}'
    """
    from assay.services.projects import projects
    from assay.services.quality import gold_records

    answers = _expected(expected)
    with database(settings_from(ctx)) as db:
        p = projects.find_project(db, project)
        n = gold_records.set_gold(db, p.id, None, answers, external_ids=_ids(ids, ids_file))
    console.print(f"marked {n} record(s) gold in {p.name}", highlight=False)


@gold_app.command("unset")
def unset_gold(ctx: typer.Context, project: str = typer.Argument(..., help="Project name or id."),
               ids: str = typer.Option("", "--ids", help="External record ids, comma-separated."),
               ids_file: Path = typer.Option(None, "--ids-file", exists=True, dir_okay=False,
                                             help="A file of external ids, one a line.")) -> None:
    """Unmark records (their expected answers are dropped; all or nothing).

    Example: assay gold unset prefs --ids r7
    """
    from assay.services.projects import projects
    from assay.services.quality import gold_records

    with database(settings_from(ctx)) as db:
        p = projects.find_project(db, project)
        n = gold_records.unset_gold(db, p.id, None, external_ids=_ids(ids, ids_file))
    console.print(f"unmarked {n} gold record(s) in {p.name}", highlight=False)


@gold_app.command("list")
def list_gold(ctx: typer.Context, project: str = typer.Argument(..., help="Project name or id."),
              as_json: bool = typer.Option(False, "--json", help="One JSON object a line: id, expected.")) -> None:
    """The project's gold records and their expected answers.

    Example: assay gold list prefs --json > gold.jsonl
    """
    from assay.services.projects import projects
    from assay.services.quality import gold_records

    with database(settings_from(ctx)) as db:
        p = projects.find_project(db, project)
        items = gold_records.list_gold(db, p.id, None)
    for g in items:
        line = json.dumps({"id": g.external_id, "expected": g.expected}, ensure_ascii=False, sort_keys=True)
        if as_json:
            typer.echo(line)
        else:
            console.print(f"{g.external_id}\t{json.dumps(g.expected, ensure_ascii=False, sort_keys=True)}",
                          highlight=False, markup=False)
    if not as_json:
        console.print(f"{len(items)} gold record(s)", highlight=False)
