"""A host uid of its own for every sandbox run that is running at the same moment.

RLIMIT_NPROC counts the processes of the run's real host uid, not of one run: when every sandbox ran as
host uid 65534, a fork bomb held at its limit in one trainer's run made `fork` fail in every other run at
that moment (and anything else running as `nobody`). When Assay runs as root, `bubblewrap` therefore starts
each run as a uid leased from a pool (`POOL_SIZE` uids from `POOL_BASE`), so the limit is the run's own.

A lease is an exclusive `flock` on `<lock dir>/<uid>.lock`: it holds across threads (each lease opens its own
file description) and across processes (several servers, workers or test processes on one machine), and the
kernel drops it when the process dies, so a crashed server never leaves a uid taken. The lock folder is made
0700 by root; nothing inside a sandbox sees it (the sandbox has no host filesystem). No request chooses any
of this: the folder and the range are fixed by the server (environment `ASSAY_SANDBOX_UID_BASE` moves the
range where it would collide with another user's uids).

Every process of a run dies with its PID namespace when the run ends, so a uid comes back to the pool with
nothing of the run left under it (tests/sandbox/test_uids.py checks both).
"""

from __future__ import annotations

import fcntl
import os
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POOL_BASE = int(os.environ.get("ASSAY_SANDBOX_UID_BASE", "1500000000"))
POOL_SIZE = 256
#: how often a run waiting for a free uid looks again (all POOL_SIZE runs at once: far above any sane
#: `sandbox_concurrency`)
RETRY_SECONDS = 0.05


def pool() -> range:
    """Every uid a run may be given."""
    return range(POOL_BASE, POOL_BASE + POOL_SIZE)


def lock_dir() -> Path:
    """The folder of the pool's lock files (created 0700; under /run when root can write there)."""
    base = Path("/run") if os.access("/run", os.W_OK) else Path(tempfile.gettempdir())
    path = base / "assay-sandbox-uids"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _try(folder: Path, uid: int) -> int | None:
    """An open descriptor holding the lock of `uid`, or None when another run holds it."""
    fd = os.open(folder / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@contextmanager
def leased_uid() -> Iterator[int]:
    """A uid of the pool that no other run (of any process) holds until the block ends. Starts at a random
    place in the pool so concurrent processes rarely contend for the same lock file; waits when every uid
    is taken."""
    folder = lock_dir()
    uids = list(pool())
    start = random.randrange(len(uids))
    while True:
        for uid in uids[start:] + uids[:start]:
            fd = _try(folder, uid)
            if fd is not None:
                try:
                    yield uid
                finally:
                    os.close(fd)  # closing the only descriptor of the file description drops the lock
                return
        time.sleep(RETRY_SECONDS)
