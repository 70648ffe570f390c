"""Preferences between completions, from pairwise, code-review and ranking answers, aggregated per record.

Rules (the dataset card and docs/exports.md repeat them):

- A pairwise answer is one vote on the pair (option `a`, option `b`; completions 0 and 1 by default): for
  a side with its strength (1..3), or a tie. A code-review answer's `preference` counts the same way.
- A ranking answer votes on every pair of completions: the one in the better tie group wins, with the
  rank distance (difference of tie-group positions) as its strength; two in one group tie.
- Majority per pair: the side with strictly more votes than the other side and than the ties wins.
  When ties are at least as many as the larger side, the pair is a tie (`excluded_tie`); when both
  sides have as many votes and ties are fewer, it is a split (`excluded_split`). Both are excluded.
- `agreement` is the share of all judgments of the pair (ties included) that voted for the winner;
  `strength` the mean strength of those agreeing votes, null when none of them gave a strength (a source
  that never asked for one); `min_strength` > 0 then excludes the pair.
- Dawid–Skene (or any other model): the caller passes `aggregated`, a mapping record id (or external
  id) → (choice "a" | "b" | "tie", confidence); the winner comes from it, agreement still from votes.
- `min_judgments` defaults to the project's k (`ExportSource.k`): a pair judged by fewer people than the
  project asks for is excluded (`excluded_few_judgments`) unless the caller lowers it.
- Records whose metadata has a truthy `hh_divergence` (their two completions answer different
  conversations) are excluded (`excluded_hh_divergence`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assay.domain.annotations import AnnotationView, ExportSource, JudgedRecord
from assay.domain.answers import CodeReviewAnswer, PairwiseAnswer, RankingAnswer
from assay.domain.majority import TiePolicy, majority_of
from assay.domain.questions import Question, QuestionKind
from assay.errors import Invalid
from assay.exporters.table import Tally, pick_question, used_annotations

PREFERENCE_KINDS = (QuestionKind.pairwise, QuestionKind.ranking, QuestionKind.code_review)
MODES = ("all_pairs", "best_vs_worst")
AGGREGATES = ("majority", "dawid_skene")
PAIR_REASONS = ("excluded_hh_divergence", "excluded_unjudged", "excluded_tie", "excluded_split",
                "excluded_low_agreement", "excluded_low_strength", "excluded_low_confidence",
                "excluded_few_judgments", "excluded_no_aggregate")


@dataclass(frozen=True)
class Vote:
    """One judgment on a pair: the winning completion index (None for a tie) and its strength."""

    annotator: str
    winner: int | None
    strength: float | None


@dataclass(frozen=True)
class Pair:
    """A decided preference: `better` beats `worse` on record `item`."""

    item: JudgedRecord
    better: int
    worse: int
    num_judgments: int
    agreement: float
    strength: float | None  # None when no agreeing vote carried a strength (never a made-up 0)
    confidence: float | None
    annotators: frozenset[str]
    question: str


def _pair_indexes(q: Question) -> tuple[int, int]:
    if q.kind is QuestionKind.pairwise:
        return int(q.options.get("a", 0)), int(q.options.get("b", 1))
    return 0, 1


def pairwise_votes(q: Question, anns: list[AnnotationView]) -> tuple[int, int, list[Vote]]:
    """The pair a pairwise (or code-review) question compares and every annotator's vote on it."""
    a, b = _pair_indexes(q)
    votes: list[Vote] = []
    for ann in anns:
        if q.kind is QuestionKind.code_review:
            review = ann.answer_as(CodeReviewAnswer, q.name)
            ans = review.preference if review is not None else None
        else:
            ans = ann.answer_as(PairwiseAnswer, q.name)
        if ans is None:
            continue
        if ans.is_tie:
            votes.append(Vote(ann.annotator, None, None))
        else:
            votes.append(Vote(ann.annotator, a if ans.choice == "a" else b,
                              float(ans.strength) if ans.strength is not None else None))
    return a, b, votes


def ranking_orders(q: Question, anns: list[AnnotationView]) -> list[tuple[str, dict[int, int]]]:
    """Each annotator's ranking as completion index → tie-group position (0 = best)."""
    out: list[tuple[str, dict[int, int]]] = []
    for ann in anns:
        ranking = ann.answer_as(RankingAnswer, q.name)
        if ranking is None:
            continue
        pos = ranking.positions()
        if pos:
            out.append((ann.annotator, pos))
    return out


def ranking_votes(orders: list[tuple[str, dict[int, int]]], i: int, j: int) -> list[Vote]:
    """Votes on pair (i, j) from rankings that place both; strength is the rank distance."""
    votes = []
    for who, pos in orders:
        if i in pos and j in pos:
            if pos[i] == pos[j]:
                votes.append(Vote(who, None, None))
            else:
                win = i if pos[i] < pos[j] else j
                votes.append(Vote(who, win, float(abs(pos[i] - pos[j]))))
    return votes


PAIR_TIES = TiePolicy.tie_label(2)  # the votes are counted as [a, b, tie]: a tie at the top is a tie


def majority(a: int, b: int, votes: list[Vote]) -> int | str:
    """The winning index of pair (a, b), or the reason it has none: 'excluded_tie' / 'excluded_split'.

    `assay.domain.majority` over the counts [a, b, tie] with `PAIR_TIES`: ties at least as many as the
    larger side make a tie; two equal sides with fewer ties, a split.
    """
    counts = [sum(v.winner == a for v in votes), sum(v.winner == b for v in votes),
              sum(v.winner is None for v in votes)]
    won = majority_of(counts, PAIR_TIES)
    if won == 2:
        return "excluded_tie"
    if won < 0:
        return "excluded_split"
    return a if won == 0 else b


def mean_positions(orders: list[tuple[str, dict[int, int]]]) -> dict[int, float]:
    """Mean tie-group position per completion over the rankings that place it (lower is better)."""
    sums: dict[int, list[int]] = {}
    for _, pos in orders:
        for i, g in pos.items():
            sums.setdefault(i, []).append(g)
    return {i: sum(gs) / len(gs) for i, gs in sums.items()}


@dataclass
class PreferenceOptions:
    """Filters and choices shared by every export made from preferences (see the module docstring)."""

    question: str | None = None
    mode: str = "all_pairs"
    aggregate: str = "majority"
    aggregated: Mapping[Any, tuple[str, float]] | None = None
    min_agreement: float = 0.0
    min_strength: float = 0.0
    min_confidence: float = 0.0
    min_judgments: int | None = None  # None: the project's k (`ExportSource.k`, 1 when unknown)
    include_rejected: bool = False

    def resolve(self, source: ExportSource) -> PreferenceOptions:
        """Fill the defaults that depend on the project: `min_judgments` None becomes its k."""
        if self.min_judgments is None:
            self.min_judgments = max(int(source.k or 1), 1)
        return self

    def check(self) -> None:
        """Raises Invalid for an unknown mode or aggregate, or Dawid–Skene without its results."""
        if self.mode not in MODES:
            raise Invalid(f"mode {self.mode!r} is unknown; use one of {', '.join(MODES)}")
        if self.aggregate not in AGGREGATES:
            raise Invalid(f"aggregate {self.aggregate!r} is unknown; use one of {', '.join(AGGREGATES)}")
        if self.aggregate == "dawid_skene" and self.aggregated is None:
            raise Invalid("aggregate='dawid_skene' needs `aggregated`: a mapping record id → (choice, "
                          "confidence) computed by assay.quality and passed in by the caller")

    def describe(self) -> dict[str, Any]:
        """The options as card-friendly values (the aggregated mapping by its size only)."""
        d = {k: v for k, v in vars(self).items() if k != "aggregated"}
        if self.aggregated is not None:
            d["aggregated_records"] = len(self.aggregated)
        return d


def _aggregate_choice(opts: PreferenceOptions, item: JudgedRecord) -> tuple[str, float] | None:
    assert opts.aggregated is not None
    got = opts.aggregated.get(item.record_id)
    if got is None:
        got = opts.aggregated.get(item.record.external_id)
    return got


def _decide(item: JudgedRecord, q: Question, i: int, j: int, votes: list[Vote],
            opts: PreferenceOptions, tally: Tally) -> Pair | None:
    confidence: float | None = None
    if opts.aggregate == "dawid_skene":
        got = _aggregate_choice(opts, item)
        if got is None:
            tally.add("excluded_no_aggregate")
            return None
        choice, confidence = got[0], float(got[1])
        if choice == "tie":
            tally.add("excluded_tie")
            return None
        winner: int | str = i if choice == "a" else j
    else:
        winner = majority(i, j, votes)
    if isinstance(winner, str):
        tally.add(winner)
        return None
    loser = j if winner == i else i
    agreeing = [v for v in votes if v.winner == winner]
    strengths = [v.strength for v in agreeing if v.strength is not None]
    pair = Pair(item=item, better=winner, worse=loser, num_judgments=len(votes),
                agreement=len(agreeing) / len(votes) if votes else 0.0,
                strength=sum(strengths) / len(strengths) if strengths else None,
                confidence=confidence, annotators=frozenset(v.annotator for v in votes), question=q.name)
    if pair.num_judgments < (opts.min_judgments or 1):
        tally.add("excluded_few_judgments")
    elif pair.agreement < opts.min_agreement:
        tally.add("excluded_low_agreement")
    elif opts.min_strength > 0 and (pair.strength is None or pair.strength < opts.min_strength):
        tally.add("excluded_low_strength")
    elif confidence is not None and confidence < opts.min_confidence:
        tally.add("excluded_low_confidence")
    else:
        return pair
    return None


def record_pairs(item: JudgedRecord, q: Question, opts: PreferenceOptions, tally: Tally) -> list[Pair]:
    """The decided pairs of one record (empty when excluded; the reason is added to `tally`)."""
    anns = used_annotations(item, opts.include_rejected)
    if q.kind is not QuestionKind.ranking:
        a, b, votes = pairwise_votes(q, anns)
        if not votes:
            tally.add("excluded_unjudged")
            return []
        p = _decide(item, q, a, b, votes, opts, tally)
        return [p] if p else []
    orders = ranking_orders(q, anns)
    if not orders:
        tally.add("excluded_unjudged")
        return []
    means = mean_positions(orders)
    idx = sorted(means)
    if opts.mode == "all_pairs":
        candidates = list(itertools.combinations(idx, 2))
    else:
        lo, hi = min(means.values()), max(means.values())
        if lo == hi:
            tally.add("excluded_tie")
            return []
        candidates = [(i, j) for i in idx for j in idx if means[i] == lo and means[j] == hi]
    pairs = []
    for i, j in candidates:
        p = _decide(item, q, i, j, ranking_votes(orders, i, j), opts, tally)
        if p:
            pairs.append(p)
    return pairs


def preference_question(source: ExportSource, opts: PreferenceOptions, purpose: str) -> Question:
    """The question preferences are read from; raises Invalid when the project has none."""
    q = pick_question(source, PREFERENCE_KINDS, opts.question, purpose)
    if q is None:
        raise Invalid(f"project {source.project!r} has no pairwise, ranking or code-review question, so it "
                      f"has no preferences for {purpose}; add one or export 'raw' instead")
    if opts.aggregate == "dawid_skene" and q.kind is QuestionKind.ranking:
        raise Invalid(f"aggregate='dawid_skene' works on pairwise answers; {q.name!r} is a ranking "
                      "question: use aggregate='majority'")
    return q


def diverged(item: JudgedRecord) -> bool:
    """True when the record's completions answer different conversations (HH import divergence)."""
    return bool(item.record.metadata.get("hh_divergence"))


def all_pairs(source: ExportSource, opts: PreferenceOptions, purpose: str) -> tuple[list[Pair], Tally]:
    """Every decided pair of the source, with counts of records and pairs excluded by reason."""
    opts.check()
    opts.resolve(source)
    q = preference_question(source, opts, purpose)
    tally = Tally(*PAIR_REASONS)
    pairs: list[Pair] = []
    for item in source.items:
        if diverged(item):
            tally.add("excluded_hh_divergence")
            continue
        pairs.extend(record_pairs(item, q, opts, tally))
    return pairs, tally


def best_completion(item: JudgedRecord, q: Question, include_rejected: bool) -> int | str:
    """The record's preferred completion (unique best of the rankings, or the pairwise majority winner).

    Returns its index, or a reason: 'excluded_unjudged', 'excluded_tie' or 'excluded_split'.
    """
    anns = used_annotations(item, include_rejected)
    if q.kind is QuestionKind.ranking:
        orders = ranking_orders(q, anns)
        if not orders:
            return "excluded_unjudged"
        means = mean_positions(orders)
        lo = min(means.values())
        best = [i for i, m in means.items() if m == lo]
        return best[0] if len(best) == 1 else "excluded_tie"
    a, b, votes = pairwise_votes(q, anns)
    if not votes:
        return "excluded_unjudged"
    return majority(a, b, votes)
