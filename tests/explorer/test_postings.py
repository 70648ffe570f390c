"""The search index's row lists: every entry's rows, written in whichever form `encode` picks (varint gaps,
Elias-Fano, bitmap), read back by `union_into` exactly — at every density, at the edges of the row range,
for version sizes that are and are not multiples of 8 or 32."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.services.explorer import search as explorer_search
from assay.services.explorer import search_kernel as kern


def _roundtrip(lists: list[np.ndarray], nrows: int) -> tuple[np.ndarray, np.ndarray]:
    """Encode `lists` (sorted, distinct, non-empty) as the build does; return (encs, the sets read back)."""
    counts = np.array([len(x) for x in lists], np.int64)
    rows = np.concatenate(lists).astype(np.uint32)
    nb = ((nrows + 31) // 32) * 4
    buf = np.empty(int(np.minimum(counts * 5, nb + 8).sum()) + 4, np.uint8)
    w, starts, encs = kern.encode(rows, counts, nrows, buf)
    post = np.concatenate([buf[:w], np.zeros(explorer_search.PAD, np.uint8)])  # the file's padding
    got = []
    for e in range(len(lists)):
        acc = np.zeros(nb, np.uint8)
        kern.union_into(acc, post, starts, counts, encs, np.array([e]), nrows)
        got.append(np.flatnonzero(np.unpackbits(acc, bitorder="little")))
    return encs, got


def test_each_form_reads_back_exactly() -> None:
    rng = np.random.default_rng(7)
    nrows = 100_003
    lists = [np.array([0]), np.array([nrows - 1]), np.array([0, nrows - 1]), np.arange(nrows),
             np.arange(0, nrows, 2), np.arange(5, 5 + 300)]  # a run of neighbours: varint's best case
    for density in (0.00002, 0.001, 0.01, 0.05, 0.2, 0.6, 0.97):
        for _ in range(3):
            lists.append(np.flatnonzero(rng.random(nrows) < density))
    lists = [x for x in lists if len(x)]
    encs, got = _roundtrip(lists, nrows)
    assert {0, 1, 2} <= set(encs.tolist())  # every form is exercised
    for want, have in zip(lists, got):
        assert np.array_equal(want, have)
    # Elias-Fano is chosen for spread rows: ~log2(nrows / count) + 2 bits a row, not a 2- or 3-byte varint
    spread = np.flatnonzero(rng.random(nrows) < 0.001)
    (enc,), _ = _roundtrip([spread], nrows)
    assert enc == 2
    assert kern.ef_size(len(spread), nrows) * 8 / len(spread) < 12.5


@settings(max_examples=200, deadline=None)
@given(nrows=st.integers(1, 2_000), data=st.data())
def test_any_lists_read_back_exactly(nrows: int, data: st.DataObject) -> None:
    lists = []
    for _ in range(data.draw(st.integers(1, 6))):
        picked = data.draw(st.sets(st.integers(0, nrows - 1), min_size=1, max_size=nrows))
        lists.append(np.array(sorted(picked), np.int64))
    _, got = _roundtrip(lists, nrows)
    for want, have in zip(lists, got):
        assert np.array_equal(want, have)
