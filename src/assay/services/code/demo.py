"""The code-review demo: project `demo-code-review` with five HumanEval problems, each with two candidate
solutions written for Assay (some correct, some buggy, one that does not parse)."""

from __future__ import annotations

from importlib import resources

import yaml

from assay.domain.projects import Project, ProjectSpec
from assay.domain.records import Record
from assay.errors import NotFound
from assay.formats import read_records
from assay.services.accounts import users
from assay.services.projects import projects, records
from assay.store.db import Db

DEMO_ANNOTATORS = ("annotator1", "annotator2")


def code_demo_records() -> list[Record]:
    """The demo code records shipped in the package (`assay/demo/code_records.jsonl`)."""
    with resources.as_file(resources.files("assay.demo").joinpath("code_records.jsonl")) as path:
        return list(read_records(path, "assay"))


def code_demo_spec() -> ProjectSpec:
    text = resources.files("assay.demo").joinpath("code_project.yaml").read_text(encoding="utf-8")
    return ProjectSpec.from_dict(yaml.safe_load(text))


def ensure_code_demo(db: Db) -> Project:
    """Create the code-review demo project (and import its records) unless it exists; the demo annotators
    become its members when they exist. Safe to run again. Needs the admin account of `ensure_demo`."""
    admin = users.find_user(db, "admin")
    spec = code_demo_spec()
    try:
        project = projects.find_project(db, spec.name)
    except NotFound:
        project = projects.create_project(db, spec, admin)
    for name in DEMO_ANNOTATORS:
        try:
            projects.add_member(db, project.id, name, "annotator", admin)
        except NotFound:
            pass
    records.import_records(db, project.id, code_demo_records(), admin)
    return project
