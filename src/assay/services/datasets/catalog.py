"""Reading the dataset store for the API: which datasets exist, their versions, one version's manifest.

The store is the one the settings name (`dataset_store`, default `<data_dir>/datasets`); these calls
never write. Who may read which dataset is `assay.services.datasets.owners` (handlers check it first).
"""

from __future__ import annotations

from assay.datasets import DatasetStore, Manifest
from assay.store.db import Db


def _store(db: Db) -> DatasetStore:
    return DatasetStore(db.settings.resolved_dataset_store)


def list_datasets(db: Db) -> list[tuple[str, list[Manifest]]]:
    """(name, versions oldest first) of every dataset in the store, by name; [] for an empty store."""
    store = _store(db)
    return [(name, store.versions(name)) for name in store.list_datasets()]


def versions(db: Db, name: str) -> list[Manifest]:
    """The versions of one dataset, oldest first. Raises NotFound for an unknown dataset."""
    return _store(db).versions(name)


def version(db: Db, ref: str) -> Manifest:
    """The manifest a reference names (`name@N`, `name@latest`, `name@<hash prefix>`).
    Raises NotFound or Invalid (malformed or ambiguous reference)."""
    return _store(db).resolve(ref)


def lineage(db: Db, ref: str) -> list[Manifest]:
    """The version and all its ancestors."""
    return _store(db).lineage(ref)
