"""Project setup for leads: create a project or edit its guidelines, questions and distribution settings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from assay.domain.projects import ProjectSpec
from assay.errors import AssayError, Invalid
from assay.services.accounts import policies
from assay.services.accounts.auth import Principal
from assay.services.projects import files as project_files
from assay.services.projects import projects
from assay.web.deps import DbDep, ProjectId, Reader, Writer
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


def _form_spec(form: dict[str, Any], name: str, base_settings: dict[str, Any] | None = None) -> ProjectSpec:
    """The spec the form describes. The form edits only some settings; every other key of `base_settings`
    (the project's current ones: gold, review, …) is kept as it was."""
    def num(key: str, default: int) -> int:
        try:
            return int(form.get(key) or default)
        except ValueError:
            raise Invalid(f"{key.replace('_', ' ')} must be a whole number")

    settings: dict[str, Any] = {**(base_settings or {}),
                                "show_suggestions": form.get("show_suggestions") == "on",
                                "show_models": form.get("show_models") == "on",
                                "edit_after_submit": form.get("edit_after_submit") == "on",
                                "idle_seconds": num("idle_seconds", 60)}
    questions = project_files.parse_questions_text(str(form.get("questions", "")))
    return ProjectSpec(name=name, title=str(form.get("title", "")).strip(),
                       guidelines=str(form.get("guidelines", "")), questions=questions,
                       annotators_per_record=num("annotators_per_record", 1), lease_minutes=num("lease_minutes", 30),
                       settings=settings)


def _render(request: Request, p: Principal, values: dict[str, Any], project_id: int | None, error: str = "",
            status: int = 200) -> Response:
    return page(request, "project_setup.html", p, status_code=status, values=values, project_id=project_id,
                error=error, examples=KIND_EXAMPLES)


@router.get("/new-project")
def new_project(request: Request, p: Reader) -> Response:
    policies.create_project(p.user)
    return _render(request, p, {"name": "", "title": "", "guidelines": "", "annotators_per_record": 1,
                                "lease_minutes": 30, "settings": {"idle_seconds": 60}, "questions": KIND_EXAMPLES},
                   None)


@router.post("/new-project")
async def create_project(request: Request, p: Writer, db: DbDep) -> Response:
    policies.create_project(p.user)
    form = dict(await request.form())
    try:
        project = projects.create_project(db, _form_spec(form, str(form.get("name", "")).strip()), p.user)
    except AssayError as e:
        return _render(request, p, _echo(form), None, e.message, e.status)
    return RedirectResponse(f"/projects/{project.id}", status_code=303)


@router.get("/projects/{project_id}/setup")
def setup_page(request: Request, project_id: ProjectId, p: Reader, db: DbDep) -> Response:
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    project = projects.get_project(db, project_id)
    values = project_files.spec_dict(project)
    values["questions"] = project_files.questions_yaml(project.questions)
    return _render(request, p, values, project_id)


@router.post("/projects/{project_id}/setup")
async def save_setup(request: Request, project_id: ProjectId, p: Writer, db: DbDep) -> Response:
    policies.manage_project(p.user, projects.member_role(db, project_id, p.user.id))
    project = projects.get_project(db, project_id)
    form = dict(await request.form())
    try:
        project_files.update_project(db, project_id, _form_spec(form, project.name, project.settings), p.user)
    except AssayError as e:
        return _render(request, p, _echo(form, project.name), project_id, e.message, e.status)
    return RedirectResponse(f"/projects/{project_id}", status_code=303)


def _echo(form: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    """What was typed, to show again with the error (nothing is lost on a refused save)."""
    return {"name": name or form.get("name", ""), "title": form.get("title", ""),
            "guidelines": form.get("guidelines", ""), "questions": form.get("questions", ""),
            "annotators_per_record": form.get("annotators_per_record", 1),
            "lease_minutes": form.get("lease_minutes", 30),
            "settings": {"show_suggestions": form.get("show_suggestions") == "on",
                         "show_models": form.get("show_models") == "on",
                         "edit_after_submit": form.get("edit_after_submit") == "on",
                         "idle_seconds": form.get("idle_seconds", 60)}}
