"""Code-review pages: the code panel of the annotate page, run buttons (htmx fragments that poll until
their runs finish), the diff between two candidates, and the lead's outcome page.

The app's `CodeRunner` (sandbox + fair queue) is built with the app's job runner by `create_app` and kept
on `app.state.code_runner`; the app's lifespan starts and stops the job runner (code runs, hidden-test
sweep).
"""

from __future__ import annotations

import difflib
import html
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from markupsafe import Markup
from starlette.responses import Response

from assay.errors import Invalid, Unavailable
from assay.services.accounts.auth import Principal
from assay.services.code import hidden as code_hidden
from assay.services.code import runs as code_runs
from assay.services.code.execution import CodeRunner
from assay.web.deps import DbDep, IndexQuery, ProjectId, Reader, RecordId, Writer
from assay.web.pages.common import page

router = APIRouter()
LETTERS = "ABCDEFGHIJ"


def code_runner(request: Request) -> CodeRunner:
    """The app's CodeRunner (see the module docstring)."""
    runner: CodeRunner = request.app.state.code_runner
    return runner


def render_diff(a: str, b: str, name_a: str, name_b: str) -> Markup:
    """A unified diff of two texts as escaped HTML lines (`d-add`, `d-del`, `d-hunk`, `d-ctx` classes)."""
    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), name_a, name_b, lineterm="", n=3))
    if not lines:
        return Markup('<p class="muted">The two candidates are identical.</p>')
    out = []
    for line in lines:
        cls = ("d-file" if line.startswith(("---", "+++")) else "d-hunk" if line.startswith("@@")
               else "d-add" if line.startswith("+") else "d-del" if line.startswith("-") else "d-ctx")
        out.append(f'<span class="{cls}">{html.escape(line)}</span>')
    return Markup('<pre class="code-diff" data-testid="code-diff">' + "".join(out) + "</pre>")


def _fragment(request: Request, template: str, p: Principal, **data: Any) -> Response:
    return page(request, template, p, letters=LETTERS, **data)


@router.get("/projects/{project_id}/records/{record_id}/code/panel")
def panel(request: Request, project_id: ProjectId, record_id: RecordId, p: Reader, db: DbDep,
          q: str = "review") -> Response:
    """The problem, candidates (highlighted), diff, visible tests and run buttons (htmx fragment)."""
    view = code_runs.code_view(db, project_id, record_id, p.user, code_runner(request))
    diff = render_diff(view.candidates[0]["code"], view.candidates[1]["code"], "A", "B") \
        if len(view.candidates) >= 2 else None
    return _fragment(request, "code/panel.html", p, view=view, q=q, project_id=project_id, diff=diff)


@router.get("/projects/{project_id}/records/{record_id}/code/diff")
def diff(project_id: ProjectId, record_id: RecordId, p: Reader, db: DbDep, a: IndexQuery = 0,
         b: IndexQuery = 1) -> Response:
    """The diff between candidates `a` and `b` (htmx fragment)."""
    view = code_runs.code_view(db, project_id, record_id, p.user)
    n = len(view.candidates)
    if not (0 <= a < n and 0 <= b < n):
        raise Invalid(f"candidates must be between 0 and {n - 1}")
    return Response(str(render_diff(view.candidates[a]["code"], view.candidates[b]["code"],
                                    LETTERS[a], LETTERS[b])), media_type="text/html")


@router.post("/projects/{project_id}/records/{record_id}/code/runs")
def start(request: Request, project_id: ProjectId, record_id: RecordId, p: Writer, db: DbDep,
          kind: str = "visible", candidate: Annotated[int | None, Query(ge=0, le=10_000)] = None,
          tests: str = Form("")) -> Response:
    """Start runs (see `code_runs.start_runs`) and answer with a fragment that polls until they finish.
    A bad test file or a full queue is shown in the fragment (status 200, so htmx swaps it in)."""
    try:
        runs = code_runs.start_runs(db, code_runner(request), project_id, record_id, p.user, kind,
                                    candidate, tests)
    except (Invalid, Unavailable) as e:
        return _fragment(request, "code/runs.html", p, runs=[], error=e.message, project_id=project_id,
                         record_id=record_id, batch="")
    return _fragment(request, "code/runs.html", p, runs=runs, error="", project_id=project_id,
                     record_id=record_id, batch=runs[0].batch if runs else "")


@router.get("/projects/{project_id}/records/{record_id}/code/batches/{batch}")
def batch(request: Request, project_id: ProjectId, record_id: RecordId, batch: str, p: Reader, db: DbDep
          ) -> Response:
    """One click's runs, with queue positions; keeps polling while any is unfinished."""
    runs = code_runs.get_runs(db, code_runner(request), project_id, record_id, p.user, batch=batch)
    return _fragment(request, "code/runs.html", p, runs=runs, error="", project_id=project_id,
                     record_id=record_id, batch=batch)


@router.get("/projects/{project_id}/code")
def outcomes(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> Response:
    """The lead's page: hidden pass rate per candidate, each trainer's verdicts and test robustness."""
    v = code_hidden.outcomes_view(db, code_runner(request), project_id, p.user)
    return _fragment(request, "code/outcomes.html", p, project=v.project, rows=list(v.rows))
