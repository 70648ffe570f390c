"""`assay generate` and `assay suggest` (model work on a project's records, run where the database is) and
`assay remote …` (SDK commands that talk to a running Assay server over HTTP).

`assay.cli.main` mounts them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assay.cli.common import console, database, err_console, group, settings_from
from assay.errors import Invalid

remote_app = group("Talk to a running Assay server with the Python SDK (URL and API token).")


def _client(base_url: str, model: str, api_key_env: str, concurrency: int, timeout: float, retries: int,
            temperature: float | None, max_tokens: int | None, cache_dir: Path | None) -> Any:
    from assay.llm import ChatClient, EndpointConfig

    cfg = EndpointConfig(base_url=base_url, model=model, api_key=os.environ.get(api_key_env, ""),
                         temperature=temperature, max_tokens=max_tokens, timeout=timeout, max_retries=retries,
                         concurrency=concurrency)
    return ChatClient(cfg, cache_dir=cache_dir)


def _bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console)


def generate(ctx: typer.Context,
             project: str = typer.Option(..., "--project", "-p", help="Project name or id."),
             model: str = typer.Option(..., "--model", "-m", help="Model name the server serves."),
             base_url: str = typer.Option(..., "--base-url", help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1"),
             n: int = typer.Option(2, "-n", help="Completions per record."),
             concurrency: int = typer.Option(4, help="Requests in flight at once."),
             temperature: float = typer.Option(0.8, help="Sampling temperature (stored on each completion)."),
             max_tokens: int = typer.Option(512, help="Longest completion, in tokens."),
             timeout: float = typer.Option(60.0, help="Seconds per HTTP attempt."),
             retries: int = typer.Option(4, help="Retries on 429, 5xx, timeouts (exponential backoff)."),
             api_key_env: str = typer.Option("OPENAI_API_KEY", help="Environment variable holding the key."),
             cache: bool = typer.Option(True, help="Keep replies in <data dir>/llm-cache so a rerun never pays twice.")) -> None:
    """Fill a project's records with N completions each from an OpenAI-compatible server (vLLM, llama.cpp
    server, OpenAI). Resumable: a rerun only asks for records that are not filled yet. The model name and
    the sampling settings are stored on each completion.

    Example: assay generate --project prefs --model Qwen/Qwen2.5-7B-Instruct --base-url http://127.0.0.1:8000/v1 -n 2
    """
    from assay.services.authoring import generation
    from assay.services.projects import projects

    settings = settings_from(ctx)
    with database(settings) as db:
        p = projects.find_project(db, project)
        client = _client(base_url, model, api_key_env, concurrency, timeout, retries, temperature, max_tokens,
                         settings.data_dir / "llm-cache" if cache else None)
        with client, _bar() as bar:
            task = bar.add_task(f"generating for {p.name}", total=None)

            def progress(report: Any, total: int) -> None:
                bar.update(task, total=total, completed=report.generated + len(report.failed))

            report = generation.generate(db, p.id, client, n=n, concurrency=concurrency, on_progress=progress)
    console.print(f"{report.generated} records filled, {report.skipped} already filled, "
                  f"{len(report.failed)} failed")
    for key, msg in list(report.failed.items())[:10]:
        err_console.print(f"  {key}: {msg}", highlight=False)
    if report.failed:
        err_console.print("rerun the same command to retry the failed records")
        raise typer.Exit(2)


def suggest(ctx: typer.Context,
            project: str = typer.Option(..., "--project", "-p", help="Project name or id."),
            model: str = typer.Option(..., "--model", "-m", help="Judge model name."),
            base_url: str = typer.Option(..., "--base-url", help="OpenAI-compatible server of the judge."),
            question: list[str] = typer.Option([], "--question", "-q", help="Only these questions (repeatable)."),
            swap: bool = typer.Option(True, help="Ask pairwise questions in both orders (a tie if they disagree)."),
            concurrency: int = typer.Option(4, help="Requests in flight at once."),
            timeout: float = typer.Option(60.0, help="Seconds per HTTP attempt."),
            retries: int = typer.Option(4, help="Retries on 429, 5xx, timeouts."),
            api_key_env: str = typer.Option("OPENAI_API_KEY", help="Environment variable holding the key.")) -> None:
    """Ask a judge model for a suggested answer (with its rationale) to each pairwise, rating and labels
    question of every record. Suggestions are never annotations: not counted, never exported, and shown to
    annotators only when the project setting show_suggestions is true. A rerun skips what is suggested.

    Example: assay suggest --project prefs --model judge-7b --base-url http://127.0.0.1:8001/v1
    """
    from assay.services.annotation import suggestions
    from assay.services.projects import projects

    settings = settings_from(ctx)
    with database(settings) as db:
        p = projects.find_project(db, project)
        client = _client(base_url, model, api_key_env, concurrency, timeout, retries, 0.0, 512, None)
        with client, _bar() as bar:
            task = bar.add_task(f"judging {p.name}", total=None)

            def progress(report: Any, total: int) -> None:
                bar.update(task, total=total, completed=report.stored + len(report.failed))

            report = suggestions.suggest(db, p.id, client, questions=list(question) or None, swap=swap,
                                         concurrency=concurrency, on_progress=progress)
    console.print(f"{report.stored} suggestions stored, {report.skipped} already there, {len(report.failed)} failed")
    for key, msg in list(report.failed.items())[:10]:
        err_console.print(f"  {key}: {msg}", highlight=False)


def _sdk(url: str, token: str) -> Any:
    import assay

    if not token:
        raise Invalid("give --token or set ASSAY_TOKEN (create one in the web UI or `assay tokens create`)")
    return assay.Client(url, token)


URL = typer.Option("http://127.0.0.1:8000", "--url", envvar="ASSAY_URL", help="Assay server URL (env ASSAY_URL).")
TOKEN = typer.Option("", "--token", envvar="ASSAY_TOKEN", help="API token (env ASSAY_TOKEN).")


@remote_app.command("annotations")
def remote_annotations(project: str = typer.Argument(..., help="Project name or id."),
                       out: Path = typer.Option(..., "--out", "-o", help="JSONL file to append to."),
                       after: int = typer.Option(0, help="Only annotations with a larger id."),
                       url: str = URL, token: str = TOKEN) -> None:
    """Append submitted annotations (one JSON object per line) to a file, following the cursor.

    Example: assay remote annotations prefs --out prefs.jsonl --after 120
    """
    with _sdk(url, token) as client, out.open("a", encoding="utf-8") as f:
        last, count = after, 0
        for ann in client.iter_annotations(project, after=after):
            f.write(json.dumps(ann.model_dump(mode="json")) + "\n")
            last, count = ann.id, count + 1
    console.print(f"{count} annotations written to {out}; next time use --after {last}")


@remote_app.command("add-records")
def remote_add_records(project: str = typer.Argument(..., help="Project name or id."),
                       file: Path = typer.Argument(..., help="Assay JSONL: one record per line (id, prompt or messages, completions)."),
                       pending: bool = typer.Option(False, help="Records may lack completions (fill with generate)."),
                       batch_size: int = typer.Option(1000, help="Records per request."),
                       url: str = URL, token: str = TOKEN) -> None:
    """Add records from a JSONL file to a project on a server, in batches (safe to rerun).

    Example: assay remote add-records prefs records.jsonl --batch-size 2000
    """
    rows = [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    with _sdk(url, token) as client:
        res = client.add_records(project, rows, batch_size=batch_size, pending=pending)
    console.print(f"{res.created} records added, {res.existing} already there")


@remote_app.command("export")
def remote_export(project: str = typer.Argument(..., help="Project name or id."),
                  fmt: str = typer.Option("dpo", "--format", "-f",
                                          help="dpo | sft | reward | kto | raw | label-studio (always one JSON file)"),
                  file_format: str = typer.Option("jsonl", "--file-format", help="jsonl | parquet"),
                  out: Path = typer.Option(..., "--out", "-o", help="Folder to download the files into."),
                  test_fraction: float = typer.Option(0.0, help="Share of prompts held out as a test split."),
                  url: str = URL, token: str = TOKEN) -> None:
    """Render an export on the server and download its files and dataset card.

    Example: assay remote export prefs --format dpo --file-format parquet --out ./dpo-data
    """
    options = {"test_fraction": test_fraction} if test_fraction else {}
    with _sdk(url, token) as client:
        res = client.export(project, fmt, file_format, out_dir=out, **options)
    console.print(f"{res.rows} rows → {out} ({', '.join(res.downloads)})")
