"""A near-dedup run's sketches — per document its shingle hashes and its LSH band keys — in memory or on disk.

Clustering needs, per document, the band keys (one uint64 per band: `minhash_lsh.band_keys`) to find
candidate pairs one band at a time, and the shingle hashes (uint32) to check candidates exactly. Together
they take about ``8 * bands + 4 * words`` bytes per document (1.9 KB for 250 words at the default 106
bands), which at 10M documents is more than a machine's memory. `SketchStore` holds them:

* in memory (``spill=False``);
* on disk (``spill=True``): batches are buffered up to `memory_mb` and then appended to one file of shingle
  hashes and one file per band under a temporary directory in `spill_dir` (default: the system's temporary
  directory), deleted by `close()`. Banding then reads one band file at a time and the exact check reads the
  shingle hashes of candidate documents, a chunk at a time, through a read-only memory map whose pages are
  released after each chunk (`shingles_of`), so memory stays at about 24 bytes per document (shingle
  counts and offsets, the whole-signature key) plus one band's sort per thread, whatever the number of
  documents;
* ``spill=None`` (auto, the default): in memory until the held sketches exceed `memory_mb`, then on disk.

Signatures themselves are never kept: the band keys are computed batch by batch (they are all banding
needs, and 8 bytes per band is less than the ``4 * rows`` bytes of signature they summarise).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from assay.errors import Invalid
from assay.pipelines.minhash_lsh import fold_keys
from assay.pipelines.minhash_shingles import ShingleBatch, concat_batches

DEFAULT_MEMORY_MB = 512


def _libc_trim() -> Any:
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


_MALLOC_TRIM = _libc_trim()


def release_freed_memory() -> None:
    """Give freed heap memory back to the system (glibc's ``malloc_trim``; nothing elsewhere). Batches of
    a few MB that numpy allocated and freed otherwise stay in the process: glibc raises its mmap threshold
    after the first large free, so later arrays come from the heap, which it rarely shrinks (measured: 150
    MB more resident after sketching 200k documents)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


SPILL_PREFIX = "assay-near-dedup-"
OWNER_FILE = "owner"


def _process_id(pid: int) -> str | None:
    """`"<pid> <start time>"` of a live process (the start time tells a reused pid apart), None when no
    process has that pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "; comm may hold spaces
    return f"{pid} {fields[19]}"  # field 22 of stat: the start time in clock ticks since boot


def remove_abandoned_spills(base: Path) -> list[Path]:
    """Remove the spill folders under `base` whose owning process has ended without removing them (it was
    killed): each folder names its owner in `owner` (pid and start time). Folders without that file (made
    by a release before it) and folders of live processes are left. Returns what was removed."""
    removed = []
    for folder in base.glob(SPILL_PREFIX + "*"):
        try:
            owner = (folder / OWNER_FILE).read_text().strip()
        except OSError:
            continue
        pid = owner.split(" ", 1)[0]
        if not owner or not pid.isdigit() or _process_id(int(pid)) == owner:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


class SketchStore:
    """Append batches with `add`, then `finish()`; read with `n`, `counts`, `full_keys`, `band(b)`,
    `shingles`. Use as a context manager (or call `close()`) so spilled files are removed."""

    def __init__(self, bands: int, spill: bool | None = None, memory_mb: float = DEFAULT_MEMORY_MB,
                 spill_dir: str | Path | None = None) -> None:
        if memory_mb <= 0:
            raise Invalid(f"memory_mb must be positive, got {memory_mb}")
        self.bands, self.spill, self.memory_bytes = bands, spill, int(memory_mb * 2**20)
        self.spill_dir = spill_dir
        self._held: list[tuple[ShingleBatch, npt.NDArray[np.uint64]]] = []
        self._held_bytes = 0
        self._counts: list[npt.NDArray[np.int64]] = []
        self._full: list[npt.NDArray[np.uint64]] = []
        self._dir: Path | None = None
        self._keys_mem: list[npt.NDArray[np.uint64]] | None = None
        self._shingles: ShingleBatch | None = None
        self.counts: npt.NDArray[np.int64] = np.zeros(0, np.int64)
        self.full_keys: npt.NDArray[np.uint64] = np.zeros(0, np.uint64)
        self.spilled_bytes = 0
        self._map: mmap.mmap | None = None

    @property
    def spilled(self) -> bool:
        """Whether the sketches went to disk."""
        return self.spilled_bytes > 0

    @property
    def n(self) -> int:
        return len(self.counts)

    def add(self, shingles: ShingleBatch, keys: npt.NDArray[np.uint64]) -> None:
        """Append a batch: its shingle hashes and its ``(bands, n)`` band keys."""
        if keys.shape != (self.bands, len(shingles.counts)):
            raise Invalid(f"band keys of shape {keys.shape}, expected ({self.bands}, {len(shingles.counts)})")
        self._counts.append(shingles.counts)
        self._full.append(fold_keys(keys))
        self._held.append((shingles, np.ascontiguousarray(keys)))
        self._held_bytes += shingles.hashes.nbytes + keys.nbytes
        if self.spill is not False and self._held_bytes > self.memory_bytes:
            self._flush()
        else:
            release_freed_memory()  # the batch's scratch arrays sit between the held ones on the heap

    def _flush(self) -> None:
        if not self._held:
            return
        if self._dir is None:
            base = Path(self.spill_dir) if self.spill_dir is not None else Path(tempfile.gettempdir())
            base.mkdir(parents=True, exist_ok=True)
            remove_abandoned_spills(base)
            self._dir = Path(tempfile.mkdtemp(prefix=SPILL_PREFIX, dir=base))
            (self._dir / OWNER_FILE).write_text(_process_id(os.getpid()) or "")
        with open(self._dir / "shingles.u32", "ab") as f:
            for sh, _ in self._held:
                np.ascontiguousarray(sh.hashes).tofile(f)
        for b in range(self.bands):
            with open(self._dir / f"band-{b:04d}.u64", "ab") as f:
                for _, keys in self._held:
                    keys[b].tofile(f)
        self.spilled_bytes += self._held_bytes
        self._held, self._held_bytes = [], 0
        release_freed_memory()

    def finish(self) -> None:
        """No more batches: write what is buffered (when spilling) and make the arrays readable."""
        self.counts = np.concatenate(self._counts) if self._counts else np.zeros(0, np.int64)
        self.full_keys = np.concatenate(self._full) if self._full else np.zeros(0, np.uint64)
        self._counts, self._full = [], []
        offsets = np.zeros(self.n + 1, np.int64)
        np.cumsum(self.counts, out=offsets[1:])
        if self.spill or self._dir is not None:
            self._flush()
        if self._dir is not None:
            path = self._dir / "shingles.u32"
            hashes = np.zeros(0, np.uint32)
            if path.stat().st_size:
                with open(path, "rb") as f:
                    self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                hashes = np.frombuffer(self._map, np.uint32)
            self._shingles = ShingleBatch(hashes, offsets)
        else:  # one array of shingle hashes, filled part by part and freeing each part (no second copy)
            hashes = np.empty(int(offsets[-1]), np.uint32)
            self._keys_mem = [keys for _, keys in self._held]
            held, self._held = self._held, []
            pos = 0
            for i, (sh, _) in enumerate(held):
                hashes[pos: pos + len(sh.hashes)] = sh.hashes
                pos += len(sh.hashes)
                held[i] = (concat_batches([]), held[i][1])
            del held
            release_freed_memory()
            self._shingles = ShingleBatch(hashes, offsets)

    @property
    def shingles(self) -> ShingleBatch:
        """Every document's shingle hashes (a read-only memory map when spilled)."""
        if self._shingles is None:
            raise Invalid("SketchStore.finish() must be called before reading")
        return self._shingles

    def shingles_of(self, docs: npt.NDArray[np.int64]) -> ShingleBatch:
        """The shingle hashes of `docs` only (local index ``k`` is ``docs[k]``), copied into memory. When
        spilled, the pages of the map this touched are released from the process right after (they stay in
        the page cache), so checking candidates holds only their documents, never the whole file."""
        whole = self.shingles
        counts = whole.counts[docs]
        offsets = np.zeros(len(docs) + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        idx = np.repeat(whole.offsets[docs] - offsets[:-1], counts) + np.arange(int(offsets[-1]), dtype=np.int64)
        hashes = whole.hashes[idx]
        del idx
        if self._map is not None and hasattr(mmap, "MADV_DONTNEED"):
            self._map.madvise(mmap.MADV_DONTNEED)
        return ShingleBatch(hashes, offsets)

    def band(self, b: int) -> npt.NDArray[np.uint64]:
        """Band `b`'s key of every document (read from disk when spilled)."""
        if self._dir is not None:
            return np.fromfile(self._dir / f"band-{b:04d}.u64", np.uint64)
        if self._keys_mem is None:
            raise Invalid("SketchStore.finish() must be called before reading")
        if not self._keys_mem:
            return np.zeros(0, np.uint64)
        return np.concatenate([keys[b] for keys in self._keys_mem])

    def close(self) -> None:
        """Drop the arrays and delete the spill directory."""
        self._shingles, self._keys_mem, self._held = None, None, []
        if self._map is not None:
            try:
                self._map.close()
            except BufferError:  # an array still views the map; it goes when that array does
                pass
            self._map = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
                 ) -> None:
        self.close()
