"""Run one process with a wall-clock deadline and capped output capture.

The process is started in its own session; on the deadline or when its output passes the cap, the
whole process group gets SIGKILL. Output is read as it arrives and at most `max_output_bytes` of
each stream is kept, so a flood never grows memory. CPU time comes from `wait4` (the process plus
every descendant it reaped), so it covers everything inside a PID namespace.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass

_CHUNK = 65536
_DRAIN_SECONDS = 1.0  # after exit, how long to wait for pipes still held open elsewhere


@dataclass(frozen=True)
class ProcessOutcome:
    """How a process ended. `status` is the raw wait status (None never happens after `run_capped`)."""

    status: int
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    timed_out: bool
    output_exceeded: bool
    wall_seconds: float
    cpu_seconds: float


class _Capped:
    """A byte buffer that keeps the first `cap` bytes and remembers whether more arrived."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[bytes] = []
        self.size = 0
        self.truncated = False

    def add(self, data: bytes) -> None:
        room = self.cap - self.size
        if len(data) > room:
            self.truncated = True
            data = data[:max(room, 0)]
        if data:
            self.parts.append(data)
            self.size += len(data)

    def value(self) -> bytes:
        return b"".join(self.parts)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            proc.kill()
        except ProcessLookupError:
            pass


def run_capped(
    argv: list[str],
    *,
    wall_seconds: float,
    max_output_bytes: int,
    pass_fds: tuple[int, ...] = (),
    user: int | None = None,
    group: int | None = None,
    env: dict[str, str] | None = None,
) -> ProcessOutcome:
    """Start `argv` (stdin from /dev/null) and wait for it, enforcing the deadline and output cap.

    `user`/`group` switch the process to that uid/gid (with no supplementary groups) before exec;
    only root may pass them. Raises OSError when the program cannot be started.
    """
    start = time.monotonic()
    deadline = start + wall_seconds
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=pass_fds,
        start_new_session=True,
        close_fds=True,
        env=env if env is not None else {"PATH": "/usr/bin:/bin"},
        user=user,
        group=group if group is not None or user is None else user,
        extra_groups=[] if user is not None else None,
    )
    assert proc.stdout is not None and proc.stderr is not None
    out, err = _Capped(max_output_bytes), _Capped(max_output_bytes)
    buffers = {proc.stdout.fileno(): out, proc.stderr.fileno(): err}
    pidfd = os.pidfd_open(proc.pid)
    sel = selectors.DefaultSelector()
    for fd in buffers:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    sel.register(pidfd, selectors.EVENT_READ)
    timed_out = exceeded = exited = False
    open_pipes = set(buffers)
    try:
        while open_pipes or not exited:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = not exited
                break
            for key, _ in sel.select(timeout=remaining):
                fd = int(key.fd)
                if fd == pidfd:
                    exited = True
                    sel.unregister(pidfd)
                    deadline = min(deadline, time.monotonic() + _DRAIN_SECONDS)
                    continue
                try:
                    data = os.read(fd, _CHUNK)
                except BlockingIOError:
                    continue
                if not data:
                    sel.unregister(fd)
                    open_pipes.discard(fd)
                    continue
                buffers[fd].add(data)
                if buffers[fd].truncated:
                    exceeded = True
            if exceeded:
                break
        if timed_out or exceeded:
            _kill_group(proc)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        sel.close()
        os.close(pidfd)
        proc.stdout.close()
        proc.stderr.close()
    return ProcessOutcome(
        status=status,
        stdout=out.value(),
        stderr=err.value(),
        stdout_truncated=out.truncated,
        stderr_truncated=err.truncated,
        timed_out=timed_out,
        output_exceeded=exceeded,
        wall_seconds=time.monotonic() - start,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
    )
