"""Everything known about one record of a version: the document, each pipeline step's verdict and
scores, judgments (pulled into the version's metadata, and live ones from any project the record was
pushed to), reviews, and the aggregated outcome.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pyarrow.compute as pc

from assay.datasets import DatasetStore, Manifest
from assay.domain.answers import CodeReviewAnswer, LabelsAnswer, PairwiseAnswer, read_by_shape
from assay.services.annotation.review import record_agreement
from assay.services.explorer.browse import get_record, store_of
from assay.store.db import Db
from assay.store.queries import feeds as feeds_q


def _decisions(answers: dict[str, Any]) -> dict[str, str]:
    """question → a comparable decision (pairwise choice, labels, verdicts) of one judgment."""
    out: dict[str, str] = {}
    for q, raw in (answers or {}).items():
        a = read_by_shape(raw)
        if isinstance(a, PairwiseAnswer):
            out[q] = a.choice
        elif isinstance(a, LabelsAnswer) and a.per_completion is None:
            out[q] = ", ".join(sorted(a.labels))
        elif isinstance(a, CodeReviewAnswer):
            out[q] = ", ".join(f"{k}:{v}" for k, v in sorted((str(k), v) for k, v in a.verdicts.items()))
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
    with db.read() as s:
        rows = feeds_q.of_source(s, source)
        reviews: dict[int, list[dict[str, Any]]] = {}
        for r, who in feeds_q.reviews_of(s, [a.id for a, _, _ in rows]):
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


def _decisions_of(store: DatasetStore, m: Manifest, record_id: str) -> list[dict[str, Any]] | None:
    """The run decisions about one record in version `m` (None when `m` keeps none)."""
    t = store.read_decisions(m, record_id)
    if t is None:
        return None
    return [{**d, "detail": json.loads(d["detail"] or "{}")} for d in t.to_pylist()]


def _holds(store: DatasetStore, m: Manifest, record_id: str) -> bool:
    return any(pc.any(pc.equal(t.column("id"), record_id)).as_py() for t in store.iter_tables(m, ["id"]))


def downstream(store: DatasetStore, m: Manifest, record_id: str,
               visible: Callable[[str], bool] | None = None) -> list[dict[str, Any]]:
    """What became of the record in each version made from `m`: `kept`, `dropped` (with the `step` that
    dropped it, its `reason` and `detail`: the step's attributes, e.g. `near_dup_of`), or `absent` (a
    version made without a run, e.g. a selection or a pull, that does not hold it). `flags` lists steps
    that would have dropped it but only annotated. With `visible` (dataset name → may the caller see it),
    versions of datasets the caller may not see are left out."""
    out: list[dict[str, Any]] = []
    for child in store.children(m):
        if visible is not None and not visible(child.dataset):
            continue
        ds = _decisions_of(store, child, record_id)
        entry: dict[str, Any] = {"version": child.ref, "made_by": ", ".join(
            str(s.get("id") or s.get("step")) for s in child.steps) or ("pull" if (child.pipeline or {}).get(
                "pulled_from_project") else "")}
        if ds is None:
            entry["verdict"] = "kept" if _holds(store, child, record_id) else "absent"
        else:
            dropped = [d for d in ds if d["verdict"] == "dropped"]
            entry["verdict"] = "dropped" if dropped else "kept"
            if dropped:
                entry.update(step=dropped[0]["step"], reason=dropped[0]["reason"], detail=dropped[0]["detail"])
            entry["flags"] = [d for d in ds if d["verdict"] == "would_drop"]
        out.append(entry)
    return out


def record_detail(db: Db, ref: str, record_id: str, *, visible: Callable[[str], bool] | None = None,
                  project_visible: Callable[[str], bool] | None = None) -> dict[str, Any]:
    """The record (as `explorer._row`) plus `version`, `pipeline_steps` (each step of the run that made
    this version, with the record's attributes of that step and its verdict from the run's per-record
    decisions: `kept`, or `would_drop` with the reason when the step only annotated), `downstream` (what
    each version made from this one did with the record: kept, or dropped by which step and why; see
    `downstream`), `pulled_judgments` (metadata), `live_judgments` (database), `project_records` (the
    records pushed from it into projects: record id, project id and name; each has a lineage page) and
    `outcome`.
    `visible` (dataset name → may the caller see it) limits `downstream`; `project_visible` (project name →
    may the caller see its annotators' work) limits `live_judgments` (see `services.datasets.owners`).
    Raises NotFound."""
    m, row = get_record(db, ref, record_id)
    store = store_of(db)
    mine = _decisions_of(store, m, record_id) or []
    steps = []
    for st in m.steps:
        sid = str(st.get("id") or st.get("step"))
        attrs = row["steps"].get(sid, {})
        flag = next((d for d in mine if d["step"] == sid), None)
        steps.append({"id": sid, "step": st.get("step", sid), "verdict": flag["verdict"] if flag else "kept",
                      "reason": flag["reason"] if flag else "", "attributes": attrs,
                      "report": {k: st.get(k) for k in ("rows_in", "kept", "dropped", "would_drop")}})
    pulled = list(row["metadata"].get("judgments") or []) if isinstance(row["metadata"], dict) else []
    live = [j for j in project_judgments(db, f"{m.ref}#{record_id}")
            if project_visible is None or project_visible(str(j["project"]))]
    with db.read() as s:
        in_projects = [{"record_id": rid, "project_id": pid, "project": name}
                       for rid, pid, name in feeds_q.records_of_source(s, f"{m.ref}#{record_id}")
                       if project_visible is None or project_visible(name)]
    submitted = [j for j in live if j["status"] == "submitted"]
    return {**row, "version": m.ref, "pipeline_steps": steps, "downstream": downstream(store, m, record_id, visible),
            "pulled_judgments": pulled, "live_judgments": live, "project_records": in_projects,
            "outcome": outcome(pulled + submitted)}
