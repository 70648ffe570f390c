"""Quality maths: agreement, label aggregation, gold scoring and model rankings (pure numpy/scipy).

Inputs are plain Python/numpy structures, never database rows; see docs/quality-metrics.md.

- agreement: `observed_agreement`, `cohen_kappa`, `pairwise_cohen_kappa`, `fleiss_kappa`
  (`assay.quality.agreement`), `krippendorff_alpha` (`assay.quality.krippendorff`), input
  `ReliabilityData` (`assay.quality.reliability`);
- rankings: `kendall_tau_b`, `ranks_from_order`, `mean_pairwise_tau` (`assay.quality.rank_correlation`);
- aggregation: `majority_vote` (`assay.quality.aggregation`), `dawid_skene`, `one_coin_dawid_skene`
  (`assay.quality.dawid_skene`), all returning `AggregationResult`;
- `bradley_terry`, `comparisons_from_rankings` (`assay.quality.bradley_terry`);
- `gold_scores`, `score_answer` (`assay.quality.gold`);
- `simulate_crowd` (`assay.quality.simulation`) for tests and planning.
"""

from assay.quality.aggregation import AggregationResult, CrowdLabels, majority_vote
from assay.quality.agreement import cohen_kappa, fleiss_kappa, observed_agreement, pairwise_cohen_kappa
from assay.quality.bradley_terry import BradleyTerryResult, bradley_terry, comparisons_from_rankings
from assay.quality.dawid_skene import dawid_skene, one_coin_dawid_skene
from assay.quality.gold import GoldScore, gold_scores, score_answer
from assay.quality.krippendorff import krippendorff_alpha
from assay.quality.rank_correlation import TauSummary, kendall_tau_b, mean_pairwise_tau, ranks_from_order
from assay.quality.reliability import ReliabilityData
from assay.quality.simulation import SimulatedCrowd, simulate_crowd

__all__ = [
    "AggregationResult",
    "BradleyTerryResult",
    "CrowdLabels",
    "GoldScore",
    "ReliabilityData",
    "SimulatedCrowd",
    "TauSummary",
    "bradley_terry",
    "cohen_kappa",
    "comparisons_from_rankings",
    "dawid_skene",
    "fleiss_kappa",
    "gold_scores",
    "kendall_tau_b",
    "krippendorff_alpha",
    "majority_vote",
    "mean_pairwise_tau",
    "observed_agreement",
    "one_coin_dawid_skene",
    "pairwise_cohen_kappa",
    "ranks_from_order",
    "score_answer",
    "simulate_crowd",
]
