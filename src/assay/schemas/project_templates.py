"""Project templates and project-file checks over the wire: the JSON twins of the new-project gallery and of
the settings editor's live check."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ProjectTemplatePublic(BaseModel):
    """One template of the new-project gallery: its card, and the settings it starts a project with."""

    name: str
    title: str
    summary: str
    trainer_sees: str
    kinds: list[str] = Field(description="The question kinds it asks, in order.")
    needs_endpoint: bool = Field(description="True when it talks to a model endpoint (chat, red-team).")
    project: dict[str, Any] = Field(description="The settings, as a project file holds them.")
    yaml: str = Field(description="The same settings as the editor shows them.")


class ProjectFileCheck(BaseModel):
    """A project file (YAML or JSON text) to check, as the settings editor does, without storing anything."""

    yaml: str = Field(max_length=1_000_000, description="The project file's text.")


class SpecProblemPublic(BaseModel):
    line: int | None = Field(description="1-based line in the text, when one fits.")
    field: str = Field(description="Dotted path such as questions[2].kind; empty for the whole file.")
    message: str


class ProjectFileCheckPublic(BaseModel):
    """`ok` when the file would create a project; otherwise `errors`. `warnings` never block."""

    ok: bool
    errors: list[SpecProblemPublic]
    warnings: list[SpecProblemPublic]
    project: dict[str, Any] | None = Field(description="The parsed settings (null when the text did not parse).")
