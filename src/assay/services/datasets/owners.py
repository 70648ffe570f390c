"""Who may see and write which dataset: every dataset has an owner, a project or the site.

- **Project-owned** (`dataset_owners.project_id` set): the project's leads and admins may see it, explore
  it, push from it and make new versions of it. Everyone else is told it does not exist (NotFound), as for
  a project they are not a member of. A pull of a project's judgments is always owned by the project.
- **Site-wide** (a row with NULL, or no row at all: datasets made from the CLI, which only whoever runs the
  server can use): every lead and admin may read it; only admins may make new versions of it.
- Annotators and reviewers never read datasets (`policies.read_datasets`, Forbidden).

A new dataset name is claimed by the caller's choice of owner when its first version is written: a lead
must name a project they lead; an admin may leave it site-wide. Names are claimed before the version is
written, so two people cannot race each other into one name with different owners.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from assay.datasets import DatasetStore
from assay.datasets.store import NAME_RE
from assay.domain.users import User
from assay.errors import Forbidden, Invalid, NotFound
from assay.services.accounts import policies
from assay.store.db import Db, Tx
from assay.store.queries import datasets as datasets_q


@dataclass(frozen=True)
class Access:
    """What one person may do with datasets: admins all; otherwise the projects they lead."""

    user: User
    led: dict[int, str]  # project id -> name

    def may_read(self, owner: int | None) -> bool:
        return self.user.is_admin or owner is None or owner in self.led

    def may_write(self, owner: int | None) -> bool:
        return self.user.is_admin or (owner is not None and owner in self.led)

    def may_see_project(self, project_name: str) -> bool:
        """Live judgments from a project are shown only to its leads (and admins)."""
        return self.user.is_admin or project_name in self.led.values()


def _store(db: Db) -> DatasetStore:
    return DatasetStore(db.settings.resolved_dataset_store)


def access(db: Db, user: User) -> Access:
    """The caller's dataset access. Raises Forbidden for annotators and reviewers."""
    policies.read_datasets(user)
    with db.read() as s:
        return _access(s, user)


def _access(s: Tx, user: User) -> Access:
    return Access(user, {} if user.is_admin else datasets_q.led_projects(s, user.id))


def owner_of(db: Db, name: str) -> int | None:
    """The project owning dataset `name`, or None when it is site-wide."""
    with db.read() as s:
        return datasets_q.owners(s, [name]).get(name)


def owner_of_ref(db: Db, ref: str) -> int | None:
    """The project owning the dataset of version reference `ref` (None: site-wide)."""
    return owner_of(db, ref.partition("@")[0] if "@" in ref else _store(db).resolve(ref).dataset)


def visible(db: Db, acc: Access) -> Callable[[str], bool]:
    """dataset name → may `acc`'s person read it (owners read once, now)."""
    with db.read() as s:
        own = datasets_q.owners(s)
    return lambda name: acc.may_read(own.get(name))


def readable(db: Db, user: User, names: Iterable[str]) -> list[str]:
    """The names among `names` the caller may read, in their order. Raises Forbidden (see `access`)."""
    names = list(names)
    acc = access(db, user)
    with db.read() as s:
        own = datasets_q.owners(s, names)
    return [n for n in names if acc.may_read(own.get(n))]


def check_read(db: Db, user: User, ref: str) -> str:
    """Raise unless the caller may read the dataset `ref` (a name or a version reference) belongs to;
    returns the dataset's name. Forbidden for annotators and reviewers; NotFound for a dataset the caller
    may not see (the same answer as for one that does not exist) or an unknown reference."""
    acc = access(db, user)
    ref = ref.strip()
    if "@" in ref:
        name = ref.partition("@")[0]
    else:
        store = _store(db)
        name = ref if ref in store.list_datasets() else store.resolve(ref).dataset  # a content-hash prefix
    if not acc.may_read(owner_of(db, name)):
        raise NotFound(f"no dataset or version {ref!r}; `GET /api/v1/datasets` lists the ones you can see")
    return name


@dataclass(frozen=True)
class Grant:
    """The caller's read access to one dataset, read once: its name, the caller's `Access` and every
    dataset's owner (so `visible` answers for the others, e.g. a version's ancestors)."""

    name: str
    access: Access
    owners: dict[str, int | None]

    def visible(self, name: str) -> bool:
        """May the caller read dataset `name`."""
        return self.access.may_read(self.owners.get(name))

    def check(self, db: Db, ref: str) -> str:
        """`check_read` of another reference against the owners already read: its dataset's name, or
        NotFound."""
        name = _name_of(ref, db)
        if not self.visible(name):
            raise NotFound(f"no dataset or version {ref!r}; `GET /api/v1/datasets` lists the ones you can see")
        return name


def _name_of(ref: str, db: Db) -> str:
    ref = ref.strip()
    if "@" in ref:
        return ref.partition("@")[0]
    store = _store(db)
    return ref if ref in store.list_datasets() else store.resolve(ref).dataset  # a content-hash prefix


def grant(db: Db, user: User, ref: str) -> Grant:
    """`check_read` and `visible` in one read transaction: raises as `check_read` does, else the caller's
    `Grant` for the dataset of `ref`."""
    policies.read_datasets(user)
    name = _name_of(ref, db)
    with db.read() as s:
        g = Grant(name, _access(s, user), datasets_q.owners(s))
    if not g.visible(name):
        raise NotFound(f"no dataset or version {ref!r}; `GET /api/v1/datasets` lists the ones you can see")
    return g


def claim_write(db: Db, user: User | None, name: str, project_id: int | None) -> int | None:
    """Before a new version of dataset `name` is written by `user` (None: the CLI, which may do anything):
    check they may, and give a new name its owner. Returns the owning project id (None: site-wide).

    - an existing dataset keeps its owner (`project_id` is ignored): the caller must be an admin, or a lead
      of its owning project (site-wide ones are admins' only);
    - a new name: owned by `project_id` (a lead must name a project they lead) or, when None, site-wide
      (admins only).
    Raises Invalid for a name the store refuses, Forbidden (with what to do) or NotFound (a project-owned
    dataset the caller may not see)."""
    if not NAME_RE.match(name):
        raise Invalid(f"dataset name {name!r}: use letters, digits, '_', '-' or '.', at most 128 chars")
    exists = name in _store(db).list_datasets()
    with db.write() as s:
        acc = _access(s, user) if user is not None else None
        owned = datasets_q.owners(s, [name])
        if exists or name in owned:
            owner = owned.get(name)
            if acc is not None and not acc.may_read(owner):
                raise NotFound(f"no dataset named {name!r}; pick another name")
            if acc is not None and not acc.may_write(owner):
                raise Forbidden(f"dataset {name!r} is site-wide: only admins may add versions to it; save the "
                                "selection under a new name for one of your projects")
            if name not in owned:
                datasets_q.claim(s, name, owner, user.id if user else None)
            return owner
        if acc is not None and not acc.user.is_admin:
            if project_id is None:
                raise Forbidden("a new dataset needs an owner: name one of the projects you lead "
                                "(`project_id`); only admins make site-wide datasets")
            if project_id not in acc.led:
                raise Forbidden("you may only make datasets for projects you lead")
        created, owner = datasets_q.claim(s, name, project_id, user.id if user else None)
        if not created and owner != project_id and acc is not None and not acc.may_write(owner):
            raise Forbidden(f"dataset {name!r} was just claimed by someone else; pick another name")
        return owner
