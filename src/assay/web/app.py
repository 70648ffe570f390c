"""The FastAPI application: `create_app(settings)` builds it; nothing happens at import time."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.responses import Response
from starlette.routing import BaseRoute

from assay.config import Settings
from assay.jobs import JobRunner
from assay.services.accounts.auth import LoginThrottle
from assay.services.quality.gold import figure as gold_figure
from assay.store.db import Db, open_db
from assay.web import rendering
from assay.web.body_limit import BodyLimit
from assay.web.context import AppContext
from assay.web.errors import install_error_handlers
from assay.web.security import SecurityHeaders

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
API_VERSION = "v1"


_ROUTES: list[BaseRoute] = []  # the API's and the pages' route tables, built once per process (`_mount_routes`)


def _mount_routes(app: FastAPI) -> None:
    """Mount the API under /api/v1, then the pages. FastAPI builds an included router's table (each
    route's dependencies, parameter types and validators) on the app's first request, 0.1-0.2 s of CPU
    per app; nothing in it depends on the app (`request.app` is the app serving the request, and no
    code here sets `dependency_overrides`), so the first app of a process builds it and every later app
    (a test's, a `serve --reload`'s) reuses the same included routers."""
    from assay.web.api import router as api_router
    from assay.web.pages import router as pages_router

    if not _ROUTES:
        before = len(app.router.routes)
        # the API first: routes are matched in order, and /api/v1 paths never overlap the pages' paths, so
        # API calls (the annotation hot path) skip the pages' 75 patterns
        app.include_router(api_router, prefix=f"/api/{API_VERSION}")
        app.include_router(pages_router, include_in_schema=False)  # HTML: not part of the API's schema
        _ROUTES.extend(app.router.routes[before:])
    else:
        app.router.routes.extend(_ROUTES)


@functools.cache
def _templates() -> Jinja2Templates:
    """The page templates (one environment per process: it holds nothing of an app's, and compiles each
    template once)."""
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.filters["markdown"] = rendering.render_markdown
    t.env.filters["code"] = rendering.render_code
    t.env.globals["gold_figure"] = gold_figure  # the one way a gold standing is written (services.quality.gold)
    t.env.autoescape = True
    t.env.finalize = rendering.finalize  # stored text that is not valid Unicode never fails a page
    return t


def install_background(app: FastAPI, db: Db) -> JobRunner:
    """Build the app's job runner over `db` (`worker_threads` threads; not started) with every kind of
    background work registered (`services.site.background.register_all`; `app.state.code_runner` is the
    code runner's sandbox queue). Kept on `app.state.jobs`; the lifespan starts it."""
    from assay.services.site.background import register_all

    jobs = JobRunner(db, threads=db.settings.worker_threads)
    app.state.code_runner = register_all(jobs)
    app.state.jobs = jobs
    return jobs


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the job runner; at shutdown stop it (joining every thread it started) and close the database."""
    jobs: JobRunner = app.state.jobs
    jobs.start()
    try:
        yield
    finally:
        left = jobs.stop()
        if left:
            log.warning("background threads still running at shutdown: %s", ", ".join(left))
        app.state.ctx.db.close()


def create_app(settings: Settings, db: Db | None = None) -> FastAPI:
    """Build the web app over `settings` (opening, and for SQLite migrating, the database unless given).
    Nothing starts before the app's lifespan does (the job runner); at its end the database is closed."""
    from assay import __version__
    from assay.web.api.records import document_streamed_bodies

    app = FastAPI(title="Assay", version=__version__, docs_url="/api/docs", redoc_url=None,
                  default_response_class=rendering.SafeJSONResponse,
                  openapi_url=f"/api/{API_VERSION}/openapi.json", lifespan=lifespan)
    app.state.ctx = AppContext(
        settings=settings, db=db or open_db(settings), templates=_templates(),
        throttle=LoginThrottle(settings.login_max_failures, settings.login_window_seconds,
                               settings.login_max_address_failures))
    install_background(app, app.state.ctx.db)
    app.add_middleware(BodyLimit)  # inside SecurityHeaders (added last, so outermost)
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/static-gen/pygments.css", include_in_schema=False)
    def pygments_css() -> Response:
        return Response(rendering.pygments_css(), media_type="text/css",
                        headers={"Cache-Control": "public, max-age=3600"})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response((HERE / "static" / "favicon.svg").read_bytes(), media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    _mount_routes(app)
    document_streamed_bodies(app)  # the streamed import body's model in the OpenAPI components
    return app
