"""Everything known about one record of a version: the document, each pipeline step's verdict and
scores, judgments (pulled into the version's metadata, and live ones from any project the record was
pushed to), reviews, and the aggregated outcome.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from assay.services.db import Db
from assay.services.explorer import get_record
from assay.services.review import record_agreement
from assay.store.tables import AnnotationRow, ProjectRow, RecordRow, UserRow
from assay.store.tables_quality import ReviewRow


def _decisions(answers: dict[str, Any]) -> dict[str, str]:
    """question → a comparable decision (pairwise choice, labels, verdicts) of one judgment."""
    out: dict[str, str] = {}
    for q, a in (answers or {}).items():
        if not isinstance(a, dict):
            continue
        if "choice" in a:
            out[q] = str(a["choice"])
        elif isinstance(a.get("labels"), list):
            out[q] = ", ".join(sorted(map(str, a["labels"])))
        elif isinstance(a.get("verdicts"), dict):
            out[q] = ", ".join(f"{k}:{v}" for k, v in sorted(a["verdicts"].items()))
    return out


def outcome(judgments: list[dict[str, Any]]) -> dict[str, Any]:
    """The aggregated outcome of judgments: per question the majority decision, its share and the votes;
    `agreement` is the review service's per-record agreement (lowest majority share; None below two)."""
    accepted = [j for j in judgments if (j.get("review") or "accepted") != "rejected"]
    per_q: dict[str, Counter[str]] = {}
    for j in accepted:
        for q, d in _decisions(j.get("answers") or {}).items():
            per_q.setdefault(q, Counter())[d] += 1
    questions = {q: {"majority": c.most_common(1)[0][0], "share": c.most_common(1)[0][1] / sum(c.values()),
                     "votes": dict(c)} for q, c in per_q.items()}
    return {"judgments": len(judgments), "counted": len(accepted), "questions": questions,
            "agreement": record_agreement([j.get("answers") or {} for j in accepted])}


def project_judgments(db: Db, source: str) -> list[dict[str, Any]]:
    """Live judgments of records pushed with `source` ('<version>#<id>') in any project: project, annotator,
    status, answers, active seconds, submitted time and every review of it."""
    out: list[dict[str, Any]] = []
    with db.transaction() as s:
        rows = s.execute(
            select(AnnotationRow, UserRow.username, ProjectRow.name)
            .join(RecordRow, RecordRow.id == AnnotationRow.record_id)
            .join(UserRow, UserRow.id == AnnotationRow.user_id)
            .join(ProjectRow, ProjectRow.id == RecordRow.project_id)
            .where(RecordRow.source == source).order_by(AnnotationRow.id)).all()
        ids = [a.id for a, _, _ in rows]
        reviews: dict[int, list[dict[str, Any]]] = {}
        if ids:
            for r, who in s.execute(select(ReviewRow, UserRow.username)
                                    .outerjoin(UserRow, UserRow.id == ReviewRow.reviewer_id)
                                    .where(ReviewRow.annotation_id.in_(ids)).order_by(ReviewRow.id)):
                reviews.setdefault(r.annotation_id, []).append(
                    {"reviewer": who or "", "decision": r.decision, "comment": r.comment, "action": r.action,
                     "revision": r.revision, "at": r.created_at.isoformat()})
        for a, username, project in rows:
            revs = reviews.get(a.id, [])
            current = [r for r in revs if r["revision"] == a.revision]
            out.append({"project": project, "annotator": username, "status": a.status, "answers": dict(a.answers),
                        "active_seconds": a.active_seconds,
                        "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None,
                        "review": current[-1]["decision"] if current else None, "reviews": revs})
    return out


def record_detail(db: Db, ref: str, record_id: str) -> dict[str, Any]:
    """The record (as `explorer._row`) plus `version`, `pipeline_steps` (each step of the manifest with the
    record's attributes of that step and its verdict: kept, or `would_drop` when annotated only),
    `pulled_judgments` (metadata), `live_judgments` (database) and `outcome`. Raises NotFound."""
    m, row = get_record(db, ref, record_id)
    steps = []
    for st in m.steps:
        sid = str(st.get("id") or st.get("step"))
        attrs = row["steps"].get(sid, {})
        steps.append({"id": sid, "step": st.get("step", sid), "verdict": "kept", "attributes": attrs,
                      "report": {k: st.get(k) for k in ("rows_in", "kept", "dropped", "would_drop")}})
    pulled = list(row["metadata"].get("judgments") or []) if isinstance(row["metadata"], dict) else []
    live = project_judgments(db, f"{m.ref}#{record_id}")
    submitted = [j for j in live if j["status"] == "submitted"]
    return {**row, "version": m.ref, "pipeline_steps": steps, "pulled_judgments": pulled, "live_judgments": live,
            "outcome": outcome(pulled + submitted)}
