"""Differences between two dataset versions, by record id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assay.datasets.schema import DOCUMENT_COLUMNS, row_hash
from assay.datasets.store import DatasetStore, Manifest


@dataclass
class VersionDiff:
    """Ids added (only in b), removed (only in a) and changed (in both, different content), with up to
    `examples` ids of each and, for changed ones, the two rows."""

    a: str
    b: str
    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0
    added_ids: list[str] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)
    changed_examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _hashes(store: DatasetStore, m: Manifest, document_only: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    names = [c["name"] for c in m.schema]
    cols = [c for c in names if c in DOCUMENT_COLUMNS] if document_only else names
    for t in store.iter_tables(m, columns=cols):
        for row in t.to_pylist():
            out[row["id"]] = row_hash(row)
    return out


def diff_versions(store: DatasetStore, a: str | Manifest, b: str | Manifest, *, examples: int = 3,
                  document_only: bool = True) -> VersionDiff:
    """Compare version `a` (old) with `b` (new). With `document_only`, attribute columns are ignored,
    so a version that only added attributes shows no changes. Examples are the smallest ids, so the
    result is deterministic."""
    ma = a if isinstance(a, Manifest) else store.resolve(a)
    mb = b if isinstance(b, Manifest) else store.resolve(b)
    ha, hb = _hashes(store, ma, document_only), _hashes(store, mb, document_only)
    added = sorted(set(hb) - set(ha))
    removed = sorted(set(ha) - set(hb))
    both = set(ha) & set(hb)
    changed = sorted(i for i in both if ha[i] != hb[i])
    d = VersionDiff(a=ma.ref, b=mb.ref, added=len(added), removed=len(removed), changed=len(changed),
                    unchanged=len(both) - len(changed), added_ids=added[:examples],
                    removed_ids=removed[:examples])
    if changed:
        want = set(changed[:examples])
        rows_a = {r["id"]: r for t in store.iter_tables(ma) for r in t.to_pylist() if r["id"] in want}
        rows_b = {r["id"]: r for t in store.iter_tables(mb) for r in t.to_pylist() if r["id"] in want}
        for i in changed[:examples]:
            ra, rb = rows_a[i], rows_b[i]
            fields = sorted(k for k in set(ra) | set(rb) if ra.get(k) != rb.get(k)
                            and (not document_only or k in DOCUMENT_COLUMNS))
            d.changed_examples.append({"id": i, "fields": fields,
                                       "before": {k: ra.get(k) for k in fields},
                                       "after": {k: rb.get(k) for k in fields}})
    return d
