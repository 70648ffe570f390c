"""The new-project gallery and the settings editor's check over JSON (site admins and leads): the twins of
`GET /new-project` and `POST /new-project/preview`, backed by the same service calls."""

from __future__ import annotations

from fastapi import APIRouter

from assay.schemas.project_templates import (
    ProjectFileCheck,
    ProjectFileCheckPublic,
    ProjectTemplatePublic,
    SpecProblemPublic,
)
from assay.services.projects import editor
from assay.services.projects.spec_check import SpecError
from assay.services.projects.spec_text import spec_yaml
from assay.web.deps import DbDep, Reader, Writer

router = APIRouter(tags=["projects"])


@router.get("/project-templates", response_model=list[ProjectTemplatePublic])
def list_templates(p: Reader) -> list[ProjectTemplatePublic]:
    """Every shipped project template, in gallery order (create one with `POST /projects`)."""
    return [ProjectTemplatePublic(name=t.name, title=t.title, summary=t.summary, trainer_sees=t.trainer_sees,
                                  kinds=t.kinds, needs_endpoint=t.needs_endpoint, project=t.project,
                                  yaml=spec_yaml(t.project))
            for t in editor.template_gallery(p.user).templates]


@router.post("/project-files/check", response_model=ProjectFileCheckPublic)
def check_project_file(body: ProjectFileCheck, p: Writer, db: DbDep) -> ProjectFileCheckPublic:
    """Check a project file as the browser editor does (line and field for every problem); stores nothing."""
    view = editor.preview(db, p.user, {"source": "yaml", "yaml": body.yaml})
    return ProjectFileCheckPublic(ok=view.checked.ok and not view.errors, errors=_public(view.errors),
                                  warnings=_public(view.checked.warnings), project=view.checked.data)


def _public(problems: tuple[SpecError, ...]) -> list[SpecProblemPublic]:
    return [SpecProblemPublic(line=e.line, field=e.field, message=e.message) for e in problems]
