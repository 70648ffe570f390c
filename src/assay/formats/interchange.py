"""Other annotation tools' exports (Label Studio JSON, Argilla v2): which one a path is, and reading it.

    kind = which(path)            # "label_studio" | "argilla" | None (another format)
    got = read(path, kind, project.questions)   # an Interchange: records, skipped, counts

Both readers put the people's answers in ``metadata["judgments"]`` (whole forms: ``{"annotator",
"answers": {question: answer}, ...}``) and the tool's predictions/suggestions in ``metadata["suggestions"]``,
the shapes `assay.services.projects.records.import_records` and
`assay.services.annotation.judgments.import_judgments` store. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assay.domain.questions import Question
from assay.errors import Invalid
from assay.formats import argilla, label_studio
from assay.formats.label_studio import Interchange, Skipped

KINDS = ("label_studio", "argilla")
ALIASES = {"label_studio": "label_studio", "label-studio": "label_studio", "labelstudio": "label_studio",
           "ls": "label_studio", "argilla": "argilla"}

__all__ = ["ALIASES", "KINDS", "Interchange", "Skipped", "read", "which"]


def which(path: str | Path, fmt: str = "auto") -> str | None:
    """The interchange kind `fmt` names ("label-studio", "argilla", …), or for "auto" the one the file looks
    like; None for any other format. Never raises for a foreign file."""
    if fmt != "auto":
        return ALIASES.get(fmt.lower())
    if argilla.detect(path):
        return "argilla"
    if Path(path).is_file() and label_studio.detect(path):
        return "label_studio"
    return None


def read(path: str | Path, kind: str, questions: Sequence[Question] | None = None) -> Interchange:
    """Read the export with the reader of `kind`, matching answers to `questions` (see each reader).
    Raises Invalid for an unknown kind and whatever the reader raises (naming the item and field)."""
    name = ALIASES.get(kind.lower())
    if name == "label_studio":
        return label_studio.read(path, questions)
    if name == "argilla":
        return argilla.read(path, questions)
    raise Invalid(f"unknown interchange format {kind!r}; use label-studio or argilla")
