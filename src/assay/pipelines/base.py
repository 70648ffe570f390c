"""The pipeline step interface: how to write a step.

A step is a small class with one method over a batch. The batch is a `pyarrow.Table` whose columns are the
record schema of `assay.datasets.schema` (`id`, `source`, `messages`, `completions`, `metadata`, `code`) plus
any attribute columns earlier steps added. Arrow was chosen over lists of dicts because filters, renames and
column additions stay columnar (no per-row Python objects) and shards move between processes and Ray workers
without conversion; a step that needs Python strings calls `batch.column(...).to_pylist()` or the helpers in
`assay.pipelines.text` on the columns it reads.

Writing a row-wise step (the usual case)::

    from assay.pipelines.base import Step, StepOutput

    class ShortFilter(Step):
        name = "short"                      # registry name used in YAML specs: `- short: {max_chars: 100}`
        requires = ()                       # optional packages, e.g. (Requirement("datasketch"),)

        def __init__(self, max_chars: int = 100, **common: Any) -> None:
            super().__init__(**common)      # takes `id` (the step id in the spec) and `annotate_only`
            self.max_chars = max_chars

        def process(self, batch: pa.Table) -> StepOutput:
            n = pc.utf8_length(batch["id"])       # any per-row computation
            keep = pc.less_equal(n, self.max_chars)
            return self.decide(batch, keep=keep, reasons="too_long", attributes={"len": n})

`decide()` does the bookkeeping every step needs: it adds attribute columns named `<step id>__<attr>`
(dolma-style: attributes sit beside the untouched document columns), drops the rows where `keep` is False
(unless the step was configured `annotate_only: true`, in which case nothing is dropped but the would-be
reasons are still counted under `would_drop`), and counts kept/dropped rows per reason. Stats are kept
apart from the keep/drop decision: a step may return only attributes (`keep=None`) and never drop.

The contract of `process`:
  * it is a pure function of the batch and the step's parameters (and, for global steps, of the plan made
    in phase 1): the same input batch gives the same output bytes on any machine and executor;
  * it keeps the relative order of the kept rows;
  * it never changes `id`; a step that rewrites a document (map, PII redaction) changes the document
    columns in place and says so in its attributes;
  * it raises `assay.errors.Invalid` for bad parameters in `__init__` (never later), and `check()` raises
    `assay.errors.Unavailable` with the `uv add` / `pip install` command when an optional package is missing.

Global steps (dedup across the whole run, sampling, near-duplicate clustering) subclass `GlobalStep` and run
in two phases, because a shard alone cannot decide:
  1. `collect(batch) -> partial`: called once per shard on that shard's rows (after the steps before it);
     returns a small picklable summary (e.g. `(id, hash)` pairs, MinHash signatures).
  2. `plan(partials)`: called once in the driver with the partials of all shards in shard order; it stores
     its decision on `self` (e.g. the set of ids to drop). It must be deterministic given the partials.
  3. `process(batch)`: called per shard again, applying the plan (drops and attributes as above).
  The executor writes each shard's rows before a global step to disk, so phase 2 never recomputes phase 1,
  and a crashed run resumes in either phase. `plan_state()` / `load_plan_state()` let the plan travel to
  worker processes; the default pickles `self`, which is fine for most steps.

Registering a step: `assay.pipelines.registry.register(MyStep)` (the built-in steps are registered by name
in `registry.py`; `assay.pipelines.near_dedup` is imported lazily when it exists and must expose a
`GlobalStep` subclass named `NearDedup` with `name = "near_dedup"`).
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from assay.errors import Invalid, Unavailable

if TYPE_CHECKING:
    from assay.llm.outbound import OutboundPolicy

ATTR_SEP = "__"
EXAMPLES = 3  # dropped-row ids kept per step and reason for run reports


@dataclass(frozen=True)
class Requirement:
    """An optional package a step needs: `module` is what is imported, `package` what is installed."""

    module: str
    package: str = ""
    extra: str = ""

    def missing(self) -> bool:
        """True when the module cannot be imported here."""
        return importlib.util.find_spec(self.module) is None

    def install_hint(self) -> str:
        """The commands that install it."""
        pkg = self.package or self.module
        if self.extra:
            return f"uv sync --extra {self.extra}  (or: pip install 'assay[{self.extra}]')"
        return f"uv add {pkg}  (or: pip install {pkg})"


@dataclass
class StepStats:
    """What one step did: rows in, kept, dropped per reason, would-drop per reason (annotate-only mode),
    and free-form numeric counters (e.g. `pii_emails`), all summed over shards. `examples` keeps the ids of
    the first EXAMPLES dropped (or would-drop) rows per reason, in shard order, so a report can show them
    (the rows themselves are in the run's input version)."""

    rows_in: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    would_drop: Counter[str] = field(default_factory=Counter)
    counters: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def merge(self, other: StepStats) -> None:
        """Add `other` into this one (shards are summed; examples are kept up to EXAMPLES per reason)."""
        for reason, ids in other.examples.items():
            have = self.examples.setdefault(reason, [])
            have.extend(ids[:max(0, EXAMPLES - len(have))])
        self.rows_in += other.rows_in
        self.kept += other.kept
        self.dropped.update(other.dropped)
        self.would_drop.update(other.would_drop)
        self.counters.update(other.counters)

    def to_dict(self) -> dict[str, Any]:
        return {"rows_in": self.rows_in, "kept": self.kept, "dropped": dict(sorted(self.dropped.items())),
                "would_drop": dict(sorted(self.would_drop.items())),
                "counters": dict(sorted(self.counters.items())),
                "examples": {k: list(v) for k, v in sorted(self.examples.items())}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StepStats:
        return cls(rows_in=int(d.get("rows_in", 0)), kept=int(d.get("kept", 0)),
                   dropped=Counter(d.get("dropped", {})), would_drop=Counter(d.get("would_drop", {})),
                   counters=Counter(d.get("counters", {})),
                   examples={k: list(v) for k, v in d.get("examples", {}).items()})


@dataclass(frozen=True)
class Decision:
    """Why one row was dropped (`verdict` "dropped") or would have been (`would_drop`, annotate-only):
    the record id, the reason, and `detail`: the step's attribute values for that row (e.g. the kept
    record a near-duplicate belongs to, the language found). The runner keeps these with the version."""

    id: str
    verdict: str
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepOutput:
    """The kept rows (with new attribute columns), the stats of one `process` call, and one Decision per
    row dropped or flagged `would_drop`, in input order."""

    table: pa.Table
    stats: StepStats
    decisions: list[Decision] = field(default_factory=list)


class Step:
    """Base class of row-wise steps. See the module docstring for the contract."""

    name: ClassVar[str] = ""
    requires: ClassVar[tuple[Requirement, ...]] = ()

    def __init__(self, id: str = "", annotate_only: bool = False) -> None:
        self.id = id or self.name
        self.annotate_only = bool(annotate_only)

    # -- lifecycle -------------------------------------------------------------------------------------
    def check(self) -> None:
        """Raise Unavailable naming the install command when an optional dependency is missing."""
        missing = [r for r in self.requires if r.missing()]
        if missing:
            hints = "; ".join(f"{r.module}: {r.install_hint()}" for r in missing)
            raise Unavailable(f"step {self.id!r} needs packages that are not installed: {hints}")

    def process(self, batch: pa.Table) -> StepOutput:
        """Return the kept rows of `batch` plus attributes and stats. Subclasses implement this."""
        raise NotImplementedError

    # -- outbound calls --------------------------------------------------------------------------------
    def outbound_urls(self) -> tuple[str, ...]:
        """The URLs this step calls out to (a model server); none by default. The runner checks each against
        the outbound allow-list before the run starts and hands the step the policy (`bind_outbound`)."""
        return ()

    def bind_outbound(self, policy: OutboundPolicy) -> None:
        """Receive the outbound allow-list (from `run_pipeline`, i.e. the `outbound_allowed_hosts` setting of
        whoever runs the pipeline). A step that calls out must apply it to every connection and refuse to
        call anywhere without it; steps that never call out ignore it."""

    # -- helpers for subclasses ------------------------------------------------------------------------
    def attr(self, name: str) -> str:
        """The column name of attribute `name` of this step: `<step id>__<name>`."""
        return f"{self.id}{ATTR_SEP}{name}"

    def decide(self, batch: pa.Table, keep: pa.Array | pa.ChunkedArray | list[bool] | None = None,
               reasons: str | list[str | None] | None = None,
               attributes: dict[str, Any] | None = None,
               counters: dict[str, int] | None = None) -> StepOutput:
        """Add attributes, drop rows with keep False (unless annotate_only) and count why.

        `reasons` is one reason for every dropped row, or a per-row list (None where kept). `attributes`
        maps attribute name to a per-row array or list; each becomes column `<id>__<name>` (replacing an
        existing one). Returns the StepOutput.
        """
        stats = StepStats(rows_in=batch.num_rows, counters=Counter(counters or {}))
        for key, values in (attributes or {}).items():
            col = self.attr(key)
            arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values)
            if col in batch.column_names:
                batch = batch.set_column(batch.column_names.index(col), col, arr)
            else:
                batch = batch.append_column(col, arr)
        if keep is None:
            stats.kept = batch.num_rows
            return StepOutput(batch, stats)
        mask = keep if isinstance(keep, (pa.Array, pa.ChunkedArray)) else pa.array(keep, pa.bool_())
        mask = pc.fill_null(mask, False)
        keep_list = mask.to_pylist()
        n_drop = keep_list.count(False)
        decisions: list[Decision] = []
        if n_drop:
            if isinstance(reasons, list):
                why = Counter(r or "dropped" for r, k in zip(reasons, keep_list) if not k)
            else:
                why = Counter({reasons or "dropped": n_drop})
            (stats.would_drop if self.annotate_only else stats.dropped).update(why)
            if "id" in batch.column_names:
                ids = batch.column("id").to_pylist()
                drop_rows = [i for i, k in enumerate(keep_list) if not k]
                mine = [c for c in batch.column_names if c.startswith(self.id + ATTR_SEP)]
                detail = batch.select(mine).take(drop_rows).to_pylist() if mine else [{} for _ in drop_rows]
                verdict = "would_drop" if self.annotate_only else "dropped"
                for i, d in zip(drop_rows, detail):
                    r = (reasons[i] if isinstance(reasons, list) else reasons) or "dropped"
                    got = stats.examples.setdefault(r, [])
                    if len(got) < EXAMPLES:
                        got.append(ids[i])
                    decisions.append(Decision(str(ids[i]), verdict, r,
                                              {k[len(self.id) + len(ATTR_SEP):]: v for k, v in d.items()}))
        if self.annotate_only or not n_drop:
            stats.kept = batch.num_rows
            return StepOutput(batch, stats, decisions)
        out = batch.filter(mask)
        stats.kept = out.num_rows
        return StepOutput(out, stats, decisions)

    def describe(self) -> dict[str, Any]:
        """A JSON-able description of the step for manifests (name, id and public parameters)."""
        params = {k: v for k, v in vars(self).items() if not k.startswith("_") and k not in ("id",)}
        return {"step": self.name, "id": self.id,
                "params": {k: v for k, v in params.items() if isinstance(v, (str, int, float, bool, list,
                                                                             dict, type(None)))}}


class GlobalStep(Step):
    """A step that needs the whole run to decide (two phases; see the module docstring)."""

    def collect(self, batch: pa.Table) -> Any:
        """Phase 1, once per shard: a small picklable summary of the shard's rows."""
        raise NotImplementedError

    def plan(self, partials: Sequence[Any]) -> None:
        """Phase 1 reduce, once in the driver: decide from all shards' partials (in shard order)."""
        raise NotImplementedError


def require_params(step: str, given: dict[str, Any], allowed: set[str]) -> None:
    """Raise Invalid naming unknown parameters of `step` and the known ones."""
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise Invalid(f"step {step!r}: unknown parameter(s) {', '.join(unknown)}; "
                      f"known: {', '.join(sorted(allowed))}")
