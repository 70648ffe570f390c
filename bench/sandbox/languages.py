"""Per-language overhead of the sandbox: HumanEval-X canonical programs run bare (the upstream commands:
`node main.js`; `tsc && node`; `g++ -std=c++17 ... && ./main`; `javac ... && java ...`; `go test -c && ./main.test`;
`rustc --test ... && ./main.test`) against `assay.sandbox.program.run_program`
(bubblewrap, the driver script, per-phase prlimit and timeout), interleaved so load swings hit both alike.
Prints median and p95 wall time per program and the median difference, with the load average.

Reproduce:  uv run python bench/sandbox/languages.py [--tasks 20] [--languages javascript cpp typescript java go rust]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from assay.formats.reader import load_records
from assay.sandbox import BubblewrapSandbox, Limits
from assay.sandbox.languages import language
from assay.sandbox.languages.spec import expand
from assay.sandbox.program import run_program

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "humaneval-x"
FILES = {"javascript": "humaneval_js.jsonl.gz", "typescript": "humaneval_js.jsonl.gz", "cpp": "humaneval_cpp.jsonl.gz",
         "java": "humaneval_java.jsonl.gz", "go": "humaneval_go.jsonl.gz", "rust": "humaneval_rust.jsonl.gz"}


def _commands(name: str, command: tuple[str, ...], toolchain: object, folder: str) -> list[str]:
    """The phase's command as the host runs it bare. Go's compile command copies the prepared build cache into
    the sandbox's private /tmp (and points GOCACHE, GOPATH and GOTMPDIR there): bare, that /tmp is the run's
    own folder, so the host's /tmp is left alone and every run starts from the same cache, as in the sandbox."""
    cmd = expand(command, toolchain)  # type: ignore[arg-type]
    return [part.replace("/tmp", folder) for part in cmd] if name == "go" else cmd


def _bare(name: str, program: str) -> float:
    lang = language(name)
    toolchain = lang.locate()
    # Go copies a 73 MB build cache per program: the sandbox's /tmp is a tmpfs, so bare gets one too
    with tempfile.TemporaryDirectory(dir="/dev/shm" if name == "go" else None) as d:
        Path(d, lang.source_file).write_text(program)
        started = time.perf_counter()
        # as in the sandbox, a failed compile ends the program (TypeScript refuses some HumanEval-X JavaScript
        # on types: both sides then time the same compile)
        if lang.compile_command is not None and subprocess.run(
                _commands(name, lang.compile_command, toolchain, d), cwd=d, check=False, capture_output=True).returncode:
            return time.perf_counter() - started
        subprocess.run(_commands(name, lang.run_command, toolchain, d), cwd=d, check=True, capture_output=True)
        return time.perf_counter() - started


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--languages", nargs="+", default=["javascript", "cpp"])
    args = parser.parse_args()
    box = BubblewrapSandbox()
    limits = Limits(cpu_seconds=10, wall_seconds=30, memory_bytes=512 << 20)
    print(f"load average before: {os.getloadavg()[0]:.2f}; {args.tasks} HumanEval-X canonical programs per language")
    print(f"{'language':12}{'bare median':>13}{'p95':>8}{'sandbox median':>16}{'p95':>8}{'overhead':>10}")
    for name in args.languages:
        records = load_records(DATA / FILES[name])[: args.tasks]
        bare: list[float] = []
        boxed: list[float] = []
        lang = language(name)
        for r in records:
            code = r.code
            assert code is not None
            tests = code.hidden_tests
            program = lang.assemble(code.reference_solution, tests, "bench")
            bare.append(_bare(name, program))
            started = time.perf_counter()
            res = run_program(box, name, code.reference_solution, tests, limits)
            boxed.append(time.perf_counter() - started)
            if not res.passed and r.external_id not in ("JavaScript/112", "JavaScript/155", "Rust/50"):
                print(f"  {r.external_id}: {res.status} {res.message[:120]}")
        ms = 1000.0
        diff = statistics.median(b - a for a, b in zip(bare, boxed)) * ms
        print(f"{name:12}{statistics.median(bare) * ms:>11.0f}ms{_pct(bare, .95) * ms:>6.0f}ms"
              f"{statistics.median(boxed) * ms:>14.0f}ms{_pct(boxed, .95) * ms:>6.0f}ms{diff:>8.0f}ms")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
