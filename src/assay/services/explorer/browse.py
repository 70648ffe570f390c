"""The dataset explorer: browse, search and filter a version's records, one record in full, and hand a
filtered selection to a project or to a new version / file.

A *view* is what the URL carries: conditions in the shared filter language (`assay.pipelines.conditions`,
the same one the pipeline `filter` step takes as `match:`), an optional raw DuckDB `where` (as in the
filter step), a full-text query and a page. A view's queries share a time limit (the
`explorer_query_seconds` setting): DuckDB is interrupted when it runs out and TooSlow (422,
`query_timeout`) says the filter took too long. Queries run in DuckDB over the version's cache
(`explorer_cache`; seconds per 100k records to build, kept for good). Pages call `prepare` first: it
starts the build in a background thread and waits at most WAIT_SECONDS, so a large version shows a
"building" page instead of holding the request; versions made in the server (`export_selection`) start
their build as soon as they are written.

Full-text search: `q` is split into words and "quoted phrases"; a record matches when its text (every
message and completion, lower-cased) contains each of them (case-insensitive substring, AND).
"""

from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from assay.datasets import DatasetStore, Manifest
from assay.datasets.schema import DOCUMENT_COLUMNS
from assay.domain.users import User
from assay.errors import Invalid, NotFound, TooSlow
from assay.pipelines.base import ATTR_SEP
from assay.pipelines.conditions import compile_conditions, list_columns_of, parse_conditions
from assay.services.datasets import handoff as datasets
from assay.services.explorer import cache as explorer_cache
from assay.services.explorer import search as explorer_search
from assay.services.explorer import sql_errors
from assay.services.explorer.cache import MATERIALIZED, CacheStatus, TimeLimit, cache_dir, cursor, time_limit
from assay.services.projects.records import ImportResult
from assay.store.db import Db

MAX_PER_PAGE = 200
WAIT_SECONDS = 2.0  # how long a page waits for a cache build before it shows "building"
VERIFY_BATCH = 16_384  # rows of text fetched at once when candidates are checked on their text


def store_of(db: Db) -> DatasetStore:
    """The dataset store the settings name."""
    return DatasetStore(db.settings.resolved_dataset_store)


def cache_root(db: Db) -> Path:
    """Where explorer caches live: <data_dir>/explorer."""
    return Path(db.settings.data_dir) / "explorer"


def prepare(db: Db, ref: str, *, wait: float | None = None, retry: bool = False) -> CacheStatus:
    """Make sure the version's explorer cache is ready or being built (a job of the server's job runner); wait at
    most `wait` seconds (default WAIT_SECONDS) for it. `retry` starts a failed build again. Raises
    NotFound for an unknown version."""
    store = store_of(db)
    m = store.resolve(ref)
    return explorer_cache.start_build(db, store, m, cache_root(db), wait=WAIT_SECONDS if wait is None else wait,
                                      retry=retry)


@dataclass(frozen=True)
class View:
    """A selection of records: conditions (ANDed), raw SQL `where`, search text, page (1-based)."""

    conditions: tuple[str, ...] = ()
    q: str = ""
    where: str = ""
    page: int = 1
    per_page: int = 25

    def __post_init__(self) -> None:
        parse_conditions(self.conditions)
        if self.where and ";" in self.where:
            raise Invalid("`where` must be one SQL expression without ';'")
        if self.page < 1 or not 1 <= self.per_page <= MAX_PER_PAGE:
            raise Invalid(f"page starts at 1 and per_page is 1..{MAX_PER_PAGE}")

    @property
    def is_filtered(self) -> bool:
        return bool(self.conditions or self.q.strip() or self.where.strip())

    def params(self, **override: Any) -> dict[str, Any]:
        """The view as URL query parameters (`f` repeated per condition), with overrides (e.g. page=2)."""
        d: dict[str, Any] = {"f": list(self.conditions), "q": self.q, "where": self.where, "page": self.page,
                             "per_page": self.per_page}
        d.update(override)
        return {k: v for k, v in d.items() if v not in ("", [], None) and not (k == "per_page" and v == 25)
                and not (k == "page" and v == 1)}

    def query_string(self, **override: Any) -> str:
        """`f=...&q=...` for links that keep the view (sharable)."""
        return urlencode(self.params(**override), doseq=True)

    def match_spec(self) -> dict[str, Any]:
        """The same selection as a pipeline `filter` step's parameters (search words become `text~` conditions)."""
        spec: dict[str, Any] = {"match": [*self.conditions, *(f"text~{t}" for t in search_terms(self.q))]}
        if self.where.strip():
            spec["where"] = self.where
        return spec


def search_terms(q: str) -> list[str]:
    """Words and "quoted phrases" of a search, lower-cased; [] for blank."""
    try:
        parts = shlex.split(q)
    except ValueError:
        parts = q.replace('"', " ").split()
    return [p.lower() for p in parts if p.strip()]


def _lit(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def where_sql(view: View, columns: list[str], search: list[str] | None = None,
              list_columns: list[str] | None = None) -> str:
    """The SQL condition of a view over the cache table (derived fields use their cached columns).
    `search` replaces the view's search words (the ones the word index did not already answer)."""
    parts = [compile_conditions(parse_conditions(view.conditions), columns, MATERIALIZED, list_columns or ())]
    parts += [f"contains({MATERIALIZED['text']}, {_lit(t)})"
              for t in (search_terms(view.q) if search is None else search)]
    if view.where.strip():
        parts.append(f"coalesce(({view.where})::BOOLEAN, false)")
    return " AND ".join(f"({p})" for p in parts)


@dataclass
class RecordPage:
    """One page of a view: rows (see `_row`), the total matching, timing."""

    ref: str
    view: View
    total: int
    rows: list[dict[str, Any]]
    columns: list[str]
    elapsed_ms: float

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.view.per_page))

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "total": self.total, "page": self.view.page, "per_page": self.view.per_page,
                "pages": self.pages, "conditions": list(self.view.conditions), "q": self.view.q,
                "where": self.view.where, "match": self.view.match_spec(), "columns": self.columns,
                "rows": self.rows, "elapsed_ms": round(self.elapsed_ms, 1)}


def _columns(m: Manifest) -> list[str]:
    return [c["name"] for c in m.schema]


def _row(d: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    """A record as a JSON-able dict: document fields, parsed metadata, `attributes` {column: value},
    `steps` {step id: {attr: value}}, `rid` (position in the version)."""
    attrs = {c: d.get(c) for c in columns if c not in DOCUMENT_COLUMNS}
    steps: dict[str, dict[str, Any]] = {}
    for c, v in attrs.items():
        step, _, attr = c.partition(ATTR_SEP)
        steps.setdefault(step if attr else "", {})[attr or c] = v
    meta = d.get("metadata")
    try:
        meta = json.loads(meta) if isinstance(meta, str) else (meta or {})
    except ValueError:
        meta = {"_raw": meta}
    return {"rid": d.get("_rid"), "id": d["id"], "source": d.get("source"), "messages": d.get("messages") or [],
            "completions": [{**c, "metadata": json.loads(c["metadata"] or "{}")} for c in d.get("completions") or []],
            "metadata": meta, "code": d.get("code"), "attributes": attrs, "steps": steps}


def _fetch_rids(cur: Any, m: Manifest, rids: list[int]) -> list[dict[str, Any]]:
    """Rows by row number, in order. One `BETWEEN` branch per run of consecutive numbers, joined with
    UNION ALL: each branch is pruned by the zone maps, where `_rid IN (...)` over scattered rows made
    DuckDB decompress whole row groups of text (measured 10-20x slower on a 1M-row version)."""
    if not rids:
        return []
    runs: list[list[int]] = []
    for r in sorted(rids):
        if runs and r == runs[-1][1] + 1:
            runs[-1][1] = r
        else:
            runs.append([r, r])
    cols = _columns(m)
    sel = ", ".join(["_rid", *(repr_col(c) for c in cols)])
    sql = " UNION ALL ".join(f"(SELECT {sel} FROM records WHERE _rid BETWEEN {a} AND {b})" for a, b in runs)
    rel = cur.execute(f"SELECT * FROM ({sql}) ORDER BY _rid")
    names = [d[0] for d in rel.description]
    return [_row(dict(zip(names, r)), cols) for r in rel.fetchall()]


def browse(db: Db, ref: str, view: View) -> RecordPage:
    """The page `view.page` of the records the view selects, in version order. Raises NotFound for an
    unknown version, Invalid for a bad condition or `where`."""
    t0 = time.perf_counter()
    store = store_of(db)
    m = store.resolve(ref)
    cols = _columns(m)
    off = (view.page - 1) * view.per_page
    with cursor(store, m, cache_root(db)) as cur, time_limit(cur, _seconds(db)) as limit:
        try:
            if not view.is_filtered:
                total = m.row_count
                rows = _fetch_rids(cur, m, list(range(off, min(off + view.per_page, total))))
            else:
                w, cand = _selection(cur, m, view, cols, cache_dir(cache_root(db), m))
                if cand is not None and w == "(true)":  # the rows are the selection
                    total, rids = len(cand), [int(x) for x in cand[off:off + view.per_page]]
                else:
                    total = cur.execute(f"SELECT count(*) FROM records WHERE {w}").fetchall()[0][0]
                    rids = [r[0] for r in cur.execute(f"SELECT _rid FROM records WHERE {w} ORDER BY _rid "
                                                      f"LIMIT {view.per_page} OFFSET {off}").fetchall()]
                rows = _fetch_rids(cur, m, rids)
        except Exception as e:  # duckdb.Error: a bad `where` or value
            raise _query_error(e, limit, cols) from e
    return RecordPage(m.ref, view, int(total), rows, cols, (time.perf_counter() - t0) * 1000)


def _selection(cur: Any, m: Manifest, view: View, cols: list[str], folder: Path
               ) -> tuple[str, np.ndarray | None]:
    """(SQL condition, row numbers or None). With row numbers and `(true)`, the rows are exactly the view's
    selection (the word index's answer, its candidates checked on the text where it only narrowed them);
    with row numbers and another condition, the SQL already restricts to them (table `cand` registered on
    `cur` when many). Without row numbers (no search, or no term the index narrows) the SQL says it all."""
    terms = search_terms(view.q)
    cand, check = (explorer_search.candidates(explorer_search.load_index(folder, m.row_count), terms) if terms
                   else (None, []))
    w = where_sql(view, cols, search=[] if cand is not None else None,
                  list_columns=list_columns_of({c["name"]: c["type"] for c in m.schema}))
    if cand is None or w == "(true)" and not check:
        return w, cand
    if check:  # the rows of the other conditions among the candidates, checked on their text
        rel = cur.sql(f"SELECT _rid, messages, completions FROM records WHERE {w} AND {_restrict(cur, cand)}")
        return "(true)", np.sort(explorer_search.verify(rel.to_arrow_reader(VERIFY_BATCH), check))
    return f"{w} AND {_restrict(cur, cand)}", cand


def _restrict(cur: Any, rids: np.ndarray) -> str:
    """A condition keeping the rows numbered `rids`: a literal list when short, else a join with the table
    `cand` registered on `cur`."""
    if len(rids) <= 1000:
        return f"_rid IN ({', '.join(map(str, rids.tolist())) or 'NULL'})"
    cur.register("cand", pa.table({"rid": pa.array(rids, pa.int64())}))
    return "_rid IN (SELECT rid FROM cand)"


def get_record(db: Db, ref: str, record_id: str) -> tuple[Manifest, dict[str, Any]]:
    """One record of a version by its id. Raises NotFound."""
    store = store_of(db)
    m = store.resolve(ref)
    with cursor(store, m, cache_root(db)) as cur:
        hit = cur.execute(f"SELECT _rid FROM records WHERE id = {_lit(record_id)} LIMIT 1").fetchall()
        rows = _fetch_rids(cur, m, [hit[0][0]]) if hit else []
    if not rows:
        raise NotFound(f"{m.ref} has no record {record_id!r}; search for it on the version's page")
    return m, rows[0]


def selection_table(db: Db, ref: str, view: View) -> tuple[Manifest, pa.Table]:
    """Every record the view selects (all pages), with all columns of the version, in version order.
    Raises NotFound for an unknown version, Invalid for a bad condition or `where` (as `browse` does)."""
    store = store_of(db)
    m = store.resolve(ref)
    cols = _columns(m)
    with cursor(store, m, cache_root(db)) as cur, time_limit(cur, _seconds(db)) as limit:
        try:
            w, rows = _selection(cur, m, view, cols, cache_dir(cache_root(db), m)) if view.is_filtered \
                else ("true", None)
            if rows is not None and w == "(true)":  # the rows are the selection (the index answered)
                w = _restrict(cur, rows)
            table = cur.sql(f"SELECT {', '.join(repr_col(c) for c in cols)} FROM records WHERE {w} "
                            f"ORDER BY _rid").to_arrow_table()
        except Exception as e:  # duckdb.Error: a bad `where` or value
            raise _query_error(e, limit, cols) from e
    return m, table


def _seconds(db: Db) -> float:
    return float(db.settings.explorer_query_seconds)


def _query_error(e: Exception, limit: TimeLimit, columns: list[str]) -> Exception:
    """What a failed view query raises: our own errors as they are, TooSlow when the time limit interrupted
    it, else Invalid naming the fields the person may use (`sql_errors.explain`)."""
    if isinstance(e, (Invalid, NotFound)):
        return e
    if limit.fired:
        return TooSlow(f"the filter took too long: it was stopped after {limit.seconds:g} s. Narrow it (a simpler "
                       "`where`, fewer or more selective conditions) and try again",
                       details={"seconds": limit.seconds})
    return sql_errors.explain(e, columns)


def repr_col(c: str) -> str:
    return '"' + c.replace('"', '""') + '"'


@dataclass
class ExportResult:
    """What an export wrote: a new version (`manifest`) or a file (`path`), and how many rows."""

    rows: int
    manifest: Manifest | None = None
    path: str = ""
    spec: dict[str, Any] = field(default_factory=dict)


def export_selection(db: Db, ref: str, view: View, *, name: str = "", path: str = "") -> ExportResult:
    """Write the view's records as a new version `name` (parent: the source version, pipeline: the
    equivalent `filter` step, so the lineage says how it was made) or to a `.parquet` / `.jsonl` file."""
    m, table = selection_table(db, ref, view)
    spec = {"from_explorer": True, "steps": [{"filter": view.match_spec()}]}
    if path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.suffix == ".parquet":
            pq.write_table(table, p, compression="zstd")
        elif p.suffix == ".jsonl":
            with p.open("w", encoding="utf-8") as f:
                for row in table.to_pylist():
                    f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        else:
            raise Invalid(f"export file {path!r}: name a .parquet or .jsonl file")
        return ExportResult(rows=table.num_rows, path=str(p), spec=spec)
    steps = [{"id": "filter", "step": "filter", "rows_in": m.row_count, "kept": table.num_rows,
              "dropped": {"where": m.row_count - table.num_rows}, "would_drop": {}, "counters": {}}]
    store = store_of(db)
    out = store.write_version(name or m.dataset, [table], parents=[m.ref], pipeline=spec, steps=steps,
                              note=f"explorer selection of {m.ref}")
    explorer_cache.start_build(db, store, out, cache_root(db))  # ready by the time the new page opens
    return ExportResult(rows=table.num_rows, manifest=out, spec=spec)


def push_selection(db: Db, ref: str, view: View, project_id: int, actor: User | None = None
                   ) -> tuple[Manifest, ImportResult]:
    """Add the view's records to a project (all or nothing), through `services.datasets.push`, so each
    record's source is '<version>#<id>' and `pull` brings the judgments back."""
    _, table = selection_table(db, ref, view)
    return datasets.push(db, store_of(db), ref, project_id, actor, tables=[table])
