"""The project templates shipped in the package (`services/projects/templates/*.yaml`) and their sample
records (`templates/samples/*.yaml`), for the new-project gallery and the editor's live preview.

A template file holds three things:

    gallery:            # the card: title, order, summary, trainer_sees, samples (a sample set's name),
      title: …          #   needs_endpoint (true for chat and red-team: they talk to a model endpoint)
    project:            # the settings the editor starts from, as a project file holds them
      name: …
    samples: [...]      # optional: records of its own instead of a shared set

Sample records use the import format (`id`, `messages`, `completions`, optional `code`). Templates are
read once per process; a broken template file is a packaging bug and raises at first use.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from assay.domain.records import CodeTask, Completion, Message, Record
from assay.errors import NotFound

PACKAGE = "assay.services.projects"


@dataclass(frozen=True)
class Template:
    """One gallery card and what it starts the editor with."""

    name: str
    title: str
    summary: str
    trainer_sees: str
    order: int
    needs_endpoint: bool
    project: dict[str, Any]
    samples: tuple[Record, ...]

    @property
    def kinds(self) -> list[str]:
        """The question kinds the template asks, in order, without repeats."""
        out: list[str] = []
        for q in self.project.get("questions") or []:
            if q.get("kind") not in out:
                out.append(str(q.get("kind")))
        return out


def _read(path: str) -> Any:
    return yaml.safe_load(resources.files(PACKAGE).joinpath("templates", *path.split("/")).read_text("utf-8"))


def sample_record(d: dict[str, Any], where: str) -> Record:
    """A sample record (import format) → Record."""
    code = d.get("code")
    return Record(external_id=str(d["id"]),
                  messages=[Message(m["role"], m["content"]) for m in d["messages"]],
                  completions=[Completion(text=c["text"], model=c.get("model", "")) for c in d["completions"]],
                  metadata=dict(d.get("metadata") or {}), source=where,
                  code=CodeTask(problem=code["problem"], language=code.get("language", "python"),
                                entry_point=code.get("entry_point", ""),
                                visible_tests=code.get("visible_tests", "")) if code else None)


@functools.cache
def sample_set(name: str) -> tuple[Record, ...]:
    """The shared sample set `templates/samples/<name>.yaml`."""
    rows = _read(f"samples/{name}.yaml")
    return tuple(sample_record(d, f"sample set {name}") for d in rows)


@functools.cache
def templates() -> tuple[Template, ...]:
    """Every shipped template, in gallery order."""
    out = []
    for entry in resources.files(PACKAGE).joinpath("templates").iterdir():
        if not entry.name.endswith(".yaml"):
            continue
        name = entry.name.removesuffix(".yaml")
        raw = yaml.safe_load(entry.read_text("utf-8"))
        card = raw["gallery"]
        own = raw.get("samples")
        samples = tuple(sample_record(d, f"template {name}") for d in own) if isinstance(own, list) \
            else sample_set(str(card.get("samples", "pairs")))
        out.append(Template(name=name, title=card["title"], summary=card["summary"],
                            trainer_sees=card["trainer_sees"], order=int(card.get("order", 999)),
                            needs_endpoint=bool(card.get("needs_endpoint", False)), project=raw["project"],
                            samples=samples))
    return tuple(sorted(out, key=lambda t: (t.order, t.name)))


def find(name: str) -> Template:
    """The template called `name`. Raises NotFound naming the ones there are."""
    for t in templates():
        if t.name == name:
            return t
    raise NotFound(f"no project template {name!r}; the templates are {', '.join(t.name for t in templates())}")


def samples_for(kinds: list[str], preferred: tuple[Record, ...] = ()) -> tuple[Record, ...]:
    """Records to preview a form asking `kinds` on: `preferred` (the template's own) unless a question needs
    what they lack (a code task for code_review, three responses for ranking), else a set that has it."""
    recs = preferred or sample_set("pairs")
    if "code_review" in kinds and not all(r.code for r in recs):
        return sample_set("code")
    if "ranking" in kinds and any(len(r.completions) < 3 for r in recs):
        return sample_set("triples")
    return recs
