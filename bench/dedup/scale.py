"""Near-dedup's memory per document and the spill path at scale: whole-process time and process-tree memory.

Corpora come from `generate_scale.py` (Parquet, streamed by `run_scale.py`, so the input is never held and
what the run holds is near-dedup's own memory). Each configuration runs as one whole process measured by
`process_tree.measure` (CPU including interpreter start and imports; peak RSS/PSS of the process tree; the
load average before it), `--repeat` times interleaved (A B A B ...), reported as median [min-max]. Memory per
document is ``(peak RSS - fixed) / documents`` with `fixed` the peak of the same command over a 1,000-document
corpus (interpreter, numpy, numba, pyarrow; made with `--fixed-data`, generated when missing).

    uv run python bench/dedup/generate_scale.py --docs 1000000 --out /work/bench-data/dedup-1m
    uv run python bench/dedup/scale.py --data /work/bench-data/dedup-1m --spill auto off --repeat 3

`--spill-dir` puts the spilled sketches somewhere else than the system's temporary directory (here /tmp is
on the same disk as /work).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from process_tree import measure


def spread(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return f"{values[0]:{fmt}}"
    return f"{statistics.median(values):{fmt}} [{min(values):{fmt}}–{max(values):{fmt}}]"


def run(data: Path, spill: str, a: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE / "run_scale.py"), "--data", str(data), "--threshold", str(a.threshold),
           "--spill", spill, "--memory-mb", str(a.memory_mb)]
    if a.spill_dir:
        cmd += ["--spill-dir", a.spill_dir]
    if a.again and data != a.fixed_data:
        cmd += ["--again", str(a.again)]
    fig, out = measure(cmd, interval=0.05)
    return {**json.loads(out.strip().splitlines()[-1]), **fig}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--fixed-data", type=Path, default=Path("/work/bench-data/dedup-1k"))
    ap.add_argument("--threshold", type=float, default=0.35)
    ap.add_argument("--spill", nargs="+", choices=["auto", "on", "off"], default=["auto"])
    ap.add_argument("--memory-mb", type=float, default=512)
    ap.add_argument("--spill-dir", default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--again", type=int, default=0, help="run_scale.py --again: read the first N files twice")
    a = ap.parse_args()
    if not a.fixed_data.exists():
        subprocess.run([sys.executable, str(HERE / "generate_scale.py"), "--docs", "1000", "--out",
                        str(a.fixed_data)], check=True)
    fixed = run(a.fixed_data, "off", a)
    runs: dict[str, list[dict[str, Any]]] = {s: [] for s in a.spill}
    for _ in range(a.repeat):
        for s in a.spill:
            r = run(a.data, s, a)
            runs[s].append(r)
            print(f"  spill {s}: wall {r['wall_s']:.1f} s, CPU {r['cpu_s']:.1f} s, tree RSS "
                  f"{r['peak_tree_rss_mb']:.0f} MB, load before {r['load_before']:.2f}", file=sys.stderr)
    n = runs[a.spill[0]][0]["docs"]
    print(f"corpus: {n} documents in {a.data}; threshold {a.threshold}; memory_mb {a.memory_mb}; fixed cost "
          f"(1,000 documents, same command): {fixed['peak_tree_rss_mb']:.0f} MB RSS, {fixed['cpu_s']:.2f} CPU-s")
    print("| spill | wall s | CPU s | peak tree RSS MB | peak tree PSS MB | bytes/doc above fixed | spilled MB "
          "| candidates | checked | recall | precision |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for s, rs in runs.items():
        per_doc = [(r["peak_tree_rss_mb"] - fixed["peak_tree_rss_mb"]) * 2**20 / n for r in rs]
        r0 = rs[0]
        print(f"| {s} | {spread([r['wall_s'] for r in rs], '.1f')} | {spread([r['cpu_s'] for r in rs], '.1f')} "
              f"| {spread([r['peak_tree_rss_mb'] for r in rs], '.0f')} "
              f"| {spread([r['peak_tree_pss_mb'] for r in rs], '.0f')} | {spread(per_doc, '.0f')} "
              f"| {r0['spilled_mb']:.0f} | {r0['candidate_pairs']} | {r0['checked_pairs']} "
              f"| {r0['recall']:.4f} | {r0['precision']:.4f} |")
        if any((r["candidate_pairs"], r["verified_pairs"], r["kept"]) != (r0["candidate_pairs"], r0["verified_pairs"],
                                                                           r0["kept"]) for r in rs):
            print(f"warning: spill {s} gave different results across runs", file=sys.stderr)
    print("stages (first run): " + "; ".join(f"{s}: " + ", ".join(f"{k} {v:.1f}" for k, v in rs[0]["stages_s"].items())
                                         for s, rs in runs.items()))
    print("load before each run: " + ", ".join(f"{s} {r['load_before']:.2f}" for s, rs in runs.items() for r in rs))
    print(f"reproduce: uv run python bench/dedup/scale.py --data {a.data} --threshold {a.threshold} "
          f"--spill {' '.join(a.spill)} --memory-mb {a.memory_mb} --repeat {a.repeat}"
          + (f" --again {a.again}" if a.again else ""))


if __name__ == "__main__":
    main()
