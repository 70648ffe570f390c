"""`BubblewrapSandbox`: the real sandbox, built on bubblewrap (`bwrap`) plus rlimits.

Each run gets:
- new user, PID, network, IPC, UTS and cgroup namespaces (`--unshare-all`): no network at all (not
  even the host's loopback), and a PID namespace, so every process of the run (a grandchild that
  detached itself with setsid and a double fork included) dies when the run ends or is killed;
- `--die-with-parent`, `--new-session` (no terminal injection), `--cap-drop ALL`, `--disable-userns`;
- a read-only `/usr` (plus the interpreter's prefix when it lives elsewhere), `/proc`, a minimal `/dev`;
- two private tmpfs, each capped at `Limits.scratch_bytes`: `/sandbox` (the working folder, holding the
  input files) and `/dev/shm`, which `/tmp` is a symlink to, so POSIX shared memory and temporary files
  draw on one budget. bubblewrap's own `/dev` is a tmpfs sized at half the host's RAM, so it is remounted
  read-only once `/dev/shm` is mounted over it. The sandbox's root is remounted read-only too: nothing of
  the host is writable, and no writable place in the sandbox is uncapped;
- uid/gid 65534 inside. When Assay runs as root, bubblewrap itself is started as an unprivileged host uid
  leased to this run alone (`assay.sandbox.uids`), so the sandbox's uid maps to it: the kernel ignores
  RLIMIT_NPROC for root, and a fork bomb is only contained this way — and, the uid being the run's own,
  the process limit is the run's own too (a fork bomb in one run does not make another run's `fork` fail);
- rlimits set by `prlimit` just before the command (RLIMIT_AS, CPU, NPROC, FSIZE, NOFILE, CORE=0);
- a wall-clock deadline and an output cap enforced from outside (`assay.sandbox.process`).

Report channel: the environment variable `ASSAY_REPORT_FD` names a file descriptor open for writing
to a host file that only this run sees; its content comes back as `RunResult.report`. Stdout belongs to
the candidate; structured results go through this channel (and are still untrusted).

When bubblewrap is missing or cannot create namespaces, `run` raises `assay.errors.Unavailable`; it
never falls back to running code unsandboxed.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from assay.errors import Invalid, Unavailable
from assay.sandbox.interface import KilledReason, Limits, RunResult
from assay.sandbox.process import run_capped
from assay.sandbox.uids import leased_uid

INSTALL_HINT = "install it with `apt-get install -y bubblewrap` (Debian/Ubuntu) or your system's package"
WORKDIR = "/sandbox"
SHM = "/dev/shm"
SANDBOX_UID = 65534
# pid 1 of the sandbox: runs the command as its child and waits for it, so that bubblewrap reaps it and
# the run's CPU time reaches wait4 (bubblewrap's own reaper exits without being waited for).
_REAPER = '"$@"; status=$?; exit $status'
_PROBED: dict[tuple[str, ...], str | None] = {}
_PROBE_LOCK = threading.Lock()
_TOOLCHAIN_PATHS: tuple[str, ...] | None = None


def find_python() -> str:
    """The interpreter candidates run with: /usr/bin/python3 when present, else this process's base
    interpreter (resolved through symlinks, outside any virtualenv). Raises Unavailable if none."""
    if os.access("/usr/bin/python3", os.X_OK):
        return "/usr/bin/python3"
    base = getattr(sys, "_base_executable", None) or sys.executable
    real = os.path.realpath(base) if base else ""
    if real and os.access(real, os.X_OK):
        return real
    raise Unavailable("no Python interpreter found for the sandbox; install python3 (apt-get install -y python3)")


def _python_prefix(python: str) -> str | None:
    """The folder to bind read-only for an interpreter outside /usr (None when it is under /usr)."""
    real = os.path.realpath(python)
    if real.startswith("/usr/"):
        return None
    # <prefix>/bin/python3.x -> <prefix>
    return str(Path(real).parent.parent)


def toolchain_paths() -> tuple[str, ...]:
    """Folders outside /usr that installed language toolchains need (e.g. the TypeScript compiler under
    .cache/toolchains), bound read-only into every sandbox; found once per process."""
    global _TOOLCHAIN_PATHS
    if _TOOLCHAIN_PATHS is None:
        from assay.sandbox.languages import REGISTRY  # the languages know where their toolchains are

        found: list[str] = []
        for lang in REGISTRY.values():
            try:
                found += [p for p in lang.locate().ro_paths if os.path.isdir(p) and not p.startswith("/usr/")]
            except Unavailable:
                continue
        _TOOLCHAIN_PATHS = tuple(sorted(set(found)))
    return _TOOLCHAIN_PATHS


def _check_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or any(part in ("..", "") for part in path.parts) or "\0" in name:
        raise Invalid(f"sandbox file name {name!r} must be a relative path without '..'; rename the file")
    return path


class BubblewrapSandbox:
    """Runs commands under bubblewrap (see the module docstring for what is isolated and how).

    `python` overrides the interpreter (`find_python()` by default); `bwrap` the bubblewrap binary.
    Safe to use from many threads at once; each `run` is independent.
    """

    def __init__(self, python: str | None = None, bwrap: str | None = None) -> None:
        self._python = python
        self._bwrap = bwrap

    @property
    def python(self) -> str:
        """The interpreter path used for a `python3` command."""
        if self._python is None:
            self._python = find_python()
        return self._python

    def _bwrap_path(self) -> str:
        path = self._bwrap or shutil.which("bwrap") or ("/usr/bin/bwrap" if os.access("/usr/bin/bwrap", os.X_OK) else None)
        if not path:
            raise Unavailable(f"bubblewrap (bwrap) is not installed, so code cannot run safely; {INSTALL_HINT}")
        return path

    @contextmanager
    def _switch(self) -> Iterator[tuple[int | None, int | None]]:
        """The host (uid, gid) to start bwrap as for one run: as root, an unprivileged uid leased to this run
        alone, so that RLIMIT_NPROC applies inside and counts this run's processes only; otherwise the
        caller's own (None, None)."""
        if os.geteuid() != 0:
            yield None, None
            return
        with leased_uid() as uid:
            yield uid, uid

    def _base_args(self, limits: Limits) -> list[str]:
        args = [
            self._bwrap_path(), "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
            "--new-session", "--as-pid-1", "--cap-drop", "ALL", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
            "--hostname", "sandbox",
            "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
        ]
        prefix = _python_prefix(self.python)
        if prefix:
            args += ["--ro-bind", prefix, prefix]
        for path in toolchain_paths():
            args += ["--ro-bind", path, path]
        args += [
            "--proc", "/proc", "--dev", "/dev",
            # /dev/shm is bubblewrap's uncapped /dev tmpfs (half the host's RAM) unless replaced: one capped
            # tmpfs serves /dev/shm and /tmp (a symlink to it), and /dev itself is then made read-only
            "--size", str(limits.scratch_bytes), "--perms", "1777", "--tmpfs", SHM, "--remount-ro", "/dev",
            "--symlink", SHM, "/tmp",
            "--size", str(limits.scratch_bytes), "--perms", "0755", "--tmpfs", WORKDIR,
            "--chdir", WORKDIR, "--clearenv",
            "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", WORKDIR, "--setenv", "LANG", "C.UTF-8",
            "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "PYTHONIOENCODING", "utf-8",
        ]
        return args

    def check(self) -> None:
        """Raise Unavailable (with how to fix it) unless a trivial sandboxed command runs here."""
        base = self._base_args(Limits())
        key = tuple(base)
        with _PROBE_LOCK:
            if key not in _PROBED:
                _PROBED[key] = self._probe(base)
        problem = _PROBED[key]
        if problem:
            raise Unavailable(problem)

    def _probe(self, base: list[str]) -> str | None:
        try:
            with self._switch() as (user, group):
                out = run_capped([*base, "--", "/usr/bin/true"], wall_seconds=10, max_output_bytes=4096,
                                 user=user, group=group)
        except OSError as e:
            return f"bubblewrap could not be started ({e}); {INSTALL_HINT}"
        if out.status != 0:
            msg = out.stderr.decode(errors="replace").strip()
            return (f"bubblewrap cannot create its sandbox here ({msg or 'exit status ' + str(out.status)}); "
                    "allow unprivileged user namespaces (sysctl user.max_user_namespaces > 0, "
                    "kernel.apparmor_restrict_unprivileged_userns=0) or run in a container that permits them")
        return None

    def run(self, files: dict[str, str], command: list[str], limits: Limits) -> RunResult:
        """Run `command` in /sandbox holding `files`; see `Sandbox.run` and the module docstring."""
        if not command:
            raise Invalid("sandbox command is empty; pass e.g. ['python3', 'main.py']")
        paths = {name: _check_name(name) for name in files}
        self.check()
        argv = self._base_args(limits)
        fds: list[int] = []
        report = tempfile.TemporaryFile(prefix="assay-report-")  # noqa: SIM115 - closed in finally
        status = tempfile.TemporaryFile(prefix="assay-status-")  # noqa: SIM115
        try:
            dirs = sorted({str(p) for path in paths.values() for p in path.parents if str(p) != "."})
            for d in dirs:
                argv += ["--dir", f"{WORKDIR}/{d}"]
            for name, text in files.items():
                fd = os.memfd_create("assay-file", 0)
                fds.append(fd)
                data = text.encode()
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.lseek(fd, 0, os.SEEK_SET)
                argv += ["--perms", "0644", "--file", str(fd), f"{WORKDIR}/{paths[name]}"]
            argv += ["--remount-ro", "/", "--setenv", "ASSAY_REPORT_FD", str(report.fileno()),
                     "--json-status-fd", str(status.fileno())]
            program = [self.python, *command[1:]] if command[0] in ("python3", "python") else list(command)
            cpu = max(1, math.ceil(limits.cpu_seconds))
            argv += [
                "--", "/bin/sh", "-c", _REAPER, "sh", "/usr/bin/prlimit", f"--as={limits.memory_bytes}", f"--cpu={cpu}:{cpu + 1}",
                f"--nproc={limits.max_processes}", f"--fsize={limits.max_file_bytes}",
                f"--nofile={limits.max_open_files}", "--core=0", "--", *program,
            ]
            with self._switch() as (user, group):
                out = run_capped(argv, wall_seconds=limits.wall_seconds, max_output_bytes=limits.max_output_bytes,
                                 pass_fds=(*fds, report.fileno(), status.fileno()), user=user, group=group)
            status.seek(0)
            started = b"child-pid" in status.read(65536)
            if not started and not out.timed_out:
                msg = out.stderr.decode(errors="replace").strip()
                raise Unavailable(f"bubblewrap failed to set up the sandbox: {msg}; {INSTALL_HINT}")
            report.seek(0)
            report_data = report.read(limits.max_file_bytes + 1)
        finally:
            for fd in fds:
                os.close(fd)
            report.close()
            status.close()
        return _result(out, limits, report_data)


def _result(out, limits: Limits, report_data: bytes) -> RunResult:  # type: ignore[no-untyped-def]
    exit_code: int | None = None
    sig: int | None = None
    reason: KilledReason | None = None
    if out.timed_out:
        reason = "wall_timeout"
    elif out.output_exceeded:
        reason = "output_limit"
    else:
        code = os.waitstatus_to_exitcode(out.status)
        if code < 0:
            sig = -code
        elif code > 128 and (code - 128) in {s.value for s in signal.Signals}:
            sig = code - 128
        else:
            exit_code = code
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and out.cpu_seconds >= limits.cpu_seconds):
            reason = "cpu_limit"
    return RunResult(
        exit_code=exit_code, signal=sig, timed_out=out.timed_out, killed_reason=reason,
        stdout=out.stdout, stderr=out.stderr, stdout_truncated=out.stdout_truncated,
        stderr_truncated=out.stderr_truncated, wall_seconds=out.wall_seconds, cpu_seconds=out.cpu_seconds,
        report=report_data[: limits.max_file_bytes], report_truncated=len(report_data) > limits.max_file_bytes,
    )
