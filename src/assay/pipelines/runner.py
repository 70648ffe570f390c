"""Running a pipeline over a dataset version: sharding, passes, resume, and the new version.

How a run works (the same for every executor):
  1. Partition: the input version's rows go to `shards` files by `blake2b(id) % shards` (input order
     kept within a shard). Written once to `<run dir>/input/` and marked done.
  2. Passes: the steps are cut at each global step G (dedup, sample, near_dedup). A pass applies, per
     shard, the previous pass's G (its phase 2) and then the row steps up to the next G, writes the
     shard's rows, its per-step stats and, when a G ends the pass, G.collect() of those rows (phase 1).
     Then the driver calls G.plan() over all shards' partials in shard order and the next pass begins.
  3. Commit: the last pass's shards, in shard order, become the parts of a new version whose manifest
     holds the spec, per-step stats summed over shards, and the input as parent. Beside the parts, a
     `decisions.parquet` (DECISIONS_SCHEMA) names every record a step dropped or flagged, with the step,
     the reason and the step's attributes for it (pass order, then shard order).

Resume: the run directory is keyed by (input version id, spec hash). Every shard result is written to a
temporary name and renamed, and its `.stats.json` is written last; a rerun skips every shard whose stats
file exists, so a killed run resumes where it stopped and gives the same output. Plans are recomputed
from the stored partials (cheap, deterministic). The run directory is deleted after the commit unless
`keep_run_dir` is set.

Outbound calls: before anything else, every URL a step calls (`Step.outbound_urls`, e.g. `llm_judge`'s
`base_url`) is checked against the `outbound` allow-list the caller passes (`assay pipeline run` passes the
`outbound_allowed_hosts` setting; none given: nothing is allowed) and the steps receive it
(`Step.bind_outbound`), so a worker applies the same list to every connection it makes.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import pyarrow as pa
import pyarrow.parquet as pq

from assay.datasets.store import DatasetStore, Manifest
from assay.errors import Forbidden, Invalid
from assay.pipelines.base import GlobalStep, Step, StepStats
from assay.pipelines.spec import PipelineSpec

if TYPE_CHECKING:
    from assay.llm.outbound import OutboundPolicy
    from assay.pipelines.executors import Executor

Progress = Callable[[str, int, int], None]
#: Per-record decisions of a run (one row per record a step dropped or flagged `would_drop`), kept with
#: the output version (`Manifest.decisions`) so the explorer can say which step dropped a record and why.
DECISIONS_SCHEMA = pa.schema([("id", pa.string()), ("step", pa.string()), ("step_name", pa.string()),
                              ("verdict", pa.string()), ("reason", pa.string()), ("detail", pa.string())])


def shard_of(record_id: str, shards: int) -> int:
    """The shard of a record: blake2b(id) mod shards (stable across machines and Python versions)."""
    return int.from_bytes(hashlib.blake2b(record_id.encode(), digest_size=8).digest(), "big") % shards


@dataclass
class ShardTask:
    """Everything a worker needs for one shard of one pass (picklable)."""

    pass_index: int
    shard: int
    in_path: str
    out_path: str
    steps: list[Step]
    collect: GlobalStep | None


def _atomic_write_bytes(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def run_shard(task: ShardTask) -> dict[str, Any]:
    """Process one shard: apply the steps, write rows, partial and (last) stats. Returns the stats dict."""
    table = pq.read_table(task.in_path)
    stats = []
    decisions: list[dict[str, Any]] = []
    for step in task.steps:
        out = step.process(table)
        table = out.table
        stats.append(out.stats.to_dict())
        decisions += [{"id": d.id, "step": step.id, "step_name": step.name, "verdict": d.verdict,
                       "reason": d.reason, "detail": json.dumps(d.detail, default=str, sort_keys=True)}
                      for d in out.decisions]
    dtmp = f"{task.out_path}.decisions.tmp-{os.getpid()}"
    pq.write_table(pa.Table.from_pylist(decisions, schema=DECISIONS_SCHEMA), dtmp, compression="zstd")
    os.replace(dtmp, task.out_path + ".decisions.parquet")
    tmp = f"{task.out_path}.tmp-{os.getpid()}"
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, task.out_path)
    if task.collect is not None:
        _atomic_write_bytes(task.out_path + ".partial.pkl", pickle.dumps(task.collect.collect(table)))
    result = {"shard": task.shard, "rows": table.num_rows, "steps": stats}
    _atomic_write_bytes(task.out_path + ".stats.json", json.dumps(result).encode())
    return result


@dataclass
class RunResult:
    """What a run produced: the new version, per-step stats, and how many shard tasks were skipped."""

    manifest: Manifest
    step_stats: list[dict[str, Any]]
    shards_done: int = 0
    shards_skipped: int = 0
    run_dir: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class ShardPartials(Sequence[Any]):
    """The shards' phase-1 partials in shard order, each read from its file when asked (and not kept), so
    a global step that streams them (near_dedup) never holds all of them; iterating twice reads twice."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths

    def __len__(self) -> int:
        return len(self.paths)

    @overload
    def __getitem__(self, i: int) -> Any: ...

    @overload
    def __getitem__(self, i: slice) -> list[Any]: ...

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return pickle.loads(Path(self.paths[i]).read_bytes())


def _passes(steps: list[Step]) -> list[tuple[list[Step], GlobalStep | None]]:
    passes: list[tuple[list[Step], GlobalStep | None]] = []
    cur: list[Step] = []
    for st in steps:
        if isinstance(st, GlobalStep):
            passes.append((cur, st))
            cur = [st]
        else:
            cur.append(st)
    passes.append((cur, None))
    return passes


def partition(store: DatasetStore, m: Manifest, run_dir: Path, shards: int) -> list[str]:
    """Write the input's rows into shard files (once). Returns the shard paths."""
    d = run_dir / "input"
    paths = [str(d / f"shard-{k:05d}.parquet") for k in range(shards)]
    if (d / "_DONE").exists():
        return paths
    d.mkdir(parents=True, exist_ok=True)
    pieces: list[list[pa.Table]] = [[] for _ in range(shards)]
    schema: pa.Schema | None = None
    for t in store.iter_tables(m):
        schema = schema or t.schema
        idx = pa.array([shard_of(i, shards) for i in t.column("id").to_pylist()], pa.int32())
        import pyarrow.compute as pc

        for k in range(shards):
            part = t.filter(pc.equal(idx, k))
            if part.num_rows:
                pieces[k].append(part)
    if schema is None:
        raise Invalid(f"{m.ref} has no data files")
    for k, path in enumerate(paths):
        t = pa.concat_tables(pieces[k]) if pieces[k] else schema.empty_table()
        pq.write_table(t, path + ".tmp", compression="zstd")
        os.replace(path + ".tmp", path)
    (d / "_DONE").write_text("ok")
    return paths


def default_run_dir(store: DatasetStore, input_id: str, spec: PipelineSpec) -> Path:
    """`<store>/_runs/<key>` for a local store, else `<tmp>/assay-runs/<key>`."""
    key = hashlib.sha256(f"{input_id}:{spec.key()}".encode()).hexdigest()[:20]
    if store._local:
        return Path(store.root) / "_runs" / key
    return Path(tempfile.gettempdir()) / "assay-runs" / key


def bind_outbound(steps: list[Step], policy: OutboundPolicy) -> None:
    """Check every URL the steps call against `policy` (the host, then every address it resolves to) and
    hand them the policy. Raises Forbidden naming the step for a refused URL, before anything connects."""
    for st in steps:
        for url in st.outbound_urls():
            try:
                policy.check_url(url)
            except Forbidden as e:
                raise Forbidden(f"pipeline step {st.id!r} ({st.name}) may not call {url}: {e.message}") from None
        st.bind_outbound(policy)


def run_pipeline(store: DatasetStore, spec: PipelineSpec, input_ref: str, *, output: str | None = None,
                 executor: Executor | None = None, run_dir: str | Path | None = None, progress: Progress | None = None,
                 keep_run_dir: bool = False, outbound: OutboundPolicy | None = None) -> RunResult:
    """Run `spec` over version `input_ref` and commit the result as a new version.

    `executor` is any `assay.pipelines.executors.Executor` (local, ray, ...); default: `LocalExecutor()`. `progress(label, done, total)` is called as shards finish. Output name: `output`,
    else `spec.name`, else the input dataset's name. `outbound`: the hosts steps may call (see the module
    doc; None allows none). Raises Forbidden for a step URL `outbound` refuses (before any work), NotFound
    for an unknown input, Invalid for a bad spec, and whatever a step raises.
    """
    from assay.llm.outbound import OutboundPolicy
    from assay.pipelines.executors import LocalExecutor

    bind_outbound(spec.steps, outbound if outbound is not None else OutboundPolicy())
    ex: Executor = executor or LocalExecutor()
    m = store.resolve(input_ref)
    rd = Path(run_dir) if run_dir else default_run_dir(store, m.id, spec)
    rd.mkdir(parents=True, exist_ok=True)
    if progress:
        progress("partition", 0, 1)
    in_paths = partition(store, m, rd, spec.shards)
    if progress:
        progress("partition", 1, 1)
    totals = [StepStats() for _ in spec.steps]
    index = {id(s): i for i, s in enumerate(spec.steps)}
    done = skipped = 0
    decision_parts: list[pa.Table] = []
    for p, (steps, collect) in enumerate(_passes(spec.steps)):
        out_dir = rd / f"pass-{p}"
        out_dir.mkdir(exist_ok=True)
        out_paths = [str(out_dir / f"shard-{k:05d}.parquet") for k in range(spec.shards)]
        label = f"pass {p + 1}: " + (", ".join(s.id for s in steps) or "collect")
        todo = [ShardTask(p, k, in_paths[k], out_paths[k], steps, collect)
                for k in range(spec.shards) if not os.path.exists(out_paths[k] + ".stats.json")]
        skipped += spec.shards - len(todo)
        if progress:
            progress(label, spec.shards - len(todo), spec.shards)
        finished = spec.shards - len(todo)
        for _ in ex.map(run_shard, todo):
            finished += 1
            done += 1
            if progress:
                progress(label, finished, spec.shards)
        for k in range(spec.shards):
            res = json.loads(Path(out_paths[k] + ".stats.json").read_text())
            for st, sd in zip(steps, res["steps"]):
                totals[index[id(st)]].merge(StepStats.from_dict(sd))
        if collect is not None:
            collect.plan(ShardPartials([path + ".partial.pkl" for path in out_paths]))
        decision_parts += [pq.read_table(path + ".decisions.parquet") for path in out_paths
                           if os.path.exists(path + ".decisions.parquet")]
        in_paths = out_paths
    tables = [pq.read_table(path) for path in in_paths]
    schema = pa.unify_schemas([t.schema for t in tables], promote_options="permissive")
    tables = [_conform(t, schema) for t in tables]
    step_stats = [{"id": s.id, "step": s.name, **totals[i].to_dict()} for i, s in enumerate(spec.steps)]
    manifest = store.write_version(output or spec.name or m.dataset, tables, parents=[m.ref],
                                   pipeline={**spec.to_dict(), "executor": ex.name}, steps=step_stats,
                                   schema=schema, decisions=pa.concat_tables(
                                       decision_parts or [DECISIONS_SCHEMA.empty_table()]))
    if not keep_run_dir:
        shutil.rmtree(rd, ignore_errors=True)
    return RunResult(manifest, step_stats, shards_done=done, shards_skipped=skipped, run_dir=str(rd))


def _conform(t: pa.Table, schema: pa.Schema) -> pa.Table:
    for f in schema:
        if f.name not in t.column_names:
            t = t.append_column(f.name, pa.nulls(t.num_rows, f.type))
    return t.select(schema.names).cast(schema)
