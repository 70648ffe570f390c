"""The authoring services' views as wire models (`assay.schemas.authoring`): one function per view.

Kept apart from the routes so that the routes stay load / check / call, and so that the stream route and
the pages can reuse the same shapes."""

from __future__ import annotations

from assay.schemas import (
    AttemptPublic,
    AuthoringTaskPublic,
    EndpointPublic,
    FactCheckPublic,
    FactualityPublic,
    NodePublic,
    ReportPublic,
    SlotPublic,
    TurnPublic,
)
from assay.services.annotation.problem_reports import ProblemReport
from assay.services.authoring.endpoints import ModelEndpoint
from assay.services.authoring.views import AttemptView, FactCheck, FactSummary, NodeView, TaskView


def endpoint_public(e: ModelEndpoint) -> EndpointPublic:
    """Never the key: only whether one is set."""
    return EndpointPublic(id=e.id, name=e.name, base_url=e.base_url, model=e.model, sampling=e.sampling,
                          has_key=e.has_key, project_id=e.project_id)


def node_public(n: NodeView | None) -> NodePublic | None:
    if n is None:
        return None
    return NodePublic(id=n.id, role=n.role, slot=n.slot, text=n.text, original=n.original, model=n.model,
                      chosen=n.chosen, edited=n.edited, record_id=n.record_id, sampling=n.meta.get("sampling"),
                      endpoint=n.meta.get("endpoint"))


def attempt_public(a: AttemptView) -> AttemptPublic:
    return AttemptPublic(id=a.id, reply_id=a.node_id, attack_category=a.attack_category, succeeded=a.succeeded,
                         harm_category=a.harm_category, severity=a.severity, notes=a.notes,
                         safe_reply=a.safe_reply, record_id=a.record_id, author=a.author)


def task_public(t: TaskView) -> AuthoringTaskPublic:
    return AuthoringTaskPublic(
        id=t.id, project_id=t.project_id, mode=t.mode, state=t.state, category=t.category,
        difficulty=t.difficulty, waiting_for=t.waiting_for, record_id=t.record_id,
        reference_answer=t.meta.get("reference_answer", ""),
        slots=[SlotPublic(index=s.index, endpoint=s.endpoint_name, model=s.model, label=s.label,
                          sampling=s.overrides) for s in t.slots],
        turns=[TurnPublic(message=node_public(tr.user), replies=[node_public(r) for r in tr.replies],
                          attempts=[attempt_public(a) for a in tr.attempts]) for tr in t.turns])


def fact_public(c: FactCheck) -> FactCheckPublic:
    return FactCheckPublic(id=c.id, record_id=c.record_id, completion=c.completion, start=c.start, end=c.end,
                           claim=c.claim, verdict=c.verdict, source=c.source, correction=c.correction,
                           author=c.author)


def factuality_public(summary: FactSummary) -> FactualityPublic:
    return FactualityPublic(status=summary.status,
                            per_completion={str(k): v for k, v in summary.per_completion.items()},
                            checks=[fact_public(c) for c in summary.checks])


def report_public(r: ProblemReport) -> ReportPublic:
    return ReportPublic(id=r.id, record_id=r.record_id, task_id=r.task_id, reporter=r.reporter, reason=r.reason,
                        note=r.note, state=r.state, resolution=r.resolution,
                        created_at=r.created_at.isoformat() if r.created_at else None)
