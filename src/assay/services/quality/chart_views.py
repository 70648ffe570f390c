"""The dashboard's charts as the page shows them: one `ChartView` per chart, with the table under it (also
its CSV download) and the data the page's script draws, all made from the figures of
`assay.services.quality.charts` so the chart, its table and its CSV never disagree.

`ChartView.spec` is plain JSON-able data (the page embeds it in a `<script type="application/json">`
element, escaped by Jinja's `tojson`; static/js/dashboard.js reads it): `type` (bar | line | interval |
matrix), `x_label`, `y_label`, `labels` (the x categories), `series` ([{label, data, axis?, counts?}]),
and for a matrix `rows`/`cols` labels and `cells`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from assay.quality.intervals import Interval
from assay.services.quality.charts import (
    AgreementRow,
    Bucket,
    Confusion,
    GoldDay,
    RatingDistribution,
    TrainerRow,
)

CHART_NAMES = ("throughput-hour", "throughput-day", "trainers", "agreement", "confusion", "gold-accuracy",
               "ratings")
Cell = str | int | float | None


@dataclass(frozen=True)
class ChartView:
    name: str
    title: str
    caption: str
    columns: list[str]
    rows: list[list[Cell]]
    spec: dict[str, Any]
    empty: str = ""                      # why there is nothing to draw ("" when there is)
    notes: list[str] = field(default_factory=list)


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(float(x), digits)


def throughput_view(buckets: list[Bucket], unit: str) -> ChartView:
    fmt = "%Y-%m-%d %H:%M" if unit == "hour" else "%Y-%m-%d"
    short = "%d %b %H:00" if unit == "hour" else "%d %b"
    total = sum(b.count for b in buckets)
    span = "last 48 hours" if unit == "hour" else "last 30 days"
    return ChartView(
        f"throughput-{unit}", f"Submitted judgments per {unit}",
        f"{total} submitted in the {span} (UTC {unit}s; gold records included).",
        [f"{unit} (UTC)", "submitted"], [[b.start.strftime(fmt), b.count] for b in buckets],
        {"type": "bar", "x_label": f"{unit} (UTC)", "y_label": "judgments submitted",
         "labels": [b.start.strftime(short) for b in buckets],
         "series": [{"label": "submitted", "data": [b.count for b in buckets]}]},
        "" if total else f"Nothing submitted in the {span}.")


def trainers_view(rows: list[TrainerRow]) -> ChartView:
    return ChartView(
        "trainers", "Progress and active time per trainer",
        "Submitted judgments and drafts open (left axis) and active hours (right axis) per person.",
        ["trainer", "submitted", "drafts", "active hours", "minutes per submission"],
        [[r.username, r.submitted, r.drafts, r.active_hours, r.minutes_per_submission] for r in rows],
        {"type": "bar", "x_label": "trainer", "y_label": "judgments", "y2_label": "active hours",
         "labels": [r.username for r in rows],
         "series": [{"label": "submitted", "data": [r.submitted for r in rows]},
                    {"label": "drafts open", "data": [r.drafts for r in rows]},
                    {"label": "active hours", "data": [r.active_hours for r in rows], "axis": "y2"}]},
        "" if rows else "Nobody has started yet.")


def _ci(i: Interval | None) -> list[float | None]:
    return [None, None] if i is None else [_r(i.low), _r(i.high)]


def agreement_view(rows: list[AgreementRow]) -> ChartView:
    methods = sorted({r.alpha.method for r in rows if r.alpha.method != "none"})
    return ChartView(
        "agreement", "Agreement per question with 95 % intervals",
        "Krippendorff's α (nominal for choices and labels, ordinal for rating scales; Kendall's τ-b for rankings) "
        "and Fleiss' κ; bars are 95 % percentile-bootstrap intervals over records "
        f"({', '.join(methods) or 'none yet'}). 1 = perfect agreement, 0 = chance.",
        ["question", "kind", "measure", "units", "records", "value", "low 95%", "high 95%", "fleiss kappa",
         "kappa low 95%", "kappa high 95%", "interval", "resamples", "undefined resamples"],
        [[r.part, r.kind, r.measure, r.units, r.alpha.records, _r(r.alpha.value), *_ci(r.alpha),
          _r(r.kappa.value) if r.kappa else None, *_ci(r.kappa), r.alpha.method, r.alpha.resamples,
          _r(r.alpha.dropped)] for r in rows],
        {"type": "interval", "x_label": "question", "y_label": "agreement (α, τ or κ)",
         "labels": [r.part for r in rows],
         "series": [{"label": "α / τ", "data": [_r(r.alpha.value) for r in rows],
                     "ci": [_ci(r.alpha) for r in rows], "counts": [r.units for r in rows]},
                    {"label": "Fleiss κ", "data": [_r(r.kappa.value) if r.kappa else None for r in rows],
                     "ci": [_ci(r.kappa) for r in rows], "counts": [r.units for r in rows]}]},
        "" if rows else "No record has two answers to the same question yet.")


def confusion_view(c: Confusion | None) -> ChartView:
    if c is None:
        return ChartView("confusion", "Confusion matrix between two annotators", "", [], [],
                         {"type": "matrix", "rows": [], "cols": [], "cells": []},
                         "Needs two people who answered the same categorical question (pairwise, labels, "
                         "rating or code verdict).")
    kappa = "undefined" if c.cohen_kappa is None else f"{c.cohen_kappa:.3f}"
    agree = "—" if c.agreement is None else f"{c.agreement:.1%}"
    return ChartView(
        "confusion", f"Confusion matrix: {c.part}",
        f"{c.shared} units both answered; raw agreement {agree}; Cohen's κ {kappa}. Rows: {c.a}; columns: {c.b}.",
        [f"{c.a} \\ {c.b}", *c.values], [[v, *row] for v, row in zip(c.values, c.cells, strict=True)],
        {"type": "matrix", "x_label": f"{c.b} answered", "y_label": f"{c.a} answered", "rows": c.values,
         "cols": c.values, "cells": c.cells},
        "" if c.shared else f"{c.a} and {c.b} have no units in common on {c.part}.")


def gold_view(days: list[GoldDay]) -> ChartView:
    total = sum(d.answers for d in days)
    return ChartView(
        "gold-accuracy", "Gold accuracy per day",
        f"Share of gold answers matching the reference, per UTC day (last 30 days, {total} gold answers; "
        "pairwise and labels questions).",
        ["day (UTC)", "gold answers", "accuracy"],
        [[d.day.isoformat(), d.answers, _r(d.accuracy)] for d in days],
        {"type": "line", "x_label": "day (UTC)", "y_label": "accuracy on gold (%)", "y2_label": "gold answers",
         "labels": [d.day.strftime("%d %b") for d in days],
         "series": [{"label": "accuracy", "data": [_r(d.accuracy) for d in days],
                     "counts": [d.answers for d in days]}]},
        "" if total else "No gold answers in the last 30 days.")


def ratings_views(dists: list[RatingDistribution]) -> list[ChartView]:
    out = []
    for d in dists:
        total = sum(sum(v) for v in d.counts.values())
        out.append(ChartView(
            "ratings", f"Rating distribution: {d.question}",
            f"How many scores of each value each dimension got ({total} scores, gold records left out).",
            ["question", "dimension", "score", "count"],
            [[d.question, dim, v, n] for dim, counts in d.counts.items() for v, n in zip(d.scale, counts, strict=True)],
            {"type": "bar", "x_label": "score", "y_label": "scores given", "labels": [str(v) for v in d.scale],
             "series": [{"label": dim, "data": counts} for dim, counts in d.counts.items()]},
            "" if total else "No scores yet."))
    return out


def _cell(v: Cell) -> Cell:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v


def to_csv(views: list[ChartView]) -> str:
    """The views' tables as one CSV (a header line, then rows; views of the same name share the header)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    header_written = False
    for v in views:
        if not header_written:
            w.writerow(v.columns)
            header_written = True
        for row in v.rows:
            w.writerow(["" if c is None else _cell(c) for c in row])
    return out.getvalue()
