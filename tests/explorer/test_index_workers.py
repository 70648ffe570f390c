"""The search index built by several threads (each indexing its share of the entries) answers exactly what
the one-thread build answers, for every kind of term; a failing build leaves no temporary file behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from assay.datasets import records_to_table
from assay.services.explorer import search as explorer_search
from tests.explorer.test_search_phrases import QUERIES, TEXTS, _record


def _table(copies: int) -> pa.Table:
    rng = np.random.default_rng(3)
    texts = [TEXTS[i] for i in rng.integers(0, len(TEXTS), len(TEXTS) * copies)]
    return records_to_table([_record(i, t) for i, t in enumerate(texts)])


def _answers(folder: Path, rows: int) -> dict[str, tuple[list[int] | None, list[str]]]:
    explorer_search._loaded.pop(str(folder), None)
    ix = explorer_search.load_index(folder, rows)
    out = {}
    for q in [q for q in QUERIES if q.strip()] + ["the", "how do you", "e-mail password"]:
        rows_, check = explorer_search.candidates(ix, [q.lower()])
        out[q] = (None if rows_ is None else rows_.tolist(), check)
    return out


@pytest.mark.parametrize("workers", [2, 3])
def test_shares_answer_what_one_thread_answers(tmp_path: Path, workers: int) -> None:
    t = _table(40)
    batches = t.to_batches(max_chunksize=1000)  # several batches, so the frequent-entry table is used too
    one, many = tmp_path / "one", tmp_path / "many"
    one.mkdir()
    many.mkdir()
    explorer_search.build_index(batches, t.num_rows, one, workers=1)
    explorer_search.build_index(batches, t.num_rows, many, workers=workers)
    a, b = _answers(one, t.num_rows), _answers(many, t.num_rows)
    assert a == b
    assert sum(len(r or []) for r, _ in a.values()) > 1000  # the terms do find rows
    assert sorted(p.name for p in many.iterdir()) == sorted(explorer_search.FILES)  # no spill, no share file


def test_a_failing_build_raises_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    t = _table(5)
    with pytest.raises(RuntimeError, match="the index saw"):
        explorer_search.build_index(t.to_batches(max_chunksize=100), t.num_rows + 1, tmp_path, workers=2)
    assert list(tmp_path.iterdir()) == []

    def broken() -> object:
        yield from t.to_batches(max_chunksize=100)[:2]
        raise OSError("the store went away")

    with pytest.raises(OSError, match="went away"):
        explorer_search.build_index(broken(), t.num_rows, tmp_path, workers=2)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
