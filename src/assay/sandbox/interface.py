"""The sandbox contract: what a run may use (`Limits`), what it returns (`RunResult`), and the
`Sandbox` protocol that the real `BubblewrapSandbox` and any test double implement.

Everything here is plain data; nothing in this module starts a process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

KilledReason = Literal["wall_timeout", "cpu_limit", "output_limit"]


@dataclass(frozen=True)
class Limits:
    """Resource limits for one sandbox run. Every field is enforced by the real sandbox.

    - `cpu_seconds`: RLIMIT_CPU (soft; the hard limit is one second more). Exceeding it kills with SIGXCPU.
    - `wall_seconds`: wall-clock deadline for the whole run; the whole process tree is killed at it.
    - `memory_bytes`: RLIMIT_AS (address space) per process.
    - `max_processes`: RLIMIT_NPROC, counted inside the sandbox's own user namespace (threads count too).
    - `max_file_bytes`: RLIMIT_FSIZE, the largest file a process may write (also caps the report channel).
    - `max_open_files`: RLIMIT_NOFILE.
    - `max_output_bytes`: stdout and stderr are each kept up to this size; more output ends the run
      (`killed_reason="output_limit"`).
    - `scratch_bytes`: size of each of the two private tmpfs: /sandbox (the working folder) and /dev/shm,
      which /tmp is a symlink to (shared memory and temporary files share that budget). Nothing else in
      the sandbox is writable, so the file systems of a run hold at most twice this.
    """

    cpu_seconds: float = 10.0
    wall_seconds: float = 20.0
    memory_bytes: int = 1 << 30
    max_processes: int = 32
    max_file_bytes: int = 16 << 20
    max_open_files: int = 256
    max_output_bytes: int = 1 << 20
    scratch_bytes: int = 64 << 20

    def __post_init__(self) -> None:
        for name in ("cpu_seconds", "wall_seconds", "memory_bytes", "max_processes", "max_file_bytes",
                     "max_open_files", "max_output_bytes", "scratch_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class RunResult:
    """What one sandbox run did.

    `exit_code` is the command's exit status (None when the sandbox killed it before it ended);
    `signal` is the signal number that ended it, when one did (bubblewrap reports a signal death as
    128 + signal, so an explicit `exit(128 + n)` is read as signal n). `killed_reason` says why the
    sandbox ended the run, if it did. `stdout`/`stderr` hold at most `Limits.max_output_bytes` each;
    `*_truncated` says more was written. `report` is the content of the dedicated report channel
    (see `BubblewrapSandbox`), at most `Limits.max_file_bytes`; it is written by sandboxed code and
    must be validated before use. `cpu_seconds` is user + system time of everything in the sandbox.
    """

    exit_code: int | None
    signal: int | None
    timed_out: bool
    killed_reason: KilledReason | None
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    wall_seconds: float
    cpu_seconds: float
    report: bytes = b""
    report_truncated: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the command ended by itself with exit status 0."""
        return self.exit_code == 0 and self.killed_reason is None and self.signal is None

    def describe(self) -> str:
        """One line for people: how the run ended."""
        if self.timed_out:
            return f"timed out after {self.wall_seconds:.1f} s (wall-clock limit)"
        if self.killed_reason == "cpu_limit":
            return f"killed: CPU time limit reached ({self.cpu_seconds:.1f} s)"
        if self.killed_reason == "output_limit":
            return "killed: output limit reached"
        if self.signal is not None:
            return f"killed by signal {self.signal}"
        return f"exited with code {self.exit_code}"


class Sandbox(Protocol):
    """Runs a command over a set of files in isolation.

    `files` maps relative paths (no `..`, no leading `/`) to text; they are placed in a fresh,
    private working folder (`/sandbox`), which is the current directory of `command`.
    `command[0]` may be `"python3"`, which the sandbox maps to its Python interpreter.
    Raises `assay.errors.Unavailable` when isolation is impossible and `assay.errors.Invalid`
    for bad file names; it never runs code without isolation.
    """

    def run(self, files: dict[str, str], command: list[str], limits: Limits) -> RunResult: ...
