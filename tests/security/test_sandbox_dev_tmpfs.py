"""Finding 6 of issue 18: the sandbox's /dev/shm was an uncapped tmpfs (half the host's RAM, outside
`scratch_bytes` and RLIMIT_AS; a run wrote 256 MiB there). Every writable tmpfs is now capped, /dev/shm shares
the scratch budget of /tmp, and /dev itself is read-only."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from assay.sandbox import BubblewrapSandbox, Limits

pytestmark = pytest.mark.sandbox

CAP = 8 << 20


@pytest.fixture(scope="module")
def sandbox() -> BubblewrapSandbox:
    return BubblewrapSandbox()


def test_writing_more_than_the_cap_to_dev_shm_fails_with_no_space(sandbox: BubblewrapSandbox) -> None:
    token = uuid.uuid4().hex
    code = f"""
import sys
chunk = b"x" * (1 << 20)
total = 0
for n in range(8):  # 8 files of 4 MiB (each under max_file_bytes): 32 MiB, four times the cap
    with open(f"/dev/shm/flood-{token}-{{n}}", "wb", buffering=0) as f:
        for _ in range(4):
            f.write(chunk)
            total += 1
            print("MiB", total, flush=True)
"""
    r = sandbox.run({"main.py": code}, ["python3", "main.py"], Limits(scratch_bytes=CAP, wall_seconds=15))
    assert not r.ok and r.exit_code == 1 and r.killed_reason is None, r.describe()
    assert b"No space left on device" in r.stderr, r.stderr[-500:]
    written = [int(line.split()[1]) for line in r.stdout.decode().splitlines() if line.startswith("MiB")]
    assert max(written, default=0) <= CAP >> 20
    # the host is untouched: the file existed only in the run's private tmpfs
    for place in ("/dev/shm", "/tmp"):
        assert not list(Path(place).glob(f"*{token}*")), place


def test_dev_shm_and_tmp_share_one_capped_budget_and_dev_is_read_only(sandbox: BubblewrapSandbox) -> None:
    code = """
import errno, os
def fill(path, mib):
    done = 0
    try:
        with open(path, "wb", buffering=0) as f:
            for _ in range(mib):
                f.write(b"y" * (1 << 20))
                done += 1
    except OSError as e:
        return done, errno.errorcode[e.errno]
    return done, "ok"
st = os.statvfs("/dev/shm")
print("shm_size", st.f_blocks * st.f_frsize)
print("shm", *fill("/dev/shm/a", 5))
print("tmp", *fill("/tmp/b", 5))
for path in ("/dev/extra", "/dev/pts/extra"):
    try:
        open(path, "w").write("x")
        print("dev wrote", path)
    except OSError as e:
        print("dev refused", path, errno.errorcode[e.errno])
"""
    r = sandbox.run({"main.py": code}, ["python3", "main.py"], Limits(scratch_bytes=CAP, wall_seconds=15))
    assert r.ok, r.stderr
    lines = r.stdout.decode().splitlines()
    assert lines[0] == f"shm_size {CAP}"
    assert lines[1] == "shm 5 ok"
    # /tmp draws on the same 8 MiB: 5 MiB are taken, so at most 3 more fit
    tmp_done, tmp_end = int(lines[2].split()[1]), lines[2].split()[2]
    assert tmp_done <= 3 and tmp_end == "ENOSPC", lines[2]
    assert not any("dev wrote" in line for line in lines), lines
    assert sum("dev refused" in line for line in lines) == 2
