"""Column statistics of a version, computed once over the explorer cache and kept as `stats.json` beside it.

`version_stats(db, ref)` returns a JSON-able dict:

- `ref`, `rows`, `columns` ([{name, type}])
- `histograms`: {field: {"min", "max", "bins": [{"lo", "hi", "count"}], "nulls"}} for the length fields
  (chars, prompt_chars, response_chars, turns, n_completions) and every numeric attribute column
- `value_counts`: {field: {"distinct", "top": [[value, count], ...], "nulls"}} for `model`, `label`,
  `choice`, every string / boolean attribute column, and the scalar top-level metadata keys (`meta.<key>`)
- `languages`: value counts of the language fields (`*__lang` columns, `meta.lang`, `meta.language`)
- `judgments`: {"judged", "unjudged", "agreement": histogram over [0, 1] in tenths}
- `steps`: the manifest's per-step run report (rows in, kept, dropped per reason, example ids)
- `elapsed_ms`: how long the computation took (0 when read from the cache file)
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from assay.datasets import DatasetStore, Manifest
from assay.datasets.schema import DOCUMENT_COLUMNS
from assay.services.explorer.browse import cache_root, repr_col, store_of
from assay.services.explorer.cache import cache_dir, cursor
from assay.store.db import Db

LENGTH_FIELDS = ("chars", "prompt_chars", "response_chars", "turns", "n_completions")
BINS = 20
TOP = 20
NUMERIC = ("INT", "UINT", "DOUBLE", "FLOAT", "HALF_FLOAT", "DECIMAL")
STATS_VERSION = 1


def _histogram(cur: Any, expr: str, bins: int = BINS, lo: float | None = None, hi: float | None = None
               ) -> dict[str, Any]:
    mn, mx, nulls = cur.execute(f"SELECT min({expr})::DOUBLE, max({expr})::DOUBLE, count(*) - count({expr}) "
                                f"FROM records").fetchall()[0]
    lo = mn if lo is None else lo
    hi = mx if hi is None else hi
    if mn is None or lo is None or hi is None:
        return {"min": None, "max": None, "bins": [], "nulls": int(nulls)}
    width = (hi - lo) / bins if hi > lo else 1.0
    counts = dict(cur.execute(
        f"SELECT least({bins - 1}, floor(({expr} - {lo}) / {width}))::INT AS b, count(*) FROM records "
        f"WHERE {expr} IS NOT NULL GROUP BY b").fetchall())
    n = bins if hi > lo else 1
    return {"min": mn, "max": mx, "nulls": int(nulls),
            "bins": [{"lo": lo + i * width, "hi": lo + (i + 1) * width, "count": int(counts.get(i, 0))}
                     for i in range(n)]}


def _counts(cur: Any, expr: str, is_list: bool = False) -> dict[str, Any]:
    src = f"(SELECT unnest({expr}) AS v FROM records)" if is_list else f"(SELECT {expr} AS v FROM records)"
    top = cur.execute(f"SELECT CAST(v AS VARCHAR), count(*) c FROM {src} WHERE v IS NOT NULL "
                      f"GROUP BY 1 ORDER BY c DESC, 1 LIMIT {TOP}").fetchall()
    distinct, nulls = cur.execute(f"SELECT approx_count_distinct(v), count(*) - count(v) FROM {src}").fetchall()[0]
    return {"distinct": int(distinct), "nulls": int(nulls), "top": [[v, int(c)] for v, c in top]}


def _meta_keys(cur: Any) -> list[str]:
    """Top-level metadata keys with scalar values in a sample of rows (at most 12)."""
    rows = cur.execute("SELECT metadata FROM records USING SAMPLE 2000 ROWS").fetchall()
    keys: dict[str, int] = {}
    for (raw,) in rows:
        try:
            d = json.loads(raw or "{}")
        except ValueError:
            continue
        for k, v in d.items() if isinstance(d, dict) else ():
            if isinstance(v, (str, int, float, bool)) and len(k) < 60:
                keys[k] = keys.get(k, 0) + 1
    return sorted(keys, key=lambda k: -keys[k])[:12]


def compute(cur: Any, m: Manifest) -> dict[str, Any]:
    """The statistics dict (see module docstring) of the version whose cache `cur` reads."""
    t0 = time.perf_counter()
    out: dict[str, Any] = {"ref": m.ref, "parents": m.parents, "rows": m.row_count, "columns": m.schema, "histograms": {},
                           "value_counts": {}, "languages": {}, "steps": m.steps, "stats_version": STATS_VERSION}
    for f in LENGTH_FIELDS:
        out["histograms"][f] = _histogram(cur, f"_f_{f}")
    types = {c["name"]: c["type"].upper() for c in m.schema}
    for name, typ in types.items():
        if name in DOCUMENT_COLUMNS:
            continue
        if typ.startswith(NUMERIC):
            out["histograms"][name] = _histogram(cur, repr_col(name))
        elif typ in ("STRING", "LARGE_STRING", "BOOL", "VARCHAR", "BOOLEAN"):
            out["value_counts"][name] = _counts(cur, repr_col(name))
    for f in ("model", "label", "choice"):
        out["value_counts"][f] = _counts(cur, f"_f_{f}", is_list=True)
    for k in _meta_keys(cur):
        out["value_counts"][f"meta.{k}"] = _counts(cur, f"json_extract_string(metadata, '$.\"{k}\"')")
    out["languages"] = {k: v for k, v in out["value_counts"].items()
                        if k.endswith("__lang") or k in ("meta.lang", "meta.language")}
    judged = cur.execute("SELECT count(*) FILTER (WHERE _f_judged) FROM records").fetchall()[0][0]
    out["judgments"] = {"judged": int(judged), "unjudged": m.row_count - int(judged),
                        "agreement": _histogram(cur, "_f_agreement", bins=10, lo=0.0, hi=1.0)}
    out["elapsed_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    return out


def version_stats(db: Db, ref: str) -> dict[str, Any]:
    """The statistics of version `ref`, computed once and then read from the cache. Raises NotFound."""
    return stats_for(store_of(db), ref, cache_root(db))


def stats_for(store: DatasetStore, ref: str, root: Path) -> dict[str, Any]:
    """`version_stats` without a database: the store and the explorer cache root (e.g. for the CLI)."""
    m = store.resolve(ref)
    path = cache_dir(root, m) / "stats.json"
    if path.exists():
        data: dict[str, Any] = json.loads(path.read_text())
        if data.get("stats_version") == STATS_VERSION:
            return {**data, "elapsed_ms": 0.0}
    with cursor(store, m, root) as cur:
        data = compute(cur, m)
    tmp = path.with_name(f"stats.json.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, default=str))
    os.replace(tmp, path)
    return data


def summary_lines(s: dict[str, Any], top: int = 5) -> list[str]:
    """The statistics page as plain text lines (what `assay data show --stats` prints)."""
    lines = [f"{s['ref']}: {s['rows']} records"]
    for f, h in s["histograms"].items():
        if h["bins"]:
            peak = max(h["bins"], key=lambda b: b["count"])
            lines.append(f"  {f}: min {h['min']:g}, max {h['max']:g}, most in {peak['lo']:.0f}..{peak['hi']:.0f}"
                         + (f", {h['nulls']} unset" if h["nulls"] else ""))
    for f, vc in s["value_counts"].items():
        if vc["top"] and (vc["distinct"] <= 50 or vc["distinct"] < 0.5 * s["rows"]):
            vals = ", ".join(f"{v}={c}" for v, c in vc["top"][:top])
            lines.append(f"  {f} ({vc['distinct']} distinct): {vals}")
    j = s["judgments"]
    lines.append(f"  judged {j['judged']}, unjudged {j['unjudged']}")
    if j["agreement"]["bins"]:
        lines.append("  agreement: " + ", ".join(f"{b['lo']:.1f}..{b['hi']:.1f}={b['count']}"
                                                 for b in j["agreement"]["bins"] if b["count"]))
    return lines
