"""Assay vs Label Studio on the same claim-and-submit load, in one run, in turn.

For each system: N annotators (coroutines of `loadgen.py`, one connection each, API tokens) loop next → submit over the same R records with
2 judgments per record until the queue is empty, each sending its next request as soon as the last is
answered (a closed loop: the most each server can do). Then Assay runs again with the annotators paced so
that together they offer `--paced-multiple` (default 10.5, so that the rate served is 10×) times Label Studio's measured requests/s — the
issue's goal, "10× Label Studio's throughput with p95 under 50 ms", measured directly at that load. Prints per run: requests/s, p50/p95 latency of next and
submit (ms), server CPU seconds and CPU ms per request, the overlap check, then the ratios Assay / Label
Studio (throughput and CPU per request) and the command to reproduce. Wall-clock figures swing 2–3× on a
shared machine; the CPU per request is the steadier figure. The load average is printed before each run.

    uv run python bench/annotation_server/compare.py --records 150 --annotators 20 \\
        --assay-postgres postgresql+psycopg://postgres@127.0.0.1:5432/bench_assay --ls-sqlite

The PostgreSQL database given to Assay is dropped and created again (give it one of its own). Label Studio
needs its own venv (see labelstudio_load.py); its database `labelstudio_bench` is created from a template
migrated once by `label-studio init`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import assay_load
import labelstudio_load

COLUMNS = ["server", "db", "requests", "rps", "next_p50", "next_p95", "submit_p50", "submit_p95", "cpu_s",
           "cpu_ms_per_request", "overlap_ok", "load_avg"]


def _row(res: dict[str, object]) -> str:
    return "  ".join(f"{res.get(c, ''):.1f}" if isinstance(res.get(c), float) else str(res.get(c, ""))
                     for c in COLUMNS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=150)
    ap.add_argument("--annotators", type=int, default=20)
    ap.add_argument("--workers", default="1,2", help="Assay worker counts to run (comma-separated)")
    ap.add_argument("--assay-postgres", default="", help="PostgreSQL URL for Assay (default: SQLite only)")
    ap.add_argument("--no-assay-sqlite", action="store_true", help="skip Assay on SQLite")
    ap.add_argument("--ls-sqlite", action="store_true", help="also run Label Studio on SQLite")
    ap.add_argument("--no-ls", action="store_true", help="skip Label Studio")
    ap.add_argument("--paced-multiple", type=float, default=10.5,
                    help="after the closed loops, run Assay with paced annotators offering this many times Label "
                         "Studio's (PostgreSQL) requests/s, and report the latency at that load (0: skip); a "
                         "little over 10 so that the rate served, which the first cycle's stagger and the last "
                         "answers trim by about 2%%, is still 10x")
    ap.add_argument("--paced-rate", type=float, default=0.0,
                    help="offered requests/s for the paced runs when Label Studio is skipped")
    a = ap.parse_args()
    command = "uv run python bench/annotation_server/compare.py " + shlex.join(sys.argv[1:])
    print("command:", command, flush=True)
    print("columns:", "  ".join(COLUMNS), flush=True)
    results: list[dict[str, object]] = []

    def record(res: dict[str, object]) -> None:
        results.append(res)
        print(_row(res), flush=True)
        extra = {k: v for k, v in res.items() if k not in COLUMNS}
        print("   ", " ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in extra.items()),
              flush=True)

    urls = ([""] if not a.no_assay_sqlite else []) + ([a.assay_postgres] if a.assay_postgres else [])
    if not a.no_ls:  # Label Studio first: its throughput sets the paced runs' offered load
        for backend in ["postgres"] + (["sqlite"] if a.ls_sqlite else []):
            load = os.getloadavg()[0]
            res = labelstudio_load.run(a.records, a.annotators, backend)
            res["overlap_ok"] = (res["exactly_k"] == a.records and res["same_person_twice"] == 0
                                 and res["over_k"] == 0)
            res["load_avg"] = load
            record(res)
    for url in urls:
        for w in (int(x) for x in a.workers.split(",")):
            load = os.getloadavg()[0]
            res = dict(assay_load.one(w, a.records, a.annotators, url))
            res["overlap_ok"] = res["problems"] == 0 and res["acks"] == res["expected"]
            res["load_avg"] = load
            record(res)
    ls_pg = next((r for r in results if str(r["server"]).startswith("label-studio") and r["db"] == "postgres"), None)
    rate = a.paced_rate or (a.paced_multiple * float(ls_pg["rps"]) if ls_pg and a.paced_multiple else 0.0)
    if rate:
        print(f"\npaced runs: the annotators together offer {rate:.1f} requests/s"
              + (f" ({a.paced_multiple:g}× Label Studio's {float(ls_pg['rps']):.1f})" if ls_pg and not a.paced_rate
                 else ""), flush=True)
        for url in urls:
            for w in (int(x) for x in a.workers.split(",")):
                load = os.getloadavg()[0]
                res = dict(assay_load.one(w, a.records, a.annotators, url, rate=rate))
                res["overlap_ok"] = res["problems"] == 0 and res["acks"] == res["expected"]
                res["load_avg"] = load
                record(res)
    if ls_pg:
        print("\nratios against Label Studio on PostgreSQL (throughput ×, CPU per request ÷):")
        for r in results:
            if str(r["server"]).startswith("assay") and "paced" not in str(r["server"]):
                print(f"  {r['server']} on {r['db']}: {float(r['rps']) / float(ls_pg['rps']):.1f}× requests/s, "
                      f"{float(ls_pg['cpu_ms_per_request']) / float(r['cpu_ms_per_request']):.1f}× less CPU "
                      "per request")
    for r in results:
        if "paced" in str(r["server"]):
            worst = max(float(r["next_p95"]), float(r["submit_p95"]))
            times = f" = {float(r['rps']) / float(ls_pg['rps']):.1f}× Label Studio's" if ls_pg else ""
            print(f"  {r['server']} on {r['db']}: served {float(r['rps']):.1f} req/s{times}, p95 next/submit "
                  f"{float(r['next_p95']):.0f}/{float(r['submit_p95']):.0f} ms "
                  f"({'under' if worst < 50 else 'NOT under'} 50 ms)")
    print("command:", command)


if __name__ == "__main__":
    main()
