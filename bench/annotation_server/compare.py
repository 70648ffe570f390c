"""Assay vs Label Studio on the same claim-and-submit load, in short alternating windows.

Each round runs one fixed-length window per arm, in the same order every round (A B C A B C …), so that
every server sees the same spread of machine load; each window starts a fresh server on a fresh database
and project. The arms:

- Label Studio 1.23.2 under uWSGI on PostgreSQL, closed loop (`--no-ls` skips it);
- Assay (`assay serve --workers W`) on PostgreSQL, closed loop;
- Assay on PostgreSQL, the annotators paced to offer `--paced-rate` requests/s in all (0 skips it);
- with `--assay-sqlite`, the same two Assay arms on SQLite.

In a closed loop N annotators (coroutines of `loadgen.py`, one connection and one API token each) loop
next → submit, each sending its next request as soon as the last is answered (the most the server can do).
A window ends after `--window-seconds` (or when the queue is empty, which `--records` is meant to prevent).

Per window: requests/s, p50/p95 latency of next and submit, the CPU of the server's whole process tree
from its start (interpreter start, imports, app loading; Label Studio's project creation and task import
excluded), the CPU of the PostgreSQL server's whole process tree over the load (its backends, live or
already exited, and its background processes), CPU ms per request = (server + database) / requests (and
the same without the server's start-up), the peak resident memory of the server's process tree (summed
over its processes), the invariant check and the 1-minute load average before the window. Then per arm the
median [min–max] over the windows, as a Markdown table, and the command.

    uv run python bench/annotation_server/compare.py --windows 3 --window-seconds 25 --records 2500 \\
        --annotators 20 --workers 1 --assay-postgres postgresql+psycopg://postgres@127.0.0.1:5432/bench_assay

The PostgreSQL database given to Assay is dropped and created again by the bench (give it one of its own).
Label Studio needs its own venv (see labelstudio_load.py); its database `labelstudio_bench` is created from a
template migrated once by `label-studio init`. The database CPU is the whole PostgreSQL server's: run the
bench when no one else uses that server.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import assay_load
import labelstudio_load
import measure

# Offered requests/s in the paced windows: 10.5 × 31.5 req/s, the fastest Label Studio on PostgreSQL
# (uWSGI ×4, this load generator, 200–800 records run to the empty queue) recorded on this machine when it
# was quiet, 6 Dec 2026 (README, run E: "31.5 against 28.8 req/s on the same day"). 10.5 rather than 10 because the first cycle's
# stagger and the last answers trim the rate served by 1–2 %. A fixed figure, not Label Studio's rate in the
# same run, so that a Label Studio starved by other work on the machine cannot make the goal easy.
PACED_RATE = 331.0

COLUMNS = ["server", "db", "requests", "rps", "next_p50", "next_p95", "submit_p50", "submit_p95", "cpu_ms_per_request",
           "load_cpu_ms_per_request", "db_cpu_ms_per_request", "startup_cpu_s", "peak_rss_mb", "ok", "load_avg"]


def other_pg_clients(dsn: str, own: list[str]) -> int:
    """Client connections to the PostgreSQL server other than the bench's own databases and this one: work
    whose CPU would land in the database column."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                           "AND pid <> pg_backend_pid() AND datname <> ALL(%s)", [own]).fetchone()
        return int(row[0]) if row else 0


def _row(res: dict[str, object]) -> str:
    return "  ".join(f"{res.get(c, ''):.1f}" if isinstance(res.get(c), float) else str(res.get(c, ""))
                     for c in COLUMNS)


def _fmt(values: list[float], digits: int = 1) -> str:
    med, lo, hi = measure.spread(values)
    if math.isnan(med):
        return "–"
    return f"{med:.{digits}f} [{lo:.{digits}f}–{hi:.{digits}f}]"


def summary_table(results: list[dict[str, object]]) -> list[str]:
    """Markdown lines: one row per arm (server, db), each figure as median [min–max] over its windows."""
    arms: dict[tuple[str, str], list[dict[str, object]]] = {}
    for r in results:
        arms.setdefault((str(r["server"]), str(r["db"])), []).append(r)
    header = ("| server | db | windows | req/s | next p50 / p95 ms | submit p50 / p95 ms | CPU ms/req (server from its start + DB) "
              "| without start-up | of which DB | server start-up CPU s | peak RSS of the tree MB | checks | load before each |")
    lines = [header, "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for (server, db), rs in arms.items():
        def col(key: str, rs: list[dict[str, object]] = rs) -> list[float]:
            return [float(r[key]) for r in rs]  # type: ignore[arg-type]

        loads = ", ".join(f"{float(r['load_avg']):.2f}" for r in rs)  # type: ignore[arg-type]
        digits = 2 if max(col("next_p95") + col("submit_p95")) < 20 else 1
        lines.append(
            f"| {server} | {db} | {len(rs)} | {_fmt(col('rps'))} | {_fmt(col('next_p50'), digits)} / "
            f"{_fmt(col('next_p95'), digits)} | {_fmt(col('submit_p50'), digits)} / {_fmt(col('submit_p95'), digits)} "
            f"| {_fmt(col('cpu_ms_per_request'), 2)} | {_fmt(col('load_cpu_ms_per_request'), 2)} "
            f"| {_fmt(col('db_cpu_ms_per_request'), 2)} "
            f"| {_fmt(col('startup_cpu_s'), 2)} | {_fmt(col('peak_rss_mb'), 0)} "
            f"| {sum(bool(r['ok']) for r in rs)}/{len(rs)} ok | {loads} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--windows", type=int, default=3, help="windows per arm (rounds of A B C …)")
    ap.add_argument("--window-seconds", type=float, default=25.0, help="length of each window's load")
    ap.add_argument("--records", type=int, default=2500,
                    help="records per window (2 judgments each): enough that the window ends by the clock")
    ap.add_argument("--annotators", type=int, default=20)
    ap.add_argument("--workers", type=int, default=1, help="Assay worker processes")
    ap.add_argument("--assay-postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_assay",
                    help="PostgreSQL URL for Assay (dropped and created again every window)")
    ap.add_argument("--assay-sqlite", action="store_true", help="also run the Assay arms on SQLite")
    ap.add_argument("--no-ls", action="store_true", help="skip Label Studio (Assay-only windows)")
    ap.add_argument("--paced-rate", type=float, default=PACED_RATE,
                    help=f"requests/s offered in all to Assay in the paced windows (default {PACED_RATE:g}: 10.5 × "
                         "Label Studio's quiet-machine rate, see PACED_RATE; 0 skips the paced windows)")
    ap.add_argument("--json-out", default="", help="also write every window's figures to this JSON file")
    a = ap.parse_args()
    command = "uv run python bench/annotation_server/compare.py " + shlex.join(sys.argv[1:])
    print("command:", command, flush=True)
    pg = f"host={labelstudio_load.PG['host']} port={labelstudio_load.PG['port']} user={labelstudio_load.PG['user']} dbname=postgres"
    postmaster = measure.postmaster_pid(pg)
    print(f"PostgreSQL postmaster pid {postmaster}; its whole process tree's CPU is counted over each load", flush=True)
    run_ls = not a.no_ls
    if run_ls:
        versions = labelstudio_load.installed_versions()
        if "label_studio" not in versions:
            print(f"Label Studio is not installed in {labelstudio_load.LS_VENV}: Assay-only windows", flush=True)
            run_ls = False
        else:
            print("Label Studio venv:", versions, flush=True)

    arms: list[tuple[str, Callable[[], dict[str, object]]]] = []
    if run_ls:
        arms.append(("label-studio", partial(labelstudio_load.run, a.records, a.annotators, "postgres",
                                             seconds=a.window_seconds, postmaster=postmaster)))
    urls = [a.assay_postgres] + ([""] if a.assay_sqlite else [])
    for url in urls:
        arms.append(("assay", partial(assay_load.one, a.workers, a.records, a.annotators, url,
                                      seconds=a.window_seconds, postmaster=postmaster)))
        if a.paced_rate:
            arms.append(("assay", partial(assay_load.one, a.workers, a.records, a.annotators, url,
                                          rate=a.paced_rate, seconds=a.window_seconds, postmaster=postmaster)))
    from sqlalchemy.engine import make_url

    own_dbs = [str(make_url(a.assay_postgres).database), labelstudio_load.LabelStudio.db_name]
    print("columns: window", "  ".join(COLUMNS), flush=True)
    results: list[dict[str, object]] = []
    for w in range(1, a.windows + 1):
        for kind, arm in arms:
            load = os.getloadavg()[0]
            others = other_pg_clients(pg, own_dbs)
            res = dict(arm())
            res["other_pg_clients_before"] = others
            if kind == "label-studio":
                res["ok"] = (res["over_k"] == 0 and res["same_person_twice"] == 0
                             and res["annotations"] == res["acks"])
            else:
                res["ok"] = res["problems"] == 0
            res["load_avg"], res["window"] = load, w
            res["load_cpu_ms_per_request"] = (1000 * (float(res["cpu_s"]) - float(res["startup_cpu_s"])  # type: ignore[arg-type]
                                                      + float(res["db_cpu_s"])) / max(int(str(res["requests"])), 1))  # type: ignore[arg-type]
            results.append(res)
            print(w, _row(res), flush=True)
            extra = {k: v for k, v in res.items() if k not in COLUMNS}
            print("   ", " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in extra.items()),
                  flush=True)
            if res.get("queue_emptied"):
                print("    NOTE: the queue emptied before the window's end (give more --records)", flush=True)
    print()
    for line in summary_table(results):
        print(line)
    ls_rps = [float(r["rps"]) for r in results if str(r["server"]).startswith("label-studio")]  # type: ignore[arg-type]
    if ls_rps:
        ls_med = measure.spread(ls_rps)[0]
        print(f"\nLabel Studio's median here: {ls_med:.1f} req/s; 10× that is {10 * ls_med:.0f} req/s", flush=True)
        if a.paced_rate and a.paced_rate < 10 * ls_med:
            print(f"WARNING: the paced rate {a.paced_rate:g} req/s is under 10× Label Studio's median in this run",
                  flush=True)
    for r in results:
        if "paced" in str(r["server"]):
            worst = max(float(r["next_p95"]), float(r["submit_p95"]))  # type: ignore[arg-type]
            print(f"  window {r['window']}, {r['server']} on {r['db']}: served {float(r['rps']):.1f} req/s, p95 "  # type: ignore[arg-type]
                  f"next/submit {float(r['next_p95']):.1f}/{float(r['submit_p95']):.1f} ms "  # type: ignore[arg-type]
                  f"({'under' if worst < 50 else 'NOT under'} 50 ms)")
    if a.json_out:
        Path(a.json_out).write_text(json.dumps({"command": command, "results": results}, indent=1, default=str))
    print("command:", command)


if __name__ == "__main__":
    main()
