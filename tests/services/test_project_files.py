"""Updating a project from a spec: settings and guidelines always, questions only before any annotation."""

from __future__ import annotations

import pytest

from assay.domain.projects import ProjectSpec
from assay.errors import Conflict, Invalid
from assay.services.accounts import users
from assay.services.annotation import queue
from assay.services.annotation import submissions as annotations
from assay.services.projects import files as project_files
from assay.services.projects import projects
from assay.services.site.demo import ensure_demo


def test_update_settings_and_questions_then_refuse_after_annotations(db) -> None:  # type: ignore[no-untyped-def]
    demo = ensure_demo(db)
    p = demo.project
    spec = project_files.spec_dict(p)
    spec["guidelines"] = "New guidelines"
    spec["settings"] = {"show_suggestions": True}
    spec["questions"][1]["help"] = "Say why in a sentence."
    spec["questions"].append({"name": "safety", "kind": "labels", "options": {"choices": ["unsafe", "ok"]}})
    updated = project_files.update_project(db, p.id, ProjectSpec.from_dict(spec))
    assert updated.guidelines == "New guidelines" and updated.settings == {"show_suggestions": True}
    assert [q.name for q in updated.questions] == ["preference", "rationale", "safety"]
    assert projects.get_project(db, p.id).questions[1].help == "Say why in a sentence."

    user = users.find_user(db, "annotator1")
    task = queue.claim_next(db, p.id, user.id)
    annotations.save_draft(db, p.id, task.record_id, user.id, {"preference": {"choice": "a"}})
    spec["questions"].pop()
    with pytest.raises(Conflict, match="annotation"):
        project_files.update_project(db, p.id, ProjectSpec.from_dict(spec))
    spec["questions"] = [q.to_dict() for q in updated.questions]
    spec["questions"][0]["title"] = "Which is better, really?"
    again = project_files.update_project(db, p.id, ProjectSpec.from_dict(spec))
    assert again.questions[0].title == "Which is better, really?"

    spec["name"] = "other-name"
    with pytest.raises(Invalid, match="renaming"):
        project_files.update_project(db, p.id, ProjectSpec.from_dict(spec))


def test_parse_questions_text_reports_errors() -> None:
    qs = project_files.parse_questions_text("- {name: r, kind: ranking}\n- {name: t, kind: text, required: false}")
    assert [(q.name, q.kind.value, q.required) for q in qs] == [("r", "ranking", True), ("t", "text", False)]
    with pytest.raises(Invalid, match="unknown kind"):
        project_files.parse_questions_text("- {name: r, kind: stars}")
    with pytest.raises(Invalid, match="list"):
        project_files.parse_questions_text("name: r")
