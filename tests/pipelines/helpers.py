"""Shared builders for pipeline tests."""

from __future__ import annotations

import pyarrow as pa

from assay.datasets.schema import records_to_table
from assay.domain.records import Completion, Message, Record


def batch(*pairs: tuple[str, str], ids: list[str] | None = None) -> pa.Table:
    """A record batch from (prompt, response) pairs."""
    recs = [Record(external_id=(ids[i] if ids else f"r{i:04d}"), messages=[Message("user", p)],
                   completions=[Completion(r, "m")] if r else [], metadata={"n": i})
            for i, (p, r) in enumerate(pairs)]
    return records_to_table(recs)
