"""The dataset store: immutable versions (Parquet parts + a manifest) in a folder or any fsspec URL.

Layout under the store root::

    <name>/data/<uuid>/part-00000.parquet ...     written first; invisible until a manifest names them
    <name>/versions/00000003.json                 the manifest of <name>@3; written last (the commit)

A version exists exactly when its manifest file exists. Parts are written under a fresh uuid folder, then
the manifest is written to a temporary name and moved into place. On a local disk the move is `os.link`,
which fails if another writer took the same number first (we then take the next number), so a crash or a
race never leaves a half version visible; on other fsspec filesystems (`memory://`, `s3://`) the move is
`exists` + `mv`, which is atomic per object but not against a concurrent writer of the same dataset.
Orphaned `data/<uuid>` folders after a crash hold no visible data and can be deleted.

Versions are addressed as `name@N`, `name@latest`, `name` (latest), `name@<hash prefix>` or a bare content
hash prefix (at least 6 hex characters) searched over all datasets.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

from assay.datasets.schema import row_hash
from assay.errors import Conflict, Invalid, NotFound

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
HEX_RE = re.compile(r"^[0-9a-f]{6,64}$")


@dataclass
class Manifest:
    """What a version is: identity, lineage, how it was made, and what it holds."""

    dataset: str
    version: int
    id: str
    parents: list[str] = field(default_factory=list)
    pipeline: dict[str, Any] | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    row_count: int = 0
    content_hash: str = ""
    created_at: float = 0.0
    schema: list[dict[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    note: str = ""
    decisions: str = ""

    @property
    def ref(self) -> str:
        """`name@N`, the usual way to name this version."""
        return f"{self.dataset}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Manifest:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


class DatasetStore:
    """Versions of datasets under one root (a path or an fsspec URL such as `memory://store`)."""

    def __init__(self, url: str) -> None:
        self.url = str(url)
        self.fs, self.root = fsspec.core.url_to_fs(self.url)
        self.root = self.root.rstrip("/")
        self._local = isinstance(self.fs, LocalFileSystem)

    # -- paths -----------------------------------------------------------------------------------------
    def _p(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    def full_path(self, rel: str) -> str:
        """The filesystem path (within `self.fs`) of a file named relative to the store root."""
        return self._p(rel)

    # -- listing and resolving -------------------------------------------------------------------------
    def list_datasets(self) -> list[str]:
        """Names of datasets that have at least one version, sorted."""
        if not self.fs.exists(self.root):
            return []
        out = []
        for entry in self.fs.ls(self.root, detail=False):
            name = entry.rstrip("/").rsplit("/", 1)[-1]
            if NAME_RE.match(name) and self._version_numbers(name):
                out.append(name)
        return sorted(out)

    def _version_numbers(self, name: str) -> list[int]:
        d = self._p(name, "versions")
        if not self.fs.exists(d):
            return []
        nums = []
        for entry in self.fs.ls(d, detail=False):
            base = entry.rsplit("/", 1)[-1]
            if re.fullmatch(r"\d{8}\.json", base):
                nums.append(int(base[:8]))
        return sorted(nums)

    def versions(self, name: str) -> list[Manifest]:
        """All versions of `name`, oldest first. Raises NotFound when the dataset has none."""
        nums = self._version_numbers(name)
        if not nums:
            raise NotFound(f"no dataset named {name!r}; `assay data ls` lists them")  # never the store's path or URL
        return [self._load(name, n) for n in nums]

    def _load(self, name: str, n: int) -> Manifest:
        with self.fs.open(self._p(name, "versions", f"{n:08d}.json"), "r") as f:
            return Manifest.from_dict(json.load(f))

    def resolve(self, ref: str) -> Manifest:
        """The manifest a reference names (see module docstring). Raises NotFound or Invalid (ambiguous)."""
        ref = ref.strip()
        name, _, sel = ref.partition("@")
        if not sel and HEX_RE.match(ref) and ref not in self.list_datasets():
            hits = [m for ds in self.list_datasets() for m in self.versions(ds) if m.content_hash.startswith(ref)]
            return self._one(ref, hits)
        if not NAME_RE.match(name):
            raise Invalid(f"{ref!r} is not a version reference; write NAME@N, NAME@latest or a hash prefix")
        if not sel or sel == "latest":
            return self.versions(name)[-1]
        if sel.isdigit():
            n = int(sel)
            have = self._version_numbers(name)
            if n not in have:
                if not have:
                    raise NotFound(f"no dataset named {name!r}; `assay data ls` lists them")
                raise NotFound(f"{name} has no version {n}; it has versions 1..{have[-1]}")
            return self._load(name, n)
        if HEX_RE.match(sel):
            return self._one(ref, [m for m in self.versions(name) if m.content_hash.startswith(sel)])
        raise Invalid(f"{ref!r}: after @ write a version number, 'latest' or a content hash prefix")

    @staticmethod
    def _one(ref: str, hits: list[Manifest]) -> Manifest:
        uniq = {m.ref: m for m in hits}
        if not uniq:
            raise NotFound(f"no version matches {ref!r}")
        if len(uniq) > 1:
            raise Invalid(f"{ref!r} is ambiguous: {', '.join(sorted(uniq))}; give more hash characters")
        return next(iter(uniq.values()))

    # -- reading ---------------------------------------------------------------------------------------
    def read_table(self, ref: str | Manifest, columns: list[str] | None = None) -> pa.Table:
        """All rows of a version as one Arrow table (parts concatenated in order)."""
        m = ref if isinstance(ref, Manifest) else self.resolve(ref)
        tables = [self._read_part(f, columns) for f in m.files]
        if not tables:
            return pa.table({c["name"]: pa.array([], pa.string()) for c in m.schema})
        return pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]

    def _read_part(self, rel: str, columns: list[str] | None) -> pa.Table:
        with self.fs.open(self._p(rel), "rb") as f:
            return pq.read_table(f, columns=columns)

    def read_decisions(self, ref: str | Manifest, record_id: str | None = None) -> pa.Table | None:
        """The per-record decisions of the run that made a version (all, or one record's), or None when
        the version has none (not made by a pipeline run, or made before runs kept them)."""
        m = ref if isinstance(ref, Manifest) else self.resolve(ref)
        if not m.decisions:
            return None
        filters = [("id", "=", record_id)] if record_id is not None else None
        with self.fs.open(self._p(m.decisions), "rb") as f:
            return pq.read_table(f, filters=filters)

    def children(self, ref: str | Manifest) -> list[Manifest]:
        """Every version that names this one as a parent (over all datasets, oldest dataset name first)."""
        m = ref if isinstance(ref, Manifest) else self.resolve(ref)
        return [v for name in self.list_datasets() for v in self.versions(name) if m.ref in v.parents]

    def iter_tables(self, ref: str | Manifest, columns: list[str] | None = None) -> Iterator[pa.Table]:
        """The parts of a version one at a time (bounded memory)."""
        m = ref if isinstance(ref, Manifest) else self.resolve(ref)
        for rel in m.files:
            yield self._read_part(rel, columns)

    def lineage(self, ref: str | Manifest) -> list[Manifest]:
        """The version and all its ancestors (breadth-first, each once)."""
        start = ref if isinstance(ref, Manifest) else self.resolve(ref)
        seen: dict[str, Manifest] = {start.ref: start}
        queue = [start]
        while queue:
            for p in queue.pop(0).parents:
                if p not in seen:
                    try:
                        seen[p] = self.resolve(p)
                    except NotFound:
                        continue
                    queue.append(seen[p])
        return list(seen.values())

    # -- writing ---------------------------------------------------------------------------------------
    def write_version(self, name: str, tables: Iterable[pa.Table], *, parents: list[str] | None = None,
                      pipeline: dict[str, Any] | None = None, steps: list[dict[str, Any]] | None = None,
                      note: str = "", schema: pa.Schema | None = None, reuse_identical: bool = True,
                      decisions: pa.Table | None = None) -> Manifest:
        """Write a new version of `name` from tables (one Parquet part each) and commit its manifest.

        `schema`, when given, is what every part is cast to (use it when parts may differ, e.g. an
        attribute column that is all-null in one shard). With `reuse_identical`, when the latest version
        already has the same content hash, parents and pipeline, that version is returned and the new
        parts are deleted (re-running a finished pipeline does not create a copy). `decisions`, when
        given, is a pipeline run's per-record table (which step dropped which record and why; see
        `assay.pipelines.runner.DECISIONS_SCHEMA`), written beside the parts and named by
        `Manifest.decisions`; it is not part of the content hash. Raises Invalid for a bad name.
        """
        if not NAME_RE.match(name):
            raise Invalid(f"dataset name {name!r}: use letters, digits, '_', '-' or '.', at most 128 chars")
        data_rel = f"{name}/data/{uuid.uuid4().hex}"
        self.fs.makedirs(self._p(data_rel), exist_ok=True)
        files: list[str] = []
        rows = 0
        h = hashlib.sha256()
        out_schema: pa.Schema | None = schema
        for i, t in enumerate(tables):
            if out_schema is None:
                out_schema = t.schema
            t = t.select(out_schema.names).cast(out_schema) if t.schema != out_schema else t
            if t.num_rows == 0 and files:
                continue
            rel = f"{data_rel}/part-{i:05d}.parquet"
            with self.fs.open(self._p(rel), "wb") as f:
                pq.write_table(t, f, compression="zstd")
            files.append(rel)
            rows += t.num_rows
            for batch in t.to_batches(max_chunksize=4096):
                for row in batch.to_pylist():
                    h.update(row_hash(row).encode())
        if out_schema is None:
            raise Invalid(f"no tables given for dataset {name!r}")
        h.update(",".join(f"{f.name}:{f.type}" for f in out_schema).encode())
        content_hash = h.hexdigest()
        if reuse_identical and self._version_numbers(name):
            last = self.versions(name)[-1]
            if (last.content_hash == content_hash and last.parents == (parents or [])
                    and last.pipeline == pipeline):
                self.fs.rm(self._p(data_rel), recursive=True)
                return last
        decisions_rel = ""
        if decisions is not None:
            decisions_rel = f"{data_rel}/decisions.parquet"
            with self.fs.open(self._p(decisions_rel), "wb") as f:
                pq.write_table(decisions, f, compression="zstd")
        manifest = Manifest(dataset=name, version=0, id=uuid.uuid4().hex, parents=list(parents or []),
                            pipeline=pipeline, steps=list(steps or []), row_count=rows,
                            content_hash=content_hash, created_at=time.time(),
                            schema=[{"name": f.name, "type": str(f.type)} for f in out_schema],
                            files=files, note=note, decisions=decisions_rel)
        return self._commit(manifest)

    def _commit(self, m: Manifest) -> Manifest:
        vdir = self._p(m.dataset, "versions")
        self.fs.makedirs(vdir, exist_ok=True)
        for _ in range(1000):
            nums = self._version_numbers(m.dataset)
            m.version = (nums[-1] if nums else 0) + 1
            tmp = f"{vdir}/.tmp-{uuid.uuid4().hex}"
            final = f"{vdir}/{m.version:08d}.json"
            with self.fs.open(tmp, "w") as f:
                json.dump(m.to_dict(), f, indent=1, sort_keys=True)
            if self._local:
                try:
                    os.link(tmp, final)
                except FileExistsError:
                    continue
                finally:
                    os.unlink(tmp)
                return m
            if self.fs.exists(final):
                self.fs.rm(tmp)
                continue
            self.fs.mv(tmp, final)
            return m
        raise Conflict(f"could not commit a version of {m.dataset}: too many concurrent writers")


def open_store(url: str | None = None) -> DatasetStore:
    """The store at `url`, or the one `assay.config.load_settings()` names (ASSAY_DATASET_STORE,
    default <ASSAY_DATA_DIR>/datasets)."""
    if url:
        return DatasetStore(url)
    from assay.config import load_settings

    return DatasetStore(load_settings().resolved_dataset_store)
