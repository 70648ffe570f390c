"""Agreement and aggregation on real multi-annotator data (PandaLM test set, Tulu 1 human eval).

Reads the files with `assay.formats.read_records` (records carry metadata["judgments"]). The figures are
written to `<output_dir>/quality-real-data.json`; the assertions check consistency with independent
computations (reference packages, other input shapes), not remembered numbers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.conftest import require_module

from assay.quality import (
    ReliabilityData,
    cohen_kappa,
    dawid_skene,
    fleiss_kappa,
    krippendorff_alpha,
    majority_vote,
    observed_agreement,
    one_coin_dawid_skene,
    pairwise_cohen_kappa,
)


# Signed preference: a much/clearly better = +2, slightly = +1, tie = 0; b mirrored.
def _signed(answer: dict[str, Any]) -> int:
    if answer["choice"] == "tie":
        return 0
    strength = int(answer.get("strength") or 1)
    return strength if answer["choice"] == "a" else -strength


def _triples(path: Path, fmt: str) -> list[tuple[str, str, dict[str, Any]]]:
    from assay.formats.reader import read_records

    return [
        (rec.external_id, j["annotator"], j["answer"])
        for rec in read_records(path, fmt=fmt)
        for j in rec.metadata["judgments"]
    ]


@pytest.fixture(scope="module")
def pandalm(shared_data: Path) -> list[tuple[str, str, dict[str, Any]]]:
    return _triples(shared_data / "pandalm-testset" / "testset-v1.json", "pandalm")


@pytest.fixture(scope="module")
def tulu(shared_data: Path) -> list[tuple[str, str, dict[str, Any]]]:
    return _triples(shared_data / "tulu1-human-eval" / "eval_annotations_tulu_1.jsonl", "tulu")


def _save(output_dir: Path, name: str, figures: dict[str, Any]) -> None:
    path = output_dir / "quality-real-data.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = figures
    path.write_text(json.dumps(data, indent=2, default=float))


def test_pandalm_agreement_and_aggregation(pandalm: list, output_dir: Path) -> None:
    choices = ReliabilityData.from_triples((u, r, a["choice"]) for u, r, a in pandalm)
    assert choices.codes.shape == (3, 999) and (choices.codes >= 0).all()
    alpha = krippendorff_alpha(choices)
    fleiss = fleiss_kappa(choices)
    raw = observed_agreement(choices)
    kappas = pairwise_cohen_kappa(choices)

    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    assert fleiss == pytest.approx(sm_fleiss(choices.counts()), abs=1e-9)
    krippendorff = require_module("krippendorff")
    ref = krippendorff.alpha(reliability_data=choices.codes.astype(float), level_of_measurement="nominal")
    assert alpha == pytest.approx(ref, abs=1e-9)
    # With complete data and 3 raters, alpha and Fleiss' kappa differ only by the small-sample correction.
    assert abs(alpha - fleiss) < 0.01 and 0.0 < fleiss < raw <= 1.0
    assert all(0.0 < k < 1.0 for k in kappas.values())

    mv = majority_vote([(u, r, a["choice"]) for u, r, a in pandalm], tie="first")
    ds = dawid_skene([(u, r, a["choice"]) for u, r, a in pandalm])
    same = np.mean([mv.labels[i] == ds.labels[i] for i in mv.items])
    assert same > 0.9 and ds.converged
    _save(
        output_dir,
        "pandalm",
        {
            "krippendorff_alpha_nominal": alpha,
            "fleiss_kappa": fleiss,
            "observed_agreement": raw,
            "cohen_kappa_pairs": {f"{a}-{b}": k for (a, b), k in kappas.items()},
            "ds_vs_mv_label_agreement": same,
            "ds_worker_skill": ds.worker_skill,
        },
    )


def test_tulu_partial_overlap(tulu: list, output_dir: Path) -> None:
    choices = ReliabilityData.from_triples((u, r, a["choice"]) for u, r, a in tulu)
    signed = ReliabilityData.from_triples((u, r, _signed(a)) for u, r, a in tulu)
    n_raters, n_units = choices.codes.shape
    assert n_raters == 16
    pairable = int(((choices.codes >= 0).sum(axis=0) >= 2).sum())
    assert 0 < pairable < n_units  # only some records were judged twice
    figures = {
        "units": n_units,
        "pairable_units": pairable,
        "krippendorff_alpha_nominal_choice": krippendorff_alpha(choices),
        "krippendorff_alpha_ordinal_5way": krippendorff_alpha(signed, level="ordinal"),
        "krippendorff_alpha_interval_5way": krippendorff_alpha(signed, level="interval"),
        "fleiss_kappa_choice": fleiss_kappa(choices),
        "observed_agreement_choice": observed_agreement(choices),
    }
    krippendorff = require_module("krippendorff")
    for key, data, level in [
        ("krippendorff_alpha_nominal_choice", choices, "nominal"),
        ("krippendorff_alpha_ordinal_5way", signed, "ordinal"),
        ("krippendorff_alpha_interval_5way", signed, "interval"),
    ]:
        m = np.where(data.codes >= 0, data.codes, np.nan).astype(float)
        if level == "interval":
            m = np.where(data.codes >= 0, np.array(data.values, dtype=float)[data.codes], np.nan)
        assert figures[key] == pytest.approx(
            krippendorff.alpha(reliability_data=m, level_of_measurement=level), abs=1e-9
        )
    assert all(math.isfinite(v) for v in figures.values())

    # Cohen's kappa between the two most overlapping annotators, on the records both judged.
    overlap = (choices.codes[:, None, :] >= 0) & (choices.codes[None, :, :] >= 0)
    shared = overlap.sum(axis=2) - np.diag(np.diag(overlap.sum(axis=2)))
    i, j = np.unravel_index(np.argmax(shared), shared.shape)
    vals = list(choices.values)
    a = [vals[c] if c >= 0 else None for c in choices.codes[i]]
    b = [vals[c] if c >= 0 else None for c in choices.codes[j]]
    figures["cohen_kappa_most_overlapping_pair"] = cohen_kappa(a, b)
    figures["most_overlapping_pair"] = [choices.raters[i], choices.raters[j], int(shared[i, j])]

    # 875 of 996 records have one vote, so Dawid-Skene is weakly identified here (see the docs): check
    # that it runs and that, where two or more people voted and agreed, it keeps their label.
    one = one_coin_dawid_skene([(u, r, a["choice"]) for u, r, a in tulu])
    assert set(one.labels) == set(choices.units)
    counts = choices.counts()
    unanimous = [
        (u, vals[int(np.argmax(c))])
        for u, c in zip(choices.units, counts)
        if c.sum() >= 2 and c.max() == c.sum()
    ]
    assert unanimous and np.mean([one.labels[u] == lab for u, lab in unanimous]) > 0.95
    full = dawid_skene([(u, r, a["choice"]) for u, r, a in tulu])
    assert np.mean([full.labels[u] == lab for u, lab in unanimous]) > 0.95
    figures["one_coin"] = {"n_iter": one.n_iter, "converged": one.converged, "worker_skill": one.worker_skill}
    figures["dawid_skene"] = {"n_iter": full.n_iter, "converged": full.converged}
    _save(output_dir, "tulu", figures)
