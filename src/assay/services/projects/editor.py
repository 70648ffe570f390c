"""The project editor's use cases: the template gallery, a new project from a template, a clone of a project's
settings, editing a project's settings later, the live preview, and saving.

Every function checks the caller's permission itself (`policies.create_project` for a new project or the
gallery, `policies.manage_project` on the project for clone, setup and its preview) and returns one view
model (`Gallery` or `EditorView`). The editor has two faces kept in sync by the page: a form and the YAML
text; a submission names the side last edited (`source`: "form" or "yaml") and that side is the truth.
Nothing is stored unless every check passes; a refused save returns the editor with the errors and what
was typed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from assay.domain.projects import Project
from assay.domain.questions import Question
from assay.domain.records import Record
from assay.domain.users import User
from assay.errors import Conflict, Invalid, NotFound
from assay.services.accounts import policies
from assay.services.accounts.audit import record_event
from assay.services.authoring import endpoints
from assay.services.code.execution import solution_text, split_script
from assay.services.code.runs import CodeView
from assay.services.projects import files, gallery
from assay.services.projects.gallery import Template
from assay.services.projects.spec_check import (
    SWITCHES,
    Checked,
    SpecError,
    check_data,
    check_text,
    line_of,
    parse_yaml,
)
from assay.services.projects.spec_text import spec_yaml
from assay.store.db import Db, Tx
from assay.store.mappers import project_from_row
from assay.store.queries import memberships as members_q
from assay.store.queries import projects as projects_q
from assay.store.tables import ProjectRow


@dataclass(frozen=True)
class Gallery:
    templates: tuple[Template, ...]


@dataclass(frozen=True)
class EditorView:
    """The editor page (or its preview fragment).

    `mode` is "new", "clone" or "setup"; `data` the settings mapping the form shows (what was typed when
    it did not parse); `checked` the check of `yaml_text`; `questions` what the preview renders (empty when
    the questions themselves are invalid: the page keeps its last good preview); `samples` the records they
    are previewed on, with `code_views[i]` the code panel of sample i (None for a record without code);
    `saved` the project after a successful create or save; `status` the HTTP status a refusal answers with.
    """

    mode: str
    action: str
    preview_url: str
    project: Project | None
    template: Template | None
    data: dict[str, Any]
    yaml_text: str
    checked: Checked
    questions: tuple[Question, ...]
    samples: tuple[Record, ...]
    code_views: tuple[CodeView | None, ...]
    endpoint_names: tuple[str, ...] = ()
    error: str = ""
    status: int = 200
    saved: Project | None = None
    source: str = "yaml"
    form_errors: tuple[SpecError, ...] = field(default=())
    role: str | None = None  # the person's role in `project` (the project sub-navigation shows by it)

    @property
    def errors(self) -> tuple[SpecError, ...]:
        return self.form_errors + self.checked.errors


def template_gallery(user: User) -> Gallery:
    """The gallery of shipped templates. Forbidden unless the person may create projects."""
    policies.create_project(user)
    return Gallery(gallery.templates())


# --- the form side --------------------------------------------------------------------------------------

def _number(raw: Any) -> Any:
    text = str(raw if raw is not None else "").strip()
    try:
        return int(text)
    except ValueError:
        return text  # the check names the field and says what it must be


def data_from_form(form: Mapping[str, Any], base_settings: dict[str, Any] | None = None
                   ) -> tuple[dict[str, Any], list[SpecError]]:
    """The settings mapping a submitted form describes, and the form fields that could not be read.

    Questions come from the rows `q-<i>-name`, `-kind`, `-title`, `-help`, `-required`, `-options` (options as
    YAML, e.g. `{choices: [a, b]}`), in the order they appear; a form without rows may send `questions` as a
    YAML list (the page before the editor). Settings are `settings_json` (the ones the form does not show)
    or else `base_settings`, with the trainer-page switches and `idle_seconds` from the form.
    """
    problems: list[SpecError] = []
    data: dict[str, Any] = {"name": str(form.get("name", "")).strip(), "title": str(form.get("title", "")).strip(),
                            "annotators_per_record": _number(form.get("annotators_per_record", 1)),
                            "lease_minutes": _number(form.get("lease_minutes", 30)),
                            "guidelines": str(form.get("guidelines", "")).replace("\r\n", "\n")}
    rows = [k[2:-5] for k in form if k.startswith("q-") and k.endswith("-name")]
    questions: list[Any] = []
    if rows:
        for n, i in enumerate(rows):
            q: dict[str, Any] = {"name": str(form.get(f"q-{i}-name", "")).strip(),
                                 "kind": str(form.get(f"q-{i}-kind", "")).strip()}
            for key in ("title", "help"):
                if str(form.get(f"q-{i}-{key}", "")).strip():
                    q[key] = str(form[f"q-{i}-{key}"]).strip()
            q["required"] = form.get(f"q-{i}-required") == "on"
            opts = str(form.get(f"q-{i}-options", "")).strip()
            if opts:
                try:
                    parsed = yaml.safe_load(opts)
                except yaml.YAMLError as e:
                    problems.append(SpecError(None, f"questions[{n}].options", f"the options are not valid YAML: "
                                                                                f"{getattr(e, 'problem', e)}"))
                    parsed = None
                if parsed is not None and not isinstance(parsed, dict):
                    problems.append(SpecError(None, f"questions[{n}].options",
                                              "options must be a mapping, e.g. {choices: [a, b]}"))
                elif parsed:
                    q["options"] = parsed
            questions.append(q)
    elif str(form.get("questions", "")).strip():
        try:
            parsed_qs = yaml.safe_load(str(form["questions"]))
            questions = parsed_qs if isinstance(parsed_qs, list) else []
            if not isinstance(parsed_qs, list):
                problems.append(SpecError(None, "questions", "questions must be a YAML list (- name: …, kind: …)"))
        except yaml.YAMLError as e:
            problems.append(SpecError(None, "questions", f"questions are not valid YAML: {e}"))
    data["questions"] = questions
    settings = dict(base_settings or {})
    if str(form.get("settings_json", "")).strip():
        try:
            loaded = json.loads(str(form["settings_json"]))
            settings = loaded if isinstance(loaded, dict) else settings
        except ValueError:
            problems.append(SpecError(None, "settings", "the hidden settings field was damaged; reload the page"))
    for key in SWITCHES:
        settings[key] = form.get(key) == "on"
    settings["idle_seconds"] = _number(form.get("idle_seconds", settings.get("idle_seconds", 60)))
    data["settings"] = settings
    return data, problems


# --- building views ---------------------------------------------------------------------------------------

def _code_view(rec: Record) -> CodeView | None:
    task = rec.code
    if task is None:
        return None
    try:
        sources = [t.source for t in split_script(task.visible_tests, task.entry_point).tests]
    except Invalid:
        sources = []
    return CodeView(record_id=0, problem=task.problem, language=task.language, entry_point=task.entry_point,
                    visible_tests=task.visible_tests, visible_test_sources=sources,
                    candidates=[{"model": c.model, "code": solution_text(task, c.text)} for c in rec.completions],
                    has_reference=False, access="annotator")


def _preview_questions(checked: Checked) -> tuple[Question, ...]:
    if checked.spec is not None:
        return tuple(checked.spec.questions)
    if checked.data is None or any(e.field.startswith("questions") for e in checked.errors):
        return ()
    # the questions are fine though something else is not (a missing endpoint, a bad slug): preview them
    only = check_data({"name": "preview", "questions": checked.data.get("questions")})
    return tuple(only.spec.questions) if only.spec is not None else ()


def _view(mode: str, data: dict[str, Any], text: str, checked: Checked, *, project: Project | None = None,
          template: Template | None = None, endpoint_names: tuple[str, ...] = (), source: str = "yaml",
          form_errors: tuple[SpecError, ...] = (), error: str = "", status: int = 200,
          saved: Project | None = None, role: str | None = None) -> EditorView:
    questions = _preview_questions(checked)
    samples = gallery.samples_for([q.kind.value for q in questions], template.samples if template else ())
    if mode == "setup" and project is not None:
        action = f"/projects/{project.id}/setup"
    else:
        action = "/new-project"
    return EditorView(mode=mode, action=action, preview_url=f"{action}/preview", project=project, template=template,
                      data=data, yaml_text=text, checked=checked, questions=questions, samples=samples,
                      code_views=tuple(_code_view(r) for r in samples), endpoint_names=endpoint_names,
                      error=error, status=status, saved=saved, source=source, form_errors=form_errors,
                      role=role)


def _endpoint_names(s: Tx, user: User, project_id: int | None) -> tuple[str, ...]:
    return tuple(e.name for e in endpoints.list_in(s, user, project_id=project_id))


def new_editor(db: Db, user: User, template_name: str) -> EditorView:
    """The editor started from a shipped template. A template that talks to a model (chat, red-team) gets
    the first endpoint the person may use; with none, the check says to add one. NotFound for an unknown
    template; Forbidden unless the person may create projects."""
    policies.create_project(user)
    template = gallery.find(template_name)
    data = copy.deepcopy(template.project)
    with db.read() as s:
        names = _endpoint_names(s, user, None)
    authoring = (data.get("settings") or {}).get("authoring")
    if isinstance(authoring, dict) and not authoring.get("endpoints") and names:
        authoring["endpoints"] = [names[0]]
    text = spec_yaml(data)
    return _view("new", data, text, check_text(text), template=template, endpoint_names=names)


def _managed(s: Tx, user: User, project_id: int) -> tuple[ProjectRow, str | None]:
    """The project and the person's role in it, when they may manage it (its lead, or an admin)."""
    role = members_q.role_of(s, project_id, user.id)
    policies.manage_project(user, role)
    row = projects_q.get(s, project_id)
    if row is None:
        raise NotFound(f"no project with id {project_id}")
    return row, role


def _free_name(s: Tx, base: str) -> str:
    stem = base[:110]
    for n in range(1, 1000):
        name = f"{stem}-copy" if n == 1 else f"{stem}-copy-{n}"
        if not projects_q.name_taken(s, name):
            return name
    return f"{stem}-copy-{len(base)}"


def clone_editor(db: Db, user: User, project_id: int) -> EditorView:
    """A new project's editor prefilled with a copy of this project's settings (not its records or
    judgments), under a free name. The person must lead the project (or be an admin) and may create
    projects."""
    policies.create_project(user)
    with db.read() as s:
        row, _ = _managed(s, user, project_id)
        project = project_from_row(row)
        names = _endpoint_names(s, user, None)
        data = files.spec_dict(project)
        data["name"] = _free_name(s, project.name)
    data["title"] = f"Copy of {project.display_title}"[:200]
    text = spec_yaml(data)
    return _view("clone", data, text, check_text(text), project=project, endpoint_names=names)


def setup_editor(db: Db, user: User, project_id: int) -> EditorView:
    """The editor on a project's current settings (its lead or an admin)."""
    with db.read() as s:
        row, role = _managed(s, user, project_id)
        project = project_from_row(row)
        names = _endpoint_names(s, user, project_id)
    data = files.spec_dict(project)
    text = spec_yaml(data)
    return _view("setup", data, text, check_text(text), project=project, endpoint_names=names, role=role)


def _submitted(form: Mapping[str, Any], base_settings: dict[str, Any] | None
               ) -> tuple[str, dict[str, Any], str, Checked, tuple[SpecError, ...]]:
    """(source, data, yaml text, check, form problems) of a submission (see the module doc)."""
    source = str(form.get("source") or ("yaml" if "yaml" in form else "form"))
    if source == "yaml":
        text = str(form.get("yaml", ""))
        checked = check_text(text)
        data = checked.data if checked.data is not None else {}
        return "yaml", data, text, checked, ()
    data, problems = data_from_form(form, base_settings)
    text = spec_yaml(data)
    return "form", data, text, check_text(text), tuple(problems)


def _restrict(mode: str, project: Project | None, checked: Checked, text: str) -> Checked:
    """Setup keeps the project's name (renaming is not supported): a changed name is an error on its line."""
    if mode != "setup" or project is None or checked.data is None or checked.data.get("name") == project.name:
        return checked
    root, _ = _safe_root(text)
    err = SpecError(line_of(root, ["name"]), "name",
                    f"this project is {project.name!r}; its name cannot change (clone it for a new name)")
    return Checked(checked.data, None, (*checked.errors, err), checked.warnings)


def _safe_root(text: str) -> tuple[yaml.Node | None, Any]:
    try:
        return parse_yaml(text)
    except Invalid:
        return None, None


def preview(db: Db, user: User, form: Mapping[str, Any], project_id: int | None = None) -> EditorView:
    """The editor after an edit, for the live preview (stores nothing). For a project's setup the person
    must manage it; otherwise they must be allowed to create projects."""
    project = None
    if project_id is not None:
        with db.read() as s:
            project = project_from_row(_managed(s, user, project_id)[0])
    else:
        policies.create_project(user)
    template = _template_of(form) if project_id is None else None
    mode = "setup" if project is not None else "new"
    source, data, text, checked, problems = _submitted(form, project.settings if project else None)
    checked = _restrict(mode, project, checked, text)
    return _view(mode, data, text, checked, project=project, template=template, source=source,
                 form_errors=problems)


def _template_of(form: Mapping[str, Any]) -> Template | None:
    """The template the editor was started from (its sample records), if the form names a known one."""
    try:
        return gallery.find(str(form["template"])[:100]) if form.get("template") else None
    except NotFound:
        return None


def _check_endpoints(s: Tx, checked: Checked, project_id: int | None, text: str) -> Checked:
    spec = checked.spec
    authoring = (spec.settings.get("authoring") if spec else None) or {}
    names = authoring.get("endpoints") if isinstance(authoring, dict) else None
    missing = [n for n in names or [] if endpoints.usable_in(s, str(n), project_id or 0) is None]
    if not missing:
        return checked
    root, _ = _safe_root(text)
    err = SpecError(line_of(root, ["settings", "authoring", "endpoints"]), "settings.authoring.endpoints",
                    f"model endpoint {missing[0]!r} does not exist for this project; add it on the model "
                    "endpoints page (/authoring/endpoints) or name one that exists")
    return Checked(checked.data, None, (*checked.errors, err), checked.warnings)


def create(db: Db, user: User, form: Mapping[str, Any]) -> EditorView:
    """Create the project the submission describes, with the person as its lead, in one write transaction.
    Returns the view with `saved` set, or with the errors (status 422, or 409 for a taken name) and nothing
    stored."""
    policies.create_project(user)
    template = _template_of(form)
    source, data, text, checked, problems = _submitted(form, None)
    mode = "clone" if form.get("mode") == "clone" else "new"
    if problems or not checked.ok:
        return _view(mode, data, text, checked, template=template, source=source, form_errors=problems, status=422)
    assert checked.spec is not None
    spec = checked.spec
    with db.write() as s:
        checked = _check_endpoints(s, checked, None, text)
        if checked.ok:
            if projects_q.name_taken(s, spec.name):
                err = SpecError(line_of(_safe_root(text)[0], ["name"]), "name",
                                f"a project named {spec.name!r} exists; choose another name")
                return _view(mode, data, text, Checked(checked.data, None, (err,), checked.warnings),
                             template=template, source=source, status=409)
            row = projects_q.add(s, spec, user.id)
            members_q.put(s, row.id, user.id, "lead")
            record_event(s, user.id, "project.create", spec.name, via="editor",
                         template=template.name if template else "")
            saved = project_from_row(row)
    if not checked.ok:
        return _view(mode, data, text, checked, template=template, source=source, status=422)
    return _view(mode, data, text, checked, template=template, source=source, saved=saved)


def save(db: Db, user: User, project_id: int, form: Mapping[str, Any]) -> EditorView:
    """Replace a project's settings with the submission's (see `files.update_project` for what may change
    once annotations exist): permission, checks and the save in one write transaction. Returns the view with
    `saved` set, or with the errors and nothing stored."""
    project: Project | None = None
    try:
        with db.write() as s:
            row, role = _managed(s, user, project_id)
            project = project_from_row(row)
            source, data, text, checked, problems = _submitted(form, project.settings)
            checked = _restrict("setup", project, checked, text)
            if not problems and checked.ok:
                checked = _check_endpoints(s, checked, project_id, text)
            if problems or not checked.ok:
                return _view("setup", data, text, checked, project=project, source=source, form_errors=problems,
                             status=422, role=role)
            assert checked.spec is not None
            saved = files.update_in(s, project_id, checked.spec, user)
    except (Conflict, Invalid) as e:
        if project is None:
            raise
        return _view("setup", data, text, checked, project=project, source=source, error=e.message,
                     status=e.status, role=role)
    return _view("setup", data, text, checked, project=saved, source=source, saved=saved, role=role)
