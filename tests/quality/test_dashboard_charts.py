"""The dashboard's chart figures (services/quality/charts.py) against a small project worked out by hand
(tests/quality/dashboard_world.py), on both databases; bootstrap intervals against brute force."""

from __future__ import annotations

import itertools
import math
from datetime import timedelta

import numpy as np
import pytest
from tests.conftest import require_module
from tests.quality.dashboard_world import NOW, D, build

from assay.quality.intervals import bootstrap
from assay.services.quality import charts, gold, metrics

TOL = 1e-4


def _judgments(db, p):
    with db.read() as s:
        return metrics.load_judgments(s, p.id)


def test_throughput_per_hour_and_day(db):
    p, _, _ = build(db)
    with db.read() as s:
        hours = charts.throughput(s, p.id, "hour", NOW)
        days = charts.throughput(s, p.id, "day", NOW)
    # 48 hourly buckets ending with the one holding NOW (10:00-11:00), 30 daily ones ending today
    assert len(hours) == 48 and hours[0].start == D + timedelta(hours=11) - timedelta(hours=48)
    assert hours[-1].start == D + timedelta(hours=10)
    got = {b.start: b.count for b in hours if b.count}
    assert got == {D + timedelta(hours=10): 3,   # ann1 r1 10:05, r2 10:20; ann2 r1 10:10
                   D + timedelta(hours=9): 3,    # ann1 g2 09:00, ann3 g2 09:15, ann2 r2 09:30
                   D + timedelta(hours=8): 1,    # ann1 r3 08:59
                   D - timedelta(hours=1): 1,    # ann2 r3 yesterday 23:00
                   D - timedelta(hours=10): 1,   # ann3 g1 yesterday 14:00
                   D - timedelta(hours=11): 1,   # ann2 g2 yesterday 13:00
                   D - timedelta(hours=12): 2}   # ann1 g1 12:00, ann2 g1 12:30 (ann1 r4, ann2 r4 are older)
    assert len(days) == 30 and days[-1].start == D
    assert {b.start: b.count for b in days if b.count} == {D: 7, D - timedelta(days=1): 5, D - timedelta(days=3): 1}


def test_trainers_progress_and_active_time(db):
    p, _, _ = build(db)
    with db.read() as s:
        rows = {r.username: r for r in charts.trainers(s, p.id)}
    assert set(rows) == {"ann1", "ann2", "ann3"}
    # submitted, active hours = submitted * seconds / 3600, minutes per submission = seconds / 60
    assert (rows["ann1"].submitted, rows["ann2"].submitted, rows["ann3"].submitted) == (6, 6, 2)
    assert rows["ann1"].active_hours == pytest.approx(6 * 120 / 3600, abs=TOL)
    assert rows["ann2"].active_hours == pytest.approx(6 * 300 / 3600, abs=TOL)
    assert rows["ann3"].active_hours == pytest.approx(2 * 30 / 3600, abs=TOL)
    assert [rows[n].minutes_per_submission for n in ("ann1", "ann2", "ann3")] == pytest.approx([2.0, 5.0, 0.5])
    assert all(r.drafts == 0 for r in rows.values())


def test_agreement_alpha_and_kappa_by_hand(db):
    p, _, _ = build(db)
    j = _judgments(db, p)
    rows = {r.part: r for r in charts.agreement(j)}
    pref = rows["preference"]
    # r1..r4: ann1 a, a, b, tie; ann2 a, b, b, a. Coincidences: aa 2, bb 2, ab = ba 1, a-tie = tie-a 1;
    # n_a 4, n_b 3, n_tie 1, n 8. α = 1 - (n-1) · D_o / Σ_{c≠k} n_c n_k = 1 - 7·4 / (2·(12 + 4 + 3)) = 10/38
    assert pref.measure == "alpha nominal" and pref.units == 4 and pref.alpha.records == 4
    assert pref.alpha.value == pytest.approx(10 / 38, abs=TOL)
    # Fleiss: P̄ = (1 + 0 + 1 + 0)/4 = 0.5; P_e = (4² + 3² + 1²)/8² = 26/64; κ = (0.5 - 26/64)/(1 - 26/64) = 3/19
    assert pref.kappa is not None and pref.kappa.value == pytest.approx(3 / 19, abs=TOL)
    # the same point estimates as the agreement table
    table = {q.question: q for q in metrics.agreement_of(j)}
    assert table["preference"].alpha_nominal == pytest.approx(pref.alpha.value, abs=1e-12)
    assert table["preference"].fleiss_kappa == pytest.approx(pref.kappa.value, abs=1e-12)
    helpful = rows["quality.helpful"]
    assert helpful.measure == "alpha ordinal" and helpful.units == 8 and helpful.alpha.records == 4
    assert table["quality.helpful"].alpha_ordinal == pytest.approx(helpful.alpha.value, abs=1e-12)


def _fleiss(matrix: np.ndarray) -> float:
    """Fleiss' κ of a raters × units matrix (NaN = missing), written out from Fleiss (1971)."""
    values = sorted({v for v in matrix.ravel() if not math.isnan(v)})
    counts = np.array([[np.sum(matrix[:, u] == v) for v in values] for u in range(matrix.shape[1])], dtype=float)
    m = counts.sum(axis=1)
    counts, m = counts[m >= 2], m[m >= 2]
    p_bar = ((counts * (counts - 1)).sum(axis=1) / (m * (m - 1))).mean()
    p_e = ((counts.sum(axis=0) / m.sum()) ** 2).sum()
    return float("nan") if math.isclose(p_e, 1.0) else float((p_bar - p_e) / (1 - p_e))


def _brute_ci(columns_per_record: list[np.ndarray], stat) -> tuple[float, float]:
    """The percentile interval over all nʳ ordered resamples of the records (equal weight each)."""
    n = len(columns_per_record)
    vals = []
    for seq in itertools.product(range(n), repeat=n):
        x = stat(np.concatenate([columns_per_record[i] for i in seq], axis=1))
        if not math.isnan(x):
            vals.append(x)
    lo, hi = np.quantile(vals, [0.025, 0.975], method="inverted_cdf")
    return float(lo), float(hi)


def test_agreement_intervals_against_brute_force_bootstrap(db):
    krippendorff = require_module("krippendorff")
    p, _, _ = build(db)
    rows = {r.part: r for r in charts.agreement(_judgments(db, p))}
    # preference as raters × units (a=0, tie=1, b=2), one column per record r1..r4
    pref = [np.array([[0.0], [0.0]]), np.array([[0.0], [2.0]]), np.array([[2.0], [2.0]]), np.array([[1.0], [0.0]])]

    def alpha(level):
        return lambda m: (float("nan") if len({v for v in m.ravel()}) < 2
                          else float(krippendorff.alpha(reliability_data=m, level_of_measurement=level)))

    assert rows["preference"].alpha.method == "exact" and rows["preference"].alpha.resamples == 35
    lo, hi = _brute_ci(pref, alpha("nominal"))
    assert (rows["preference"].alpha.low, rows["preference"].alpha.high) == pytest.approx((lo, hi), abs=TOL)
    lo, hi = _brute_ci(pref, _fleiss)
    assert (rows["preference"].kappa.low, rows["preference"].kappa.high) == pytest.approx((lo, hi), abs=TOL)
    # helpful: two units (completions) per record, resampled together
    helpful = [np.array([[3.0, 1.0], [3.0, 2.0]]), np.array([[2.0, 2.0], [2.0, 1.0]]),
               np.array([[1.0, 3.0], [1.0, 3.0]]), np.array([[3.0, 3.0], [2.0, 3.0]])]
    full = np.concatenate(helpful, axis=1)
    assert rows["quality.helpful"].alpha.value == pytest.approx(alpha("ordinal")(full), abs=TOL)
    lo, hi = _brute_ci(helpful, alpha("ordinal"))
    assert (rows["quality.helpful"].alpha.low, rows["quality.helpful"].alpha.high) == pytest.approx((lo, hi), abs=TOL)
    lo_k, hi_k = _brute_ci(helpful, _fleiss)
    assert rows["quality.helpful"].kappa.value == pytest.approx(_fleiss(full), abs=TOL)
    assert (rows["quality.helpful"].kappa.low, rows["quality.helpful"].kappa.high) == pytest.approx((lo_k, hi_k), abs=TOL)


def test_bootstrap_exact_and_monte_carlo():
    values = np.array([0.1, 0.4, 0.35, 0.9, 0.2])
    exact = bootstrap(5, lambda m: float(m @ values / m.sum()))
    vals = [np.mean(values[list(seq)]) for seq in itertools.product(range(5), repeat=5)]
    assert exact.method == "exact" and exact.resamples == math.comb(9, 5)
    assert exact.value == pytest.approx(np.mean(values))
    assert (exact.low, exact.high) == pytest.approx(tuple(np.quantile(vals, [0.025, 0.975], method="inverted_cdf")))
    many = np.linspace(0, 1, 40)
    mc = bootstrap(40, lambda m: float(m @ many / m.sum()), resamples=400, seed=3)
    again = bootstrap(40, lambda m: float(m @ many / m.sum()), resamples=400, seed=3)
    assert mc.method == "monte carlo" and mc == again and mc.low < 0.5 < mc.high
    # the normal approximation of the mean's interval: ±1.96·sd/√n, within Monte Carlo error
    half = 1.96 * np.std(many) / math.sqrt(40)
    assert mc.low == pytest.approx(0.5 - half, abs=0.03) and mc.high == pytest.approx(0.5 + half, abs=0.03)
    nan = bootstrap(3, lambda m: float("nan") if m.max() == 3 else 1.0)
    assert nan.dropped == pytest.approx(3 / 27) and nan.low == nan.high == 1.0


def test_confusion_matrix_between_two_annotators(db):
    p, _, _ = build(db)
    j = _judgments(db, p)
    c = charts.confusion(j)  # default: the first categorical part and the pair sharing most units
    assert c is not None and (c.part, c.a, c.b) == ("preference", "ann1", "ann2")
    assert c.values == ["a", "tie", "b"]
    # rows ann1, columns ann2: r1 a/a, r2 a/b, r3 b/b, r4 tie/a
    assert c.cells == [[1, 0, 1], [1, 0, 0], [0, 0, 1]] and c.shared == 4
    assert c.agreement == pytest.approx(0.5)
    # p_o = 2/4; p_e = (2/4)(2/4) + (1/4)(0) + (1/4)(2/4) = 3/8; κ = (1/2 - 3/8)/(1 - 3/8) = 0.2
    assert c.cohen_kappa == pytest.approx(0.2, abs=TOL)
    flipped = charts.confusion(j, "preference", "ann2", "ann1")
    assert flipped.cells == [list(r) for r in zip(*c.cells, strict=True)]
    h = charts.confusion(j, "quality.helpful", "ann1", "ann2")
    # (r, completion): ann1 3,1 2,2 1,3 3,3; ann2 3,2 2,1 1,3 2,3 over the scale 1..3
    assert h.values == ["1", "2", "3"] and h.cells == [[1, 1, 0], [1, 1, 0], [0, 1, 3]]
    assert h.agreement == pytest.approx(5 / 8)
    # p_e = (2/8)(2/8) + (2/8)(3/8) + (4/8)(3/8) = 22/64; κ = (40/64 - 22/64)/(42/64) = 18/42
    assert h.cohen_kappa == pytest.approx(18 / 42, abs=TOL)
    assert set(c.choices) == {"preference", "quality.helpful"} and c.choices["preference"] == ["ann1", "ann2"]
    for bad in (("nope", None, None), ("preference", "ann1", "ann1"), ("preference", "ann3", None)):
        with pytest.raises(Exception, match="choose|no categorical"):
            charts.confusion(j, *bad)


def test_gold_accuracy_per_day(db):
    p, _, _ = build(db)
    with db.read() as s:
        days = charts.gold_by_day(s, p.id, NOW)
    assert len(days) == 30 and days[-1].day == D.date()
    got = {d.day: (d.answers, d.accuracy) for d in days if d.answers}
    # yesterday: ann1 g1 right, ann2 g1 right, ann2 g2 right, ann3 g1 wrong; today: ann1 g2 wrong, ann3 g2 right
    assert got.keys() == {D.date() - timedelta(days=1), D.date()}
    assert got[D.date() - timedelta(days=1)][0] == 4 and got[D.date() - timedelta(days=1)][1] == pytest.approx(0.75)
    assert got[D.date()][0] == 2 and got[D.date()][1] == pytest.approx(0.5)
    # the days add up to the gold standing's own scoring
    n, acc = gold.overall(gold.gold_accuracy(db, p.id))
    assert n == 6 and acc == pytest.approx((4 * 0.75 + 2 * 0.5) / 6, abs=TOL)


def test_rating_distribution(db):
    p, _, _ = build(db)
    (dist,) = charts.ratings(_judgments(db, p))
    # ann1 3,1 2,2 1,3 3,3 and ann2 3,2 2,1 1,3 2,3 (gold records left out): 1 ×4, 2 ×5, 3 ×7
    assert dist.question == "quality" and dist.scale == [1, 2, 3] and dist.counts == {"helpful": [4, 5, 7]}


@pytest.mark.parametrize("per_record", [True, False])
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_weighted_figures_equal_the_resampled_data(monkeypatch, per_record, level):
    """α and κ from record multiplicities equal `krippendorff_alpha` / `fleiss_kappa` of the data with each
    record's units repeated that many times (both ways of summing: per record, or per unit)."""
    from assay.quality import ReliabilityData, fleiss_kappa, intervals, krippendorff_alpha

    if not per_record:
        monkeypatch.setattr(intervals, "PER_RECORD_MAX_CELLS", 0)
    rng = np.random.default_rng(5)
    matrix = rng.integers(1, 6, size=(4, 30)).astype(float)
    matrix[rng.random(matrix.shape) < 0.3] = np.nan
    rd = ReliabilityData.from_matrix(matrix)
    records = np.repeat(np.arange(10), 3)            # three units per record
    alpha = intervals.AlphaByRecord(rd, records, level)
    kappa = intervals.FleissByRecord(rd, records)
    for _ in range(5):
        m = np.bincount(rng.integers(0, 10, 10), minlength=10).astype(float)
        cols = np.concatenate([np.flatnonzero(records == r) for r in range(10) for _ in range(int(m[r]))])
        resampled = ReliabilityData(rd.codes[:, cols], rd.values, rd.raters, tuple(range(len(cols))))
        assert alpha(m) == pytest.approx(krippendorff_alpha(resampled, level=level), abs=1e-12)
        assert kappa(m) == pytest.approx(fleiss_kappa(resampled), abs=1e-12)
