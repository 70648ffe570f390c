"""Fact-checking completions: a claim span marked supported / contradicted / unverifiable, with a source and
a correction; a per-record factuality summary; and what exports do with contradicted completions.

Checks live in their own table (not in annotations), so any project's records can be fact-checked by its
members without a spans question. For exports they are turned into the exporters' own conventions
(`assay.exporters.signals`): a spans answer with label `contradicted` on the completion, read by the SFT
exporter's `drop_flagged=True, span_labels=["contradicted"]` (see `authoring_export`).
"""

from __future__ import annotations

from assay.domain.users import User
from assay.errors import Invalid, NotFound
from assay.services.accounts import policies
from assay.services.accounts.audit import record_event
from assay.services.authoring.views import FactCheck, FactSummary
from assay.store.db import Db
from assay.store.queries import authoring as aq
from assay.store.queries import memberships as members_q
from assay.store.tables_authoring import FactCheckRow

VERDICTS = ("supported", "contradicted", "unverifiable")

# Characters a claim typed on a keyboard writes differently from a model's typography.
_FOLD = {**dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4\u0060", "'"),
         **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
         **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"), "\u2026": "..."}
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}


def _folded(text: str) -> tuple[str, list[int]]:
    """`text` with quotes, dashes and the ellipsis folded to ASCII, lower-cased, invisible characters dropped
    and each run of whitespace made one space; plus, for each folded character, the index of the original
    character it came from."""
    out: list[str] = []
    where: list[int] = []
    in_space = False
    for i, ch in enumerate(text):
        if ch in _INVISIBLE:
            continue
        if ch.isspace():
            if not in_space:
                out.append(" ")
                where.append(i)
            in_space = True
            continue
        in_space = False
        for piece in _FOLD.get(ch, ch).lower():
            out.append(piece)
            where.append(i)
    return "".join(out), where


def find_claim(text: str, claim: str) -> tuple[int, int] | None:
    """(start, end) character offsets of `claim`'s first occurrence in `text`, or None. An exact match wins;
    otherwise quote style (’ vs '), dashes, case, invisible characters and whitespace are ignored, and the
    offsets returned are those of the matching stretch of the original `text` (so `text[start:end]` is what
    the model wrote). Pure."""
    claim = claim.strip()
    if not claim:
        return None
    found = text.find(claim)
    if found >= 0:
        return found, found + len(claim)
    folded_text, where = _folded(text)
    folded_claim = _folded(claim)[0].strip()
    if not folded_claim:
        return None
    at = folded_text.find(folded_claim)
    if at < 0:
        return None
    return where[at], where[at + len(folded_claim) - 1] + 1


def _fc(r: FactCheckRow, author: str) -> FactCheck:
    return FactCheck(id=r.id, record_id=r.record_id, completion=r.completion, start=r.start, end=r.end,
                     claim=r.claim, verdict=r.verdict, source=r.source, correction=r.correction, author=author,
                     created_at=r.created_at)


def add_fact_check(db: Db, project_id: int, record_id: int, user: User, *, completion: int, verdict: str,
                   source: str = "", correction: str = "", start: int | None = None, end: int | None = None,
                   claim: str = "") -> FactCheck:
    """Mark a claim in completion `completion` of the record. Give the span by `start`/`end` (character
    offsets into the completion text) or by `claim` (its first occurrence is used). Supported and
    contradicted claims need a `source` (URL or citation); a contradicted claim should carry a
    `correction` (without one, exports can only drop the completion, not fix it). Raises Invalid naming the
    field; NotFound for a record outside the project or a caller who is not a member."""
    if verdict not in VERDICTS:
        raise Invalid(f"verdict must be one of {', '.join(VERDICTS)}", details={"field": "verdict"})
    source, correction = (source or "").strip(), (correction or "").strip()
    if verdict != "unverifiable" and not source:
        raise Invalid(f"a {verdict} claim needs a source: a URL or a citation", details={"field": "source"})
    with db.write() as s:
        policies.annotate(user, members_q.role_of(s, project_id, user.id))
        rec = aq.record_with_completions(s, record_id)
        if rec is None or rec.project_id != project_id:
            raise NotFound(f"no record {record_id} in this project")
        if not 0 <= completion < len(rec.completions):
            raise Invalid(f"completion must be between 0 and {len(rec.completions) - 1}",
                          details={"field": "completion"})
        text = rec.completions[completion].text
        if start is None or end is None:
            claim = (claim or "").strip()
            if not claim:
                raise Invalid("select or paste the claim you checked", details={"field": "claim"})
            span = find_claim(text, claim)
            if span is None:
                raise Invalid("the claim does not occur in that completion (quote style, case and spacing are "
                              "ignored; the words must match)", details={"field": "claim"})
            start, end = span
        if not 0 <= start < end <= len(text):
            raise Invalid(f"the span {start}..{end} is outside the completion (0..{len(text)})",
                          details={"field": "start"})
        row = aq.add_fact_check(s, project_id=project_id, record_id=record_id, completion=completion, start=start,
                                end=end, claim=text[start:end], verdict=verdict, source=source,
                                correction=correction, user_id=user.id)
        record_event(s, user.id, "authoring.fact_check", str(project_id), record=record_id, verdict=verdict)
        return _fc(row, user.username)


def list_fact_checks(db: Db, project_id: int, user: User | None = None,
                     record_id: int | None = None) -> list[FactCheck]:
    """Checks of one record (or of the whole project) in order; `user` given: checked to be a member."""
    with db.read() as s:
        if user is not None:
            policies.view_project(user, members_q.role_of(s, project_id, user.id))
        return [_fc(r, u) for r, u in aq.fact_checks(s, project_id, record_id)]


def delete_fact_check(db: Db, project_id: int, check_id: int, user: User) -> None:
    """Remove one's own check (a lead or admin may remove any)."""
    with db.write() as s:
        role = members_q.role_of(s, project_id, user.id)
        policies.view_project(user, role)
        row = aq.fact_check(s, check_id)
        if row is None or row.project_id != project_id:
            raise NotFound(f"no fact-check {check_id} in this project")
        if row.user_id != user.id:
            policies.manage_project(user, role)
        aq.delete_fact_check(s, row)


def summarise(checks: list[FactCheck]) -> FactSummary:
    """Counts per completion and verdict (pure)."""
    per: dict[int, dict[str, int]] = {}
    for c in checks:
        counts = per.setdefault(c.completion, {v: 0 for v in VERDICTS})
        counts[c.verdict] += 1
    return FactSummary(per_completion=per, checks=checks)


def factuality(db: Db, project_id: int, record_id: int, user: User) -> FactSummary:
    """The record's factuality summary (see `FactSummary`)."""
    return summarise(list_fact_checks(db, project_id, user, record_id))
