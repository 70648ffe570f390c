"""The demo: an admin, two annotators and a pairwise project with a dozen records written for Assay."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import yaml

from assay.domain.projects import Project, ProjectSpec
from assay.domain.records import Completion, Message, Record
from assay.domain.users import User
from assay.errors import Conflict, NotFound
from assay.services.accounts import users
from assay.services.accounts.passwords import verify_password
from assay.services.projects import projects, records
from assay.store.db import Db
from assay.store.queries import users as users_q

DEMO_ACCOUNTS = (("admin", "admin-demo-pass", "admin"),
                 ("annotator1", "annotator1-demo-pass", "annotator"),
                 ("annotator2", "annotator2-demo-pass", "annotator"))


@dataclass
class Demo:
    project: Project
    accounts: tuple[tuple[str, str, str], ...]
    created: bool


def demo_records() -> list[Record]:
    """The demo dataset shipped inside the package (assay/demo/records.jsonl)."""
    text = resources.files("assay.demo").joinpath("records.jsonl").read_text(encoding="utf-8")
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        d = json.loads(line)
        out.append(Record(external_id=d["id"], messages=[Message(m["role"], m["content"]) for m in d["messages"]],
                          completions=[Completion(text=c["text"], model=c["model"]) for c in d["completions"]],
                          metadata=d.get("metadata", {}), source=f"assay demo records.jsonl:{n}"))
    return out


def demo_spec() -> ProjectSpec:
    text = resources.files("assay.demo").joinpath("project.yaml").read_text(encoding="utf-8")
    return ProjectSpec.from_dict(yaml.safe_load(text))


def ensure_demo(db: Db) -> Demo:
    """Create the demo accounts, project and records unless they exist (safe to run again)."""
    created = False
    for name, password, role in DEMO_ACCOUNTS:
        try:
            users.add_user(db, name, password, role)
            created = True
        except Conflict:
            pass
    admin = users.find_user(db, "admin")
    spec = demo_spec()
    try:
        project = projects.find_project(db, spec.name)
    except NotFound:
        project = projects.create_project(db, spec, admin)
        created = True
    for name, _, role in DEMO_ACCOUNTS[1:]:
        projects.add_member(db, project.id, name, role, admin)
    records.import_records(db, project.id, demo_records(), admin)
    return Demo(project=project, accounts=DEMO_ACCOUNTS, created=created)


def demo_accounts_present(db: Db) -> bool:
    """True when any demo account still has its published password (unsafe off localhost)."""
    with db.read() as s:
        rows = users_q.active_password_hashes(s, [a[0] for a in DEMO_ACCOUNTS])
    return any(verify_password(rows.get(name), pw) for name, pw, _ in DEMO_ACCOUNTS if name in rows)


def demo_user(db: Db, name: str) -> User:
    return users.find_user(db, name)
