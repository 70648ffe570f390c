"""Near-duplicate detection: Assay vs datatrove's MinHash pipeline vs an exact-Jaccard oracle, same corpus.

Setup (once; datatrove is never an Assay dependency and its venv lives outside the repository):

    uv venv ~/.cache/assay-peers/datatrove --python /usr/bin/python3
    uv pip install --python ~/.cache/assay-peers/datatrove/bin/python \\
        "datatrove==0.10.1" spacy orjson regex tokenizers "xxhash<4"

Run (generates the corpus first when `--data` has none; the corpus's close near-misses sit in
``[threshold - 0.15, threshold)``, so generate it for the threshold you bench):

    uv run python bench/dedup/bench.py --data /work/bench-data/dedup --threshold 0.6 --repeat 3

What runs: Assay with its derived bands × rows (`near_duplicate_clusters` defaults: verified, one thread per
CPU), Assay with `--compare-bands/--compare-rows` (default: the choice before the 0.99 derivation,
``lsh_params(threshold, 128, 0.1, 0.9)``, 25 × 5 at 0.6) to show what the derivation costs or saves, and datatrove 0.10.1 (2 workers, same shingle size; see run_datatrove.py) twice: with Assay's
derived bands and rows, and with datasketch's symmetric choice for the threshold (what Assay uses with
``verify=False``), which suits an LSH without an exact check better. Each tool runs `--repeat` times interleaved
(A B C A B C ...); every run is one whole process measured by `process_tree.measure` (CPU of the process
and its children including interpreter start, imports and numba loading; peak memory of the whole process
tree; the load average before it). Reported per tool: median [min–max] of wall s, CPU s, peak tree RSS and
PSS, and pairwise precision, recall and F1 against the planted truth (true pairs: an original and its
near-copies; predicted pairs: two documents of one cluster). The exact-Jaccard oracle (run_oracle.py, all
pairs with Jaccard >= threshold, exactly) is scored the same way; it runs once per corpus and threshold
(cached next to the data) since it is deterministic, and its CPU is shown for that one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from process_tree import measure

DT_PYTHON = Path.home() / ".cache" / "assay-peers" / "datatrove" / "bin" / "python"


def pair_metrics(truth: dict[str, int], clusters: dict[str, str]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of `clusters` (doc -> cluster head) against truth families."""
    def pairs(n: int) -> int:
        return n * (n - 1) // 2

    true_pairs = sum(pairs(n) for n in Counter(truth.values()).values())
    pred_pairs = sum(pairs(n) for n in Counter(clusters.values()).values())
    tp = sum(pairs(n) for n in Counter((truth[d], c) for d, c in clusters.items()).values())
    p = tp / pred_pairs if pred_pairs else 1.0
    r = tp / true_pairs if true_pairs else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "pred_pairs": pred_pairs, "true_pairs": true_pairs}


def spread(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} [{min(values):{fmt}}–{max(values):{fmt}}]"


def oracle(data: Path, threshold: float) -> dict[str, Any]:
    cache = data / f"oracle-{threshold}.json"
    newest = max(p.stat().st_mtime for p in data.glob("docs-*.jsonl"))
    if cache.exists() and cache.stat().st_mtime > newest:
        result: dict[str, Any] = json.loads(cache.read_text())
        return result
    fig, out = measure([sys.executable, str(HERE / "run_oracle.py"), "--data", str(data),
                        "--threshold", str(threshold)])
    result = {**json.loads(out.strip().splitlines()[-1]), **fig}
    cache.write_text(json.dumps(result))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("/work/bench-data/dedup"))
    ap.add_argument("--docs", type=int, default=50_000, help="corpus size when generating")
    ap.add_argument("--threshold", type=float, default=0.6)
    ap.add_argument("--compare-bands", type=int, default=None,
                    help="default: the choice before the 0.99 derivation, lsh_params(t, 128, 0.1, 0.9)")
    ap.add_argument("--compare-rows", type=int, default=None)
    ap.add_argument("--workers", type=int, default=2, help="datatrove worker processes")
    ap.add_argument("--skip-datatrove", action="store_true")
    ap.add_argument("--skip-compare", action="store_true")
    ap.add_argument("--skip-oracle", action="store_true", help="no quality figures (e.g. a memory-only run)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs per tool")
    ap.add_argument("--spill", choices=["auto", "on", "off"], nargs="+", default=["auto"],
                    help="Assay's derived run once per spill setting (on: sketches on disk, see docs/near-dedup.md)")
    a = ap.parse_args()
    if not (a.data / "truth.jsonl").exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--docs", str(a.docs), "--threshold",
                        str(a.threshold), "--out", str(a.data)], check=True)
    truth = {r["id"]: r["family"] for r in map(json.loads, (a.data / "truth.jsonl").read_text().splitlines())}
    base = [sys.executable, str(HERE / "run_assay.py"), "--data", str(a.data), "--threshold", str(a.threshold)]
    from assay.pipelines.minhash_lsh import lsh_params  # only to name the choices up front
    from assay.pipelines.near_dedup import resolve_config
    cfg = resolve_config(a.threshold)
    old_b, old_r = lsh_params(a.threshold, 128, 0.1, 0.9)
    cmp_b = a.compare_bands if a.compare_bands is not None else old_b
    cmp_r = a.compare_rows if a.compare_rows is not None else old_r
    commands = {f"assay {cfg.bands}x{cfg.rows} (derived)" + (f" spill {sp}" if sp != "auto" else ""):
                base + ["--spill", sp] for sp in a.spill}
    if not a.skip_compare:
        commands[f"assay {cmp_b}x{cmp_r}"] = base + ["--bands", str(cmp_b), "--rows", str(cmp_r)]
    if not a.skip_datatrove:
        if not DT_PYTHON.exists():
            raise SystemExit(f"{DT_PYTHON} missing: create the venv as the module docstring says")
        plain = resolve_config(a.threshold, verify=False)  # datasketch's symmetric choice: suits unverified LSH
        for b, r in dict.fromkeys([(cfg.bands, cfg.rows), (plain.bands, plain.rows)]):
            commands[f"datatrove 0.10.1 {b}x{r}"] = [
                str(DT_PYTHON), str(HERE / "run_datatrove.py"), "--data", str(a.data), "--bands", str(b),
                "--rows", str(r), "--workers", str(a.workers)]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in commands}
    order: list[str] = []
    label = {name: chr(ord("A") + k) for k, name in enumerate(commands)}
    for _ in range(a.repeat):  # A B C A B C ...: load changes hit every tool alike
        for name, cmd in commands.items():
            fig, out = measure(cmd)
            runs[name].append({**json.loads(out.strip().splitlines()[-1]), **fig})
            order.append(f"{label[name]} {fig['load_before']:.2f}")
            print(f"  {name}: wall {fig['wall_s']:.2f} s, CPU {fig['cpu_s']:.2f} s, "
                  f"tree RSS {fig['peak_tree_rss_mb']:.0f} MB, load before {fig['load_before']:.2f}",
                  file=sys.stderr)
    orc = None if a.skip_oracle else oracle(a.data, a.threshold)
    print(f"corpus: {len(truth)} documents in {a.data}; threshold {a.threshold}, 5-word shingles; "
          f"derived {cfg.bands} bands x {cfg.rows} rows = {cfg.num_perm} hashes")
    print("| tool | wall s | CPU s | peak tree RSS MB | peak tree PSS MB | largest process MB "
          "| precision | recall | F1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, rs in runs.items():
        m = [pair_metrics(truth, r["clusters"]) for r in rs]
        if any(x != m[0] for x in m):
            print(f"warning: {name} gave different clusters across runs", file=sys.stderr)
        print(f"| {name} | {spread([r['wall_s'] for r in rs], '.2f')} | {spread([r['cpu_s'] for r in rs], '.2f')} "
              f"| {spread([r['peak_tree_rss_mb'] for r in rs], '.0f')} "
              f"| {spread([r['peak_tree_pss_mb'] for r in rs], '.0f')} "
              f"| {spread([r['max_process_rss_mb'] for r in rs], '.0f')} "
              f"| {m[0]['precision']:.4f} | {m[0]['recall']:.4f} | {m[0]['f1']:.4f} |")
    if orc is not None:
        mo = pair_metrics(truth, orc["clusters"])
        print(f"| exact oracle (1 run) | {orc['wall_s']:.2f} | {orc['cpu_s']:.2f} | {orc['peak_tree_rss_mb']:.0f} "
              f"| {orc['peak_tree_pss_mb']:.0f} | {orc['max_process_rss_mb']:.0f} "
              f"| {mo['precision']:.4f} | {mo['recall']:.4f} | {mo['f1']:.4f} |")
    print(f"true pairs: {pair_metrics(truth, {})['true_pairs']}; runs per tool: {a.repeat}, interleaved; "
          "cells: median [min–max]")
    print("order and 1-minute load average before each run (" + ", ".join(f"{v} = {k}" for k, v in label.items())
          + "): " + ", ".join(order))
    for name, rs in runs.items():
        extra = {k: rs[0][k] for k in ("candidate_pairs", "checked_pairs", "verified_pairs", "stages_s")
                 if k in rs[0]}
        if extra:
            print(f"{name}: {extra}")
    print(f"reproduce: uv run python bench/dedup/bench.py --data {a.data} --threshold {a.threshold} "
          f"--repeat {a.repeat}" + (f" --spill {' '.join(a.spill)}" if a.spill != ["auto"] else ""))


if __name__ == "__main__":
    main()
