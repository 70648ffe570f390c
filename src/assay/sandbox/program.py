"""Compile and run one program in any registered language: `run_program` → `ProgramResult`.

Both phases run in one bubblewrap sandbox (same confinement: no network, read-only host, capped tmpfs,
PID namespace, unprivileged uid) but each under its own limits: a trusted driver script (bash, written
here) runs the compiler under `compile_limits` (more CPU and memory: g++ and tsc need them) and then the
program under the run limits, each through `prlimit` and `timeout -s KILL` (the phase's wall clock). The
sandbox's own limits are the larger of the two, and its wall clock is the sum plus a margin.

The compiler's exit status and its messages (at most 64 KiB) go to the host through the sandbox's report
channel, which the driver closes for the compiler and the program. The program's stdout and stderr are the
run's. A program passes when it compiled, exited 0 and printed the end marker (`Language.assemble` puts
it after the tests), so a candidate that calls `exit(0)` before the tests ran does not pass. The report is
still written inside the sandbox (a hostile program could reopen it through /proc); it can only make its
own run look failed, never passed.

Statuses: `passed`, `failed` (the program ran and a test failed or it exited non-zero), `compile_error`
(with the compiler's message), `timed_out` (the run phase's wall clock), `crashed` (killed: CPU or memory
limit, a signal, output limit), `compile_timeout`, and `unavailable` (the language's toolchain is missing:
nothing ran).
"""

from __future__ import annotations

import math
import re
import secrets
import shlex
from dataclasses import dataclass, replace
from typing import Literal

from assay.errors import Unavailable
from assay.sandbox.interface import Limits, RunResult, Sandbox
from assay.sandbox.languages import Language, end_marker, language
from assay.sandbox.languages.spec import expand

ProgramStatus = Literal["passed", "failed", "compile_error", "compile_timeout", "timed_out", "crashed",
                        "unavailable"]
DRIVER = "assay_driver.sh"
MAX_COMPILE_LOG = 65536
_COMPILE_LINE = re.compile(rb"^compile (-?\d+) ([0-9.]+)$")
_DRIVER_NOISE = re.compile(rb"^assay_driver\.sh: line \d+: [^\n]*\n?", re.MULTILINE)  # bash's "Aborted ..." notes
_RUN_LINE = re.compile(rb"^run (-?\d+) ([0-9.]+)$", re.MULTILINE)


@dataclass(frozen=True)
class ProgramResult:
    """What `run_program` did. `message` explains a non-passing status for people (the compiler's
    messages for `compile_error`); `run` is the sandbox run (None when nothing ran)."""

    status: ProgramStatus
    message: str
    language: str
    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    compile_seconds: float | None = None
    run_seconds: float | None = None
    run: RunResult | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def compile_limits(lang: Language, run: Limits) -> Limits:
    """The compile phase's limits: the language's compile CPU and memory, a wall clock of 2 x CPU + 10 s,
    room for the compiler's processes and output files; the rest as for the run."""
    cpu = lang.compile_cpu_seconds
    return replace(run, cpu_seconds=cpu, wall_seconds=2 * cpu + 10, memory_bytes=max(run.memory_bytes, lang.compile_memory_bytes),
                   max_processes=max(run.max_processes, 32), max_file_bytes=max(run.max_file_bytes, 64 << 20),
                   scratch_bytes=max(run.scratch_bytes, 256 << 20))


def run_limits(lang: Language, limits: Limits) -> Limits:
    """`limits` raised to what the language needs to start at all (Node's address space and threads)."""
    return replace(limits, memory_bytes=max(limits.memory_bytes, lang.run_memory_floor),
                   max_processes=max(limits.max_processes, lang.min_processes))


def _prlimit(limits: Limits) -> list[str]:
    cpu = max(1, math.ceil(limits.cpu_seconds))
    return ["/usr/bin/prlimit", f"--as={limits.memory_bytes}", f"--cpu={cpu}:{cpu + 1}",
            f"--nproc={limits.max_processes}", f"--fsize={limits.max_file_bytes}",
            f"--nofile={limits.max_open_files}", "--core=0", "--", "/usr/bin/timeout", "-s", "KILL",
            f"{limits.wall_seconds:g}"]


def driver_script(compile_argv: list[str] | None, run_argv: list[str], compiling: Limits, running: Limits) -> str:
    """The bash driver (see the module docstring). Report lines: `compile <status> <seconds>` then the
    compiler's output; `run <status> <seconds>` after the program."""
    q = shlex.join
    lines = [
        "set -u",
        'exec 9>&"$ASSAY_REPORT_FD"',
        'if [ "$ASSAY_REPORT_FD" != 9 ]; then exec {ASSAY_REPORT_FD}>&-; fi',  # (it may be 9 itself)
        "unset ASSAY_REPORT_FD",
    ]
    if compile_argv is not None:
        lines += [
            "t0=${EPOCHREALTIME/./}",
            f"{q(_prlimit(compiling) + compile_argv)} >.assay-compile.log 2>&1 </dev/null 9>&-",
            "rc=$?",
            'us=$(( ${EPOCHREALTIME/./} - t0 )); printf "compile %d %d.%06d\\n" "$rc" $((us / 1000000)) $((us % 1000000)) >&9',
            f"/usr/bin/head -c {MAX_COMPILE_LOG} .assay-compile.log >&9",
            "rm -f .assay-compile.log",
            'if [ "$rc" -ne 0 ]; then exit 0; fi',
        ]
    lines += [
        "t0=${EPOCHREALTIME/./}",
        f"{q(_prlimit(running) + run_argv)} </dev/null 9>&-",
        "rc=$?",
        'us=$(( ${EPOCHREALTIME/./} - t0 )); printf "run %d %d.%06d\\n" "$rc" $((us / 1000000)) $((us % 1000000)) >&9',
        'exit "$rc"',
    ]
    return "\n".join(lines) + "\n"


def run_program(sandbox: Sandbox, language_name: str, solution: str, tests: str, limits: Limits) -> ProgramResult:
    """Assemble `solution` + `tests` in the language, compile (if it is compiled) and run it in `sandbox`.

    `limits` are the run phase's (raised to the language's floor, see `run_limits`); the compile phase
    gets `compile_limits`. Returns status `unavailable` (nothing ran) when the language's toolchain is
    missing here; raises Invalid for an unknown language and whatever `sandbox.run` raises (Unavailable
    when the sandbox itself cannot run).
    """
    lang = language(language_name)
    try:
        toolchain = lang.locate()
    except Unavailable as e:
        return ProgramResult(status="unavailable", message=str(e), language=lang.name)
    nonce = secrets.token_hex(16)
    running = run_limits(lang, limits)
    compiling = compile_limits(lang, running)
    compile_argv = expand(lang.compile_command, toolchain) if lang.compile_command is not None else None
    script = driver_script(compile_argv, expand(lang.run_command, toolchain), compiling, running)
    files = {lang.source_file: lang.assemble(solution, tests, nonce), DRIVER: script}
    outer = Limits(
        cpu_seconds=max(compiling.cpu_seconds, running.cpu_seconds) if compile_argv else running.cpu_seconds,
        wall_seconds=(compiling.wall_seconds if compile_argv else 0) + running.wall_seconds + 5,
        memory_bytes=max(compiling.memory_bytes, running.memory_bytes) if compile_argv else running.memory_bytes,
        max_processes=max(compiling.max_processes, running.max_processes),
        max_file_bytes=max(compiling.max_file_bytes, running.max_file_bytes) if compile_argv else running.max_file_bytes,
        max_open_files=running.max_open_files, max_output_bytes=running.max_output_bytes,
        scratch_bytes=compiling.scratch_bytes if compile_argv else running.scratch_bytes,
    )
    run = sandbox.run(files, ["/usr/bin/bash", DRIVER], outer)
    return _result(lang, run, nonce, running, compile_argv is not None)


def _text(data: bytes, limit: int = 16384) -> str:
    text = data.decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[:limit] + "\n[truncated]"


def _result(lang: Language, run: RunResult, nonce: str, running: Limits, compiled: bool) -> ProgramResult:
    report = run.report
    compile_seconds = run_seconds = None
    run_status: int | None = None
    first, _, rest = report.partition(b"\n")
    if compiled:
        m = _COMPILE_LINE.match(first)
        if m is None:
            if run.timed_out or run.killed_reason:
                return ProgramResult(status="compile_timeout", language=lang.name, run=run,
                                     message=f"the compiler did not finish: {run.describe()}")
            tail = run.stderr[-2000:].decode(errors="replace").strip()
            return ProgramResult(status="crashed", language=lang.name, run=run,
                                 message=f"the compile phase ended without a result: {run.describe()}"
                                         + (f"\n{tail}" if tail else ""))
        compile_status, compile_seconds = int(m.group(1)), float(m.group(2))
        runs = list(_RUN_LINE.finditer(rest))
        log, run_part = (rest[:runs[-1].start()], rest[runs[-1].start():]) if runs else (rest, b"")
        message = _text(log, MAX_COMPILE_LOG).strip()
        if compile_status != 0:
            status: ProgramStatus = "compile_timeout" if compile_status in (137, 152) else "compile_error"
            why = {137: "it was killed at the compile phase's time limit",
                   152: "it used up the compile phase's CPU time"}.get(compile_status, f"exit status {compile_status}")
            return ProgramResult(status=status, language=lang.name, run=run, compile_seconds=compile_seconds,
                                 message=f"{lang.title} compile error ({why}):\n{message}".strip())
    else:
        run_part = report
    found = list(_RUN_LINE.finditer(run_part))
    if found:
        run_status, run_seconds = int(found[-1].group(1)), float(found[-1].group(2))
    stdout, stderr = _text(run.stdout), _text(_DRIVER_NOISE.sub(b"", run.stderr))

    def result(status: ProgramStatus, message: str, out: str = stdout) -> ProgramResult:
        return ProgramResult(status=status, message=message, language=lang.name, stdout=out, stderr=stderr,
                             exit_code=run_status, compile_seconds=compile_seconds, run_seconds=run_seconds, run=run)

    if run.killed_reason == "output_limit":
        return result("crashed", "killed: output limit reached")
    if run_status is None:
        if run.timed_out:
            return result("timed_out", run.describe())
        return result("crashed", f"the run ended early: {run.describe()}")
    if run_status == 137 and run_seconds is not None and run_seconds >= running.wall_seconds - 0.5:
        return result("timed_out", f"timed out after {running.wall_seconds:g} s")
    if run_status > 128:
        sig = run_status - 128
        if sig in (5, 6, 11) and "Assertion" in stderr:  # a failed C++ assert aborts
            return result("failed", _failure(stderr))
        why = "CPU time limit reached" if sig == 24 else f"killed by signal {sig}"
        return result("crashed", f"{why}\n{stderr[-2000:]}".strip())
    if run_status != 0:
        # (Go's and Rust's test harnesses report failures on stdout)
        return result("failed", _failure(stderr) or _failure(stdout) or f"exited with code {run_status}")
    marker = end_marker(nonce)
    if marker not in stdout:
        return result("failed", "the program exited before all tests ran")
    return result("passed", "", stdout.replace(marker + "\n", "").replace(marker, ""))


def _failure(stderr: str) -> str:
    """The lines of stderr that say which assertion failed (or its tail)."""
    lines = [ln for ln in stderr.splitlines()
             if ("ssert" in ln or "Error" in ln) and "console.assert = " not in ln and "at console.assert" not in ln]
    return "\n".join(lines[:10])[:4000] if lines else stderr[-2000:].strip()
