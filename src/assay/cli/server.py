"""`assay demo`, `assay serve`, `assay worker` and `assay db upgrade`."""

from __future__ import annotations

from pathlib import Path

import typer

from assay.cli.common import console, database, group, settings_from
from assay.config import Settings
from assay.errors import Invalid
from assay.services.site.startup import check_safe_to_serve

WORKER_HEALTHCHECK_SECONDS = 60

db_app = group("Database schema commands.")


def _run_server(settings: Settings, workers: int = 1) -> None:
    """Serve the app. One worker: this process serves it. Several: uvicorn starts `workers` processes,
    each building its own app from the ASSAY_* environment (`assay.web.factory`); SQLite stays safe
    across processes (every transaction is BEGIN IMMEDIATE, waiting on SQLite's busy timeout)."""
    import os

    import uvicorn

    from assay.store.db import open_db
    from assay.web.app import create_app
    from assay.web.factory import settings_env

    if workers < 1:
        raise Invalid("--workers must be at least 1")
    db = open_db(settings)  # migrates SQLite once, here, before any worker starts
    check_safe_to_serve(settings, db)
    url = f"http://{settings.host}:{settings.port}/"
    console.print(f"[bold green]Assay is running at {url}[/]  ({workers} worker process"
                  f"{'es' if workers > 1 else ''}; Ctrl+C stops it)")
    if workers == 1:
        uvicorn.run(create_app(settings, db), host=settings.host, port=settings.port,
                    log_level=settings.log_level, proxy_headers=False, access_log=False)
        return
    db.close()
    os.environ.update(settings_env(settings))
    # A worker that is slow to start or busy is not killed by the supervisor's 5 s default health check.
    uvicorn.run("assay.web.factory:create_app_from_env", factory=True, workers=workers, host=settings.host,
                port=settings.port, log_level=settings.log_level, proxy_headers=False, access_log=False,
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS)


def demo(ctx: typer.Context,
         data_dir: Path = typer.Option(None, "--data-dir", help="Where the demo database lives (default ./assay-data)."),
         host: str = typer.Option("127.0.0.1", help="Address to listen on."),
         port: int = typer.Option(8000, help="Port to listen on."),
         serve: bool = typer.Option(True, "--serve/--no-serve", help="Start the web app after setting up.")) -> None:
    """Set up a demo (SQLite database, an admin, two annotators, a pairwise project and a code-review project) and serve it.

    Example: assay demo --port 8000
    """
    from assay.services.code.demo import ensure_code_demo
    from assay.services.site.demo import ensure_demo

    settings = settings_from(ctx, data_dir=data_dir, host=host, port=port, demo_accounts=True)
    if not settings.outbound_allowed_hosts:  # the demo's fake model server listens on loopback
        settings = settings.model_copy(update={"outbound_allowed_hosts": "127.0.0.1,::1"})
    with database(settings) as db:
        d = ensure_demo(db)
        code_project = ensure_code_demo(db)
    console.print(f"Data folder: [bold]{settings.data_dir.resolve()}[/] (SQLite: {settings.resolved_database_url})")
    console.print(f"Project [bold]{d.project.name}[/]: {d.project.annotators_per_record} annotators per record")
    console.print(f"Project [bold]{code_project.name}[/]: review AI-written code, run it in the sandbox")
    console.print("Accounts (demo passwords — the server refuses to listen off localhost with these):")
    for name, password, role in d.accounts:
        console.print(f"  {role:<10} [bold]{name}[/] / {password}", highlight=False)
    if serve:
        _run_server(settings)


def serve(ctx: typer.Context,
          host: str = typer.Option(None, help="Address to listen on (env ASSAY_HOST, default 127.0.0.1)."),
          port: int = typer.Option(None, help="Port (env ASSAY_PORT, default 8000)."),
          data_dir: Path = typer.Option(None, "--data-dir", help="Data folder (env ASSAY_DATA_DIR)."),
          database_url: str = typer.Option(None, "--database-url",
                                           help="Database URL (env ASSAY_DATABASE_URL)."),
          workers: int = typer.Option(1, "--workers", "-w", min=1,
                                      help="Server processes (about one per core; PostgreSQL scales best).")) -> None:
    """Serve the web app and the JSON API.

    Example: ASSAY_DATABASE_URL=postgresql+psycopg://assay@db/assay assay serve --host 0.0.0.0 --workers 2
    """
    _run_server(settings_from(ctx, host=host, port=port, data_dir=data_dir, database_url=database_url), workers)


def worker(ctx: typer.Context,
           threads: int = typer.Option(None, "--threads", min=1,
                                       help="Threads claiming jobs (env ASSAY_WORKER_THREADS, default 2)."),
           data_dir: Path = typer.Option(None, "--data-dir", help="Data folder (env ASSAY_DATA_DIR)."),
           database_url: str = typer.Option(None, "--database-url",
                                            help="Database URL (env ASSAY_DATABASE_URL).")) -> None:
    """Run background jobs (explorer cache builds, code runs queued again after a restart) from the jobs
    table until Ctrl+C or SIGTERM, beside or instead of the server's own job threads; several workers share
    the table (FOR UPDATE SKIP LOCKED on PostgreSQL).

    Example: ASSAY_DATABASE_URL=postgresql+psycopg://assay@db/assay assay worker --threads 4
    """
    import signal
    import threading

    from assay.jobs import JobRunner
    from assay.services.site.background import register_all

    settings = settings_from(ctx, worker_threads=threads, data_dir=data_dir, database_url=database_url)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    with database(settings) as db:
        jobs = JobRunner(db, threads=settings.worker_threads)
        register_all(jobs)
        jobs.start()
        n = settings.worker_threads
        console.print(f"worker running ({n} thread{'s' if n != 1 else ''} claiming "
                      f"{', '.join(sorted(jobs.kinds))}); Ctrl+C stops it")
        try:
            done.wait()
        finally:
            left = jobs.stop()
        console.print("worker stopped" + (f"; threads still running: {', '.join(left)}" if left else ""))


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context,
               database_url: str = typer.Option(None, "--database-url", help="Database URL (env ASSAY_DATABASE_URL)."),
               data_dir: Path = typer.Option(None, "--data-dir", help="Data folder (env ASSAY_DATA_DIR).")) -> None:
    """Create or upgrade the database schema to the newest version.

    Example: ASSAY_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test assay db upgrade
    """
    from assay.store.migrate import upgrade

    settings = settings_from(ctx, database_url=database_url, data_dir=data_dir)
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    rev = upgrade(settings.resolved_database_url)
    console.print(f"database at revision [bold]{rev}[/]")
