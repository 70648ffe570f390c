"""The figures behind the lead's dashboard charts, each a small frozen view model (tested to 1e-4).

- `throughput`: submitted annotations (gold records included) per UTC hour (last 48) or day (last 30);
- `trainers`: per person who worked in the project: submitted, drafts open, active hours, minutes per
  submission;
- `agreement`: per question part (a rating's dimension is a part), Krippendorff's α at the part's level
  (nominal for a pairwise choice, labels and code verdicts; ordinal for rating scales) and Fleiss' κ, or
  the mean pairwise Kendall τ-b for a ranking, each with a 95 % percentile-bootstrap interval over records
  (`assay.quality.intervals`); the point estimates are `assay.quality`'s and equal the agreement
  table's;
- `confusion`: for one categorical part and two annotators, how often A answered row value and B column
  value on the units both answered, with their raw agreement and Cohen's κ;
- `gold_by_day`: per UTC day (last 30), gold answers scored and accuracy over them (`assay.quality.gold`
  scoring, pairwise and labels questions, as the gold standing);
- `ratings`: per rating question, how many scores of each scale value each dimension got.

Agreement, confusion and rating figures use the same answers as `metrics.agreement`: submitted, not
rejected, gold records left out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from assay.domain.answers import RankingAnswer, RatingAnswer, answer_as
from assay.errors import Invalid
from assay.quality import (
    GoldScore,
    ReliabilityData,
    cohen_kappa,
    gold_scores,
    mean_pairwise_tau,
    ranks_from_order,
)
from assay.quality.gold import SCORED_KINDS
from assay.quality.intervals import (
    AlphaByRecord,
    FleissByRecord,
    Interval,
    RatioByRecord,
    bootstrap,
    record_index,
)
from assay.quality.krippendorff import Level
from assay.services.quality.metrics import Judgments, question_parts
from assay.store.db import Tx
from assay.store.queries import dashboard as dashboard_q
from assay.store.queries import gold as gold_q

CATEGORICAL = ("pairwise", "labels", "rating", "code_review")
PAIRWISE_VALUES = ["a", "tie", "b"]


@dataclass(frozen=True)
class Bucket:
    start: datetime
    count: int


def window(unit: str, now: datetime | None) -> tuple[datetime, timedelta, int]:
    """(start, bucket width, buckets) of a per-hour (48) or per-day (30) chart ending with the bucket that
    holds `now` (UTC). Raises Invalid for another unit."""
    if unit not in ("hour", "day"):
        raise Invalid("throughput unit must be 'hour' or 'day'")
    step, n = (timedelta(hours=1), 48) if unit == "hour" else (timedelta(days=1), 30)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if unit == "day":
        end = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return end - n * step, step, n


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def throughput(s: Tx, project_id: int, unit: str, now: datetime | None) -> list[Bucket]:
    """Submitted annotations per bucket of `window(unit, now)`, oldest first (empty buckets count 0)."""
    start, step, n = window(unit, now)
    counts = [0] * n
    for at in dashboard_q.submission_times(s, project_id, start):
        if at is not None:
            i = int((_utc(at) - start) / step)
            if 0 <= i < n:
                counts[i] += 1
    return [Bucket(start + i * step, c) for i, c in enumerate(counts)]


@dataclass(frozen=True)
class TrainerRow:
    username: str
    submitted: int
    drafts: int
    active_hours: float
    minutes_per_submission: float | None


def trainers(s: Tx, project_id: int) -> list[TrainerRow]:
    """One row per person with a submitted or draft annotation, by username."""
    drafts = dashboard_q.draft_counts(s, project_id)
    rows = {name: (n, float(secs or 0.0)) for _uid, name, n, secs in dashboard_q.submitter_totals(s, project_id)}
    out = []
    for name in sorted(set(rows) | set(drafts)):
        n, secs = rows.get(name, (0, 0.0))
        out.append(TrainerRow(name, n, drafts.get(name, 0), round(secs / 3600.0, 4),
                              round(secs / 60.0 / n, 4) if n else None))
    return out


@dataclass(frozen=True)
class AgreementRow:
    """One question part: α (or τ for a ranking) and Fleiss κ, each with its 95 % bootstrap interval."""

    part: str
    kind: str
    measure: str        # "alpha nominal" | "alpha ordinal" | "kendall tau"
    units: int          # units with at least two answers
    alpha: Interval     # α, or τ for a ranking
    kappa: Interval | None


def _reliability_interval(triples: list[tuple[Any, str, Any]], level: Level) -> tuple[int, Interval, Interval]:
    """(units with two or more answers, α at `level`, Fleiss κ), both with intervals over records."""
    rd = ReliabilityData.from_triples(triples)
    pairable = np.nonzero((rd.codes >= 0).sum(axis=0) >= 2)[0]
    rd = ReliabilityData(rd.codes[:, pairable], rd.values, rd.raters, tuple(rd.units[i] for i in pairable))
    rec, n = record_index(rd.units)
    return len(pairable), bootstrap(n, AlphaByRecord(rd, rec, level)), bootstrap(n, FleissByRecord(rd, rec))


def _ranking_interval(j: Judgments, q: str) -> tuple[int, Interval]:
    """(records two people ranked, mean pairwise Kendall τ-b with its interval over records)."""
    by_record: dict[int, list[tuple[int, str, Any]]] = defaultdict(list)
    for rid, who, answers in j.answers:
        a = answer_as(RankingAnswer, answers.get(q))
        if rid in j.gold or a is None or not a.order:
            continue
        try:
            by_record[rid].append((rid, who, ranks_from_order(a.order)))
        except Invalid:
            continue
    totals, counts = [], []
    for triples in by_record.values():
        tau = mean_pairwise_tau(triples)
        if tau.n_pairs:
            totals.append(tau.mean * tau.n_pairs)
            counts.append(tau.n_pairs)
    return len(counts), bootstrap(len(counts), RatioByRecord(totals, counts))


Parts = dict[str, dict[str, list[tuple[Any, str, Any]]]]
"""question → part → (unit, annotator, value) triples (`metrics.question_parts` of every question)."""


def parts_of(j: Judgments) -> Parts:
    """Every question's parts, read once for `agreement` and `confusion`."""
    return {q: question_parts(j, q) for q, kind in j.kinds.items() if kind != "ranking"}


def agreement(j: Judgments, parts: Parts | None = None) -> list[AgreementRow]:
    """Agreement per question part with 95 % intervals (see the module docstring); parts nobody answered
    twice are left out. `parts` is `parts_of(j)` when the caller has it already."""
    parts = parts_of(j) if parts is None else parts
    out: list[AgreementRow] = []
    for q, kind in j.kinds.items():
        if kind == "ranking":
            n, tau = _ranking_interval(j, q)
            if n:
                out.append(AgreementRow(q, kind, "kendall tau", n, tau, None))
            continue
        for part, triples in parts.get(q, {}).items():
            if part.endswith("#signed") or not triples:
                continue
            level: Level = "ordinal" if kind == "rating" else "nominal"
            try:
                units, alpha, kappa = _reliability_interval(triples, level)
            except Invalid:  # values that cannot be ordered (stored answers of mixed types): no figure
                continue
            if units:
                out.append(AgreementRow(part, kind, f"alpha {level}", units, alpha, kappa))
    return out


@dataclass(frozen=True)
class Confusion:
    """Answers of annotator `a` (rows) against `b` (columns) on one part; `cells[i][j]` counts units where
    a gave `values[i]` and b gave `values[j]`. `choices` lists every categorical part with its annotators
    (for the page's pickers)."""

    part: str
    a: str
    b: str
    values: list[str]
    cells: list[list[int]]
    shared: int
    agreement: float | None
    cohen_kappa: float | None
    choices: dict[str, list[str]]
    note: str = ""          # why the matrix shown is not the one asked for (`confusion(strict=False)`)


def _value_order(j: Judgments, q: str, part: str, seen: set[Any]) -> list[Any]:
    kind, opts = j.kinds[q], j.options[q]
    base: list[Any] = []
    if kind == "pairwise":
        base = list(PAIRWISE_VALUES)
    elif kind == "labels" and not opts.get("multi"):
        base = [str(c) for c in opts.get("choices") or []]
    elif kind == "rating":
        dims = {d.get("name"): d for d in opts.get("dimensions") or [] if isinstance(d, Mapping)}
        d = dims.get(part[len(q) + 1:] if part.startswith(q + ".") else "", {})
        base = list(range(_bound(d, "min", 1), _bound(d, "max", 5) + 1))
    return base + sorted((v for v in seen if v not in base), key=str)


def _bound(dimension: Mapping[str, Any], key: str, default: int) -> int:
    """A rating dimension's `min` or `max` (the default when the stored setting is not a small whole number)."""
    try:
        v = int(dimension.get(key, default))
    except (TypeError, ValueError):
        return default
    return v if -1000 <= v <= 1000 else default


def _categorical_parts(j: Judgments, parts: Parts) -> dict[str, tuple[str, list[tuple[Any, str, Any]]]]:
    out = {}
    for q, kind in j.kinds.items():
        if kind in CATEGORICAL:
            for part, triples in parts.get(q, {}).items():
                if not part.endswith("#signed"):
                    out[part] = (q, [t for t in triples if t[2] is not None])
    return out


def confusion(j: Judgments, part: str | None = None, a: str | None = None, b: str | None = None,
              parts: Parts | None = None, *, strict: bool = True) -> Confusion | None:
    """The confusion matrix of `part` between `a` and `b`. Missing choices default to the first part and the
    pair of annotators sharing the most units (ties by name). None when no categorical part has answers
    from two people. Raises Invalid for an unknown part or annotator, or a = b; with `strict=False` (the
    page, whose pickers may name people who did not answer a newly chosen question) it shows the default
    part or pair instead and says why in `note`."""
    parts_ = _categorical_parts(j, parts_of(j) if parts is None else parts)
    try:
        return _confusion(j, parts_, part, a, b)
    except Invalid as e:
        if strict:
            raise
        why = str(e)
    for retry in ((part, None, None), (None, None, None)):
        try:
            c = _confusion(j, parts_, *retry)
        except Invalid:
            continue
        return None if c is None else replace(c, note=f"{why}. Showing {c.part}: {c.a} and {c.b} instead.")
    return None


def _confusion(j: Judgments, parts_: dict[str, tuple[str, list[tuple[Any, str, Any]]]], part: str | None,
               a: str | None, b: str | None) -> Confusion | None:
    choices = {p: names for p, (_, t) in parts_.items() if len(names := sorted({w for _, w, _ in t})) >= 2}
    if not choices:
        return None
    part = part or next(iter(choices))
    if part not in choices:
        raise Invalid(f"no categorical question part {part!r}; choose one of {', '.join(choices)}")
    q, triples = parts_[part]
    by_who: dict[str, dict[Any, Any]] = defaultdict(dict)
    for unit, who, v in triples:
        by_who[who][unit] = v
    people = choices[part]
    for who in (a or "", b or ""):
        if who and who not in by_who:
            raise Invalid(f"{who!r} has no answers to {part!r}; choose from {', '.join(people)}")
    if not a or not b:
        pairs = sorted((-len(by_who[x].keys() & by_who[y].keys()), x, y) for x in people for y in people
                       if x != y and (not a or x == a) and (not b or y == b))
        a, b = pairs[0][1], pairs[0][2]
    for who in (a, b):
        if who not in by_who:
            raise Invalid(f"{who!r} has no answers to {part!r}; choose from {', '.join(people)}")
    if a == b:
        raise Invalid("choose two different annotators for the confusion matrix")
    shared = sorted(by_who[a].keys() & by_who[b].keys(), key=str)
    values = _value_order(j, q, part, {v for _, _, v in triples})
    index = {v: i for i, v in enumerate(values)}
    cells = [[0] * len(values) for _ in values]
    for u in shared:
        cells[index[by_who[a][u]]][index[by_who[b][u]]] += 1
    agree = sum(cells[i][i] for i in range(len(values))) / len(shared) if shared else None
    kappa = cohen_kappa([by_who[a][u] for u in shared], [by_who[b][u] for u in shared], categories=values) \
        if shared else float("nan")
    return Confusion(part, a, b, [str(v) for v in values], cells, len(shared), agree,
                     None if np.isnan(kappa) else float(kappa), choices)


@dataclass(frozen=True)
class GoldDay:
    day: date
    answers: int              # gold answers scored that day (one per scored question per annotation)
    accuracy: float | None


def gold_by_day(s: Tx, project_id: int, now: datetime | None) -> list[GoldDay]:
    """Accuracy on gold per UTC day over the last 30 days (days without gold answers: 0, None)."""
    start, step, n = window("day", now)
    kinds = {name: kind for name, kind in gold_q.question_kinds(s, project_id).items() if kind in SCORED_KINDS}
    per_day: dict[int, list[tuple[Hashable, Hashable, str, Mapping[str, Any]]]] = defaultdict(list)
    gold: dict[tuple[Hashable, str], Mapping[str, Any]] = {}
    for rid, uid, at, ans, ga in dashboard_q.gold_answered_since(s, project_id, start):
        if at is None:
            continue
        i = int((_utc(at) - start) / step)
        for name, g in (ga or {}).items():
            if name in kinds and isinstance(g, dict):
                gold[(rid, name)] = g
        for name, a in (ans or {}).items():
            if name in kinds and isinstance(a, dict) and (rid, name) in gold and 0 <= i < n:
                per_day[i].append((rid, uid, name, a))
    out = []
    for i in range(n):
        try:
            scores: list[GoldScore] = gold_scores(per_day.get(i, []), gold, kinds)
        except Invalid:
            scores = []
        total = sum(g.n for g in scores)
        out.append(GoldDay((start + i * step).date(), total,
                           sum(g.score * g.n for g in scores) / total if total else None))
    return out


@dataclass(frozen=True)
class RatingDistribution:
    """How many scores each value of the scale got, per dimension of one rating question."""

    question: str
    scale: list[int]
    counts: dict[str, list[int]]   # dimension → count per scale value


def ratings(j: Judgments) -> list[RatingDistribution]:
    """Score counts per rating question and dimension (every completion's score counts once)."""
    out = []
    for q, kind in j.kinds.items():
        if kind != "rating":
            continue
        dims = [d for d in j.options[q].get("dimensions") or [] if isinstance(d, Mapping) and d.get("name")]
        lo = min((_bound(d, "min", 1) for d in dims), default=1)
        hi = max((_bound(d, "max", 5) for d in dims), default=5)
        tally: dict[str, Counter[int]] = {str(d["name"]): Counter() for d in dims}
        for rid, _who, answers in j.answers:
            a = answer_as(RatingAnswer, answers.get(q))
            if rid in j.gold or a is None:
                continue
            for per in a.scores.values():
                for dim, v in per.items():
                    tally.setdefault(dim, Counter())[v] += 1
        seen = [v for c in tally.values() for v in c]
        lo, hi = min([lo, *seen]), max([hi, *seen])
        # the whole scale when it is a scale; only the values given when a stored score is far outside it
        scale = list(range(lo, hi + 1)) if hi - lo <= 100 else sorted(set(seen))
        out.append(RatingDistribution(q, scale, {d: [c[v] for v in scale] for d, c in tally.items()}))
    return out
