"""The project editor pages: the template gallery, a new project from a template or a clone, a project's
settings later, and the live preview they share (htmx: the form or the YAML is posted, the trainer's page
comes back rendered by the real question components, with the errors and the other side of the editor as
out-of-band swaps). Each route checks the caller and makes one service call (`services/projects/editor`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import RedirectResponse, Response

from assay.services.accounts.auth import Principal
from assay.services.projects import editor
from assay.services.projects.editor import EditorView
from assay.web.context import ctx
from assay.web.deps import DbDep, ProjectId, Reader, Writer
from assay.web.pages.code import LETTERS, render_diff
from assay.web.pages.common import page

router = APIRouter()

KIND_EXAMPLES = """\
- name: preference
  kind: pairwise          # A / B / tie with strength
  help: 1 = A, 2 = B, 3 = tie; then 4/5/6
- name: rank
  kind: ranking           # 2–9 completions, ties allowed
- name: rubric
  kind: rating
  options: {dimensions: [{name: helpfulness, min: 1, max: 5}, {name: tone, min: 1, max: 3}]}
- name: safety
  kind: labels
  options: {choices: [unsafe, biased, refuses_needlessly, private_data], multi: true, per_completion: true}
- name: rationale
  kind: text
  required: false
  options: {min_length: 20}
- name: gold
  kind: text
  options: {prefill: completion, prefill_from: 0}   # gold answer with a live diff
- name: errors
  kind: spans
  options: {labels: [hallucination, outdated, unsupported_claim]}
"""
MAX_FORM_FIELDS = 2_000


async def _form(request: Request) -> dict[str, Any]:
    """The posted form as plain strings (files are not accepted here)."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _code_panels(request: Request, view: EditorView) -> list[dict[str, Markup]]:
    """Per sample record, the code panel each code_review question shows (the annotate page loads it from
    `/code/panel`; the preview renders the same template inline)."""
    env = ctx(request).templates.env
    out: list[dict[str, Markup]] = []
    for cv in view.code_views:
        panels: dict[str, Markup] = {}
        if cv is not None:
            diff = render_diff(cv.candidates[0]["code"], cv.candidates[1]["code"], "A", "B") \
                if len(cv.candidates) >= 2 else None
            for q in view.questions:
                if q.kind.value == "code_review":
                    panels[q.name] = Markup(env.get_template("code/panel.html").render(
                        view=cv, q=q.name, project_id=0, diff=diff, letters=LETTERS))
        out.append(panels)
    return out


def _data(request: Request, view: EditorView) -> dict[str, Any]:
    project_id = view.project.id if view.project and view.mode == "setup" else 0
    return {"view": view, "examples": KIND_EXAMPLES, "project_id": project_id,
            "preview_project": {"id": project_id}, "code_panels": _code_panels(request, view)}


def _editor(request: Request, p: Principal, view: EditorView) -> Response:
    return page(request, "project_setup.html", p, status_code=view.status, **_data(request, view))


def _preview(request: Request, p: Principal, view: EditorView) -> Response:
    """The preview fragment. While the questions are invalid the preview is not swapped (the last good
    render stays); the errors, and the other side of the editor, always are."""
    r = page(request, "project_setup_preview.html", p, **_data(request, view))
    if not view.questions:
        r.headers["HX-Reswap"] = "none"
    return r


@router.get("/new-project")
def new_project(request: Request, p: Reader, db: DbDep, template: str = "") -> Response:
    """The template gallery; with `?template=<name>` the editor started from that template."""
    if not template:
        return page(request, "new_project_gallery.html", p, gallery=editor.template_gallery(p.user))
    return _editor(request, p, editor.new_editor(db, p.user, template[:100]))


@router.post("/new-project/preview")
async def new_project_preview(request: Request, p: Writer, db: DbDep) -> Response:
    return _preview(request, p, editor.preview(db, p.user, await _form(request)))


@router.post("/new-project")
async def create_project(request: Request, p: Writer, db: DbDep) -> Response:
    view = editor.create(db, p.user, await _form(request))
    if view.saved is None:
        return _editor(request, p, view)
    return RedirectResponse(f"/projects/{view.saved.id}", status_code=303)


@router.get("/projects/{project_id}/clone")
def clone_project(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> Response:
    """A new project's editor with a copy of this project's settings (not its records or judgments)."""
    return _editor(request, p, editor.clone_editor(db, p.user, project_id))


@router.get("/projects/{project_id}/setup")
def setup_page(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> Response:
    return _editor(request, p, editor.setup_editor(db, p.user, project_id))


@router.post("/projects/{project_id}/setup/preview")
async def setup_preview(request: Request, project_id: ProjectId, p: Writer, db: DbDep) -> Response:
    return _preview(request, p, editor.preview(db, p.user, await _form(request), project_id))


@router.post("/projects/{project_id}/setup")
async def save_setup(request: Request, project_id: ProjectId, p: Writer, db: DbDep) -> Response:
    view = editor.save(db, p.user, project_id, await _form(request))
    if view.saved is None:
        return _editor(request, p, view)
    return RedirectResponse(f"/projects/{project_id}", status_code=303)
