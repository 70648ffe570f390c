"""Dataset versions: immutable Parquet files plus a manifest, in a dataset store (pure; no database).

Public API: `DatasetStore(url)` / `open_store(url=None)`, `Manifest`, `diff_versions(store, a, b)`,
and the row schema helpers in `assay.datasets.schema` (`RECORD_SCHEMA`, `records_to_table`, `row_to_record`).
"""

from assay.datasets.diff import VersionDiff, diff_versions
from assay.datasets.schema import RECORD_SCHEMA, records_to_table, row_to_record
from assay.datasets.store import DatasetStore, Manifest, open_store

__all__ = ["RECORD_SCHEMA", "DatasetStore", "Manifest", "VersionDiff", "diff_versions", "open_store",
           "records_to_table", "row_to_record"]
