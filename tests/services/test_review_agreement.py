"""The review queue's fast agreement (`agreement_of_sets`, over answers cut down in the database) equals
`record_agreement` (over whole answer sets) on any mix of pairwise and labels answers, malformed ones too."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.services.annotation.review import agreement_of_sets, record_agreement

PAIRWISE = st.one_of(st.none(), st.fixed_dictionaries({"choice": st.sampled_from(["a", "b", "tie", "x"])},
                                                      optional={"strength": st.integers(1, 3)}))
LABELS = st.one_of(st.none(), st.fixed_dictionaries({"labels": st.lists(st.sampled_from(["u", "v", "w"]),
                                                                        max_size=3, unique=True)}),
                   st.fixed_dictionaries({"per_completion": st.just({"0": ["u"]})}), st.just("junk"))
ROW = st.tuples(PAIRWISE, LABELS)


@pytest.mark.slow  # 300 examples, 2 s: CI runs it
@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.integers(1, 50), st.lists(ROW, max_size=5), max_size=8))
def test_fast_agreement_equals_record_agreement(sets: dict[int, list[tuple[object, object]]]) -> None:
    names = ("pref", "safety")
    fast = agreement_of_sets(sets, ["pairwise", "labels"])
    for rid, rows in sets.items():
        whole = [{n: v for n, v in zip(names, row, strict=True) if v is not None} for row in rows]
        assert fast.get(rid) == record_agreement(whole), (rid, rows)
