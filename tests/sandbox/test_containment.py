"""Hostile candidates run in the real sandbox: each is contained and reported, the host unharmed."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

from assay.errors import Invalid, Unavailable
from assay.sandbox import BubblewrapSandbox, Limits
from assay.sandbox.uids import pool

pytestmark = pytest.mark.sandbox


def _py(sandbox: BubblewrapSandbox, code: str, limits: Limits | None = None):
    return sandbox.run({"main.py": code}, ["python3", "main.py"], limits or Limits(wall_seconds=10))


def _processes_with(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if token.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _uid_processes() -> set[int]:
    """Host processes running as a sandbox uid: any uid of the run pool (`assay.sandbox.uids`) or 65534."""
    uids = {*pool(), 65534}
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                for line in (entry / "status").read_text().splitlines():
                    if line.startswith("Uid:") and int(line.split()[1]) in uids:
                        pids.add(int(entry.name))
            except (OSError, ValueError):
                continue
    return pids


def test_plain_run_works_as_unprivileged_user(sandbox):
    r = _py(sandbox, "import os\nprint(os.getuid(), sorted(os.listdir('.')))\nopen('out.txt','w').write('ok')\n"
                     "open('/tmp/t','w').write('ok')\nprint(open('out.txt').read())")
    assert r.ok, r.stderr
    assert r.stdout.decode().split("\n")[:2] == ["65534 ['main.py']", "ok"]
    assert r.cpu_seconds > 0 and r.wall_seconds > 0


def test_no_network_even_to_host_loopback(sandbox):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    code = f"""
import socket
for host in ("127.0.0.1", "localhost", "10.0.2.2", "8.8.8.8"):
    try:
        socket.create_connection((host, {port}), timeout=1).sendall(b"escaped")
        print("CONNECTED", host)
    except OSError as e:
        print("blocked", host, type(e).__name__)
"""
    try:
        r = _py(sandbox, code)
        arrived = []
        try:
            conn, _ = listener.accept()
            arrived.append(conn.recv(100))
        except TimeoutError:
            pass
    finally:
        listener.close()
    assert arrived == []
    assert b"CONNECTED" not in r.stdout
    assert r.stdout.count(b"blocked") == 4, r.stdout


def test_writes_outside_scratch_do_not_reach_host(sandbox):
    token = uuid.uuid4().hex
    targets = [f"/tmp/assay-escape-{token}", f"/usr/assay-escape-{token}", f"/etc/assay-escape-{token}",
               f"/root/assay-escape-{token}", f"/assay-escape-{token}", f"/var/tmp/assay-escape-{token}",
               f"/proc/assay-escape-{token}", f"/dev/shm/assay-escape-{token}"]
    code = f"""
import os
for path in {targets!r}:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("escaped")
        print("wrote", path)
    except OSError as e:
        print("denied", path, type(e).__name__)
"""
    r = _py(sandbox, code)
    assert r.ok, r.stderr
    for path in targets:
        assert not Path(path).exists(), path
    # /tmp inside is a private tmpfs: writing there succeeds but lands nowhere on the host
    assert f"wrote /tmp/assay-escape-{token}".encode() in r.stdout
    for place in ("/usr/", "/etc/", "/root/", "/assay-escape", "/var/tmp/"):
        assert f"denied {place}".encode() in r.stdout, place


def test_fork_bomb_is_contained_by_process_limit(sandbox):
    before = _uid_processes()
    code = """
import os, time
children = 0
try:
    for _ in range(1000):
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
except OSError as e:
    print("fork failed after", children, e.strerror)
while True:
    try:
        os.fork()
    except OSError:
        break
"""
    r = _py(sandbox, code, Limits(max_processes=20, wall_seconds=10))
    out = r.stdout.decode()
    assert "fork failed after" in out, (out, r.stderr)
    assert int(out.split("fork failed after")[1].split()[0]) < 20
    assert not r.timed_out
    time.sleep(0.2)
    assert _uid_processes() <= before


def test_memory_hog_gets_memory_error(sandbox):
    code = "x = []\nwhile True:\n    x.append(bytearray(50 << 20))\n"
    r = _py(sandbox, code, Limits(memory_bytes=512 << 20, wall_seconds=10))
    assert not r.ok
    assert b"MemoryError" in r.stderr
    assert not r.timed_out


@pytest.mark.slow
def test_infinite_loop_hits_cpu_limit(sandbox):
    r = _py(sandbox, "while True:\n    pass\n", Limits(cpu_seconds=1, wall_seconds=10))
    assert r.killed_reason == "cpu_limit"
    assert r.exit_code is None and r.signal is not None
    assert r.wall_seconds < 5


@pytest.mark.slow
def test_sleeping_forever_hits_wall_clock(sandbox):
    r = _py(sandbox, "import time\ntime.sleep(60)\n", Limits(wall_seconds=1))
    assert r.timed_out and r.killed_reason == "wall_timeout" and r.exit_code is None
    assert r.wall_seconds < 3
    assert "timed out" in r.describe()


@pytest.mark.slow
def test_detached_grandchild_dies_with_the_run(sandbox):
    token = f"assay-grandchild-{uuid.uuid4().hex}"
    code = f"""
import os, time
TOKEN = "{token}"
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(1.5)
        os.write(int(os.environ["ASSAY_REPORT_FD"]), b"grandchild alive")
        os._exit(0)
    os._exit(0)
time.sleep(0.2)
print("parent exits")
"""
    start = time.monotonic()
    r = sandbox.run({"main.py": code}, ["python3", "main.py", token], Limits(wall_seconds=10))
    assert r.ok and b"parent exits" in r.stdout
    assert time.monotonic() - start < 1.5  # the run did not wait for the grandchild
    assert _processes_with(token) == []
    time.sleep(2)
    assert _processes_with(token) == []
    assert b"grandchild" not in r.report


def test_stdout_flood_is_capped_and_stopped(sandbox):
    r = _py(sandbox, "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n",
            Limits(max_output_bytes=100_000, wall_seconds=10))
    assert r.killed_reason == "output_limit"
    assert r.stdout_truncated and len(r.stdout) == 100_000
    assert r.wall_seconds < 5


def test_shared_memory_flood_is_capped(sandbox):
    # /dev/shm was bubblewrap's /dev tmpfs, sized at half the host's RAM and outside every limit
    code = """
import os
chunk = b"x" * (1 << 20)
written = 0
for i in range(64):
    try:
        with open(f"/dev/shm/fill-{i}", "wb") as f:
            f.write(chunk)
        written += 1
    except OSError as e:
        print("stopped", written, e.errno)
        break
"""
    r = _py(sandbox, code, Limits(scratch_bytes=16 << 20))
    assert r.ok, r.stderr
    out = r.stdout.decode().split()
    assert out[0] == "stopped" and out[2] == "28", out  # ENOSPC
    assert int(out[1]) <= 16


def test_large_files_are_refused(sandbox):
    code = "try:\n    open('big','wb').write(b'x' * (2 << 20))\nexcept OSError as e:\n    print('refused', e.errno)\n"
    r = _py(sandbox, code, Limits(max_file_bytes=1 << 20))
    assert b"refused 27" in r.stdout  # EFBIG


def test_report_channel_is_capped(sandbox):
    code = "import os\nfd = int(os.environ['ASSAY_REPORT_FD'])\ntry:\n    os.write(fd, b'r' * (3 << 20))\nexcept OSError:\n    pass\n"
    r = _py(sandbox, code, Limits(max_file_bytes=1 << 20))
    assert len(r.report) <= 1 << 20


def test_missing_bubblewrap_is_unavailable_never_unsandboxed(tmp_path):
    marker = tmp_path / "ran"
    box = BubblewrapSandbox(bwrap=str(tmp_path / "no-bwrap"))
    with pytest.raises(Unavailable, match="apt-get install -y bubblewrap"):
        box.run({"main.py": f"open({str(marker)!r}, 'w')"}, ["python3", "main.py"], Limits())
    assert not marker.exists()


@pytest.mark.parametrize("name", ["../x.py", "/etc/passwd", "a/../../b", ""])
def test_bad_file_names_are_invalid(name):
    with pytest.raises(Invalid):
        BubblewrapSandbox().run({name: "x"}, ["python3", "x.py"], Limits())


@pytest.mark.slow
def test_many_concurrent_runs_leave_nothing_behind(sandbox):
    before = _uid_processes()
    results = []

    def one() -> None:
        results.append(_py(sandbox, "import os; print(os.getpid())"))

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.ok for r in results] == [True] * 6
    # each run has its own PID namespace: the reaper shell is pid 1 and the command (prlimit execs python) pid 2
    assert {r.stdout.strip() for r in results} == {b"2"}
    assert _uid_processes() <= before
