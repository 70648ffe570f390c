"""Explorer latency through the HTTP app: first page, filtered page, full-text searches (words, phrases,
punctuation, non-ASCII), statistics page; the one-time cache build's time, whole-process peak memory and
size on disk.

The app runs under uvicorn (in a thread of this process) over a fresh SQLite database; requests go through
httpx over loopback with an API token, exactly as a browser's page request would (HTML pages, plus the JSON
twin of the first page). Each measurement repeats `--repeat` times after one warm-up; p50/p95 in ms.
The one-time per-version work (building the cache, computing stats.json) is timed separately, with the
process's peak RSS (psutil, sampled every 20 ms) while it runs and the cache's size on disk next to the
version's Parquet. Every search's total is checked against an independent DuckDB count: a plain scan of the
version's Parquet files with the same rule (lower-cased text contains the term), made without the cache.

`--runs 3` runs the whole bench three times, each in a fresh process with a fresh cache, and prints each
figure as median [min-max] with the load average before each run; peak memory is then the child process's
(wait4 ru_maxrss, so interpreter start and imports are included).

    uv run python bench/explorer/generate.py --rows 1000000 --store /work/bench-data/explorer/store
    uv run python bench/explorer/bench.py --store /work/bench-data/explorer/store --ref big@1 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Self

import httpx

GOALS = {"first page": 150.0, "filtered page": 500.0, "search (common word)": 500.0,
         "search (rare word)": 500.0, "search + filter": 500.0}
SEARCHES = {  # name -> q; each total is checked against a plain DuckDB scan
    "search (common word)": "apples",
    "search (rare word)": "zyxquartz",
    "phrase \"how do\"": '"how do"',
    "phrase \"how do you\"": '"how do you"',
    "phrase \"the number of\"": '"the number of"',
    "punctuation don't": "don't",
    "punctuation e-mail": "e-mail",
    "punctuation it's": "it's",
    "punctuation $5": "$5",
    "leading separator -mail": "-mail",
    "trailing separator 5%": "5%",
    "non-ASCII café": "café",
    "non-ASCII über": "über",
    "non-ASCII 東京": "東京",
    "non-ASCII don’t (curly)": "don’t",
    "two terms: \"how do\" e-mail": '"how do" e-mail',
}
GOALS.update({name: 500.0 for name in SEARCHES})


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class PeakRss:
    """Peak RSS of this whole process while the block runs (psutil, sampled every 20 ms)."""

    def __enter__(self) -> Self:
        import psutil

        self.proc, self.peak, self._stop = psutil.Process(), 0, threading.Event()
        self.peak = self.proc.memory_info().rss
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def dir_bytes(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def independent_count(store: str, ref: str, q: str) -> int:
    """Rows whose lower-cased text contains every search term: a plain DuckDB scan of the version's
    Parquet files (no cache, no index), the rule `text~term` of the filter language."""
    import duckdb

    from assay.datasets import DatasetStore
    from assay.pipelines.conditions import DERIVED
    from assay.services.explorer.browse import search_terms

    st = DatasetStore(store)
    m = st.resolve(ref)
    files = [st.full_path(f) for f in m.files]
    con = duckdb.connect()
    conds = " AND ".join("contains(x, ?)" for _ in search_terms(q))
    terms = search_terms(q)
    return int(con.execute(f"SELECT count(*) FROM (SELECT lower({DERIVED['text'][0]}) AS x FROM read_parquet(?)) "
                           f"WHERE {conds}", [files, *terms]).fetchall()[0][0])


def run_once(a: argparse.Namespace) -> dict[str, object]:
    import uvicorn

    from assay.config import load_settings
    from assay.datasets import DatasetStore
    from assay.services.accounts import auth, users
    from assay.store.db import open_db
    from assay.web.app import create_app

    data = Path(a.data_dir)
    if (data / "assay.db").exists():
        (data / "assay.db").unlink()
    if a.fresh_cache and (data / "explorer").exists():
        shutil.rmtree(data / "explorer")
    settings = load_settings(data_dir=data, dataset_store=a.store)
    db = open_db(settings)
    admin = users.add_user(db, "bench", "bench-password", "admin")
    token = auth.create_api_token(db, admin.id, "bench", scope="read")[0]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, db), host="127.0.0.1", port=0, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    c = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"},
                     timeout=3600)
    ref = a.ref
    out: dict[str, object] = {"load_before": os.getloadavg()[0]}

    def get(path: str, **params: object) -> httpx.Response:
        r = c.get(path, params=params)  # type: ignore[arg-type]
        r.raise_for_status()
        return r

    t0, c0 = time.perf_counter(), cpu()
    with PeakRss() as peak:
        get(f"/explore/{ref}", per_page=1)  # starts the build in the background (202 "building" if not ready)
        while (st := get(f"/api/v1/explore/{ref}/cache").json())["state"] != "ready":
            if st["state"] == "failed":
                raise SystemExit(f"the cache build failed: {st['error']}")
            time.sleep(0.2)
    out["build_s"], out["build_cpu_s"], out["build_peak_mb"] = time.perf_counter() - t0, cpu() - c0, peak.peak / 1e6
    m = DatasetStore(a.store).resolve(ref)
    parquet = sum(Path(DatasetStore(a.store).full_path(f)).stat().st_size for f in m.files)
    cache = dir_bytes(data / "explorer" / m.id)
    out["parquet_mb"], out["cache_mb"] = parquet / 1e6, cache / 1e6
    print(f"cache build (first request ever; once per version): {out['build_s']:.1f} s wall, "
          f"{out['build_cpu_s']:.1f} s CPU, peak RSS of the process {out['build_peak_mb']:.0f} MB; "
          f"cache {cache / 1e6:.0f} MB on disk for {parquet / 1e6:.0f} MB of Parquet ({cache / parquet:.2f} x)",
          flush=True)
    t0, c0 = time.perf_counter(), cpu()
    get(f"/explore/{ref}/stats")
    out["stats_s"] = time.perf_counter() - t0
    print(f"statistics computed (once per version):            {out['stats_s']:.1f} s wall, "
          f"{cpu() - c0:.1f} s CPU")

    cases: dict[str, tuple[str, dict[str, object]]] = {
        "first page": (f"/explore/{ref}", {}),
        "first page (JSON twin)": (f"/api/v1/explore/{ref}/records", {}),
        "page 2000": (f"/explore/{ref}", {"page": 2000}),
        "filtered page": (f"/explore/{ref}", {"f": ["language__lang=de", "chars<3000"]}),
        "filtered page (judged, agreement)": (f"/explore/{ref}", {"f": ["judged=true", "agreement<0.7"]}),
        **{name: (f"/explore/{ref}", {"q": q}) for name, q in SEARCHES.items()},
        "search + filter": (f"/explore/{ref}", {"q": "refund", "f": ["model=qwen2-7b"]}),
        "statistics page": (f"/explore/{ref}/stats", {}),
    }
    print(f"\n{'request':36} {'p50 ms':>8} {'p95 ms':>8} {'goal':>6}  matches (independent count)")
    cpu_start = cpu()
    results: dict[str, dict[str, object]] = {}
    for name, (path, params) in cases.items():
        t = time.perf_counter()
        r = c.get(path, params=params)  # type: ignore[arg-type]
        first = (time.perf_counter() - t) * 1000
        if r.status_code != 200:  # 422 query_timeout: the explorer stopped it after explorer_query_seconds
            results[name] = {"p50": first, "p95": first, "total": f"HTTP {r.status_code}", "failed": True}
            print(f"{name:36} {first:8.1f} {'':8} {GOALS.get(name) or '':>6} FAIL HTTP {r.status_code} "
                  "(422: the explorer's query time limit stopped it)", flush=True)
            continue
        times = []
        for _ in range(a.repeat if first < a.slow_ms else 2):  # a slow case: three timings, not `repeat`
            t = time.perf_counter()
            r = get(path, **params)
            times.append((time.perf_counter() - t) * 1000)
        if first >= a.slow_ms:
            times.append(first)
        times.sort()
        p50 = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        total = get(f"/api/v1/explore/{ref}/records", per_page=1, **{k: v for k, v in params.items()
                                                                      if k != "page"}).json()["total"] \
            if "stats" not in path else "-"
        check = ""
        if "q" in params and "f" not in params:
            want = independent_count(a.store, ref, str(params["q"]))
            check = f"({want}: {'same' if want == total else 'DIFFERENT'})"
            results.setdefault(name, {})["count_ok"] = want == total
        goal = GOALS.get(name)
        mark = "" if goal is None else ("ok" if p95 < goal else "MISS")
        results.setdefault(name, {}).update({"p50": p50, "p95": p95, "total": total})
        print(f"{name:36} {p50:8.1f} {p95:8.1f} {goal or '':>6} {mark:4} {total} {check} "
              f"({len(r.content) // 1024} KB)", flush=True)
    out["requests"] = results
    out["request_cpu_s"] = cpu() - cpu_start
    print(f"\nCPU seconds (server + client, this process) for the timed requests: {out['request_cpu_s']:.1f}")
    print(f"machine: {os.cpu_count()} cores, load average {out['load_before']:.1f} before, "
          f"{os.getloadavg()[0]:.1f} at the end")
    server.should_exit = True
    sys.stdout.flush()
    return out


def _fmt(xs: list[float], unit: str = "", digits: int = 1) -> str:
    return f"{statistics.median(xs):.{digits}f}{unit} [{min(xs):.{digits}f}-{max(xs):.{digits}f}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", default="/work/bench-data/explorer/store")
    ap.add_argument("--ref", default="big@1")
    ap.add_argument("--data-dir", default="/work/bench-data/explorer/data")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--fresh-cache", action="store_true", help="delete the explorer cache first (times the build)")
    ap.add_argument("--runs", type=int, default=1, help="run the bench this many times, each in a fresh process "
                    "with a fresh cache, and report median [min-max]")
    ap.add_argument("--slow-ms", type=float, default=3000.0,
                    help="a request slower than this the first time is timed three times only")
    ap.add_argument("--json-out", default="", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.runs <= 1:
        out = run_once(a)
        if a.json_out:
            Path(a.json_out).write_text(json.dumps(out))
        print("reproduce: uv run python bench/explorer/bench.py --store", a.store, "--ref", a.ref,
              "--repeat", a.repeat, *(["--fresh-cache"] if a.fresh_cache else []))
        return
    runs = []
    for i in range(a.runs):
        load = os.getloadavg()
        res = Path(a.data_dir) / f"run-{i}.json"
        cmd = [sys.executable, __file__, "--store", a.store, "--ref", a.ref, "--data-dir", a.data_dir,
               "--repeat", str(a.repeat), "--slow-ms", str(a.slow_ms), "--fresh-cache", "--json-out", str(res)]
        print(f"\n=== run {i + 1}/{a.runs} (load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}) ===", flush=True)
        proc = subprocess.Popen(cmd)
        _, status, ru = os.wait4(proc.pid, 0)
        if status:
            raise SystemExit(f"run {i + 1} failed ({status})")
        out = json.loads(res.read_text())
        out["process_peak_mb"] = ru.ru_maxrss / 1024
        out["process_cpu_s"] = ru.ru_utime + ru.ru_stime
        out["load"] = load[0]
        runs.append(out)
    loads = ", ".join(f"{r['load']:.1f}" for r in runs)
    print(f"\n=== {a.runs} runs: median [min-max]; load average before each: {loads} ===")
    print(f"cache build:        {_fmt([r['build_s'] for r in runs], ' s')} wall, "
          f"{_fmt([r['build_cpu_s'] for r in runs], ' s')} CPU")
    print(f"peak RSS in build:  {_fmt([r['build_peak_mb'] for r in runs], ' MB', 0)} (psutil, whole process)")
    print(f"peak RSS, process:  {_fmt([r['process_peak_mb'] for r in runs], ' MB', 0)} (wait4 ru_maxrss, whole run)")
    print(f"cache on disk:      {_fmt([r['cache_mb'] for r in runs], ' MB', 0)} for {runs[0]['parquet_mb']:.0f} MB "
          f"of Parquet ({statistics.median([r['cache_mb'] for r in runs]) / runs[0]['parquet_mb']:.2f} x)")
    print(f"\n{'request':36} {'p50 ms':>22} {'p95 ms':>22} {'goal':>5}  matches, independent count")
    for name in runs[0]["requests"]:
        rs = [r["requests"][name] for r in runs]
        goal = GOALS.get(name)
        worst = max(x["p95"] for x in rs)
        mark = "" if goal is None else ("ok" if statistics.median([x["p95"] for x in rs]) < goal else "MISS")
        if any(x.get("failed") for x in rs):
            mark = "FAIL"
        ok = "" if "count_ok" not in rs[0] else ("same" if all(x.get("count_ok") for x in rs) else "DIFFERENT")
        print(f"{name:36} {_fmt([x['p50'] for x in rs]):>22} {_fmt([x['p95'] for x in rs]):>22} "
              f"{goal or '':>5} {mark:4} {rs[0]['total']} {ok}  (worst p95 {worst:.0f})")
    print("reproduce: uv run python bench/explorer/bench.py --store", a.store, "--ref", a.ref,
          "--repeat", a.repeat, "--runs", a.runs)


if __name__ == "__main__":
    main()
