"""Time reports: active hours per trainer per day, for paying people.

Active time is what the annotate page measured (focused, recently used) and saved with each draft and
submission (`annotations.active_seconds`, a running total per annotation). An annotation's active time is
counted on the UTC day it was last saved (its submission time if submitted); a draft counts too, since
the work was done. External annotators (imported judgments) have no active time and do not appear.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from assay.domain.projects import Project
from assay.domain.users import User
from assay.errors import Invalid, NotFound
from assay.services.accounts import policies
from assay.services.annotation.source_judgments import is_source_annotator
from assay.store.db import Db, Tx
from assay.store.mappers import project_from_row
from assay.store.queries import memberships as members_q
from assay.store.queries import projects as projects_q
from assay.store.queries import timesheet as timesheet_q

MAX_DAYS = 366


@dataclass(frozen=True)
class TimesheetRow:
    username: str
    day: date
    active_hours: float
    annotations: int
    submitted: int


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def timesheet(db: Db, project_id: int, start: date, end: date, user_id: int | None = None) -> list[TimesheetRow]:
    """Rows (person, day) with active hours from `start` to `end` inclusive, by person then day; only one
    person's rows when `user_id` is given. Raises Invalid for a reversed or over-a-year range."""
    _check_range(start, end)
    with db.read() as s:
        return _timesheet_in(s, project_id, start, end, user_id)


def _check_range(start: date, end: date) -> None:
    if end < start:
        raise Invalid(f"the range ends ({end}) before it starts ({start}); swap --from and --to")
    if (end - start).days >= MAX_DAYS:
        raise Invalid(f"a time report covers at most {MAX_DAYS} days; ask for a shorter range")


def _timesheet_in(s: Tx, project_id: int, start: date, end: date, user_id: int | None) -> list[TimesheetRow]:
    lo = datetime.combine(start, time.min, tzinfo=UTC)
    hi = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    if projects_q.get(s, project_id, with_questions=False) is None:
        raise NotFound(f"no project with id {project_id}")
    acc: dict[tuple[str, date], list[float]] = defaultdict(lambda: [0.0, 0, 0])
    for name, secs, status, sub, upd in timesheet_q.active_rows(s, project_id, lo, hi, user_id):
        if is_source_annotator(name):  # a data set's own judgments: nobody's working time
            continue
        day = _aware(sub or upd).date()
        cell = acc[(name, day)]
        cell[0] += secs or 0.0
        cell[1] += 1
        cell[2] += status == "submitted"
    return [TimesheetRow(n, d, round(v[0] / 3600.0, 4), int(v[1]), int(v[2])) for (n, d), v in sorted(acc.items())]


@dataclass(frozen=True)
class TimesheetPage:
    """The time report page (and its CSV): the project and its rows."""

    project: Project
    rows: list[TimesheetRow]


def timesheet_page(db: Db, project_id: int, user: User, start: date, end: date) -> TimesheetPage:
    """The time report page's view in one read transaction. Applies `policies.manage_project` first
    (NotFound for a non-member, Forbidden for a non-lead), then the range checks of `timesheet`."""
    with db.read() as s:
        policies.manage_project(user, members_q.role_of(s, project_id, user.id))
        _check_range(start, end)
        row = projects_q.get(s, project_id)
        if row is None:
            raise NotFound(f"no project with id {project_id}")
        return TimesheetPage(project_from_row(row), _timesheet_in(s, project_id, start, end, None))


def timesheet_csv(rows: list[TimesheetRow]) -> str:
    """CSV with a header: username,date,active_hours,annotations,submitted."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["username", "date", "active_hours", "annotations", "submitted"])
    for r in rows:
        w.writerow([r.username, r.day.isoformat(), f"{r.active_hours:.4f}", r.annotations, r.submitted])
    return out.getvalue()
