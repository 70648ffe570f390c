"""Agreement, aggregation and model rankings over a project's submitted annotations.

The maths is `assay.quality`'s; this module only turns stored answers into its inputs:

- pairwise questions: the choice is a nominal value (ordinal as b < tie < a); when every non-tie answer
  has a strength, the signed strength (b3 … tie 0 … a3) is also scored at the interval level;
- labels: the label (single) or the sorted label set (multi) is nominal; per-completion labels make one
  unit per (record, completion);
- rating: one part per dimension (`question.dimension`), one unit per (record, completion), scored at the
  nominal, ordinal and interval levels;
- ranking: Kendall's τ-b between people who ranked the same record;
- code_review: the verdict per (record, completion) is nominal. Text and spans answers are not scored.

Rejected annotations (the review that applies to their current revision) and gold records are left out of
agreement; gold answers anchor Dawid–Skene in `aggregate`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assay.domain.answers import (
    CodeReviewAnswer,
    LabelsAnswer,
    PairwiseAnswer,
    RankingAnswer,
    RatingAnswer,
    answer_as,
    read_answer,
)
from assay.errors import Invalid, NotFound
from assay.quality import (
    ReliabilityData,
    bradley_terry,
    comparisons_from_rankings,
    dawid_skene,
    fleiss_kappa,
    krippendorff_alpha,
    majority_vote,
    mean_pairwise_tau,
    observed_agreement,
    one_coin_dawid_skene,
    pairwise_cohen_kappa,
    ranks_from_order,
)
from assay.quality.agreement import first_two_agreement
from assay.services.annotation.review import review_states
from assay.store.db import Db, Tx
from assay.store.queries import feeds as feeds_q
from assay.store.queries import projects as projects_q
from assay.store.queries import records as records_q

METHODS = ("majority", "dawid_skene", "one_coin")
PAIRWISE_ORDER = ["b", "tie", "a"]


@dataclass
class Judgments:
    """A project's submitted annotations as plain data: questions by name, records, answers."""

    project: str
    kinds: dict[str, str]
    options: dict[str, dict[str, Any]]
    external_ids: dict[int, str]
    models: dict[int, list[str]]
    gold: dict[int, dict[str, Any]]
    answers: list[tuple[int, str, dict[str, Any]]]  # (record id, annotator, answers)


def load_judgments(s: Tx, project_id: int) -> Judgments:
    """Read everything the metrics need in one transaction (rejected annotations left out)."""
    project = projects_q.get(s, project_id)
    if project is None:
        raise NotFound(f"no project with id {project_id}")
    ext, models, gold = {}, {}, {}
    for r in records_q.all_of(s, project_id):
        ext[r.id] = r.external_id
        models[r.id] = [c.model for c in r.completions]
        if r.is_gold and r.gold_answers:
            gold[r.id] = dict(r.gold_answers)
    rejected = {a for a, d in review_states(s, project_id).items() if d == "rejected"}
    answers = [(rid, name, dict(ans or {})) for aid, rid, name, ans in feeds_q.submitted_answers(s, project_id)
               if aid not in rejected]
    return Judgments(project.name, {q.name: q.kind for q in project.questions},
                     {q.name: dict(q.options or {}) for q in project.questions}, ext, models, gold, answers)


@dataclass
class QuestionAgreement:
    """Agreement on one question (or one rating dimension). NaN-free: undefined figures are None."""

    question: str
    kind: str
    units: int  # units with at least two answers
    raters: int
    answers: int
    raw: float | None = None
    raw_first_two: float | None = None  # Tulu 1's rule: only each unit's first two answers (by submission)
    cohen_kappa_mean: float | None = None
    fleiss_kappa: float | None = None
    alpha_nominal: float | None = None
    alpha_ordinal: float | None = None
    alpha_interval: float | None = None
    kendall_tau_mean: float | None = None
    notes: list[str] = field(default_factory=list)


def _f(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _parts(j: Judgments, question: str) -> dict[str, list[tuple[Any, str, Any]]]:
    """Triples (unit, annotator, value) per part of a question (one part, or one per rating dimension)."""
    kind, opts = j.kinds[question], j.options[question]
    parts: dict[str, list[tuple[Any, str, Any]]] = defaultdict(list)
    for rid, who, answers in j.answers:
        if rid in j.gold:
            continue
        a = read_answer(kind, answers.get(question))
        if isinstance(a, PairwiseAnswer):
            parts[question].append((rid, who, a.choice))
            parts[f"{question}#signed"].append((rid, who, a.signed_strength))
        elif isinstance(a, LabelsAnswer) and a.per_completion is not None:
            for i, per in a.per_completion.items():
                parts[question].append(((rid, str(i)), who, "|".join(sorted(per))))
        elif isinstance(a, LabelsAnswer):
            labs = sorted(a.labels)
            parts[question].append((rid, who, "|".join(labs) if opts.get("multi") else (labs[0] if labs else None)))
        elif isinstance(a, RatingAnswer):
            for i, dims in a.scores.items():
                for dim, v in dims.items():
                    parts[f"{question}.{dim}"].append(((rid, str(i)), who, v))
        elif isinstance(a, CodeReviewAnswer):
            for i, verdict in a.verdicts.items():
                parts[question].append(((rid, str(i)), who, verdict))
    return parts


def question_parts(j: Judgments, question: str) -> dict[str, list[tuple[Any, str, Any]]]:
    """The (unit, annotator, value) triples agreement is computed on, per part of `question` (the question's
    name, `name.dimension` per rating dimension, `name#signed` for a pairwise signed strength); a unit is a
    record id or (record id, completion index). Gold records are left out. The dashboard's charts use it."""
    return _parts(j, question)


def _score(name: str, kind: str, triples: list[tuple[Any, str, Any]], levels: tuple[str, ...],
           value_order: list[str] | None = None) -> QuestionAgreement:
    rd = ReliabilityData.from_triples(triples)
    counts = rd.counts()
    qa = QuestionAgreement(name, kind, int((counts.sum(axis=1) >= 2).sum()), len(rd.raters),
                           sum(1 for t in triples if t[2] is not None))
    if qa.units == 0:
        qa.notes.append("no record has two answers yet")
        return qa
    qa.raw = _f(observed_agreement(rd))
    qa.raw_first_two = _f(first_two_agreement(triples)[0])
    qa.fleiss_kappa = _f(fleiss_kappa(rd))
    pk = [v for v in pairwise_cohen_kappa(rd).values() if not math.isnan(v)] if len(rd.raters) <= 60 else []
    qa.cohen_kappa_mean = _f(float(np.mean(pk))) if pk else None
    for level in levels:
        order = value_order if level == "ordinal" and value_order else None
        rdl = ReliabilityData.from_triples(triples, value_order=order) if order else rd
        setattr(qa, f"alpha_{level}", _f(krippendorff_alpha(rdl, level=level)))  # type: ignore[arg-type]
    return qa


def agreement(db: Db, project_id: int) -> list[QuestionAgreement]:
    """Agreement per question (per dimension for ratings) over the project's submitted annotations."""
    with db.read() as s:
        j = load_judgments(s, project_id)
    return agreement_of(j)


def agreement_of(j: Judgments) -> list[QuestionAgreement]:
    """`agreement` over judgments already loaded."""
    out: list[QuestionAgreement] = []
    for q, kind in j.kinds.items():
        if kind == "ranking":
            triples = []
            for rid, who, answers in j.answers:
                a = answer_as(RankingAnswer, answers.get(q))
                if rid not in j.gold and a is not None and a.order:
                    try:
                        triples.append((rid, who, ranks_from_order(a.order)))
                    except Invalid:
                        continue
            tau = mean_pairwise_tau(triples)
            out.append(QuestionAgreement(q, kind, tau.n_pairs, len({w for _, w, _ in triples}), len(triples),
                                         kendall_tau_mean=_f(tau.mean)))
            continue
        parts = _parts(j, q)
        for name, triples in parts.items():
            if name.endswith("#signed"):
                continue
            if kind == "pairwise":
                qa = _score(name, kind, triples, ("nominal", "ordinal"), PAIRWISE_ORDER)
                signed = parts.get(f"{q}#signed", [])
                if signed and all(v is not None for _, _, v in signed) and qa.units:
                    qa.alpha_interval = _f(krippendorff_alpha(ReliabilityData.from_triples(signed), level="interval"))
                elif qa.units:
                    qa.notes.append("interval α needs a strength on every non-tie answer")
            elif kind == "rating":
                qa = _score(name, kind, triples, ("nominal", "ordinal", "interval"))
            else:
                qa = _score(name, kind, triples, ("nominal",))
            out.append(qa)
    return out


@dataclass
class Aggregated:
    """One consensus answer per (non-gold) record for a pairwise or single-label question."""

    question: str
    method: str
    labels: dict[str, Any]  # external id → label
    confidence: dict[str, float]
    worker_skill: dict[str, float]
    gold_items: int


def _choice_triples(j: Judgments, question: str) -> tuple[list[tuple[int, str, Any]], dict[int, Any]]:
    kind = j.kinds.get(question)
    if kind not in ("pairwise", "labels") or (kind == "labels" and (j.options[question].get("multi")
                                                                    or j.options[question].get("per_completion"))):
        raise Invalid(f"aggregation works on pairwise and single-label questions; {question!r} is {kind}")
    def value(raw: Any) -> Any:
        a = read_answer(kind, raw)
        if isinstance(a, PairwiseAnswer):
            return a.choice
        return a.labels[0] if isinstance(a, LabelsAnswer) and a.labels else None
    triples = [(rid, who, value(ans.get(question))) for rid, who, ans in j.answers]
    gold = {rid: value(g.get(question)) for rid, g in j.gold.items() if value(g.get(question)) is not None}
    return [t for t in triples if t[2] is not None], gold


def aggregate(db: Db, project_id: int, question: str, method: str = "dawid_skene") -> Aggregated:
    """Consensus labels with a confidence per record. Gold records anchor the estimate of each person's
    skill (their answers to gold records are included, their labels fixed) and are left out of the
    result. Raises Invalid for an unknown method or a question that cannot be aggregated."""
    if method not in METHODS:
        raise Invalid(f"method must be one of {', '.join(METHODS)}")
    with db.read() as s:
        j = load_judgments(s, project_id)
    if question not in j.kinds:
        raise NotFound(f"project {j.project!r} has no question {question!r}")
    triples, gold = _choice_triples(j, question)
    if not triples:
        return Aggregated(question, method, {}, {}, {}, len(gold))
    classes = sorted({t[2] for t in triples} | set(gold.values()))
    fn = {"majority": majority_vote, "dawid_skene": dawid_skene, "one_coin": one_coin_dawid_skene}[method]
    res = fn(triples, gold=gold or None, classes=classes)  # type: ignore[operator]
    labels = {j.external_ids[r]: lab for r, lab in res.labels.items() if r not in j.gold}
    conf = {j.external_ids[r]: c for r, c in res.confidence.items() if r not in j.gold}
    return Aggregated(question, method, labels, conf, {str(w): float(v) for w, v in res.worker_skill.items()}, len(gold))


@dataclass
class ModelScore:
    model: str
    score: float
    ci_low: float | None
    ci_high: float | None


def rank_models(db: Db, project_id: int, n_bootstrap: int = 200) -> tuple[int, list[ModelScore]]:
    """Bradley–Terry ranking of the completions' models from every pairwise and ranking answer (ties
    count half), best first, with percentile-bootstrap intervals. Returns (comparisons, scores); no
    comparisons gives (0, [])."""
    with db.read() as s:
        j = load_judgments(s, project_id)
    comps: list[tuple[Any, Any, Any]] = []
    rankings: list[list[list[str]]] = []
    for rid, _who, answers in j.answers:
        if rid in j.gold:
            continue
        models = j.models.get(rid, [])
        for q, kind in j.kinds.items():
            a = read_answer(kind, answers.get(q))
            if isinstance(a, PairwiseAnswer):
                ia, ib = int(j.options[q].get("a", 0)), int(j.options[q].get("b", 1))
                if max(ia, ib) < len(models) and models[ia] and models[ib] and models[ia] != models[ib]:
                    comps.append((models[ia], models[ib], a.choice))
            elif isinstance(a, RankingAnswer) and a.order:
                groups = [[models[i] for i in g if i < len(models)] for g in a.order]
                if all(m for g in groups for m in g) and len({m for g in groups for m in g}) == sum(map(len, groups)):
                    rankings.append(groups)
    comps.extend(comparisons_from_rankings(rankings))
    if not comps:
        return 0, []
    bt = bradley_terry(comps, n_bootstrap=n_bootstrap)
    return len(comps), [ModelScore(str(m), bt.scores[m], _f(bt.ci_low[m]), _f(bt.ci_high[m])) for m in bt.ranking()]
