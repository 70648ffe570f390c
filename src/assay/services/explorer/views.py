"""One call per explorer page or API route: each function checks the caller may read the version
(`owners.grant`, one read transaction for the database part), makes sure the version's explorer cache is
ready (`browse.prepare`), and returns a small frozen view model. When the cache is not ready the view
model carries only its `status` (the handler answers "building" or "failed")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assay.datasets.diff import VersionDiff
from assay.datasets.store import Manifest
from assay.domain.projects import Project
from assay.domain.users import User
from assay.services.datasets import owners as dataset_owners
from assay.services.explorer import browse, lineage, record, stats
from assay.services.explorer.cache import CacheStatus
from assay.store.db import Db
from assay.store.mappers import project_from_row
from assay.store.queries import datasets as datasets_q
from assay.store.queries import projects as projects_q


@dataclass(frozen=True)
class Selection:
    """A view as it came in the URL or body, checked (`view`) only after the caller's access is: someone
    who may not read the version gets NotFound whatever the parameters."""

    conditions: tuple[str, ...] = ()
    q: str = ""
    where: str = ""
    page: int = 1
    per_page: int = 25

    def view(self) -> browse.View:
        """The `browse.View` (blank conditions ignored, text stripped). Raises Invalid as `View` does."""
        return browse.View(conditions=tuple(c.strip() for c in self.conditions if c.strip()), q=self.q.strip(),
                           where=self.where.strip(), page=self.page, per_page=self.per_page)


@dataclass(frozen=True)
class BrowseView:
    """A page of records (`result`), or only `status` while the cache is not ready."""

    status: CacheStatus
    view: browse.View
    result: browse.RecordPage | None = None


@dataclass(frozen=True)
class VersionPage:
    """The version page: `BrowseView`'s fields plus the version's manifest, the caller's projects, the
    projects a new dataset may be owned by (id, name) and the dataset's owner (None: site-wide)."""

    status: CacheStatus
    view: browse.View
    result: browse.RecordPage | None = None
    manifest: Manifest | None = None
    projects: tuple[Project, ...] = ()
    owner_projects: tuple[tuple[int, str], ...] = ()
    owner: int | None = None


@dataclass(frozen=True)
class RecordView:
    """Everything known about one record (`detail`), or only `status` while the cache is not ready."""

    status: CacheStatus
    detail: dict[str, Any] | None = None


@dataclass(frozen=True)
class StatsView:
    """Column statistics and the run report (`stats`), or only `status` while the cache is not ready."""

    status: CacheStatus
    stats: dict[str, Any] | None = None


@dataclass(frozen=True)
class LineageView:
    """The ancestry graph of a version and, when asked for, the diff from `against` to it."""

    graph: lineage.LineageGraph
    diff: VersionDiff | None = None


def cache_state(db: Db, user: User, ref: str) -> CacheStatus:
    """Where version `ref`'s explorer cache stands; starts its build (no waiting)."""
    dataset_owners.grant(db, user, ref)
    return browse.prepare(db, ref, wait=0)


def records(db: Db, user: User, ref: str, sel: Selection, *, wait: float | None = None,
            retry: bool = False) -> BrowseView:
    """The records `sel` selects in version `ref`. Raises as `owners.check_read`, `Selection.view` and
    `browse.browse`."""
    dataset_owners.grant(db, user, ref)
    st = browse.prepare(db, ref, wait=wait, retry=retry)
    view = sel.view()  # after the cache: a view is checked once there are records to answer it with
    return BrowseView(st, view, browse.browse(db, ref, view) if st.ready else None)


def version_page(db: Db, user: User, ref: str, sel: Selection, *, retry: bool = False) -> VersionPage:
    """`records` plus what the version page shows around them (see `VersionPage`)."""
    dataset_owners.grant(db, user, ref)
    view = sel.view()
    st = browse.prepare(db, ref, retry=retry)
    if not st.ready:
        return VersionPage(st, view)
    result = browse.browse(db, ref, view)
    m = browse.store_of(db).resolve(result.ref)
    with db.read() as s:
        projects = tuple(project_from_row(r) for r in projects_q.visible(s, None if user.is_admin else user.id))
        led = {} if user.is_admin else datasets_q.led_projects(s, user.id)
        owner = datasets_q.owners(s, [m.dataset]).get(m.dataset)
    owner_projects = (tuple((pr.id, pr.name) for pr in projects) if user.is_admin
                      else tuple(sorted(led.items(), key=lambda kv: kv[1])))
    return VersionPage(st, view, result, m, projects, owner_projects, owner)


def record_view(db: Db, user: User, ref: str, record_id: str, *, wait: float | None = None,
                retry: bool = False) -> RecordView:
    """Everything known about one record, ancestors and live judgments limited to what the caller may see."""
    g = dataset_owners.grant(db, user, ref)
    st = browse.prepare(db, ref, wait=wait, retry=retry)
    if not st.ready:
        return RecordView(st)
    return RecordView(st, record.record_detail(db, ref, record_id, visible=g.visible,
                                               project_visible=g.access.may_see_project))


def stats_view(db: Db, user: User, ref: str, *, wait: float | None = None, retry: bool = False) -> StatsView:
    """Column statistics, charts' data and the pipeline run report of version `ref`."""
    dataset_owners.grant(db, user, ref)
    st = browse.prepare(db, ref, wait=wait, retry=retry)
    return StatsView(st, stats.version_stats(db, ref) if st.ready else None)


def lineage_view(db: Db, user: User, ref: str, against: str = "") -> LineageView:
    """The ancestry of `ref` (ancestors the caller may not see left out) and, with `against`, the diff from
    that version to this one (NotFound when the caller may not read `against`)."""
    g = dataset_owners.grant(db, user, ref)
    graph = lineage.lineage_graph(db, ref, g.visible)
    if not against:
        return LineageView(graph)
    g.check(db, against)
    return LineageView(graph, lineage.version_diff(db, against, graph.ref))
