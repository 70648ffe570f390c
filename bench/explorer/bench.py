"""Explorer latency through the HTTP app: first page, filtered page, full-text searches, statistics page.

The app runs under uvicorn (in a thread of this process) over a fresh SQLite database; requests go through
httpx over loopback with an API token, exactly as a browser's page request would (HTML pages, plus the JSON
twin of the first page). Each measurement repeats `--repeat` times after one warm-up; p50/p95 in ms.
The one-time per-version work (building the DuckDB cache, computing stats.json) is timed separately.

    uv run python bench/explorer/generate.py --rows 1000000 --store /work/bench-data/explorer/store
    uv run python bench/explorer/bench.py --store /work/bench-data/explorer/store --ref big@1
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

GOALS = {"first page": 150.0, "filtered page": 500.0, "search (common word)": 500.0,
         "search (rare word)": 500.0, "search + filter": 500.0}


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", default="/work/bench-data/explorer/store")
    ap.add_argument("--ref", default="big@1")
    ap.add_argument("--data-dir", default="/work/bench-data/explorer/data")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--fresh-cache", action="store_true", help="delete the explorer cache first (times the build)")
    a = ap.parse_args()

    import uvicorn

    from assay.config import load_settings
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

    def get(path: str, **params: object) -> httpx.Response:
        r = c.get(path, params=params)  # type: ignore[arg-type]
        r.raise_for_status()
        return r

    t0, c0 = time.perf_counter(), cpu()
    get(f"/explore/{ref}", per_page=1)  # starts the build in the background (202 "building" if not ready)
    while (st := get(f"/api/v1/explore/{ref}/cache").json())["state"] != "ready":
        if st["state"] == "failed":
            raise SystemExit(f"the cache build failed: {st['error']}")
        time.sleep(0.2)
    print(f"cache build (first request ever; once per version): {time.perf_counter() - t0:.1f} s wall, "
          f"{cpu() - c0:.1f} s CPU")
    t0, c0 = time.perf_counter(), cpu()
    get(f"/explore/{ref}/stats")
    print(f"statistics computed (once per version):            {time.perf_counter() - t0:.1f} s wall, "
          f"{cpu() - c0:.1f} s CPU")

    cases = {
        "first page": (f"/explore/{ref}", {}),
        "first page (JSON twin)": (f"/api/v1/explore/{ref}/records", {}),
        "page 2000": (f"/explore/{ref}", {"page": 2000}),
        "filtered page": (f"/explore/{ref}", {"f": ["language__lang=de", "chars<3000"]}),
        "filtered page (judged, agreement)": (f"/explore/{ref}", {"f": ["judged=true", "agreement<0.7"]}),
        "search (common word)": (f"/explore/{ref}", {"q": "apples"}),
        "search (rare word)": (f"/explore/{ref}", {"q": "zyxquartz"}),
        "search + filter": (f"/explore/{ref}", {"q": "refund", "f": ["model=qwen2-7b"]}),
        "statistics page": (f"/explore/{ref}/stats", {}),
    }
    print(f"\n{'request':36} {'p50 ms':>8} {'p95 ms':>8} {'goal':>6}  matches")
    cpu_start = cpu()
    for name, (path, params) in cases.items():
        get(path, **params)
        times = []
        for _ in range(a.repeat):
            t = time.perf_counter()
            r = get(path, **params)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p50 = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        total = get(f"/api/v1/explore/{ref}/records", per_page=1, **{k: v for k, v in params.items()
                                                                      if k != "page"}).json()["total"] \
            if "stats" not in path else "-"
        goal = GOALS.get(name)
        mark = "" if goal is None else ("ok" if p95 < goal else "MISS")
        print(f"{name:36} {p50:8.1f} {p95:8.1f} {goal or '':>6} {mark:4} {total} ({len(r.content) // 1024} KB)")
    print(f"\nCPU seconds (server + client, this process) for the timed requests: {cpu() - cpu_start:.1f}")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    print("reproduce: uv run python bench/explorer/bench.py --store", a.store, "--ref", ref,
          "--repeat", a.repeat, *(["--fresh-cache"] if a.fresh_cache else []))
    server.should_exit = True
    sys.stdout.flush()


if __name__ == "__main__":
    main()
